// Transactions from the Java clients, differential against a real Kafka of the same release: 4.4.0
// (transaction version 2 against both brokers: partitions added by Produce v12+, the epoch bumped
// at each EndTxn v5), and in the compatibility run 3.9.1 (version 1: AddPartitionsToTxn, no bumps).
// The same transactional producer runs committed, aborted and open
// transactions on both, and the logs must agree batch by batch (offsets, markers, their epochs),
// as must the last stable offsets, the aborted-transaction lists read_committed fetches get, what
// a read_committed consumer reads, and what `kafka-transactions` lists, describes and aborts.
// Needs Java: without it these fail, they do not skip.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchHeader, iterateBatches } from '../../protocol/records/batch.js';
import { controlRecordType } from '../../protocol/records/control.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { javaClient, javaTool, jsonLines, kafkaTopics, startKafka, type KafkaPeer } from '../peers/kafka.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

let kafka: KafkaPeer;
let outpost: TestBroker;
let scratch: string;

test.before(async () => {
  [kafka, outpost] = await Promise.all([startKafka(), startOutpost()]);
  scratch = await mkdtemp(join(tmpdir(), 'outpost-txn-java-'));
});

test.after(async () => {
  await Promise.all([kafka?.stop(), outpost?.destroy(), scratch && rm(scratch, { recursive: true, force: true })]);
});

const sides = () => [{ name: 'kafka', port: kafka.port }, { name: 'outpost', port: outpost.port }] as const;
const bootstrapOf = (port: number) => `127.0.0.1:${port}`;

async function withConnection<T>(port: number, fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
  const c = await KafkaConnection.open('127.0.0.1', port, { clientId: 'txn-differential' });
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

function produce(port: number, topic: string, partition: number, count: number, txn: 'commit' | 'abort', extra: string[] = []) {
  return javaClient('ProduceRecords', [
    '--bootstrap', bootstrapOf(port), '--topic', topic, '--partition', String(partition), '--count', String(count), '--value-prefix', `${txn}-`,
    '--prop', 'transactional.id=java-writer', '--prop', 'acks=all', '--txn', txn, ...extra,
  ]);
}

async function offsets(c: KafkaConnection, topic: string, partitionIndex: number, isolationLevel: 0 | 1): Promise<number> {
  const r = await c.request('ListOffsets', 9, { replicaId: -1, isolationLevel, timeoutMs: 10_000, topics: [{ name: topic, partitions: [{ partitionIndex, currentLeaderEpoch: -1, timestamp: -1 }] }] });
  return Number(r.topics[0].partitions[0].offset);
}

async function fetchFrom(c: KafkaConnection, topic: string, partition: number, isolationLevel: 0 | 1) {
  const r = await c.request('Fetch', 12, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 50 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
    topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
  });
  return r.responses[0].partitions[0];
}

/**
 * A partition as both brokers must agree on it: its batches (offsets, producer epoch, whether it is
 * transactional or a marker and which), the high watermark, the last stable offset and the
 * aborted transactions a read_committed fetch lists. Producer ids, each broker's own, are
 * numbered in order of appearance.
 */
async function view(port: number, topic: string, partition: number) {
  return withConnection(port, async (c) => {
    const ids = new Map<string, number>();
    const id = (pid: unknown) => {
      const k = String(pid);
      if (!ids.has(k)) ids.set(k, ids.size);
      return ids.get(k)!;
    };
    const uncommitted = await fetchFrom(c, topic, partition, 0);
    const buf = Buffer.concat([uncommitted.records ?? Buffer.alloc(0)].flat());
    const batches: { offsets: number[]; producer: number | null; epoch: number; transactional: boolean; marker: string | null }[] = [];
    for (const { pos } of iterateBatches(buf)) {
      const h = new BatchHeader(buf, pos);
      const b = {
        offsets: [h.baseOffset, h.lastOffset], producer: h.producerId < 0 ? null : id(h.producerId), epoch: h.producerEpoch, transactional: h.isTransactional,
        marker: h.isControl ? (controlRecordType(buf, pos) === 1 ? 'COMMIT' : 'ABORT') : null,
      };
      // How a producer splits its records into batches is its timing, not the broker's: adjacent
      // data batches of one producer and epoch are compared as one run of offsets.
      const last = batches.at(-1);
      if (last && !b.marker && !last.marker && last.producer === b.producer && last.epoch === b.epoch && last.offsets[1]! + 1 === h.baseOffset) last.offsets[1] = h.lastOffset;
      else batches.push(b);
    }
    const committed = await fetchFrom(c, topic, partition, 1);
    const aborted = (committed.abortedTransactions ?? []).map((a: { producerId: unknown; firstOffset: unknown }) => ({ producer: id(a.producerId), firstOffset: Number(a.firstOffset) }));
    return { batches, highWatermark: await offsets(c, topic, partition, 0), lastStableOffset: await offsets(c, topic, partition, 1), aborted };
  });
}

async function bothSame<T>(what: string, fn: (port: number, name: string) => Promise<T>): Promise<T> {
  const [k, o] = await Promise.all(sides().map((s) => fn(s.port, s.name)));
  assert.equal(o, k, `${what}: outpost differs from Kafka`);
  return o!;
}

