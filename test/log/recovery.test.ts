// Recovery when a partition log is opened: torn and corrupt tails, damaged index files, clean and
// unclean restarts. A "crash" is a log that is simply never closed: its active segment's indexes
// were only in memory, as after a real crash.
import { appendFile, readdir, readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileHandleCache } from '../../src/log/file-handles.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import type { TopicConfig } from '../../src/log/topic-config.js';
import { READ, batch, config, recordsIn, tempDir } from './support.js';

const NOW = 1_700_000_000_000;

async function fill(log: PartitionLog, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await log.appendAsLeader(batch([`v${2 * i}`, `v${2 * i + 1}`], { timestamp: NOW + i }), { leaderEpoch: 1, now: NOW });
    assert.ok(r.ok);
  }
}

async function allValues(log: PartitionLog): Promise<string[]> {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, 1 << 20, READ);
    assert.ok(r.ok && r.chunks.length > 0, `read at ${offset}`);
    const records = recordsIn(r.ok ? r.chunks : []);
    out.push(...records.filter((x) => x.offset >= offset).map((x) => x.value));
    offset = records.at(-1)!.offset + 1;
  }
  return out;
}

const expected = (n: number) => Array.from({ length: 2 * n }, (_, i) => `v${i}`);

/** Appends n batches, "crashes", damages the active segment with `damage`, reopens. */
async function crashDamageReopen(cfg: Partial<TopicConfig>, n: number, damage: (activeLog: string, dir: string) => Promise<void>) {
  const tmp = await tempDir();
  const dir = join(tmp.path, 't-0');
  // The crashed process's descriptors go away with it; nothing else of it is closed.
  const files = new FileHandleCache(16);
  const crashed = await PartitionLog.open(dir, config(cfg), { files });
  await fill(crashed, n);
  await files.close();
  const activeName = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort().at(-1)!;
  const activePath = join(dir, activeName);
  const goodSize = (await stat(activePath)).size;
  await damage(activePath, dir);
  const warnings: string[] = [];
  const log = await PartitionLog.open(dir, config(cfg), { warn: (m) => warnings.push(m) });
  return { log, dir, activePath, goodSize, warnings, cleanup: async () => { await log.close(); await tmp.remove(); } };
}

const tornTails: [string, (path: string) => Promise<void>][] = [
  ['a partial batch header', (p) => appendFile(p, batch(['next'], { baseOffset: 40 }).subarray(0, 7))],
  ['a header cut after the framing', (p) => appendFile(p, batch(['next'], { baseOffset: 40 }).subarray(0, 30))],
  ['a partial batch body', async (p) => {
    const b = batch(['next-with-a-longer-value'], { baseOffset: 40 });
    await appendFile(p, b.subarray(0, b.length - 5));
  }],
  ['garbage after the last batch', (p) => appendFile(p, Buffer.alloc(300, 0xab))],
  ['zeros after the last batch', (p) => appendFile(p, Buffer.alloc(4096))],
  ['a whole batch with a bad CRC', async (p) => {
    const b = batch(['bad'], { baseOffset: 40 });
    b[b.length - 1]! ^= 0x55;
    await appendFile(p, b);
  }],
  ['a whole valid batch going back in offsets', (p) => appendFile(p, batch(['old'], { baseOffset: 3 }))],
];

for (const [name, damage] of tornTails) {
  test(`recovery cuts ${name} and keeps everything before it`, async () => {
    const { log, activePath, goodSize, warnings, cleanup } = await crashDamageReopen({ segmentBytes: 1500 }, 20, damage);
    try {
      assert.ok(log.segmentCount > 1);
      assert.is(log.logEndOffset, 40);
      assert.equal(await allValues(log), expected(20));
      assert.is((await stat(activePath)).size, goodSize, 'the file is cut at the end of the last good batch');
      assert.is(warnings.length, 1, warnings.join('; '));
      const next = await log.appendAsLeader(batch(['after']), { leaderEpoch: 1, now: NOW });
      assert.equal(next.ok && next.baseOffset, 40);
    } finally {
      await cleanup();
    }
  });
}

