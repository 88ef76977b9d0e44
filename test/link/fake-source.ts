// A source cluster in memory, for testing the link engine without a JVM: a few brokers, topics
// whose partitions hold real record batches with a leader and a leader-epoch history, answered as
// a Kafka broker answers a consumer (leader and epoch checks, divergence from Fetch v12, out of
// range, long polls on the test's clock). Faults are queued per API: an error thrown, a delay, or
// garbage (a response that fails to decode, or batches damaged on the way). Fetch answers go
// through outpost's real encoder and decoder, so they have exactly the shape the wire gives.
//
// This is fault injection beside the real-Kafka tests (test/link/mirror-kafka*.test.ts), never
// instead of them.
import { filterMatches, type AclBinding } from '../../src/common/acls.js';
import type { Clock } from '../../src/common/clock.js';
import type { HostPort } from '../../src/config/host-port.js';
import {
  EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, refKey, type ConfigEntry, type EpochAnswer, type FetchCall, type OffsetAnswer, type PartitionRef,
  type CommittedOffset, type SourceEndpoint, type SourceMetadata, type SourceTopic,
} from '../../src/link/source-endpoint.js';
import { api } from '../../protocol/apis.js';
import { errorCode, type ErrorName } from '../../protocol/errors.js';
import { decodeResponse, encodeResponse } from '../../protocol/frames.js';
import type { FetchResponse } from '../../protocol/messages/messages.js';
import type { Decoded } from '../../protocol/messages/types.js';
import { ProtocolError, ZERO_UUID } from '../../protocol/primitives.js';
import { BatchHeader, CRC_OFFSET } from '../../protocol/records/batch.js';
import { buildBatch } from '../../protocol/records/records.js';

/** The Fetch version the fake answers (by topic id); a by-name call is answered at its cap. */
const FETCH_VERSION = 18;

export type FakeApi = 'metadata' | 'fetch' | 'listOffsets' | 'epochEndOffsets' | 'topicConfigs';

export type Fault =
  /** the call fails as a connection would: refused, reset, timed out */
  | { kind: 'error'; message: string }
  /** the answer comes after `ms` of the test's clock */
  | { kind: 'delay'; ms: number }
  /** the answer's frame cannot be decoded (the client's ProtocolError) */
  | { kind: 'garbage' }
  /** Fetch only: the batches' bytes are damaged on the way (their CRC no longer matches) */
  | { kind: 'corrupt' };

export class FakePartition {
  leaderId: number;
  leaderEpoch = 0;
  /** [epoch, first offset] in offset order, as a leader-epoch checkpoint holds them */
  epochs: [number, number][] = [[0, 0]];
  batches: Buffer[] = [];
  logStartOffset = 0;

  constructor(leaderId: number) {
    this.leaderId = leaderId;
  }

  get logEndOffset(): number {
    const last = this.batches.at(-1);
    return last ? new BatchHeader(last).lastOffset + 1 : this.logStartOffset;
  }

  /** Kafka's endOffsetForEpoch: the largest epoch not above `epoch`, and where it ended. */
  endOffsetFor(epoch: number): { epoch: number; endOffset: number } {
    let found = -1;
    for (let i = 0; i < this.epochs.length; i++) if (this.epochs[i]![0] <= epoch) found = i;
    if (found < 0) return { epoch: -1, endOffset: -1 };
    const next = this.epochs[found + 1];
    return { epoch: this.epochs[found]![0], endOffset: next ? next[1] : this.logEndOffset };
  }
}

interface FakeTopic {
  name: string;
  topicId: string;
  partitions: FakePartition[];
  configs: Record<string, string>;
}

/** One link's (or probe's) connection to the fake: closing it ends its calls, long polls too. */
interface Conn {
  closed: boolean;
  waiters: Set<() => void>;
}

export class FakeSource {
  clusterId = 'fake-source-cluster';
  readonly brokers = new Map<number, HostPort>([[1, { host: 'fake-1', port: 9092 }], [2, { host: 'fake-2', port: 9092 }]]);
  readonly topics = new Map<string, FakeTopic>();
  /** every call made, by API, for assertions */
  readonly calls: Record<FakeApi, number> = { metadata: 0, fetch: 0, listOffsets: 0, epochEndOffsets: 0, topicConfigs: 0 };
  private readonly faults = new Map<FakeApi, Fault[]>();
  private readonly conns = new Set<Conn>();
  private nextTopicId = 1;

  constructor(private readonly clock: Clock) {}

  // ---- the source's side: what the test does to it -------------------------------------------------

