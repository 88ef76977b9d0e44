// PartitionLog's append and read paths, segment rolling, indexes, retention and offsets lookups.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchHeader, computeBatchCrc, TimestampType } from '../../protocol/records/batch.js';
import { buildBatch } from '../../protocol/records/records.js';
import { PartitionLog, type PartitionLogOptions } from '../../src/log/partition-log.js';
import { READ, batch, batchOffsets, config, recordsIn, tempDir } from './support.js';

const NOW = 1_700_000_000_000;

async function withLog(cfg: Parameters<typeof config>[0], fn: (log: PartitionLog, dir: string) => Promise<void>, opts: PartitionLogOptions = {}): Promise<void> {
  const tmp = await tempDir();
  const dir = join(tmp.path, 'topic-0');
  const log = await PartitionLog.open(dir, config(cfg), { tailCacheBytes: 0, ...opts });
  try {
    await fn(log, dir);
  } finally {
    await log.close().catch(() => undefined);
    await tmp.remove();
  }
}

async function appendValues(log: PartitionLog, n: number, opts: { prefix?: string; timestamp?: (i: number) => number; perBatch?: number } = {}) {
  const per = opts.perBatch ?? 1;
  for (let i = 0; i < n; i++) {
    const values = Array.from({ length: per }, (_, j) => `${opts.prefix ?? 'v'}${i * per + j}`);
    const r = await log.appendAsLeader(batch(values, { timestamp: opts.timestamp?.(i) ?? NOW }), { leaderEpoch: 0, now: NOW });
    assert.ok(r.ok, JSON.stringify(r));
  }
}

test('append then read returns the same batches with assigned offsets', async () => {
  await withLog({}, async (log, dir) => {
    const r1 = await log.appendAsLeader(batch(['a', 'b', 'c']), { leaderEpoch: 3, now: NOW });
    const r2 = await log.appendAsLeader(batch(['d']), { leaderEpoch: 3, now: NOW });
    assert.equal(r1, { ok: true, baseOffset: 0, lastOffset: 2, logAppendTime: -1, logStartOffset: 0, duplicate: false });
    assert.equal(r2.ok && [r2.baseOffset, r2.lastOffset], [3, 3]);
    assert.is(log.logEndOffset, 4);
    assert.is(log.highWatermark, 4);
    assert.is(log.lastStableOffset, 4);

    const read = await log.read(0, 1 << 20, READ);
    assert.ok(read.ok);
    assert.equal(recordsIn(read.ok ? read.chunks : []).map((r) => [r.offset, r.value]), [[0, 'a'], [1, 'b'], [2, 'c'], [3, 'd']]);
    // The batch on disk is the appended Buffer with offsets and leader epoch stamped: its CRC still holds.
    const onDisk = await readFile(join(dir, '00000000000000000000.log'));
    const h = new BatchHeader(onDisk, 0);
    assert.is(h.partitionLeaderEpoch, 3);
    assert.is(h.crc, computeBatchCrc(onDisk, 0));
    assert.is(new BatchHeader(onDisk, h.size).baseOffset, 3);
  });
});

test('a read starts at the batch holding the offset and stays within maxBytes', async () => {
  await withLog({}, async (log) => {
    await appendValues(log, 10, { perBatch: 3 });
    const one = batch(['v10', 'v11', 'v12']).length;
    const r = await log.read(7, one * 2 + 10, { minOneBatch: false, upTo: 'hw' });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(batchOffsets(r.chunks), [6, 9]);
    assert.ok(r.bytes <= one * 2 + 10 && r.bytes === Buffer.concat(r.chunks).length);
    // Too small for one batch: nothing without minOneBatch, the whole first batch with it.
    const none = await log.read(7, 10, { minOneBatch: false, upTo: 'hw' });
    assert.equal(none.ok && none.chunks, []);
    const whole = await log.read(7, 10, { minOneBatch: true, upTo: 'lso' });
    assert.equal(whole.ok && batchOffsets(whole.chunks), [6]);
    // At the end: nothing, no error. Past it or before the start: OFFSET_OUT_OF_RANGE.
    const atEnd = await log.read(30, 1000, READ);
    assert.equal(atEnd.ok && atEnd.chunks, []);
    const past = await log.read(31, 1000, READ);
    assert.equal(!past.ok && [past.error, past.logStartOffset, past.logEndOffset], ['OFFSET_OUT_OF_RANGE', 0, 30]);
    const before = await log.read(-1, 1000, READ);
    assert.is(!before.ok && before.error, 'OFFSET_OUT_OF_RANGE');
  });
});

