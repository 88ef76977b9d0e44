// The log cleaner's pass over one partition (Kafka's LogCleaner.clean): which closed segments may
// be cleaned, the offset map of the dirty ones (each key's latest offset), and each segment
// rewritten with what compaction keeps, then swapped in by the log. The work is done in slices,
// giving the event loop back between batches, so that appends and reads go on meanwhile; the
// segments read are closed and immutable, and the log checks each one is still there before it
// swaps the cleaned copy in.
import { open } from 'node:fs/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { BatchHeader } from '../../protocol/records/batch.js';
import { OffsetMap, indexBatch, retainBatch, txnContext } from './compaction.js';
import { unlinkIfPresent } from './durable-file.js';
import { CLEANED_SUFFIX } from './file-names.js';
import type { LogSegment } from './segment.js';
import type { TopicConfig } from './topic-config.js';
import type { AbortedTxn } from './transaction-index.js';

/** Keys one pass can hold (Kafka bounds its dedupe buffer in bytes: 128 MiB, some 5 million keys). */
export const MAX_KEYS_PER_CLEAN = 4_000_000;
/** Bytes read from a segment at a time. */
const READ_CHUNK = 1 << 20;
/** Batches handled between two returns to the event loop. */
const SLICE_BATCHES = 256;

export interface CleanableLog {
  /** the segments now, the active one last */
  segments(): readonly LogSegment[];
  /** offsets below it are stable (below the high watermark and the last stable offset) */
  stableEnd(): number;
  /** Swaps a cleaned copy in for `old`; false when `old` is gone meanwhile (retention, truncation). */
  swap(old: LogSegment, cleanedPath: string): Promise<boolean>;
  /** every aborted transaction its segments' transaction indexes list */
  abortedTxns(): Promise<AbortedTxn[]>;
}

export interface CleanResult {
  /** the first offset not cleaned: where the next pass's dirty section begins */
  cleanedTo: number;
  segmentsRewritten: number;
  recordsRemoved: number;
  bytesBefore: number;
  bytesAfter: number;
}

/**
 * The closed segments a pass may clean: those wholly below the stable end, whose records are all
 * older than min.compaction.lag.ms. Their dirty share (past `firstDirty`) decides whether it runs:
 * at min.cleanable.dirty.ratio, or sooner when a dirty segment is older than max.compaction.lag.ms.
 */
export function cleanable(log: CleanableLog, firstDirty: number, cfg: TopicConfig, now: number): LogSegment[] | null {
  const segs = log.segments();
  const end = log.stableEnd();
  const out: LogSegment[] = [];
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    const next = segs[i + 1]!;
    const newest = seg.maxTimestamp >= 0 ? seg.maxTimestamp : seg.lastModified;
    if (next.baseOffset > end || now - newest < cfg.minCompactionLagMs) break;
    out.push(seg);
  }
  const dirty = out.filter((s, i) => (out[i + 1]?.baseOffset ?? segs[out.length]!.baseOffset) > firstDirty);
  if (dirty.length === 0) return null;
  const total = out.reduce((n, s) => n + s.size, 0);
  const dirtyBytes = dirty.reduce((n, s) => n + s.size, 0);
  const overdue = dirty.some((s) => now - (s.maxTimestamp >= 0 ? s.maxTimestamp : s.lastModified) > cfg.maxCompactionLagMs);
  if (total === 0 || (dirtyBytes / total < cfg.minCleanableDirtyRatio && !overdue)) return null;
  return out;
}

/** One pass over `segments` (from cleanable()), whose dirty section starts at `firstDirty`. */
export async function cleanSegments(log: CleanableLog, segments: LogSegment[], firstDirty: number, cfg: TopicConfig, now: number): Promise<CleanResult> {
  const map = new OffsetMap(MAX_KEYS_PER_CLEAN);
  const aborted = await log.abortedTxns();
  // `segments` is a prefix of the log's closed segments: each one's end is the next one's base.
  const all = log.segments();
  const nextBase = (i: number) => all[i + 1]!.baseOffset;
  // The offset map over the dirty segments, whole segments only: a segment whose keys do not all
  // fit ends the dirty section before it.
  let cleanedTo = firstDirty;
  let covered = 0;
  for (let i = 0; i < segments.length; i++) {
    if (nextBase(i) <= firstDirty) {
      covered = i + 1;
      continue;
    }
    const indexing = txnContext(aborted);
    const fits = await everyBatch(segments[i]!, (buf, pos) => new BatchHeader(buf, pos).lastOffset < firstDirty || indexBatch(buf, pos, map, indexing));
    if (!fits) break;
    covered = i + 1;
    cleanedTo = nextBase(i);
  }
  const result: CleanResult = { cleanedTo, segmentsRewritten: 0, recordsRemoved: 0, bytesBefore: 0, bytesAfter: 0 };
  // Transactions are followed across the segments, in log order, from the log start.
  const txns = txnContext(aborted);
  for (const seg of segments.slice(0, covered)) {
    // Tombstones stay while their segment is within delete.retention.ms (its last write, which a
    // cleaned copy keeps), as Kafka's cleaner keeps them before a delete horizon is set.
    const keepTombstones = now - seg.lastModified < cfg.deleteRetentionMs;
    const cleanedPath = seg.logPath + CLEANED_SUFFIX;
    const fh = await open(cleanedPath, 'w');
    let removed = 0;
    let written = 0;
    try {
      // Written as it goes, a chunk at a time: a segment is never held whole.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (pendingBytes > 0) await fh.writev(pending);
        written += pendingBytes;
        pending = [];
        pendingBytes = 0;
      };
      let batches = 0;
      for await (const b of seg.walk(0, seg.size, { whole: true, chunk: READ_CHUNK })) {
        const r = retainBatch(b.buf, b.at, map, keepTombstones, txns);
        removed += r.removed;
        if (r.bytes) {
          pending.push(r.bytes);
          pendingBytes += r.bytes.length;
        }
        if (pendingBytes >= READ_CHUNK) await flush();
        if (++batches % SLICE_BATCHES === 0) await yieldToLoop();
      }
      await flush();
      if (removed > 0) await fh.datasync();
    } finally {
      await fh.close();
    }
    if (removed === 0) {
      await unlinkIfPresent(cleanedPath);
      continue;
    }
    const before = seg.size;
    if (await log.swap(seg, cleanedPath)) {
      result.segmentsRewritten++;
      result.recordsRemoved += removed;
      result.bytesBefore += before;
      result.bytesAfter += written;
    }
  }
  return result;
}

/** Calls `fn` on every batch of the segment in order, yielding to the event loop now and then; false as soon as `fn` is. */
async function everyBatch(seg: LogSegment, fn: (buf: Buffer, pos: number) => boolean): Promise<boolean> {
  let n = 0;
  for await (const b of seg.walk(0, seg.size, { whole: true, chunk: READ_CHUNK })) {
    if (!fn(b.buf, b.at)) return false;
    if (++n % SLICE_BATCHES === 0) await yieldToLoop();
  }
  return true;
}
