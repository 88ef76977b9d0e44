// Building batches and reading their records back, for every codec, and the errors for records
// that do not parse.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KafkaError } from '../../../protocol/errors.js';
import { BatchHeader, CRC_OFFSET, RECORDS_OFFSET, TimestampType, computeBatchCrc, validateBatch } from '../../../protocol/records/batch.js';
import { Codec, codecName } from '../../../protocol/records/compression.js';
import { buildBatch, readRecords, type RecordInput } from '../../../protocol/records/records.js';

const t0 = 1_700_000_000_000;
const INPUT: RecordInput[] = [
  { key: Buffer.from('key-0'), value: Buffer.from('value-0'), timestamp: t0 },
  { key: null, value: Buffer.from('no key'), timestamp: t0 + 5, headers: [{ key: 'h1', value: Buffer.from('v1') }, { key: 'é', value: null }] },
  { key: Buffer.from('tombstone'), value: null, timestamp: t0 - 1000 }, // older than the base: a negative delta
  { key: Buffer.alloc(0), value: Buffer.alloc(70_000, 0x61), timestamp: t0 + 2 ** 33 }, // a delta past int32
  { value: Buffer.from('dup headers'), timestamp: t0, headers: [{ key: 'h', value: Buffer.from('a') }, { key: 'h', value: Buffer.from('b') }] },
];

const expected = (baseOffset: number) => INPUT.map((r, i) => ({
  offset: baseOffset + i, timestamp: r.timestamp!, key: r.key ?? null, value: r.value ?? null, headers: r.headers ?? [],
}));

const kafkaError = (error: string) => (e: unknown) => e instanceof KafkaError && e.error === error;

for (const codec of [Codec.NONE, Codec.GZIP, Codec.SNAPPY, Codec.LZ4, Codec.ZSTD]) {
  test(`${codecName(codec)}: build then read round trips keys, values, headers, nulls, offsets, timestamps`, () => {
    const b = buildBatch({ baseOffset: 1000, records: INPUT, codec });
    assert.ok(validateBatch(b, 0, b.length, { fromClient: false }).ok);
    const h = new BatchHeader(b);
    assert.is(h.compression, codec);
    assert.is(h.recordCount, INPUT.length);
    assert.is(h.lastOffsetDelta, INPUT.length - 1);
    assert.is(h.baseTimestamp, t0, 'the first record\'s');
    assert.is(h.maxTimestamp, t0 + 2 ** 33);
    assert.equal(readRecords(b), expected(1000));
  });
}

test('compressed batches are smaller for compressible data', () => {
  const none = buildBatch({ records: INPUT });
  for (const codec of [Codec.GZIP, Codec.SNAPPY, Codec.LZ4, Codec.ZSTD]) assert.ok(buildBatch({ records: INPUT, codec }).length < none.length / 4, codecName(codec));
});

test('uncompressed records lie right after the header, in the documented layout', () => {
  const b = buildBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 10, headers: [{ key: 'x', value: null }] }] });
  // length 11, attributes 0, timestampDelta 0, offsetDelta 0, key (1) 'k', value (1) 'v', 1 header: key (1) 'x', value -1
  assert.is(b.subarray(RECORDS_OFFSET).toString('hex'), '16' + '00' + '00' + '00' + '026b' + '0276' + '02' + '0278' + '01');
  assert.is(b.length, RECORDS_OFFSET + 12);
});

test('readRecords reads a batch at an offset within a larger buffer', () => {
  const a = buildBatch({ records: INPUT.slice(0, 1) });
  const b = buildBatch({ baseOffset: 1, records: INPUT, codec: Codec.GZIP });
  assert.equal(readRecords(Buffer.concat([a, b]), a.length), expected(1));
});

test('default timestamps come from `now`; LogAppendTime makes every record read the append time', () => {
  const b = buildBatch({ records: [{ value: Buffer.from('x') }, { value: Buffer.from('y'), timestamp: 3 }], now: 777 });
  assert.equal(readRecords(b).map((r) => r.timestamp), [777, 3]);
  const l = buildBatch({ records: INPUT, timestampType: TimestampType.LOG_APPEND_TIME, now: 888 });
  const h = new BatchHeader(l);
  assert.is(h.timestampType, TimestampType.LOG_APPEND_TIME);
  assert.is(h.maxTimestamp, 888);
  assert.ok(readRecords(l).every((r) => r.timestamp === 888));
});

