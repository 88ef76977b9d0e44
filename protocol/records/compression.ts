// The compression codecs of a record batch, by the id that bits 0-2 of its attributes carry. What
// is compressed is the whole records section after the 61-byte header, as one stream per batch.
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzip, gzipSync } from 'node:zlib';

export const Codec = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;
export type CodecId = (typeof Codec)[keyof typeof Codec];

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

export function isCodecId(id: number): id is CodecId {
  return Number.isInteger(id) && id >= 0 && id < NAMES.length;
}

/** The codec's name as Kafka's compression.type spells it. */
export function codecName(id: number): string {
  return NAMES[id] ?? `unknown codec ${id}`;
}

export class CompressionError extends Error {
  override name = 'CompressionError';
}

// The native codecs load on first use: a broker that only moves batches as bytes never needs one,
// and a codec whose addon is missing fails only the batches that use it.
const require = createRequire(import.meta.url);
function lazy<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= require(id) as T);
}
const snappy = lazy<typeof import('snappy')>('snappy');
const lz4 = lazy<typeof import('lz4-napi')>('lz4-napi');
const zstd = lazy<typeof import('zstd-napi')>('zstd-napi');

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

// Java clients write snappy in snappy-java's stream framing ("xerial"): an 8-byte magic, two
// big-endian int32 versions (1 and 1), then blocks of a big-endian int32 length and a raw snappy
// chunk of at most 32 KiB of input. Kafka reads either that framing or one bare raw snappy chunk.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_VERSION = 1;
const XERIAL_BLOCK_SIZE = 32 * 1024;

function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

function xerialFrame(chunks: Buffer[]): Buffer {
  let size = XERIAL_HEADER_SIZE;
  for (const c of chunks) size += 4 + c.length;
  const out = Buffer.allocUnsafe(size);
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(XERIAL_VERSION, 8);
  out.writeInt32BE(XERIAL_VERSION, 12);
  let pos = XERIAL_HEADER_SIZE;
  for (const c of chunks) {
    pos = out.writeInt32BE(c.length, pos);
    pos += c.copy(out, pos);
  }
  return out;
}

function xerialInputBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  for (let off = 0; off < data.length; off += XERIAL_BLOCK_SIZE) blocks.push(data.subarray(off, off + XERIAL_BLOCK_SIZE));
  return blocks;
}

function xerialChunks(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new CompressionError(`xerial snappy: truncated block length at byte ${pos}`);
    const n = data.readInt32BE(pos);
    pos += 4;
    if (n < 0 || pos + n > data.length) throw new CompressionError(`xerial snappy: block of ${n} bytes overruns the data at byte ${pos}`);
    chunks.push(data.subarray(pos, pos + n));
    pos += n;
  }
  return chunks;
}

/** Snappy as Java clients write it: xerial framing of 32 KiB blocks. */
export function encodeXerialSnappy(data: Buffer): Buffer {
  return xerialFrame(xerialInputBlocks(data).map((b) => snappy().compressSync(b)));
}

/** Decodes xerial-framed snappy, or one raw snappy chunk (what non-Java clients send). */
export function decodeSnappy(data: Buffer): Buffer {
  const raw = (b: Buffer) => snappy().uncompressSync(b, { asBuffer: true }) as Buffer;
  if (!isXerial(data)) return raw(data);
  const parts = xerialChunks(data).map(raw);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

interface Impl {
  compress(data: Buffer): Buffer;
  decompress(data: Buffer): Buffer;
  compressAsync(data: Buffer): Promise<Buffer>;
  decompressAsync(data: Buffer): Promise<Buffer>;
}

const identity: Impl = {
  compress: (d) => d,
  decompress: (d) => d,
  compressAsync: async (d) => d,
  decompressAsync: async (d) => d,
};

const IMPLS: readonly Impl[] = [
  identity,
  {
    compress: (d) => gzipSync(d),
    decompress: (d) => gunzipSync(d),
    compressAsync: (d) => gzipAsync(d),
    decompressAsync: (d) => gunzipAsync(d),
  },
  {
    compress: encodeXerialSnappy,
    decompress: decodeSnappy,
    compressAsync: async (d) => xerialFrame(await Promise.all(xerialInputBlocks(d).map((b) => snappy().compress(b)))),
    decompressAsync: async (d) => {
      const raw = async (b: Buffer) => (await snappy().uncompress(b, { asBuffer: true })) as Buffer;
      if (!isXerial(d)) return raw(d);
      return Buffer.concat(await Promise.all(xerialChunks(d).map(raw)));
    },
  },
  // Kafka's v2 batches hold a standard LZ4 frame (with the header checksum computed correctly, unlike
  // the v0/v1 messages of old), independent blocks and no content size, which is what lz4-napi writes.
  {
    compress: (d) => lz4().compressFrameSync(d),
    decompress: (d) => lz4().decompressFrameSync(d),
    compressAsync: (d) => lz4().compressFrame(d),
    decompressAsync: (d) => lz4().decompressFrame(d),
  },
  // zstd-napi has no asynchronous one-shot API; the async forms run it inline. Its decompress
  // handles the frames without a content size that Java's streaming encoder writes.
  {
    compress: (d) => zstd().compress(d),
    decompress: (d) => zstd().decompress(d),
    compressAsync: async (d) => zstd().compress(d),
    decompressAsync: async (d) => zstd().decompress(d),
  },
];

function impl(codec: number): Impl {
  const i = isCodecId(codec) ? IMPLS[codec] : undefined;
  if (!i) throw new CompressionError(`unknown compression codec ${codec}`);
  return i;
}

function failed(codec: number, verb: string, e: unknown): CompressionError {
  if (e instanceof CompressionError) return e;
  return new CompressionError(`${codecName(codec)} ${verb} failed: ${(e as Error)?.message ?? e}`, { cause: e });
}

/** Compresses a records section with the codec of the given attribute id (0 returns it as is). */
export function compress(codec: number, data: Buffer): Buffer {
  const i = impl(codec);
  try {
    return i.compress(data);
  } catch (e) {
    throw failed(codec, 'compression', e);
  }
}

/** Decompresses a records section written with the codec of the given attribute id. */
export function decompress(codec: number, data: Buffer): Buffer {
  const i = impl(codec);
  try {
    return i.decompress(data);
  } catch (e) {
    throw failed(codec, 'decompression', e);
  }
}

/** As compress(), off the event loop where the codec's library allows it. */
export async function compressAsync(codec: number, data: Buffer): Promise<Buffer> {
  const i = impl(codec);
  try {
    return await i.compressAsync(data);
  } catch (e) {
    throw failed(codec, 'compression', e);
  }
}

/** As decompress(), off the event loop where the codec's library allows it. */
export async function decompressAsync(codec: number, data: Buffer): Promise<Buffer> {
  const i = impl(codec);
  try {
    return await i.decompressAsync(data);
  } catch (e) {
    throw failed(codec, 'decompression', e);
  }
}
