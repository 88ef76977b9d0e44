// The disk failing under the log: a full disk, an I/O error on write or on fsync, a write torn half
// way. Each gives the producer a clear error (KAFKA_STORAGE_ERROR and why), the log stops taking
// appends rather than risk a hole, nothing already acknowledged is lost, and the next start
// recovers the log to its last whole batch.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileHandleCache } from '../../src/log/file-handles.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { FaultyDisk, type DiskFault } from '../support/faulty-disk.js';
import { READ, batch, config, recordsIn, tempDir } from './support.js';

const NOW = 1_700_000_000_000;

async function values(log: PartitionLog): Promise<string[]> {
  const r = await log.read(log.logStartOffset, 1 << 20, READ);
  assert.ok(r.ok, JSON.stringify(r));
  return recordsIn(r.ok ? r.chunks : []).map((x) => x.value as string);
}

/** Acknowledged appends, the fault, what the producer is told, then a restart on a healthy disk. */
async function scenario(fault: DiskFault | 'sync', cfg: Parameters<typeof config>[0] = {}) {
  const tmp = await tempDir();
  const dir = join(tmp.path, 'topic-0');
  const disk = new FaultyDisk();
  const log = await PartitionLog.open(dir, config(cfg), { files: new FileHandleCache(16, disk.open), tailCacheBytes: 0 });
  try {
    for (const v of ['a', 'b', 'c']) assert.ok((await log.appendAsLeader(batch([v]), { leaderEpoch: 0, now: NOW })).ok);
    if (fault === 'sync') disk.failNextSync();
    else disk.failNextWrite(fault);
    const failed = await log.appendAsLeader(batch(['lost']), { leaderEpoch: 0, now: NOW });
    assert.is(disk.failures, 1, 'the fault was met');
    const after = await log.appendAsLeader(batch(['after']), { leaderEpoch: 0, now: NOW });
    const acknowledged = await values(log);
    await log.close();
    const reopened = await PartitionLog.open(dir, config(cfg), { tailCacheBytes: 0, warn: () => undefined });
    try {
      const recovered = await values(reopened);
      const next = await reopened.appendAsLeader(batch(['next']), { leaderEpoch: 0, now: NOW });
      return { failed, after, acknowledged, recovered, next, end: reopened.logEndOffset };
    } finally {
      await reopened.close();
    }
  } finally {
    await tmp.remove();
  }
}

for (const fault of ['ENOSPC', 'EIO'] as const) {
  test(`${fault} on write: the producer is told, the log stops, the restart keeps every acknowledged record`, async () => {
    const r = await scenario(fault);
    assert.is(r.failed.ok, false);
    assert.equal(!r.failed.ok && [r.failed.error, r.failed.reason.includes(fault)], ['KAFKA_STORAGE_ERROR', true]);
    assert.equal(!r.after.ok && r.after.error, 'KAFKA_STORAGE_ERROR', 'no append after a failed write, which could leave a hole');
    assert.equal(r.acknowledged, ['a', 'b', 'c'], 'reads go on');
    assert.equal(r.recovered, ['a', 'b', 'c']);
    assert.equal(r.next.ok && r.next.baseOffset, 3);
  });
}

test('a write torn half way: the restart cuts the partial batch and keeps the rest', async () => {
  const r = await scenario('torn');
  assert.equal(!r.failed.ok && r.failed.error, 'KAFKA_STORAGE_ERROR');
  assert.equal(r.acknowledged, ['a', 'b', 'c']);
  assert.equal(r.recovered, ['a', 'b', 'c']);
  assert.equal(r.next.ok && r.next.baseOffset, 3);
  assert.is(r.end, 4);
});

test('EIO on fsync (flush.messages=1): the append is not acknowledged; what was acknowledged before stays', async () => {
  const r = await scenario('sync', { flushMessages: 1 });
  assert.equal(!r.failed.ok && r.failed.error, 'KAFKA_STORAGE_ERROR');
  assert.equal(!r.after.ok && r.after.error, 'KAFKA_STORAGE_ERROR');
  // The unsynced write may or may not have reached the disk; the acknowledged ones are there.
  assert.equal(r.recovered.slice(0, 3), ['a', 'b', 'c']);
  assert.ok(r.recovered.length <= 4 && r.recovered.every((v) => v !== 'after'));
});

test.run();
