// The most recently appended batches, kept as the very Buffers that were written, so consumers
// that keep up with producers (or with the mirror link) are served from memory: however many read
// the same recent records, none of them costs a file read. It always holds a contiguous tail of
// the log: every append goes in, the oldest batches leave first, and a batch too big to keep
// empties it. Every partition's cache draws on one TailBudget, which holds the bytes of all of
// them to a bound by letting the oldest appends anywhere go first. The Buffers are retained, not
// copied (but for a batch that is a small part of a larger buffer, such as a source's Fetch
// response, which would otherwise be held whole), so the log's callers must not reuse a Buffer
// after appending it.

export interface CachedBatch {
  baseOffset: number;
  lastOffset: number;
  buf: Buffer;
}

/** A batch as the budget queues it: null once its cache has let it go. */
interface Held {
  cache: TailCache;
  batch: CachedBatch | null;
}

/** The bytes all the tail caches may hold together; the oldest appends anywhere leave first. */
export class TailBudget {
  private queue: Held[] = [];
  private head = 0;
  /** bytes held by the caches now */
  used = 0;

  constructor(readonly maxBytes: number) {}

  /** Queues a batch a cache has taken in, and lets the oldest go while over the bound. */
  add(cache: TailCache, batch: CachedBatch): Held {
    const held: Held = { cache, batch };
    this.queue.push(held);
    this.used += batch.buf.length;
    while (this.used > this.maxBytes && this.head < this.queue.length) {
      const oldest = this.queue[this.head++]!;
      // Its cache's oldest batch (anything older in that cache was queued before it, and is gone).
      if (oldest.batch) oldest.cache.dropOldest();
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return held;
  }
}

export class TailCache {
  private batches: (CachedBatch & { held: Held | null })[] = [];
  private head = 0;
  private bytes = 0;

  /** `maxBytes` bounds this partition's cache; `budget`, shared, bounds them all. */
  constructor(private readonly maxBytes: number, private readonly budget: TailBudget | null = null) {}

  /** The first offset served from memory, or null when the cache is empty. */
  get firstOffset(): number | null {
    return this.head < this.batches.length ? this.batches[this.head]!.baseOffset : null;
  }

  push(batch: CachedBatch): void {
    if (batch.buf.length > this.maxBytes || (this.budget && batch.buf.length > this.budget.maxBytes)) {
      this.clear();
      return;
    }
    const buf = batch.buf.buffer.byteLength > 2 * batch.buf.length ? Buffer.from(batch.buf) : batch.buf;
    const entry = { baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, buf, held: null as Held | null };
    this.batches.push(entry);
    this.bytes += buf.length;
    while (this.bytes > this.maxBytes) this.dropOldest();
    if (this.budget) entry.held = this.budget.add(this, entry);
    if (this.head > 1024 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
  }

  /** Lets the oldest batch go (this cache's bound, or the shared budget's). */
  dropOldest(): void {
    if (this.head < this.batches.length) this.release(this.batches[this.head++]!);
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
    while (this.batches.length > this.head && this.batches.at(-1)!.lastOffset >= offset) this.release(this.batches.pop()!);
  }

  clear(): void {
    for (let i = this.head; i < this.batches.length; i++) this.release(this.batches[i]!);
    this.batches = [];
    this.head = 0;
  }

  private release(b: CachedBatch & { held: Held | null }): void {
    this.bytes -= b.buf.length;
    if (b.held && this.budget) {
      // The budget's queue lets go of the Buffer now, not when it reaches the entry.
      b.held.batch = null;
      this.budget.used -= b.buf.length;
    }
  }
}