test('the sparse index finds every offset, in every segment', async () => {
  await withLog({ indexIntervalBytes: 200, segmentBytes: 4000 }, async (log, dir) => {
    await appendValues(log, 120, { perBatch: 2 });
    assert.ok(log.segmentCount >= 3, `${log.segmentCount} segments`);
    const names = await readdir(dir);
    assert.ok(names.includes('00000000000000000000.index') && names.includes('00000000000000000000.timeindex'));
    const index = await readFile(join(dir, '00000000000000000000.index'));
    assert.ok(index.length > 0 && index.length % 8 === 0);
    for (let offset = 0; offset < 240; offset += 7) {
      const r = await log.read(offset, 1, READ);
      assert.ok(r.ok);
      const got = recordsIn(r.ok ? r.chunks : []);
      assert.ok(got.some((x) => x.offset === offset && x.value === `v${offset}`), `offset ${offset}: ${JSON.stringify(got)}`);
      assert.ok(got[0]!.offset <= offset && got[0]!.offset >= offset - 1);
    }
  });
});

test('segments roll on segment.bytes, and reads continue into the next segment', async () => {
  await withLog({ segmentBytes: 1000 }, async (log, dir) => {
    const size = batch(['v0']).length;
    await appendValues(log, 40);
    const logs = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
    assert.ok(logs.length >= 3);
    const perSegment = Math.floor(1000 / size);
    assert.is(logs[1], String(perSegment).padStart(20, '0') + '.log');
    // A roll leaves the old segment's indexes and a producer-state snapshot at the new base.
    const names = await readdir(dir);
    assert.ok(names.includes(String(perSegment).padStart(20, '0') + '.snapshot'));
    const r = await log.read(perSegment - 1, 1 << 20, READ);
    assert.equal(r.ok && batchOffsets(r.chunks), [perSegment - 1]);
    const next = await log.read(perSegment, 1 << 20, READ);
    assert.equal(next.ok && batchOffsets(next.chunks)[0], perSegment);
  });
});

test('segments roll on segment.ms, measured between batch timestamps', async () => {
  await withLog({ segmentMs: 1000 }, async (log) => {
    await appendValues(log, 3, { timestamp: (i) => NOW + i * 400 });
    assert.is(log.segmentCount, 1);
    await appendValues(log, 1, { timestamp: () => NOW + 1001 });
    assert.is(log.segmentCount, 2);
  });
});

test('segments roll when an index is full', async () => {
  await withLog({ indexIntervalBytes: 1, segmentIndexBytes: 12 * 3 }, async (log) => {
    await appendValues(log, 10, { timestamp: (i) => NOW + i });
    assert.ok(log.segmentCount >= 2, `${log.segmentCount}`);
    const r = await log.read(9, 1 << 20, READ);
    assert.equal(r.ok && batchOffsets(r.chunks), [9]);
  });
});

test('LogAppendTime stamps the append time and keeps the CRC valid', async () => {
  await withLog({ messageTimestampType: 'LogAppendTime' }, async (log) => {
    const r = await log.appendAsLeader(batch(['x'], { timestamp: 5 }), { leaderEpoch: 0, now: NOW + 42 });
    assert.equal(r.ok && r.logAppendTime, NOW + 42);
    const read = await log.read(0, 1000, READ);
    const chunk = read.ok ? read.chunks[0]! : Buffer.alloc(0);
    const h = new BatchHeader(chunk, 0);
    assert.is(h.timestampType, TimestampType.LOG_APPEND_TIME);
    assert.is(h.maxTimestamp, NOW + 42);
    assert.is(h.crc, computeBatchCrc(chunk, 0));
    assert.equal(recordsIn(read.ok ? read.chunks : []).map((x) => x.timestamp), [NOW + 42]);
  });
});

