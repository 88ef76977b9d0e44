// Every codec round trips, and reads the bytes other clients write: xerial-framed snappy as Java
// writes it, bare snappy, a Java-style LZ4 frame, and zstd frames without a content size.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Codec, CompressionError, codecName, compress, compressAsync, decodeSnappy, decompress, decompressAsync, encodeXerialSnappy,
} from '../../../protocol/records/compression.js';

const require = createRequire(import.meta.url);
const CODECS = [Codec.NONE, Codec.GZIP, Codec.SNAPPY, Codec.LZ4, Codec.ZSTD];

// Compressible but not trivial: text with a random tail.
const sample = (n: number) => Buffer.concat([Buffer.from('kafka outpost '.repeat(Math.ceil(n / 28))), randomBytes(Math.ceil(n / 2))]).subarray(0, n);

for (const codec of CODECS) {
  test(`${codecName(codec)}: sync and async round trips, empty to 300 KiB`, async () => {
    for (const n of [0, 1, 100, 32 * 1024, 32 * 1024 + 1, 65 * 1024, 300 * 1024]) {
      const data = sample(n);
      const packed = compress(codec, data);
      assert.equal(decompress(codec, packed), data, `sync, ${n} bytes`);
      assert.equal(await decompressAsync(codec, packed), data, `sync to async, ${n} bytes`);
      const packedAsync = await compressAsync(codec, data);
      assert.equal(decompress(codec, packedAsync), data, `async to sync, ${n} bytes`);
    }
  });
}

test('none returns its input unchanged', () => {
  const data = Buffer.from('abc');
  assert.is(compress(Codec.NONE, data), data);
  assert.is(decompress(Codec.NONE, data), data);
});

test('unknown codecs and undecodable data throw CompressionError', async () => {
  for (const bad of [5, 6, 7, -1]) assert.throws(() => compress(bad, Buffer.alloc(1)), (e: unknown) => e instanceof CompressionError);
  const junk = Buffer.from('this is not compressed by anything, honestly');
  for (const codec of [Codec.GZIP, Codec.SNAPPY, Codec.LZ4, Codec.ZSTD]) {
    assert.throws(() => decompress(codec, junk), (e: unknown) => e instanceof CompressionError, codecName(codec));
    try {
      await decompressAsync(codec, junk);
      assert.unreachable(`async ${codecName(codec)}`);
    } catch (e) {
      assert.instance(e, CompressionError);
    }
  }
});

// --- snappy

const XERIAL_HEADER = '82534e41505059000000000100000001';

test('snappy: we write xerial framing, as Java does, in 32 KiB blocks', () => {
  const data = sample(70 * 1024);
  const packed = compress(Codec.SNAPPY, data);
  assert.is(packed.subarray(0, 16).toString('hex'), XERIAL_HEADER);
  // 70 KiB makes three blocks: 32 + 32 + 6 KiB of input
  let pos = 16, blocks = 0;
  while (pos < packed.length) {
    const n = packed.readInt32BE(pos);
    const block = require('snappy').uncompressSync(packed.subarray(pos + 4, pos + 4 + n), { asBuffer: true }) as Buffer;
    assert.is(block.length, blocks < 2 ? 32 * 1024 : 6 * 1024);
    pos += 4 + n;
    blocks++;
  }
  assert.is(blocks, 3);
  assert.is(pos, packed.length);
});

test('snappy: a xerial frame built by hand from the format decodes', () => {
  // Raw snappy by hand: varint of the uncompressed length, then a literal tag ((len - 1) << 2) and the bytes.
  const block = (s: string) => Buffer.concat([Buffer.from([s.length, (s.length - 1) << 2]), Buffer.from(s)]);
  const b1 = block('hello, '), b2 = block('world');
  const lenBE = (n: number) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
  const frame = Buffer.concat([Buffer.from(XERIAL_HEADER, 'hex'), lenBE(b1.length), b1, lenBE(b2.length), b2]);
  assert.is(decompress(Codec.SNAPPY, frame).toString(), 'hello, world');
  assert.is(decodeSnappy(Buffer.from(XERIAL_HEADER, 'hex')).length, 0, 'a header with no blocks is empty');
});

test('snappy: bare raw snappy (as non-Java clients send) decodes too', () => {
  const data = sample(5000);
  const raw = require('snappy').compressSync(data) as Buffer;
  assert.equal(decompress(Codec.SNAPPY, raw), data);
  assert.equal(decodeSnappy(Buffer.from([5, 4 << 2, 0x68, 0x65, 0x6c, 0x6c, 0x6f])).toString(), 'hello');
});

