// The segments of one partition's log on this broker's disk, as Kafka's LocalLog: the list of
// segments and the active one, rolling, truncating from the end, replacing everything, removing
// the oldest, and reading batches back (by offset, by timestamp, and the aborted transactions a
// read_committed read lists). It knows nothing of producers, epochs or offsets beyond what its
// segments hold: partition-log.ts keeps those, log-loader.ts builds this from the files.
import { BatchHeader, TimestampType, iterateBatches } from '../../protocol/records/batch.js';
import { readRecords } from '../../protocol/records/records.js';
import { access, rename, utimes } from 'node:fs/promises';
import { syncDir, unlinkIfPresent } from './durable-file.js';
import type { FileHandleCache } from './file-handles.js';
import { LogSegment, type AppendedBatch, type BatchAt, type IndexCache } from './segment.js';
import type { AbortedTransaction, AbortedTxn } from './transaction-index.js';

const INT32_MAX = 0x7fffffff;
const NO_TIMESTAMP = -1;

export interface TimestampAndOffset {
  timestamp: number;
  offset: number;
  /** The leader epoch of the batch holding it, -1 if it has none. */
  leaderEpoch: number;
}

/** What a roll did with the active segment: an empty one is replaced, a written one sealed. */
export type RollOutcome = 'kept' | 'replaced' | 'sealed';

export class LocalLog {
  constructor(
    readonly dir: string,
    private segmentList: LogSegment[],
    private readonly files: FileHandleCache,
    private readonly indexCache: IndexCache,
  ) {}

  get segments(): readonly LogSegment[] {
    return this.segmentList;
  }

  get active(): LogSegment {
    return this.segmentList.at(-1)!;
  }

  /** Bytes in all segments. */
  get size(): number {
    return this.segmentList.reduce((n, s) => n + s.size, 0);
  }

  /** Writes batches at the active segment's end and indexes them. */
  append(buffers: Buffer[], batches: readonly AppendedBatch[], indexIntervalBytes: number, now: number): Promise<void> {
    return this.active.append(buffers, batches, indexIntervalBytes, now);
  }

  /**
   * Kafka's roll conditions for a batch about to be written after `pendingBytes` not yet written:
   * the segment would pass segment.bytes; its first batch's timestamp is more than segment.ms
   * older than this batch's (or, without timestamps, the segment is that old); an index is full;
   * or the batch's offsets would not fit the index's 32-bit relative form.
   */
  shouldRoll(
    b: { size: number; lastOffset: number; maxTimestamp: number },
    pending: { bytes: number; firstTimestamp: number | null },
    cfg: { segmentBytes: number; segmentMs: number; segmentIndexBytes: number },
    now: number,
  ): boolean {
    const seg = this.active;
    const size = seg.size + pending.bytes;
    const firstTimestamp = seg.rollingTimestamp ?? pending.firstTimestamp;
    const waited = firstTimestamp !== null && firstTimestamp >= 0 ? b.maxTimestamp - firstTimestamp : now - seg.created;
    return (
      (size > 0 && size + b.size > cfg.segmentBytes) ||
      (size > 0 && waited > cfg.segmentMs) ||
      seg.indexFull(cfg.segmentIndexBytes) ||
      b.lastOffset - seg.baseOffset > INT32_MAX
    );
  }

  /**
   * Starts a new active segment at `baseOffset`: the old one is sealed (indexes written,
   * fsynced), or replaced when it is empty.
   */
  async roll(baseOffset: number, now: number): Promise<RollOutcome> {
    const old = this.active;
    let kept = this.segmentList;
    let outcome: RollOutcome = 'sealed';
    if (old.size === 0) {
      if (old.baseOffset === baseOffset) return 'kept';
      kept = kept.slice(0, -1);
      await old.delete();
      outcome = 'replaced';
    } else {
      await old.seal();
      old.deactivate();
    }
    const seg = await LogSegment.create(this.dir, baseOffset, this.files, this.indexCache, now);
    this.segmentList = [...kept, seg];
    return outcome;
  }

  /**
   * Removes every batch whose last offset is at or after `offset` (which is at or above the first
   * segment's base), so the log ends there; the transaction index loses the markers cut.
   */
  async truncateTo(offset: number, indexIntervalBytes: number): Promise<void> {
    const keep = this.segmentList.filter((s) => s.baseOffset <= offset);
    const drop = this.segmentList.filter((s) => s.baseOffset > offset);
    const last = keep.at(-1)!;
    if (last !== this.active) await last.makeActive(indexIntervalBytes);
    await last.truncateAt(await last.positionOf(offset, indexIntervalBytes), indexIntervalBytes);
    await last.truncateTxnsTo(offset);
    await last.sync();
    this.segmentList = keep;
    for (const s of drop) await s.delete();
  }

  /** Deletes every segment and starts an empty one at `offset`. */
  async replaceAll(offset: number, now: number): Promise<void> {
    for (const seg of this.segmentList) await seg.delete();
    this.segmentList = [await LogSegment.create(this.dir, offset, this.files, this.indexCache, now)];
  }

