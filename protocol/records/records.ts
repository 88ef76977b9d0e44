// The records inside a v2 batch, for the few places that must look inside (tests, compaction, the
// CLI); the broker's data path never calls this. Each record is:
//
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
//   | keyLength varint | key | valueLength varint | value | headerCount varint
//   | headers: (keyLength varint | key utf8 | valueLength varint | value)*
//
// with -1 as the length of a null key, value or header value.
import { KafkaError } from '../errors.js';
import {
  ATTRIBUTES_OFFSET, BASE_OFFSET_OFFSET, BASE_SEQUENCE_OFFSET, BASE_TIMESTAMP_OFFSET, BATCH_HEADER_SIZE, BatchHeader,
  COMPRESSION_CODEC_MASK, CONTROL_FLAG_MASK, CRC_OFFSET, CURRENT_MAGIC, LAST_OFFSET_DELTA_OFFSET, LENGTH_OFFSET, LOG_OVERHEAD,
  MAGIC_OFFSET, MAX_TIMESTAMP_OFFSET, NO_PARTITION_LEADER_EPOCH, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE,
  PARTITION_LEADER_EPOCH_OFFSET, PRODUCER_EPOCH_OFFSET, PRODUCER_ID_OFFSET, RECORD_COUNT_OFFSET, RECORDS_OFFSET,
  TIMESTAMP_TYPE_MASK, TimestampType, TRANSACTIONAL_FLAG_MASK, computeBatchCrc,
} from './batch.js';
import { writeInt64 } from '../primitives.js';
import { Codec, type CodecId, CompressionError, compress, decompress } from './compression.js';
import { VarReader, VarintError, varintSize, writeVarint } from './varint.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** One record as read from a batch; key, value and header values are views into the batch (or its decompressed records). */
export interface LogRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/**
 * Decodes every record of the batch at `pos`, decompressing its records section if need be.
 * Throws KafkaError: CORRUPT_MESSAGE for a section that does not decompress, INVALID_RECORD for
 * records that do not parse or do not fill the section exactly (Kafka's errors for these).
 */
export function readRecords(buf: Buffer, pos = 0): LogRecord[] {
  const h = new BatchHeader(buf, pos);
  if (h.magic !== CURRENT_MAGIC) throw new KafkaError('INVALID_RECORD', `cannot read records of magic ${h.magic}`);
  const count = h.recordCount;
  if (count < 0) throw new KafkaError('INVALID_RECORD', `found invalid record count ${count} in magic v2 batch`);
  const end = h.end;
  if (end > buf.length) throw new KafkaError('CORRUPT_MESSAGE', `truncated: batch of ${h.size} bytes, ${buf.length - pos} present`);

  let section = buf.subarray(pos + RECORDS_OFFSET, end);
  // An empty section holds no records whatever the codec says (compaction can leave such batches).
  if (h.compression !== Codec.NONE && section.length > 0) {
    try {
      section = decompress(h.compression, section);
    } catch (e) {
      throw new KafkaError('CORRUPT_MESSAGE', (e as CompressionError).message);
    }
  }

  const baseOffset = h.baseOffset;
  const baseTimestamp = h.baseTimestamp;
  // With LogAppendTime the broker's append time, kept as maxTimestamp, stands for every record's.
  const appendTime = h.timestampType === TimestampType.LOG_APPEND_TIME ? h.maxTimestamp : null;
  const r = new VarReader(section, 0, section.length);
  const records: LogRecord[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const length = r.varint();
      const recordEnd = r.pos + length;
      if (length < 0 || recordEnd > section.length) throw new VarintError(`record ${i} of ${length} bytes overruns its batch`);
      r.int8(); // record attributes: none are defined
      const timestampDelta = r.varlong();
      const offsetDelta = r.varint();
      const key = nullableBytes(r);
      const value = nullableBytes(r);
      const headerCount = r.varint();
      if (headerCount < 0) throw new VarintError(`found invalid number of record headers ${headerCount}`);
      const headers: RecordHeader[] = new Array(headerCount);
      for (let j = 0; j < headerCount; j++) {
        const keyLength = r.varint();
        if (keyLength < 0) throw new VarintError(`invalid negative header key size ${keyLength}`);
        headers[j] = { key: r.bytes(keyLength).toString('utf8'), value: nullableBytes(r) };
      }
      if (r.pos !== recordEnd) throw new VarintError(`invalid record size: expected to read ${length} bytes in record ${i}, but read ${length + r.pos - recordEnd}`);
      records.push({ offset: baseOffset + offsetDelta, timestamp: appendTime ?? baseTimestamp + timestampDelta, key, value, headers });
    }
  } catch (e) {
    if (e instanceof VarintError) throw new KafkaError('INVALID_RECORD', e.message);
    throw e;
  }
  if (r.pos !== section.length) throw new KafkaError('INVALID_RECORD', `incorrect declared batch size, ${section.length - r.pos} bytes remain after ${count} records`);
  return records;
}

function nullableBytes(r: VarReader): Buffer | null {
  const n = r.varint();
  return n < 0 ? null : r.bytes(n);
}

export interface RecordInput {
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: RecordHeader[];
  /** CreateTime in ms; defaults to now. Ignored under LogAppendTime. */
  timestamp?: number;
  /** its offset's distance from the batch's base offset; defaults to its index (compaction keeps gaps) */
  offsetDelta?: number;
}

