// The small parts of the log: the leader-epoch cache, sparse indexes, the file-handle bound, file
// names, the tail caches and their shared budget.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileHandleCache } from '../../src/log/file-handles.js';
import { offsetFileName, parseOffsetFileName, parsePartitionDirName } from '../../src/log/file-names.js';
import { LeaderEpochCache } from '../../src/log/leader-epoch-cache.js';
import { OffsetIndex } from '../../src/log/offset-index.js';
import { TailBudget, TailCache } from '../../src/log/tail-cache.js';
import { TimeIndex } from '../../src/log/time-index.js';
import { tempDir } from './support.js';

test('leader epochs: Kafka\'s assign and OffsetForLeaderEpoch semantics', async () => {
  const tmp = await tempDir();
  const cache = LeaderEpochCache.empty(join(tmp.path, 'leader-epoch-checkpoint'));
  assert.equal(cache.endOffsetFor(0, 10), { epoch: -1, endOffset: -1 });
  assert.ok(cache.assign(1, 5));
  assert.not.ok(cache.assign(1, 8), 'a later start of the latest epoch changes nothing');
  assert.ok(cache.assign(3, 20));
  assert.ok(cache.assign(4, 30));
  assert.equal(cache.endOffsetFor(4, 42), { epoch: 4, endOffset: 42 });
  assert.equal(cache.endOffsetFor(3, 42), { epoch: 3, endOffset: 30 });
  assert.equal(cache.endOffsetFor(2, 42), { epoch: 1, endOffset: 20 });
  assert.equal(cache.endOffsetFor(0, 42), { epoch: 0, endOffset: 5 });
  assert.equal(cache.endOffsetFor(9, 42), { epoch: -1, endOffset: -1 });
  assert.is(cache.epochForOffset(4), -1);
  assert.is(cache.epochForOffset(20), 3);
  assert.is(cache.epochForOffset(29), 3);
  // An epoch that goes back removes the entries it contradicts.
  assert.ok(cache.assign(2, 25));
  assert.equal(cache.entries, [{ epoch: 1, startOffset: 5 }, { epoch: 2, startOffset: 25 }]);
  assert.ok(cache.assign(5, 40));
  assert.ok(cache.truncateFromEnd(40));
  assert.equal(cache.entries.map((e) => e.epoch), [1, 2]);
  assert.ok(cache.truncateFromStart(26));
  assert.equal(cache.entries, [{ epoch: 2, startOffset: 26 }]);
  assert.not.ok(cache.truncateFromStart(26));
  await cache.persist();
  const loaded = await LeaderEpochCache.load(cache.path);
  assert.equal(loaded.entries, cache.entries);
  await writeFile(cache.path, '0\n2\n1 5\n');
  await LeaderEpochCache.load(cache.path).then(() => assert.unreachable('a count that does not match'), () => undefined);
  await tmp.remove();
});

test('offset index: entries name the last offset of the batch at a position', () => {
  const idx = new OffsetIndex(100);
  assert.equal(idx.lookup(150), { offset: 100, position: 0 });
  for (let i = 1; i <= 200; i++) idx.append(100 + i * 10, i * 1000);
  assert.equal(idx.lookup(100), { offset: 100, position: 0 });
  assert.equal(idx.lookup(115), { offset: 110, position: 1000 });
  assert.equal(idx.lookup(120), { offset: 120, position: 2000 });
  assert.equal(idx.lookup(1_000_000), { offset: 2100, position: 200_000 });
  assert.is(OffsetIndex.check(idx.toBuffer(), 100, 200_001), null);
  assert.ok(OffsetIndex.check(idx.toBuffer(), 100, 200_000));
  assert.ok(OffsetIndex.check(idx.toBuffer().subarray(0, 13), 100, 1e9));
  idx.truncateTo(120);
  assert.is(idx.entries, 1);
  assert.is(idx.toBuffer().readInt32BE(0), 10, 'relative offsets on disk');
});

test('time index: timestamps only ever increase, lookups find the last entry at or below', () => {
  const idx = new TimeIndex(0);
  assert.equal(idx.lookup(5), { timestamp: -1, offset: 0 });
  idx.maybeAppend(1000, 3);
  idx.maybeAppend(1000, 5);
  idx.maybeAppend(900, 6);
  idx.maybeAppend(2000, 9);
  assert.is(idx.entries, 2);
  assert.equal(idx.lookup(1500), { timestamp: 1000, offset: 3 });
  assert.equal(idx.lookup(999), { timestamp: -1, offset: 0 });
  assert.equal(idx.last(), { timestamp: 2000, offset: 9 });
  assert.is(TimeIndex.check(idx.toBuffer(), 0), null);
  const swapped = Buffer.concat([idx.toBuffer().subarray(12), idx.toBuffer().subarray(0, 12)]);
  assert.ok(TimeIndex.check(swapped, 0));
});