  /**
   * The longest run of oldest segments satisfying `pred`, Kafka's way: only segments wholly below
   * `highWatermark`, and never an empty active segment.
   */
  deletable(highWatermark: number, logEndOffset: number, pred: (seg: LogSegment, next: LogSegment | undefined) => boolean): LogSegment[] {
    const out: LogSegment[] = [];
    for (let i = 0; i < this.segmentList.length; i++) {
      const seg = this.segmentList[i]!;
      const next = this.segmentList[i + 1];
      const upper = next ? next.baseOffset : logEndOffset;
      if ((!next && seg.size === 0) || upper > highWatermark || !pred(seg, next)) break;
      out.push(seg);
    }
    return out;
  }

  /** Drops the `count` oldest segments from the list (the caller deletes their files); the active one must not be among them. */
  removeOldest(count: number): LogSegment[] {
    const removed = this.segmentList.slice(0, count);
    this.segmentList = this.segmentList.slice(count);
    return removed;
  }

  /**
   * Puts the cleaned copy at `cleanedPath` in the place of the closed segment `old` (false, and the
   * copy deleted, when `old` is no longer one of the closed segments). Crash-safe at every step:
   * the old indexes go first, so a crash leaves either file without indexes, rebuilt at start;
   * the copy then replaces the log file in one rename. The copy keeps the old file's modification
   * time, which the tombstones' delete.retention.ms counts from.
   */
  async swapCleaned(old: LogSegment, cleanedPath: string, indexIntervalBytes: number, now: number): Promise<boolean> {
    const at = this.segmentList.indexOf(old);
    if (at < 0 || old === this.active) {
      await unlinkIfPresent(cleanedPath);
      return false;
    }
    await utimes(cleanedPath, old.lastModified / 1000, old.lastModified / 1000);
    await Promise.all([unlinkIfPresent(old.indexPath), unlinkIfPresent(old.timeIndexPath)]);
    await syncDir(this.dir);
    let swapped = () => {};
    old.retire(new Promise<void>((resolve) => (swapped = resolve)));
    try {
      await rename(cleanedPath, old.logPath);
      await syncDir(this.dir);
      old.release();
      const seg = await LogSegment.open(this.dir, old.baseOffset, this.files, this.indexCache, now);
      seg.inheritTxnIndex(old);
      this.indexCache.set(seg.logPath, await seg.rebuildIndexes(indexIntervalBytes));
      this.segmentList = this.segmentList.map((s) => (s === old ? seg : s));
    } catch (e) {
      // Not renamed: the old file serves on (its indexes are rebuilt when next wanted).
      if (await stillThere(cleanedPath)) old.retire(null);
      throw e;
    } finally {
      swapped();
    }
    return true;
  }

  sync(): Promise<void> {
    return this.active.sync();
  }

  /** Closes the segments' shared handles and cached indexes. */
  release(): void {
    for (const seg of this.segmentList) seg.release();
  }

  // ---- reading -------------------------------------------------------------------------------

  /**
   * Whole batches from the one holding `offset`, within `maxBytes` (or the first alone with
   * minOneBatch), none reaching `limit`, from one segment.
   */
  async read(offset: number, maxBytes: number, minOneBatch: boolean, limit: number, indexIntervalBytes: number): Promise<Buffer[]> {
    const segments = this.segmentList;
    // Enough to reach the wanted batch from its index entry and usually to hold the answer too.
    const chunk = Math.min(indexIntervalBytes + maxBytes + 512, 8 << 20);
    const floor = floorIndex(segments, offset);
    for (let i = Math.max(0, floor); i < segments.length; i++) {
      const seg = segments[i]!;
      const end = seg.size;
      const from = i === floor ? (await seg.indexes(indexIntervalBytes)).offsets.lookup(offset).position : 0;
      for await (const b of seg.walk(from, end, { whole: false, chunk })) {
        if (new BatchHeader(b.buf, b.at).lastOffset >= offset) return collect(seg, b, end, maxBytes, minOneBatch, limit);
      }
      // `offset` is past this segment's last batch (a gap): the answer starts in the next one.
    }
    return [];
  }

  /**
   * Kafka's list of aborted transactions for a read_committed read at `fetchOffset` that returned
   * `chunks`: those whose marker is at or after fetchOffset and whose first offset is below a bound,
   * the first offset-index entry past the last batch returned, else the next segment's base, else
   * the log end. The bound is coarse, as Kafka's: clients skip transactions past what they got.
   * The search goes from the segment holding fetchOffset on, and stops at the first entry whose
   * last stable offset reaches the bound. Nothing returned, nothing listed; and a log that never
   * had a transaction aborted (every local topic) costs no more than a look at its segments.
   */
  async abortedTransactions(fetchOffset: number, chunks: Buffer[], logEndOffset: number, indexIntervalBytes: number): Promise<AbortedTransaction[]> {
    const segments = this.segmentList;
    const searched = segments.slice(Math.max(0, floorIndex(segments, fetchOffset))).filter((s) => s.hasAbortedTxns);
    const last = searched.length > 0 ? lastOffsetIn(chunks) : null;
    const at = last === null ? -1 : floorIndex(segments, last);
    if (at < 0) return [];
    const upperBound = (await segments[at]!.indexes(indexIntervalBytes)).offsets.firstAfter(last!) ?? segments[at + 1]?.baseOffset ?? logEndOffset;
    const out: AbortedTransaction[] = [];
    for (const seg of searched) if (await seg.collectAbortedTxns(fetchOffset, upperBound, out, indexIntervalBytes)) break;
    return out;
  }

