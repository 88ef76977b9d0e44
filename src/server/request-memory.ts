// The memory every connection together may hold in requests read but not yet answered: frames
// still arriving and frames queued behind the one in hand (Kafka's queued.max.request.bytes).
// A connection over its share stops being read until others release theirs, so a crowd of
// clients each sending the start of a huge frame holds a bounded amount, not one frame each.
//
// Each connection's first FREE_BYTES are not charged: a client sending ordinary small requests
// is never held up by others' large ones. With max.connections bounding the connections, what is
// held is at most the limit plus FREE_BYTES per connection.

export const FREE_BYTES = 64 * 1024;

export class RequestMemory {
  private used = 0;
  private readonly waiting = new Set<() => void>();

  /** `limit` < 0: unbounded, as Kafka's -1. */
  constructor(readonly limit: number) {}

  /** Moves a connection's charge from `from` to `to` bytes: what it holds, whether or not it fits. */
  recharge(from: number, to: number): void {
    this.used += to - from;
    if (to < from) this.wake();
  }

  /**
   * Whether a connection charged `own` bytes may read more. It may while the total is within the
   * limit, and also when it alone is charged: one frame larger than the limit must still be read.
   */
  mayGrow(own: number): boolean {
    return this.limit < 0 || this.used <= this.limit || this.used === own;
  }

  /** Calls `resume` once, after the next release. Returns its cancellation. */
  whenReleased(resume: () => void): () => void {
    this.waiting.add(resume);
    return () => this.waiting.delete(resume);
  }

  private wake(): void {
    if (this.waiting.size === 0) return;
    const all = [...this.waiting];
    this.waiting.clear();
    for (const resume of all) resume();
  }
}
