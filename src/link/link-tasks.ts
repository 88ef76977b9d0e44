// A cluster link's periodic work, split into tasks as Redpanda's cluster_link splits it: each task
// runs on its own schedule, is woken early when something it cares about changes, and fails on its
// own (a failure is logged and the task tries again after its interval). A new kind of work for a
// link (consumer offset sync, ACL sync) is a new task.
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { Wakeup } from './wakeup.js';

export interface LinkTask {
  readonly name: string;
  /** One round of the task; resolves with how long to wait before the next. */
  run(): Promise<number>;
}

/** Runs tasks until stopped; stop() waits for the rounds in progress. */
export class TaskRunner {
  private readonly wakeups = new Map<string, Wakeup>();
  private readonly loops: Promise<void>[] = [];
  private running = false;

  constructor(private readonly clock: Clock, private readonly logger: Logger) {}

  start(tasks: LinkTask[]): void {
    this.running = true;
    for (const task of tasks) {
      const wakeup = new Wakeup(this.clock);
      this.wakeups.set(task.name, wakeup);
      this.loops.push(this.loop(task, wakeup));
    }
  }

  /** Runs the task `name` now rather than when its wait ends. */
  wake(name: string): void {
    this.wakeups.get(name)?.notify();
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const w of this.wakeups.values()) w.notify();
    await Promise.all(this.loops);
  }

  get isRunning(): boolean {
    return this.running;
  }

  private async loop(task: LinkTask, wakeup: Wakeup): Promise<void> {
    while (this.running) {
      let waitMs: number;
      try {
        waitMs = await task.run();
      } catch (e) {
        if (!this.running) break;
        this.logger.error({ task: task.name, err: (e as Error).message }, 'cluster link: a task failed; it runs again later');
        waitMs = 1000;
      }
      if (!this.running) break;
      await wakeup.wait(waitMs);
    }
  }
}