  /** Every entry of the segments' transaction indexes, in offset order (the cleaner's view of aborted transactions). */
  async abortedTxnEntries(indexIntervalBytes: number): Promise<AbortedTxn[]> {
    const out: AbortedTxn[] = [];
    for (const seg of this.segmentList) if (seg.hasAbortedTxns) out.push(...(await seg.abortedTxnEntries(indexIntervalBytes)));
    return out;
  }

  /**
   * ListOffsets by timestamp: the first record (by offset, at or after `start`) with a timestamp
   * at or after `timestamp`, or null if there is none. The time index finds the segment and the
   * place to start; the one batch that holds the answer is decoded to find the record, as Kafka does.
   */
  async offsetForTimestamp(timestamp: number, start: number, indexIntervalBytes: number): Promise<TimestampAndOffset | null> {
    for (const seg of this.segmentList) {
      if (seg.maxTimestamp < timestamp) continue;
      const idx = await seg.indexes(indexIntervalBytes);
      const near = idx.times.lookup(timestamp);
      const from = idx.offsets.lookup(Math.max(near.offset, start)).position;
      for await (const b of seg.walk(from, seg.size, { whole: true, chunk: 64 * 1024 })) {
        const h = new BatchHeader(b.buf, b.at);
        if (h.maxTimestamp < timestamp || h.lastOffset < start) continue;
        const found = readRecords(batchBytes(b)).find((r) => r.timestamp >= timestamp && r.offset >= start);
        if (found) return { timestamp: found.timestamp, offset: found.offset, leaderEpoch: h.partitionLeaderEpoch };
      }
    }
    return null;
  }

  /** ListOffsets MAX_TIMESTAMP: the record with the largest timestamp (the first such), or null for a log without any. */
  async maxTimestampOffset(indexIntervalBytes: number): Promise<TimestampAndOffset | null> {
    let best: LogSegment | null = null;
    for (const seg of this.segmentList) if (seg.maxTimestamp > (best?.maxTimestamp ?? NO_TIMESTAMP)) best = seg;
    if (!best) return null;
    const idx = await best.indexes(indexIntervalBytes);
    const from = idx.offsets.lookup(best.offsetOfMaxTimestamp).position;
    for await (const b of best.walk(from, best.size, { whole: true, chunk: 64 * 1024 })) {
      const h = new BatchHeader(b.buf, b.at);
      if (h.maxTimestamp !== best.maxTimestamp) continue;
      // Under LogAppendTime every record has the batch's timestamp, so the first one is the answer.
      const offset = h.timestampType === TimestampType.LOG_APPEND_TIME
        ? h.baseOffset
        : readRecords(batchBytes(b)).find((r) => r.timestamp === h.maxTimestamp)?.offset ?? h.baseOffset;
      return { timestamp: h.maxTimestamp, offset, leaderEpoch: h.partitionLeaderEpoch };
    }
    return null;
  }
}

/**
 * Whole batches from `first` on, within maxBytes (or the first alone with minOneBatch), none
 * reaching `limit`: a last stable offset held at the log start can fall inside a batch, which
 * then waits, as in Kafka.
 */
async function collect(seg: LogSegment, first: BatchAt, end: number, maxBytes: number, minOneBatch: boolean, limit: number): Promise<Buffer[]> {
  if (new BatchHeader(first.buf, first.at).lastOffset >= limit) return [];
  if (first.size > maxBytes && !minOneBatch) return [];
  const want = first.size > maxBytes ? first.size : Math.min(maxBytes, end - first.pos);
  const buf = first.at + want <= first.buf.length ? first.buf.subarray(first.at, first.at + want) : await seg.read(first.pos, want);
  let upTo = 0;
  for (const span of iterateBatches(buf)) {
    if (new BatchHeader(buf, span.pos).lastOffset >= limit) break;
    upTo = span.pos + span.size;
  }
  return upTo > 0 ? [buf.subarray(0, upTo)] : [];
}

async function stillThere(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** Index of the last segment starting at or below `offset`, -1 if none does. */
export function floorIndex(segments: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segments.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

export function batchBytes(b: BatchAt): Buffer {
  return b.buf.subarray(b.at, b.at + b.size);
}

/** The last offset of the last batch in the chunks, or null when there is none. */
function lastOffsetIn(chunks: Buffer[]): number | null {
  const chunk = chunks.at(-1);
  let last: number | null = null;
  if (chunk) for (const span of iterateBatches(chunk)) last = new BatchHeader(chunk, span.pos).lastOffset;
  return last;
}
