// The durable log of one partition, in Kafka's on-disk layout (log-manager.ts lists the files).
// Batches are never decoded on the append and read paths (but for the one record of a mirrored
// transaction marker): a produced batch is validated and stamped in place (base offset, leader
// epoch, LogAppendTime), written as the same Buffer, and read back as ranges of the segment files.
//
// Appends go through one queue per partition. Appends that arrive while a write is in progress
// are written together by the next write (one writev, one fsync when one is due), so concurrent
// producers share the cost of each system call.
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
// Transactions. Transactional batches and their COMMIT/ABORT markers reach the log only from a
// source cluster, through appendAsFollower (local producers cannot write them: outpost has no
// transaction coordinator). The producer state tracks each producer's open transaction from the
// batch headers and the markers' one record; the earliest open transaction holds the last stable
// offset back, which is where read_committed reads stop. Each ABORT marker adds an entry to its
// segment's transaction index, from which a read_committed read lists the aborted transactions
// overlapping what it returns. A mirror can hold a transaction's data without its marker yet (the
// link fetches up to the source's last stable offset, which another open transaction can hold
// past this one's marker), so the last stable offset is computed here, never taken from the
// source.
//
// The high watermark is the log end offset, as a single node has no follower to wait for.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KafkaError, type ErrorName } from '../../protocol/errors.js';
import {
  BatchHeader, TimestampType, iterateBatches, stampBaseOffset, stampMaxTimestampAndLogAppendTime, stampPartitionLeaderEpoch, validateBatch,
} from '../../protocol/records/batch.js';
import { ControlRecordType, controlRecordType } from '../../protocol/records/control.js';
import { readRecords } from '../../protocol/records/records.js';
import { CoalescedTask, unlinkIfPresent } from './durable-file.js';
import { FileHandleCache } from './file-handles.js';
import {
  LEADER_EPOCH_CHECKPOINT, LOG_SUFFIX, INDEX_SUFFIX, SNAPSHOT_SUFFIX, TEMP_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, offsetFileName, parseOffsetFileName,
} from './file-names.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { readSnapshot, writeSnapshot } from './producer-snapshot.js';
import { ProducerStateTable, checkClientBatch, lastSequence, withBatch, withControlBatch, type ProducerEntry } from './producer-state.js';
import { LogSegment, createIndexCache, type BatchAt, type IndexCache } from './segment.js';
import { runLimited } from './run-limited.js';
import { TailCache } from './tail-cache.js';
import { timestampErrors, type RecordError } from './timestamp-check.js';
import type { TopicConfig } from './topic-config.js';
import type { AbortedTransaction, AbortedTxn } from './transaction-index.js';

const INT32_MAX = 0x7fffffff;
const NO_TIMESTAMP = -1;
/** Kafka's producer.id.expiration.ms default: one day. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000;
export const DEFAULT_TAIL_CACHE_BYTES = 1 << 20;
/** Bytes read at once when walking a segment to replay producer state. */
const REPLAY_CHUNK = 1 << 20;
const SEGMENT_LOAD_CONCURRENCY = 16;

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
  producerIdExpirationMs?: number;
  /** Told what recovery found and repaired. */
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
    } & LogOffsets)
  | ({ ok: false; error: Extract<ErrorName, 'OFFSET_OUT_OF_RANGE' | 'KAFKA_STORAGE_ERROR' | 'NOT_LEADER_OR_FOLLOWER'>; reason: string } & LogOffsets);

export interface ReadOptions {
  /** Return the first batch whole even when it is larger than maxBytes (Kafka's minOneMessage). */
  minOneBatch: boolean;
  /** Fetch isolation: read_uncommitted reads up to the high watermark, read_committed to the last stable offset. */
  upTo: 'hw' | 'lso';
}

export interface TimestampAndOffset {
  timestamp: number;
  offset: number;
  /** The leader epoch of the batch holding it, -1 if it has none. */
  leaderEpoch: number;
}

export type DeleteRecordsResult = { ok: true; logStartOffset: number } | { ok: false; error: 'OFFSET_OUT_OF_RANGE'; reason: string };

/** A batch waiting in a write group: its bytes and what committing it changes. */
interface StagedBatch {
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
interface FollowerSpan {
  pos: number;
  size: number;
  controlType: number | null;
}

/** Appends written by one write: staged in order, committed together. */
class WriteGroup {
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

type Op =
  | { kind: 'leader'; buf: Buffer; leaderEpoch: number; now: number; done: (r: LeaderAppendResult) => void }
  | { kind: 'follower'; buf: Buffer; spans: FollowerSpan[]; now: number; done: (r: FollowerAppendResult) => void }
  | { kind: 'task'; run: () => Promise<unknown>; done: (r: unknown) => void; fail: (e: unknown) => void };

export class PartitionLog {
  private config: TopicConfig;
  private segments: LogSegment[] = [];
  private active!: LogSegment;
  private epochs!: LeaderEpochCache;
  private readonly producers = new ProducerStateTable();
  private readonly tail: TailCache;
  private readonly files: FileHandleCache;
  private readonly ownsFiles: boolean;
  private readonly indexCache: IndexCache;
  private readonly listeners = new Set<(logEndOffset: number) => void>();
  private readonly queue: Op[] = [];
  private draining = false;
  private closed = false;
  private failure: string | null = null;
  private _logStartOffset = 0;
  private _logEndOffset = 0;
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
    this.tail = new TailCache(opts.tailCacheBytes ?? DEFAULT_TAIL_CACHE_BYTES);
  }