test('produce validation answers with Kafka error names', async () => {
  await withLog({ maxMessageBytes: 200 }, async (log) => {
    const corrupt = batch(['a']);
    corrupt[corrupt.length - 1]! ^= 0xff;
    const cases: [Buffer, string][] = [
      [corrupt, 'CORRUPT_MESSAGE'],
      [batch(['x'.repeat(300)]), 'MESSAGE_TOO_LARGE'],
      [Buffer.concat([batch(['a']), batch(['b'])]), 'INVALID_RECORD'],
      [batch(['a'], { transactional: true }), 'INVALID_RECORD'],
      [corrupt.subarray(0, 30), 'CORRUPT_MESSAGE'],
    ];
    for (const [records, error] of cases) {
      const r = await log.appendAsLeader(records, { leaderEpoch: 0, now: NOW });
      assert.is(!r.ok && r.error, error);
    }
    assert.is(log.logEndOffset, 0);
  });
  await withLog({ segmentBytes: 100 }, async (log) => {
    const r = await log.appendAsLeader(batch(['x'.repeat(100)]), { leaderEpoch: 0, now: NOW });
    assert.is(!r.ok && r.error, 'RECORD_LIST_TOO_LARGE');
  });
});

test('recent batches are served from memory, identical to the disk', async () => {
  const tmp = await tempDir();
  const dir = join(tmp.path, 't-0');
  let log = await PartitionLog.open(dir, config({ indexIntervalBytes: 100 }), { tailCacheBytes: 2000 });
  try {
    await appendValues(log, 50, { perBatch: 2 });
    const fromMemory = await log.read(95, 1 << 20, READ);
    assert.ok(fromMemory.ok && fromMemory.chunks.length > 1, 'served batch by batch from the tail cache');
    const older = await log.read(10, 1 << 20, READ);
    assert.ok(older.ok && older.chunks.length === 1, 'served as one disk read');
    await log.close();
    log = await PartitionLog.open(dir, config({ indexIntervalBytes: 100 }), { tailCacheBytes: 0 });
    const fromDisk = await log.read(95, 1 << 20, READ);
    assert.ok(fromDisk.ok && fromMemory.ok);
    if (fromDisk.ok && fromMemory.ok) assert.ok(Buffer.concat(fromDisk.chunks).equals(Buffer.concat(fromMemory.chunks)));
    assert.equal(recordsIn(fromDisk.ok ? fromDisk.chunks : []).at(-1), { offset: 99, value: 'v99', timestamp: NOW });
  } finally {
    await log.close();
    await tmp.remove();
  }
});

test('onAppend tells listeners the new log end offset', async () => {
  await withLog({}, async (log) => {
    const seen: number[] = [];
    const off = log.onAppend((end) => seen.push(end));
    await appendValues(log, 2);
    off();
    await appendValues(log, 1);
    assert.equal(seen, [1, 2]);
  });
});

test('concurrent appends get distinct, ordered offsets', async () => {
  await withLog({}, async (log) => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.appendAsLeader(batch([`c${i}`, `d${i}`]), { leaderEpoch: 0, now: NOW })));
    assert.equal(results.map((r) => r.ok && r.baseOffset), Array.from({ length: 50 }, (_, i) => i * 2));
    const r = await log.read(0, 1 << 20, READ);
    assert.equal(recordsIn(r.ok ? r.chunks : []).map((x) => x.value).slice(0, 4), ['c0', 'd0', 'c1', 'd1']);
  });
});

test('flush.messages=1 fsyncs before each append resolves; flush() is always available', async () => {
  await withLog({ flushMessages: 1 }, async (log) => {
    await appendValues(log, 3);
    await log.flush();
    await log.flushIfNeeded(NOW);
    assert.is(log.logEndOffset, 3);
  });
});

