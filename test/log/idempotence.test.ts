// Idempotent producers: Kafka's duplicate, sequence and epoch rules, on the append path and across
// restarts (from snapshots and from replaying the log).
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FileHandleCache } from '../../src/log/file-handles.js';
import { PartitionLog, type LeaderAppendResult } from '../../src/log/partition-log.js';
import { checkClientBatch, lastSequence, withBatch } from '../../src/log/producer-state.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/log/producer-snapshot.js';
import { batch, config, tempDir } from './support.js';

const NOW = 1_700_000_000_000;
const INT32_MAX = 2147483647;
const PID = 4242;

/** A producer's batch of `count` records; a fresh Buffer each time, as a retry sends the same bytes again. */
const produced = (seq: number, count = 2, epoch = 0, producerId = PID) =>
  batch(Array.from({ length: count }, (_, i) => `s${seq + i}`), { producerId, producerEpoch: epoch, baseSequence: seq });

async function send(log: PartitionLog, b: Buffer): Promise<LeaderAppendResult> {
  return log.appendAsLeader(b, { leaderEpoch: 0, now: NOW });
}

async function withLog(fn: (log: PartitionLog, reopen: (clean: boolean) => Promise<PartitionLog>) => Promise<void>, segmentBytes = 1 << 30): Promise<void> {
  const tmp = await tempDir();
  const dir = join(tmp.path, 't-0');
  let files = new FileHandleCache(16);
  let log = await PartitionLog.open(dir, config({ segmentBytes }), { files });
  const reopen = async (clean: boolean) => {
    if (clean) await log.close();
    await files.close();
    files = new FileHandleCache(16);
    log = await PartitionLog.open(dir, config({ segmentBytes }), { files, cleanShutdown: clean });
    return log;
  };
  try {
    await fn(log, reopen);
  } finally {
    await log.close();
    await files.close();
    await tmp.remove();
  }
}

test('sequences: lastSequence wraps at Int32 max as Kafka\'s do', () => {
  assert.is(lastSequence(0, 4), 4);
  assert.is(lastSequence(INT32_MAX - 1, 1), INT32_MAX);
  assert.is(lastSequence(INT32_MAX - 1, 2), 0);
  assert.is(lastSequence(INT32_MAX, 3), 2);
});