  /**
   * Opens (or creates) the log in `dir` and recovers it: segments wholly below the log start
   * offset are deleted; closed segments whose index files are missing or malformed get them
   * rebuilt; the active segment is, unless the log was closed cleanly, read batch by batch and cut
   * at the first partial, corrupt (CRC, length, magic) or out-of-order batch, keeping everything
   * before it, with its indexes rebuilt on the way; producer state, open transactions included,
   * is loaded from the newest snapshot and brought up to date from the batch headers after it,
   * whose ABORT markers give the transaction indexes what a crash kept from their files; a damaged
   * transaction index is deleted and rebuilt the same way.
   */
  static async open(dir: string, config: TopicConfig, opts: PartitionLogOptions = {}): Promise<PartitionLog> {
    await mkdir(dir, { recursive: true });
    const log = new PartitionLog(dir, config, opts);
    await log.load(opts.now ?? Date.now());
    return log;
  }

  get logStartOffset(): number {
    return this._logStartOffset;
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
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  get segmentCount(): number {
    return this.segments.length;
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
  appendAsLeader(records: Buffer, opts: { leaderEpoch: number; now: number }): Promise<LeaderAppendResult> {
    const unusable = this.unusable();
    if (unusable) return Promise.resolve(unusable);
    const v = validateBatch(records, 0, records.length, { fromClient: true, maxBatchBytes: this.config.maxMessageBytes });
    if (!v.ok) return Promise.resolve({ ok: false, error: v.error, reason: v.reason });
    if (v.size !== records.length) {
      return Promise.resolve({ ok: false, error: 'INVALID_RECORD', reason: 'a produce request must carry exactly one record batch per partition' });
    }
    if (v.size > this.config.segmentBytes) {
      return Promise.resolve({ ok: false, error: 'RECORD_LIST_TOO_LARGE', reason: `batch of ${v.size} bytes exceeds segment.bytes ${this.config.segmentBytes}` });
    }
    const header = new BatchHeader(records, 0);
    if (header.isTransactional) {
      return Promise.resolve({ ok: false, error: 'INVALID_TXN_STATE', reason: 'transactions are not supported' });
    }
    if (this.config.messageTimestampType === 'CreateTime') {
      const recordErrors = header.timestampType === TimestampType.LOG_APPEND_TIME
        ? [{ batchIndex: 0, batchIndexErrorMessage: 'Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime.' }]
        : timestampErrors(records, header, opts.now, { beforeMaxMs: this.config.messageTimestampBeforeMaxMs, afterMaxMs: this.config.messageTimestampAfterMaxMs });
      if (recordErrors) {
        return Promise.resolve({ ok: false, error: 'INVALID_TIMESTAMP', reason: 'One or more records have been rejected due to invalid timestamp', recordErrors });
      }
    }
    return new Promise((done) => this.enqueue({ kind: 'leader', buf: records, leaderEpoch: opts.leaderEpoch, now: opts.now, done }));
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
    return new Promise((done) => this.enqueue({ kind: 'follower', buf: records, spans, now: opts.now ?? Date.now(), done }));
  }

  /**
   * Whole batches from the one holding `fetchOffset` (which may start before it), at most
   * `maxBytes` of them, except that with minOneBatch the first is returned however large. Reads
   * stay within one segment, as Kafka's do; the consumer's next fetch continues in the next.
   * Recent batches come from memory, older ones as one read of a contiguous file range.
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
      if (fetchOffset < offsets.logStartOffset || fetchOffset > offsets.logEndOffset) {
        return { ok: false, error: 'OFFSET_OUT_OF_RANGE', reason: `offset ${fetchOffset} is outside [${offsets.logStartOffset}, ${offsets.logEndOffset}]`, ...offsets };
      }
      const limit = opts.upTo === 'lso' ? offsets.lastStableOffset : offsets.highWatermark;
      try {
        const chunks = this.tail.read(fetchOffset, maxBytes, opts.minOneBatch, limit) ?? (await this.readSegments(fetchOffset, maxBytes, opts.minOneBatch, limit));
        const bytes = chunks.reduce((n, c) => n + c.length, 0);
        if (opts.upTo === 'hw') return { ok: true, chunks, bytes, ...offsets };
        return { ok: true, chunks, bytes, ...offsets, abortedTransactions: await this.abortedTransactions(fetchOffset, chunks) };
      } catch (e) {
        // Retention or truncation removed the segment under the read: start over from the new state.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && attempt < 3) continue;
        return { ok: false, error: 'KAFKA_STORAGE_ERROR', reason: (e as Error).message, ...offsets };
      }
    }
  }

  /**
   * ListOffsets by timestamp: the first record (by offset) with a timestamp at or after
   * `timestamp`, or null if there is none. The time index finds the segment and the place to
   * start; the one batch that holds the answer is decoded to find the record, as Kafka does.
   */
  async offsetForTimestamp(timestamp: number): Promise<TimestampAndOffset | null> {
    const start = this._logStartOffset;
    for (const seg of this.segments) {
      if (seg.maxTimestamp < timestamp) continue;
      const idx = await seg.indexes(this.config.indexIntervalBytes);
      const near = idx.times.lookup(timestamp);
      const from = idx.offsets.lookup(Math.max(near.offset, start)).position;
      for await (const b of seg.walk(from, seg.size, { whole: true, chunk: 64 * 1024 })) {
        const h = new BatchHeader(b.buf, b.at);
        if (h.maxTimestamp < timestamp || h.lastOffset < start) continue;
        const found = readRecords(batchBytes(b)).find((r) => r.timestamp >= timestamp && r.offset >= start);
        if (found) return { timestamp: found.timestamp, offset: found.offset, leaderEpoch: h.partitionLeaderEpoch };
      }
    }
    return null;
  }

  /** ListOffsets MAX_TIMESTAMP: the record with the largest timestamp (the first such), or null for a log without any. */
  async maxTimestampOffset(): Promise<TimestampAndOffset | null> {
    let best: LogSegment | null = null;
    for (const seg of this.segments) if (seg.maxTimestamp > (best?.maxTimestamp ?? NO_TIMESTAMP)) best = seg;
    if (!best) return null;
    const idx = await best.indexes(this.config.indexIntervalBytes);
    const from = idx.offsets.lookup(best.offsetOfMaxTimestamp).position;
    for await (const b of best.walk(from, best.size, { whole: true, chunk: 64 * 1024 })) {
      const h = new BatchHeader(b.buf, b.at);
      if (h.maxTimestamp !== best.maxTimestamp) continue;
      // Under LogAppendTime every record has the batch's timestamp, so the first one is the answer.
      const offset = h.timestampType === TimestampType.LOG_APPEND_TIME
        ? h.baseOffset
        : readRecords(batchBytes(b)).find((r) => r.timestamp === h.maxTimestamp)?.offset ?? h.baseOffset;
      return { timestamp: h.maxTimestamp, offset, leaderEpoch: h.partitionLeaderEpoch };
    }
    return null;
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
   * DeleteRecords: the log now starts at `offset` (persisted before this resolves), and segments
   * wholly below it are deleted. OFFSET_OUT_OF_RANGE past the high watermark, as in Kafka.
   */
  deleteRecordsBefore(offset: number): Promise<DeleteRecordsResult> {
    return this.task(async () => {
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
    return this.task(async () => {
      let deleted = 0;
      const { retentionMs, retentionBytes } = this.config;
      if (retentionMs >= 0) {
        const expired = this.deletable((seg) => now - (seg.maxTimestamp >= 0 ? seg.maxTimestamp : seg.lastModified) > retentionMs);
        deleted += await this.deleteOldest(expired);
      }
      if (retentionBytes >= 0) {
        let excess = this.size - retentionBytes;
        const oversize = this.deletable((seg) => {
          if (excess - seg.size < 0) return false;
          excess -= seg.size;
          return true;
        });
        deleted += await this.deleteOldest(oversize);
      }
      this.producers.expire(now, this.opts.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS);
      return { deletedSegments: deleted, logStartOffset: this._logStartOffset };
    });
  }

  /**
   * For the mirror's divergence handling: removes every batch whose last offset is at or after
   * `offset`, so the log ends at `offset` (Kafka's semantics, even when that cuts a batch that
   * started before it). Epochs, producer state and open transactions follow, and the transaction
   * index loses the markers cut. Below the log start it empties the log.
   */
  truncateTo(offset: number): Promise<void> {
    return this.task(async () => {
      if (offset >= this._logEndOffset) return;
      if (offset < this._logStartOffset) return this.truncateFullyNow(offset);
      const interval = this.config.indexIntervalBytes;
      const keep = this.segments.filter((s) => s.baseOffset <= offset);
      const drop = this.segments.filter((s) => s.baseOffset > offset);
      const last = keep.at(-1)!;
      if (last !== this.active) await last.makeActive(interval);
      await last.truncateAt(await last.positionOf(offset, interval), interval);
      await last.truncateTxnsTo(offset);
      await last.sync();
      this.segments = keep;
      this.active = last;
      for (const s of drop) await s.delete();
      this._logEndOffset = offset;
      this.flushedOffset = Math.min(this.flushedOffset, offset);
      this.tail.truncateTo(offset);
      if (this.epochs.truncateFromEnd(offset)) await this.epochs.persist();
      await this.loadProducerState();
    });
  }

  /** Empties the log and restarts it at `offset` (the mirror, when the source's log start passed this log's end). */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.task(() => this.truncateFullyNow(offset));
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
    return this.task(async () => {
      this.closed = true;
      try {
        if (!this.failure) {
          await this.active.seal();
          await writeSnapshot(this.snapshotPath(this._logEndOffset), this.producers.all());
        }
      } finally {
        // Shared handles and cached indexes must not outlive the log: a deleted topic's space is
        // freed only once its files are closed, and a new topic of the same name reuses the paths.
        for (const seg of this.segments) seg.release();
        if (this.ownsFiles) await this.files.close();
      }
    }, 'skip');
  }

  // ---- loading -------------------------------------------------------------------------------

  private async load(now: number): Promise<void> {
    const warn = this.opts.warn ?? (() => undefined);
    const interval = this.config.indexIntervalBytes;
    const names = await readdir(this.dir);
    const bases = new Set<number>();
    const txnIndexed = new Set<number>();
    for (const name of names) {
      // Left by an interrupted write; it may be gone already if that write's process was still ending.
      if (name.endsWith(TEMP_SUFFIX)) await unlinkIfPresent(join(this.dir, name));
      const base = parseOffsetFileName(name, LOG_SUFFIX);
      if (base !== null) bases.add(base);
    }
    for (const name of names) {
      const base = parseOffsetFileName(name, INDEX_SUFFIX) ?? parseOffsetFileName(name, TIME_INDEX_SUFFIX) ?? parseOffsetFileName(name, TXN_INDEX_SUFFIX);
      if (base === null) continue;
      // Index files whose segment is gone (a deletion cut short).
      if (!bases.has(base)) await unlinkIfPresent(join(this.dir, name));
      else if (name.endsWith(TXN_INDEX_SUFFIX)) txnIndexed.add(base);
    }

    const sorted = [...bases].sort((a, b) => a - b);
    const segments = await Promise.all(sorted.map((b) => LogSegment.open(this.dir, b, this.files, this.indexCache, now)));
    if (segments.length === 0) segments.push(await LogSegment.create(this.dir, this.opts.logStartOffset ?? 0, this.files, this.indexCache, now));
    this._logStartOffset = Math.max(this.opts.logStartOffset ?? 0, segments[0]!.baseOffset);
    // Segments wholly below the log start: their deletion was cut short.
    while (segments.length > 1 && segments[1]!.baseOffset <= this._logStartOffset) await segments.shift()!.delete();

    // A damaged transaction index is rebuilt by replaying producer state from a snapshot taken at
    // or before its segment: the transactions its markers end may have started in earlier ones.
    let replayTxnsFrom = Infinity;
    await runLimited(
      segments.filter((seg) => txnIndexed.has(seg.baseOffset)).map((seg) => async () => {
        const problem = await seg.checkTxnIndex();
        if (problem) {
          warn(`${this.dir}: rebuilding the transaction index of segment ${seg.baseOffset}: ${problem}`);
          replayTxnsFrom = Math.min(replayTxnsFrom, seg.baseOffset);
        }
      }),
      SEGMENT_LOAD_CONCURRENCY,
    );

    await runLimited(
      segments.slice(0, -1).map((seg) => async () => {
        const problem = await seg.loadSummary();
        if (problem) {
          warn(`${this.dir}: rebuilding the indexes of segment ${seg.baseOffset}: ${problem}`);
          await seg.rebuildIndexes(interval);
        }
      }),
      SEGMENT_LOAD_CONCURRENCY,
    );
    this.segments = segments;
    const active = segments.at(-1)!;
    this.active = active;

    const epochPath = join(this.dir, LEADER_EPOCH_CHECKPOINT);
    let epochsChanged = false;
    try {
      this.epochs = await LeaderEpochCache.load(epochPath);
    } catch (e) {
      warn(`${this.dir}: ${LEADER_EPOCH_CHECKPOINT} is unreadable (${(e as Error).message}); starting it afresh`);
      this.epochs = LeaderEpochCache.empty(epochPath);
      epochsChanged = true;
    }

    let end: number | null = null;
    if (this.opts.cleanShutdown && (await active.loadSummary()) === null) {
      await active.makeActive(interval);
      end = (await active.loadActiveTail())?.nextOffset ?? null;
    }
    if (end === null) {
      const r = await active.scan({
        validate: true,
        indexIntervalBytes: interval,
        onBatch: (h) => {
          epochsChanged = this.epochs.assign(h.partitionLeaderEpoch, h.baseOffset) || epochsChanged;
        },
      });
      if (r.problem) warn(`${this.dir}: recovery cut segment ${active.baseOffset} at position ${r.validEnd}: ${r.problem}`);
      await active.sync();
      end = r.nextOffset;
    }
    this._logEndOffset = end;
    this.flushedOffset = end;
    // Entries of markers lost with a torn tail; the replay below adds those the active segment's
    // file never got.
    await active.truncateTxnsTo(end);

    if (this._logStartOffset > end) {
      // The log start was checkpointed past data that did not survive: nothing is left to keep.
      warn(`${this.dir}: log start offset ${this._logStartOffset} is past the recovered end ${end}; emptying the log`);
      await this.truncateFullyNow(this._logStartOffset);
      return;
    }
    epochsChanged = this.epochs.truncateFromEnd(end) || epochsChanged;
    epochsChanged = this.epochs.truncateFromStart(this._logStartOffset) || epochsChanged;
    if (epochsChanged) await this.epochs.persist();
    await this.loadProducerState(replayTxnsFrom);
    await this.pruneSnapshots();
  }

  /**
   * Producer state as of the log end: the newest readable snapshot at or below it (and at or below
   * `replayFrom`), then the batches after it. The ABORT markers replayed give their segments'
   * transaction indexes the entries they lack (those not written before a crash, or all of them
   * when the index was rebuilt or the snapshots predate transaction tracking).
   */
  private async loadProducerState(replayFrom = Infinity): Promise<void> {
    const end = this._logEndOffset;
    const snapshots = await this.snapshotOffsets();
    for (const s of snapshots) if (s > end) await unlinkIfPresent(this.snapshotPath(s));
    this.producers.clear();
    let from = this.segments[0]!.baseOffset;
    for (const s of snapshots.filter((o) => o <= Math.min(end, replayFrom)).reverse()) {
      try {
        this.producers.load(await readSnapshot(this.snapshotPath(s)));
        from = s;
        break;
      } catch (e) {
        this.opts.warn?.(`${this.dir}: discarding producer snapshot ${s}: ${(e as Error).message}`);
        await unlinkIfPresent(this.snapshotPath(s));
      }
    }
    if (from >= end) return;
    const interval = this.config.indexIntervalBytes;
    for (let i = Math.max(0, floorIndex(this.segments, from)); i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const start = seg.baseOffset <= from ? (await seg.indexes(interval)).offsets.lookup(from).position : 0;
      const aborted: AbortedTxn[] = [];
      for await (const b of seg.walk(start, seg.size, { whole: false, chunk: REPLAY_CHUNK })) {
        const h = new BatchHeader(b.buf, b.at);
        if (h.baseOffset < from || h.producerId < 0) continue;
        const controlType = h.isControl ? await this.replayedControlType(seg, b) : null;
        const txn = controlType === ControlRecordType.ABORT ? this.producers.abortedBy(h.producerId, h.baseOffset) : null;
        if (txn) aborted.push(txn);
        this.producers.set(replayed(this.producers.get(h.producerId), h, controlType));
      }
      if (aborted.length > 0) await seg.mergeAbortedTxns(aborted, interval);
    }
  }

  /**
   * The type of a control batch met by the replay. The log took the batch once, so one whose
   * record does not read now is damage that recovery did not see (it checks CRCs of the active
   * segment only): it counts as no marker, leaving the producer's transaction open.
   */
  private async replayedControlType(seg: LogSegment, b: BatchAt): Promise<number | null> {
    const bytes = b.at + b.size <= b.buf.length ? batchBytes(b) : await seg.read(b.pos, b.size);
    try {
      return controlRecordType(bytes);
    } catch (e) {
      this.opts.warn?.(`${this.dir}: control batch at position ${b.pos} of segment ${seg.baseOffset} does not read: ${(e as Error).message}`);
      return null;
    }
  }

  // ---- the write queue -----------------------------------------------------------------------

  /**
   * The disk failed under the log: it takes no more appends (a later one could land after a
   * hole) until a restart recovers it; reads go on. Told once; returns the first failure.
   */
  private fail(reason: string): string {
    if (this.failure === null) {
      this.failure = reason;
      this.opts.warn?.(`${this.dir}: the log failed and takes no appends until a restart: ${reason}`);
    }
    return this.failure;
  }

  private unusable(): { ok: false; error: ErrorName; reason: string } | null {
    if (this.closed) return { ok: false, error: 'NOT_LEADER_OR_FOLLOWER', reason: 'the log is closed' };
    if (this.failure) return { ok: false, error: 'KAFKA_STORAGE_ERROR', reason: this.failure };
    return null;
  }

  /** Queues `run` behind the appends before it; it fails once the log is closed (close() itself excepted). */
  private task<T>(run: () => Promise<T>, whenClosed: 'fail' | 'skip' = 'fail'): Promise<T> {
    const guarded = async (): Promise<T | undefined> => {
      if (!this.closed) return run();
      if (whenClosed === 'skip') return undefined;
      throw new Error(`${this.dir}: the log is closed`);
    };
    return new Promise<T>((done, fail) => this.enqueue({ kind: 'task', run: guarded, done: done as (r: unknown) => void, fail }));
  }

  private enqueue(op: Op): void {
    this.queue.push(op);
    if (!this.draining) void this.drain();
  }

  /** Runs queued ops in order, batching consecutive appends into write groups. */
  private async drain(): Promise<void> {
    this.draining = true;
    const group = new WriteGroup(this._logEndOffset);
    try {
      while (this.queue.length > 0) {
        for (const op of this.queue.splice(0)) {
          if (op.kind === 'task') {
            await this.commit(group);
            try {
              op.done(await op.run());
            } catch (e) {
              if (!this.closed) this.fail(`${(e as Error).message}`);
              op.fail(e);
            }
            group.nextOffset = this._logEndOffset;
            continue;
          }
          const unusable = this.unusable();
          if (unusable) {
            op.done(unusable);
            continue;
          }
          try {
            if (op.kind === 'leader') await this.stageLeader(op, group);
            else await this.stageFollower(op, group);
          } catch (e) {
            // An I/O error while rolling: fail this op, and the log with it.
            const failure = this.fail(`${(e as Error).message}`);
            group.finish(failure, this._logEndOffset);
            op.done({ ok: false, error: 'KAFKA_STORAGE_ERROR', reason: failure });
          }
        }
        await this.commit(group);
      }
    } finally {
      this.draining = false;
    }
  }

  private async stageLeader(op: Extract<Op, { kind: 'leader' }>, g: WriteGroup): Promise<void> {
    const h = new BatchHeader(op.buf, 0);
    const producerId = h.producerId;
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime' ? op.now : NO_TIMESTAMP;
    let current: ProducerEntry | undefined;
    const firstSeq = h.baseSequence;
    const lastSeq = lastSequence(firstSeq, h.lastOffsetDelta);
    if (producerId >= 0) {
      current = g.producers.get(producerId) ?? this.producers.get(producerId);
      const check = checkClientBatch(current, h.producerEpoch, firstSeq, lastSeq);
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
    }
    if (logAppendTime !== NO_TIMESTAMP) stampMaxTimestampAndLogAppendTime(op.buf, 0, logAppendTime);
    const baseOffset = g.nextOffset;
    const staged: StagedBatch = {
      buf: op.buf, baseOffset, lastOffset: baseOffset + h.lastOffsetDelta, maxTimestamp: h.maxTimestamp, size: op.buf.length,
      leaderEpoch: op.leaderEpoch, producer: null, aborts: false,
    };
    await this.rollIfNeeded(g, staged, op.now);
    stampBaseOffset(op.buf, 0, baseOffset);
    stampPartitionLeaderEpoch(op.buf, 0, op.leaderEpoch);
    if (producerId >= 0) {
      staged.producer = withBatch(current, producerId, h.producerEpoch, {
        firstSeq, lastSeq, firstOffset: baseOffset, lastOffset: staged.lastOffset, timestamp: staged.maxTimestamp,
      });
    }
    g.add(staged);
    g.settle.push((failure) =>
      op.done(failure ? storageError(failure) : {
        ok: true, baseOffset, lastOffset: staged.lastOffset, logAppendTime, logStartOffset: this._logStartOffset, duplicate: false,
      }),
    );
  }

  private async stageFollower(op: Extract<Op, { kind: 'follower' }>, g: WriteGroup): Promise<void> {
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

  /**
   * Kafka's roll conditions, checked before each batch: the segment would pass segment.bytes; its
   * first batch's timestamp is more than segment.ms older than this batch's (or, without
   * timestamps, the segment is that old); an index is full; or the batch's offsets would not fit
   * the index's 32-bit relative form. The new segment starts at the batch's base offset.
   */
  private async rollIfNeeded(g: WriteGroup, b: StagedBatch, now: number): Promise<void> {
    const seg = this.active;
    const cfg = this.config;
    const size = seg.size + g.bytes;
    const firstTimestamp = seg.rollingTimestamp ?? g.batches[0]?.maxTimestamp ?? null;
    const waited = firstTimestamp !== null && firstTimestamp >= 0 ? b.maxTimestamp - firstTimestamp : now - seg.created;
    const roll =
      (size > 0 && size + b.size > cfg.segmentBytes) ||
      (size > 0 && waited > cfg.segmentMs) ||
      seg.indexFull(cfg.segmentIndexBytes) ||
      b.lastOffset - seg.baseOffset > INT32_MAX;
    if (!roll) return;
    await this.commit(g);
    if (this.failure) throw new Error(this.failure);
    await this.roll(b.baseOffset, now);
  }

  /**
   * Closes the active segment (indexes written, fsynced, producer state snapshotted at the log
   * end) and starts a new one at `baseOffset`. An empty active segment is replaced instead.
   */
  private async roll(baseOffset: number, now: number): Promise<void> {
    const old = this.active;
    let kept = this.segments;
    if (old.size === 0) {
      if (old.baseOffset === baseOffset) return;
      kept = kept.slice(0, -1);
      await old.delete();
    } else {
      await old.seal();
      old.deactivate();
      this.flushedOffset = this._logEndOffset;
      this.firstUnflushedAt = null;
      await writeSnapshot(this.snapshotPath(this._logEndOffset), this.producers.all());
    }
    const seg = await LogSegment.create(this.dir, baseOffset, this.files, this.indexCache, now);
    this.segments = [...kept, seg];
    this.active = seg;
  }

  /** Writes the group's batches and makes them visible: indexes, caches, offsets, then the answers. */
  private async commit(g: WriteGroup): Promise<void> {
    if (g.batches.length === 0) {
      g.finish(null, this._logEndOffset);
      return;
    }
    const now = Date.now();
    try {
      await this.active.append(g.batches.map((b) => b.buf), g.batches, this.config.indexIntervalBytes, now);
    } catch (e) {
      // The file may now hold part of the write: stop appending until a restart recovers it.
      g.finish(this.fail(`write to ${this.active.logPath} failed: ${(e as Error).message}`), this._logEndOffset);
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
      if (aborted) this.active.addAbortedTxn(aborted);
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
      await this.active.sync();
    } catch (e) {
      // Deleted by retention or truncation meanwhile: nothing of it is left to make durable.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (upTo > this.flushedOffset) this.flushedOffset = upTo;
    if (this.flushedOffset >= this._logEndOffset) this.firstUnflushedAt = null;
  }

  // ---- deleting from the head ----------------------------------------------------------------

  /**
   * The longest run of oldest segments satisfying `pred`, Kafka's way: only segments wholly below
   * the high watermark, and never an empty active segment.
   */
  private deletable(pred: (seg: LogSegment, next: LogSegment | undefined) => boolean): LogSegment[] {
    const out: LogSegment[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const next = this.segments[i + 1];
      const upper = next ? next.baseOffset : this._logEndOffset;
      if ((!next && seg.size === 0) || upper > this.highWatermark || !pred(seg, next)) break;
      out.push(seg);
    }
    return out;
  }

  /** Deletes the given oldest segments, rolling first if they include the active one. */
  private async deleteOldest(doomed: LogSegment[]): Promise<number> {
    if (doomed.length === 0) return 0;
    if (doomed.length === this.segments.length) await this.roll(this._logEndOffset, Date.now());
    this.segments = this.segments.slice(doomed.length);
    const first = this.segments[0]!.baseOffset;
    if (first > this._logStartOffset) await this.advanceLogStart(first);
    for (const seg of doomed) await seg.delete();
    await this.pruneSnapshots();
    return doomed.length;
  }

  private async advanceLogStart(offset: number): Promise<void> {
    this._logStartOffset = offset;
    await this.opts.onLogStartOffsetChange?.(offset);
    if (this.epochs.truncateFromStart(offset)) await this.epochs.persist();
  }

  private async truncateFullyNow(offset: number): Promise<void> {
    for (const seg of this.segments) await seg.delete();
    const seg = await LogSegment.create(this.dir, offset, this.files, this.indexCache, Date.now());
    this.segments = [seg];
    this.active = seg;
    this._logEndOffset = offset;
    this.flushedOffset = offset;
    this.firstUnflushedAt = null;
    this.tail.clear();
    if (this.epochs.clear()) await this.epochs.persist();
    this.producers.clear();
    for (const s of await this.snapshotOffsets()) await unlinkIfPresent(this.snapshotPath(s));
    this._logStartOffset = offset;
    await this.opts.onLogStartOffsetChange?.(offset);
  }

  // ---- producer snapshots --------------------------------------------------------------------

  private snapshotPath(offset: number): string {
    return join(this.dir, offsetFileName(offset, SNAPSHOT_SUFFIX));
  }

  private async snapshotOffsets(): Promise<number[]> {
    const offsets = (await readdir(this.dir)).map((n) => parseOffsetFileName(n, SNAPSHOT_SUFFIX)).filter((o): o is number => o !== null);
    return offsets.sort((a, b) => a - b);
  }

  /**
   * Keeps the newest snapshot and those at a segment's base offset (what truncating to that
   * segment would start from); the rest are superseded.
   */
  private async pruneSnapshots(): Promise<void> {
    const bases = new Set(this.segments.map((s) => s.baseOffset));
    const all = await this.snapshotOffsets();
    const newest = all.at(-1);
    for (const s of all) if (s !== newest && !bases.has(s)) await unlinkIfPresent(this.snapshotPath(s));
  }

  // ---- reading -------------------------------------------------------------------------------

  private async readSegments(offset: number, maxBytes: number, minOneBatch: boolean, limit: number): Promise<Buffer[]> {
    const segments = this.segments;
    const interval = this.config.indexIntervalBytes;
    // Enough to reach the wanted batch from its index entry and usually to hold the answer too.
    const chunk = Math.min(interval + maxBytes + 512, 8 << 20);
    const floor = floorIndex(segments, offset);
    for (let i = Math.max(0, floor); i < segments.length; i++) {
      const seg = segments[i]!;
      const end = seg.size;
      const from = i === floor ? (await seg.indexes(interval)).offsets.lookup(offset).position : 0;
      for await (const b of seg.walk(from, end, { whole: false, chunk })) {
        if (new BatchHeader(b.buf, b.at).lastOffset >= offset) return this.collect(seg, b, end, maxBytes, minOneBatch, limit);
      }
      // `offset` is past this segment's last batch (a gap): the answer starts in the next one.
    }
    return [];
  }

  /**
   * Kafka's list of aborted transactions for a read_committed read at `fetchOffset` that returned
   * `chunks`: those whose marker is at or after fetchOffset and whose first offset is below a bound,
   * the first offset-index entry past the last batch returned, else the next segment's base, else
   * the log end. The bound is coarse, as Kafka's: clients skip transactions past what they got.
   * The search goes from the segment holding fetchOffset on, and stops at the first entry whose
   * last stable offset reaches the bound. Nothing returned, nothing listed; and a log that never
   * had a transaction aborted (every local topic) costs no more than a look at its segments.
   */
  private async abortedTransactions(fetchOffset: number, chunks: Buffer[]): Promise<AbortedTransaction[]> {
    const segments = this.segments;
    const searched = segments.slice(Math.max(0, floorIndex(segments, fetchOffset))).filter((s) => s.hasAbortedTxns);
    const last = searched.length > 0 ? lastOffsetIn(chunks) : null;
    const at = last === null ? -1 : floorIndex(segments, last);
    if (at < 0) return [];
    const interval = this.config.indexIntervalBytes;
    const upperBound = (await segments[at]!.indexes(interval)).offsets.firstAfter(last!) ?? segments[at + 1]?.baseOffset ?? this._logEndOffset;
    const out: AbortedTransaction[] = [];
    for (const seg of searched) if (await seg.collectAbortedTxns(fetchOffset, upperBound, out, interval)) break;
    return out;
  }

  /**
   * Whole batches from `first` on, within maxBytes (or the first alone with minOneBatch), none
   * reaching `limit`: a last stable offset held at the log start can fall inside a batch, which
   * then waits, as in Kafka.
   */
  private async collect(seg: LogSegment, first: BatchAt, end: number, maxBytes: number, minOneBatch: boolean, limit: number): Promise<Buffer[]> {
    if (new BatchHeader(first.buf, first.at).lastOffset >= limit) return [];
    if (first.size > maxBytes && !minOneBatch) return [];
    const want = first.size > maxBytes ? first.size : Math.min(maxBytes, end - first.pos);
    const buf = first.at + want <= first.buf.length ? first.buf.subarray(first.at, first.at + want) : await seg.read(first.pos, want);
    let upTo = 0;
    for (const span of iterateBatches(buf)) {
      if (new BatchHeader(buf, span.pos).lastOffset >= limit) break;
      upTo = span.pos + span.size;
    }
    return upTo > 0 ? [buf.subarray(0, upTo)] : [];
  }
}

/** Index of the last segment starting at or below `offset`, -1 if none does. */
function floorIndex(segments: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segments.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function batchBytes(b: BatchAt): Buffer {
  return b.buf.subarray(b.at, b.at + b.size);
}

/** The last offset of the last batch in the chunks, or null when there is none. */
function lastOffsetIn(chunks: Buffer[]): number | null {
  const chunk = chunks.at(-1);
  let last: number | null = null;
  if (chunk) for (const span of iterateBatches(chunk)) last = new BatchHeader(chunk, span.pos).lastOffset;
  return last;
}

/**
 * A producer's entry after a batch already accepted elsewhere (the source cluster, or this log
 * before a restart); `controlType` is a control batch's type, which says whether it ends the
 * producer's transaction.
 */
function replayed(current: ProducerEntry | undefined, h: BatchHeader, controlType: number | null): ProducerEntry {
  if (h.isControl) {
    const endsTxn = controlType === ControlRecordType.COMMIT || controlType === ControlRecordType.ABORT;
    return withControlBatch(current, h.producerId, h.producerEpoch, h.maxTimestamp, endsTxn);
  }
  return withBatch(current, h.producerId, h.producerEpoch, {
    firstSeq: h.baseSequence, lastSeq: lastSequence(h.baseSequence, h.lastOffsetDelta), firstOffset: h.baseOffset, lastOffset: h.lastOffset, timestamp: h.maxTimestamp,
  }, h.isTransactional);
}

function storageError(reason: string): { ok: false; error: 'KAFKA_STORAGE_ERROR'; reason: string } {
  return { ok: false, error: 'KAFKA_STORAGE_ERROR', reason };
}
