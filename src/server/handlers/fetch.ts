// Fetch: reads whole record batches from the log as buffers and splices them into the response
// without decoding or copying them. A fetch that finds less than minBytes waits (long poll) until
// an append to one of its partitions or maxWaitMs, whichever comes first. At read_committed it
// reads up to the last stable offset and lists the aborted transactions among what it returns,
// for the consumer to drop their records, as Kafka does.
import { errorCode, type ErrorName } from '../../../protocol/errors.js';
import { ZERO_UUID } from '../../../protocol/primitives.js';
import { brokerNumber } from '../../config/broker-configs.js';
import type { ReadResult } from '../../log/partition-log.js';
import type { AbortedTransaction } from '../../log/transaction-index.js';
import type { BrokerContext } from '../context.js';
import { mustSend, type RequestedPartition, type SessionPartition } from '../fetch-sessions.js';
import { permits, refusal } from '../authorization.js';
import { defineHandler, type ResponseOf } from './handler.js';

type FetchableTopicResponse = ResponseOf<'Fetch'>['responses'][number];

const READ_COMMITTED = 1;

interface PartitionRead {
  p: SessionPartition;
  error: ErrorName;
  chunks: Buffer[];
  bytes: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  divergingEpoch?: { epoch: number; endOffset: number };
  abortedTransactions: AbortedTransaction[];
  /** read below a mirror's local log start, and not there yet */
  pending?: boolean;
}

/**
 * Kafka answers a partition it does not have before reading anything, in a partition entry whose
 * aborted-transaction list is empty rather than null even under read_uncommitted.
 */
function notHosted(error: ErrorName): boolean {
  return error === 'UNKNOWN_TOPIC_OR_PARTITION' || error === 'UNKNOWN_TOPIC_ID';
}

/**
 * Reads each partition in turn within the response's byte budget. A read below a mirror's local
 * log start (through to its source) runs beside the others, its share of the budget set aside:
 * the cold partitions of one request are read from the source at once. With `remoteWait` each
 * waits (at most remote.fetch.max.wait.ms) for records not here yet; without it, those are asked
 * for and answered as pending, so that what is here already goes out at once.
 */
async function readAll(b: BrokerContext, parts: SessionPartition[], maxBytes: number, isolation: number, unreadable: (topic: string) => boolean, remoteWait: boolean): Promise<PartitionRead[]> {
  let budget = maxBytes;
  let first = true;
  const out: PartitionRead[] = [];
  const cold: { index: number; read: Promise<PartitionRead> }[] = [];
  for (const p of parts) {
    const partition = b.partitions.get(p.topic, p.partition);
    const base = { p, chunks: [] as Buffer[], bytes: 0, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: [] };
    if (unreadable(p.topic)) {
      out.push({ ...base, error: refusal('Fetch.topic') });
      continue;
    }
    if (!partition) {
      out.push({ ...base, error: p.topicId !== ZERO_UUID && !b.logs.topicById(p.topicId) ? 'UNKNOWN_TOPIC_ID' : 'UNKNOWN_TOPIC_OR_PARTITION' });
      continue;
    }
    const { log } = partition;
    const offsets = { highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logStartOffset: log.logStartOffset };
    // Like Kafka's, a partition that errs reports no offsets (-1), only its error.
    const epochError = partition.fencing(p.currentLeaderEpoch);
    if (epochError) {
      out.push({ ...base, error: epochError });
      continue;
    }
    // A fetcher that says which epoch its last batch had learns whether its log diverged from ours.
    if (p.lastFetchedEpoch >= 0) {
      const end = log.endOffsetForLeaderEpoch(p.lastFetchedEpoch);
      if (end.epoch !== p.lastFetchedEpoch || end.endOffset < p.fetchOffset) {
        out.push({ ...base, ...offsets, error: 'NONE', divergingEpoch: { epoch: end.epoch, endOffset: end.endOffset } });
        continue;
      }
    }
    const isCold = p.fetchOffset >= log.logStartOffset && p.fetchOffset < log.localLogStartOffset;
    const limit = Math.min(p.maxBytes, budget);
    const reading = log.read(p.fetchOffset, limit, { minOneBatch: first, upTo: isolation === READ_COMMITTED ? 'lso' : 'hw', remoteWait });
    if (isCold) {
      cold.push({ index: out.length, read: reading.then((r) => partitionRead(base, r)) });
      out.push({ ...base, error: 'NONE' });
      budget -= limit;
      // Only the first read may go over the budget (with one whole batch).
      first = false;
      continue;
    }
    const r = partitionRead(base, await reading);
    if (r.bytes > 0) first = false;
    budget = Math.max(0, budget - r.bytes);
    out.push(r);
  }
  for (const c of cold) out[c.index] = await c.read;
  return out;
}