test('offsetForTimestamp finds the first record at or after a timestamp, via the time index', async () => {
  await withLog({ indexIntervalBytes: 100, segmentBytes: 2000 }, async (log) => {
    // Batch i holds records stamped NOW + 10i and NOW + 10i + 5.
    for (let i = 0; i < 60; i++) {
      const b = buildBatch({ records: [{ value: Buffer.from(`a${i}`), timestamp: NOW + 10 * i }, { value: Buffer.from(`b${i}`), timestamp: NOW + 10 * i + 5 }] });
      await log.appendAsLeader(b, { leaderEpoch: 2, now: NOW });
    }
    assert.ok(log.segmentCount > 1);
    assert.equal(await log.offsetForTimestamp(NOW), { offset: 0, timestamp: NOW, leaderEpoch: 2 });
    assert.equal(await log.offsetForTimestamp(NOW + 103), { offset: 21, timestamp: NOW + 105, leaderEpoch: 2 });
    assert.equal(await log.offsetForTimestamp(NOW + 500), { offset: 100, timestamp: NOW + 500, leaderEpoch: 2 });
    assert.is(await log.offsetForTimestamp(NOW + 10_000), null);
    assert.equal(await log.maxTimestampOffset(), { offset: 119, timestamp: NOW + 595, leaderEpoch: 2 });
  });
});

test('maxTimestampOffset finds the record with the largest timestamp, not the last one', async () => {
  await withLog({}, async (log) => {
    await log.appendAsLeader(batch(['a']), { leaderEpoch: 0, now: NOW });
    await log.appendAsLeader(buildBatch({ records: [{ value: Buffer.from('x'), timestamp: NOW + 5 }, { value: Buffer.from('y'), timestamp: NOW + 9 }, { value: Buffer.from('z'), timestamp: NOW + 1 }] }), { leaderEpoch: 0, now: NOW });
    await log.appendAsLeader(batch(['b'], { timestamp: NOW + 2 }), { leaderEpoch: 0, now: NOW });
    assert.equal(await log.maxTimestampOffset(), { offset: 2, timestamp: NOW + 9, leaderEpoch: 0 });
  });
});

test('appendAsFollower keeps offsets and epochs, skips what the log has, refuses overlaps, keeps gaps', async () => {
  await withLog({}, async (log) => {
    const source = Buffer.concat([
      batch(['a', 'b'], { baseOffset: 100, partitionLeaderEpoch: 4 }),
      batch(['c'], { baseOffset: 102, partitionLeaderEpoch: 4 }),
      batch(['d', 'e'], { baseOffset: 110, partitionLeaderEpoch: 6 }),
    ]);
    // An empty log starts where the source's data starts only once truncated there.
    await log.truncateFullyAndStartAt(100);
    const r = await log.appendAsFollower(source);
    assert.equal(r, { ok: true, firstOffset: 100, lastOffset: 111, batches: 3, logEndOffset: 112 });
    assert.is(log.logEndOffset, 112);
    assert.is(log.logStartOffset, 100);
    // A re-fetch of what is already there changes nothing; with a trailing partial batch too.
    const again = await log.appendAsFollower(Buffer.concat([source, batch(['f'], { baseOffset: 112 }).subarray(0, 20)]));
    assert.equal(again, { ok: true, firstOffset: -1, lastOffset: -1, batches: 0, logEndOffset: 112 });
    const overlap = await log.appendAsFollower(batch(['x', 'y'], { baseOffset: 111 }));
    assert.is(!overlap.ok && overlap.error, 'INVALID_RECORD');
    const read = await log.read(100, 1 << 20, READ);
    assert.equal(recordsIn(read.ok ? read.chunks : []).map((x) => [x.offset, x.value]), [[100, 'a'], [101, 'b'], [102, 'c'], [110, 'd'], [111, 'e']]);
    // Reading inside the gap starts at the next batch.
    const gap = await log.read(105, 1 << 20, READ);
    assert.equal(gap.ok && batchOffsets(gap.chunks), [110]);
    assert.equal(log.endOffsetForLeaderEpoch(4), { epoch: 4, endOffset: 110 });
    assert.equal(log.endOffsetForLeaderEpoch(6), { epoch: 6, endOffset: 112 });
    assert.equal(log.endOffsetForLeaderEpoch(5), { epoch: 4, endOffset: 110 });
    assert.equal(log.endOffsetForLeaderEpoch(3), { epoch: 3, endOffset: 100 });
    assert.equal(log.endOffsetForLeaderEpoch(7), { epoch: -1, endOffset: -1 });
    assert.equal(log.endOffsetForLeaderEpoch(-1), { epoch: -1, endOffset: -1 });
    assert.is(log.leaderEpoch, 6);
    assert.is(log.epochForOffset(105), 4);
    const corrupt = batch(['q'], { baseOffset: 112 });
    corrupt[corrupt.length - 1]! ^= 1;
    assert.is((await log.appendAsFollower(corrupt)).ok, false);
  });
});

