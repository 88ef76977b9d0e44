// Drives a RequestFuzzer against a broker over several connections at once, and a witness client
// beside it that produces (acks=all) and reads back its own topic throughout. What the witness
// must see: every request answered without error, and every acknowledged record read back at its
// offset. Shared by the CI fuzz test (a short run) and the fuzz bench (a million frames or more).
import { connect, type Socket } from 'node:net';
import { buildBatch, readRecords } from '../../protocol/records/records.js';
import { iterateBatches } from '../../protocol/records/batch.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { RequestFuzzer } from './request-fuzzer.js';

export interface FuzzOptions {
  port: number;
  frames: number;
  seed: number;
  connections?: number;
  /** called every so often with the frames sent so far */
  progress?: (sent: number) => void;
}

/** Sends `frames` fuzzed frames; resolves with the number sent and connections the broker closed. */
export async function fuzz(opts: FuzzOptions): Promise<{ sent: number; closedByBroker: number }> {
  const fuzzer = new RequestFuzzer(opts.seed);
  let sent = 0;
  let closedByBroker = 0;
  const lane = async () => {
    let socket: Socket | null = null;
    let answered: (() => void) | null = null;
    const open = () =>
      new Promise<Socket>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: opts.port });
        s.on('error', () => {});
        s.on('data', () => answered?.());
        s.on('close', () => {
          if (socket === s) {
            socket = null;
            closedByBroker++;
          }
          answered?.();
        });
        s.once('connect', () => resolve(s));
      });
    while (sent < opts.frames) {
      const id = sent++;
      if (sent % 10_000 === 0) opts.progress?.(sent);
      // A connection whose requests pile up unanswered (a parked JoinGroup, say) is given up on.
      if (!socket || socket.destroyed || socket.writableLength > 1024 * 1024) {
        const old: Socket | null = socket;
        socket = null;
        old?.destroy();
        socket = await open();
      }
      const frame = fuzzer.frame(id);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 20);
        function done() {
          clearTimeout(timer);
          answered = null;
          resolve();
        }
        answered = done;
        socket!.write(frame);
      });
    }
    (socket as Socket | null)?.destroy();
  };
  await Promise.all(Array.from({ length: opts.connections ?? 4 }, lane));
  return { sent, closedByBroker };
}

export interface WitnessReport {
  produced: number;
  /** requests that failed, timed out or were answered with an error */
  disturbances: string[];
}

/** Produces and reads back a topic until stopped; every problem is a disturbance. */
export class Witness {
  private conn!: KafkaConnection;
  private running = true;
  private loop: Promise<void> = Promise.resolve();
  private produced = 0;
  private readonly disturbances: string[] = [];

  private constructor(readonly port: number, readonly topic: string) {}

  static async start(port: number, topic = 'witness'): Promise<Witness> {
    const w = new Witness(port, topic);
    w.conn = await KafkaConnection.open('127.0.0.1', port, { clientId: 'witness' });
    await w.conn.negotiate();
    const res = await w.conn.request('CreateTopics', 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    if (res.topics[0].errorCode !== 0) throw new Error(`witness topic: error ${res.topics[0].errorCode}`);
    w.loop = w.run();
    return w;
  }

  private async timed<T>(what: string, p: Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 5000)));
    try {
      const r = await Promise.race([p, late]);
      if (r === 'late') {
        this.disturbances.push(`${what}: no answer within 5 s`);
        return undefined;
      }
      return r as T;
    } catch (e) {
      this.disturbances.push(`${what}: ${(e as Error).message}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      const n = this.produced;
      const records = buildBatch({ records: [{ key: null, value: Buffer.from(`w${n}`) }] });
      const res = await this.timed('produce', this.conn.request('Produce', 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: this.topic, partitionData: [{ index: 0, records }] }] }));
      if (!res) break;
      const p = res.responses[0].partitionResponses[0];
      if (p.errorCode !== 0 || p.baseOffset !== n) this.disturbances.push(`produce of w${n}: error ${p.errorCode} at offset ${p.baseOffset}`);
      else this.produced++;
      const read = await this.timed('fetch', this.readFrom(n));
      if (read === undefined) break;
      if (read !== `w${n}`) this.disturbances.push(`fetch at ${n}: read ${read}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The value at `offset`, read with Fetch. */
  async readFrom(offset: number, conn = this.conn): Promise<string | undefined> {
    const res = await conn.request('Fetch', 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 65536, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: this.topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 65536 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const p = res.responses[0].partitions[0];
    if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode}`);
    const data: Buffer = Buffer.concat(Array.isArray(p.records) ? p.records : [p.records ?? Buffer.alloc(0)]);
    for (const span of iterateBatches(data)) {
      for (const r of readRecords(data, span.pos)) if (r.offset === offset) return r.value?.toString();
    }
    return undefined;
  }

  async stop(): Promise<WitnessReport> {
    this.running = false;
    await this.loop;
    this.conn.close();
    return { produced: this.produced, disturbances: this.disturbances };
  }

  /** Reads every acknowledged record back on a new connection (after a restart, say); the missing ones. */
  async missingAfter(port: number): Promise<number[]> {
    const conn = await KafkaConnection.open('127.0.0.1', port);
    await conn.negotiate();
    const missing: number[] = [];
    try {
      for (let i = 0; i < this.produced; i++) if ((await this.readFrom(i, conn)) !== `w${i}`) missing.push(i);
    } finally {
      conn.close();
    }
    return missing;
  }
}