test('file handles: bounded, reused, and never closed under a reader', async () => {
  const tmp = await tempDir();
  const paths = await Promise.all(Array.from({ length: 6 }, async (_, i) => {
    const p = join(tmp.path, `f${i}`);
    await writeFile(p, `content ${i}`);
    return p;
  }));
  const files = new FileHandleCache(2);
  const read = (p: string) => files.use(p, async (fh) => {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  });
  // An evicted handle counts until its close has finished, which runs on after the read that evicted it.
  const settled = async (bound: number) => {
    for (let i = 0; i < 100 && files.openCount > bound; i++) await new Promise((r) => setTimeout(r, 10));
    return files.openCount <= bound;
  };
  for (const p of paths) await read(p);
  assert.ok(await settled(2));
  // A handle evicted while in use stays usable until its user is done.
  let release!: () => void;
  const held = files.use(paths[0]!, async (fh) => {
    await new Promise<void>((r) => (release = r));
    const buf = Buffer.alloc(9);
    await fh.read(buf, 0, 9, 0);
    return buf.toString();
  });
  await new Promise((r) => setTimeout(r, 5));
  for (const p of paths.slice(1)) await read(p);
  assert.ok(await settled(3), 'the held handle stays open beside the two the bound allows');
  release();
  assert.is(await held, 'content 0');
  assert.ok(await settled(2));
  await files.use(join(tmp.path, 'missing'), async () => undefined).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ENOENT'));
  await files.close();
  assert.is(files.openCount, 0);
  await tmp.remove();
});

test('file names: 20-digit offsets, and topics containing dashes', () => {
  assert.is(offsetFileName(1234, '.log'), '00000000000000001234.log');
  assert.is(parseOffsetFileName('00000000000000001234.log', '.log'), 1234);
  assert.is(parseOffsetFileName('00000000000000001234.index', '.log'), null);
  assert.is(parseOffsetFileName('0000000000000000123x.log', '.log'), null);
  assert.equal(parsePartitionDirName('my-topic-12'), { topic: 'my-topic', partition: 12 });
  assert.is(parsePartitionDirName('my-topic-12.abc-delete'), null);
  assert.is(parsePartitionDirName('lost+found'), null);
});

test('tail caches share one budget: the oldest appends anywhere leave first; a truncated or cleared cache gives its bytes back', () => {
  const budget = new TailBudget(3000);
  const a = new TailCache(10_000, budget);
  const b = new TailCache(10_000, budget);
  const batch = (offset: number, fill: number) => ({ baseOffset: offset, lastOffset: offset, buf: Buffer.alloc(1000, fill) });
  a.push(batch(0, 1));
  b.push(batch(0, 2));
  a.push(batch(1, 3));
  assert.is(budget.used, 3000);
  b.push(batch(1, 4));
  // a's offset 0 was the oldest append of all.
  assert.is(a.firstOffset, 1);
  assert.is(b.firstOffset, 0);
  assert.is(budget.used, 3000);
  assert.equal(a.read(1, 10_000, true, 100), [Buffer.alloc(1000, 3)]);
  assert.is(a.read(0, 10_000, true, 100), null, 'older than the cached tail');
  b.truncateTo(1);
  assert.is(budget.used, 2000);
  a.clear();
  assert.is(budget.used, 1000);
  // Room again: nothing of b's needs to go.
  a.push(batch(2, 5));
  a.push(batch(3, 6));
  assert.is(b.firstOffset, 0);
  a.push(batch(4, 7));
  assert.is(b.firstOffset, null, 'b\'s last batch was the oldest');
  assert.is(budget.used, 3000);
});

test('a batch that is a small part of a larger buffer is copied, so the cache does not hold the rest', () => {
  const cache = new TailCache(10_000);
  const frame = Buffer.alloc(100_000, 9);
  cache.push({ baseOffset: 0, lastOffset: 0, buf: frame.subarray(10, 1010) });
  const [kept] = cache.read(0, 10_000, true, 100)!;
  assert.is(kept!.buffer.byteLength < 100_000, true);
  assert.equal(kept, frame.subarray(10, 1010));
});

test.run();
