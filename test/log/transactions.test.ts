// Transactions mirrored from a source cluster: open transactions hold the last stable offset back,
// ABORT markers fill the segments' .txnindex in Kafka's format, read_committed reads list the
// aborted transactions they overlap, and all of it survives clean restarts, crashes, torn writes,
// truncation and retention. The batches are built as a Kafka broker writes them: transactional
// data batches, and control batches holding one COMMIT or ABORT marker record.
import { appendFile, readdir, readFile, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchHeader, iterateBatches } from '../../protocol/records/batch.js';
import { ControlRecordType, controlRecordType, markerRecord } from '../../protocol/records/control.js';
import { buildBatch } from '../../protocol/records/records.js';
import { FileHandleCache } from '../../src/log/file-handles.js';
import { PartitionLog, type PartitionLogOptions } from '../../src/log/partition-log.js';
import { decodeSnapshot, encodeSnapshot } from '../../src/log/producer-snapshot.js';
import { withBatch } from '../../src/log/producer-state.js';
import { TransactionIndex } from '../../src/log/transaction-index.js';
import type { TopicConfig } from '../../src/log/topic-config.js';
import { batch, config, recordsIn, tempDir } from './support.js';

const NOW = 1_700_000_000_000;
const LSO = { minOneBatch: true, upTo: 'lso' } as const;
const HW = { minOneBatch: true, upTo: 'hw' } as const;
const { ABORT, COMMIT } = ControlRecordType;

/** Writes batches as a source partition's leader would: each at the next offset, sequences per producer. */
class Source {
  next = 0;
  private readonly sequences = new Map<number, number>();

  constructor(start = 0) {
    this.next = start;
  }

  /** `count` records of producer `pid`, in its transaction unless `transactional` is false. */
  data(pid: number, count: number, transactional = true): Buffer {
    const seq = this.sequences.get(pid) ?? 0;
    const values = Array.from({ length: count }, (_, i) => `p${pid}@${this.next + i}`);
    const b = batch(values, { baseOffset: this.next, producerId: pid, producerEpoch: 0, baseSequence: seq, transactional, partitionLeaderEpoch: 1 });
    this.sequences.set(pid, seq + count);
    this.next += count;
    return b;
  }

  /** `count` records without a producer id. */
  plain(count: number): Buffer {
    const b = batch(Array.from({ length: count }, (_, i) => `plain@${this.next + i}`), { baseOffset: this.next, partitionLeaderEpoch: 1 });
    this.next += count;
    return b;
  }

  /** The COMMIT or ABORT marker ending `pid`'s transaction. */
  marker(pid: number, type: number): Buffer {
    const b = buildBatch({
      baseOffset: this.next, producerId: pid, producerEpoch: 0, transactional: true, control: true, partitionLeaderEpoch: 1,
      records: [{ ...markerRecord(type, 3), timestamp: NOW }],
    });
    this.next += 1;
    return b;
  }
}

/** Aborted-transaction entries as Kafka's TransactionIndex writes them, built here independently. */
function kafkaEntries(...entries: [producerId: number, firstOffset: number, lastOffset: number, lastStableOffset: number][]): Buffer {
  return Buffer.concat(entries.map(([pid, first, last, lso]) => {
    const b = Buffer.alloc(34);
    b.writeInt16BE(0, 0);
    b.writeBigInt64BE(BigInt(pid), 2);
    b.writeBigInt64BE(BigInt(first), 10);
    b.writeBigInt64BE(BigInt(last), 18);
    b.writeBigInt64BE(BigInt(lso), 26);
    return b;
  }));
}

const txnIndexName = (base: number) => `${String(base).padStart(20, '0')}.txnindex`;

async function txnIndexFile(dir: string, base: number): Promise<Buffer | null> {
  return readFile(join(dir, txnIndexName(base))).catch(() => null);
}

async function follow(log: PartitionLog, ...batches: Buffer[]): Promise<void> {
  const r = await log.appendAsFollower(Buffer.concat(batches));
  assert.ok(r.ok, JSON.stringify(r));
}

interface CommittedRead {
  /** The offsets of the data records returned (markers left out), aborted ones included. */
  offsets: number[];
  /** The aborted transactions listed, as [producerId, firstOffset]. */
  aborted: [number, number][];
}