test('recovery cuts a bad CRC in the last batch, keeping the batches before it', async () => {
  const { log, goodSize, activePath, cleanup } = await crashDamageReopen({ segmentBytes: 1500 }, 20, async (p) => {
    const data = await readFile(p);
    data[data.length - 3]! ^= 0xff;
    await writeFile(p, data);
  });
  try {
    assert.is(log.logEndOffset, 38);
    assert.equal(await allValues(log), expected(19));
    assert.ok((await stat(activePath)).size < goodSize);
  } finally {
    await cleanup();
  }
});

test('an active segment that is all garbage recovers to empty at its base offset', async () => {
  const { log, cleanup } = await crashDamageReopen({ segmentBytes: 1500 }, 20, async (p) => {
    const size = (await stat(p)).size;
    await writeFile(p, Buffer.alloc(size, 0x11));
  });
  try {
    const segmentsOk = await allValues(log);
    assert.ok(log.logEndOffset < 40 && log.logEndOffset > 0);
    assert.equal(segmentsOk, expected(log.logEndOffset / 2));
  } finally {
    await cleanup();
  }
});

test('missing index files of closed segments are rebuilt', async () => {
  const { log, dir, cleanup } = await crashDamageReopen({ segmentBytes: 1500, indexIntervalBytes: 100 }, 30, async (_p, d) => {
    await unlink(join(d, '00000000000000000000.index'));
    await unlink(join(d, '00000000000000000000.timeindex'));
  });
  try {
    const names = await readdir(dir);
    assert.ok(names.includes('00000000000000000000.index') && names.includes('00000000000000000000.timeindex'));
    assert.ok((await stat(join(dir, '00000000000000000000.index'))).size > 0);
    assert.equal(await allValues(log), expected(30));
    const mid = await log.read(13, 1, READ);
    assert.ok(recordsIn(mid.ok ? mid.chunks : []).some((r) => r.offset === 13));
    assert.equal(await log.offsetForTimestamp(NOW + 3), { offset: 6, timestamp: NOW + 3, leaderEpoch: 1 });
  } finally {
    await cleanup();
  }
});

test('truncated or inconsistent index files are rebuilt', async () => {
  const { log, dir, cleanup } = await crashDamageReopen({ segmentBytes: 1500, indexIntervalBytes: 100 }, 40, async (_p, d) => {
    // A partial entry: caught by the start-up check.
    const index = join(d, '00000000000000000000.index');
    await truncate(index, (await stat(index)).size - 3);
    // Whole entries, but pointing past the log: caught when the index is first used.
    const second = (await readdir(d)).filter((f) => f.endsWith('.index')).sort()[1]!;
    const bad = Buffer.alloc(16);
    bad.writeInt32BE(1, 0);
    bad.writeInt32BE(999_999, 4);
    bad.writeInt32BE(0, 8);
    bad.writeInt32BE(5, 12);
    await writeFile(join(d, second), bad);
    await truncate(join(d, '00000000000000000000.timeindex'), 5);
  });
  try {
    assert.equal(await allValues(log), expected(40));
    for (let offset = 0; offset < 80; offset += 5) {
      const r = await log.read(offset, 1, READ);
      assert.ok(recordsIn(r.ok ? r.chunks : []).some((x) => x.offset === offset), `offset ${offset}`);
    }
    assert.is((await stat(join(dir, '00000000000000000000.index'))).size % 8, 0);
    assert.is((await stat(join(dir, '00000000000000000000.timeindex'))).size % 12, 0);
  } finally {
    await cleanup();
  }
});

