// The fixed-size entries of a sparse index file, kept in memory as the file's bytes. An active
// segment's index grows here and is written out whole when the segment rolls or the log closes
// (recovery rebuilds it after a crash, so it never needs writing on the append path); a closed
// segment's index is read whole from its file when first needed.

export abstract class IndexEntries {
  protected buf: Buffer;
  protected count: number;

  constructor(
    readonly baseOffset: number,
    readonly entrySize: number,
    bytes?: Buffer,
  ) {
    this.buf = bytes ?? Buffer.alloc(entrySize * 64);
    this.count = bytes ? Math.floor(bytes.length / entrySize) : 0;
  }

  get entries(): number {
    return this.count;
  }

  /** Bytes held, for bounding the cache of closed segments' indexes. */
  get byteSize(): number {
    return this.buf.length;
  }

  /** The file content: exactly the entries, as Kafka's index files hold after a segment closes. */
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.count * this.entrySize);
  }

  /** Room for one more entry, returning where it goes. */
  protected grow(): number {
    const at = this.count * this.entrySize;
    if (at + this.entrySize > this.buf.length) {
      const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.entrySize * 64));
      this.buf.copy(bigger, 0, 0, at);
      this.buf = bigger;
    }
    this.count++;
    return at;
  }

  /** The number of leading entries for which `pred` holds, `pred` being monotonic over the entries. */
  protected countWhile(pred: (i: number) => boolean): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pred(mid)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  protected keep(n: number): void {
    this.count = Math.min(this.count, n);
  }

  /** Kafka's layout puts the offset relative to the segment's base offset in every entry. */
  protected relative(offset: number): number {
    return offset - this.baseOffset;
  }
}
