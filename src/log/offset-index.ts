// A segment's .index: sparse entries of (offset relative to the segment's base: int32, position
// of a batch in the .log: int32), one every index.interval.bytes. Like Kafka, an entry names the
// last offset of the batch at that position, so a lookup lands at or before the batch that holds
// the wanted offset, and the reader walks forward from there.
import { IndexEntries } from './index-entries.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends IndexEntries {
  constructor(baseOffset: number, bytes?: Buffer) {
    super(baseOffset, OFFSET_INDEX_ENTRY_SIZE, bytes);
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
  }

  positionAt(i: number): number {
    return this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
  }

  last(): OffsetPosition {
    return this.count === 0 ? { offset: this.baseOffset, position: 0 } : { offset: this.offsetAt(this.count - 1), position: this.positionAt(this.count - 1) };
  }

  append(offset: number, position: number): void {
    const at = this.grow();
    this.buf.writeInt32BE(this.relative(offset), at);
    this.buf.writeInt32BE(position, at + 4);
  }

  /** The last entry at or below `offset`, or the segment's start when there is none. */
  lookup(offset: number): OffsetPosition {
    const n = this.countWhile((i) => this.offsetAt(i) <= offset);
    return n === 0 ? { offset: this.baseOffset, position: 0 } : { offset: this.offsetAt(n - 1), position: this.positionAt(n - 1) };
  }

  /**
   * The offset of the first entry above `offset`, or null if there is none. Kafka bounds the
   * aborted transactions a read_committed fetch lists by the first entry past what it read.
   */
  firstAfter(offset: number): number | null {
    const n = this.countWhile((i) => this.offsetAt(i) <= offset);
    return n < this.count ? this.offsetAt(n) : null;
  }

  /** Drops the entries for offsets at or after `offset`. */
  truncateTo(offset: number): void {
    this.keep(this.countWhile((i) => this.offsetAt(i) < offset));
  }

  /**
   * Why these bytes cannot be this segment's index (null if they can): a partial entry, offsets or
   * positions not strictly increasing, or a position past the end of the log file.
   */
  static check(bytes: Buffer, baseOffset: number, logSize: number): string | null {
    if (bytes.length % OFFSET_INDEX_ENTRY_SIZE !== 0) return `size ${bytes.length} is not a multiple of ${OFFSET_INDEX_ENTRY_SIZE}`;
    const index = new OffsetIndex(baseOffset, bytes);
    let prevOffset = -1;
    let prevPosition = -1;
    for (let i = 0; i < index.entries; i++) {
      const rel = bytes.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
      const position = index.positionAt(i);
      if (rel <= prevOffset || position <= prevPosition) return `entry ${i} does not increase`;
      if (position >= logSize) return `entry ${i} points at ${position}, past the log's ${logSize} bytes`;
      prevOffset = rel;
      prevPosition = position;
    }
    return null;
  }
}
