// Timers by name, as the coordinator's deadlines are kept: scheduling a key again replaces its
// timer (a heartbeat pushes its member's expiry back), and a group's timers can be cancelled by
// key. The clock is injected so that tests can run rebalances and session timeouts in virtual time.
import type { Clock } from '../common/clock.js';

export class KeyedTimers {
  private readonly timers = new Map<string, unknown>();

  constructor(private readonly clock: Clock) {}

  schedule(key: string, ms: number, fn: () => void): void {
    this.cancel(key);
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(key);
      fn();
    }, Math.max(0, ms));
    this.timers.set(key, handle);
  }

  cancel(key: string): void {
    const handle = this.timers.get(key);
    if (handle === undefined) return;
    this.clock.clearTimeout(handle);
    this.timers.delete(key);
  }

  cancelAll(): void {
    for (const handle of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
  }
}
