// The durable log of one partition, in Kafka's on-disk layout (log-manager.ts lists the files), as
// Kafka's UnifiedLog: the offsets (log start, local log start, log end, high watermark, last
// stable offset), the leader epochs and the producer state, over the segments (local-log.ts),
// loaded by log-loader.ts, changed through one queue (append-queue.ts). Batches are never decoded
// on the append and read paths (but for the one record of a mirrored transaction marker): a
// produced batch is validated and stamped in place (base offset, leader epoch, LogAppendTime),
// written as the same Buffer, and read back as ranges of the segment files.
//
// Two starts. logStartOffset is where the partition's records begin; localLogStartOffset is where
// this broker's copy of them begins. They are equal unless a remote reader is attached (a mirror,
// whose source holds the older records): then local.retention.ms/bytes delete old segments here,
// moving only the local start, and a read below it goes to the remote reader (readBelowLocal), as
// Kafka's tiered storage reads its remote segments. Without one, a read there is out of range.
//
// Durability. An append resolves once its bytes are written to the segment file, that is, handed
// to the operating system: it survives the broker process dying, not the machine losing power.
// flush.messages and flush.ms add an fsync before the append resolves whenever their threshold
// is crossed; with Kafka's defaults (effectively infinite) there is none, as in Kafka, which
// leaves durability to replication. A single node has no replicas, so set flush.messages=1 for an
// acknowledgement that promises an fsync (the fsync is shared by concurrent appends), or call
// flush() before answering acks=-1. Segments are always fsynced as they roll, so after a crash
// only the active segment can hold torn or lost writes, and recovery checks only that one.
//
// Transactions. Transactional batches come from local producers (appendAsLeader, once the
// transaction coordinator has said the partition is in the producer's transaction) and from a
// source cluster (appendAsFollower); COMMIT and ABORT markers from this broker's transaction
// coordinator (appendMarker) or the source. The producer state tracks each producer's open
// transaction from the batch headers and the markers' one record; the earliest open transaction
// holds the last stable offset back, which is where read_committed reads stop. Each ABORT marker
// adds an entry to its segment's transaction index, from which a read_committed read lists the
// aborted transactions overlapping what it returns. A mirror can hold a transaction's data
// without its marker yet (the link fetches up to the source's last stable offset, which another
// open transaction can hold past this one's marker), so the last stable offset is computed here,
// never taken from the source.
//
// The high watermark is the log end offset, as a single node has no follower to wait for.
import { mkdir } from 'node:fs/promises';
import { KafkaError, type ErrorName } from '../../protocol/errors.js';
import {
  BatchHeader, TimestampType, iterateBatches, stampBaseOffset, stampMaxTimestampAndLogAppendTime, stampPartitionLeaderEpoch, validateBatch,
} from '../../protocol/records/batch.js';
import { ControlRecordType, controlRecordType, markerRecord } from '../../protocol/records/control.js';
import { buildBatch } from '../../protocol/records/records.js';
import { cleanSegments, cleanable, type CleanResult, type CleanableLog } from './cleaner.js';
import { AppendQueue, type AppendOp, type FollowerSpan, type QueueHost, type StagedBatch, type WriteGroup } from './append-queue.js';
import { CoalescedTask } from './durable-file.js';
import { FileHandleCache } from './file-handles.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { LocalLog, type TimestampAndOffset } from './local-log.js';
import { loadLog, loadProducerState, replayed } from './log-loader.js';
import { ProducerSnapshots } from './producer-snapshot.js';
import { ProducerStateTable, checkClientBatch, checkCoordinatorBatch, lastSequence, withBatch, withControlBatch, type ProducerEntry } from './producer-state.js';
import { createIndexCache, type IndexCache, type LogSegment } from './segment.js';
import { TailCache, type TailBudget } from './tail-cache.js';
import { timestampErrors, type RecordError } from './timestamp-check.js';
import type { TopicConfig } from './topic-config.js';
import type { AbortedTransaction } from './transaction-index.js';

const NO_TIMESTAMP = -1;
/** Kafka's producer.id.expiration.ms default: one day. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000;
export const DEFAULT_TAIL_CACHE_BYTES = 1 << 20;

export interface PartitionLogOptions {
  /** The log start offset from the data directory's checkpoint; the first segment's base offset if higher. */
  logStartOffset?: number;
  /** The log was closed cleanly: the active segment and its indexes are trusted rather than recovered. */
  cleanShutdown?: boolean;
  /** Persists a new log start offset; awaited before deleteRecordsBefore() and retention report it. */
  onLogStartOffsetChange?: (logStartOffset: number) => Promise<void>;
  /** Open-file bound shared by the logs of a broker; a log given none has its own. */
  files?: FileHandleCache;
  maxOpenFiles?: number;
  /** Cache of closed segments' indexes shared by the logs of a broker; a log given none has its own. */
  indexCache?: IndexCache;
  indexCacheBytes?: number;
  /** Bytes of recently appended batches kept in memory for consumers at the tail. */
  tailCacheBytes?: number;
  /** the bound every partition's tail cache shares (the log manager's) */
  tailBudget?: TailBudget;
  /** where the last clean of this compacted log ended, as checkpointed (default: nothing cleaned) */
  cleanedTo?: number;
  producerIdExpirationMs?: number;
  /** Told what recovery found and repaired, and a failure of the disk. */
  warn?: (message: string) => void;
  /** The clock at start-up (tests set it). */
  now?: number;
}

