// A segment's .timeindex: sparse entries of (timestamp: int64, offset relative to the segment's
// base: int32), each the largest timestamp seen so far and the last offset of the batch carrying
// it, so timestamps increase strictly from entry to entry. The last entry holds the segment's
// largest timestamp once the segment is closed, which retention.ms reads.
import { readInt64, writeInt64 } from '../../protocol/primitives.js';
import { IndexEntries } from './index-entries.js';

export const TIME_INDEX_ENTRY_SIZE = 12;
/** Kafka's RecordBatch.NO_TIMESTAMP. */
const NO_TIMESTAMP = -1;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends IndexEntries {
  constructor(baseOffset: number, bytes?: Buffer) {
    super(baseOffset, TIME_INDEX_ENTRY_SIZE, bytes);
  }

  timestampAt(i: number): number {
    return readInt64(this.buf, i * TIME_INDEX_ENTRY_SIZE);
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
  }

  last(): TimestampOffset {
    return this.count === 0 ? { timestamp: NO_TIMESTAMP, offset: this.baseOffset } : { timestamp: this.timestampAt(this.count - 1), offset: this.offsetAt(this.count - 1) };
  }

  /** Adds the entry unless it would not raise the largest timestamp indexed so far. */
  maybeAppend(timestamp: number, offset: number): void {
    if (timestamp <= this.last().timestamp) return;
    const at = this.grow();
    writeInt64(this.buf, at, timestamp);
    this.buf.writeInt32BE(this.relative(offset), at + 8);
  }

  /** The last entry whose timestamp is at or below `timestamp`, or (-1, base offset) if none. */
  lookup(timestamp: number): TimestampOffset {
    const n = this.countWhile((i) => this.timestampAt(i) <= timestamp);
    return n === 0 ? { timestamp: NO_TIMESTAMP, offset: this.baseOffset } : { timestamp: this.timestampAt(n - 1), offset: this.offsetAt(n - 1) };
  }

  /** Drops the entries for offsets at or after `offset`. */
  truncateTo(offset: number): void {
    this.keep(this.countWhile((i) => this.offsetAt(i) < offset));
  }

  /** Why these bytes cannot be a time index (null if they can): a partial entry, or entries out of order. */
  static check(bytes: Buffer, baseOffset: number): string | null {
    if (bytes.length % TIME_INDEX_ENTRY_SIZE !== 0) return `size ${bytes.length} is not a multiple of ${TIME_INDEX_ENTRY_SIZE}`;
    const index = new TimeIndex(baseOffset, bytes);
    for (let i = 0; i < index.entries; i++) {
      if (index.offsetAt(i) < baseOffset) return `entry ${i} has an offset below the segment's base`;
      if (i > 0 && (index.timestampAt(i) <= index.timestampAt(i - 1) || index.offsetAt(i) < index.offsetAt(i - 1))) {
        return `entry ${i} does not increase`;
      }
    }
    return null;
  }
}
