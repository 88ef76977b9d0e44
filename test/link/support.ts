// Helpers shared by the cluster-link tests: bounded polling, reading a partition's batches over
// the wire with outpost's own client, and reading segment files.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { errorName } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { BatchHeader, iterateBatches } from '../../protocol/records/batch.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import type { LinkManagerApi, MirrorDescription } from '../../src/link/types.js';

/**
 * Polls `probe` until it returns something other than undefined/false, and returns that. The
 * deadline is only a bound on a broken run, never part of what a test asserts.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, deadlineMs = 60_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until every partition of the mirror has copied up to `ends` (the source's high watermarks). */
export function mirrored(links: LinkManagerApi, link: string, topic: string, ends: number[]): Promise<MirrorDescription> {
  return waitFor(`${topic} mirrored up to ${ends.join(',')}`, () => {
    const d = links.describeMirror(link, topic);
    return d.partitions.length === ends.length && d.partitions.every((p, i) => p.localLogEndOffset === ends[i]) && d;
  });
}

/** Runs `fn` with a fresh connection to the broker on `port`, closed after. */
export async function withConnection<T>(port: number, fn: (conn: KafkaConnection) => Promise<T>): Promise<T> {
  const conn = await connectTo(port);
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

export async function connectTo(port: number): Promise<KafkaConnection> {
  const conn = await KafkaConnection.open('127.0.0.1', port, { clientId: 'link-test' });
  await conn.negotiate();
  return conn;
}

export interface PartitionEnds {
  logStartOffset: number;
  highWatermark: number;
}

/** The topic's id and, per partition, its log start and high watermark, from Metadata and ListOffsets. */
export async function describeTopic(conn: KafkaConnection, topic: string): Promise<{ topicId: string; partitions: PartitionEnds[] }> {
  const md = await conn.request('Metadata', conn.version('Metadata')!, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false });
  const t = md.topics[0];
  if (t.errorCode !== 0) throw new Error(`Metadata for ${topic}: ${errorName(t.errorCode)}`);
  const ask = async (timestamp: number) => {
    const r = await conn.request('ListOffsets', conn.version('ListOffsets')!, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: t.partitions.map((p: any) => ({ partitionIndex: p.partitionIndex, currentLeaderEpoch: -1, timestamp })) }],
    });
    const out: number[] = [];
    for (const p of r.topics[0].partitions) out[p.partitionIndex] = p.offset;
    return out;
  };
  const [starts, ends] = [await ask(-2), await ask(-1)];
  return { topicId: t.topicId, partitions: starts.map((s, i) => ({ logStartOffset: s, highWatermark: ends[i]! })) };
}

export interface PartitionLeader {
  leaderId: number;
  leaderEpoch: number;
  isr: number[];
}

/** Per partition of `topic`, its leader, leader epoch and in-sync replicas, from Metadata. */
export async function partitionLeaders(conn: KafkaConnection, topic: string): Promise<PartitionLeader[]> {
  const md = await conn.request('Metadata', conn.version('Metadata')!, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false });
  const t = md.topics[0];
  if (t.errorCode !== 0) throw new Error(`Metadata for ${topic}: ${errorName(t.errorCode)}`);
  const out: PartitionLeader[] = [];
  for (const p of t.partitions) out[p.partitionIndex] = { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, isr: p.isrNodes };
  return out;
}

/** OffsetForLeaderEpoch for one partition: the broker's [epoch, end offset] for `epoch` (its largest epoch not above it). */
export async function epochEnd(conn: KafkaConnection, topic: string, partition: number, epoch: number): Promise<[number, number]> {
  const r = await conn.request('OffsetForLeaderEpoch', conn.version('OffsetForLeaderEpoch')!, {
    replicaId: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, leaderEpoch: epoch }] }],
  });
  const p = r.topics[0].partitions[0];
  if (p.errorCode !== 0) throw new Error(`OffsetForLeaderEpoch ${topic}-${partition} epoch ${epoch}: ${errorName(p.errorCode)}`);
  return [p.leaderEpoch, p.endOffset];
}

/** The high watermark of every partition of `topic`. */
export async function highWatermarks(conn: KafkaConnection, topic: string): Promise<number[]> {
  return (await describeTopic(conn, topic)).partitions.map((p) => p.highWatermark);
}

/**
 * Every whole record batch of a partition from its log start (or `from`) to its high watermark, as
 * the broker sends them. `emptyAnswers` empty answers below the high watermark are asked again (a
 * read through to a mirror's source may not be there yet); one more is an error.
 */
export async function fetchBatches(conn: KafkaConnection, topic: string, partition: number, opts: { from?: number; partitionMaxBytes?: number; emptyAnswers?: number } = {}): Promise<Buffer[]> {
  const { topicId, partitions } = await describeTopic(conn, topic);
  const end = partitions[partition]!.highWatermark;
  const version = conn.version('Fetch')!;
  const out: Buffer[] = [];
  let next = opts.from ?? partitions[partition]!.logStartOffset;
  let empty = 0;
  while (next < end) {
    const r = await conn.request('Fetch', version, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, topicId, partitions: [{ partition, fetchOffset: next, partitionMaxBytes: opts.partitionMaxBytes ?? 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const p = r.responses[0].partitions[0];
    if (p.errorCode !== 0) throw new Error(`Fetch ${topic}-${partition}@${next}: ${errorName(p.errorCode)}`);
    const records: Buffer = p.records ?? Buffer.alloc(0);
    let advanced = false;
    for (const span of iterateBatches(records)) {
      const h = new BatchHeader(records, span.pos);
      if (h.lastOffset < next) continue;
      out.push(Buffer.from(records.subarray(span.pos, span.pos + span.size)));
      next = h.nextOffset;
      advanced = true;
    }
    if (!advanced && ++empty > (opts.emptyAnswers ?? 0)) throw new Error(`Fetch ${topic}-${partition}@${next} returned no batch below the high watermark ${end}`);
  }
  return out;
}

/** Where a comparison reads the source's batches: a broker connection, or a reader that finds each partition's leader. */
export type BatchSource = KafkaConnection | { batches(topic: string, partition: number): Promise<Buffer[]> };

/**
 * Asserts that the mirror holds the source's batches of every partition of `topic`, byte for
 * byte at the same offsets; returns the mirror's batches, per partition.
 */
export async function sameBatches(source: BatchSource, mirror: KafkaConnection, topic: string, partitions: number): Promise<Buffer[][]> {
  const all: Buffer[][] = [];
  for (let p = 0; p < partitions; p++) {
    const want = source instanceof KafkaConnection ? await fetchBatches(source, topic, p) : await source.batches(topic, p);
    const got = await fetchBatches(mirror, topic, p);
    assert.equal(baseOffsets(got), baseOffsets(want), `${topic}-${p}: batch offsets`);
    got.forEach((b, i) => assert.ok(b.equals(want[i]!), `${topic}-${p}: batch at ${baseOffsets(want)[i]} differs`));
    all.push(got);
  }
  return all;
}

/** The bytes of a partition's segment files, in offset order, with their names. */
export async function segmentFiles(dataDir: string, topic: string, partition: number): Promise<{ name: string; bytes: Buffer }[]> {
  const dir = join(dataDir, `${topic}-${partition}`);
  const names = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
  return Promise.all(names.map(async (name) => ({ name, bytes: await readFile(join(dir, name)) })));
}

/** Base offsets of the batches, to show where two copies differ. */
export function baseOffsets(batches: Buffer[]): number[] {
  return batches.map((b) => new BatchHeader(b, 0).baseOffset);
}
