import { createServer, connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameReader } from '../../src/client/frame-reader.js';
import { FrameTooLarge } from '../../protocol/frames.js';

function framed(payloads: Buffer[]): Buffer {
  return Buffer.concat(payloads.flatMap((p) => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(p.length);
    return [size, p];
  }));
}

/** Feeds `stream` to the reader as a socket would: each read fills at most what target() offers, and at most `chunk` bytes. */
function feed(reader: FrameReader, stream: Buffer, chunk: (i: number) => number): void {
  let pos = 0;
  for (let i = 0; pos < stream.length; i++) {
    const into = reader.target();
    const n = Math.min(into.length, chunk(i), stream.length - pos);
    stream.copy(into, 0, pos, pos + n);
    pos += n;
    reader.read(n, into);
  }
}

const payloads = [0, 1, 3, 4, 100, 4095, 4096, 4097, 65_535, 65_536, 65_537, 300_000, 1 << 20, 7].map((n) => randomBytes(n));

for (const [name, chunk] of [
  ['one byte at a time', () => 1],
  ['odd sizes', (i: number) => 1 + ((i * 7919) % 70_000)],
  ['as much as offered', () => Number.MAX_SAFE_INTEGER],
] as const) {
  test(`frames come out whole and in order, read ${name}`, () => {
    const out: Buffer[] = [];
    const reader = new FrameReader(8 << 20, (f) => out.push(f));
    // One byte at a time through a megabyte is slow: leave the big frame out of that one.
    const these = name === 'one byte at a time' ? payloads.filter((p) => p.length < 100_000) : payloads;
    feed(reader, framed(these), chunk);
    assert.equal(out.length, these.length);
    out.forEach((f, i) => assert.ok(f.equals(these[i]!), `frame ${i} (${these[i]!.length} bytes)`));
  });
}

test('a large frame is read into its own buffer, not copied from scratch', () => {
  const out: Buffer[] = [];
  const reader = new FrameReader(8 << 20, (f) => out.push(f));
  const big = randomBytes(1 << 20);
  const stream = framed([big]);
  const targets = new Set<ArrayBufferLike>();
  let pos = 0;
  while (pos < stream.length) {
    const into = reader.target();
    targets.add(into.buffer);
    const n = Math.min(into.length, 64 * 1024, stream.length - pos);
    stream.copy(into, 0, pos, pos + n);
    pos += n;
    reader.read(n, into);
  }
  assert.ok(out[0]!.equals(big));
  // The scratch buffer for the size and the first read, then only the frame's own memory.
  assert.equal(targets.size, 2);
  assert.ok(targets.has(out[0]!.buffer));
});

test('a size over the limit, or negative, throws FrameTooLarge', () => {
  for (const size of [1025, -1]) {
    const reader = new FrameReader(1024, () => assert.unreachable('no frame'));
    const head = Buffer.alloc(8);
    head.writeInt32BE(size);
    assert.throws(() => feed(reader, head, () => 8), (e: unknown) => e instanceof FrameTooLarge);
  }
});

test('over a real socket, through net onread', async () => {
  const stream = framed(payloads);
  const server = createServer((s: Socket) => s.end(stream));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const out: Buffer[] = [];
  const reader = new FrameReader(8 << 20, (f) => out.push(f));
  await new Promise<void>((resolve, reject) => {
    const sock = connect({
      host: '127.0.0.1', port: (server.address() as { port: number }).port,
      onread: { buffer: () => reader.target(), callback: (n, buf) => (reader.read(n, buf as Buffer), true) },
    });
    sock.on('error', reject);
    sock.on('close', () => resolve());
  });
  server.close();
  assert.equal(out.length, payloads.length);
  out.forEach((f, i) => assert.ok(f.equals(payloads[i]!), `frame ${i}`));
});

test.run();