test('truncateTo removes batches from the one holding the offset on, across segments', async () => {
  await withLog({ segmentBytes: 600 }, async (log, dir) => {
    for (let i = 0; i < 30; i++) await log.appendAsFollower(batch([`a${i}`, `b${i}`], { baseOffset: 2 * i, partitionLeaderEpoch: i < 20 ? 1 : 2 }));
    assert.ok(log.segmentCount > 2);
    await log.truncateTo(21); // inside the batch [20, 21]
    assert.is(log.logEndOffset, 21);
    const r = await log.read(0, 1 << 20, READ);
    const last = await log.read(18, 1 << 20, READ);
    assert.ok(r.ok);
    assert.equal(recordsIn(last.ok ? last.chunks : []).map((x) => x.offset), [18, 19]);
    assert.equal(log.endOffsetForLeaderEpoch(1), { epoch: 1, endOffset: 21 });
    assert.equal(log.endOffsetForLeaderEpoch(2), { epoch: -1, endOffset: -1 });
    // Appends continue from the truncation point; truncated segments' files are gone.
    const logs = (await readdir(dir)).filter((n) => n.endsWith('.log')).map((n) => Number(n.slice(0, 20)));
    assert.ok(logs.every((b) => b <= 21));
    const next = await log.appendAsLeader(batch(['n']), { leaderEpoch: 3, now: NOW });
    assert.equal(next.ok && next.baseOffset, 21);
    await log.truncateTo(100); // past the end: nothing to do
    assert.is(log.logEndOffset, 22);
  });
});

test('retention.ms deletes whole old segments by their largest timestamp, never the active one', async () => {
  await withLog({ segmentBytes: 500, retentionMs: 1000 }, async (log) => {
    await appendValues(log, 40, { timestamp: (i) => NOW + i * 100 });
    const before = log.segmentCount;
    assert.ok(before > 3, `${before}`);
    const r = await log.applyRetention(NOW + 1000 + 1000);
    assert.ok(r.deletedSegments > 0 && log.segmentCount < before);
    assert.ok(log.logStartOffset > 0);
    assert.is(r.logStartOffset, log.logStartOffset);
    const gone = await log.read(0, 100, READ);
    assert.is(!gone.ok && gone.error, 'OFFSET_OUT_OF_RANGE');
    const first = await log.read(log.logStartOffset, 1 << 20, READ);
    assert.equal(first.ok && batchOffsets(first.chunks)[0], log.logStartOffset);
    // Everything expired: the active segment is rolled so that it can go too.
    await log.applyRetention(NOW + 1_000_000);
    assert.is(log.segmentCount, 1);
    assert.is(log.logStartOffset, 40);
    assert.is(log.logEndOffset, 40);
    const next = await log.appendAsLeader(batch(['n']), { leaderEpoch: 0, now: NOW });
    assert.equal(next.ok && next.baseOffset, 40);
  });
});

