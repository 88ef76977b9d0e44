// kafkajs 2.2.4 transactions against outpost's transaction coordinator: committed and aborted
// transactions as read_committed and read_uncommitted consumers see them, offsets committed in a
// transaction (sendOffsets), a second producer of the same transactional id fencing the first, a
// transaction left open aborted at its timeout, and all of it after a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

let broker: TestBroker;

const kafka = () => new Kafka({ clientId: 'kafkajs-txn', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 100 } });

test.before(async () => {
  broker = await startOutpost({
    configs: {
      'transaction.abort.timed.out.transaction.cleanup.interval.ms': '200', 'offsets.topic.num.partitions': '3', 'transaction.state.log.num.partitions': '3',
      'group.initial.rebalance.delay.ms': '0',
    },
  });
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'txn', numPartitions: 2 }, { topic: 'out', numPartitions: 1 }, { topic: 'slow', numPartitions: 1 }] });
  await admin.disconnect();
});

test.after(async () => {
  await broker.destroy();
});

/**
 * Every record of `topic` a consumer reads, as partition:value, in each partition's order: once
 * `expected` have come, it reads on for a moment to catch any record too many.
 */
async function readAll(topic: string, readUncommitted: boolean, expected: number): Promise<string[]> {
  const consumer = kafka().consumer({ groupId: `reader-${topic}-${readUncommitted}-${Math.random()}`, readUncommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: string[] = [];
  let assigned = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (assigned = true));
  try {
    await consumer.run({ eachMessage: async ({ partition, message }) => void got.push(`${partition}:${message.value!.toString()}`) });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !(assigned && got.length >= expected)) await new Promise((r) => setTimeout(r, 50));
    // Longer when nothing is expected: the first fetch must have come back empty.
    await new Promise((r) => setTimeout(r, expected === 0 ? 1500 : 500));
  } finally {
    await consumer.disconnect();
  }
  assert.ok(got.length <= expected, `more than ${expected} records: ${got.join(' ')}`);
  return got.sort();
}

/** The partitions' last stable offsets: kafkajs lists offsets as a read_committed reader sees them. */
async function stableOffsets(topic: string): Promise<number[]> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((o) => Number(o.high));
  } finally {
    await admin.disconnect();
  }
}

test('committed transactions are read, aborted ones only by read_uncommitted; each ends with a marker', async () => {
  const producer = kafka().producer({ transactionalId: 'writer', maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  try {
    const commit = await producer.transaction();
    await commit.send({ topic: 'txn', messages: [{ value: 'c1', partition: 0 }, { value: 'c2', partition: 1 }, { value: 'c3', partition: 0 }] });
    await commit.commit();
    const abort = await producer.transaction();
    await abort.send({ topic: 'txn', messages: [{ value: 'a1', partition: 0 }, { value: 'a2', partition: 1 }] });
    await abort.abort();
  } finally {
    await producer.disconnect();
  }
  // p0: c1 c3 COMMIT a1 ABORT; p1: c2 COMMIT a2 ABORT.
  assert.equal(await stableOffsets('txn'), [5, 4]);
  assert.equal(await readAll('txn', false, 3), ['0:c1', '0:c3', '1:c2']);
  assert.equal(await readAll('txn', true, 5), ['0:a1', '0:c1', '0:c3', '1:a2', '1:c2']);
});

test('offsets sent in a transaction take effect when it commits, never when it aborts', async () => {
  const producer = kafka().producer({ transactionalId: 'relay', maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  const admin = kafka().admin();
  await admin.connect();
  try {
    const t1 = await producer.transaction();
    await t1.send({ topic: 'out', messages: [{ value: 'x' }] });
    await t1.sendOffsets({ consumerGroupId: 'relay-group', topics: [{ topic: 'txn', partitions: [{ partition: 0, offset: '2' }] }] });
    await t1.commit();
    const t2 = await producer.transaction();
    await t2.send({ topic: 'out', messages: [{ value: 'y' }] });
    await t2.sendOffsets({ consumerGroupId: 'relay-group', topics: [{ topic: 'txn', partitions: [{ partition: 0, offset: '4' }] }] });
    await t2.abort();
    const offsets = await admin.fetchOffsets({ groupId: 'relay-group', topics: ['txn'] });
    assert.equal(offsets[0]!.partitions.find((p) => p.partition === 0)!.offset, '2');
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
  assert.equal(await readAll('out', false, 1), ['0:x']);
});

test('a new producer of the same transactional id fences the old one and aborts its open transaction', async () => {
  const first = kafka().producer({ transactionalId: 'shared', maxInFlightRequests: 1, idempotent: true });
  const second = kafka().producer({ transactionalId: 'shared', maxInFlightRequests: 1, idempotent: true });
  await first.connect();
  let stale: Producer | null = first;
  try {
    const open = await first.transaction();
    await open.send({ topic: 'out', messages: [{ value: 'zombie' }] });
    await second.connect();
    // kafkajs asks for its producer id and epoch (InitProducerId) as its first transaction begins.
    const t = await second.transaction();
    const err = await open.commit().catch((e: Error & { type?: string }) => e);
    assert.instance(err, Error, 'the fenced producer cannot commit');
    // kafkajs speaks EndTxn v1, before PRODUCER_FENCED: it is told INVALID_PRODUCER_EPOCH, as Kafka tells it.
    assert.match(String((err as { type?: string }).type ?? (err as Error).message), /INVALID_PRODUCER_EPOCH/);
    await first.disconnect();
    stale = null;
    await t.send({ topic: 'out', messages: [{ value: 'live' }] });
    await t.commit();
  } finally {
    await stale?.disconnect();
    await second.disconnect();
  }
  assert.equal(await readAll('out', false, 2), ['0:live', '0:x']);
});

test('a transaction open past its timeout is aborted, so read_committed readers go on', async () => {
  const producer = kafka().producer({ transactionalId: 'sleepy', maxInFlightRequests: 1, idempotent: true, transactionTimeout: 1000 });
  await producer.connect();
  try {
    const t = await producer.transaction();
    await t.send({ topic: 'slow', messages: [{ value: 'never' }] });
    assert.equal(await stableOffsets('slow'), [0], 'the open transaction holds the last stable offset');
    await new Promise((r) => setTimeout(r, 2000));
    // The abort's marker is in the log (record 0, marker 1), and the producer is fenced.
    assert.equal(await stableOffsets('slow'), [2]);
    const err = await t.commit().catch((e: Error) => e);
    assert.instance(err, Error);
  } finally {
    await producer.disconnect();
  }
  assert.equal(await readAll('slow', false, 0), []);
});

test('transactional ids and pending state survive a restart; an id taken up again gets the next epoch', async () => {
  const init = async () => {
    const c = await KafkaConnection.open('127.0.0.1', broker.port);
    try {
      return await c.request('InitProducerId', 4, { transactionalId: 'writer', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    } finally {
      c.close();
    }
  };
  const before = await init();
  assert.is(before.errorCode, 0);
  broker = await broker.restart();
  const after = await init();
  assert.is(after.errorCode, 0);
  assert.is(after.producerId, before.producerId);
  assert.is(after.producerEpoch, before.producerEpoch + 1);
  assert.equal(await readAll('txn', false, 3), ['0:c1', '0:c3', '1:c2']);
});

test.run();
