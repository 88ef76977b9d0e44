// Zig-zag varints and varlongs at the boundaries of their byte lengths, and malformed input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VarReader, VarintError, varintSize, writeVarint } from '../../../protocol/records/varint.js';

const roundTrip = (v: number, long: boolean) => {
  const buf = Buffer.alloc(10);
  const end = writeVarint(buf, 0, v);
  assert.is(end, varintSize(v), `size of ${v}`);
  const r = new VarReader(buf, 0, end);
  assert.is(long ? r.varlong() : r.varint(), v);
  assert.is(r.pos, end);
};

test('known encodings', () => {
  const enc = (v: number) => { const b = Buffer.alloc(10); return b.subarray(0, writeVarint(b, 0, v)).toString('hex'); };
  assert.is(enc(0), '00');
  assert.is(enc(-1), '01');
  assert.is(enc(1), '02');
  assert.is(enc(63), '7e');
  assert.is(enc(-64), '7f');
  assert.is(enc(64), '8001');
  assert.is(enc(2 ** 31 - 1), 'feffffff0f');
  assert.is(enc(-(2 ** 31)), 'ffffffff0f');
});

test('int32 range round trips within 5 bytes', () => {
  for (const v of [0, 1, -1, 63, -64, 64, -65, 8191, -8192, 8192, 2 ** 20, -(2 ** 27), 2 ** 31 - 1, -(2 ** 31)]) {
    roundTrip(v, false);
    assert.ok(varintSize(v) <= 5);
  }
});

test('varlongs up to 2^52 round trip', () => {
  for (const v of [2 ** 31, -(2 ** 31) - 1, 1_700_000_000_000, -1_700_000_000_000, 2 ** 52, -(2 ** 52)]) roundTrip(v, true);
});

test('truncated and overlong varints throw VarintError', () => {
  assert.throws(() => new VarReader(Buffer.from([0x80, 0x80]), 0, 2).varint(), (e: unknown) => e instanceof VarintError);
  assert.throws(() => new VarReader(Buffer.alloc(6, 0x80), 0, 6).varint(), (e: unknown) => e instanceof VarintError);
  assert.throws(() => new VarReader(Buffer.alloc(11, 0x80), 0, 11).varlong(), (e: unknown) => e instanceof VarintError);
  // the end bound is respected even when the buffer goes on
  assert.throws(() => new VarReader(Buffer.from([0x80, 0x01]), 0, 1).varint(), (e: unknown) => e instanceof VarintError);
  assert.throws(() => new VarReader(Buffer.from([1, 2, 3]), 0, 3).bytes(4), (e: unknown) => e instanceof VarintError);
  assert.throws(() => new VarReader(Buffer.from([1, 2, 3]), 3, 3).int8(), (e: unknown) => e instanceof VarintError);
});

test.run();