test('a control batch (a transaction commit marker) builds and reads', () => {
  const key = Buffer.from([0, 0, 0, 1]); // version 0, type 1 = COMMIT
  const value = Buffer.from([0, 0, 0, 0, 0, 5]); // version 0, coordinator epoch 5
  const b = buildBatch({ baseOffset: 50, records: [{ key, value, timestamp: t0 }], control: true, transactional: true, producerId: 3, producerEpoch: 1 });
  const h = new BatchHeader(b);
  assert.ok(h.isControl && h.isTransactional);
  assert.ok(validateBatch(b, 0, b.length).ok);
  assert.equal(readRecords(b), [{ offset: 50, timestamp: t0, key, value, headers: [] }]);
});

test('an empty records section reads as no records, whatever the codec bits say', () => {
  const b = withSection(Buffer.alloc(0), 0);
  b.writeInt16BE(Codec.GZIP, 21);
  b.writeUInt32BE(computeBatchCrc(b, 0), CRC_OFFSET);
  assert.equal(readRecords(b), []);
});

test('an empty record list is refused', () => {
  assert.throws(() => buildBatch({ records: [] }), RangeError);
});

// A one-record batch with its records section replaced (and the header kept consistent).
function withSection(section: Buffer, count = 1): Buffer {
  const b = buildBatch({ records: [{ value: Buffer.from('x'), timestamp: 0 }] });
  const out = Buffer.concat([b.subarray(0, RECORDS_OFFSET), section]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt32BE(count, 57);
  out.writeUInt32BE(computeBatchCrc(out, 0), CRC_OFFSET);
  return out;
}

test('malformed records: INVALID_RECORD', () => {
  const good = buildBatch({ records: [{ value: Buffer.from('x'), timestamp: 0 }] }).subarray(RECORDS_OFFSET);
  const cases: [RegExp, Buffer, number?][] = [
    [/overruns its batch/, Buffer.concat([Buffer.from([good[0]! + 2]), good.subarray(1)])],
    [/invalid record size/, Buffer.concat([Buffer.from([good[0]! + 2]), good.subarray(1), Buffer.from([0, 0])])],
    [/invalid record size/, Buffer.concat([Buffer.from([good[0]! - 2]), good.subarray(1)])],
    [/remain after 1 records/, Buffer.concat([good, Buffer.from([0])])],
    [/truncated varint/, good, 2],
    [/invalid record count -1/, good, -1],
    // attributes, deltas, null key, value 'x', then a header count of -1
    [/invalid number of record headers/, Buffer.from('0e' + '000000' + '01' + '0278' + '01', 'hex')],
    // one header whose key is null
    [/negative header key size/, Buffer.from('12' + '000000' + '01' + '0278' + '02' + '01' + '01', 'hex')],
    // a value of 5 bytes with 1 present
    [/do not fit/, Buffer.from('0c' + '000000' + '01' + '0a' + '78', 'hex')],
  ];
  for (const [reason, section, count] of cases) {
    assert.throws(() => readRecords(withSection(section, count)), (e: unknown) => kafkaError('INVALID_RECORD')(e) && reason.test((e as Error).message), String(reason));
  }
});

test('a records section that does not decompress: CORRUPT_MESSAGE', () => {
  for (const codec of [Codec.GZIP, Codec.SNAPPY, Codec.LZ4, Codec.ZSTD]) {
    const b = withSection(Buffer.from('definitely not compressed data'));
    b.writeInt16BE(codec, 21);
    b.writeUInt32BE(computeBatchCrc(b, 0), CRC_OFFSET);
    assert.throws(() => readRecords(b), kafkaError('CORRUPT_MESSAGE'), codecName(codec));
  }
});

test('a batch cut short: CORRUPT_MESSAGE; an old magic: INVALID_RECORD', () => {
  const b = buildBatch({ records: INPUT });
  assert.throws(() => readRecords(b.subarray(0, b.length - 1)), kafkaError('CORRUPT_MESSAGE'));
  const old = Buffer.from(b);
  old[16] = 1;
  assert.throws(() => readRecords(old), kafkaError('INVALID_RECORD'));
});

test.run();
