// Log compaction on outpost's own log: each key's latest record kept at its own offset, tombstones
// kept for delete.retention.ms then removed, the active segment and unstable records left alone,
// reads during a clean, a crash at each step of a swap (a cleaned copy half written, indexes
// gone) recovered at start, and transactions by Kafka's rules.
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildBatch, readRecords } from '../../protocol/records/records.js';
import { BatchHeader, iterateBatches } from '../../protocol/records/batch.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { config, tempDir } from './support.js';

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;

const compacted = (extra: Parameters<typeof config>[0] = {}) =>
  config({ cleanupPolicy: 'compact', segmentBytes: 600, minCleanableDirtyRatio: 0.01, minCompactionLagMs: 0, deleteRetentionMs: DAY, ...extra });

/** Appends one batch per [key, value] pair (null value: a tombstone). */
async function put(log: PartitionLog, pairs: [string, string | null][], now = NOW): Promise<void> {
  for (const [k, v] of pairs) {
    const r = await log.appendAsLeader(buildBatch({ records: [{ key: Buffer.from(k), value: v === null ? null : Buffer.from(v), timestamp: now }], now }), { leaderEpoch: 0, now });
    assert.ok(r.ok, JSON.stringify(r));
  }
}

/** Every record from the log start: offset, key, value. */
async function everything(log: PartitionLog): Promise<[number, string, string | null][]> {
  const out: [number, string, string | null][] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, 1 << 20, { minOneBatch: true, upTo: 'hw' });
    assert.ok(r.ok, JSON.stringify(r));
    if (!r.ok || r.bytes === 0) break;
    for (const chunk of r.chunks) {
      for (const b of iterateBatches(chunk)) {
        for (const rec of readRecords(chunk, b.pos)) {
          if (rec.offset >= offset) out.push([rec.offset, rec.key!.toString(), rec.value === null ? null : rec.value.toString()]);
          offset = Math.max(offset, rec.offset + 1);
        }
        offset = Math.max(offset, new BatchHeader(chunk, b.pos).nextOffset);
      }
    }
  }
  return out;
}

async function withLog(cfg: ReturnType<typeof config>, fn: (log: PartitionLog, dir: string, reopen: () => Promise<PartitionLog>) => Promise<void>): Promise<void> {
  const tmp = await tempDir();
  const dir = join(tmp.path, 'topic-0');
  let log = await PartitionLog.open(dir, cfg, { tailCacheBytes: 0 });
  try {
    await fn(log, dir, async () => {
      await log.close();
      log = await PartitionLog.open(dir, cfg, { tailCacheBytes: 0 });
      return log;
    });
  } finally {
    await log.close().catch(() => undefined);
    await tmp.remove();
  }
}

const history: [string, string | null][] = [];
for (let i = 0; i < 60; i++) history.push([`k${i % 6}`, `v${i}`]);

test('each key keeps its latest record, at its own offset; the active segment is left alone', async () => {
  await withLog(compacted(), async (log) => {
    await put(log, history);
    const before = await everything(log);
    const r = await log.compact(NOW);
    assert.ok(r && r.recordsRemoved > 0 && r.segmentsRewritten > 0, JSON.stringify(r));
    const after = await everything(log);
    // Offsets and the log end stay; below the active segment each key appears once, with its latest value.
    assert.is(log.logEndOffset, 60);
    const activeBase = before.find(([o]) => o >= r!.cleanedTo)?.[0] ?? 60;
    const cleaned = after.filter(([o]) => o < activeBase);
    const keys = cleaned.map(([, k]) => k);
    assert.equal(keys.length, new Set(keys).size, 'no key twice in the cleaned part');
    const latest = new Map(before.map(([, k, v]) => [k, v]));
    const seen = new Map(after.map(([, k, v]) => [k, v]));
    assert.equal(seen, latest, 'the latest value of every key is still there');
    for (const [o, k, v] of after) assert.equal(before.find(([bo]) => bo === o), [o, k, v], `offset ${o} kept as it was`);
    assert.equal(after.filter(([o]) => o >= activeBase), before.filter(([o]) => o >= activeBase), 'the active segment untouched');
    // Nothing dirty is left: a second pass has nothing to do.
    assert.is(await log.compact(NOW), null);
  });
});

test('tombstones are kept for delete.retention.ms, then removed; a record without a key is dropped', async () => {
  await withLog(compacted(), async (log) => {
    await put(log, [['a', '1'], ['b', '1'], ['a', null], ['c', '1']]);
    await log.appendAsLeader(buildBatch({ records: [{ key: null, value: Buffer.from('keyless') }], now: NOW }), { leaderEpoch: 0, now: NOW });
    await put(log, history);
    await log.compact(NOW);
    let all = await everything(log);
    assert.ok(all.some(([, k, v]) => k === 'a' && v === null), 'the tombstone is kept within delete.retention.ms');
    assert.not.ok(all.some(([, k, v]) => k === 'a' && v === '1'), 'the record it deletes is gone');
    // A day later (the segments' last write is older than delete.retention.ms), the next pass
    // (once there is dirty data again) removes the tombstone too.
    await put(log, history);
    await log.compact(Date.now() + 2 * DAY);
    all = await everything(log);
    assert.not.ok(all.some(([, k]) => k === 'a'), 'the tombstone is removed after delete.retention.ms');
    assert.ok(all.some(([, k, v]) => k === 'b' && v === '1'));
  });
});

test('min.compaction.lag.ms and the dirty ratio hold a clean back; cleanup.policy delete never compacts', async () => {
  await withLog(compacted({ minCompactionLagMs: DAY }), async (log) => {
    await put(log, history, Date.now());
    assert.is(await log.compact(Date.now()), null, 'too young');
  });
  await withLog(compacted({ minCleanableDirtyRatio: 1 }), async (log) => {
    await put(log, history);
    await log.compact(NOW);
    assert.is(await log.compact(NOW), null);
  });
  await withLog(config({ segmentBytes: 600 }), async (log) => {
    await put(log, history);
    assert.is(await log.compact(NOW), null);
  });
});