test('snappy: a xerial frame whose block overruns the data is an error', () => {
  const packed = encodeXerialSnappy(sample(1000));
  assert.throws(() => decodeSnappy(packed.subarray(0, packed.length - 1)), (e: unknown) => e instanceof CompressionError);
  assert.throws(() => decodeSnappy(packed.subarray(0, 18)), (e: unknown) => e instanceof CompressionError);
});

// --- lz4

// xxHash32, enough for the frame descriptor's header checksum (inputs under 16 bytes).
function xxh32Short(data: Buffer, seed = 0): number {
  const P1 = 2654435761, P2 = 2246822519, P3 = 3266489917, P4 = 668265263, P5 = 374761393;
  const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  let h = (seed + P5 + data.length) | 0;
  let i = 0;
  for (; i + 4 <= data.length; i += 4) h = Math.imul(rotl((h + Math.imul(data.readUInt32LE(i), P3)) | 0, 17), P4);
  for (; i < data.length; i++) h = Math.imul(rotl((h + Math.imul(data[i]!, P5)) | 0, 11), P1);
  h ^= h >>> 15; h = Math.imul(h, P2);
  h ^= h >>> 13; h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

const LZ4_MAGIC = '04224d18';

test('lz4: our frames have a v1 descriptor with independent blocks and the correct header checksum', () => {
  const packed = compress(Codec.LZ4, sample(1000));
  assert.is(packed.subarray(0, 4).toString('hex'), LZ4_MAGIC);
  const flg = packed[4]!, bd = packed[5]!;
  assert.is(flg >> 6, 1, 'version 01');
  assert.ok(flg & 0x20, 'block independence');
  assert.not.ok(flg & 0x08, 'no content size, which Kafka does not expect');
  const hc = (xxh32Short(packed.subarray(4, 6)) >>> 8) & 0xff;
  assert.is(packed[6], hc, 'checksum of the descriptor alone (not the broken v0/v1 one that includes the magic)');
  assert.is.not(packed[6], (xxh32Short(packed.subarray(0, 6)) >>> 8) & 0xff);
  assert.ok(bd >> 4 >= 4 && bd >> 4 <= 7, 'a block size Kafka accepts');
});

test('lz4: a frame built as Java writes it (64 KiB blocks, no checksums) decodes', () => {
  const part1 = Buffer.from('stored as an uncompressed block; ');
  const part2 = sample(2000);
  // lz4-napi's block compressor prefixes the uncompressed size (LE int32); a frame block does not.
  const block2 = (require('lz4-napi').compressSync(part2) as Buffer).subarray(4);
  const le = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
  const descriptor = Buffer.from([0x60, 0x40]);
  const frame = Buffer.concat([
    Buffer.from(LZ4_MAGIC, 'hex'), descriptor, Buffer.from([(xxh32Short(descriptor) >>> 8) & 0xff]),
    le(part1.length | 0x80000000), part1, // high bit: the block is stored uncompressed
    le(block2.length), block2,
    le(0), // end mark
  ]);
  assert.is(frame[6], 0x82, 'the well-known header checksum of FLG 0x60 BD 0x40');
  assert.equal(decompress(Codec.LZ4, frame), Buffer.concat([part1, part2]));
});

// --- zstd

test('zstd: frames without a content size (as streaming encoders such as Java\'s write) decode', async () => {
  const zstd = require('zstd-napi');
  const data = sample(200 * 1024);
  const stream = new zstd.CompressStream();
  const parts: Buffer[] = [];
  stream.on('data', (d: Buffer) => parts.push(d));
  const done = new Promise((resolve) => stream.on('end', resolve));
  stream.end(data);
  await done;
  const frame = Buffer.concat(parts);
  assert.is(frame.readUInt32LE(0), 0xfd2fb528, 'zstd magic');
  assert.is(frame[4]! & 0xe0, 0, 'no frame content size, not single-segment');
  assert.equal(decompress(Codec.ZSTD, frame), data);
});

// --- gzip

test('gzip: the output is a gzip member, and concatenated members decode whole', () => {
  const a = compress(Codec.GZIP, Buffer.from('first '));
  assert.is(a.subarray(0, 2).toString('hex'), '1f8b');
  const b = compress(Codec.GZIP, Buffer.from('second'));
  assert.is(decompress(Codec.GZIP, Buffer.concat([a, b])).toString(), 'first second');
});

test.run();
