// Log compaction's rules (Kafka's LogCleaner), as pure functions over record batches: which record
// is the latest of its key, and which records a cleaned segment keeps. The cleaner (cleaner.ts)
// reads the segments and swaps the results in.
//
// A record is kept when no later record of the dirty section has its key; a tombstone (null value)
// is kept while its segment is within delete.retention.ms; a record without a key is dropped, as
// Kafka's cleaner drops it. Transactions, by Kafka's rules: the records of an aborted transaction
// (the log's transaction indexes say which) are removed and never count as a key's latest; those
// of a committed one are compacted like any other; a COMMIT marker goes once none of its
// transaction's records are left and tombstones of its segment would go. ABORT markers stay, with
// their transaction-index entries, so that a read_committed reader never meets an entry without
// its marker.
import { BatchHeader, TimestampType } from '../../protocol/records/batch.js';
import type { CodecId } from '../../protocol/records/compression.js';
import { ControlRecordType, controlRecordType } from '../../protocol/records/control.js';
import { buildBatch, readRecords, type LogRecord } from '../../protocol/records/records.js';
import type { AbortedTxn } from './transaction-index.js';

/** The latest offset of each key of the dirty section, bounded in keys as Kafka's dedupe buffer is in bytes. */
export class OffsetMap {
  private readonly latest = new Map<string, number>();
  constructor(readonly maxKeys: number) {}

  get size(): number {
    return this.latest.size;
  }

  /** Records `offset` as the latest of `key`; false when the map is full and `key` is new. */
  put(key: Buffer, offset: number): boolean {
    const k = key.toString('latin1');
    if (!this.latest.has(k) && this.latest.size >= this.maxKeys) return false;
    this.latest.set(k, offset);
    return true;
  }

  /** The latest offset of `key`, or -1 when the dirty section does not have it. */
  get(key: Buffer): number {
    return this.latest.get(key.toString('latin1')) ?? -1;
  }
}

/** The aborted transactions of a log: tells an aborted transactional batch from a committed one. */
export class AbortedTxns {
  private readonly byProducer = new Map<number, AbortedTxn[]>();

  constructor(entries: readonly AbortedTxn[]) {
    for (const e of entries) {
      const list = this.byProducer.get(e.producerId);
      if (list) list.push(e);
      else this.byProducer.set(e.producerId, [e]);
    }
  }

  /** Whether the batch of `producerId` at `offset` belongs to a transaction that was aborted. */
  has(producerId: number, offset: number): boolean {
    return this.byProducer.get(producerId)?.some((t) => t.firstOffset <= offset && offset <= t.lastOffset) ?? false;
  }
}

/** What a pass knows of transactions as it walks the log in order. */
export interface TxnContext {
  aborted: AbortedTxns;
  /** per producer, whether its transaction under way has records kept so far */
  keptData: Map<number, boolean>;
}

export function txnContext(aborted: readonly AbortedTxn[]): TxnContext {
  return { aborted: new AbortedTxns(aborted), keptData: new Map() };
}

/** A batch of an aborted transaction: removed whole, its records never a key's latest. */
function isAbortedData(h: BatchHeader, txns: TxnContext): boolean {
  return h.isTransactional && !h.isControl && txns.aborted.has(h.producerId, h.baseOffset);
}

/**
 * Adds the keys of the batch at `pos` to `map`. False when the map filled before the batch's
 * last key: the dirty section then ends before this batch.
 */
export function indexBatch(buf: Buffer, pos: number, map: OffsetMap, txns: TxnContext): boolean {
  const h = new BatchHeader(buf, pos);
  // A batch Kafka's cleaner gave a delete horizon has it in its base timestamp: its records' times cannot be rebuilt, so it is kept whole.
  if (h.isControl || h.hasDeleteHorizon || isAbortedData(h, txns)) return true;
  const records = readRecords(buf, pos);
  // All or nothing: a batch is indexed whole, so the dirty section ends at a batch boundary.
  const keys = records.filter((r) => r.key !== null);
  const fresh = keys.filter((r) => map.get(r.key!) < 0).length;
  if (map.size + fresh > map.maxKeys) return false;
  for (const r of keys) map.put(r.key!, r.offset);
  return true;
}

export interface Retained {
  /** the batch's bytes as kept: the original when nothing was removed, else a new batch (null: nothing kept) */
  bytes: Buffer | null;
  removed: number;
}

/**
 * What compaction keeps of the batch at `pos`: its records that are the latest of their key (by
 * `map`), tombstones only while `keepTombstones`, nothing of an aborted transaction, a COMMIT
 * marker while its transaction has records left or tombstones are kept. A batch that loses
 * records is written anew with the ones it keeps, at their own offsets, with the batch's
 * producer, sequence, epoch, codec, timestamp type and transactional flag; one that loses none is
 * kept byte for byte. Batches must come in log order (`txns` follows the transactions).
 */
export function retainBatch(buf: Buffer, pos: number, map: OffsetMap, keepTombstones: boolean, txns: TxnContext): Retained {
  const h = new BatchHeader(buf, pos);
  const whole = buf.subarray(pos, pos + h.size);
  if (h.isControl) {
    const hadData = txns.keptData.get(h.producerId) ?? false;
    txns.keptData.delete(h.producerId);
    const type = h.producerId >= 0 ? controlRecordType(buf, pos) : null;
    if (type === ControlRecordType.COMMIT && !hadData && !keepTombstones) return { bytes: null, removed: 1 };
    return { bytes: whole, removed: 0 };
  }
  if (isAbortedData(h, txns)) return { bytes: null, removed: h.recordCount };
  if (h.hasDeleteHorizon) return { bytes: whole, removed: 0 };
  const records = readRecords(buf, pos);
  const kept = records.filter((r) => retained(r, map, keepTombstones));
  if (h.isTransactional && kept.length > 0) txns.keptData.set(h.producerId, true);
  if (kept.length === records.length) return { bytes: whole, removed: 0 };
  if (kept.length === 0) return { bytes: null, removed: records.length };
  const bytes = buildBatch({
    records: kept.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offset - h.baseOffset })),
    baseOffset: h.baseOffset,
    codec: h.compression as CodecId,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    transactional: h.isTransactional,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    timestampType: h.timestampType as TimestampType,
    now: h.maxTimestamp,
    lastOffsetDelta: h.lastOffset - h.baseOffset,
  });
  return { bytes, removed: records.length - kept.length };
}

function retained(r: LogRecord, map: OffsetMap, keepTombstones: boolean): boolean {
  if (r.key === null) return false;
  if (map.get(r.key) > r.offset) return false;
  return r.value !== null || keepTombstones;
}