test('with a remote reader, local.retention.bytes deletes old segments here and moves only the local log start; reads below it go to the reader', async () => {
  const dir = (await tempDir());
  const cfg = config({ segmentBytes: 500, localRetentionBytes: 1000 });
  let log = await PartitionLog.open(join(dir.path, 'topic-0'), cfg, { tailCacheBytes: 0 });
  const asked: [number, number][] = [];
  const remote = async (offset: number, _max: number, o: { upTo: number }) => {
    asked.push([offset, o.upTo]);
    return { ok: true as const, chunks: [Buffer.from('remote')], bytes: 6, abortedTransactions: [] };
  };
  try {
    await appendValues(log, 30);
    await log.applyRetention(NOW);
    assert.is(log.localLogStartOffset, 0, 'without a reader, local retention deletes nothing');
    await log.setRemote(remote);
    await log.applyRetention(NOW);
    const local = log.localLogStartOffset;
    assert.ok(local > 0 && log.size < 1000 + 500, `local start ${local}, size ${log.size}`);
    assert.is(log.logStartOffset, 0, 'the log start stays where the records begin');
    const below = await log.read(2, 1 << 20, READ);
    assert.ok(below.ok && below.chunks[0]!.toString() === 'remote' && below.logStartOffset === 0);
    assert.equal(asked, [[2, local]]);
    const here = await log.read(local, 1 << 20, READ);
    assert.equal(here.ok && batchOffsets(here.chunks)[0], local);
    // Reopened, the split is found again from the segments and the checkpointed log start.
    await log.close();
    log = await PartitionLog.open(join(dir.path, 'topic-0'), cfg, { tailCacheBytes: 0, logStartOffset: 0 });
    assert.equal([log.logStartOffset, log.localLogStartOffset], [0, local]);
    // Detached (the mirror promoted), the log keeps only what it holds.
    await log.setRemote(null);
    assert.equal([log.logStartOffset, log.localLogStartOffset], [local, local]);
    const gone = await log.read(2, 100, READ);
    assert.is(!gone.ok && gone.error, 'OFFSET_OUT_OF_RANGE');
  } finally {
    await log.close().catch(() => undefined);
    await dir.remove();
  }
});

test('retention.bytes deletes the oldest segments while the rest still exceeds it', async () => {
  await withLog({ segmentBytes: 500, retentionBytes: 1000 }, async (log) => {
    await appendValues(log, 30);
    const before = log.size;
    await log.applyRetention(NOW);
    assert.ok(log.size < before && log.size >= 1000 - 500, `${before} -> ${log.size}`);
    assert.ok(log.size - 500 < 1000);
    assert.ok(log.logStartOffset > 0);
  });
});

test('deleteRecordsBefore advances the log start and deletes segments wholly below it', async () => {
  const seen: number[] = [];
  await withLog({ segmentBytes: 500 }, async (log) => {
    await appendValues(log, 30);
    const segments = log.segmentCount;
    const r = await log.deleteRecordsBefore(17);
    assert.equal(r, { ok: true, logStartOffset: 17 });
    assert.ok(log.segmentCount < segments);
    const below = await log.read(16, 100, READ);
    assert.is(!below.ok && below.error, 'OFFSET_OUT_OF_RANGE');
    const at = await log.read(17, 1 << 20, READ);
    assert.equal(at.ok && batchOffsets(at.chunks)[0], 17);
    assert.equal(await log.deleteRecordsBefore(5), { ok: true, logStartOffset: 17 });
    assert.is((await log.deleteRecordsBefore(31)).ok, false);
    assert.equal(seen, [17], 'the new log start is handed over for persisting');
  }, { onLogStartOffsetChange: async (offset: number) => void seen.push(offset) });
});

test('a closed log refuses work', async () => {
  const tmp = await tempDir();
  const log = await PartitionLog.open(join(tmp.path, 't-0'), config());
  await log.close();
  const r = await log.appendAsLeader(batch(['a']), { leaderEpoch: 0, now: NOW });
  assert.is(!r.ok && r.error, 'NOT_LEADER_OR_FOLLOWER');
  const read = await log.read(0, 10, READ);
  assert.is(!read.ok && read.error, 'NOT_LEADER_OR_FOLLOWER');
  await tmp.remove();
});

test.run();
