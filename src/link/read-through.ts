// Reads of a mirror's records below its local log start (deleted here by local.retention.*),
// served from the source through the link, byte for byte as the source has them: one sessionless
// Fetch of the source partition's leader per chunk, on a connection of its own (a mirror's long
// polls do not hold it up). Readers that want the same chunk at once share one fetch; fetched
// chunks stay in a cache bounded in bytes (in memory, and on disk when configured: a chunk leaving
// memory goes there); the chunks after the one read are fetched ahead for a reader going through
// in order. A read that the source does not answer within
// remote.fetch.max.wait.ms returns nothing yet (the client asks again and finds the chunk cached);
// a source that cannot be reached gives KAFKA_STORAGE_ERROR, which clients retry without
// resetting their position.
import { LRUCache } from 'lru-cache';
import { errorName } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { BatchHeader, iterateBatches } from '../../protocol/records/batch.js';
import type { RemoteReader, RemoteReadResult } from '../log/partition-log.js';
import type { AbortedTransaction } from '../log/transaction-index.js';
import { DiskChunks } from './disk-chunks.js';
import type { MirrorPartition } from './mirror-partition.js';
import { READ_COMMITTED, type SourceEndpoint } from './source-endpoint.js';

/** Fetch by topic name up to v12; by id from v13, when the source topic's id is known. */
const LAST_FETCH_BY_NAME = 12;
const SESSIONLESS_EPOCH = -1;

export interface ReadThroughOptions {
  /** bytes asked of the source per chunk */
  chunkBytes: number;
  /** bytes of chunks kept in memory */
  cacheBytes: number;
  /** where chunks leaving memory are kept, and how many bytes of them (null: nowhere) */
  disk: { dir: string; bytes: number } | null;
  /** how long a read waits for the source before answering with nothing yet */
  maxWaitMs: number;
}

interface Chunk {
  /** the offset of the first batch's first record */
  firstOffset: number;
  /** one past the last batch's last offset */
  nextOffset: number;
  buf: Buffer;
  aborted: AbortedTransaction[];
}

/** What read-through has done, for status and metrics. */
export interface ReadThroughStats {
  sourceFetches: number;
  sourceBytes: number;
  hits: number;
  misses: number;
  bytesServed: number;
  /** bytes of chunks in the cache now: in memory, and on disk */
  cachedBytes: number;
  diskCachedBytes: number;
  /** reads served from chunks read back from disk */
  diskHits: number;
  /** how long the source took to answer a chunk's fetch, over the last fetches (-1: none yet) */
  sourceFetchMs: { p50: number; p99: number };
}

/** Connections to each source broker that read-through fetches are spread over, by partition. */
const READ_THROUGH_CONNECTIONS = 4;
/** Chunks fetched ahead of a reader going through in order. */
const READ_AHEAD_CHUNKS = 3;
/** The source fetches whose times the latency percentiles are taken over. */
const LATENCY_SAMPLES = 256;

