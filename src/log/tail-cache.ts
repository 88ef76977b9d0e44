// The most recently appended batches, kept as the very Buffers that were written, so a consumer
// that keeps up with producers (or with the mirror link) is served from memory without a disk
// read. It always holds a contiguous tail of the log: every append goes in, the oldest batches
// leave first, and a batch too big to keep empties it. The Buffers are retained, not copied, so
// the log's callers must not reuse a Buffer after appending it.

export interface CachedBatch {
  baseOffset: number;
  lastOffset: number;
  buf: Buffer;
}

export class TailCache {
  private batches: CachedBatch[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The first offset served from memory, or null when the cache is empty. */
  get firstOffset(): number | null {
    return this.head < this.batches.length ? this.batches[this.head]!.baseOffset : null;
  }

  push(batch: CachedBatch): void {
    if (batch.buf.length > this.maxBytes) {
      this.clear();
      return;
    }
    this.batches.push(batch);
    this.bytes += batch.buf.length;
    while (this.bytes > this.maxBytes) this.bytes -= this.batches[this.head++]!.buf.length;
    if (this.head > 1024 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Whole batches from the one holding `offset` (or the next, across a gap), within `maxBytes`
   * except that with `minOneBatch` the first is returned however big; none holding `limit` or
   * anything past it. Null when `offset` is older than the cached tail.
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean, limit: number): Buffer[] | null {
    const first = this.firstOffset;
    if (first === null || offset < first) return null;
    let lo = this.head;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for (let i = lo; i < this.batches.length; i++) {
      const b = this.batches[i]!;
      if (b.lastOffset >= limit) break;
      if (size + b.buf.length > maxBytes && !(minOneBatch && chunks.length === 0)) break;
      chunks.push(b.buf);
      size += b.buf.length;
    }
    return chunks;
  }

  /** Drops the batches holding offsets at or after `offset`, as the log truncates there. */
  truncateTo(offset: number): void {
    while (this.batches.length > this.head && this.batches.at(-1)!.lastOffset >= offset) {
      this.bytes -= this.batches.pop()!.buf.length;
    }
  }

  clear(): void {
    this.batches = [];
    this.head = 0;
    this.bytes = 0;
  }
}
