// A coordinator's internal topic (__consumer_offsets, __transaction_state) on outpost's own log:
// created at start-up, read back whole to rebuild the coordinator's state, appended to for every
// change. A key's records all go to one partition, chosen as Kafka chooses it, so a data
// directory's layout matches Kafka's. Transactional offset commits make __consumer_offsets hold
// transactional batches and markers: the load hands those over with their producer, so the
// coordinator can keep such records pending until their marker says commit or abort.
import type { Logger } from 'pino';
import type { ErrorName } from '../../protocol/errors.js';
import { BatchHeader, iterateBatches } from '../../protocol/records/batch.js';
import { controlRecordType, ControlRecordType } from '../../protocol/records/control.js';
import { buildBatch, readRecords } from '../../protocol/records/records.js';
import { javaStringHash } from '../common/java-string-hash.js';
import type { LogManager } from './log-manager.js';

/** A record as stored: key and value bytes (value null for a tombstone). */
export interface RawRecord {
  key: Buffer;
  value: Buffer | null;
}

/** Where a loaded record came from: a transactional batch's producer, or -1. */
export interface LoadedBatch {
  partition: number;
  /** the producer of a transactional batch, -1 for any other */
  transactionalProducerId: number;
}

export interface LoadHandlers {
  record(key: Buffer, value: Buffer | null, batch: LoadedBatch): void;
  /** a COMMIT or ABORT marker of `producerId` in `partition` */
  marker?(partition: number, producerId: number, commit: boolean): void;
}

/** Bytes asked of the log per read while loading. */
const LOAD_READ_BYTES = 1 << 20;

/** Kafka's partitionFor(key): Utils.abs(hashCode) modulo the partition count. */
export function partitionForKey(key: string, partitions: number): number {
  const h = javaStringHash(key);
  // Utils.abs maps Integer.MIN_VALUE to 0 rather than overflowing.
  const abs = h === -0x80000000 ? 0 : Math.abs(h);
  return abs % partitions;
}

/**
 * Kafka's mapping of a coordinator's failed append to what its client is told; a batch too large
 * for the log is told `tooLarge` (the group coordinator's INVALID_COMMIT_OFFSET_SIZE, the
 * transaction coordinator's UNKNOWN_SERVER_ERROR).
 */
export function appendErrorForClient(error: ErrorName, tooLarge: Exclude<ErrorName, 'NONE'>): Exclude<ErrorName, 'NONE'> {
  switch (error) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'NOT_ENOUGH_REPLICAS':
    case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
    case 'REQUEST_TIMED_OUT':
      return 'COORDINATOR_NOT_AVAILABLE';
    case 'NOT_LEADER_OR_FOLLOWER':
    case 'KAFKA_STORAGE_ERROR':
      return 'NOT_COORDINATOR';
    case 'MESSAGE_TOO_LARGE':
    case 'RECORD_LIST_TOO_LARGE':
    case 'INVALID_FETCH_SIZE':
      return tooLarge;
    default:
      return 'UNKNOWN_SERVER_ERROR';
  }
}

export class InternalTopic {
  private constructor(
    private readonly logs: LogManager,
    readonly name: string,
    readonly partitions: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Creates the topic with `partitions` partitions and `configs` unless it exists; an existing
   * topic keeps its count, which is what the key-to-partition map must use.
   */
  static async open(logs: LogManager, name: string, partitions: number, configs: Record<string, string>, logger: Logger): Promise<InternalTopic> {
    let info = logs.topic(name);
    if (!info) {
      info = await logs.createTopic(name, { partitions, configs });
      logger.info({ topic: name, partitions }, 'created an internal topic');
    }
    return new InternalTopic(logs, name, info.partitions, logger);
  }

  partitionFor(key: string): number {
    return partitionForKey(key, this.partitions);
  }

  /** Reads every partition from its start and hands each record and marker over in log order. */
  async load(handlers: LoadHandlers): Promise<number> {
    let count = 0;
    for (let p = 0; p < this.partitions; p++) {
      const log = this.logs.getLog(this.name, p);
      if (!log) throw new Error(`${this.name}-${p} has no log`);
      let offset = log.logStartOffset;
      const end = log.highWatermark;
      while (offset < end) {
        const r = await log.read(offset, LOAD_READ_BYTES, { minOneBatch: true, upTo: 'hw' });
        if (!r.ok) throw new Error(`reading ${this.name}-${p} at ${offset}: ${r.error} ${r.reason}`);
        const next = offset;
        for (const chunk of r.chunks) {
          for (const span of iterateBatches(chunk)) {
            const h = new BatchHeader(chunk, span.pos);
            if (h.nextOffset <= offset) continue;
            if (h.isControl) {
              const type = h.producerId >= 0 ? controlRecordType(chunk, span.pos) : null;
              if (type !== null) handlers.marker?.(p, h.producerId, type === ControlRecordType.COMMIT);
            } else {
              const batch = { partition: p, transactionalProducerId: h.isTransactional ? h.producerId : -1 };
              for (const rec of readRecords(chunk, span.pos)) {
                // A batch may start before the offset asked for: skip what was already applied.
                if (rec.offset < offset || rec.key === null) continue;
                handlers.record(rec.key, rec.value, batch);
                count++;
              }
            }
            offset = Math.max(offset, h.nextOffset);
          }
        }
        // A log that returns nothing before its end is a bug worth stopping on, not spinning over.
        if (offset === next) throw new Error(`${this.name}-${p}: no progress reading at ${offset}`);
      }
    }
    return count;
  }

  /**
   * Appends the records as one batch to `partition`, in `txn`'s transaction when given (a
   * transactional offset commit). Resolves once it is in the log: the log's error, or null.
   */
  async append(partition: number, records: RawRecord[], txn?: { producerId: number; producerEpoch: number }): Promise<ErrorName | null> {
    const log = this.logs.getLog(this.name, partition);
    if (!log) return 'UNKNOWN_TOPIC_OR_PARTITION';
    const now = Date.now();
    const batch = buildBatch({
      records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })),
      now,
      ...(txn ? { producerId: txn.producerId, producerEpoch: txn.producerEpoch, transactional: true } : {}),
    });
    const result = await log.appendAsLeader(batch, { leaderEpoch: log.leaderEpoch, now, origin: 'coordinator' });
    if (result.ok) return null;
    this.logger.error({ topic: this.name, partition, error: result.error, reason: result.reason }, 'appending to an internal topic failed');
    return result.error;
  }
}
