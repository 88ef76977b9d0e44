// ListOffsets and OffsetForLeaderEpoch against one source broker (the leader of the partitions
// asked about), as the link's consumer-side client sends them: replica id -1, the leader epoch the
// link believes current, answers per partition with the error name.
import { errorName } from '../../protocol/errors.js';
import type { SourceClient } from './source-client.js';

export const EARLIEST_TIMESTAMP = -2;
export const LATEST_TIMESTAMP = -1;
export const READ_UNCOMMITTED = 0;
/**
 * The link fetches from the source at read_committed, up to the source's last stable offset: a
 * mirror never holds a transaction that is still open at the source, which, were the source lost
 * and the mirror promoted, no marker would ever end. The mirror's high watermark so never passes
 * the source's either. Aborted batches and transaction markers below it are copied like any other
 * batch, and the mirror's own transaction index serves them to read_committed consumers.
 */
export const READ_COMMITTED = 1;
const CONSUMER_REPLICA_ID = -1;

export interface PartitionRef {
  topic: string;
  partition: number;
  leaderEpoch: number;
}

export interface OffsetAnswer {
  error: string;
  offset: number;
}

export interface EpochAnswer {
  error: string;
  leaderEpoch: number;
  endOffset: number;
}

export const refKey = (topic: string, partition: number): string => `${topic}:${partition}`;

function byTopic<R extends PartitionRef, T>(refs: R[], entry: (r: R) => T): { name: string; partitions: T[] }[] {
  const topics = new Map<string, T[]>();
  for (const r of refs) {
    let list = topics.get(r.topic);
    if (!list) topics.set(r.topic, (list = []));
    list.push(entry(r));
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
}

/** ListOffsets for `timestamp` (or EARLIEST/LATEST); answers keyed "topic:partition". */
export async function listOffsets(client: SourceClient, nodeId: number, refs: PartitionRef[], timestamp: number, isolation: number): Promise<Map<string, OffsetAnswer>> {
  const { body } = await client.request(nodeId, 'ListOffsets', () => ({
    replicaId: CONSUMER_REPLICA_ID,
    isolationLevel: isolation,
    topics: byTopic(refs, (r) => ({ partitionIndex: r.partition, currentLeaderEpoch: r.leaderEpoch, timestamp })),
    timeoutMs: 30_000,
  }));
  const out = new Map<string, OffsetAnswer>();
  for (const t of body.topics) {
    for (const p of t.partitions) out.set(refKey(t.name, p.partitionIndex), { error: errorName(p.errorCode), offset: p.offset });
  }
  return out;
}

/** OffsetForLeaderEpoch: the source's end offset for each partition's `epoch` (its largest epoch not above it). */
export async function offsetsForLeaderEpochs(client: SourceClient, nodeId: number, refs: (PartitionRef & { epoch: number })[]): Promise<Map<string, EpochAnswer>> {
  const { body } = await client.request(nodeId, 'OffsetForLeaderEpoch', () => ({
    replicaId: CONSUMER_REPLICA_ID,
    topics: byTopic(refs, (r) => ({ partition: r.partition, currentLeaderEpoch: r.leaderEpoch, leaderEpoch: r.epoch })).map((t) => ({ topic: t.name, partitions: t.partitions })),
  }));
  const out = new Map<string, EpochAnswer>();
  for (const t of body.topics) {
    for (const p of t.partitions) out.set(refKey(t.topic, p.partition), { error: errorName(p.errorCode), leaderEpoch: p.leaderEpoch, endOffset: p.endOffset });
  }
  return out;
}
