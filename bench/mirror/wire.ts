// What the mirror benchmark asks the brokers, over the Kafka protocol with outpost's own client,
// the same way of both outpost and Apache Kafka: a partition's end offset (ListOffsets), and a
// lean consumer that notes, for every record it reads, how long ago that record was produced.
import { errorName } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { BatchHeader, iterateBatches } from '../../protocol/records/batch.js';
import { readRecords } from '../../protocol/records/records.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';

export async function connect(bootstrap: string): Promise<KafkaConnection> {
  const [host, port] = bootstrap.split(':');
  const conn = await KafkaConnection.open(host!, Number(port), { clientId: 'mirror-bench' });
  await conn.negotiate();
  return conn;
}

// Errors a partition answers with for a moment after it is made (no leader elected yet, or not yet
// known to the broker answering): wait and ask again.
const NOT_YET = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'REPLICA_NOT_AVAILABLE', 'OFFSET_NOT_AVAILABLE', 'UNKNOWN_TOPIC_ID']);

/**
 * The end offset (high watermark) of partition 0 of `topic`; null while the topic does not exist
 * yet or its partition is not ready to answer (a mirror or replicated topic being made).
 */
export async function endOffset(conn: KafkaConnection, topic: string): Promise<number | null> {
  const r = await conn.request('ListOffsets', conn.version('ListOffsets')!, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }],
  });
  const p = r.topics[0].partitions[0];
  if (NOT_YET.has(errorName(p.errorCode))) return null;
  if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-0: ${errorName(p.errorCode)}`);
  return Number(p.offset);
}

/** The topic's id, once the broker knows the topic (Fetch v13+ names topics by id). */
async function topicId(conn: KafkaConnection, topic: string, deadlineMs: number): Promise<string> {
  for (;;) {
    const md = await conn.request('Metadata', conn.version('Metadata')!, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false });
    const t = md.topics[0];
    if (t.errorCode === 0 && t.partitions.length > 0) return t.topicId;
    if (Date.now() > deadlineMs) throw new Error(`topic ${topic} did not appear at the destination: ${errorName(t.errorCode)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Wall-clock milliseconds with a fraction: two probes in one process compare to well under 1 ms. */
const preciseNow = () => performance.timeOrigin + performance.now();

/**
 * Reads partition 0 of `topic` from offset 0 with long-polling fetches (as a consumer does, up to
 * 500 ms of waiting, answered as soon as one byte is there) and records, for each record,
 * Date.now() when its fetch response arrived minus the record's timestamp. The producer sets that
 * timestamp (CreateTime) at send, both replicators keep it, and every process reads the same
 * clock, so at the destination this is produced-at-the-source to readable-at-the-destination.
 * It also keeps each arrival at sub-millisecond precision, so that a probe of the source and one
 * of the destination, in the same process, tell how long each record took to cross over.
 */
export class LatencyProbe {
  readonly latenciesMs: number[] = [];
  /** record timestamps, in offset order, alongside latenciesMs */
  readonly timestamps: number[] = [];
  /** when each record's fetch response arrived (preciseNow), alongside latenciesMs */
  readonly arrivals: number[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(private readonly conn: KafkaConnection, private readonly topic: string, appearWithinMs = 60_000) {
    this.done = this.run(Date.now() + appearWithinMs);
    // Failures surface through stop(); keep an early one from being an unhandled rejection.
    this.done.catch(() => {});
  }

  get count(): number {
    return this.latenciesMs.length;
  }

  private async run(appearBy: number): Promise<void> {
    const id = await topicId(this.conn, this.topic, appearBy);
    const version = this.conn.version('Fetch')!;
    let next = 0;
    while (!this.stopped) {
      const r = await this.conn.request('Fetch', version, {
        replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 4 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: this.topic, topicId: id, partitions: [{ partition: 0, fetchOffset: next, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      });
      const arrived = preciseNow();
      const now = Math.floor(arrived);
      const p = r.responses[0].partitions[0];
      if (NOT_YET.has(errorName(p.errorCode))) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (p.errorCode !== 0) throw new Error(`Fetch ${this.topic}-0@${next}: ${errorName(p.errorCode)}`);
      const records: Buffer = p.records ?? Buffer.alloc(0);
      for (const span of iterateBatches(records)) {
        const h = new BatchHeader(records, span.pos);
        if (h.lastOffset < next || h.isControl) {
          next = Math.max(next, h.nextOffset);
          continue;
        }
        for (const rec of readRecords(records, span.pos)) {
          if (rec.offset < next) continue;
          this.latenciesMs.push(now - rec.timestamp);
          this.timestamps.push(rec.timestamp);
          this.arrivals.push(arrived);
        }
        next = h.nextOffset;
      }
    }
  }

  /** Stops after the fetch in flight (at most 500 ms); rethrows what made the probe fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  /** Rejects as soon as the probe fails, so a waiting caller hears of it at once. */
  failed(): Promise<never> {
    return this.done.then(() => new Promise<never>(() => {}));
  }
}