/** What a read_committed consumer is given at `offset`, and the offset it fetches next. */
async function readAt(log: PartitionLog, offset: number): Promise<CommittedRead & { next: number }> {
  const r = await log.read(offset, 1 << 20, LSO);
  if (!r.ok) throw new Error(`read_committed at ${offset}: ${r.error}`);
  const records = recordsIn(r.chunks);
  const offsets = records.filter((x) => x.value.startsWith('p')).map((x) => x.offset);
  return { offsets, aborted: (r.abortedTransactions ?? []).map((t) => [t.producerId, t.firstOffset]), next: (records.at(-1)?.offset ?? offset - 1) + 1 };
}

async function readCommitted(log: PartitionLog, offset: number): Promise<CommittedRead> {
  const { offsets, aborted } = await readAt(log, offset);
  return { offsets, aborted };
}

/** Every read a read_committed consumer makes from the log start to the last stable offset. */
async function readAllCommitted(log: PartitionLog): Promise<CommittedRead[]> {
  const out: CommittedRead[] = [];
  for (let offset = log.logStartOffset; offset < log.lastStableOffset;) {
    const { next, ...read } = await readAt(log, offset);
    out.push(read);
    offset = next;
  }
  return out;
}

interface Opened {
  log: PartitionLog;
  dir: string;
  warnings: string[];
  /** Closes the log cleanly, or "crashes": the log is never closed, its descriptors just go. */
  stop(clean: boolean): Promise<void>;
  /** Opens the log again, trusting its active segment if it was closed cleanly. */
  start(clean: boolean): Promise<PartitionLog>;
  reopen(clean: boolean): Promise<PartitionLog>;
}

async function withLog(cfg: Partial<TopicConfig>, fn: (o: Opened) => Promise<void>, opts: PartitionLogOptions = {}): Promise<void> {
  const tmp = await tempDir();
  const dir = join(tmp.path, 'mirror-0');
  let files = new FileHandleCache(16);
  const warnings: string[] = [];
  const open = (clean: boolean) => PartitionLog.open(dir, config(cfg), { files, tailCacheBytes: 0, warn: (m) => warnings.push(m), cleanShutdown: clean, ...opts });
  const o: Opened = {
    log: await open(false),
    dir,
    warnings,
    async stop(clean) {
      if (clean) await o.log.close();
      await files.close();
    },
    async start(clean) {
      files = new FileHandleCache(16);
      o.log = await open(clean);
      return o.log;
    },
    async reopen(clean) {
      await o.stop(clean);
      return o.start(clean);
    },
  };
  try {
    await fn(o);
  } finally {
    await o.log.close().catch(() => undefined);
    await files.close();
    await tmp.remove();
  }
}

