// A segment's .txnindex, in Kafka's format: one entry per transaction ended by an ABORT marker in
// that segment, in marker order, 34 bytes each, big-endian:
//
//   version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 | lastStableOffset int64
//
// firstOffset is the transaction's first batch, which may lie in an earlier segment; lastOffset is
// the marker's offset; lastStableOffset is the log's last stable offset once the marker was
// written: no transaction still open then had started below it. A read_committed Fetch lists the
// aborted transactions overlapping what it returns (the consumer drops their records), searching
// from the fetched segment on and stopping at the first entry whose lastStableOffset reaches the
// end of the range, since every later entry's transaction started at or past that offset.
//
// Like the other indexes (index-entries.ts), the active segment's lives in memory and is written
// when the segment rolls or the log closes, and replaying the log after a crash rebuilds what was
// not written. As with Kafka, a segment with no entry has no file.
import { readInt64, writeInt64 } from '../../protocol/primitives.js';
import { IndexEntries } from './index-entries.js';

const ABORTED_TXN_SIZE = 34;
const VERSION = 0;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

/** An aborted transaction as a Fetch response lists it. */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export class TransactionIndex extends IndexEntries {
  constructor(baseOffset: number, bytes: Buffer = Buffer.alloc(0)) {
    super(baseOffset, ABORTED_TXN_SIZE, bytes);
  }

  at(i: number): AbortedTxn {
    const at = i * ABORTED_TXN_SIZE;
    return {
      producerId: readInt64(this.buf, at + 2),
      firstOffset: readInt64(this.buf, at + 10),
      lastOffset: readInt64(this.buf, at + 18),
      lastStableOffset: readInt64(this.buf, at + 26),
    };
  }

  private lastOffsetAt(i: number): number {
    return readInt64(this.buf, i * ABORTED_TXN_SIZE + 18);
  }

  /** Adds the entry of a marker after every marker indexed so far. */
  append(txn: AbortedTxn): void {
    if (this.count > 0 && txn.lastOffset <= this.lastOffsetAt(this.count - 1)) {
      throw new RangeError(`aborted transaction ending at ${txn.lastOffset} does not follow the one ending at ${this.lastOffsetAt(this.count - 1)}`);
    }
    const at = this.grow();
    this.buf.writeInt16BE(VERSION, at);
    writeInt64(this.buf, at + 2, txn.producerId);
    writeInt64(this.buf, at + 10, txn.firstOffset);
    writeInt64(this.buf, at + 18, txn.lastOffset);
    writeInt64(this.buf, at + 26, txn.lastStableOffset);
  }

  /**
   * Adds the entries whose markers are not indexed yet, keeping marker order; entries already
   * there stay as they are. Returns whether anything was added.
   */
  merge(txns: readonly AbortedTxn[]): boolean {
    const have = new Set<number>();
    for (let i = 0; i < this.count; i++) have.add(this.lastOffsetAt(i));
    const added = txns.filter((t) => !have.has(t.lastOffset));
    if (added.length === 0) return false;
    const all = [...Array.from({ length: this.count }, (_, i) => this.at(i)), ...added].sort((a, b) => a.lastOffset - b.lastOffset);
    this.keep(0);
    for (const t of all) this.append(t);
    return true;
  }

  /**
   * Kafka's search of one segment's entries: adds to `out` the transactions that overlap the
   * offsets [fetchOffset, upperBound), and returns true once an entry shows that no later one can.
   * Entries of markers below fetchOffset are skipped by a binary search rather than read, as Kafka
   * reads them: none of them can stop the search (fetchOffset being below upperBound, as in any
   * fetch), since an entry's last stable offset is at most the offset after its marker.
   */
  collect(fetchOffset: number, upperBound: number, out: AbortedTransaction[]): boolean {
    for (let i = this.countWhile((j) => this.lastOffsetAt(j) < fetchOffset); i < this.count; i++) {
      const t = this.at(i);
      if (t.lastOffset >= fetchOffset && t.firstOffset < upperBound) out.push({ producerId: t.producerId, firstOffset: t.firstOffset });
      if (t.lastStableOffset >= upperBound) return true;
    }
    return false;
  }

  /** Drops the entries of markers at or after `offset`; returns whether any went. */
  truncateTo(offset: number): boolean {
    const n = this.countWhile((i) => this.lastOffsetAt(i) < offset);
    if (n === this.count) return false;
    this.keep(n);
    return true;
  }

  /**
   * Why these bytes cannot be this segment's transaction index (null if they can): a partial
   * entry, an unknown version, a marker below the segment's base or not after the previous one,
   * or a transaction starting after its marker.
   */
  static check(bytes: Buffer, baseOffset: number): string | null {
    if (bytes.length % ABORTED_TXN_SIZE !== 0) return `size ${bytes.length} is not a multiple of ${ABORTED_TXN_SIZE}`;
    const index = new TransactionIndex(baseOffset, bytes);
    let prev = -1;
    for (let i = 0; i < index.entries; i++) {
      const version = bytes.readInt16BE(i * ABORTED_TXN_SIZE);
      if (version !== VERSION) return `entry ${i} has version ${version}`;
      const t = index.at(i);
      if (t.lastOffset < baseOffset) return `entry ${i} ends at ${t.lastOffset}, below the segment's base`;
      if (t.lastOffset <= prev) return `entry ${i} does not follow the one before`;
      if (t.firstOffset > t.lastOffset) return `entry ${i} starts at ${t.firstOffset}, after its marker at ${t.lastOffset}`;
      prev = t.lastOffset;
    }
    return null;
  }
}
