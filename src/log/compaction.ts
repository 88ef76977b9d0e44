// Log compaction's rules (Kafka's LogCleaner), as pure functions over record batches: which record
// is the latest of its key, and which records a cleaned segment keeps. The cleaner (cleaner.ts)
// reads the segments and swaps the results in.
//
// A record is kept when no later record of the dirty section has its key; a tombstone (null value)
// is kept while its segment is within delete.retention.ms; a record without a key is dropped, as
// Kafka's cleaner drops it. Control batches (transaction markers) and transactional batches are
// kept whole and their records are not counted as the latest of a key: outpost's own producers are
// not transactional, and keeping an aborted record's key out of the map means it never makes a
// committed one disappear.
import { BatchHeader, TimestampType } from '../../protocol/records/batch.js';
import type { CodecId } from '../../protocol/records/compression.js';
import { buildBatch, readRecords, type LogRecord } from '../../protocol/records/records.js';

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

/** Whether compaction leaves the batch as it is (its records not indexed). */
function keptWhole(h: BatchHeader): boolean {
  // A batch Kafka's cleaner gave a delete horizon has it in its base timestamp: its records' times cannot be rebuilt.
  return h.isControl || h.isTransactional || h.hasDeleteHorizon;
}

/**
 * Adds the keys of the batch at `pos` to `map`. False when the map filled before the batch's
 * last key: the dirty section then ends before this batch.
 */
export function indexBatch(buf: Buffer, pos: number, map: OffsetMap): boolean {
  const h = new BatchHeader(buf, pos);
  if (keptWhole(h)) return true;
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
 * `map`), tombstones only while `keepTombstones`. A batch that loses records is written anew with
 * the ones it keeps, at their own offsets, with the batch's producer, sequence, epoch, codec and
 * timestamp type; one that loses none is kept byte for byte.
 */
export function retainBatch(buf: Buffer, pos: number, map: OffsetMap, keepTombstones: boolean): Retained {
  const h = new BatchHeader(buf, pos);
  const whole = buf.subarray(pos, pos + h.size);
  if (keptWhole(h)) return { bytes: whole, removed: 0 };
  const records = readRecords(buf, pos);
  const kept = records.filter((r) => retained(r, map, keepTombstones));
  if (kept.length === records.length) return { bytes: whole, removed: 0 };
  if (kept.length === 0) return { bytes: null, removed: records.length };
  const bytes = buildBatch({
    records: kept.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offset - h.baseOffset })),
    baseOffset: h.baseOffset,
    codec: h.compression as CodecId,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
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
