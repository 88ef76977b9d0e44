// __consumer_offsets on outpost's own log: created at start-up, read back whole to rebuild the
// coordinator's state, appended to for every commit and group change. A group's records all go to
// one partition, chosen as Kafka chooses it, so a data directory's layout matches Kafka's.
import type { Logger } from 'pino';
import type { ErrorName } from '../../protocol/errors.js';
import { BatchHeader, iterateBatches } from '../../protocol/records/batch.js';
import { buildBatch, readRecords } from '../../protocol/records/records.js';
import { javaStringHash } from '../common/java-string-hash.js';
import type { LogManager } from '../log/log-manager.js';
import type { RawRecord } from './coordinator-records.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Kafka's configs for the topic: compacted by key, its segments offsets.topic.segment.bytes. */
const topicConfigs = (segmentBytes: number) => ({ 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': String(segmentBytes) });

/** Bytes asked of the log per read while loading. */
const LOAD_READ_BYTES = 1 << 20;

/** Kafka's partitionFor(groupId): Utils.abs(hashCode) modulo the partition count. */
export function partitionForGroup(groupId: string, partitions: number): number {
  const h = javaStringHash(groupId);
  // Utils.abs maps Integer.MIN_VALUE to 0 rather than overflowing.
  const abs = h === -0x80000000 ? 0 : Math.abs(h);
  return abs % partitions;
}

/** What a failed append of coordinator records tells the client (Kafka's mapping of log errors). */
export function appendErrorToClientError(error: ErrorName): ErrorName {
  switch (error) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'NOT_ENOUGH_REPLICAS':
    case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
    case 'REQUEST_TIMED_OUT':
      return 'COORDINATOR_NOT_AVAILABLE';
    case 'NOT_LEADER_OR_FOLLOWER':
    case 'KAFKA_STORAGE_ERROR':
      return 'NOT_COORDINATOR';
    case 'MESSAGE_TOO_LARGE':
    case 'RECORD_LIST_TOO_LARGE':
    case 'INVALID_FETCH_SIZE':
      return 'INVALID_COMMIT_OFFSET_SIZE';
    default:
      return 'UNKNOWN_SERVER_ERROR';
  }
}

/** Where the coordinator's records go: one append per change, resolved once it is in the log. */
export interface RecordSink {
  /** Appends the records as one batch to the group's partition; the error if that failed. */
  append(groupId: string, records: RawRecord[]): Promise<ErrorName | null>;
}

export class OffsetsTopic implements RecordSink {
  private constructor(
    private readonly logs: LogManager,
    readonly partitions: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Creates the topic with `partitions` partitions (offsets.topic.num.partitions) unless it
   * exists; an existing topic keeps its count, which is what the group-to-partition map must use.
   */
  static async open(logs: LogManager, partitions: number, logger: Logger, segmentBytes: number): Promise<OffsetsTopic> {
    let info = logs.topic(OFFSETS_TOPIC);
    if (!info) {
      info = await logs.createTopic(OFFSETS_TOPIC, { partitions, configs: topicConfigs(segmentBytes) });
      logger.info({ topic: OFFSETS_TOPIC, partitions }, 'created the group coordinator topic');
    }
    return new OffsetsTopic(logs, info.partitions, logger);
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.partitions);
  }

  /** Reads every partition from its start and hands each record over in log order. */
  async load(apply: (key: Buffer, value: Buffer | null) => void): Promise<number> {
    let count = 0;
    for (let p = 0; p < this.partitions; p++) {
      const log = this.logs.getLog(OFFSETS_TOPIC, p);
      if (!log) throw new Error(`${OFFSETS_TOPIC}-${p} has no log`);
      let offset = log.logStartOffset;
      const end = log.highWatermark;
      while (offset < end) {
        const r = await log.read(offset, LOAD_READ_BYTES, { minOneBatch: true, upTo: 'hw' });
        if (!r.ok) throw new Error(`reading ${OFFSETS_TOPIC}-${p} at ${offset}: ${r.error} ${r.reason}`);
        const next = offset;
        for (const chunk of r.chunks) {
          for (const span of iterateBatches(chunk)) {
            for (const rec of readRecords(chunk, span.pos)) {
              // A batch may start before the offset asked for: skip what was already applied.
              if (rec.offset < offset || rec.key === null) continue;
              apply(rec.key, rec.value);
              count++;
            }
            offset = Math.max(offset, new BatchHeader(chunk, span.pos).nextOffset);
          }
        }
        // A log that returns nothing before its end is a bug worth stopping on, not spinning over.
        if (offset === next) throw new Error(`${OFFSETS_TOPIC}-${p}: no progress reading at ${offset}`);
      }
    }
    return count;
  }

  async append(groupId: string, records: RawRecord[]): Promise<ErrorName | null> {
    const partition = this.partitionFor(groupId);
    const log = this.logs.getLog(OFFSETS_TOPIC, partition);
    if (!log) return 'COORDINATOR_NOT_AVAILABLE';
    const now = Date.now();
    const batch = buildBatch({ records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })), now });
    const result = await log.appendAsLeader(batch, { leaderEpoch: log.leaderEpoch, now });
    if (result.ok) return null;
    this.logger.error({ groupId, partition, error: result.error, reason: result.reason }, 'appending to the group coordinator topic failed');
    return appendErrorToClientError(result.error);
  }
}