export type LeaderAppendResult =
  | {
      ok: true;
      baseOffset: number;
      lastOffset: number;
      /** The append time when the topic uses LogAppendTime, else -1. */
      logAppendTime: number;
      logStartOffset: number;
      /** A producer's retry of a batch already in the log: nothing was written, the offsets are the original ones. */
      duplicate: boolean;
    }
  | { ok: false; error: ErrorName; reason: string; recordErrors?: RecordError[] };

export type FollowerAppendResult =
  | {
      ok: true;
      /** Offsets of the batches written, -1 when all were already in the log. */
      firstOffset: number;
      lastOffset: number;
      batches: number;
      logEndOffset: number;
    }
  | { ok: false; error: ErrorName; reason: string };

interface LogOffsets {
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  lastStableOffset: number;
}

export type ReadResult =
  | ({
      ok: true;
      chunks: Buffer[];
      bytes: number;
      /** With upTo 'lso' only: the aborted transactions a read_committed Fetch lists with these batches. */
      abortedTransactions?: AbortedTransaction[];
      /** a read below the local log start that found nothing yet: the records are on their way */
      pending?: boolean;
    } & LogOffsets)
  | ({ ok: false; error: Extract<ErrorName, 'OFFSET_OUT_OF_RANGE' | 'KAFKA_STORAGE_ERROR' | 'NOT_LEADER_OR_FOLLOWER'>; reason: string } & LogOffsets);

/**
 * Reads records below the local log start from where they are kept: whole batches from the one
 * holding `fetchOffset`, at most `maxBytes` (but the first, with minOneBatch), none at or past
 * `upTo` (the local log start: what is here is read here).
 */
export type RemoteReader = (fetchOffset: number, maxBytes: number, opts: { minOneBatch: boolean; upTo: number; wait: boolean }) => Promise<RemoteReadResult>;

export type RemoteReadResult =
  /** `pending`: nothing yet, the records are on their way (asked again, they may be there) */
  | { ok: true; chunks: Buffer[]; bytes: number; abortedTransactions: AbortedTransaction[]; pending?: boolean }
  | { ok: false; error: Extract<ErrorName, 'KAFKA_STORAGE_ERROR' | 'OFFSET_OUT_OF_RANGE'>; reason: string };

export interface ReadOptions {
  /** Return the first batch whole even when it is larger than maxBytes (Kafka's minOneMessage). */
  minOneBatch: boolean;
  /** Fetch isolation: read_uncommitted reads up to the high watermark, read_committed to the last stable offset. */
  upTo: 'hw' | 'lso';
  /**
   * Below the local log start: wait (a bounded time) for records that are not here yet, or return
   * at once with `pending` set while they are fetched (default: wait).
   */
  remoteWait?: boolean;
}

export type DeleteRecordsResult = { ok: true; logStartOffset: number } | { ok: false; error: 'OFFSET_OUT_OF_RANGE'; reason: string };


export class PartitionLog implements QueueHost<LeaderAppendResult, FollowerAppendResult> {
  private config: TopicConfig;
  private local!: LocalLog;
  private epochs!: LeaderEpochCache;
  private readonly producers = new ProducerStateTable();
  private readonly snapshots: ProducerSnapshots;
  private readonly tail: TailCache;
  private readonly files: FileHandleCache;
  private readonly ownsFiles: boolean;
  private readonly indexCache: IndexCache;
  private readonly listeners = new Set<(logEndOffset: number) => void>();
  private readonly queue: AppendQueue<LeaderAppendResult, FollowerAppendResult>;
  closed = false;
  private failure: string | null = null;
  private _logStartOffset = 0;
  private _localLogStartOffset = 0;
  private _logEndOffset = 0;
  /** where the next compaction's dirty section begins: everything below was cleaned this run */
  private cleanedTo = 0;
  private cleaning = false;
  /** reads the records below the local log start from where they are kept (null: nowhere) */
  private remote: RemoteReader | null = null;
  /** bytes of record batches read for clients: from this broker's segments, and through the remote reader */
  readonly served = { local: 0, remote: 0 };
  /** Everything below it is fsynced: Kafka's recovery point. */
  private flushedOffset = 0;
  /** When the oldest append not yet fsynced was made, for flush.ms. */
  private firstUnflushedAt: number | null = null;
  private readonly flusher = new CoalescedTask(() => this.syncActive());

  private constructor(
    readonly dir: string,
    config: TopicConfig,
    private readonly opts: PartitionLogOptions,
  ) {
    this.config = config;
    this.ownsFiles = !opts.files;
    this.files = opts.files ?? new FileHandleCache(opts.maxOpenFiles ?? 64);
    this.indexCache = opts.indexCache ?? createIndexCache(opts.indexCacheBytes ?? 8 << 20);
    this.tail = new TailCache(opts.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES, opts.tailBudget ?? null);
    this.snapshots = new ProducerSnapshots(dir);
    this.queue = new AppendQueue(this, dir);
  }

  /** Opens (or creates) the log in `dir` and recovers it (see log-loader.ts). */
  static async open(dir: string, config: TopicConfig, opts: PartitionLogOptions = {}): Promise<PartitionLog> {
    await mkdir(dir, { recursive: true });
    const log = new PartitionLog(dir, config, opts);
    await log.load(opts.now ?? Date.now());
    return log;
  }

  get logStartOffset(): number {
    return this._logStartOffset;
  }

  /** The producers this partition's producer state holds (DescribeProducers). */
  activeProducers(): ProducerEntry[] {
    return [...this.producers.all()];
  }

