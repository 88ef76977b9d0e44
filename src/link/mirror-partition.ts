// One mirrored partition: its local log, where the source has it, and the steps that keep the log
// a prefix of the source's: append the source's batches as they are, follow the source's log start,
// and cut the log back where it diverged. Log changes for one partition run one at a time, so a
// partition handed from one source broker's fetcher to another (a leader change) is never written
// by both. Its state changes only through the methods here, each named for the event it follows.
import { BatchHeader, BATCH_HEADER_SIZE } from '../../protocol/records/batch.js';
import type { FollowerAppendResult, PartitionLog } from '../log/partition-log.js';
import { sessionKeys, type FetchPosition } from './fetch-session.js';

/** A fetch position, with the partition it is of. */
export interface PartitionPosition extends FetchPosition {
  part: MirrorPartition;
}

/**
 * Where a partition is in its cycle: `reconcile` checks the log against the source's leader-epoch
 * history (whenever it is handed to a leader: at start, after a leader or epoch change, after a
 * local failure); `reset` asks the source for its log range (after OFFSET_OUT_OF_RANGE);
 * `fetching` fetches from the log end.
 */
export type Phase = 'reconcile' | 'reset' | 'fetching';

export class MirrorPartition {
  private _leaderId = -1;
  private _leaderEpoch = -1;
  private _phase: Phase = 'reconcile';
  private _sourceHighWatermark = -1;
  private _sourceLogStartOffset = -1;
  private _lastFetchTimeMs = -1;
  private _problem: string | null = null;
  private _failed: string | null = null;
  private _backoffUntil = 0;
  private _paused = false;
  private _maxBytes: number | null = null;
  private busy: Promise<unknown> | null = null;
  /** the source partition's size in bytes, as its leader last said (-1: not known) */
  sourceBytes = -1;
  /** its fetch position, made once and updated in place by position() */
  private pos: PartitionPosition | undefined;
  /** topic:partition, the link's name for it */
  readonly key: string;
  /** told of every change to the partition's state or log: the fetcher holding it looks at it again */
  private watcher: ((p: MirrorPartition) => void) | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly log: PartitionLog,
    /** the source topic's name: what every request to the source names */
    readonly sourceTopic: string,
    readonly sourceTopicId: string,
  ) {
    this.key = `${topic}:${partition}`;
  }

  /** the source broker fetched from; -1 while there is none */
  get leaderId(): number {
    return this._leaderId;
  }

  get leaderEpoch(): number {
    return this._leaderEpoch;
  }

  get phase(): Phase {
    return this._phase;
  }

  get sourceHighWatermark(): number {
    return this._sourceHighWatermark;
  }

  get sourceLogStartOffset(): number {
    return this._sourceLogStartOffset;
  }

  get lastFetchTimeMs(): number {
    return this._lastFetchTimeMs;
  }

  /** why the partition is not being mirrored right now (no leader, leader unreachable, ...) */
  get problem(): string | null {
    return this._problem;
  }

  /** a local failure (the log cannot take the source's batches): mirroring stops until a restart */
  get failed(): string | null {
    return this._failed;
  }

  get backoffUntil(): number {
    return this._backoffUntil;
  }

  /** while the mirror is paused the partition keeps its data and is not fetched */
  get paused(): boolean {
    return this._paused;
  }

  /** a partition max bytes above replica.fetch.max.bytes, while a batch larger than that is due */
  get maxBytes(): number | null {
    return this._maxBytes;
  }

  get lag(): number {
    return this._sourceHighWatermark < 0 ? 0 : Math.max(0, this._sourceHighWatermark - this.log.logEndOffset);
  }

  /** Whether a fetcher may work on it now: led by a known broker, not paused or failed, not mid-change, not backing off. */
  ready(now: number): boolean {
    return this._leaderId >= 0 && !this._paused && this._failed === null && this.busy === null && now >= this._backoffUntil;
  }

  /** The epoch of the log's last batch (-1 for an empty log, or batches without one). */
  get lastEpoch(): number {
    const log = this.log;
    return log.logEndOffset > log.logStartOffset ? log.epochForOffset(log.logEndOffset - 1) : -1;
  }

  /**
   * Where the next fetch starts; the fetcher finds the answer's partition by the position's keys.
   * The same object every time, updated: a fetch session copies its numbers.
   */
  position(maxBytes: number): PartitionPosition {
    const pos = (this.pos ??= {
      part: this,
      keys: sessionKeys(this.sourceTopic, this.sourceTopicId, this.partition),
      topic: this.sourceTopic,
      topicId: this.sourceTopicId,
      partition: this.partition,
      fetchOffset: -1,
      currentLeaderEpoch: -1,
      lastFetchedEpoch: -1,
      maxBytes: 0,
    });
    pos.fetchOffset = this.log.logEndOffset;
    pos.currentLeaderEpoch = this._leaderEpoch;
    pos.lastFetchedEpoch = this.lastEpoch;
    pos.maxBytes = maxBytes;
    return pos;
  }

  /** `w` hears of every change from now on (in place of any before); null stops it. */
  watch(w: ((p: MirrorPartition) => void) | null): void {
    this.watcher = w;
  }

  /** Whether `w` is who hears of its changes. */
  watchedBy(w: (p: MirrorPartition) => void): boolean {
    return this.watcher === w;
  }

  private changed(): void {
    this.watcher?.(this);
  }

  // ---- events ------------------------------------------------------------------------------------

  /** The source's metadata names its leader: fetched from it, after a check of the log's history. */
  ledBy(leaderId: number, leaderEpoch: number): void {
    this._leaderId = leaderId;
    this._leaderEpoch = leaderEpoch;
    this._phase = 'reconcile';
    this.changed();
  }

  /** No longer fetched (no leader, the mirror failed or stopped); `problem` says why, if it is one. */
  detached(problem?: string): void {
    this._leaderId = -1;
    if (problem !== undefined) this._problem = problem;
    this.changed();
  }

  /** The source answered with an error for it; `staleLeader` when that means leadership moved. */
  refused(error: string, backoffUntil: number, staleLeader: boolean): void {
    this._problem = `the source answered ${error}`;
    this._backoffUntil = backoffUntil;
    if (staleLeader) this._leaderId = -1;
    this.changed();
  }

  /** The source broker could not be reached: checked against the source again once it answers. */
  unreachable(problem: string): void {
    this._problem = problem;
    // What answers next may be the broker restarted, its log's tail lost at the same leader epoch
    // (a source that does not move the epoch on a restart): check before fetching.
    if (this._phase === 'fetching') this._phase = 'reconcile';
    this.changed();
  }

  /** A change to the local log failed: checked again after a backoff; `fatal` stops mirroring it. */
  localFailure(problem: string, backoffUntil: number, fatal = false): void {
    this._problem = problem;
    this._phase = 'reconcile';
    this._backoffUntil = backoffUntil;
    if (fatal) this._failed = problem;
    this.changed();
  }

  /** A fetch answered: the source's offsets as it gave them. */
  fetched(highWatermark: number, logStartOffset: number, now: number): void {
    this._sourceHighWatermark = highWatermark;
    if (logStartOffset >= 0) this._sourceLogStartOffset = logStartOffset;
    this._lastFetchTimeMs = now;
    this._problem = null;
  }

  /** The source no longer has the fetch offset: its log range is asked for next. */
  outOfRange(): void {
    this._phase = 'reset';
    this.changed();
  }

  /** The log agrees with the source (checked or fitted into its range): fetching goes on. */
  agreed(sourceLogStartOffset?: number): void {
    if (sourceLogStartOffset !== undefined) this._sourceLogStartOffset = sourceLogStartOffset;
    this._phase = 'fetching';
    this.changed();
  }

  /** The next fetch asks for at least this much (null: replica.fetch.max.bytes). */
  needsBytes(maxBytes: number | null): void {
    if (this._maxBytes === maxBytes) return;
    this._maxBytes = maxBytes;
    this.changed();
  }

  setPaused(paused: boolean): void {
    this._paused = paused;
    this.changed();
  }

  // ---- the log -----------------------------------------------------------------------------------

  /** Runs `fn` with no other change to this partition's log in progress. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.busy) await this.busy.catch(() => undefined);
    const run = fn();
    this.busy = run;
    try {
      return await run;
    } finally {
      if (this.busy === run) this.busy = null;
      // The log may have moved (every change to it runs here).
      this.changed();
    }
  }

  /**
   * Appends the source's batches, bytes untouched. The first batch into an empty local log may
   * start before where the copy here begins (the source's log start, or a start offset from a
   * timestamp, can fall inside a batch): the local log then restarts at that batch, as Kafka's
   * followers do, and the log start is put back where it was (below it, the records are read
   * through from the source).
   */
  append(records: Buffer): Promise<FollowerAppendResult> {
    const log = this.log;
    const localStart = log.localLogStartOffset;
    const logStart = log.logStartOffset;
    if (log.logEndOffset === localStart && records.length >= BATCH_HEADER_SIZE) {
      const first = new BatchHeader(records, 0);
      if (first.baseOffset < localStart && first.lastOffset >= localStart) {
        return (async () => {
          await log.truncateFullyAndStartAt(first.baseOffset, Math.min(logStart, first.baseOffset));
          const r = await log.appendAsFollower(records);
          if (r.ok && logStart > first.baseOffset) await log.deleteRecordsBefore(logStart);
          return r;
        })();
      }
    }
    return log.appendAsFollower(records);
  }

  /** Moves the log start up to the source's (DeleteRecords or retention there), within the log. */
  async followLogStart(): Promise<void> {
    const target = Math.min(this._sourceLogStartOffset, this.log.logEndOffset);
    if (target > this.log.logStartOffset) await this.log.deleteRecordsBefore(target);
  }

  /**
   * Cuts the log back to where it agrees with the source, given the source's end offset for
   * `sourceEpoch` (its largest epoch not above the one it was asked about, as OffsetForLeaderEpoch
   * and a Fetch's divergingEpoch give it). Returns whether that settles it; if not, the log never
   * had `sourceEpoch`, and the source must be asked again about the log's new last epoch.
   */
  async truncateToSource(sourceEpoch: number, sourceEndOffset: number): Promise<boolean> {
    const log = this.log;
    const local = log.endOffsetForLeaderEpoch(sourceEpoch);
    const target = Math.min(sourceEndOffset, local.endOffset, log.logEndOffset);
    const settled = local.epoch === sourceEpoch || target >= log.logEndOffset;
    if (target < log.logEndOffset) await log.truncateTo(target);
    return settled;
  }

  /**
   * Fits the log into the source's [log start, log end]: cut back when it ends after the source's
   * end, restarted at the source's start when everything it still needs is gone there. Returns
   * what was done, for the log message.
   */
  async fitInto(sourceStart: number, sourceEnd: number): Promise<'truncated' | 'restarted' | null> {
    const end = this.log.logEndOffset;
    let done: 'truncated' | 'restarted' | null = null;
    if (end > sourceEnd) {
      await this.log.truncateTo(sourceEnd);
      done = 'truncated';
    } else if (end < sourceStart) {
      await this.log.truncateFullyAndStartAt(sourceStart);
      done = 'restarted';
    }
    this.agreed(sourceStart);
    return done;
  }
}