/** The share of reads below a local log start served from the cache (0 before any). */
export function hitRatio(s: { hits: number; misses: number }): number {
  return s.hits + s.misses === 0 ? 0 : s.hits / (s.hits + s.misses);
}

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? -1 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export class ReadThrough {
  private readonly cache: LRUCache<string, Chunk>;
  /** per partition, the cached chunks' keys, to find the one covering an offset */
  private readonly byPartition = new Map<string, Set<string>>();
  /** per partition, the chunks being fetched, by the offset they are fetched from */
  private readonly inflight = new Map<string, Map<number, Promise<Chunk>>>();
  private readonly stats = { sourceFetches: 0, sourceBytes: 0, hits: 0, misses: 0, bytesServed: 0, diskHits: 0 };
  private readonly disk: DiskChunks | null;
  /** the last source fetches' times in ms, a ring of LATENCY_SAMPLES */
  private readonly latencies: number[] = [];
  private nextLatency = 0;

  constructor(private readonly source: () => SourceEndpoint, private readonly opts: ReadThroughOptions) {
    this.cache = new LRUCache<string, Chunk>({
      maxSize: opts.cacheBytes,
      sizeCalculation: (c) => Math.max(1, c.buf.length),
      dispose: (c, key, reason) => {
        const part = key.slice(0, key.lastIndexOf('@'));
        this.byPartition.get(part)?.delete(key);
        if (reason === 'evict') void this.disk?.put(key, part, c);
      },
    });
    this.disk = opts.disk && opts.disk.bytes > 0 ? new DiskChunks(opts.disk.dir, opts.disk.bytes) : null;
  }

  /** Drops every chunk kept (the disk's too). */
  close(): Promise<void> {
    this.cache.clear();
    return this.disk?.close() ?? Promise.resolve();
  }

  describe(): ReadThroughStats {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return { ...this.stats, cachedBytes: this.cache.calculatedSize, diskCachedBytes: this.disk?.bytes ?? 0, sourceFetchMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) } };
  }

  /**
   * The reader a mirror partition's log gets for what it no longer holds. Without `wait`, a chunk
   * not here yet is asked for and the read answered at once with nothing (pending).
   */
  reader(p: MirrorPartition): RemoteReader {
    return (fetchOffset, maxBytes, opts) => this.read(p, fetchOffset, maxBytes, opts);
  }

  private async read(p: MirrorPartition, fetchOffset: number, maxBytes: number, opts: { minOneBatch: boolean; upTo: number; wait: boolean }): Promise<RemoteReadResult> {
    let chunk = this.cached(p, fetchOffset);
    if (chunk) {
      this.stats.hits++;
    } else {
      this.stats.misses++;
      const loading = this.chunkAt(p, fetchOffset);
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        loading.then((c) => ({ c }), (e: Error) => ({ e })),
        new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), opts.wait ? this.opts.maxWaitMs : 0))),
      ]);
      clearTimeout(timer);
      // Not there in time: nothing yet, and the chunk goes on loading for the next ask.
      if (waited === null) return { ok: true, chunks: [], bytes: 0, abortedTransactions: [], pending: true };
      if ('e' in waited) return { ok: false, error: 'KAFKA_STORAGE_ERROR', reason: `reading offset ${fetchOffset} of ${p.topic}-${p.partition} from the source: ${waited.e.message}` };
      chunk = waited.c;
    }
    // The read goes on into the chunks after this one that are here already.
    const chunks = [chunk];
    for (let c: Chunk | undefined = chunk, room = maxBytes - chunk.buf.length; room > 0 && c.nextOffset < opts.upTo; ) {
      c = this.cachedAt(p, c.nextOffset);
      if (!c) break;
      chunks.push(c);
      room -= c.buf.length;
    }
    // Going through in order: the chunks after these are fetched while these are read.
    this.readAhead(p, chunks[chunks.length - 1]!, READ_AHEAD_CHUNKS, opts.upTo);
    const served = slice(chunks, fetchOffset, maxBytes, opts);
    this.stats.bytesServed += served.bytes;
    return served;
  }

  /** Makes sure the `depth` chunks after `c` are here or on their way. */
  private readAhead(p: MirrorPartition, c: Chunk, depth: number, upTo: number): void {
    if (depth === 0 || c.nextOffset >= upTo || c.nextOffset <= c.firstOffset) return;
    const next = this.cachedAt(p, c.nextOffset);
    if (next) return this.readAhead(p, next, depth - 1, upTo);
    this.load(p, c.nextOffset).then((n) => n.buf.length > 0 && this.readAhead(p, n, depth - 1, upTo), () => undefined);
  }

  private cached(p: MirrorPartition, offset: number): Chunk | undefined {
    for (const key of this.byPartition.get(p.key) ?? []) {
      const c = this.cache.get(key);
      if (c && c.firstOffset <= offset && offset < c.nextOffset) return c;
    }
    return undefined;
  }

  /** The cached chunk fetched from exactly `offset` (the one after a chunk ending there). */
  private cachedAt(p: MirrorPartition, offset: number): Chunk | undefined {
    return this.cache.get(`${p.key}@${offset}`);
  }

  /**
   * The chunk holding `offset`: one on its way that starts at or before it is waited for first
   * (readers a little apart then share it), else it is fetched from `offset`.
   */
  private async chunkAt(p: MirrorPartition, offset: number): Promise<Chunk> {
    const before = [...(this.inflight.get(p.key) ?? [])].filter(([from]) => from <= offset).sort(([a], [b]) => b - a)[0];
    if (before) {
      const c = await before[1].catch(() => null);
      if (c && c.firstOffset <= offset && offset < c.nextOffset) return c;
      const now = this.cached(p, offset);
      if (now) return now;
    }
    return this.load(p, offset);
  }

  private remember(p: MirrorPartition, key: string, c: Chunk): void {
    this.cache.set(key, c);
    let keys = this.byPartition.get(p.key);
    if (!keys) this.byPartition.set(p.key, (keys = new Set()));
    keys.add(key);
  }

  /** The chunk from `offset` (or the one on disk holding it), fetched once however many readers want it. */
  private load(p: MirrorPartition, offset: number): Promise<Chunk> {
    const key = `${p.key}@${offset}`;
    const cached = this.cache.get(key);
    if (cached) return Promise.resolve(cached);
    let loads = this.inflight.get(p.key);
    if (!loads) this.inflight.set(p.key, (loads = new Map()));
    let loading = loads.get(offset);
    if (!loading) {
      loading = (async () => {
        const fromDisk = await this.disk?.find(p.key, offset);
        if (fromDisk) {
          this.stats.diskHits++;
          this.remember(p, fromDisk.key, fromDisk.chunk);
          return fromDisk.chunk;
        }
        const c = await this.fetch(p, offset);
        if (c.buf.length > 0) this.remember(p, key, c);
        return c;
      })();
      const all = loads;
      const done = loading.finally(() => {
        all.delete(offset);
        if (all.size === 0 && this.inflight.get(p.key) === all) this.inflight.delete(p.key);
      });
      done.catch(() => undefined);
      loads.set(offset, loading);
    }
    return loading;
  }

  private async fetch(p: MirrorPartition, offset: number): Promise<Chunk> {
    if (p.leaderId < 0) throw new Error(`the source partition has no leader known here${p.problem ? ` (${p.problem})` : ''}`);
    const byName = p.sourceTopicId === ZERO_UUID;
    this.stats.sourceFetches++;
    const started = performance.now();
    const { body } = await this.source().fetch(p.leaderId, {
      build: () => ({
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: this.opts.chunkBytes,
        isolationLevel: READ_COMMITTED,
        sessionId: 0,
        sessionEpoch: SESSIONLESS_EPOCH,
        topics: [{ topic: p.sourceTopic, topicId: p.sourceTopicId, partitions: [{ partition: p.partition, currentLeaderEpoch: p.leaderEpoch, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: this.opts.chunkBytes }] }],
        forgottenTopicsData: [],
        rackId: '',
      }),
      maxWaitMs: 0,
      maxVersion: byName ? LAST_FETCH_BY_NAME : undefined,
      // A broker answers a connection's requests one at a time: partitions spread over a few.
      lane: `read-through ${p.partition % READ_THROUGH_CONNECTIONS}`,
    });
    this.latencies[this.nextLatency] = Math.round(performance.now() - started);
    this.nextLatency = (this.nextLatency + 1) % LATENCY_SAMPLES;
    if (body.errorCode) throw new Error(`Fetch: ${errorName(body.errorCode)}`);
    const d = body.responses[0]?.partitions[0];
    if (!d) throw new Error('Fetch: no answer for the partition');
    if (d.errorCode !== 0) throw new Error(`Fetch: ${errorName(d.errorCode)}`);
    const buf = d.records ?? Buffer.alloc(0);
    this.stats.sourceBytes += buf.length;
    let firstOffset = offset;
    let nextOffset = offset;
    let end = 0;
    // Whole batches only: a fetch may end with part of one.
    for (const b of iterateBatches(buf)) {
      const h = new BatchHeader(buf, b.pos);
      if (end === 0) firstOffset = h.baseOffset;
      nextOffset = h.lastOffset + 1;
      end = b.pos + b.size;
    }
    const aborted = (d.abortedTransactions ?? []).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
    return { firstOffset, nextOffset, buf: buf.subarray(0, end), aborted };
  }
}

