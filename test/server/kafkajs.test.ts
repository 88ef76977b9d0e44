// kafkajs 2.2.4 against outpost: topic admin, idempotent produce, offsets, configs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { errorCode } from '../../protocol/errors.js';
import { buildBatch } from '../../protocol/records/records.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

let broker: TestBroker;
let kafka: Kafka;

test.before(async () => {
  broker = await startOutpost();
  kafka = new Kafka({ clientId: 'kafkajs-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
});

test.after(async () => {
  await broker.destroy();
});

test('creates, lists, describes and deletes topics', async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    assert.ok(await admin.createTopics({ topics: [{ topic: 'alpha', numPartitions: 3 }], waitForLeaders: true }));
    assert.not.ok(await admin.createTopics({ topics: [{ topic: 'alpha', numPartitions: 3 }] }), 'second create reports it existed');
    assert.ok((await admin.listTopics()).includes('alpha'));
    const meta = await admin.fetchTopicMetadata({ topics: ['alpha'] });
    assert.is(meta.topics[0]!.partitions.length, 3);
    await admin.createPartitions({ topicPartitions: [{ topic: 'alpha', count: 5 }] });
    const grown = await admin.fetchTopicMetadata({ topics: ['alpha'] });
    assert.is(grown.topics[0]!.partitions.length, 5);
    await admin.deleteTopics({ topics: ['alpha'] });
    assert.not.ok((await admin.listTopics()).includes('alpha'));
  } finally {
    await admin.disconnect();
  }
});

test('rejects bad topic creations with Kafka error codes', async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const err = await admin.createTopics({ topics: [{ topic: 'bad name!', numPartitions: 1 }] }).catch((e) => e);
    assert.is(err.errors?.[0]?.type ?? err.type, 'INVALID_TOPIC_EXCEPTION');
    const rf = await admin.createTopics({ topics: [{ topic: 'rf3', numPartitions: 1, replicationFactor: 3 }] }).catch((e) => e);
    assert.is(rf.errors?.[0]?.type ?? rf.type, 'INVALID_REPLICATION_FACTOR');
  } finally {
    await admin.disconnect();
  }
});

test('an idempotent producer appends at contiguous offsets; offsets and timestamps are listed', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 2 }] });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) {
      const res = await producer.send({ topic: 'idem', acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ partition: 0, key: `k${j}`, value: `v${i}-${j}`, timestamp: String(t0 + i * 1000) })) });
      assert.is(res[0]!.baseOffset, String(i * 10));
      assert.is(res[0]!.errorCode, 0);
    }
    const offsets = await admin.fetchTopicOffsets('idem');
    const p0 = offsets.find((o) => o.partition === 0)!;
    assert.equal([p0.low, p0.high], ['0', '50']);
    const byTime = await admin.fetchTopicOffsetsByTimestamp('idem', t0 + 2500);
    assert.is(byTime.find((o) => o.partition === 0)!.offset, '30');
    await admin.deleteTopicRecords({ topic: 'idem', partitions: [{ partition: 0, offset: '20' }] });
    const after = await admin.fetchTopicOffsets('idem');
    assert.is(after.find((o) => o.partition === 0)!.low, '20');
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});

test('describes and alters topic configs', async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'conf', configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'conf', configNames: ['retention.ms', 'cleanup.policy'] }] });
    const entries = described.resources[0]!.configEntries;
    assert.is(entries.find((e) => e.configName === 'retention.ms')!.configValue, '3600000');
    assert.is(entries.find((e) => e.configName === 'cleanup.policy')!.configValue, 'delete');
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'conf', configEntries: [{ name: 'retention.ms', value: '7200000' }] }] });
    const again = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'conf', configNames: ['retention.ms'] }] });
    assert.is(again.resources[0]!.configEntries[0]!.configValue, '7200000');
  } finally {
    await admin.disconnect();
  }
});

test('produce to an unknown topic fails with UNKNOWN_TOPIC_OR_PARTITION', async () => {
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  try {
    const err: any = await producer.send({ topic: 'nope', messages: [{ value: 'x' }] }).catch((e) => e);
    assert.ok(err instanceof Error);
    assert.match(String(err.message) + String((err as any).cause?.type ?? ''), /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION/);
  } finally {
    await producer.disconnect();
  }
});

test('a produce to the group coordinator topic is refused as Kafka refuses it', async () => {
  const conn = await KafkaConnection.open('127.0.0.1', broker.port);
  try {
    const records = buildBatch({ records: [{ key: null, value: Buffer.from('x') }] });
    const res = await conn.request('Produce', 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: '__consumer_offsets', partitionData: [{ index: 0, records }] }] });
    assert.is(res.responses[0].partitionResponses[0].errorCode, errorCode('INVALID_TOPIC_EXCEPTION'));
    const end = await conn.request('ListOffsets', 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: '__consumer_offsets', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] });
    assert.is(end.topics[0].partitions[0].offset, 0, 'nothing landed');
  } finally {
    conn.close();
  }
});

test.run();
