// The header view, the in-place stamps and their effect on the CRC, validation with Kafka's error
// for each bad case, and framing a concatenation of batches.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE, BatchHeader, CRC_OFFSET, LAST_OFFSET_DELTA_OFFSET, LENGTH_OFFSET, LOG_OVERHEAD,
  MAGIC_OFFSET, RECORD_COUNT_OFFSET, RECORDS_OFFSET, TimestampType, batchSize, computeBatchCrc, iterateBatches,
  stampBaseOffset, stampMaxTimestampAndLogAppendTime, stampPartitionLeaderEpoch, validateBatch, wholeBatchesEnd,
  type BatchValidation,
} from '../../../protocol/records/batch.js';
import { writeInt64 } from '../../../protocol/primitives.js';
import { Codec } from '../../../protocol/records/compression.js';
import { buildBatch, readRecords } from '../../../protocol/records/records.js';

const recs = (n: number, t0 = 1_700_000_000_000) =>
  Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value ${i}`), timestamp: t0 + i * 10 }));

const reseal = (b: Buffer) => { b.writeUInt32BE(computeBatchCrc(b, 0), CRC_OFFSET); return b; };
const isError = (v: BatchValidation, error: string) => {
  assert.is(v.ok, false, 'should fail');
  if (!v.ok) assert.is(v.error, error, v.reason);
};

test('layout constants', () => {
  assert.is(BATCH_HEADER_SIZE, 61);
  assert.is(LOG_OVERHEAD, 12);
  assert.is(RECORDS_OFFSET, BATCH_HEADER_SIZE);
});

test('the header view reads every field', () => {
  const b = buildBatch({
    baseOffset: 2 ** 40 + 7, records: recs(3), codec: Codec.GZIP, producerId: 2 ** 35 + 1, producerEpoch: 4,
    baseSequence: 17, transactional: true, partitionLeaderEpoch: 9,
  });
  const h = new BatchHeader(b, 0);
  assert.is(h.baseOffset, 2 ** 40 + 7);
  assert.is(h.batchLength, b.length - 12);
  assert.is(h.size, b.length);
  assert.is(batchSize(b, 0), b.length);
  assert.is(h.end, b.length);
  assert.is(h.partitionLeaderEpoch, 9);
  assert.is(h.magic, 2);
  assert.is(h.crc, computeBatchCrc(b, 0));
  assert.is(h.compression, Codec.GZIP);
  assert.is(h.timestampType, TimestampType.CREATE_TIME);
  assert.ok(h.isTransactional);
  assert.not.ok(h.isControl);
  assert.not.ok(h.hasDeleteHorizon);
  assert.is(h.lastOffsetDelta, 2);
  assert.is(h.baseTimestamp, 1_700_000_000_000);
  assert.is(h.maxTimestamp, 1_700_000_000_020);
  assert.is(h.producerId, 2 ** 35 + 1);
  assert.is(h.producerEpoch, 4);
  assert.is(h.baseSequence, 17);
  assert.is(h.recordCount, 3);
  assert.is(h.lastOffset, 2 ** 40 + 9);
  assert.is(h.nextOffset, 2 ** 40 + 10);
});

test('defaults: no producer, no leader epoch, and negative int64s read back', () => {
  const h = new BatchHeader(buildBatch({ records: recs(1) }));
  assert.is(h.producerId, -1);
  assert.is(h.producerEpoch, -1);
  assert.is(h.baseSequence, -1);
  assert.is(h.partitionLeaderEpoch, -1);
  assert.is(h.baseOffset, 0);
});

test('attribute flags: control, LogAppendTime, delete horizon', () => {
  const b = buildBatch({ records: recs(1), control: true, timestampType: TimestampType.LOG_APPEND_TIME, now: 5 });
  const h = new BatchHeader(b);
  assert.ok(h.isControl);
  assert.is(h.timestampType, TimestampType.LOG_APPEND_TIME);
  b.writeInt16BE(h.attributes | 0x40, ATTRIBUTES_OFFSET);
  assert.ok(h.hasDeleteHorizon);
});

test('the view can be moved along a concatenation', () => {
  const a = buildBatch({ baseOffset: 0, records: recs(2) });
  const b = buildBatch({ baseOffset: 2, records: recs(5) });
  const h = new BatchHeader(Buffer.concat([a, b]));
  assert.is(h.nextOffset, 2);
  h.pos = h.end;
  assert.is(h.baseOffset, 2);
  assert.is(h.recordCount, 5);
});

test('stamping the base offset and leader epoch leaves the CRC valid', () => {
  const b = buildBatch({ records: recs(4), codec: Codec.LZ4 });
  const crc = new BatchHeader(b).crc;
  stampBaseOffset(b, 0, 123_456_789_012);
  stampPartitionLeaderEpoch(b, 0, 42);
  const h = new BatchHeader(b);
  assert.is(h.baseOffset, 123_456_789_012);
  assert.is(h.partitionLeaderEpoch, 42);
  assert.is(h.crc, crc, 'CRC field untouched');
  assert.equal(validateBatch(b, 0, b.length), { ok: true, size: b.length });
  assert.equal(readRecords(b).map((r) => r.offset), [123_456_789_012, 123_456_789_013, 123_456_789_014, 123_456_789_015]);
});

test('stamping at an offset within a larger buffer touches only that batch', () => {
  const a = buildBatch({ records: recs(1) });
  const b = buildBatch({ records: recs(1) });
  const both = Buffer.concat([a, b]);
  stampBaseOffset(both, a.length, 99);
  stampMaxTimestampAndLogAppendTime(both, a.length, 7777);
  assert.equal(both.subarray(0, a.length), a);
  assert.is(new BatchHeader(both, a.length).baseOffset, 99);
  assert.ok(validateBatch(both, a.length, both.length).ok);
});

test('LogAppendTime stamping recomputes the CRC, and records then read the append time', () => {
  const b = buildBatch({ records: recs(3), codec: Codec.ZSTD });
  const before = new BatchHeader(b).crc;
  stampMaxTimestampAndLogAppendTime(b, 0, 1_800_000_000_000);
  const h = new BatchHeader(b);
  assert.is(h.timestampType, TimestampType.LOG_APPEND_TIME);
  assert.is(h.maxTimestamp, 1_800_000_000_000);
  assert.is(h.compression, Codec.ZSTD, 'other attribute bits kept');
  assert.is.not(h.crc, before);
  assert.is(h.crc, computeBatchCrc(b, 0));
  assert.ok(validateBatch(b, 0, b.length).ok);
  assert.equal(readRecords(b).map((r) => r.timestamp), [1_800_000_000_000, 1_800_000_000_000, 1_800_000_000_000]);
});

test('LogAppendTime stamping with nothing to change leaves the bytes alone', () => {
  const b = buildBatch({ records: recs(2) });
  stampMaxTimestampAndLogAppendTime(b, 0, 1000);
  const copy = Buffer.from(b);
  stampMaxTimestampAndLogAppendTime(b, 0, 1000);
  assert.equal(b, copy);
});

// --- validation

test('a good batch validates, with its size', () => {
  for (const codec of [0, 1, 2, 3, 4] as const) {
    const b = buildBatch({ records: recs(3), codec });
    assert.equal(validateBatch(b, 0, b.length), { ok: true, size: b.length });
    assert.equal(validateBatch(b, 0, b.length, { fromClient: true, maxBatchBytes: b.length }), { ok: true, size: b.length });
  }
});

test('validation looks only at [pos, end)', () => {
  const a = buildBatch({ records: recs(1) });
  const b = buildBatch({ records: recs(2) });
  const both = Buffer.concat([a, b, Buffer.from('trailing garbage')]);
  assert.equal(validateBatch(both, a.length, a.length + b.length), { ok: true, size: b.length });
  assert.equal(validateBatch(both, 0, both.length), { ok: true, size: a.length });
});

test('truncated: CORRUPT_MESSAGE, at every cut', () => {
  const b = buildBatch({ records: recs(2) });
  for (const cut of [0, 5, 11, 12, 16, 17, 60, b.length - 1]) isError(validateBatch(b, 0, cut), 'CORRUPT_MESSAGE');
});

test('a length too small for any format: CORRUPT_MESSAGE', () => {
  const b = buildBatch({ records: recs(1) });
  for (const len of [-1, 0, 13]) {
    const bad = Buffer.from(b);
    bad.writeInt32BE(len, LENGTH_OFFSET);
    isError(validateBatch(bad, 0, bad.length), 'CORRUPT_MESSAGE');
  }
});

test('a v2 batch shorter than its header: CORRUPT_MESSAGE', () => {
  const b = buildBatch({ records: recs(1) }).subarray(0, 40);
  b.writeInt32BE(40 - 12, LENGTH_OFFSET);
  isError(validateBatch(b, 0, b.length), 'CORRUPT_MESSAGE');
});

test('bad magic: unknown values CORRUPT_MESSAGE, the old formats INVALID_RECORD', () => {
  const b = buildBatch({ records: recs(1) });
  for (const [magic, error] of [[3, 'CORRUPT_MESSAGE'], [-1, 'CORRUPT_MESSAGE'], [0, 'INVALID_RECORD'], [1, 'INVALID_RECORD']] as const) {
    const bad = Buffer.from(b);
    bad.writeInt8(magic, MAGIC_OFFSET);
    isError(validateBatch(bad, 0, bad.length), error);
  }
});

test('bad CRC: CORRUPT_MESSAGE, whether the CRC or a covered byte changed', () => {
  const b = buildBatch({ records: recs(3), codec: Codec.SNAPPY });
  const badCrc = Buffer.from(b);
  badCrc.writeUInt32BE((badCrc.readUInt32BE(CRC_OFFSET) ^ 1) >>> 0, CRC_OFFSET);
  isError(validateBatch(badCrc, 0, badCrc.length), 'CORRUPT_MESSAGE');
  for (const at of [ATTRIBUTES_OFFSET + 1, 40, RECORDS_OFFSET, b.length - 1]) {
    const flipped = Buffer.from(b);
    flipped[at]! ^= 0x10;
    isError(validateBatch(flipped, 0, flipped.length), 'CORRUPT_MESSAGE');
  }
});

test('oversized: MESSAGE_TOO_LARGE (Kafka\'s RecordTooLargeException, code 10), checked before the CRC', () => {
  const b = buildBatch({ records: recs(10) });
  isError(validateBatch(b, 0, b.length, { maxBatchBytes: b.length - 1 }), 'MESSAGE_TOO_LARGE');
  b[b.length - 1]! ^= 1;
  isError(validateBatch(b, 0, b.length, { maxBatchBytes: 100 }), 'MESSAGE_TOO_LARGE');
});

test('an unknown codec under a valid CRC: UNSUPPORTED_COMPRESSION_TYPE', () => {
  const b = buildBatch({ records: recs(1) });
  b.writeInt16BE(5, ATTRIBUTES_OFFSET);
  isError(validateBatch(reseal(b), 0, b.length), 'UNSUPPORTED_COMPRESSION_TYPE');
});

test('producer rules apply only to batches from clients: INVALID_RECORD', () => {
  const cases: [string, (b: Buffer) => void][] = [
    ['non-zero base offset', (b) => stampBaseOffset(b, 0, 5)],
    ['count below the offset range', (b) => b.writeInt32BE(2, RECORD_COUNT_OFFSET)],
    ['zero count', (b) => { b.writeInt32BE(0, RECORD_COUNT_OFFSET); }],
    ['negative offset range', (b) => b.writeInt32BE(-1, LAST_OFFSET_DELTA_OFFSET)],
    ['control batch', (b) => b.writeInt16BE(b.readInt16BE(ATTRIBUTES_OFFSET) | 0x20, ATTRIBUTES_OFFSET)],
    ['producer id without sequence', (b) => { writeInt64(b, 43, 1000); b.writeInt32BE(-1, 53); }],
  ];
  for (const [name, spoil] of cases) {
    const b = buildBatch({ records: recs(3) });
    spoil(b);
    reseal(b);
    isError(validateBatch(b, 0, b.length, { fromClient: true }), 'INVALID_RECORD');
    assert.ok(validateBatch(b, 0, b.length).ok, `${name}: fine from a log`);
  }
});

test('a compacted batch (fewer records than its offset range) is fine from a log', () => {
  const b = buildBatch({ baseOffset: 100, records: recs(1) });
  b.writeInt32BE(9, LAST_OFFSET_DELTA_OFFSET);
  reseal(b);
  assert.ok(validateBatch(b, 0, b.length).ok);
  assert.is(new BatchHeader(b).nextOffset, 110);
});

// --- iteration

test('iterateBatches frames a concatenation and reports a clean end', () => {
  const batches = [buildBatch({ records: recs(1) }), buildBatch({ records: recs(7), codec: Codec.GZIP }), buildBatch({ records: recs(2) })];
  const all = Buffer.concat(batches);
  const it = iterateBatches(all);
  const spans = [];
  let r;
  while (!(r = it.next()).done) spans.push(r.value);
  let pos = 0;
  assert.equal(spans, batches.map((b) => { const s = { pos, size: b.length }; pos += b.length; return s; }));
  assert.equal(r.value, { pos: all.length, stop: 'end' });
  assert.is(wholeBatchesEnd(all), all.length);
  assert.equal([...iterateBatches(Buffer.alloc(0))], []);
});

test('iterateBatches stops before a partial trailing batch, at any cut', () => {
  const a = buildBatch({ records: recs(2) });
  const b = buildBatch({ records: recs(3) });
  const all = Buffer.concat([a, b]);
  for (const cut of [a.length + 1, a.length + 11, a.length + 12, all.length - 1]) {
    const part = all.subarray(0, cut);
    const it = iterateBatches(part);
    assert.equal(it.next().value, { pos: 0, size: a.length });
    assert.equal(it.next(), { done: true, value: { pos: a.length, stop: 'partial' } });
    assert.is(wholeBatchesEnd(part), a.length);
  }
});

test('iterateBatches honours start and end, and stops at an impossible length', () => {
  const a = buildBatch({ records: recs(2) });
  const junk = Buffer.alloc(20);
  const all = Buffer.concat([junk, a, a, junk]);
  assert.equal([...iterateBatches(all, 20, 20 + 2 * a.length)].map((s) => s.pos), [20, 20 + a.length]);
  const it = iterateBatches(all, 20);
  it.next(); it.next();
  assert.equal(it.next(), { done: true, value: { pos: 20 + 2 * a.length, stop: 'corrupt' } });
});

test.run();
