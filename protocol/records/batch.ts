// A v2 record batch (magic 2) read in place: the header fields are read straight from the Buffer
// at need, so batches travel between the source cluster, the log and consumers as bytes.
//
//   offset  field                  type    offset  field             type
//        0  baseOffset             int64       27  baseTimestamp     int64
//        8  batchLength            int32       35  maxTimestamp      int64
//       12  partitionLeaderEpoch   int32       43  producerId        int64
//       16  magic                  int8        51  producerEpoch     int16
//       17  crc                    uint32      53  baseSequence      int32
//       21  attributes             int16       57  recordCount       int32
//       23  lastOffsetDelta        int32       61  records...
//
// batchLength counts the bytes after itself. The CRC32C covers attributes to the end, so the base
// offset and the partition leader epoch, which a broker rewrites, can change without touching it.
import type { ErrorName } from '../errors.js';
import { isCodecId } from './compression.js';
import { crc32c } from './crc32c.js';
import { readInt64, writeInt64 } from '../primitives.js';

export const BASE_OFFSET_OFFSET = 0;
export const LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORD_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;

/** baseOffset and batchLength: the framing every message format shares. */
export const LOG_OVERHEAD = 12;
/** The whole v2 header; also the smallest v2 batch (one with no records). */
export const BATCH_HEADER_SIZE = 61;
/** Enough bytes to read the magic byte, which says how to read the rest. */
export const HEADER_SIZE_UP_TO_MAGIC = 17;
/** The smallest batchLength of any format (a v0 message with no key and value); Kafka's first sanity check. */
export const MIN_LENGTH_ANY_MAGIC = 14;
export const CURRENT_MAGIC = 2;

export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;
export const DELETE_HORIZON_FLAG_MASK = 0x40;

export const TimestampType = { CREATE_TIME: 0, LOG_APPEND_TIME: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
export const NO_TIMESTAMP = -1;

/** Total bytes of the batch at `pos`, framing included. Reads the length field only. */
export function batchSize(buf: Buffer, pos: number): number {
  return LOG_OVERHEAD + buf.readInt32BE(pos + LENGTH_OFFSET);
}

/** CRC32C of the batch's covered bytes, as it should stand in its crc field. */
export function computeBatchCrc(buf: Buffer, pos: number): number {
  return crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + batchSize(buf, pos)));
}

/**
 * The header of the batch at `pos`, read lazily. It holds no copy and does not check the batch:
 * run validateBatch() first on bytes from outside. `pos` may be moved to reuse one view.
 */
export class BatchHeader {
  constructor(readonly buf: Buffer, public pos = 0) {}

  get baseOffset(): number { return readInt64(this.buf, this.pos + BASE_OFFSET_OFFSET); }
  get batchLength(): number { return this.buf.readInt32BE(this.pos + LENGTH_OFFSET); }
  /** Total bytes, framing included. */
  get size(): number { return LOG_OVERHEAD + this.batchLength; }
  /** The position just past this batch, where the next one starts. */
  get end(): number { return this.pos + this.size; }
  get partitionLeaderEpoch(): number { return this.buf.readInt32BE(this.pos + PARTITION_LEADER_EPOCH_OFFSET); }
  get magic(): number { return this.buf.readInt8(this.pos + MAGIC_OFFSET); }
  get crc(): number { return this.buf.readUInt32BE(this.pos + CRC_OFFSET); }
  get attributes(): number { return this.buf.readInt16BE(this.pos + ATTRIBUTES_OFFSET); }
  /** Compression codec id (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  get compression(): number { return this.attributes & COMPRESSION_CODEC_MASK; }
  get timestampType(): TimestampType { return this.attributes & TIMESTAMP_TYPE_MASK ? 1 : 0; }
  get isTransactional(): boolean { return (this.attributes & TRANSACTIONAL_FLAG_MASK) !== 0; }
  get isControl(): boolean { return (this.attributes & CONTROL_FLAG_MASK) !== 0; }
  /** Set by log compaction once tombstones may go; baseTimestamp then holds the horizon. */
  get hasDeleteHorizon(): boolean { return (this.attributes & DELETE_HORIZON_FLAG_MASK) !== 0; }
  get lastOffsetDelta(): number { return this.buf.readInt32BE(this.pos + LAST_OFFSET_DELTA_OFFSET); }
  get baseTimestamp(): number { return readInt64(this.buf, this.pos + BASE_TIMESTAMP_OFFSET); }
  get maxTimestamp(): number { return readInt64(this.buf, this.pos + MAX_TIMESTAMP_OFFSET); }
  get producerId(): number { return readInt64(this.buf, this.pos + PRODUCER_ID_OFFSET); }
  get producerEpoch(): number { return this.buf.readInt16BE(this.pos + PRODUCER_EPOCH_OFFSET); }
  get baseSequence(): number { return this.buf.readInt32BE(this.pos + BASE_SEQUENCE_OFFSET); }
  /** Records present now; compaction can leave fewer than lastOffsetDelta + 1, even none. */
  get recordCount(): number { return this.buf.readInt32BE(this.pos + RECORD_COUNT_OFFSET); }
  /** The batch's last offset, kept across compaction, so offsets stay dense from batch to batch. */
  get lastOffset(): number { return this.baseOffset + this.lastOffsetDelta; }
  get nextOffset(): number { return this.lastOffset + 1; }
}

