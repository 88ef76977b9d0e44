// A loop's sleep that another part of the program can cut short: wait(ms) resolves after `ms` or
// at the next notify(), whichever comes first; a notify() while nobody waits is kept for the next
// wait(), so a wake-up sent just before the loop goes to sleep is not lost.
import { systemClock, type Clock } from '../common/clock.js';

export class Wakeup {
  private waiter: (() => void) | null = null;
  private pending = false;

  constructor(private readonly clock: Clock = systemClock) {}

  notify(): void {
    const w = this.waiter;
    if (w) w();
    else this.pending = true;
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        this.clock.clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
      const timer = this.clock.setTimeout(done, Math.max(0, ms));
      this.waiter = done;
    });
  }
}
