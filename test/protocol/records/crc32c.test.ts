// The table-driven CRC32C must agree with the addon bit for bit, since either may check a batch.
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32c, crc32cFallback, crc32cNative } from '../../../protocol/records/crc32c.js';

// RFC 3720 (iSCSI) appendix B.4 test vectors, plus the customary check value of "123456789".
const VECTORS: [string, Buffer, number][] = [
  ['123456789', Buffer.from('123456789'), 0xe3069283],
  ['32 zeros', Buffer.alloc(32, 0), 0x8a9136aa],
  ['32 x 0xff', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['0..31', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  ['31..0', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
  ['empty', Buffer.alloc(0), 0],
];

test('the native addon loads here', () => {
  assert.ok(crc32cNative, '@node-rs/crc32 should load on this platform');
  assert.is(crc32c, crc32cNative);
});

for (const [name, data, want] of VECTORS) {
  test(`known vector: ${name}`, () => {
    assert.is(crc32cFallback(data), want);
    assert.is(crc32cNative!(data), want);
  });
}

test('fallback and native agree on random inputs of every length up to 300 and some large ones', () => {
  const lengths = [...Array.from({ length: 301 }, (_, i) => i), 4095, 65536, 1_000_003];
  for (const n of lengths) {
    const data = randomBytes(n);
    assert.is(crc32cFallback(data), crc32cNative!(data), `length ${n}`);
  }
});

test('they agree on unaligned views into a larger buffer', () => {
  const big = randomBytes(1000);
  for (let start = 0; start < 9; start++) {
    const view = big.subarray(start, 1000 - start * 3);
    assert.is(crc32cFallback(view), crc32cNative!(view));
  }
});

test('an initial value continues a CRC over preceding data, in both', () => {
  const data = randomBytes(777);
  const whole = crc32c(data);
  for (const cut of [0, 1, 7, 8, 300, 777]) {
    const a = data.subarray(0, cut), b = data.subarray(cut);
    assert.is(crc32cFallback(b, crc32cFallback(a)), whole, `fallback, cut ${cut}`);
    assert.is(crc32cNative!(b, crc32cNative!(a)), whole, `native, cut ${cut}`);
  }
});

test.run();
