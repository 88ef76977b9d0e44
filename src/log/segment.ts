// One segment of a partition log: `<base offset>.log` holding record batches exactly as they were
// appended, with its sparse `.index` and `.timeindex`, and a `.txnindex` of the transactions its
// markers aborted when there are any. Only the segment's end is ever written. The active
// segment's indexes live in memory and reach disk when it rolls or the log closes; closed
// segments' indexes are read from their files on first use and kept in a bounded cache.
import { open, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import {
  BATCH_HEADER_SIZE, BatchHeader, CURRENT_MAGIC, LOG_OVERHEAD, MAGIC_OFFSET, MIN_LENGTH_ANY_MAGIC, batchSize, validateBatch,
} from '../../protocol/records/batch.js';
import { syncDir, unlinkIfPresent, writeFileDurably } from './durable-file.js';
import type { FileHandleCache, SegmentFile } from './file-handles.js';
import { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, offsetFileName } from './file-names.js';
import { OFFSET_INDEX_ENTRY_SIZE, OffsetIndex } from './offset-index.js';
import { TIME_INDEX_ENTRY_SIZE, TimeIndex } from './time-index.js';
import { TransactionIndex, type AbortedTransaction, type AbortedTxn } from './transaction-index.js';

const INT32_MAX = 0x7fffffff;
/** Read size when walking a whole segment (recovery, index rebuilds). */
const SCAN_CHUNK = 1 << 20;

export interface SegmentIndexes {
  offsets: OffsetIndex;
  times: TimeIndex;
  txns: TransactionIndex;
}

/** Closed segments' indexes by .log path, bounded by the bytes they hold. */
export type IndexCache = LRUCache<string, SegmentIndexes>;

export function createIndexCache(maxBytes: number): IndexCache {
  return new LRUCache<string, SegmentIndexes>({
    maxSize: maxBytes,
    sizeCalculation: (v) => Math.max(1, v.offsets.byteSize + v.times.byteSize + v.txns.byteSize),
  });
}

/** What the indexes need to know of each appended batch. */
export interface AppendedBatch {
  lastOffset: number;
  maxTimestamp: number;
  size: number;
}

/** A batch met by walk(): it starts at file position `pos`, and at `at` in `buf`. */
export interface BatchAt {
  pos: number;
  size: number;
  buf: Buffer;
  at: number;
}

/** Where walk() stopped: at the end, before a batch running past the end, or at bytes that are no batch. */
export interface WalkStop {
  pos: number;
  stop: 'end' | 'partial' | 'corrupt';
}

export interface ScanResult {
  /** The end of the last good batch; the file was cut there if anything followed. */
  validEnd: number;
  /** The offset after the last good batch (the segment's base offset if it has none). */
  nextOffset: number;
  /** Why the scan stopped before the end of the file, or null. */
  problem: string | null;
}

/** What appends and scans keep up to date, swapped whole when a scan rebuilds it. */
interface SegmentState {
  /** Bytes of whole, written batches; reads never go past it. */
  size: number;
  /** Largest batch max timestamp so far (-1 for none), and the last offset of that batch. */
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  /** Max timestamp of the segment's first batch, which segment.ms counts from (Kafka's rollingBasedTimestamp). */
  rollingTimestamp: number | null;
  bytesSinceIndexEntry: number;
}

const emptyState = (baseOffset: number): SegmentState => ({
  size: 0, maxTimestamp: -1, offsetOfMaxTimestamp: baseOffset, rollingTimestamp: null, bytesSinceIndexEntry: 0,
});

const emptyIndexes = (baseOffset: number): SegmentIndexes => ({ offsets: new OffsetIndex(baseOffset), times: new TimeIndex(baseOffset), txns: new TransactionIndex(baseOffset) });

/** Kafka's per-batch index upkeep: an entry for the first batch after index.interval.bytes. */
function track(state: SegmentState, idx: SegmentIndexes, b: AppendedBatch, indexIntervalBytes: number): void {
  if (state.rollingTimestamp === null) state.rollingTimestamp = b.maxTimestamp;
  if (b.maxTimestamp > state.maxTimestamp) {
    state.maxTimestamp = b.maxTimestamp;
    state.offsetOfMaxTimestamp = b.lastOffset;
  }
  if (state.bytesSinceIndexEntry > indexIntervalBytes) {
    idx.offsets.append(b.lastOffset, state.size);
    idx.times.maybeAppend(state.maxTimestamp, state.offsetOfMaxTimestamp);
    state.bytesSinceIndexEntry = 0;
  }
  state.size += b.size;
  state.bytesSinceIndexEntry += b.size;
}

export class LogSegment {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  readonly txnIndexPath: string;
  /** When this process first saw the segment: segment.ms's fallback for batches without timestamps. */
  readonly created: number;
  /** Last write, for retention.ms of a segment with no timestamps. */
  lastModified: number;
  private state: SegmentState;
  private resident: SegmentIndexes | null = null;
  /** A .txnindex with entries is on disk. */
  private txnFile = false;
  /** Set when a cleaned copy replaces this segment's file: settles once the copy is in the log's list. */
  private retired: Promise<void> | null = null;

  private constructor(
    dir: string,
    readonly baseOffset: number,
    private readonly files: FileHandleCache,
    private readonly indexCache: IndexCache,
    now: number,
  ) {
    this.logPath = join(dir, offsetFileName(baseOffset, LOG_SUFFIX));
    this.indexPath = join(dir, offsetFileName(baseOffset, INDEX_SUFFIX));
    this.timeIndexPath = join(dir, offsetFileName(baseOffset, TIME_INDEX_SUFFIX));
    this.txnIndexPath = join(dir, offsetFileName(baseOffset, TXN_INDEX_SUFFIX));
    this.state = emptyState(baseOffset);
    this.created = now;
    this.lastModified = now;
  }

  get size(): number {
    return this.state.size;
  }

  get maxTimestamp(): number {
    return this.state.maxTimestamp;
  }

  get offsetOfMaxTimestamp(): number {
    return this.state.offsetOfMaxTimestamp;
  }

  get rollingTimestamp(): number | null {
    return this.state.rollingTimestamp;
  }

  /** A new, empty segment (replacing any files left at that offset), made durable in its directory. */
  static async create(dir: string, baseOffset: number, files: FileHandleCache, indexCache: IndexCache, now: number): Promise<LogSegment> {
    const seg = new LogSegment(dir, baseOffset, files, indexCache, now);
    await Promise.all([unlinkIfPresent(seg.indexPath), unlinkIfPresent(seg.timeIndexPath), unlinkIfPresent(seg.txnIndexPath)]);
    await writeFile(seg.logPath, '');
    await syncDir(dir);
    seg.resident = emptyIndexes(baseOffset);
    return seg;
  }

  /** An existing segment, known by its size and modification time until more is asked of it. */
  static async open(dir: string, baseOffset: number, files: FileHandleCache, indexCache: IndexCache, now: number): Promise<LogSegment> {
    const seg = new LogSegment(dir, baseOffset, files, indexCache, now);
    const st = await stat(seg.logPath);
    seg.state.size = st.size;
    seg.lastModified = st.mtimeMs;
    return seg;
  }

  /**
   * Cheap checks of a closed segment's index files at start-up (present, whole entries, the last
   * offset entry inside the log) and its largest timestamp from the time index's last entry.
   * Returns what is wrong, or null; the entries themselves are checked when first loaded.
   */
  async loadSummary(): Promise<string | null> {
    const [offsets, times] = await Promise.all([readTail(this.indexPath, OFFSET_INDEX_ENTRY_SIZE), readTail(this.timeIndexPath, TIME_INDEX_ENTRY_SIZE)]);
    if (!offsets) return `${this.indexPath} is missing or holds a partial entry`;
    if (!times) return `${this.timeIndexPath} is missing or holds a partial entry`;
    if (offsets.length > 0) {
      const last = new OffsetIndex(this.baseOffset, offsets).last();
      if (last.position >= this.size || last.offset < this.baseOffset) return `${this.indexPath} points past its log`;
    }
    if (times.length > 0) {
      const last = new TimeIndex(this.baseOffset, times).last();
      if (last.offset < this.baseOffset) return `${this.timeIndexPath} holds an offset below its segment`;
      this.state.maxTimestamp = last.timestamp;
      this.state.offsetOfMaxTimestamp = last.offset;
    }
    return null;
  }

  /**
   * Checks the .txnindex at start-up, for a segment that has the file: one that is not a valid
   * index of this segment is deleted and what is wrong returned, for the caller to rebuild it.
   */
  async checkTxnIndex(): Promise<string | null> {
    const bytes = await readIfPresent(this.txnIndexPath);
    if (bytes === null) return null;
    const problem = TransactionIndex.check(bytes, this.baseOffset);
    if (problem !== null || bytes.length === 0) await unlinkIfPresent(this.txnIndexPath);
    this.txnFile = problem === null && bytes.length > 0;
    return problem && `${this.txnIndexPath}: ${problem}`;
  }

  /** The segment's indexes: in memory for the active segment, else from the cache or the files. */
  async indexes(indexIntervalBytes: number): Promise<SegmentIndexes> {
    await this.notRetired();
    if (this.resident) return this.resident;
    const cached = this.indexCache.get(this.logPath);
    if (cached) return cached;
    const loaded = await this.loadIndexes(indexIntervalBytes);
    if (!this.resident) this.indexCache.set(this.logPath, loaded);
    return loaded;
  }

  /** Keeps the indexes in memory, as the active segment's, so appends can extend them. */
  async makeActive(indexIntervalBytes: number): Promise<void> {
    this.resident = await this.indexes(indexIntervalBytes);
    this.indexCache.delete(this.logPath);
  }

  /**
   * For a segment reopened after a clean shutdown: finds its end offset and the state appends
   * need. Returns null, for the caller to recover the segment instead, when what follows the last
   * index entry is not whole valid batches at increasing offsets (the file changed while outpost
   * was down): checking those few bytes is cheap, and serving or appending after them is not.
   */
  async loadActiveTail(): Promise<{ nextOffset: number } | null> {
    const idx = this.resident!;
    const last = idx.offsets.last();
    let nextOffset = this.baseOffset;
    const it = this.walk(last.position, this.size, { whole: true, chunk: 64 * 1024 });
    for (let first = true; ; first = false) {
      const r = await it.next();
      if (r.done) {
        if (r.value.stop !== 'end') return null;
        break;
      }
      const { buf, at, size } = r.value;
      const h = new BatchHeader(buf, at);
      if (!validateBatch(buf, at, at + size).ok || (!first && h.baseOffset < nextOffset)) return null;
      if (h.maxTimestamp > this.state.maxTimestamp) {
        this.state.maxTimestamp = h.maxTimestamp;
        this.state.offsetOfMaxTimestamp = h.lastOffset;
      }
      nextOffset = h.nextOffset;
    }
    this.state.bytesSinceIndexEntry = this.size - last.position;
    if (this.size > 0) {
      const first = await this.read(0, BATCH_HEADER_SIZE);
      this.state.rollingTimestamp = new BatchHeader(first).maxTimestamp;
    }
    return { nextOffset };
  }

  /** Indexes a transaction aborted by a marker just appended to this, the active segment. */
  addAbortedTxn(txn: AbortedTxn): void {
    this.resident!.txns.append(txn);
  }

  /**
   * Adds aborted transactions found by replaying the log (see TransactionIndex.merge). A closed
   * segment's file is rewritten at once; the active segment's waits for the segment to be sealed.
   */
  async mergeAbortedTxns(txns: readonly AbortedTxn[], indexIntervalBytes: number): Promise<void> {
    const idx = await this.indexes(indexIntervalBytes);
    if (!idx.txns.merge(txns) || this.resident) return;
    await this.writeTxns(idx.txns);
    this.indexCache.set(this.logPath, idx);
  }

  /**
   * Drops the aborted transactions whose markers are at or after `offset` from this (active)
   * segment's index, on disk at once too: an entry left in the file could otherwise outlive a
   * crash and be taken for one of the different batches later written at its offsets.
   */
  async truncateTxnsTo(offset: number): Promise<void> {
    const txns = this.resident!.txns;
    if (txns.truncateTo(offset)) await this.writeTxns(txns);
  }

  /**
   * Whether the segment's markers aborted any transaction, known without reading anything: most
   * segments have none, and a search for aborted transactions passes them over.
   */
  get hasAbortedTxns(): boolean {
    return this.resident ? this.resident.txns.entries > 0 : this.txnFile;
  }

  /** Every aborted transaction this segment's index lists. */
  async abortedTxnEntries(indexIntervalBytes: number): Promise<AbortedTxn[]> {
    const txns = (await this.indexes(indexIntervalBytes)).txns;
    return Array.from({ length: txns.entries }, (_, i) => txns.at(i));
  }

  /** Kafka's search of this segment's aborted transactions (TransactionIndex.collect). */
  async collectAbortedTxns(fetchOffset: number, upperBound: number, out: AbortedTransaction[], indexIntervalBytes: number): Promise<boolean> {
    return (await this.indexes(indexIntervalBytes)).txns.collect(fetchOffset, upperBound, out);
  }

  /** Writes batches at the segment's end, then indexes them; the caller serializes appends. */
  async append(buffers: Buffer[], batches: readonly AppendedBatch[], indexIntervalBytes: number, now: number): Promise<void> {
    const total = buffers.reduce((n, b) => n + b.length, 0);
    await this.files.use(this.logPath, (fh) => writeAll(fh, buffers, total, this.size));
    for (const b of batches) track(this.state, this.resident!, b, indexIntervalBytes);
    this.lastModified = now;
  }

  /** Whether either index holds as many entries as segment.index.bytes allows. */
  indexFull(segmentIndexBytes: number): boolean {
    const idx = this.resident!;
    return idx.offsets.entries >= Math.floor(segmentIndexBytes / OFFSET_INDEX_ENTRY_SIZE) || idx.times.entries >= Math.floor(segmentIndexBytes / TIME_INDEX_ENTRY_SIZE);
  }

  /** Up to `length` bytes from `position`; fewer if the file ends first. */
  async read(position: number, length: number): Promise<Buffer> {
    await this.notRetired();
    const buf = Buffer.allocUnsafe(length);
    let n = 0;
    await this.files.use(this.logPath, async (fh) => {
      while (n < length) {
        const { bytesRead } = await fh.read(buf, n, length - n, position + n);
        if (bytesRead === 0) break;
        n += bytesRead;
      }
    });
    return n < length ? buf.subarray(0, n) : buf;
  }

  /**
   * The batches in [from, end), by their framing, reading `chunk` bytes at a time: each yielded
   * batch has at least its header in `buf` (the whole batch with `whole`). Stops at a batch that
   * runs past `end` or whose length or magic cannot be a v2 batch.
   */
  async *walk(from: number, end: number, opts: { whole: boolean; chunk: number }): AsyncGenerator<BatchAt, WalkStop, undefined> {
    let buf: Buffer = Buffer.alloc(0);
    let bufPos = from;
    let pos = from;
    while (pos < end) {
      const remaining = end - pos;
      // Too short for any v2 batch: a torn write, or garbage; either way nothing more to read.
      if (remaining < BATCH_HEADER_SIZE) return { pos, stop: 'partial' };
      if (pos + BATCH_HEADER_SIZE > bufPos + buf.length) {
        buf = await this.read(pos, Math.min(opts.chunk, remaining));
        bufPos = pos;
        if (buf.length < BATCH_HEADER_SIZE) return { pos, stop: 'partial' };
      }
      let at = pos - bufPos;
      const size = batchSize(buf, at);
      if (size < LOG_OVERHEAD + MIN_LENGTH_ANY_MAGIC || size < BATCH_HEADER_SIZE || buf.readInt8(at + MAGIC_OFFSET) !== CURRENT_MAGIC) {
        return { pos, stop: 'corrupt' };
      }
      if (size > remaining) return { pos, stop: 'partial' };
      if (opts.whole && at + size > buf.length) {
        buf = await this.read(pos, Math.min(Math.max(opts.chunk, size), remaining));
        bufPos = pos;
        at = 0;
        if (buf.length < size) return { pos, stop: 'partial' };
      }
      yield { pos, size, buf, at };
      pos += size;
    }
    return { pos, stop: 'end' };
  }

  /**
   * Walks the whole file and rebuilds the indexes, timestamps and end offset from it, keeping the
   * batches up to the first bad one and cutting the file there. With `validate` (recovery of the
   * active segment after an unclean shutdown) each batch's CRC and framing is checked; offsets
   * must always increase and fit the index's relative form. `onBatch` sees every good batch.
   */
  async scan(opts: { validate: boolean; indexIntervalBytes: number; onBatch?: (h: BatchHeader) => void }): Promise<ScanResult> {
    const fileSize = (await stat(this.logPath)).size;
    const state = emptyState(this.baseOffset);
    // The transaction index is not derived from this segment alone (a transaction can start in an
    // earlier one): it is kept, and the log's replay of producer state completes it.
    const txns = this.resident?.txns ?? this.indexCache.get(this.logPath)?.txns ?? (await this.readTxns());
    const idx: SegmentIndexes = { offsets: new OffsetIndex(this.baseOffset), times: new TimeIndex(this.baseOffset), txns };
    let nextOffset = this.baseOffset;
    let problem: string | null = null;
    const it = this.walk(0, fileSize, { whole: opts.validate, chunk: SCAN_CHUNK });
    for (;;) {
      const r = await it.next();
      if (r.done) {
        if (r.value.stop !== 'end') problem = `${r.value.stop} batch at position ${r.value.pos}`;
        break;
      }
      const { buf, at, pos, size } = r.value;
      if (opts.validate) {
        const v = validateBatch(buf, at, at + size);
        if (!v.ok) {
          problem = `batch at position ${pos}: ${v.reason}`;
          break;
        }
      }
      const h = new BatchHeader(buf, at);
      if (h.baseOffset < nextOffset || h.lastOffsetDelta < 0 || h.lastOffset - this.baseOffset > INT32_MAX) {
        problem = `batch at position ${pos} has offsets [${h.baseOffset}, ${h.lastOffset}] out of order after ${nextOffset}`;
        break;
      }
      track(state, idx, { lastOffset: h.lastOffset, maxTimestamp: h.maxTimestamp, size }, opts.indexIntervalBytes);
      opts.onBatch?.(h);
      nextOffset = h.nextOffset;
    }
    if (state.size < fileSize) await truncate(this.logPath, state.size);
    this.state = state;
    this.resident = idx;
    this.indexCache.delete(this.logPath);
    return { validEnd: state.size, nextOffset, problem };
  }

  /**
   * Position of the first batch whose last offset is at or after `offset` (where a truncation to
   * `offset` cuts), or the segment's size if there is none.
   */
  async positionOf(offset: number, indexIntervalBytes: number): Promise<number> {
    const start = (await this.indexes(indexIntervalBytes)).offsets.lookup(offset).position;
    for await (const b of this.walk(start, this.size, { whole: false, chunk: 64 * 1024 })) {
      if (new BatchHeader(b.buf, b.at).lastOffset >= offset) return b.pos;
    }
    return this.size;
  }

  /** Cuts the file at `position` and rebuilds the in-memory state from what remains. */
  async truncateAt(position: number, indexIntervalBytes: number): Promise<ScanResult> {
    await truncate(this.logPath, position);
    return this.scan({ validate: false, indexIntervalBytes });
  }

  /** fsync of the log file's data. */
  sync(): Promise<void> {
    return this.files.use(this.logPath, (fh) => fh.datasync());
  }

  /**
   * Makes the segment durable as a closed segment, on roll or close: the time index gets the
   * largest timestamp as its last entry, the indexes are written out, the log is fsynced.
   */
  async seal(): Promise<void> {
    const idx = this.resident;
    if (idx) {
      if (this.maxTimestamp >= 0) idx.times.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      await Promise.all([
        writeFileDurably(this.indexPath, idx.offsets.toBuffer()), writeFileDurably(this.timeIndexPath, idx.times.toBuffer()), this.writeTxns(idx.txns),
      ]);
    }
    await this.sync();
  }

  /** After a roll: the indexes move from memory to the cache, where they can be evicted. */
  deactivate(): void {
    if (this.resident) this.indexCache.set(this.logPath, this.resident);
    this.resident = null;
  }

  /** Drops what the shared caches hold for this segment, whose path a later segment may reuse. */
  release(): void {
    this.files.forget(this.logPath);
    this.indexCache.delete(this.logPath);
  }

  /**
   * This segment's file is about to be replaced by a cleaned copy at the same path, which becomes
   * a segment object of its own: from now on this one reads nothing (a read in progress on its
   * open file finishes), and callers are sent, once `swapped` settles, to start over as after a
   * deletion (ENOENT), finding the new segment in the log's list. Null: the swap failed, and the
   * segment serves again.
   */
  retire(swapped: Promise<void> | null): void {
    this.retired = swapped;
  }

  /** The cleaned copy of a segment carries its transaction index on (compaction keeps transactional batches). */
  inheritTxnIndex(from: LogSegment): void {
    this.txnFile = from.txnFile;
  }

  private async notRetired(): Promise<void> {
    if (!this.retired) return;
    await this.retired;
    throw Object.assign(new Error(`${this.logPath} was replaced by its cleaned copy`), { code: 'ENOENT' });
  }

  async delete(): Promise<void> {
    this.release();
    await Promise.all([unlinkIfPresent(this.logPath), unlinkIfPresent(this.indexPath), unlinkIfPresent(this.timeIndexPath), unlinkIfPresent(this.txnIndexPath)]);
  }

  /**
   * Reads the index files, rebuilding the offset and time indexes by a walk of the log if either is
   * not a valid index of it. The transaction index was checked at start-up (checkTxnIndex).
   */
  private async loadIndexes(indexIntervalBytes: number): Promise<SegmentIndexes> {
    const [offsets, times, txns] = await Promise.all([readIfPresent(this.indexPath), readIfPresent(this.timeIndexPath), this.readTxns()]);
    const problem =
      offsets === null || times === null ? 'missing' : OffsetIndex.check(offsets, this.baseOffset, this.size) ?? TimeIndex.check(times, this.baseOffset);
    if (problem === null) return { offsets: new OffsetIndex(this.baseOffset, offsets!), times: new TimeIndex(this.baseOffset, times!), txns };
    return this.rebuildIndexes(indexIntervalBytes);
  }

  /** The transaction index as its file holds it; empty when there is no file. */
  private async readTxns(): Promise<TransactionIndex> {
    if (!this.txnFile) return new TransactionIndex(this.baseOffset);
    const bytes = (await readIfPresent(this.txnIndexPath)) ?? Buffer.alloc(0);
    const problem = TransactionIndex.check(bytes, this.baseOffset);
    if (problem) throw new Error(`${this.txnIndexPath}: ${problem}`);
    return new TransactionIndex(this.baseOffset, bytes);
  }

  /** Kafka keeps no .txnindex for a segment without entries, nor does outpost. */
  private async writeTxns(txns: TransactionIndex): Promise<void> {
    if (txns.entries > 0) await writeFileDurably(this.txnIndexPath, txns.toBuffer());
    else if (this.txnFile) await unlinkIfPresent(this.txnIndexPath);
    this.txnFile = txns.entries > 0;
  }

  /** A closed segment's indexes rebuilt from its log and written back. */
  async rebuildIndexes(indexIntervalBytes: number): Promise<SegmentIndexes> {
    await this.scan({ validate: false, indexIntervalBytes });
    const rebuilt = this.resident!;
    this.resident = null;
    if (this.maxTimestamp >= 0) rebuilt.times.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    await Promise.all([writeFileDurably(this.indexPath, rebuilt.offsets.toBuffer()), writeFileDurably(this.timeIndexPath, rebuilt.times.toBuffer())]);
    return rebuilt;
  }
}

async function writeAll(fh: SegmentFile, buffers: Buffer[], total: number, position: number): Promise<void> {
  let written = 0;
  let pending = buffers;
  while (written < total) {
    const { bytesWritten } = await fh.writev(pending, position + written);
    written += bytesWritten;
    if (written < total) pending = remainingAfter(buffers, written);
  }
}

function remainingAfter(buffers: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

async function readIfPresent(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** The last entry of an index file (empty if it has none), or null if it is missing or not whole entries. */
async function readTail(path: string, entrySize: number): Promise<Buffer | null> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  if (size % entrySize !== 0) return null;
  if (size === 0) return Buffer.alloc(0);
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(entrySize);
    const { bytesRead } = await fh.read(buf, 0, entrySize, size - entrySize);
    return bytesRead === entrySize ? buf : null;
  } finally {
    await fh.close();
  }
}