  /**
   * Ends every transaction open here with an ABORT marker at its producer's epoch: for a mirror
   * promoted with transactions its source had not ended, whose markers can no longer come from
   * there. Returns the producers whose transactions were aborted.
   */
  async abortOpenTransactions(now: number): Promise<number[]> {
    const open = [...this.producers.all()].filter((p) => p.currentTxnFirstOffset >= 0);
    const aborted: number[] = [];
    for (const p of open) {
      const r = await this.appendMarker({ producerId: p.producerId, epoch: p.epoch, commit: false, coordinatorEpoch: 0, now });
      if (!r.ok) throw new Error(`${this.dir}: aborting the open transaction of producer ${p.producerId}: ${r.error} ${r.reason}`);
      aborted.push(p.producerId);
    }
    return aborted;
  }

  /** Where the last clean ended: the next one's dirty section begins there. */
  get cleanedOffset(): number {
    return this.cleanedTo;
  }

  /** Where this broker's copy of the records begins. */
  get localLogStartOffset(): number {
    return Math.max(this._localLogStartOffset, this._logStartOffset);
  }

  /**
   * Attaches (or detaches, with null) the reader of the records below the local log start. A log
   * left without one keeps only what it holds: its log start moves up to its local start.
   */
  setRemote(reader: RemoteReader | null): Promise<void> {
    this.remote = reader;
    if (reader !== null) return Promise.resolve();
    return this.queue.task(async () => {
      if (this.remote === null && this.localLogStartOffset > this._logStartOffset) await this.advanceLogStart(this.localLogStartOffset);
    });
  }

  get logEndOffset(): number {
    return this._logEndOffset;
  }

  get highWatermark(): number {
    return this._logEndOffset;
  }

  /**
   * Where read_committed reads stop: the first offset of the earliest open transaction, else the
   * high watermark. As in Kafka it is never below the log start, which can pass the start of a
   * transaction still open.
   */
  get lastStableOffset(): number {
    const first = this.producers.firstUnstableOffset;
    return first === null ? this.highWatermark : Math.min(Math.max(first, this._logStartOffset), this.highWatermark);
  }

  /** Bytes in all segments. */
  get size(): number {
    return this.local.size;
  }

  get segmentCount(): number {
    return this.local.segments.length;
  }

  get topicConfig(): TopicConfig {
    return this.config;
  }

  /** Takes effect from the next append, roll or retention run. */
  updateConfig(config: TopicConfig): void {
    this.config = config;
  }