export interface BuildBatchOptions {
  records: RecordInput[];
  baseOffset?: number;
  codec?: CodecId;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  /** A control batch; its records' keys and values must already be control record bodies. */
  control?: boolean;
  partitionLeaderEpoch?: number;
  timestampType?: TimestampType;
  /** The clock for records without a timestamp and for LogAppendTime. */
  now?: number;
  /** the batch's last offset's delta, when it is past its last record's (a compacted batch keeps its span) */
  lastOffsetDelta?: number;
}

/**
 * A batch of the given records, CRC included, as Kafka's producer would write it: offset deltas
 * 0..n-1, baseTimestamp the first record's, maxTimestamp the largest. The uncompressed records
 * are sized first and written straight into the one output buffer.
 */
export function buildBatch(opts: BuildBatchOptions): Buffer {
  const n = opts.records.length;
  if (n === 0) throw new RangeError('a batch needs at least one record');
  const codec = opts.codec ?? Codec.NONE;
  const now = opts.now ?? Date.now();
  const logAppend = opts.timestampType === TimestampType.LOG_APPEND_TIME;

  const timestamps = opts.records.map((rec) => (logAppend ? now : rec.timestamp ?? now));
  const baseTimestamp = timestamps[0]!;
  const maxTimestamp = timestamps.reduce((a, b) => Math.max(a, b));

  const deltas = opts.records.map((rec, i) => rec.offsetDelta ?? i);
  const bodySizes = opts.records.map((rec, i) => recordBodySize(rec, deltas[i]!, timestamps[i]! - baseTimestamp));
  const recordsSize = bodySizes.reduce((sum, s) => sum + varintSize(s) + s, 0);

  let out: Buffer;
  if (codec === Codec.NONE) {
    out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + recordsSize);
    writeRecords(out, BATCH_HEADER_SIZE, opts.records, deltas, bodySizes, timestamps, baseTimestamp);
  } else {
    const plain = Buffer.allocUnsafe(recordsSize);
    writeRecords(plain, 0, opts.records, deltas, bodySizes, timestamps, baseTimestamp);
    const packed = compress(codec, plain);
    out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + packed.length);
    packed.copy(out, BATCH_HEADER_SIZE);
  }

  let attributes = codec & COMPRESSION_CODEC_MASK;
  if (logAppend) attributes |= TIMESTAMP_TYPE_MASK;
  if (opts.transactional) attributes |= TRANSACTIONAL_FLAG_MASK;
  if (opts.control) attributes |= CONTROL_FLAG_MASK;

  writeInt64(out, BASE_OFFSET_OFFSET, opts.baseOffset ?? 0);
  out.writeInt32BE(out.length - LOG_OVERHEAD, LENGTH_OFFSET);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH_OFFSET);
  out.writeInt8(CURRENT_MAGIC, MAGIC_OFFSET);
  out.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  out.writeInt32BE(Math.max(opts.lastOffsetDelta ?? 0, deltas[n - 1]!), LAST_OFFSET_DELTA_OFFSET);
  writeInt64(out, BASE_TIMESTAMP_OFFSET, baseTimestamp);
  writeInt64(out, MAX_TIMESTAMP_OFFSET, maxTimestamp);
  writeInt64(out, PRODUCER_ID_OFFSET, opts.producerId ?? NO_PRODUCER_ID);
  out.writeInt16BE(opts.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_OFFSET);
  out.writeInt32BE(opts.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE_OFFSET);
  out.writeInt32BE(n, RECORD_COUNT_OFFSET);
  out.writeUInt32BE(computeBatchCrc(out, 0), CRC_OFFSET);
  return out;
}

const bytesSize = (b: Buffer | null | undefined): number => (b == null ? varintSize(-1) : varintSize(b.length) + b.length);

function recordBodySize(rec: RecordInput, offsetDelta: number, timestampDelta: number): number {
  const headers = rec.headers ?? [];
  let size = 1 + varintSize(timestampDelta) + varintSize(offsetDelta) + bytesSize(rec.key) + bytesSize(rec.value) + varintSize(headers.length);
  for (const h of headers) {
    const k = Buffer.byteLength(h.key, 'utf8');
    size += varintSize(k) + k + bytesSize(h.value);
  }
  return size;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null | undefined): number {
  if (b == null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  return pos + b.copy(buf, pos);
}

function writeRecords(
  buf: Buffer, pos: number, records: RecordInput[], deltas: number[], bodySizes: number[], timestamps: number[], baseTimestamp: number,
): void {
  records.forEach((rec, i) => {
    const headers = rec.headers ?? [];
    pos = writeVarint(buf, pos, bodySizes[i]!);
    buf[pos++] = 0;
    pos = writeVarint(buf, pos, timestamps[i]! - baseTimestamp);
    pos = writeVarint(buf, pos, deltas[i]!);
    pos = writeBytes(buf, pos, rec.key);
    pos = writeBytes(buf, pos, rec.value);
    pos = writeVarint(buf, pos, headers.length);
    for (const h of headers) {
      pos = writeVarint(buf, pos, Buffer.byteLength(h.key, 'utf8'));
      pos += buf.write(h.key, pos, 'utf8');
      pos = writeBytes(buf, pos, h.value);
    }
  });
}
