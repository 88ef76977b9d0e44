// One mirrored partition: its local log, where the source has it, and the steps that keep the log
// a prefix of the source's: append the source's batches as they are, follow the source's log start,
// and cut the log back where it diverged. Log changes for one partition run one at a time, so a
// partition handed from one source broker's fetcher to another (a leader change) is never written
// by both.
import { BatchHeader, BATCH_HEADER_SIZE } from '../../protocol/records/batch.js';
import type { FollowerAppendResult, PartitionLog } from '../log/partition-log.js';
import type { FetchPosition } from './fetch-session.js';

/**
 * Where a partition is in its cycle: `reconcile` checks the log against the source's leader-epoch
 * history (whenever it is handed to a leader: at start, after a leader or epoch change, after a
 * local failure); `reset` asks the source for its log range (after OFFSET_OUT_OF_RANGE);
 * `fetching` fetches from the log end.
 */
export type Phase = 'reconcile' | 'reset' | 'fetching';

export class MirrorPartition {
  leaderId = -1;
  leaderEpoch = -1;
  phase: Phase = 'reconcile';
  sourceHighWatermark = -1;
  sourceLogStartOffset = -1;
  lastFetchTimeMs = -1;
  /** why the partition is not being mirrored right now (no leader, leader unreachable, ...) */
  problem: string | null = null;
  /** a local failure (the log cannot take the source's batches): mirroring stops until a restart */
  failed: string | null = null;
  backoffUntil = 0;
  /** set while the mirror is paused: the partition keeps its data and is not fetched */
  paused = false;
  /** a partition max bytes above replica.fetch.max.bytes, while a batch larger than that is due */
  maxBytes: number | null = null;
  private busy: Promise<unknown> | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly log: PartitionLog,
    readonly sourceTopicId: string,
  ) {}

  get key(): string {
    return `${this.topic}:${this.partition}`;
  }

  get lag(): number {
    return this.sourceHighWatermark < 0 ? 0 : Math.max(0, this.sourceHighWatermark - this.log.logEndOffset);
  }

  /** Whether a fetcher may work on it now: led by a known broker, not paused or failed, not mid-change, not backing off. */
  ready(now: number): boolean {
    return this.leaderId >= 0 && !this.paused && this.failed === null && this.busy === null && now >= this.backoffUntil;
  }

  /** The epoch of the log's last batch (-1 for an empty log, or batches without one). */
  get lastEpoch(): number {
    const log = this.log;
    return log.logEndOffset > log.logStartOffset ? log.epochForOffset(log.logEndOffset - 1) : -1;
  }

  position(maxBytes: number): FetchPosition {
    return {
      topic: this.topic,
      topicId: this.sourceTopicId,
      partition: this.partition,
      fetchOffset: this.log.logEndOffset,
      currentLeaderEpoch: this.leaderEpoch,
      lastFetchedEpoch: this.lastEpoch,
      maxBytes,
    };
  }

  /** Runs `fn` with no other change to this partition's log in progress. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.busy) await this.busy.catch(() => undefined);
    const run = fn();
    this.busy = run;
    try {
      return await run;
    } finally {
      if (this.busy === run) this.busy = null;
    }
  }

  /**
   * Appends the source's batches, bytes untouched. The first batch into an empty log may start
   * before the log's start (the source's log start, or a start offset from a timestamp, can fall
   * inside a batch): the log then restarts at that batch, as Kafka's followers do, and its start
   * is put back where it was.
   */
  append(records: Buffer): Promise<FollowerAppendResult> {
    const log = this.log;
    const start = log.logStartOffset;
    if (log.logEndOffset === start && records.length >= BATCH_HEADER_SIZE) {
      const first = new BatchHeader(records, 0);
      if (first.baseOffset < start && first.lastOffset >= start) {
        return (async () => {
          await log.truncateFullyAndStartAt(first.baseOffset);
          const r = await log.appendAsFollower(records);
          if (r.ok) await log.deleteRecordsBefore(start);
          return r;
        })();
      }
    }
    return log.appendAsFollower(records);
  }

  /** Moves the log start up to the source's (DeleteRecords or retention there), within the log. */
  async followLogStart(): Promise<void> {
    const target = Math.min(this.sourceLogStartOffset, this.log.logEndOffset);
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
}