/** A partition's answer from its read: the batches, and the offsets the read saw (consistent with them). */
function partitionRead(base: Omit<PartitionRead, 'error'>, r: ReadResult): PartitionRead {
  if (!r.ok) return { ...base, error: r.error };
  const { highWatermark, lastStableOffset, logStartOffset } = r;
  return { ...base, highWatermark, lastStableOffset, logStartOffset, error: 'NONE', chunks: r.chunks, bytes: r.bytes, abortedTransactions: r.abortedTransactions ?? [], ...(r.pending ? { pending: true } : {}) };
}

/** Resolves when one of the partitions gets an append, or after ms. */
function waitForAppend(b: BrokerContext, parts: SessionPartition[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    const done = () => {
      clearTimeout(timer);
      for (const off of offs) off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const p of parts) {
      const log = b.logs.getLog(p.topic, p.partition);
      if (log) offs.push(log.onAppend(done));
    }
    offs.push(b.onShutdown(done));
  });
}

export const fetch = defineHandler('Fetch', [4, 18], async (b, req, ctx) => {
  const byId = ctx.version >= 13;
  const requested: RequestedPartition[] = [];
  for (const t of req.topics) {
    const name = byId ? b.logs.topicById(t.topicId)?.name ?? `<unknown topic id ${t.topicId}>` : t.topic;
    const topicId = byId ? t.topicId : b.logs.topic(t.topic)?.topicId ?? ZERO_UUID;
    for (const p of t.partitions) {
      requested.push({ topic: name, topicId, partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes, currentLeaderEpoch: p.currentLeaderEpoch, lastFetchedEpoch: p.lastFetchedEpoch });
    }
  }
  const forgotten = req.forgottenTopicsData.flatMap((t) => {
    const name = byId ? b.logs.topicById(t.topicId)?.name ?? `<unknown topic id ${t.topicId}>` : t.topic;
    return t.partitions.map((partition) => ({ topic: name, partition }));
  });
  const session = ctx.version >= 7 ? b.fetchSessions.resolve(req.sessionId, req.sessionEpoch, requested, forgotten) : b.fetchSessions.resolve(0, -1, requested, []);
  if ('error' in session) {
    return { throttleTimeMs: 0, errorCode: errorCode(session.error), sessionId: 0, responses: [], nodeEndpoints: [] };
  }

  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  // The broker's fetch.max.bytes caps what any one response holds, whatever the client asks.
  const maxBytes = Math.max(0, Math.min(req.maxBytes, brokerNumber(b.brokerConfigs, 'fetch.max.bytes')));
  // Authorized once per request and topic; refused partitions are answered, not read, and do not
  // cut a long poll short (as Kafka leaves them out of its read).
  const readable = new Map<string, boolean>();
  const unreadable = (topic: string) => {
    if (!readable.has(topic)) readable.set(topic, permits(b, ctx, 'Fetch.topic', topic));
    return !readable.get(topic);
  };
  let reads = await readAll(b, session.partitions, maxBytes, req.isolationLevel, unreadable, false);
  // Records on their way from a mirror's source and nothing else to send: waited for (bounded by
  // remote.fetch.max.wait.ms, as Kafka's delayed remote fetch), whatever the client's own wait.
  if (reads.some((r) => r.pending) && reads.reduce((n, r) => n + r.bytes, 0) < req.minBytes) {
    reads = await readAll(b, session.partitions, maxBytes, req.isolationLevel, unreadable, true);
  }
  for (;;) {
    const bytes = reads.reduce((n, r) => n + r.bytes, 0);
    const errored = reads.some((r) => (r.error !== 'NONE' && r.error !== refusal('Fetch.topic')) || r.divergingEpoch);
    const left = deadline - Date.now();
    if (bytes >= req.minBytes || errored || left <= 0 || session.partitions.length === 0 || b.stopping) break;
    await waitForAppend(b, session.partitions, left);
    reads = await readAll(b, session.partitions, maxBytes, req.isolationLevel, unreadable, true);
  }

  // Group by topic in request order; an incremental response leaves out what did not change.
  const topics = new Map<string, FetchableTopicResponse>();
  for (const r of reads) {
    const changed = mustSend(r.p, r.bytes > 0, r.error !== 'NONE' || !!r.divergingEpoch, r.highWatermark, r.logStartOffset, r.lastStableOffset);
    if (session.incremental && !changed) continue;
    let t = topics.get(r.p.topic);
    if (!t) topics.set(r.p.topic, (t = { topic: r.p.topic, topicId: r.p.topicId, partitions: [] }));
    t.partitions.push({
      partitionIndex: r.p.partition,
      errorCode: errorCode(r.error),
      highWatermark: r.highWatermark,
      lastStableOffset: r.lastStableOffset,
      logStartOffset: r.logStartOffset,
      divergingEpoch: r.divergingEpoch,
      abortedTransactions: req.isolationLevel === READ_COMMITTED || notHosted(r.error) ? r.abortedTransactions : null,
      preferredReadReplica: -1,
      records: r.chunks,
    });
  }
  return { throttleTimeMs: 0, errorCode: 0, sessionId: session.sessionId, responses: [...topics.values()], nodeEndpoints: [] };
});