test('reads while the cleaner swaps segments in see whole, correct batches', async () => {
  await withLog(compacted(), async (log) => {
    for (let round = 0; round < 5; round++) await put(log, history.map(([k, v]) => [k, `${v}-${round}`]));
    const latest = new Map((await everything(log)).map(([, k, v]) => [k, v]));
    const reading = (async () => {
      for (let i = 0; i < 20; i++) {
        const seen = new Map((await everything(log)).map(([, k, v]) => [k, v]));
        assert.equal(seen, latest);
      }
    })();
    await log.compact(NOW);
    await reading;
  });
});

test('a crash during a clean: a half-written copy is deleted at start, a segment left without indexes gets them rebuilt', async () => {
  await withLog(compacted(), async (log, dir, reopen) => {
    await put(log, history);
    const before = await everything(log);
    const segment = (await readdir(dir)).find((n) => n.endsWith('.log'))!;
    // A crash while the copy was being written.
    await writeFile(join(dir, `${segment}.cleaned`), Buffer.from('half a batch'));
    // A crash after the old indexes went and before the rename.
    await rm(join(dir, segment.replace('.log', '.index')));
    await rm(join(dir, segment.replace('.log', '.timeindex')));
    log = await reopen();
    assert.not.ok((await readdir(dir)).some((n) => n.endsWith('.cleaned')));
    assert.equal(await everything(log), before);
    // And the clean then goes through.
    assert.ok((await log.compact(NOW))?.recordsRemoved);
    log = await reopen();
    const after = await everything(log);
    assert.equal(new Map(after.map(([, k, v]) => [k, v])), new Map(before.map(([, k, v]) => [k, v])));
  });
});

test('transactions: aborted records removed, committed ones compacted, a COMMIT marker left with nothing goes after delete.retention.ms', async () => {
  await withLog(compacted({ segmentBytes: 400 }), async (log) => {
    const seq = new Map<number, number>();
    const txn = async (pid: number, pairs: [string, string][], commit: boolean) => {
      const s0 = seq.get(pid) ?? 0;
      seq.set(pid, s0 + pairs.length);
      const records = pairs.map(([k, v]) => ({ key: Buffer.from(k), value: Buffer.from(v), timestamp: NOW }));
      assert.ok((await log.appendAsLeader(buildBatch({ records, now: NOW, producerId: pid, producerEpoch: 0, baseSequence: s0, transactional: true }), { leaderEpoch: 0, now: NOW })).ok);
      assert.ok((await log.appendMarker({ producerId: pid, epoch: 0, commit, coordinatorEpoch: 0, now: NOW })).ok);
    };
    await txn(1, [['a', 'a1'], ['b', 'b1']], true); // 0-1, COMMIT 2
    await txn(2, [['a', 'a-aborted'], ['c', 'c-aborted']], false); // 3-4, ABORT 5
    await put(log, [['b', 'b2']]); // 6
    await txn(1, [['d', 'd1']], true); // 7, COMMIT 8
    await put(log, [['b', 'b3']]); // 9
    for (let i = 0; i < 20; i++) await put(log, [[`x${i}`, `x${i}`]]); // 10-29: rolls segments past the transactions

    const markers = async () => {
      const out: number[] = [];
      for (let offset = 0; offset < log.logEndOffset;) {
        const r = await log.read(offset, 1 << 20, { minOneBatch: true, upTo: 'hw' });
        if (!r.ok || r.bytes === 0) break;
        for (const chunk of r.chunks) for (const b of iterateBatches(chunk)) {
          const h = new BatchHeader(chunk, b.pos);
          if (h.isControl) out.push(h.baseOffset);
          offset = Math.max(offset, h.nextOffset);
        }
      }
      return out;
    };
    // The data records below the transactions' end (markers are counted by markers()).
    const data = async () => (await everything(log)).filter(([o, k]) => o < 10 && !k.startsWith('\u0000')).map(([o, k, v]) => `${o}:${k}=${v}`);
    const r = await log.compact(NOW);
    assert.ok(r && r.recordsRemoved > 0, JSON.stringify(r));
    const kept = await data();
    // a1 is a's latest (the aborted a never counts), b's older values go, the aborted records go.
    assert.equal(kept, ['0:a=a1', '7:d=d1', '9:b=b3']);
    assert.equal(await markers(), [2, 5, 8], 'markers stay while tombstones would');
    const read = await log.read(0, 1 << 20, { minOneBatch: true, upTo: 'lso' });
    assert.equal(read.ok && read.abortedTransactions?.map((t) => [t.producerId, t.firstOffset]), [[2, 3]], 'the aborted transaction is still listed, its marker there');

    // Past delete.retention.ms (the segments' last writes are now): the first COMMIT still has a1
    // kept and stays; the ABORT marker stays.
    await log.compact(Date.now() + 2 * DAY);
    await log.compact(Date.now() + 2 * DAY);
    assert.equal(await markers(), [2, 5, 8]);
    // b1's transaction: once a's latest is elsewhere, its COMMIT has nothing left and goes.
    await put(log, [['a', 'a2'], ['d', 'd2']], NOW + 2 * DAY);
    for (let i = 0; i < 10; i++) await put(log, [[`y${i}`, `y${i}`]], NOW + 2 * DAY);
    await log.compact(Date.now() + 4 * DAY);
    await log.compact(Date.now() + 4 * DAY);
    assert.equal(await markers(), [5]);
    assert.equal(await data(), ['9:b=b3']);
  });
});

test.run();