/** Sets the base offset in place, as a leader assigns offsets; the CRC does not cover it. */
export function stampBaseOffset(buf: Buffer, pos: number, offset: number): void {
  writeInt64(buf, pos + BASE_OFFSET_OFFSET, offset);
}

/** Sets the partition leader epoch in place; the CRC does not cover it. */
export function stampPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
}

/**
 * What a broker does for message.timestamp.type=LogAppendTime: mark the batch LogAppendTime and
 * make its max timestamp the append time, which every record then reads as its timestamp. Both
 * fields are under the CRC, so it is recomputed, unless nothing changed (as Kafka also skips it).
 */
export function stampMaxTimestampAndLogAppendTime(buf: Buffer, pos: number, appendTimeMs: number): void {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  if (attributes & TIMESTAMP_TYPE_MASK && readInt64(buf, pos + MAX_TIMESTAMP_OFFSET) === appendTimeMs) return;
  buf.writeInt16BE(attributes | TIMESTAMP_TYPE_MASK, pos + ATTRIBUTES_OFFSET);
  writeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, appendTimeMs);
  buf.writeUInt32BE(computeBatchCrc(buf, pos), pos + CRC_OFFSET);
}

export type BatchError = Extract<ErrorName, 'CORRUPT_MESSAGE' | 'INVALID_RECORD' | 'MESSAGE_TOO_LARGE' | 'UNSUPPORTED_COMPRESSION_TYPE'>;

export type BatchValidation = { ok: true; size: number } | { ok: false; error: BatchError; reason: string };

export interface ValidateOptions {
  /** The topic's max.message.bytes: larger batches are MESSAGE_TOO_LARGE (Kafka's RecordTooLargeException). */
  maxBatchBytes?: number;
  /**
   * The batch comes from a producer rather than from a replica or the source cluster. Kafka then
   * also checks what a producer must get right: base offset 0, a record count matching the offset
   * range, no control batch, a sequence when there is a producer id. Batches from a log are exempt,
   * since compaction leaves counts below the offset range.
   */
  fromClient?: boolean;
}

const fail = (error: BatchError, reason: string): BatchValidation => ({ ok: false, error, reason });

/**
 * Checks the one batch at [pos, end) and returns its size, with the error Kafka's broker gives in
 * each case, in Kafka's order of checks: framing and magic (ByteBufferLogInputStream), then size
 * and CRC (UnifiedLog.analyzeAndValidateRecords), then the producer rules (LogValidator).
 */