  /** Calls `listener` with the new log end offset after every append; returns the unsubscribe function. */
  onAppend(listener: (logEndOffset: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The Produce path. `records` must be one v2 batch, as Kafka requires of a produce request's
   * partition data. It is validated (framing, magic, CRC, max.message.bytes, the producer rules),
   * checked against the producer's state when it has a producer id, then stamped in place with its
   * offsets, the leader epoch and, under LogAppendTime, `now`, and written as is. Errors carry
   * Kafka's names: CORRUPT_MESSAGE, INVALID_RECORD, MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE,
   * UNSUPPORTED_COMPRESSION_TYPE, INVALID_PRODUCER_EPOCH, OUT_OF_ORDER_SEQUENCE_NUMBER,
   * INVALID_TXN_STATE, KAFKA_STORAGE_ERROR, NOT_LEADER_OR_FOLLOWER (log closed).
   */
  appendAsLeader(records: Buffer, opts: { leaderEpoch: number; now: number; origin?: 'client' | 'coordinator' }): Promise<LeaderAppendResult> {
    const unusable = this.unusable();
    if (unusable) return Promise.resolve(unusable);
    const coordinator = opts.origin === 'coordinator';
    const v = validateBatch(records, 0, records.length, { fromClient: !coordinator, maxBatchBytes: this.config.maxMessageBytes });
    if (!v.ok) return Promise.resolve({ ok: false, error: v.error, reason: v.reason });
    if (v.size !== records.length) {
      return Promise.resolve({ ok: false, error: 'INVALID_RECORD', reason: 'a produce request must carry exactly one record batch per partition' });
    }
    if (v.size > this.config.segmentBytes) {
      return Promise.resolve({ ok: false, error: 'RECORD_LIST_TOO_LARGE', reason: `batch of ${v.size} bytes exceeds segment.bytes ${this.config.segmentBytes}` });
    }
    const header = new BatchHeader(records, 0);
    if (header.isTransactional && header.producerId < 0) {
      return Promise.resolve({ ok: false, error: 'INVALID_RECORD', reason: 'a transactional batch needs a producer id' });
    }
    if (this.config.messageTimestampType === 'CreateTime' && !header.isControl) {
      const recordErrors = header.timestampType === TimestampType.LOG_APPEND_TIME
        ? [{ batchIndex: 0, batchIndexErrorMessage: 'Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime.' }]
        : timestampErrors(records, header, opts.now, { beforeMaxMs: this.config.messageTimestampBeforeMaxMs, afterMaxMs: this.config.messageTimestampAfterMaxMs });
      if (recordErrors) {
        return Promise.resolve({ ok: false, error: 'INVALID_TIMESTAMP', reason: 'One or more records have been rejected due to invalid timestamp', recordErrors });
      }
    }
    return new Promise((done) => this.queue.append({ kind: 'leader', buf: records, leaderEpoch: opts.leaderEpoch, now: opts.now, coordinator, done }));
  }

  /**
   * Writes a transaction marker, COMMIT or ABORT, for `producerId` at `epoch` (Kafka's
   * WriteTxnMarkers, from this broker's own coordinator): it ends the producer's transaction here.
   * An epoch older than the producer's is fenced (INVALID_PRODUCER_EPOCH).
   */
  appendMarker(m: { producerId: number; epoch: number; commit: boolean; coordinatorEpoch: number; now: number }): Promise<LeaderAppendResult> {
    const batch = buildBatch({
      records: [markerRecord(m.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, m.coordinatorEpoch)],
      producerId: m.producerId, producerEpoch: m.epoch, transactional: true, control: true, now: m.now,
    });
    return this.appendAsLeader(batch, { leaderEpoch: this.leaderEpoch, now: m.now, origin: 'coordinator' });
  }

  /**
   * The mirror path: batches keep the offsets and leader epochs they have. Batches entirely below
   * the log end offset are skipped (a re-fetch); the rest must not overlap it or each other. Gaps
   * between batches are kept, as a compacted source has them. A trailing partial batch, which a
   * Fetch response may end with, is ignored. Each batch's leader epoch enters the epoch cache.
   * Transactions open and end with the batches, and an ABORT marker indexes its transaction.
   */
  appendAsFollower(records: Buffer, opts: { now?: number } = {}): Promise<FollowerAppendResult> {
    const unusable = this.unusable();
    if (unusable) return Promise.resolve(unusable);
    const spans: FollowerSpan[] = [];
    const it = iterateBatches(records);
    for (;;) {
      const r = it.next();
      if (r.done) {
        if (r.value.stop === 'corrupt') return Promise.resolve({ ok: false, error: 'CORRUPT_MESSAGE', reason: `malformed batch length at position ${r.value.pos}` });
        break;
      }
      const { pos, size } = r.value;
      const v = validateBatch(records, pos, pos + size);
      if (!v.ok) return Promise.resolve({ ok: false, error: v.error, reason: `batch at position ${pos}: ${v.reason}` });
      const h = new BatchHeader(records, pos);
      let controlType: number | null = null;
      if (h.isControl && h.producerId >= 0) {
        try {
          controlType = controlRecordType(records, pos);
        } catch (e) {
          const error = e instanceof KafkaError ? e.error : 'CORRUPT_MESSAGE';
          return Promise.resolve({ ok: false, error, reason: `control batch at position ${pos}: ${(e as Error).message}` });
        }
      }
      spans.push({ pos, size, controlType });
    }
    return new Promise((done) => this.queue.append({ kind: 'follower', buf: records, spans, now: opts.now ?? Date.now(), done }));
  }

  /**
   * Whole batches from the one holding `fetchOffset` (which may start before it), at most
   * `maxBytes` of them, except that with minOneBatch the first is returned however large. Reads
   * stay within one segment, as Kafka's do; the consumer's next fetch continues in the next.
   * Recent batches come from memory, older ones as one read of a contiguous file range. A read
   * below the local log start goes to readBelowLocal.
   */
  async read(fetchOffset: number, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    for (let attempt = 0; ; attempt++) {
      const offsets: LogOffsets = {
        logStartOffset: this._logStartOffset,
        logEndOffset: this._logEndOffset,
        highWatermark: this.highWatermark,
        lastStableOffset: this.lastStableOffset,
      };
      if (this.closed) return { ok: false, error: 'NOT_LEADER_OR_FOLLOWER', reason: 'the log is closed', ...offsets };
      if (fetchOffset > offsets.logEndOffset) return outOfRange(fetchOffset, offsets);
      if (fetchOffset < this.localLogStartOffset) return this.readBelowLocal(fetchOffset, maxBytes, opts, offsets);
      const limit = opts.upTo === 'lso' ? offsets.lastStableOffset : offsets.highWatermark;
      const interval = this.config.indexIntervalBytes;
      try {
        const chunks = this.tail.read(fetchOffset, maxBytes, opts.minOneBatch, limit) ?? (await this.local.read(fetchOffset, maxBytes, opts.minOneBatch, limit, interval));
        const bytes = chunks.reduce((n, c) => n + c.length, 0);
        this.served.local += bytes;
        if (opts.upTo === 'hw') return { ok: true, chunks, bytes, ...offsets };
        return { ok: true, chunks, bytes, ...offsets, abortedTransactions: await this.local.abortedTransactions(fetchOffset, chunks, this._logEndOffset, interval) };
      } catch (e) {
        // Retention or truncation removed the segment under the read: start over from the new state.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 3) continue;
        return { ok: false, error: 'KAFKA_STORAGE_ERROR', reason: (e as Error).message, ...offsets };
      }
    }
  }

  /**
   * Every read below the local log start comes here: records this broker does not hold. A log with
   * a remote reader (a mirror: its source) is served by it; without one they are out of range.
   */
  private async readBelowLocal(fetchOffset: number, maxBytes: number, opts: ReadOptions, offsets: LogOffsets): Promise<ReadResult> {
    if (this.remote === null || fetchOffset < offsets.logStartOffset) return outOfRange(fetchOffset, offsets);
    const r = await this.remote(fetchOffset, maxBytes, { minOneBatch: opts.minOneBatch, upTo: this.localLogStartOffset, wait: opts.remoteWait ?? true });
    if (!r.ok) return { ...r, ...offsets };
    this.served.remote += r.bytes;
    return { ok: true, chunks: r.chunks, bytes: r.bytes, ...offsets, ...(opts.upTo === 'lso' ? { abortedTransactions: r.abortedTransactions } : {}), ...(r.pending ? { pending: true } : {}) };
  }

  /**
   * ListOffsets by timestamp: the first record (by offset) with a timestamp at or after
   * `timestamp`, or null if there is none.
   */
  offsetForTimestamp(timestamp: number): Promise<TimestampAndOffset | null> {
    return this.local.offsetForTimestamp(timestamp, this._logStartOffset, this.config.indexIntervalBytes);
  }

  /** ListOffsets MAX_TIMESTAMP: the record with the largest timestamp (the first such), or null for a log without any. */
  maxTimestampOffset(): Promise<TimestampAndOffset | null> {
    return this.local.maxTimestampOffset(this.config.indexIntervalBytes);
  }

  /** OffsetForLeaderEpoch: see LeaderEpochCache.endOffsetFor; (-1, -1) for an unknown epoch. */
  endOffsetForLeaderEpoch(epoch: number): { epoch: number; endOffset: number } {
    return this.epochs.endOffsetFor(epoch, this._logEndOffset);
  }

  /** The leader epoch the batch at `offset` was written in (-1 if unknown), for ListOffsets. */
  epochForOffset(offset: number): number {
    return this.epochs.epochForOffset(offset);
  }

  /**
   * The epoch a leader append is stamped with: the latest in the cache, so a partition whose
   * batches came from the source cluster carries on from the source's epoch; 0 for a new log.
   */
  get leaderEpoch(): number {
    return Math.max(0, this.epochs.latestEpoch());
  }

  /**
   * Starts a leader epoch above every one the log holds, from its end (a mirror promoted: the
   * source's epochs stay with the data, and this broker's appends carry a new one). Only while
   * nothing appends to the log.
   */
  async startNewEpoch(): Promise<number> {
    const epoch = this.epochs.latestEpoch() + 1;
    if (this.epochs.assign(epoch, this._logEndOffset)) await this.epochs.persist();
    return epoch;
  }

  /** The largest producer id the log's producer state knows (-1: none). */
  get maxProducerId(): number {
    let max = -1;
    for (const e of this.producers.all()) max = Math.max(max, e.producerId);
    return max;
  }

  /**
   * DeleteRecords: the log now starts at `offset` (persisted before this resolves), and segments
   * wholly below it are deleted. OFFSET_OUT_OF_RANGE past the high watermark, as in Kafka.
   */
  deleteRecordsBefore(offset: number): Promise<DeleteRecordsResult> {
    return this.queue.task(async () => {
      if (offset > this.highWatermark) return { ok: false, error: 'OFFSET_OUT_OF_RANGE', reason: `offset ${offset} is above the high watermark ${this.highWatermark}` };
      if (offset > this._logStartOffset) {
        await this.advanceLogStart(offset);
        const below = this.deletable((seg, next) => next !== undefined && next.baseOffset <= this._logStartOffset);
        await this.deleteOldest(below);
      }
      return { ok: true, logStartOffset: this._logStartOffset };
    });
  }

  /**
   * Deletes the oldest segments past retention.ms (by their largest timestamp, or their last write
   * when they have none) or beyond retention.bytes, advancing the log start offset, and forgets
   * producers idle longer than producer.id.expiration.ms. The active segment is never deleted:
   * if it is itself past retention, a new empty one is rolled first, as Kafka does.
   */
  applyRetention(now: number): Promise<{ deletedSegments: number; logStartOffset: number }> {
    return this.queue.task(async () => {
      let deleted = 0;
      const { retentionMs, retentionBytes } = this.config;
      // Retention deletes only under cleanup.policy delete (a compact-only log keeps every key's latest record).
      const deletes = this.config.cleanupPolicy.split(',').includes('delete');
      if (deletes && retentionMs >= 0) deleted += await this.deleteOldest(this.olderThan(now, retentionMs));
      if (deletes && retentionBytes >= 0) deleted += await this.deleteOldest(this.beyondBytes(retentionBytes));
      // With the older records kept remotely, local.retention.* also bounds the copy here.
      if (deletes && this.remote !== null) {
        const { localRetentionMs, localRetentionBytes } = this.config;
        if (localRetentionMs >= 0) deleted += await this.deleteOldest(this.olderThan(now, localRetentionMs), true);
        if (localRetentionBytes >= 0) deleted += await this.deleteOldest(this.beyondBytes(localRetentionBytes), true);
      }
      this.producers.expire(now, this.opts.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS);
      return { deletedSegments: deleted, logStartOffset: this._logStartOffset };
    });
  }

  /**
   * Compacts the log if cleanup.policy has compact and enough of it is dirty (or overdue): one
   * cleaner pass (cleaner.ts) over its closed segments below the last stable offset, each
   * rewritten segment swapped in under the append queue. Null when there was nothing to do.
   */
  async compact(now: number): Promise<CleanResult | null> {
    if (!this.config.cleanupPolicy.split(',').includes('compact') || this.closed || this.cleaning) return null;
    const firstDirty = Math.max(this.cleanedTo, this._logStartOffset);
    const target: CleanableLog = {
      segments: () => this.local.segments,
      stableEnd: () => Math.min(this.highWatermark, this.lastStableOffset),
      swap: (old, cleanedPath) =>
        this.queue.task(async () => {
          const swapped = await this.local.swapCleaned(old, cleanedPath, this.config.indexIntervalBytes, Date.now());
          // The tail cache may hold the batches the copy dropped.
          if (swapped) this.tail.clear();
          return swapped;
        }),
      abortedTxns: () => this.local.abortedTxnEntries(this.config.indexIntervalBytes),
    };
    const segments = cleanable(target, firstDirty, this.config, now);
    if (!segments) return null;
    this.cleaning = true;
    try {
      const r = await cleanSegments(target, segments, firstDirty, this.config, now);
      this.cleanedTo = r.cleanedTo;
      return r;
    } finally {
      this.cleaning = false;
    }
  }

  /**
   * For the mirror's divergence handling: removes every batch whose last offset is at or after
   * `offset`, so the log ends at `offset` (Kafka's semantics, even when that cuts a batch that
   * started before it). Epochs, producer state and open transactions follow, and the transaction
   * index loses the markers cut. Below the log start it empties the log.
   */
  truncateTo(offset: number): Promise<void> {
    return this.queue.task(async () => {
      if (offset >= this._logEndOffset) return;
      if (offset < this._logStartOffset) return this.truncateFullyNow(offset);
      await this.local.truncateTo(offset, this.config.indexIntervalBytes);
      this.cleanedTo = Math.min(this.cleanedTo, offset);
      this._logEndOffset = offset;
      this.flushedOffset = Math.min(this.flushedOffset, offset);
      this.tail.truncateTo(offset);
      if (this.epochs.truncateFromEnd(offset)) await this.epochs.persist();
      await this.loadProducerState(Infinity);
    });
  }

  /**
   * Empties the log and restarts it at `offset` (the mirror, when the source's log start passed
   * this log's end). With `logStartOffset` below it, the log starts there and what lies between
   * is read remotely (a mirror started at the source's latest offset).
   */
  truncateFullyAndStartAt(offset: number, logStartOffset = offset): Promise<void> {
    return this.queue.task(() => this.truncateFullyNow(offset, Math.min(logStartOffset, offset)));
  }

  /** fsyncs everything appended so far (waiting for an fsync in progress and sharing the next). */
  async flush(): Promise<void> {
    const target = this._logEndOffset;
    while (this.flushedOffset < Math.min(target, this._logEndOffset)) {
      if (this.failure) throw new Error(this.failure);
      await this.flusher.run();
    }
  }

  /** Applies flush.messages and flush.ms: fsyncs when either threshold is reached. */
  async flushIfNeeded(now: number): Promise<void> {
    const unflushed = this._logEndOffset - this.flushedOffset;
    if (unflushed <= 0) return;
    const { flushMessages, flushMs } = this.config;
    if (unflushed >= flushMessages || (this.firstUnflushedAt !== null && now - this.firstUnflushedAt >= flushMs)) await this.flush();
  }

  /**
   * Waits for pending appends, then leaves the log ready for a clean start: the active segment's
   * indexes written and the segment fsynced, the producer state snapshotted at the log end.
   */
  close(): Promise<void> {
    return this.queue.task(async () => {
      this.closed = true;
      try {
        if (!this.failure) {
          await this.local.active.seal();
          await this.snapshots.write(this._logEndOffset, this.producers.all());
        }
      } finally {
        // Shared handles and cached indexes must not outlive the log: a deleted topic's space is
        // freed only once its files are closed, and a new topic of the same name reuses the paths.
        this.local.release();
        if (this.ownsFiles) await this.files.close();
      }
    }, 'skip');
  }

  // ---- loading -------------------------------------------------------------------------------

  private async load(now: number): Promise<void> {
    const warn = this.opts.warn ?? (() => undefined);
    const loaded = await loadLog(this.dir, {
      files: this.files,
      indexCache: this.indexCache,
      indexIntervalBytes: this.config.indexIntervalBytes,
      logStartOffset: this.opts.logStartOffset,
      cleanShutdown: this.opts.cleanShutdown ?? false,
      warn,
      now,
    });
    this.local = loaded.local;
    this.epochs = loaded.epochs;
    this._logStartOffset = loaded.logStartOffset;
    this._localLogStartOffset = loaded.localLogStartOffset;
    this._logEndOffset = loaded.logEndOffset;
    this.flushedOffset = loaded.logEndOffset;
    // Not past what survived: records written again there after a crash are dirty.
    this.cleanedTo = Math.min(this.opts.cleanedTo ?? 0, loaded.logEndOffset);
    if (loaded.startPastEnd) {
      // The log start was checkpointed past data that did not survive: nothing is left to keep.
      await this.truncateFullyNow(loaded.logStartOffset);
      return;
    }
    await this.loadProducerState(loaded.replayTxnsFrom);
    await this.snapshots.prune(this.local.segments.map((s) => s.baseOffset));
  }

  private loadProducerState(replayFrom: number): Promise<void> {
    return loadProducerState(this.local, this.producers, this.snapshots, {
      logEndOffset: this._logEndOffset,
      replayFrom,
      indexIntervalBytes: this.config.indexIntervalBytes,
      warn: this.opts.warn ?? (() => undefined),
    });
  }

  // ---- appending (the queue's host) ------------------------------------------------------------

  unusable(): { ok: false; error: ErrorName; reason: string } | null {
    if (this.closed) return { ok: false, error: 'NOT_LEADER_OR_FOLLOWER', reason: 'the log is closed' };
    if (this.failure) return { ok: false, error: 'KAFKA_STORAGE_ERROR', reason: this.failure };
    return null;
  }

  /**
   * The disk failed under the log: it takes no more appends (a later one could land after a
   * hole) until a restart recovers it; reads go on. Told once; returns the first failure.
   */
  fail(reason: string): string {
    if (this.failure === null) {
      this.failure = reason;
      this.opts.warn?.(`${this.dir}: the log failed and takes no appends until a restart: ${reason}`);
    }
    return this.failure;
  }

  stage(op: AppendOp<LeaderAppendResult, FollowerAppendResult>, g: WriteGroup): Promise<void> {
    return op.kind === 'leader' ? this.stageLeader(op, g) : this.stageFollower(op, g);
  }

  private async stageLeader(op: Extract<AppendOp<LeaderAppendResult, FollowerAppendResult>, { kind: 'leader' }>, g: WriteGroup): Promise<void> {
    const h = new BatchHeader(op.buf, 0);
    const producerId = h.producerId;
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime' ? op.now : NO_TIMESTAMP;
    let current: ProducerEntry | undefined;
    const firstSeq = h.baseSequence;
    const lastSeq = lastSequence(firstSeq, h.lastOffsetDelta);
    let controlType: number | null = null;
    if (producerId >= 0) {
      current = g.producers.get(producerId) ?? this.producers.get(producerId);
      const check = op.coordinator ? checkCoordinatorBatch(current, h.producerEpoch) : checkClientBatch(current, h.producerEpoch, firstSeq, lastSeq);
      if (check.kind === 'error') {
        op.done({ ok: false, error: check.error, reason: check.reason });
        return;
      }
      if (check.kind === 'duplicate') {
        const b = check.batch;
        g.settle.push((failure) =>
          op.done(failure ? storageError(failure) : {
            ok: true, baseOffset: b.firstOffset, lastOffset: b.lastOffset, logAppendTime: logAppendTime === NO_TIMESTAMP ? NO_TIMESTAMP : b.timestamp,
            logStartOffset: this._logStartOffset, duplicate: true,
          }),
        );
        return;
      }
      // Kafka's rule: a producer with a transaction open writes only transactional batches until it ends.
      if (!h.isTransactional && current && current.epoch === h.producerEpoch && current.currentTxnFirstOffset >= 0) {
        op.done({ ok: false, error: 'INVALID_TXN_STATE', reason: `producer ${producerId} has a transaction open and sent a non-transactional batch` });
        return;
      }
      if (h.isControl) controlType = controlRecordType(op.buf, 0);
    }
    if (logAppendTime !== NO_TIMESTAMP) stampMaxTimestampAndLogAppendTime(op.buf, 0, logAppendTime);
    const baseOffset = g.nextOffset;
    const staged: StagedBatch = {
      buf: op.buf, baseOffset, lastOffset: baseOffset + h.lastOffsetDelta, maxTimestamp: h.maxTimestamp, size: op.buf.length,
      leaderEpoch: op.leaderEpoch, producer: null, aborts: controlType === ControlRecordType.ABORT,
    };
    await this.rollIfNeeded(g, staged, op.now);
    stampBaseOffset(op.buf, 0, baseOffset);
    stampPartitionLeaderEpoch(op.buf, 0, op.leaderEpoch);
    if (controlType !== null) {
      staged.producer = withControlBatch(current, producerId, h.producerEpoch, staged.maxTimestamp, true);
    } else if (producerId >= 0) {
      staged.producer = withBatch(current, producerId, h.producerEpoch, {
        firstSeq, lastSeq, firstOffset: baseOffset, lastOffset: staged.lastOffset, timestamp: staged.maxTimestamp,
      }, h.isTransactional);
    }
    g.add(staged);
    g.settle.push((failure) =>
      op.done(failure ? storageError(failure) : {
        ok: true, baseOffset, lastOffset: staged.lastOffset, logAppendTime, logStartOffset: this._logStartOffset, duplicate: false,
      }),
    );
  }

  private async stageFollower(op: Extract<AppendOp<LeaderAppendResult, FollowerAppendResult>, { kind: 'follower' }>, g: WriteGroup): Promise<void> {
    const keep: { h: BatchHeader; controlType: number | null }[] = [];
    let expected = g.nextOffset;
    for (const span of op.spans) {
      const h = new BatchHeader(op.buf, span.pos);
      if (h.lastOffset < expected) continue;
      if (h.baseOffset < expected) {
        op.done({ ok: false, error: 'INVALID_RECORD', reason: `batch [${h.baseOffset}, ${h.lastOffset}] overlaps the log, which ends at ${expected}` });
        return;
      }
      keep.push({ h, controlType: span.controlType });
      expected = h.nextOffset;
    }
    for (const { h, controlType } of keep) {
      const staged: StagedBatch = {
        buf: op.buf.subarray(h.pos, h.end), baseOffset: h.baseOffset, lastOffset: h.lastOffset, maxTimestamp: h.maxTimestamp, size: h.size,
        leaderEpoch: h.partitionLeaderEpoch, producer: null, aborts: controlType === ControlRecordType.ABORT,
      };
      await this.rollIfNeeded(g, staged, op.now);
      if (h.producerId >= 0) staged.producer = replayed(g.producers.get(h.producerId) ?? this.producers.get(h.producerId), h, controlType);
      g.add(staged);
    }
    const first = keep[0]?.h;
    const last = keep.at(-1)?.h;
    g.settle.push((failure) =>
      op.done(failure ? storageError(failure) : {
        ok: true, firstOffset: first?.baseOffset ?? -1, lastOffset: last?.lastOffset ?? -1, batches: keep.length, logEndOffset: this._logEndOffset,
      }),
    );
  }

  /** Rolls before `b` when Kafka would (LocalLog.shouldRoll); the new segment starts at its base offset. */
  private async rollIfNeeded(g: WriteGroup, b: StagedBatch, now: number): Promise<void> {
    const pending = { bytes: g.bytes, firstTimestamp: g.batches[0]?.maxTimestamp ?? null };
    if (!this.local.shouldRoll(b, pending, this.config, now)) return;
    await this.commit(g);
    if (this.failure) throw new Error(this.failure);
    await this.roll(b.baseOffset, now);
  }

  /**
   * Starts a new active segment at `baseOffset`; a written one is closed first (indexes written,
   * fsynced, producer state snapshotted at the log end).
   */
  private async roll(baseOffset: number, now: number): Promise<void> {
    if (this.local.active.size > 0) {
      await this.local.active.seal();
      this.flushedOffset = this._logEndOffset;
      this.firstUnflushedAt = null;
      await this.snapshots.write(this._logEndOffset, this.producers.all());
    }
    await this.local.roll(baseOffset, now);
  }

  /** Writes the group's batches and makes them visible: indexes, caches, offsets, then the answers. */
  async commit(g: WriteGroup): Promise<void> {
    if (g.batches.length === 0) {
      g.finish(null, this._logEndOffset);
      return;
    }
    const now = Date.now();
    try {
      await this.local.append(g.batches.map((b) => b.buf), g.batches, this.config.indexIntervalBytes, now);
    } catch (e) {
      // The file may now hold part of the write: stop appending until a restart recovers it.
      g.finish(this.fail(`write to ${this.local.active.logPath} failed: ${(e as Error).message}`), this._logEndOffset);
      return;
    }
    let epochsChanged = false;
    for (const b of g.batches) {
      this.tail.push({ baseOffset: b.baseOffset, lastOffset: b.lastOffset, buf: b.buf });
      epochsChanged = this.epochs.assign(b.leaderEpoch, b.baseOffset) || epochsChanged;
      if (!b.producer) continue;
      // Indexed before the transaction closes, so no read sees the last stable offset pass its
      // records without also finding it in the index.
      const aborted = b.aborts ? this.producers.abortedBy(b.producer.producerId, b.baseOffset) : null;
      if (aborted) this.local.active.addAbortedTxn(aborted);
      this.producers.set(b.producer);
    }
    if (this.flushedOffset === this._logEndOffset) this.firstUnflushedAt = now;
    this._logEndOffset = g.nextOffset;
    let failure: string | null = null;
    try {
      if (epochsChanged) await this.epochs.persist();
      await this.flushIfNeeded(now);
    } catch (e) {
      failure = this.fail(`${(e as Error).message}`);
    }
    g.finish(failure, this._logEndOffset);
    for (const listener of this.listeners) {
      try {
        listener(this._logEndOffset);
      } catch (e) {
        this.opts.warn?.(`${this.dir}: an append listener failed: ${(e as Error).message}`);
      }
    }
  }

  private async syncActive(): Promise<void> {
    const upTo = this._logEndOffset;
    try {
      await this.local.sync();
    } catch (e) {
      // Deleted by retention or truncation meanwhile: nothing of it is left to make durable.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (upTo > this.flushedOffset) this.flushedOffset = upTo;
    if (this.flushedOffset >= this._logEndOffset) this.firstUnflushedAt = null;
  }

  // ---- deleting from the head ----------------------------------------------------------------

  /** The oldest segments past `ms` (by their largest timestamp, or their last write when they have none). */
  private olderThan(now: number, ms: number): LogSegment[] {
    return this.deletable((seg) => now - (seg.maxTimestamp >= 0 ? seg.maxTimestamp : seg.lastModified) > ms);
  }

  /** The oldest segments whose deletion brings the local size down to `limit` bytes. */
  private beyondBytes(limit: number): LogSegment[] {
    let excess = this.size - limit;
    return this.deletable((seg) => {
      if (excess - seg.size < 0) return false;
      excess -= seg.size;
      return true;
    });
  }

  private deletable(pred: (seg: LogSegment, next: LogSegment | undefined) => boolean): LogSegment[] {
    return this.local.deletable(this.highWatermark, this._logEndOffset, pred);
  }

  /**
   * Deletes the given oldest segments, rolling first if they include the active one. The log start
   * moves past them; with `localOnly` only the local log start does (the records stay readable
   * through the remote reader).
   */
  private async deleteOldest(doomed: LogSegment[], localOnly = false): Promise<number> {
    if (doomed.length === 0) return 0;
    if (doomed.length === this.local.segments.length) await this.roll(this._logEndOffset, Date.now());
    this.local.removeOldest(doomed.length);
    const first = this.local.segments[0]!.baseOffset;
    if (localOnly) this._localLogStartOffset = Math.max(this._localLogStartOffset, first);
    else if (first > this._logStartOffset) await this.advanceLogStart(first);
    for (const seg of doomed) await seg.delete();
    await this.snapshots.prune(this.local.segments.map((s) => s.baseOffset));
    return doomed.length;
  }

  private async advanceLogStart(offset: number): Promise<void> {
    this._logStartOffset = offset;
    await this.opts.onLogStartOffsetChange?.(offset);
    if (this.epochs.truncateFromStart(offset)) await this.epochs.persist();
  }

  private async truncateFullyNow(offset: number, logStartOffset = offset): Promise<void> {
    await this.local.replaceAll(offset, Date.now());
    this.cleanedTo = 0;
    this._logEndOffset = offset;
    this.flushedOffset = offset;
    this.firstUnflushedAt = null;
    this.tail.clear();
    if (this.epochs.clear()) await this.epochs.persist();
    this.producers.clear();
    await this.snapshots.removeAll();
    this._logStartOffset = logStartOffset;
    this._localLogStartOffset = offset;
    await this.opts.onLogStartOffsetChange?.(logStartOffset);
  }

}

function outOfRange(fetchOffset: number, offsets: LogOffsets): ReadResult {
  return { ok: false, error: 'OFFSET_OUT_OF_RANGE', reason: `offset ${fetchOffset} is outside [${offsets.logStartOffset}, ${offsets.logEndOffset}]`, ...offsets };
}

function storageError(reason: string): { ok: false; error: 'KAFKA_STORAGE_ERROR'; reason: string } {
  return { ok: false, error: 'KAFKA_STORAGE_ERROR', reason };
}