test("the transaction index holds Kafka's 34-byte entries, and is searched as Kafka searches it", () => {
  const idx = new TransactionIndex(100);
  idx.append({ producerId: 7, firstOffset: 90, lastOffset: 105, lastStableOffset: 95 });
  idx.append({ producerId: 2 ** 40, firstOffset: 95, lastOffset: 110, lastStableOffset: 111 });
  assert.ok(idx.toBuffer().equals(kafkaEntries([7, 90, 105, 95], [2 ** 40, 95, 110, 111])));
  assert.throws(() => idx.append({ producerId: 1, firstOffset: 100, lastOffset: 110, lastStableOffset: 111 }), /does not follow/);

  const found: { producerId: number; firstOffset: number }[] = [];
  assert.is(idx.collect(100, 111, found), true, 'the second entry\'s last stable offset ends the search');
  assert.equal(found, [{ producerId: 7, firstOffset: 90 }, { producerId: 2 ** 40, firstOffset: 95 }]);
  const later: { producerId: number; firstOffset: number }[] = [];
  assert.is(idx.collect(106, 200, later), false, 'no entry reaches 200: the next segment must be searched');
  assert.equal(later, [{ producerId: 2 ** 40, firstOffset: 95 }]);
  const before: { producerId: number; firstOffset: number }[] = [];
  idx.collect(100, 93, before);
  assert.equal(before, [{ producerId: 7, firstOffset: 90 }], 'a transaction starting at or past the bound is left out');

  assert.is(TransactionIndex.check(idx.toBuffer(), 100), null);
  assert.match(TransactionIndex.check(idx.toBuffer().subarray(0, 40), 100) ?? '', /multiple of 34/);
  assert.match(TransactionIndex.check(idx.toBuffer(), 106) ?? '', /below the segment's base/);
  assert.match(TransactionIndex.check(kafkaEntries([1, 100, 105, 106], [2, 101, 105, 106]), 100) ?? '', /does not follow/);
  const v1 = Buffer.from(idx.toBuffer());
  v1.writeInt16BE(1, 34);
  assert.match(TransactionIndex.check(v1, 100) ?? '', /version 1/);

  assert.is(idx.merge([{ producerId: 7, firstOffset: 0, lastOffset: 105, lastStableOffset: 0 }, { producerId: 3, firstOffset: 101, lastOffset: 102, lastStableOffset: 103 }]), true);
  assert.ok(idx.toBuffer().equals(kafkaEntries([3, 101, 102, 103], [7, 90, 105, 95], [2 ** 40, 95, 110, 111])), 'entries already there are kept as they are');
  assert.is(idx.merge([{ producerId: 3, firstOffset: 101, lastOffset: 102, lastStableOffset: 103 }]), false);
  assert.is(idx.truncateTo(105), true);
  assert.ok(idx.toBuffer().equals(kafkaEntries([3, 101, 102, 103])));
  assert.is(idx.truncateTo(105), false);
});

test('a control batch says what it is in its record key; one that does not is refused by the log', async () => {
  const s = new Source(10);
  assert.is(controlRecordType(s.marker(1, ABORT)), ABORT);
  assert.is(controlRecordType(s.marker(1, COMMIT)), COMMIT);
  const short = buildBatch({ baseOffset: 0, producerId: 1, producerEpoch: 0, control: true, transactional: true, records: [{ key: Buffer.from([0, 0]), value: null }] });
  assert.throws(() => controlRecordType(short), /needs 4 bytes/);
  await withLog({}, async ({ log }) => {
    const r = await log.appendAsFollower(short);
    assert.is(!r.ok && r.error, 'INVALID_RECORD');
    assert.is(log.logEndOffset, 0);
  });
});

test('producer snapshots keep the first offset of an open transaction', () => {
  const open = withBatch(undefined, 5, 2, { firstSeq: 0, lastSeq: 2, firstOffset: 40, lastOffset: 42, timestamp: NOW }, true);
  const idle = withBatch(undefined, 6, 0, { firstSeq: 0, lastSeq: 0, firstOffset: 43, lastOffset: 43, timestamp: NOW });
  assert.is(open.currentTxnFirstOffset, 40);
  assert.is(idle.currentTxnFirstOffset, -1);
  const next = withBatch(open, 5, 2, { firstSeq: 3, lastSeq: 3, firstOffset: 50, lastOffset: 50, timestamp: NOW }, true);
  assert.is(next.currentTxnFirstOffset, 40, 'a later batch of the same transaction does not move its start');
  assert.equal(decodeSnapshot(encodeSnapshot([open, idle])), [open, idle]);
});

test('an open transaction holds the last stable offset back; its ABORT marker indexes it, a COMMIT does not', async () => {
  await withLog({}, async ({ log, dir }) => {
    const s = new Source();
    await follow(log, s.plain(2));
    await follow(log, s.data(1, 3));
    assert.equal([log.highWatermark, log.lastStableOffset], [5, 2]);
    assert.equal(await readCommitted(log, 0), { offsets: [0, 1], aborted: [] });
    const uncommitted = await log.read(0, 1 << 20, HW);
    assert.ok(uncommitted.ok && uncommitted.abortedTransactions === undefined, 'read_uncommitted lists nothing');
    assert.equal(uncommitted.ok && recordsIn(uncommitted.chunks).map((r) => r.offset), [0, 1, 2, 3, 4]);

    // Producer 2 opens a transaction at 5; producer 1 aborts at 7, while 2's still holds the LSO at 5.
    await follow(log, s.data(2, 2), s.marker(1, ABORT));
    assert.equal([log.highWatermark, log.lastStableOffset], [8, 5]);
    assert.equal(await readCommitted(log, 0), { offsets: [0, 1, 2, 3, 4], aborted: [[1, 2]] });
    await follow(log, s.marker(2, COMMIT));
    assert.equal([log.highWatermark, log.lastStableOffset], [9, 9]);
    assert.equal(await readCommitted(log, 0), { offsets: [0, 1, 2, 3, 4, 5, 6], aborted: [[1, 2]] });
    assert.equal(await readCommitted(log, 7), { offsets: [], aborted: [[1, 2]] }, 'the abort marker itself is in range');
    assert.equal(await readCommitted(log, 8), { offsets: [], aborted: [] });
    assert.equal(await readCommitted(log, 9), { offsets: [], aborted: [] }, 'nothing read, nothing listed');

    assert.is(await txnIndexFile(dir, 0), null, 'the active segment\'s index reaches disk when it is sealed');
    await log.close();
    assert.ok((await txnIndexFile(dir, 0))!.equals(kafkaEntries([1, 2, 7, 5])));
  });
});

test('a local producer\'s transaction: its batches hold the LSO until the coordinator\'s marker, which fences older epochs', async () => {
  await withLog({}, async ({ log, dir }) => {
    const txn = (values: string[], seq: number, epoch = 0) => batch(values, { producerId: 4, producerEpoch: epoch, baseSequence: seq, transactional: true });
    const append = async (b: Buffer) => log.appendAsLeader(b, { leaderEpoch: 0, now: NOW });
    assert.ok((await append(txn(['p4@0', 'p4@1'], 0))).ok);
    assert.equal([log.highWatermark, log.lastStableOffset], [2, 0]);
    const plain = await append(batch(['p4@x'], { producerId: 4, producerEpoch: 0, baseSequence: 2 }));
    assert.is(!plain.ok && plain.error, 'INVALID_TXN_STATE', 'no plain batch while the transaction is open');
    assert.ok((await log.appendMarker({ producerId: 4, epoch: 0, commit: true, coordinatorEpoch: 0, now: NOW })).ok);
    assert.equal([log.highWatermark, log.lastStableOffset], [3, 3]);

    assert.ok((await append(txn(['p4@3'], 2))).ok);
    // The coordinator aborts with the epoch bumped (a timed-out transaction): the producer is fenced.
    assert.ok((await log.appendMarker({ producerId: 4, epoch: 1, commit: false, coordinatorEpoch: 0, now: NOW })).ok);
    const stale = await log.appendMarker({ producerId: 4, epoch: 0, commit: false, coordinatorEpoch: 0, now: NOW });
    assert.is(!stale.ok && stale.error, 'INVALID_PRODUCER_EPOCH');
    const fenced = await append(txn(['p4@y'], 3));
    assert.is(!fenced.ok && fenced.error, 'INVALID_PRODUCER_EPOCH');
    assert.equal([log.highWatermark, log.lastStableOffset], [5, 5]);
    assert.equal(await readCommitted(log, 0), { offsets: [0, 1, 3], aborted: [[4, 3]] });
    const markers = await log.read(0, 1 << 20, HW);
    const chunk = Buffer.concat(markers.ok ? markers.chunks : []);
    const types = [...iterateBatches(chunk)].map(({ pos }) => new BatchHeader(chunk, pos)).filter((h) => h.isControl).map((h) => controlRecordType(chunk, h.pos));
    assert.equal(types, [COMMIT, ABORT]);
    await log.close();
    assert.ok((await txnIndexFile(dir, 0))!.equals(kafkaEntries([4, 3, 4, 5])));
  });
});

test('transactions ending in one follower append are indexed as if appended one batch at a time', async () => {
  const s = new Source();
  const batches = [
    s.data(1, 2), s.data(2, 1), s.plain(1), s.marker(1, ABORT), s.data(3, 2), s.marker(2, ABORT), s.data(1, 1), s.marker(3, COMMIT), s.marker(1, ABORT),
  ];
  // Producer 1 aborts at 4 (2's open since 2); 2 aborts at 7 (3's open since 5); 1 again at 10 (nothing else open).
  const want = kafkaEntries([1, 0, 4, 2], [2, 2, 7, 5], [1, 8, 10, 11]);
  for (const together of [true, false]) {
    await withLog({}, async ({ log, dir }) => {
      if (together) await follow(log, ...batches);
      else for (const b of batches) await follow(log, b);
      assert.equal([log.highWatermark, log.lastStableOffset], [11, 11]);
      assert.equal(await readCommitted(log, 0), { offsets: [0, 1, 2, 3, 5, 6, 8], aborted: [[1, 0], [2, 2], [1, 8]] });
      await log.close();
      assert.ok((await txnIndexFile(dir, 0))!.equals(want), together ? 'one append' : 'batch by batch');
    });
  }
});

test('a transaction spanning segments is indexed where its marker is, and found from a fetch in its first segment', async () => {
  await withLog({ segmentBytes: 400 }, async ({ log, dir }) => {
    const s = new Source();
    await follow(log, s.data(9, 2));
    while (log.segmentCount < 3) await follow(log, s.plain(2));
    const markerAt = s.next;
    await follow(log, s.marker(9, ABORT), s.plain(1));
    const bases = (await readdir(dir)).filter((n) => n.endsWith('.log')).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
    assert.equal([log.lastStableOffset, log.highWatermark], [s.next, s.next]);
    // A read stays in its segment, so the one at 0 ends before the marker; the next segment's base bounds the search.
    const first = await readCommitted(log, 0);
    assert.ok(first.offsets.at(-1)! < bases[1]!);
    assert.equal(first.aborted, [[9, 0]]);
    assert.equal((await readCommitted(log, bases[1]!)).aborted, [[9, 0]], 'its records reach no further, but its marker does');
    assert.equal((await readCommitted(log, markerAt + 1)).aborted, []);
    await log.close();
    const markerSegment = bases.filter((b) => b <= markerAt).at(-1)!;
    assert.ok(markerSegment >= bases[2]!);
    const files = (await readdir(dir)).filter((n) => n.endsWith('.txnindex'));
    assert.equal(files, [txnIndexName(markerSegment)], 'only the segment with the marker has a .txnindex');
    assert.ok((await txnIndexFile(dir, markerSegment))!.equals(kafkaEntries([9, 0, markerAt, markerAt + 1])));
  });
});

test('a read cut short by maxBytes lists the aborted transactions starting below the next offset-index entry', async () => {
  await withLog({ indexIntervalBytes: 100 }, async ({ log }) => {
    const s = new Source();
    await follow(log, s.data(1, 1), s.marker(1, ABORT));
    for (let i = 0; i < 5; i++) await follow(log, s.plain(1));
    await follow(log, s.data(2, 1), s.marker(2, ABORT), s.plain(1));
    const short = await log.read(0, 160, LSO);
    assert.ok(short.ok && recordsIn(short.chunks).length === 2, 'the first two batches');
    // An index entry follows every ~100 bytes, so one at offset 2 bounds the list below producer 2's start.
    assert.equal(short.ok && short.abortedTransactions, [{ producerId: 1, firstOffset: 0 }]);
    const whole = await log.read(0, 1 << 20, LSO);
    assert.equal(whole.ok && whole.abortedTransactions, [{ producerId: 1, firstOffset: 0 }, { producerId: 2, firstOffset: 7 }]);
  });
});

for (const clean of [true, false]) {
  test(`a ${clean ? 'clean restart keeps open transactions in the snapshot' : 'crash: replaying the log rebuilds open transactions and the index'}`, async () => {
    await withLog({}, async (o) => {
      const s = new Source();
      await follow(o.log, s.plain(1), s.data(1, 2), s.data(2, 2), s.marker(2, ABORT));
      assert.equal([o.log.lastStableOffset, o.log.highWatermark], [1, 6]);
      const log = await o.reopen(clean);
      assert.equal([log.lastStableOffset, log.highWatermark], [1, 6]);
      // Kafka's bound is the log end here, past the last stable offset: producer 2's abort is listed.
      assert.equal(await readCommitted(log, 0), { offsets: [0], aborted: [[2, 3]] });
      await follow(log, s.marker(1, ABORT));
      assert.equal([log.lastStableOffset, log.highWatermark], [7, 7]);
      assert.equal(await readCommitted(log, 0), { offsets: [0, 1, 2, 3, 4], aborted: [[2, 3], [1, 1]] });
      await log.close();
      assert.ok((await txnIndexFile(o.dir, 0))!.equals(kafkaEntries([2, 3, 5, 1], [1, 1, 6, 7])));
      assert.equal(o.warnings, []);
    });
  });
}

test('a torn write that cuts an ABORT marker reopens its transaction and drops its entry, on disk too', async () => {
  await withLog({}, async (o) => {
    const s = new Source();
    await follow(o.log, s.data(1, 2), s.data(2, 1));
    const markerAt = s.next;
    await follow(o.log, s.marker(1, ABORT));
    await o.reopen(true);
    assert.ok((await txnIndexFile(o.dir, 0))!.equals(kafkaEntries([1, 0, 3, 2])), 'the clean close wrote the entry');
    await follow(o.log, s.marker(2, COMMIT), s.plain(2));
    // The crash tears the file inside the marker's batch.
    await o.stop(false);
    const path = join(o.dir, '00000000000000000000.log');
    const bytes = await readFile(path);
    const at = [...iterateBatches(bytes)].find((sp) => new BatchHeader(bytes, sp.pos).baseOffset === markerAt)!.pos;
    await truncate(path, at + 20);
    const recovered = await o.start(false);
    assert.is(recovered.logEndOffset, markerAt);
    assert.equal([recovered.lastStableOffset, recovered.highWatermark], [0, 3], 'both transactions are open again');
    assert.equal(await readCommitted(recovered, 0), { offsets: [], aborted: [] });
    assert.is(await txnIndexFile(o.dir, 0), null, 'the cut entry is gone from the file');
    assert.is(o.warnings.length, 1, o.warnings.join('; '));
  });
});

test('truncation cuts index entries and reopens their transactions; a full truncation forgets them', async () => {
  await withLog({}, async (o) => {
    const s = new Source();
    await follow(o.log, s.data(1, 2), s.marker(1, ABORT), s.data(2, 2), s.marker(2, ABORT), s.plain(1));
    await o.reopen(true);
    assert.ok((await txnIndexFile(o.dir, 0))!.equals(kafkaEntries([1, 0, 2, 3], [2, 3, 5, 6])));
    await o.log.truncateTo(5);
    assert.equal([o.log.lastStableOffset, o.log.highWatermark], [3, 5]);
    assert.ok((await txnIndexFile(o.dir, 0))!.equals(kafkaEntries([1, 0, 2, 3])), 'the file is cut at once, before any crash');
    // The source's new history: producer 2 commits instead.
    s.next = 5;
    await follow(o.log, s.marker(2, COMMIT));
    assert.equal([o.log.lastStableOffset, o.log.highWatermark], [6, 6]);
    assert.equal(await readCommitted(o.log, 0), { offsets: [0, 1, 3, 4], aborted: [[1, 0]] });
    const crashed = await o.reopen(false);
    assert.equal(await readCommitted(crashed, 0), { offsets: [0, 1, 3, 4], aborted: [[1, 0]] }, 'and so after a crash');
    await crashed.truncateTo(2);
    assert.equal([crashed.lastStableOffset, crashed.highWatermark], [0, 2]);
    assert.is(await txnIndexFile(o.dir, 0), null);
    await crashed.truncateFullyAndStartAt(100);
    assert.equal([crashed.lastStableOffset, crashed.highWatermark], [100, 100]);
    assert.equal((await readdir(o.dir)).filter((n) => n.endsWith('.txnindex')), []);
  });
});

test('retention deletes a .txnindex with its segment; a log start past an open transaction is the last stable offset', async () => {
  await withLog({ segmentBytes: 300 }, async ({ log, dir }) => {
    const s = new Source();
    await follow(log, s.data(1, 1), s.marker(1, ABORT));
    while (log.segmentCount < 4) await follow(log, s.plain(3));
    assert.equal((await readdir(dir)).filter((n) => n.endsWith('.txnindex')), [txnIndexName(0)], 'written as its segment rolled');
    const bases = (await readdir(dir)).filter((n) => n.endsWith('.log')).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
    // Inside a plain batch of the third segment: the first two segments go, with the .txnindex.
    assert.ok((await log.deleteRecordsBefore(bases[2]! + 1)).ok);
    assert.is(log.segmentCount, bases.length - 2);
    assert.equal((await readdir(dir)).filter((n) => n.endsWith('.txnindex')), []);
  });
  await withLog({ segmentBytes: 300 }, async (o) => {
    const s = new Source();
    await follow(o.log, s.plain(1), s.data(2, 1));
    while (o.log.segmentCount < 3) await follow(o.log, s.plain(3));
    const bases = (await readdir(o.dir)).filter((n) => n.endsWith('.log')).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
    const start = bases[1]! + 1;
    assert.ok((await o.log.deleteRecordsBefore(start)).ok);
    // Producer 2's transaction, open since 1, is still open: Kafka keeps it, and the LSO stops at the log start.
    assert.equal([o.log.logStartOffset, o.log.lastStableOffset], [start, start]);
    assert.equal(await readCommitted(o.log, start), { offsets: [], aborted: [] }, 'the batch holding the log start waits');
    // Reopened without the log start checkpoint a broker keeps, the log starts at its first segment.
    const log = await o.reopen(true);
    assert.equal([log.logStartOffset, log.lastStableOffset], [bases[1], bases[1]]);
    await follow(log, s.marker(2, ABORT));
    assert.is(log.lastStableOffset, log.highWatermark);
    const read = await readCommitted(log, start);
    assert.equal(read.aborted, [[2, 1]]);
    assert.ok(read.offsets.includes(start));
  });
});

test('a producer with a transaction open is not expired', async () => {
  await withLog({}, async ({ log }) => {
    const s = new Source();
    await follow(log, s.data(1, 2), s.data(2, 1, false));
    // Past producer.id.expiration.ms (a day), within retention.ms (a week).
    await log.applyRetention(NOW + 2 * 86_400_000);
    assert.is(log.lastStableOffset, 0);
    // Producer 2 was forgotten: any sequence is a fresh start for it.
    const fresh = await log.appendAsLeader(batch(['p2 again'], { producerId: 2, producerEpoch: 0, baseSequence: 40 }), { leaderEpoch: 1, now: NOW });
    assert.ok(fresh.ok);
    s.next = log.logEndOffset;
    await follow(log, s.marker(1, ABORT));
    assert.equal(await readCommitted(log, 0), { offsets: [0, 1, 2, 3], aborted: [[1, 0]] });
  });
});

test('a damaged .txnindex is rebuilt at start-up, and a log without any (or its snapshots) gets them from its batches', async () => {
  await withLog({ segmentBytes: 400 }, async (o) => {
    const s = new Source();
    for (let i = 0; i < 6; i++) await follow(o.log, s.data(i, 2), s.plain(2), s.marker(i, i % 2 ? COMMIT : ABORT), s.data(100 + i, 1), s.marker(100 + i, ABORT));
    assert.ok(o.log.segmentCount > 2);
    const all = await readAllCommitted(o.log);
    assert.ok(all.some((r) => r.aborted.length > 0));
    await o.log.close();
    const names = async () => (await readdir(o.dir)).filter((n) => n.endsWith('.txnindex')).sort();
    const indexed = await names();
    assert.ok(indexed.length > 1);
    const before = new Map(await Promise.all(indexed.map(async (n) => [n, await readFile(join(o.dir, n))] as const)));

    await appendFile(join(o.dir, indexed[0]!), Buffer.alloc(5, 0xff));
    let log = await o.reopen(true);
    assert.is(o.warnings.length, 1, o.warnings.join('; '));
    assert.match(o.warnings[0]!, /rebuilding the transaction index/);
    await log.close();
    for (const n of indexed) assert.ok((await readFile(join(o.dir, n))).equals(before.get(n)!), `${n} rebuilt as it was`);

    // As left by a version that kept no transaction index: no .txnindex, no snapshot it can read.
    for (const n of await readdir(o.dir)) if (n.endsWith('.txnindex') || n.endsWith('.snapshot')) await unlink(join(o.dir, n));
    log = await o.reopen(true);
    assert.equal(await readAllCommitted(log), all);
    await log.close();
    assert.equal(await names(), indexed);
    for (const n of indexed) assert.ok((await readFile(join(o.dir, n))).equals(before.get(n)!), `${n} built from the batches`);
  });
});

test.run();
