// Golden cross-checks against a real client's codec: batches that kafkajs's own RecordBatch encoder
// writes must validate and read with ours, and batches we build must decode with kafkajs's decoder.
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchHeader, validateBatch } from '../../../protocol/records/batch.js';
import { Codec, codecName } from '../../../protocol/records/compression.js';
import { buildBatch, readRecords } from '../../../protocol/records/records.js';

const require = createRequire(import.meta.url);
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const Decoder = require('kafkajs/src/protocol/decoder.js');

const t0 = 1_700_000_000_000;
const MESSAGES = [
  { key: Buffer.from('key-a'), value: Buffer.from('value a'), timestamp: t0, headers: { trace: Buffer.from('abc') } },
  { key: null, value: Buffer.from('keyless'), timestamp: t0 + 17, headers: {} },
  { key: Buffer.from('tomb'), value: null, timestamp: t0 + 3, headers: { a: Buffer.from('1'), b: Buffer.from('') } },
  { key: Buffer.from('big'), value: Buffer.alloc(20_000, 0x7a), timestamp: t0 + 40, headers: {} },
];

// As kafkajs's produce request builds a batch (requests/produce/v3/request.js).
async function kafkajsBatch(compression: number, opts: { baseOffset?: number; producerId?: number; transactional?: boolean } = {}): Promise<Buffer> {
  const records = MESSAGES.map((m, i) => Record({ key: m.key, value: m.value, headers: m.headers, offsetDelta: i, timestampDelta: m.timestamp - t0 }));
  const encoder = await RecordBatch({
    compression, records, firstOffset: String(opts.baseOffset ?? 0), firstTimestamp: t0, maxTimestamp: t0 + 40,
    producerId: String(opts.producerId ?? -1), producerEpoch: 2, firstSequence: 11, transactional: opts.transactional ?? false,
    lastOffsetDelta: records.length - 1, partitionLeaderEpoch: 6,
  });
  return encoder.buffer as Buffer;
}

for (const codec of [Codec.NONE, Codec.GZIP]) {
  test(`${codecName(codec)}: a batch kafkajs encodes validates and reads with ours`, async () => {
    const b = await kafkajsBatch(codec, { baseOffset: 0, producerId: 4000, transactional: true });
    assert.equal(validateBatch(b, 0, b.length, { fromClient: true }), { ok: true, size: b.length });
    const h = new BatchHeader(b);
    assert.is(h.compression, codec);
    assert.is(h.partitionLeaderEpoch, 6);
    assert.is(h.producerId, 4000);
    assert.is(h.producerEpoch, 2);
    assert.is(h.baseSequence, 11);
    assert.ok(h.isTransactional);
    assert.is(h.recordCount, MESSAGES.length);
    assert.is(h.maxTimestamp, t0 + 40);
    assert.equal(readRecords(b), MESSAGES.map((m, i) => ({
      offset: i, timestamp: m.timestamp, key: m.key, value: m.value,
      headers: Object.entries(m.headers).map(([key, value]) => ({ key, value })),
    })));
  });

  test(`${codecName(codec)}: a batch we build decodes with kafkajs`, async () => {
    const b = buildBatch({
      baseOffset: 123_456_789, codec, producerId: 77, producerEpoch: 3, baseSequence: 9, partitionLeaderEpoch: 4,
      records: MESSAGES.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, headers: Object.entries(m.headers).map(([key, value]) => ({ key, value })) })),
    });
    const got = await decodeBatch(new Decoder(b));
    assert.is(got.firstOffset, '123456789');
    assert.is(got.partitionLeaderEpoch, 4);
    assert.is(got.producerId, '77');
    assert.is(got.producerEpoch, 3);
    assert.is(got.firstSequence, 9);
    assert.is(got.maxTimestamp, String(t0 + 40));
    assert.is(got.records.length, MESSAGES.length);
    got.records.forEach((r: any, i: number) => {
      const m = MESSAGES[i]!;
      assert.is(r.offset, String(123_456_789 + i));
      assert.is(r.timestamp, String(m.timestamp));
      assert.equal(r.key, m.key);
      assert.equal(r.value, m.value);
      assert.equal(r.headers, m.headers);
    });
  });
}

test('byte for byte: an uncompressed batch we build equals the one kafkajs encodes', async () => {
  const theirs = await kafkajsBatch(Codec.NONE, { producerId: 4000 });
  // Given the same header fields, the two encoders must agree on every byte, CRC included.
  const ours = buildBatch({
    records: MESSAGES.map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, headers: Object.entries(m.headers).map(([key, value]) => ({ key, value })) })),
    producerId: 4000, producerEpoch: 2, baseSequence: 11, partitionLeaderEpoch: 6,
  });
  assert.is(ours.toString('hex'), theirs.toString('hex'));
});

test.run();
