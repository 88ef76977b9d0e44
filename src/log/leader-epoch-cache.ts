// The partition's leader epochs and the offset each began at, persisted as Kafka's
// leader-epoch-checkpoint. It answers OffsetForLeaderEpoch, which a follower (or the mirror link,
// or a consumer after a leader change) uses to find where its log diverged from this one.
import { readFile } from 'node:fs/promises';
import { formatCheckpoint, parseCheckpoint, parseCount } from './checkpoint-file.js';
import { writeFileDurably } from './durable-file.js';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

const VERSION = 0;
/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export class LeaderEpochCache {
  private constructor(
    readonly path: string,
    // ascending by both epoch and start offset, which assign() maintains
    private list: EpochEntry[],
  ) {}

  static empty(path: string): LeaderEpochCache {
    return new LeaderEpochCache(path, []);
  }

  /** The cache in `path`; a missing file is an empty cache. Throws on a corrupt one. */
  static async load(path: string): Promise<LeaderEpochCache> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return LeaderEpochCache.empty(path);
      throw e;
    }
    const list = parseCheckpoint(text, VERSION, 2).map(([e, o]) => ({ epoch: parseCount(e!), startOffset: parseCount(o!) }));
    return new LeaderEpochCache(path, list);
  }

  get entries(): readonly EpochEntry[] {
    return this.list;
  }

  latestEpoch(): number {
    return this.list.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /**
   * Records that `epoch` began at `startOffset`, as Kafka does for every appended batch: nothing
   * changes when that is already the latest epoch (from an earlier or equal offset); otherwise any
   * entry that would no longer be monotonic (an epoch as high, or a start as late) is dropped
   * first. Returns whether the cache changed, in which case it needs persist().
   */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch < 0 || startOffset < 0) return false;
    const latest = this.list.at(-1);
    if (latest && latest.epoch === epoch && latest.startOffset <= startOffset) return false;
    this.list = this.list.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
    this.list.push({ epoch, startOffset });
    return true;
  }

  /**
   * OffsetForLeaderEpoch: the end offset of `epoch` (the start of the next higher epoch, or the
   * log end offset for the latest one), with the largest known epoch not above the requested one.
   * Kafka's cases: an undefined or unknown-and-too-high epoch gives (-1, -1); an epoch below the
   * first known one gives that first epoch's start offset, as the data before it is gone.
   */
  endOffsetFor(epoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    const undefinedResult = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (epoch === UNDEFINED_EPOCH) return undefinedResult;
    if (this.latestEpoch() === epoch) return { epoch, endOffset: logEndOffset };
    const higher = this.list.find((e) => e.epoch > epoch);
    if (!higher) return undefinedResult;
    // The entry before `higher`, if any, is the largest epoch not above the requested one.
    const floor = this.list[this.list.indexOf(higher) - 1];
    return { epoch: floor ? floor.epoch : epoch, endOffset: higher.startOffset };
  }

  /** The epoch `offset` was written in: the last one starting at or before it (-1 if none). */
  epochForOffset(offset: number): number {
    let epoch = UNDEFINED_EPOCH;
    for (const e of this.list) {
      if (e.startOffset > offset) break;
      epoch = e.epoch;
    }
    return epoch;
  }

  /** Forgets epochs that start at or after `endOffset` (the log was truncated there). */
  truncateFromEnd(endOffset: number): boolean {
    const kept = this.list.filter((e) => e.startOffset < endOffset);
    const changed = kept.length !== this.list.length;
    this.list = kept;
    return changed;
  }

  /**
   * The log now starts at `startOffset`: epochs that began at or before it collapse into the last
   * of them, which now starts there (it still covers the new first offset).
   */
  truncateFromStart(startOffset: number): boolean {
    let i = 0;
    while (i < this.list.length && this.list[i]!.startOffset <= startOffset) i++;
    if (i === 0) return false;
    const last = this.list[i - 1]!;
    if (i === 1 && last.startOffset === startOffset) return false;
    this.list = [{ epoch: last.epoch, startOffset }, ...this.list.slice(i)];
    return true;
  }

  clear(): boolean {
    const changed = this.list.length > 0;
    this.list = [];
    return changed;
  }

  persist(): Promise<void> {
    return writeFileDurably(this.path, formatCheckpoint(VERSION, this.list.map((e) => [e.epoch, e.startOffset])));
  }
}