/**
 * The part of consecutive chunks a read gets: from the batch holding `from`, within maxBytes,
 * below upTo (the first batch whatever its size with minOneBatch). No bytes are copied.
 */
function slice(chunks: Chunk[], from: number, maxBytes: number, opts: { minOneBatch: boolean; upTo: number }): Extract<RemoteReadResult, { ok: true }> {
  const out: Buffer[] = [];
  const aborted: AbortedTransaction[] = [];
  let total = 0;
  let minOne = opts.minOneBatch;
  for (const c of chunks) {
    let start = -1;
    let end = -1;
    let full = false;
    for (const b of iterateBatches(c.buf)) {
      const h = new BatchHeader(c.buf, b.pos);
      if (h.lastOffset < from) continue;
      if (h.baseOffset >= opts.upTo || (total + b.size > maxBytes && !minOne)) {
        full = true;
        break;
      }
      if (start < 0) start = b.pos;
      end = b.pos + b.size;
      total += b.size;
      minOne = false;
    }
    if (start >= 0) {
      out.push(c.buf.subarray(start, end));
      // Each chunk lists the aborted transactions its range overlaps: one spanning two is listed once.
      for (const a of c.aborted) if (!aborted.some((x) => x.producerId === a.producerId && x.firstOffset === a.firstOffset)) aborted.push(a);
    }
    if (full) break;
  }
  return { ok: true, chunks: out, bytes: total, abortedTransactions: aborted };
}