test('a clean shutdown is trusted: no scan, the same end, time-based rolls measured from the first batch', async () => {
  const tmp = await tempDir();
  const dir = join(tmp.path, 't-0');
  const cfg = config({ segmentBytes: 1500, indexIntervalBytes: 100, segmentMs: 1000 });
  let log = await PartitionLog.open(dir, cfg);
  await fill(log, 30);
  await log.close();
  const names = await readdir(dir);
  const last = names.filter((f) => f.endsWith('.log')).sort().at(-1)!.slice(0, 20);
  assert.ok(names.includes(`${last}.index`) && names.includes(`${last}.timeindex`), 'close writes the active segment\'s indexes');
  assert.ok(names.includes('00000000000000000060.snapshot'), 'and a producer snapshot at the log end');
  log = await PartitionLog.open(dir, cfg, { cleanShutdown: true });
  try {
    assert.is(log.logEndOffset, 60);
    assert.equal(await allValues(log), expected(30));
    const segments = log.segmentCount;
    await log.appendAsLeader(batch(['late'], { timestamp: NOW + 5000 }), { leaderEpoch: 1, now: NOW });
    assert.is(log.segmentCount, segments + 1);
  } finally {
    await log.close();
    await tmp.remove();
  }
});

test('a clean-shutdown flag with a missing active index falls back to recovery', async () => {
  const tmp = await tempDir();
  const dir = join(tmp.path, 't-0');
  let log = await PartitionLog.open(dir, config());
  await fill(log, 5);
  await log.close();
  await unlink(join(dir, '00000000000000000000.index'));
  await appendFile(join(dir, '00000000000000000000.log'), Buffer.alloc(50, 1));
  log = await PartitionLog.open(dir, config(), { cleanShutdown: true });
  try {
    assert.is(log.logEndOffset, 10);
    assert.equal(await allValues(log), expected(5));
  } finally {
    await log.close();
    await tmp.remove();
  }
});

test('the leader-epoch checkpoint is Kafka\'s text format, cut back to the recovered end', async () => {
  const tmp = await tempDir();
  const dir = join(tmp.path, 't-0');
  let log = await PartitionLog.open(dir, config());
  await log.appendAsLeader(batch(['a']), { leaderEpoch: 0, now: NOW });
  await log.appendAsLeader(batch(['b']), { leaderEpoch: 2, now: NOW });
  await log.appendAsLeader(batch(['c']), { leaderEpoch: 5, now: NOW });
  assert.is(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n3\n0 0\n2 1\n5 2\n');
  await log.close();
  // Crash after the last batch was lost from the file but not from the checkpoint.
  const data = await readFile(join(dir, '00000000000000000000.log'));
  await writeFile(join(dir, '00000000000000000000.log'), data.subarray(0, data.length - 10));
  log = await PartitionLog.open(dir, config());
  try {
    assert.is(log.logEndOffset, 2);
    assert.is(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n2\n0 0\n2 1\n');
    assert.equal(log.endOffsetForLeaderEpoch(2), { epoch: 2, endOffset: 2 });
    // A corrupt checkpoint is rebuilt from the batches' own epochs.
    await log.close();
    await writeFile(join(dir, 'leader-epoch-checkpoint'), 'nonsense');
    log = await PartitionLog.open(dir, config());
    assert.equal(log.endOffsetForLeaderEpoch(0), { epoch: 0, endOffset: 1 });
    assert.is(log.leaderEpoch, 2);
  } finally {
    await log.close();
    await tmp.remove();
  }
});

test('leftovers of interrupted writes and deletions are cleaned up', async () => {
  const tmp = await tempDir();
  const dir = join(tmp.path, 't-0');
  let log = await PartitionLog.open(dir, config({ segmentBytes: 500 }));
  await fill(log, 20);
  await log.close();
  await writeFile(join(dir, 'leader-epoch-checkpoint.tmp'), 'half');
  await writeFile(join(dir, '00000000000000099999.index'), Buffer.alloc(8));
  // The log start checkpoint is past the first segment: its deletion was cut short.
  log = await PartitionLog.open(dir, config({ segmentBytes: 500 }), { logStartOffset: 20 });
  try {
    const names = await readdir(dir);
    assert.not.ok(names.includes('leader-epoch-checkpoint.tmp'));
    assert.not.ok(names.includes('00000000000000099999.index'));
    assert.not.ok(names.includes('00000000000000000000.log'));
    assert.is(log.logStartOffset, 20);
    const r = await log.read(20, 1 << 20, READ);
    assert.ok(r.ok && recordsIn(r.chunks).some((x) => x.offset === 20));
  } finally {
    await log.close();
    await tmp.remove();
  }
});

test.run();