test('checkClientBatch follows Kafka 4\'s rules', () => {
  let entry = withBatch(undefined, 1, 3, { firstSeq: 0, lastSeq: 4, firstOffset: 10, lastOffset: 14, timestamp: NOW });
  assert.equal(checkClientBatch(entry, 3, 5, 6), { kind: 'new' });
  assert.is(checkClientBatch(entry, 3, 0, 4).kind, 'duplicate');
  assert.is((checkClientBatch(entry, 3, 6, 7) as { error: string }).error, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
  assert.is((checkClientBatch(entry, 2, 5, 6) as { error: string }).error, 'INVALID_PRODUCER_EPOCH');
  assert.equal(checkClientBatch(entry, 4, 0, 1), { kind: 'new' });
  assert.is((checkClientBatch(entry, 4, 5, 6) as { error: string }).error, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
  // No state at all (new, expired, or deleted with the log's head): any sequence is accepted.
  assert.equal(checkClientBatch(undefined, 0, 77, 78), { kind: 'new' });
  // Only the last five batches are remembered.
  for (let i = 1; i <= 5; i++) entry = withBatch(entry, 1, 3, { firstSeq: 5 * i, lastSeq: 5 * i + 4, firstOffset: 10 + 5 * i, lastOffset: 14 + 5 * i, timestamp: NOW });
  assert.is(entry.batches.length, 5);
  assert.is(checkClientBatch(entry, 3, 5, 9).kind, 'duplicate');
  assert.is(checkClientBatch(entry, 3, 0, 4).kind, 'error');
  // Wrapping: after a batch ending at Int32 max, the next starts at 0.
  const high = withBatch(undefined, 2, 0, { firstSeq: INT32_MAX - 1, lastSeq: INT32_MAX, firstOffset: 0, lastOffset: 1, timestamp: NOW });
  assert.equal(checkClientBatch(high, 0, 0, 1), { kind: 'new' });
});

test('snapshots round-trip and reject damage', () => {
  const entries = [
    withBatch(withBatch(undefined, 9, 1, { firstSeq: 0, lastSeq: 1, firstOffset: 0, lastOffset: 1, timestamp: NOW }), 9, 1, { firstSeq: 2, lastSeq: 2, firstOffset: 5, lastOffset: 5, timestamp: NOW + 1 }),
    withBatch(undefined, 2 ** 40, 7, { firstSeq: 100, lastSeq: 104, firstOffset: 2 ** 35, lastOffset: 2 ** 35 + 4, timestamp: NOW + 2 }),
  ];
  const bytes = encodeSnapshot(entries);
  assert.equal(decodeSnapshot(bytes), entries);
  const damaged = Buffer.from(bytes);
  damaged[20]! ^= 1;
  assert.throws(() => decodeSnapshot(damaged), /CRC/);
  assert.throws(() => decodeSnapshot(bytes.subarray(0, bytes.length - 1)));
});

test('a retried batch is answered with its original offsets and not written again', async () => {
  await withLog(async (log) => {
    const first = await send(log, produced(0));
    await send(log, produced(2));
    const retry = await send(log, produced(0));
    assert.equal(retry, { ok: true, baseOffset: 0, lastOffset: 1, logAppendTime: -1, logStartOffset: 0, duplicate: true });
    assert.equal(first.ok && first.duplicate, false);
    assert.is(log.logEndOffset, 4);
  });
});

test('duplicates are recognised among the last five batches only', async () => {
  await withLog(async (log) => {
    for (let i = 0; i < 6; i++) assert.ok((await send(log, produced(2 * i))).ok);
    const third = await send(log, produced(6));
    assert.equal(third.ok && [third.baseOffset, third.duplicate], [6, true]);
    const sixthFromLast = await send(log, produced(0));
    assert.is(!sixthFromLast.ok && sixthFromLast.error, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
  });
});

test('a gap, an old epoch, and a new epoch not starting at 0 are refused', async () => {
  await withLog(async (log) => {
    await send(log, produced(0, 2, 5));
    const gap = await send(log, produced(3, 2, 5));
    assert.is(!gap.ok && gap.error, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    const old = await send(log, produced(2, 2, 4));
    assert.is(!old.ok && old.error, 'INVALID_PRODUCER_EPOCH');
    const badNew = await send(log, produced(2, 2, 6));
    assert.is(!badNew.ok && badNew.error, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    const goodNew = await send(log, produced(0, 2, 6));
    assert.equal(goodNew.ok && goodNew.baseOffset, 2);
    // The new epoch forgot the old one's batches: the old first batch is no duplicate now.
    const stale = await send(log, produced(0, 2, 5));
    assert.is(!stale.ok && stale.error, 'INVALID_PRODUCER_EPOCH');
    assert.is(log.logEndOffset, 4);
  });
});

test('an unknown producer may start at any sequence, and sequences wrap', async () => {
  await withLog(async (log) => {
    assert.ok((await send(log, produced(INT32_MAX - 1, 2))).ok);
    assert.ok((await send(log, produced(0, 2))).ok);
    const other = await send(log, produced(500, 1, 0, 7));
    assert.ok(other.ok);
  });
});

test('a retry arriving with its original in the same write group is still a duplicate', async () => {
  await withLog(async (log) => {
    const [a, b, c] = await Promise.all([send(log, produced(0)), send(log, produced(0)), send(log, produced(2))]);
    assert.equal(a.ok && [a.baseOffset, a.duplicate], [0, false]);
    assert.equal(b.ok && [b.baseOffset, b.duplicate], [0, true]);
    assert.equal(c.ok && [c.baseOffset, c.duplicate], [2, false]);
    assert.is(log.logEndOffset, 4);
  });
});

test('producer state survives a clean restart (snapshot) and a crash (replay), across rolls', async () => {
  for (const clean of [true, false]) {
    await withLog(async (first, reopen) => {
      for (let i = 0; i < 12; i++) assert.ok((await send(first, produced(2 * i))).ok);
      assert.ok(first.segmentCount > 1);
      const log = await reopen(clean);
      const dup = await send(log, produced(18));
      assert.equal(dup.ok && [dup.baseOffset, dup.duplicate], [18, true], `clean=${clean}`);
      const gap = await send(log, produced(30));
      assert.is(!gap.ok && gap.error, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
      const next = await send(log, produced(24));
      assert.equal(next.ok && [next.baseOffset, next.duplicate], [24, false]);
    }, 400);
  }
});

test('producers idle past producer.id.expiration.ms are forgotten by the retention run', async () => {
  const tmp = await tempDir();
  const log = await PartitionLog.open(join(tmp.path, 't-0'), config(), { producerIdExpirationMs: 1000 });
  try {
    await send(log, produced(0));
    await log.applyRetention(NOW + 500);
    assert.is((await send(log, produced(9))).ok, false);
    await log.applyRetention(NOW + 1000);
    assert.is((await send(log, produced(9))).ok, true);
  } finally {
    await log.close();
    await tmp.remove();
  }
});

test('batches mirrored from the source cluster feed the producer state', async () => {
  await withLog(async (log) => {
    const mirrored = produced(0);
    assert.ok((await log.appendAsFollower(mirrored)).ok);
    const retry = await send(log, produced(0));
    assert.equal(retry.ok && retry.duplicate, true);
    assert.ok((await send(log, produced(2))).ok);
  });
});

test.run();