export function validateBatch(buf: Buffer, pos: number, end: number, opts: ValidateOptions = {}): BatchValidation {
  const available = end - pos;
  if (available < LOG_OVERHEAD) return fail('CORRUPT_MESSAGE', `truncated: ${available} bytes, not even the batch framing`);
  const length = buf.readInt32BE(pos + LENGTH_OFFSET);
  if (length < MIN_LENGTH_ANY_MAGIC) return fail('CORRUPT_MESSAGE', `batch length ${length} is less than the minimum record overhead (${MIN_LENGTH_ANY_MAGIC})`);
  if (available < HEADER_SIZE_UP_TO_MAGIC) return fail('CORRUPT_MESSAGE', `truncated: ${available} bytes, no magic byte`);
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic < 0 || magic > CURRENT_MAGIC) return fail('CORRUPT_MESSAGE', `invalid magic ${magic}`);
  // Kafka 4 takes only v2 batches (produce v3+ refuses older ones with INVALID_RECORD).
  if (magic !== CURRENT_MAGIC) return fail('INVALID_RECORD', `message format v${magic} is not supported, only record batches with magic 2`);
  const size = LOG_OVERHEAD + length;
  if (size > available) return fail('CORRUPT_MESSAGE', `truncated: batch of ${size} bytes, ${available} present`);
  if (size < BATCH_HEADER_SIZE) return fail('CORRUPT_MESSAGE', `batch size ${size} is smaller than the minimum allowed overhead ${BATCH_HEADER_SIZE}`);

  const header = new BatchHeader(buf, pos);
  if (opts.fromClient && header.baseOffset !== 0) return fail('INVALID_RECORD', `the base offset of a produced batch should be 0, but it is ${header.baseOffset}`);
  if (opts.maxBatchBytes !== undefined && size > opts.maxBatchBytes) {
    return fail('MESSAGE_TOO_LARGE', `batch size ${size} bytes exceeds the maximum configured value of ${opts.maxBatchBytes}`);
  }
  const computed = computeBatchCrc(buf, pos);
  if (computed !== header.crc) return fail('CORRUPT_MESSAGE', `record is corrupt (stored crc = ${header.crc}, computed crc = ${computed})`);
  // Kafka itself fails an unknown codec with UNKNOWN_SERVER_ERROR; the specific error helps more.
  if (!isCodecId(header.compression)) return fail('UNSUPPORTED_COMPRESSION_TYPE', `unknown compression codec ${header.compression}`);

  if (opts.fromClient) {
    const countFromOffsets = header.lastOffsetDelta + 1;
    const count = header.recordCount;
    if (countFromOffsets <= 0) return fail('INVALID_RECORD', `batch has an invalid offset range: [${header.baseOffset}, ${header.lastOffset}]`);
    if (count <= 0) return fail('INVALID_RECORD', `invalid reported count for record batch: ${count}`);
    if (count !== countFromOffsets) {
      return fail('INVALID_RECORD', `inconsistent batch offset range [${header.baseOffset}, ${header.lastOffset}] and count of records ${count}`);
    }
    if (header.isControl) return fail('INVALID_RECORD', 'clients are not allowed to write control records');
    if (header.producerId >= 0 && header.baseSequence < 0) {
      return fail('INVALID_RECORD', `invalid sequence number ${header.baseSequence} in record batch with producerId ${header.producerId}`);
    }
  }
  return { ok: true, size };
}

export interface BatchSpan {
  pos: number;
  size: number;
}

/** Where iterateBatches() stopped: at `pos`, having found the end, a partial batch, or garbage. */
export interface BatchesStop {
  pos: number;
  stop: 'end' | 'partial' | 'corrupt';
}

/**
 * The batches of a concatenation, by their framing only (no CRC check). It stops before a partial
 * trailing batch, which Fetch responses may end in, and before a length that cannot be a batch;
 * the generator's return value says which and where.
 */
export function* iterateBatches(buf: Buffer, start = 0, end = buf.length): Generator<BatchSpan, BatchesStop, undefined> {
  let pos = start;
  while (pos < end) {
    if (end - pos < LOG_OVERHEAD) return { pos, stop: 'partial' };
    const size = batchSize(buf, pos);
    if (size < LOG_OVERHEAD + MIN_LENGTH_ANY_MAGIC) return { pos, stop: 'corrupt' };
    if (size > end - pos) return { pos, stop: 'partial' };
    yield { pos, size };
    pos += size;
  }
  return { pos, stop: 'end' };
}

/** The end of the whole batches at the start of [start, end): where a trailing partial one begins. */
export function wholeBatchesEnd(buf: Buffer, start = 0, end = buf.length): number {
  const it = iterateBatches(buf, start, end);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value.pos;
  }
}
