// ListOffsets, OffsetForLeaderEpoch and DeleteRecords: questions about, and moves of, the ends
// of a partition's log.
import { errorCode, type ErrorName } from '../../../protocol/errors.js';
import { permits, refusal as denied } from '../authorization.js';
import { defineHandler, type ResponseOf } from './handler.js';

type ListOffsetsPartitionResponse = ResponseOf<'ListOffsets'>['topics'][number]['partitions'][number];

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const LATEST_TIERED = -5;
const EARLIEST_PENDING_UPLOAD = -6;
/** The ListOffsets version that brought EARLIEST_PENDING_UPLOAD (KIP-1023). */
const FIRST_PENDING_UPLOAD_VERSION = 11;
const READ_COMMITTED = 1;

export const listOffsets = defineHandler('ListOffsets', [1, 11], async (b, req, ctx) => {
  const topics: ResponseOf<'ListOffsets'>['topics'] = [];
  const described = (topic: string) => permits(b, ctx, 'ListOffsets.topic', topic);
  for (const t of req.topics) {
    const partitions: ListOffsetsPartitionResponse[] = [];
    for (const p of t.partitions) {
      const out: ListOffsetsPartitionResponse = { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1, offset: -1, leaderEpoch: -1 };
      const partition = b.partitions.get(t.name, p.partitionIndex);
      const problem: ErrorName | null = !described(t.name) ? denied('ListOffsets.topic') : !partition ? 'UNKNOWN_TOPIC_OR_PARTITION' : partition.fencing(p.currentLeaderEpoch);
      if (problem || !partition) {
        partitions.push({ ...out, errorCode: errorCode(problem!) });
        continue;
      }
      const { log } = partition;
      const ts = p.timestamp;
      let found: { offset: number; timestamp: number; leaderEpoch: number } | null;
      if (ts === LATEST) {
        const offset = req.isolationLevel === READ_COMMITTED ? log.lastStableOffset : log.highWatermark;
        found = { offset, timestamp: -1, leaderEpoch: log.epochForOffset(offset) };
      } else if (ts === EARLIEST || ts === EARLIEST_LOCAL) {
        // A mirror keeping only its recent records here (KIP-1005): EARLIEST_LOCAL is where they begin.
        const offset = ts === EARLIEST ? log.logStartOffset : log.localLogStartOffset;
        found = { offset, timestamp: -1, leaderEpoch: log.epochForOffset(offset) };
      } else if (ts === EARLIEST_PENDING_UPLOAD && ctx.version < FIRST_PENDING_UPLOAD_VERSION) {
        partitions.push({ ...out, errorCode: errorCode('UNSUPPORTED_VERSION') });
        continue;
      } else if (ts === LATEST_TIERED || ts === EARLIEST_PENDING_UPLOAD) {
        // Nothing is tiered: no tiered offset and no pending upload, answered as Kafka does without
        // tiered storage (offset -1).
        found = null;
      } else if (ts === MAX_TIMESTAMP) {
        found = await log.maxTimestampOffset();
      } else if (ts < 0) {
        // A special timestamp newer than any version outpost serves.
        partitions.push({ ...out, errorCode: errorCode('UNSUPPORTED_VERSION') });
        continue;
      } else {
        found = await log.offsetForTimestamp(ts);
        // A timestamp lookup never answers past what the isolation level lets the client read.
        if (found && req.isolationLevel === READ_COMMITTED && found.offset >= log.lastStableOffset) found = null;
      }
      partitions.push(found ? { ...out, offset: found.offset, timestamp: found.timestamp, leaderEpoch: ctx.version >= 4 ? found.leaderEpoch : -1 } : out);
    }
    topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
});

export const offsetForLeaderEpoch = defineHandler('OffsetForLeaderEpoch', [2, 4], (b, req, ctx) => {
  const topics = req.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      const partition = b.partitions.get(t.topic, p.partition);
      const allowed = permits(b, ctx, 'OffsetForLeaderEpoch.topic', t.topic);
      const problem: ErrorName | null = !allowed ? denied('OffsetForLeaderEpoch.topic') : !partition ? 'UNKNOWN_TOPIC_OR_PARTITION' : partition.fencing(p.currentLeaderEpoch);
      if (problem || !partition) return { errorCode: errorCode(problem!), partition: p.partition, leaderEpoch: -1, endOffset: -1 };
      const end = partition.log.endOffsetForLeaderEpoch(p.leaderEpoch);
      return { errorCode: 0, partition: p.partition, leaderEpoch: end.epoch, endOffset: end.endOffset };
    }),
  }));
  return { throttleTimeMs: 0, topics };
});

export const deleteRecords = defineHandler('DeleteRecords', [0, 2], async (b, req, ctx) => {
  const topics = [];
  for (const t of req.topics) {
    const partitions = [];
    const allowed = permits(b, ctx, 'DeleteRecords.topic', t.name);
    for (const p of t.partitions) {
      const partition = b.partitions.get(t.name, p.partitionIndex);
      if (!allowed) {
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: errorCode(denied('DeleteRecords.topic')) });
        continue;
      }
      if (!partition) {
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: errorCode('UNKNOWN_TOPIC_OR_PARTITION') });
        continue;
      }
      // The internal topic's committed state, and a mirror's log start, are not a client's to move.
      const refusal = partition.writeRefusal('deleteRecords', 'client');
      if (refusal) {
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: errorCode(refusal.error) });
        continue;
      }
      const { log } = partition;
      // -1 means "up to the high watermark".
      const offset = p.offset === -1 ? log.highWatermark : p.offset;
      if (offset < 0 || offset > log.highWatermark) {
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: errorCode('OFFSET_OUT_OF_RANGE') });
        continue;
      }
      const r = await log.deleteRecordsBefore(offset);
      partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: r.ok ? r.logStartOffset : -1, errorCode: errorCode(r.ok ? 'NONE' : r.error) });
    }
    topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
});
