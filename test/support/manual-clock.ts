// A clock that moves only when a test says so, for the group coordinator's session and rebalance
// timers and the cluster links' waits: advance() fires every timer that falls due, in time order,
// letting the promises each one starts settle before the next.
import type { Clock } from '../../src/common/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets queued promise callbacks and immediates run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export class ManualClock implements Clock {
  private time = 1_700_000_000_000;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const seq = ++this.seq;
    this.pending.set(seq, { at: this.time + ms, seq, fn });
    return seq;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settle();
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.pending.values()) {
        if (p.at <= end && (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p;
      }
      if (!next) break;
      this.pending.delete(next.seq);
      this.time = next.at;
      next.fn();
      await settle();
    }
    this.time = end;
  }
}

/**
 * Moves `clock` in steps until `cond` holds, letting real I/O (a log's files) finish between
 * steps; throws naming `what` after `steps` steps.
 */
export async function advanceUntil(clock: ManualClock, what: string, cond: () => boolean, stepMs = 100, steps = 600): Promise<void> {
  for (let i = 0; i < steps; i++) {
    if (cond()) return;
    await clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for: ${what}`);
}
