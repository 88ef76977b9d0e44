// One partition's queue of changes, run in order. Appends that arrive while a write is in progress
// are staged into one write group and written together by the next write (one writev, one fsync
// when one is due), so concurrent producers share the cost of each system call. Other changes
// (truncation, retention, DeleteRecords, close) are tasks that run between write groups, with the
// appends before them written first. The log (partition-log.ts) stages and commits; this keeps
// the order.
import type { ErrorName } from '../../protocol/errors.js';
import type { ProducerEntry } from './producer-state.js';

/** A batch waiting in a write group: its bytes and what committing it changes. */
export interface StagedBatch {
  buf: Buffer;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  size: number;
  leaderEpoch: number;
  producer: ProducerEntry | null;
  /** An ABORT marker: committing it indexes the transaction it ends. */
  aborts: boolean;
}

/** A batch of a follower append: where it is, and for a control batch with a producer, its type. */
export interface FollowerSpan {
  pos: number;
  size: number;
  controlType: number | null;
}

/** Appends written by one write: staged in order, committed together. */
export class WriteGroup {
  batches: StagedBatch[] = [];
  bytes = 0;
  /** Producer entries as the staged batches leave them, ahead of the committed table. */
  producers = new Map<number, ProducerEntry>();
  /** Each op's answer, given the write's failure (or null) once the group is committed. */
  settle: ((failure: string | null) => void)[] = [];

  constructor(public nextOffset: number) {}

  add(b: StagedBatch): void {
    this.batches.push(b);
    this.bytes += b.size;
    this.nextOffset = b.lastOffset + 1;
    if (b.producer) this.producers.set(b.producer.producerId, b.producer);
  }

  finish(failure: string | null, nextOffset: number): void {
    const settle = this.settle;
    this.batches = [];
    this.bytes = 0;
    this.producers = new Map();
    this.settle = [];
    this.nextOffset = nextOffset;
    for (const s of settle) s(failure);
  }
}

export type Refused = { ok: false; error: ErrorName; reason: string };

export type AppendOp<L, F> =
  /** `coordinator`: written by a coordinator (transaction markers, transactional offset commits), whose batches carry no sequence */
  | { kind: 'leader'; buf: Buffer; leaderEpoch: number; now: number; coordinator: boolean; done: (r: L) => void }
  | { kind: 'follower'; buf: Buffer; spans: FollowerSpan[]; now: number; done: (r: F) => void };

type Op<L, F> = AppendOp<L, F> | { kind: 'task'; run: () => Promise<unknown>; done: (r: unknown) => void; fail: (e: unknown) => void };

/** What the queue needs of its log. */
export interface QueueHost<L, F> {
  readonly logEndOffset: number;
  readonly closed: boolean;
  /** why no append can be taken now (closed, failed), or null */
  unusable(): Refused | null;
  /** the log failed: records and returns the first failure */
  fail(reason: string): string;
  stage(op: AppendOp<L, F>, g: WriteGroup): Promise<void>;
  commit(g: WriteGroup): Promise<void>;
}

export class AppendQueue<L, F> {
  private readonly queue: Op<L, F>[] = [];
  private draining = false;

  constructor(private readonly log: QueueHost<L, F>, private readonly dir: string) {}

  append(op: AppendOp<L, F>): void {
    this.enqueue(op);
  }

  /** Queues `run` behind the appends before it; it fails once the log is closed (close() itself excepted). */
  task<T>(run: () => Promise<T>, whenClosed: 'fail' | 'skip' = 'fail'): Promise<T> {
    const guarded = async (): Promise<T | undefined> => {
      if (!this.log.closed) return run();
      if (whenClosed === 'skip') return undefined;
      throw new Error(`${this.dir}: the log is closed`);
    };
    return new Promise<T>((done, fail) => this.enqueue({ kind: 'task', run: guarded, done: done as (r: unknown) => void, fail }));
  }

  private enqueue(op: Op<L, F>): void {
    this.queue.push(op);
    if (!this.draining) void this.drain();
  }

  /** Runs queued ops in order, batching consecutive appends into write groups. */
  private async drain(): Promise<void> {
    this.draining = true;
    const group = new WriteGroup(this.log.logEndOffset);
    try {
      while (this.queue.length > 0) {
        for (const op of this.queue.splice(0)) {
          if (op.kind === 'task') {
            await this.log.commit(group);
            try {
              op.done(await op.run());
            } catch (e) {
              if (!this.log.closed) this.log.fail(`${(e as Error).message}`);
              op.fail(e);
            }
            group.nextOffset = this.log.logEndOffset;
            continue;
          }
          const unusable = this.log.unusable();
          if (unusable) {
            (op.done as (r: Refused) => void)(unusable);
            continue;
          }
          try {
            await this.log.stage(op, group);
          } catch (e) {
            // An I/O error while rolling: fail this op, and the log with it.
            const failure = this.log.fail(`${(e as Error).message}`);
            group.finish(failure, this.log.logEndOffset);
            (op.done as (r: Refused) => void)({ ok: false, error: 'KAFKA_STORAGE_ERROR', reason: failure });
          }
        }
        await this.log.commit(group);
      }
    } finally {
      this.draining = false;
    }
  }
}