  createTopic(name: string, partitions: number, configs: Record<string, string> = {}): void {
    const topicId = Buffer.alloc(16, 0).fill(this.nextTopicId++, 15).toString('base64url');
    const parts = Array.from({ length: partitions }, (_, p) => new FakePartition(1 + (p % this.brokers.size)));
    this.topics.set(name, { name, topicId, partitions: parts, configs });
  }

  partition(topic: string, partition: number): FakePartition {
    const p = this.topics.get(topic)?.partitions[partition];
    if (!p) throw new Error(`no partition ${topic}-${partition} at the fake source`);
    return p;
  }

  /** `count` records as one batch at the partition's end, stamped with its leader epoch. */
  produce(topic: string, partition: number, count: number, tag = 'v'): void {
    const p = this.partition(topic, partition);
    const base = p.logEndOffset;
    p.batches.push(buildBatch({
      baseOffset: base,
      partitionLeaderEpoch: p.leaderEpoch,
      records: Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`${tag}${base + i}`), timestamp: 1_700_000_000_000 + base + i })),
    }));
    for (const c of this.conns) for (const wake of [...c.waiters]) wake();
  }

  /** A new leader: broker `leaderId` at the next epoch, from the log's end. */
  moveLeader(topic: string, partition: number, leaderId: number): void {
    const p = this.partition(topic, partition);
    p.leaderId = leaderId;
    p.leaderEpoch++;
    p.epochs.push([p.leaderEpoch, p.logEndOffset]);
  }

  /**
   * An unclean leader election: the new leader's log ends at `offset` (a batch boundary), it
   * starts a new epoch there, and what it writes next differs from what was cut off.
   */
  truncateTo(topic: string, partition: number, offset: number): void {
    const p = this.partition(topic, partition);
    p.batches = p.batches.filter((b) => new BatchHeader(b).lastOffset < offset);
    if (p.logEndOffset !== offset) throw new Error(`offset ${offset} is not a batch boundary`);
    p.epochs = p.epochs.filter(([, start]) => start <= offset);
    p.leaderEpoch++;
    p.epochs.push([p.leaderEpoch, offset]);
  }

  /** DeleteRecords or retention at the source: the log starts at `offset`. */
  deleteRecords(topic: string, partition: number, offset: number): void {
    const p = this.partition(topic, partition);
    p.logStartOffset = offset;
    p.batches = p.batches.filter((b) => new BatchHeader(b).lastOffset >= offset);
  }

  /** The next `times` calls of `apiName` meet `fault`. */
  inject(apiName: FakeApi, fault: Fault, times = 1): void {
    const list = this.faults.get(apiName) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.faults.set(apiName, list);
  }

  /** The source's ACLs, as a test sets them. */
  acls: AclBinding[] = [];

  /** Consumer groups' committed offsets at the source, as a test sets them. */
  readonly groups = new Map<string, CommittedOffset[]>();

  /** Faults queued for `apiName` and not met yet. */
  pendingFaults(apiName: FakeApi): number {
    return this.faults.get(apiName)?.length ?? 0;
  }

  /** A source endpoint on this fake, as LinkDeps.connect makes one per link and per probe. */
  connect(): SourceEndpoint {
    const conn: Conn = { closed: false, waiters: new Set() };
    this.conns.add(conn);
    return {
      metadata: (topics) => this.metadata(conn, topics),
      fetch: (broker, call) => this.fetch(conn, broker, call),
      listOffsets: (broker, refs, timestamp) => this.listOffsets(conn, broker, refs, timestamp),
      epochEndOffsets: (broker, refs) => this.epochEndOffsets(conn, broker, refs),
      topicConfigs: (topics, names) => this.topicConfigs(conn, topics, names),
      listGroups: async () => [...this.groups.keys()],
      committedOffsets: async (group) => [...(this.groups.get(group) ?? [])],
      describeAcls: async (filter) => this.acls.filter((a) => filterMatches(filter, a)),
      partitionSizes: async () => new Map<string, number>(),
      // Groups coordinated at the source are tested against a real Kafka: the fake has no coordinator.
      groupCoordinator: async () => {
        throw new Error('the fake source coordinates no groups');
      },
      groupRequest: async () => {
        throw new Error('the fake source coordinates no groups');
      },
      closeLane: () => undefined,
      brokerAddress: (broker) => this.brokers.get(broker),
      // The fake has no connections of its own to count.
      connectionCounts: () => ({ opened: 0, authenticated: 0, reauthenticated: 0 }),
      close: () => {
        conn.closed = true;
        this.conns.delete(conn);
        for (const wake of [...conn.waiters]) wake();
      },
    };
  }

  // ---- answering ---------------------------------------------------------------------------------

  private async metadata(conn: Conn, topics: string[] | null): Promise<SourceMetadata> {
    const fault = await this.enter(conn, 'metadata');
    if (fault?.kind === 'garbage') throw new ProtocolError('Metadata response: array length past the frame');
    const out = new Map<string, SourceTopic>();
    for (const name of topics ?? [...this.topics.keys()]) {
      const t = this.topics.get(name);
      out.set(name, t
        ? { name, error: 'NONE', topicId: t.topicId, partitions: t.partitions.map((p, i) => ({ partition: i, error: 'NONE', leaderId: p.leaderId, leaderEpoch: p.leaderEpoch })) }
        : { name, error: 'UNKNOWN_TOPIC_OR_PARTITION', topicId: ZERO_UUID, partitions: [] });
    }
    return { clusterId: this.clusterId, topics: out };
  }

  /** Each source broker and connection (lane) a Fetch came on, as `broker lane`. */
  readonly fetchLanes = new Set<string>();

  private async fetch(conn: Conn, broker: number, call: FetchCall): Promise<{ version: number; body: Decoded<FetchResponse> }> {
    this.fetchLanes.add(`${broker} ${call.lane ?? 'fetch'}`);
    const fault = await this.enter(conn, 'fetch');
    if (fault?.kind === 'garbage') throw new ProtocolError('Fetch response: records length past the frame');
    const version = Math.min(FETCH_VERSION, call.maxVersion ?? FETCH_VERSION);
    const req = call.build(version);
    let answer = this.answerFetch(broker, req, version);
    const hasNews = (a: FetchResponse) => a.responses.some((t) => t.partitions.some((p) => p.errorCode !== 0 || (p.records as Buffer | null)?.length || p.divergingEpoch));
    if (!hasNews(answer) && req.maxWaitMs > 0) {
      // A long poll: answered when a record arrives or maxWaitMs passes on the test's clock.
      await new Promise<void>((resolve) => {
        const done = () => {
          this.clock.clearTimeout(timer);
          conn.waiters.delete(done);
          resolve();
        };
        const timer = this.clock.setTimeout(done, req.maxWaitMs);
        conn.waiters.add(done);
      });
      assertOpen(conn);
      answer = this.answerFetch(broker, req, version);
    }
    if (fault?.kind === 'corrupt') {
      for (const t of answer.responses) {
        for (const p of t.partitions) {
          const records = p.records as Buffer | null;
          if (records && records.length > CRC_OFFSET) {
            const damaged = Buffer.from(records);
            damaged[damaged.length - 1]! ^= 0xff;
            p.records = damaged;
          }
        }
      }
    }
    // Through the real codec: the link gets what the wire would give it.
    const frame = Buffer.concat(encodeResponse(api('Fetch'), version, 7, answer));
    return { version, body: decodeResponse(api('Fetch'), version, frame.subarray(4)).body as Decoded<FetchResponse> };
  }

  private async listOffsets(conn: Conn, broker: number, refs: PartitionRef[], timestamp: number): Promise<Map<string, OffsetAnswer>> {
    const fault = await this.enter(conn, 'listOffsets');
    if (fault?.kind === 'garbage') throw new ProtocolError('ListOffsets response: truncated');
    const out = new Map<string, OffsetAnswer>();
    for (const r of refs) {
      const { p, error } = this.led(broker, r.topic, r.partition, r.leaderEpoch);
      let offset = -1;
      if (p && !error) {
        if (timestamp === EARLIEST_TIMESTAMP) offset = p.logStartOffset;
        else if (timestamp === LATEST_TIMESTAMP) offset = p.logEndOffset;
        else offset = p.batches.map((b) => new BatchHeader(b)).find((h) => h.maxTimestamp >= timestamp)?.baseOffset ?? -1;
      }
      out.set(refKey(r.topic, r.partition), { error: error ?? 'NONE', offset });
    }
    return out;
  }

  private async epochEndOffsets(conn: Conn, broker: number, refs: (PartitionRef & { epoch: number })[]): Promise<Map<string, EpochAnswer>> {
    const fault = await this.enter(conn, 'epochEndOffsets');
    if (fault?.kind === 'garbage') throw new ProtocolError('OffsetForLeaderEpoch response: truncated');
    const out = new Map<string, EpochAnswer>();
    for (const r of refs) {
      const { p, error } = this.led(broker, r.topic, r.partition, r.leaderEpoch);
      const found = p && !error ? p.endOffsetFor(r.epoch) : { epoch: -1, endOffset: -1 };
      out.set(refKey(r.topic, r.partition), { error: error ?? 'NONE', leaderEpoch: found.epoch, endOffset: found.endOffset });
    }
    return out;
  }

  private async topicConfigs(conn: Conn, topics: string[], names: readonly string[]): Promise<Map<string, ConfigEntry[]>> {
    await this.enter(conn, 'topicConfigs');
    const out = new Map<string, ConfigEntry[]>();
    for (const name of topics) {
      const t = this.topics.get(name);
      if (t) out.set(name, names.filter((n) => t.configs[n] !== undefined).map((n) => ({ name: n, value: t.configs[n]! })));
    }
    return out;
  }

  /** Counts the call, applies its queued fault (a delay waits here; an error throws). */
  private async enter(conn: Conn, apiName: FakeApi): Promise<Fault | undefined> {
    assertOpen(conn);
    this.calls[apiName]++;
    const fault = this.faults.get(apiName)?.shift();
    if (fault?.kind === 'delay') await new Promise<void>((resolve) => this.clock.setTimeout(resolve, fault.ms));
    if (fault?.kind === 'error') throw new Error(fault.message);
    assertOpen(conn);
    return fault;
  }

  /** The partition if `broker` leads it at `leaderEpoch` (-1: any), else Kafka's error for the asker. */
  private led(broker: number, topic: string, partition: number, leaderEpoch: number): { p?: FakePartition; error?: ErrorName } {
    const p = this.topics.get(topic)?.partitions[partition];
    if (!p) return { error: 'UNKNOWN_TOPIC_OR_PARTITION' };
    if (p.leaderId !== broker) return { p, error: 'NOT_LEADER_OR_FOLLOWER' };
    if (leaderEpoch >= 0 && leaderEpoch < p.leaderEpoch) return { p, error: 'FENCED_LEADER_EPOCH' };
    if (leaderEpoch > p.leaderEpoch) return { p, error: 'UNKNOWN_LEADER_EPOCH' };
    return { p };
  }

  private answerFetch(broker: number, req: ReturnType<FetchCall['build']>, version: number): FetchResponse {
    const byId = version >= 13;
    const responses: FetchResponse['responses'] = [];
    for (const t of req.topics) {
      const name = byId ? [...this.topics.values()].find((x) => x.topicId === t.topicId)?.name : t.topic;
      const partitions: FetchResponse.PartitionData[] = [];
      for (const fp of t.partitions) {
        const base = { partitionIndex: fp.partition, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, records: null };
        if (name === undefined) {
          partitions.push({ ...base, errorCode: errorCode(byId ? 'UNKNOWN_TOPIC_ID' : 'UNKNOWN_TOPIC_OR_PARTITION') });
          continue;
        }
        const { p, error } = this.led(broker, name, fp.partition, fp.currentLeaderEpoch ?? -1);
        if (!p || error) {
          partitions.push({ ...base, errorCode: errorCode(error!) });
          continue;
        }
        const offsets = { highWatermark: p.logEndOffset, lastStableOffset: p.logEndOffset, logStartOffset: p.logStartOffset };
        // From v12 the follower says which epoch its log ends in: a log that went another way is told where.
        const lastFetched = fp.lastFetchedEpoch ?? -1;
        if (version >= 12 && lastFetched >= 0) {
          const end = p.endOffsetFor(lastFetched);
          if (end.epoch !== lastFetched || end.endOffset < fp.fetchOffset) {
            partitions.push({ ...base, ...offsets, errorCode: 0, divergingEpoch: { epoch: end.epoch, endOffset: end.endOffset } });
            continue;
          }
        }
        if (fp.fetchOffset < p.logStartOffset || fp.fetchOffset > p.logEndOffset) {
          partitions.push({ ...base, ...offsets, errorCode: errorCode('OFFSET_OUT_OF_RANGE') });
          continue;
        }
        // Whole batches from the one holding the fetch offset, at least one, up to the partition's bytes.
        const out: Buffer[] = [];
        let bytes = 0;
        for (const b of p.batches) {
          if (new BatchHeader(b).lastOffset < fp.fetchOffset) continue;
          if (out.length > 0 && bytes + b.length > fp.partitionMaxBytes) break;
          out.push(b);
          bytes += b.length;
        }
        partitions.push({ ...base, ...offsets, errorCode: 0, records: out.length ? Buffer.concat(out) : null });
      }
      responses.push({ topic: name ?? '', topicId: byId ? t.topicId : ZERO_UUID, partitions });
    }
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
  }
}

function assertOpen(conn: Conn): void {
  if (conn.closed) throw new Error('the connection was closed');
}