async function waitUntil(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const transactionsTool = (port: number, args: string[]) => javaTool('org.apache.kafka.tools.TransactionsCommand', ['--bootstrap-server', bootstrapOf(port), ...args]);

test('committed, aborted and open transactions: the same batches, markers, LSO and aborted lists as Kafka', async () => {
  await bothSame('create', async (port) => (await kafkaTopics({ bootstrap: bootstrapOf(port) }, ['--create', '--topic', 'tx', '--partitions', '2', '--replication-factor', '1'])).code);
  // Sequentially on each broker, the two in parallel.
  await bothSame('the three transactions', async (port) => {
    const results = [];
    for (const [partition, count, txn] of [[0, 6, 'commit'], [1, 4, 'abort'], [1, 3, 'commit']] as const) {
      const r = await produce(port, 'tx', partition, count, txn);
      assert.is(r.code, 0, r.stderr);
      results.push(jsonLines<{ partition: number; offset: number }>(r.stdout).map((l) => `${l.partition}@${l.offset}`));
    }
    return results;
  });
  for (const p of [0, 1]) await bothSame(`partition ${p}`, (port) => view(port, 'tx', p));

  // A transaction left open: it holds the LSO back; kafka-transactions lists and describes it.
  const open = await bothSame('an open transaction', async (port, name) => {
    const signal = join(scratch, `end-${name}`);
    const running = produce(port, 'tx', 0, 2, 'commit', ['--end-txn-when', signal]);
    await withConnection(port, (c) => waitUntil('the open transaction\'s records', async () => (await offsets(c, 'tx', 0, 0)) === 9));
    const during = await view(port, 'tx', 0);
    const listed = await transactionsTool(port, ['list']);
    assert.is(listed.code, 0, listed.stderr);
    const described = await transactionsTool(port, ['describe', '--transactional-id', 'java-writer']);
    assert.is(described.code, 0, described.stderr);
    await writeFile(signal, '');
    const ended = await running;
    assert.is(ended.code, 0, ended.stderr);
    assert.ok(existsSync(signal));
    // TransactionalId Coordinator ProducerId TransactionState: the id and coordinator port differ.
    const listRow = listed.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)).map(([id, , , state]) => ({ id, state }));
    // CoordinatorId TransactionalId ProducerId ProducerEpoch TransactionState CurrentTransactionTimeoutMs
    // TransactionStartTimeMs TransactionDurationMs TopicPartitions: the times and id differ.
    const d = described.stdout.trim().split('\n')[1]!.trim().split(/\s+/);
    return { during, listRow, described: { coordinator: d[0], id: d[1], epoch: d[3], state: d[4], timeoutMs: d[5], partitions: d[8] } };
  });
  assert.is(open.during.lastStableOffset, 7, 'the LSO stops at the open transaction');
  assert.equal(open.listRow, [{ id: 'java-writer', state: 'Ongoing' }]);
  for (const p of [0, 1]) await bothSame(`partition ${p} after the open one committed`, (port) => view(port, 'tx', p));

  await bothSame('a read_committed consumer', async (port) => {
    const r = await javaClient('ConsumeRecords', ['--bootstrap', bootstrapOf(port), '--topic', 'tx', '--to-end', 'true', '--prop', 'isolation.level=read_committed']);
    assert.is(r.code, 0, r.stderr);
    return jsonLines<{ partition: number; offset: number; value: string }>(r.stdout).map((l) => `${l.partition}@${l.offset}=${l.value}`).sort();
  });
});

test('kafka-transactions find-hanging and abort end a transaction whose producer went away', async () => {
  await bothSame('create', async (port) => (await kafkaTopics({ bootstrap: bootstrapOf(port) }, ['--create', '--topic', 'hang', '--partitions', '1', '--replication-factor', '1'])).code);
  const hanging = await bothSame('a hanging transaction', async (port, name) => {
    // The producer is killed with its transaction open (its records acknowledged, no marker).
    const signal = join(scratch, `never-${name}`);
    const running = javaClient('ProduceRecords', [
      '--bootstrap', bootstrapOf(port), '--topic', 'hang', '--partition', '0', '--count', '3',
      '--prop', `transactional.id=hanger-${name}`, '--prop', 'transaction.timeout.ms=900000', '--end-txn-when', signal,
    ], { timeoutMs: 8_000 });
    await withConnection(port, (c) => waitUntil('the hanging records', async () => (await offsets(c, 'hang', 0, 0)) === 3));
    const killed = await running;
    assert.ok(killed.timedOut, 'the producer was killed with its transaction open');
    const before = await view(port, 'hang', 0);
    const found = await transactionsTool(port, ['find-hanging', '--broker-id', '1', '--max-transaction-timeout', '0']);
    assert.is(found.code, 0, found.stderr);
    const aborted = await transactionsTool(port, ['abort', '--topic', 'hang', '--partition', '0', '--start-offset', '0']);
    assert.is(aborted.code, 0, aborted.stderr);
    // Topic Partition ProducerId ProducerEpoch CoordinatorEpoch StartOffset LastTimestamp Duration(min)
    const hangingRows = found.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)).map(([topic, partition, , , , start]) => ({ topic, partition, start }));
    return { before, hangingRows, after: await view(port, 'hang', 0) };
  });
  assert.is(hanging.before.lastStableOffset, 0);
  assert.is(hanging.after.lastStableOffset, 4, 'the abort marker ends it');
});

test.run();
