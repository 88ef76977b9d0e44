// Requests that once took the whole broker down or lost committed data, each answered now as
// Kafka answers it, or with the one connection closed, while a witness on another connection
// keeps being served. The broker runs in this process: had a request thrown out of the request
// path, the test process itself would have died.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { api } from '../../protocol/apis.js';
import { encodeRequest } from '../../protocol/frames.js';
import { buildBatch } from '../../protocol/records/records.js';
import { ConnectionClosed, KafkaConnection } from '../../src/client/kafka-connection.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

const LONG_MAX = 2 ** 63; // Long.MAX as a JS number reads

let broker: TestBroker;
let witness: KafkaConnection;

async function open(clientId?: string): Promise<KafkaConnection> {
  const c = await KafkaConnection.open('127.0.0.1', broker.port, clientId === undefined ? {} : { clientId });
  await c.negotiate();
  return c;
}

async function createTopic(c: KafkaConnection, name: string, configs: Record<string, string> = {}, numPartitions = 1): Promise<any> {
  const res = await c.request('CreateTopics', 7, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  return res.topics[0];
}

async function produce(c: KafkaConnection, topic: string, timestamp: number, acks = -1): Promise<any> {
  const records = buildBatch({ records: [{ key: null, value: Buffer.from('v'), timestamp }], now: Date.now() });
  const res = await c.request('Produce', 9, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return res.responses[0].partitionResponses[0];
}

/** A commit of one partition's offset outside any generation (as by an assign() consumer); its error code. */
async function commit(c: KafkaConnection, groupId: string, topic: string, offset: number, metadata = ''): Promise<number> {
  const res = await c.request('OffsetCommit', 8, {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: metadata }] }],
  });
  return res.topics[0].partitions[0].errorCode;
}

async function committed(c: KafkaConnection, groupId: string, topic: string): Promise<number> {
  const res = await c.request('OffsetFetch', 8, { groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [0] }] }], requireStable: false });
  return res.groups[0].topics[0].partitions[0].committedOffset;
}

async function witnessServed(label: string): Promise<void> {
  const md = await witness.request('Metadata', 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  assert.ok(md.brokers.length === 1, `witness served after ${label}`);
}

async function restart(): Promise<void> {
  witness.close();
  broker = await broker.restart();
  witness = await open();
}

test.before(async () => {
  broker = await startOutpost();
  witness = await open();
});

test.after(async () => {
  witness.close();
  await broker.destroy();
});

test('Metadata v10 and v11 with a null topic name: INVALID_REQUEST, as Kafka answers it', async () => {
  const c = await open();
  for (const version of [10, 11]) {
    const res = await c.request('Metadata', version, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: null }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.is(res.topics.length, 1);
    assert.is(res.topics[0].errorCode, 42, `v${version}: INVALID_REQUEST`);
    assert.is(res.topics[0].name, '');
  }
  c.close();
  await witnessServed('Metadata with a null name');
});

test('JoinGroup v0-v5 with a client id of 32,767 bytes: a member id that fits, and DescribeGroups answers', async () => {
  const c = await open('c'.repeat(32767));
  const res = await c.request('JoinGroup', 5, {
    groupId: 'long-client', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: null,
    protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
  });
  assert.is(res.errorCode, 79, 'MEMBER_ID_REQUIRED');
  assert.ok(res.memberId.length < 32767 && res.memberId.startsWith('ccc'));
  const v0 = await c.request('JoinGroup', 0, { groupId: 'long-client-v0', sessionTimeoutMs: 10000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
  assert.is(v0.errorCode, 0);
  const described = await witness.request('DescribeGroups', 0, { groups: ['long-client-v0'] });
  assert.is(described.groups[0].members.length, 1);
  assert.is(described.groups[0].members[0].clientId.length, 32767);
  c.close();
  await witnessServed('JoinGroup with a long client id');
});

test('names of 32,700 characters in CreateTopics v2-v4, DescribeConfigs v1-v3 and AlterConfigs v0-v1 are refused, not fatal', async () => {
  const c = await open();
  const name = 't'.repeat(32700);
  for (const version of [2, 3, 4]) {
    const res = await c.request('CreateTopics', version, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    assert.is(res.topics[0].errorCode, 17, `CreateTopics v${version}: INVALID_TOPIC_EXCEPTION`);
    assert.ok(res.topics[0].errorMessage === undefined || res.topics[0].errorMessage === null || res.topics[0].errorMessage.length <= 4096);
  }
  const longName = 'r'.repeat(32760);
  for (const version of [1, 2, 3]) {
    for (const resourceType of [2, 4]) {
      const res = await c.request('DescribeConfigs', version, { resources: [{ resourceType, resourceName: longName, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
      assert.is.not(res.results[0].errorCode, 0, `DescribeConfigs v${version} type ${resourceType}`);
    }
  }
  for (const version of [0, 1]) {
    for (const resourceType of [2, 4]) {
      const res = await c.request('AlterConfigs', version, { resources: [{ resourceType, resourceName: longName, configs: [{ name: 'retention.ms', value: '1' }] }], validateOnly: true });
      assert.is.not(res.responses[0].errorCode, 0, `AlterConfigs v${version} type ${resourceType}`);
    }
  }
  c.close();
  await witnessServed('long resource names');
});

test('a response that cannot be encoded closes only its own connection', async () => {
  // A group instance id of 40,000 bytes fits JoinGroup v6's compact strings, not DescribeGroups v4's.
  const c = await open();
  const res = await c.request('JoinGroup', 6, {
    groupId: 'long-instance', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: 'i'.repeat(40000),
    protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
  });
  assert.is(res.errorCode, 0);
  const err = await c.request('DescribeGroups', 4, { groups: ['long-instance'], includeAuthorizedOperations: false }).catch((e) => e);
  assert.instance(err, ConnectionClosed);
  await witnessServed('an unencodable response');
  const flexible = await witness.request('DescribeGroups', 5, { groups: ['long-instance'], includeAuthorizedOperations: false });
  assert.is(flexible.groups[0].members[0].groupInstanceId?.length, 40000);
});

test('a timestamp of Long.MAX is refused with INVALID_TIMESTAMP under the default message.timestamp.after.max.ms', async () => {
  const c = await open();
  assert.is((await createTopic(c, 'ts-default')).errorCode, 0);
  const r = await produce(c, 'ts-default', LONG_MAX);
  assert.is(r.errorCode, 32, 'INVALID_TIMESTAMP');
  assert.is(r.recordErrors.length, 1);
  assert.is(r.recordErrors[0].batchIndex, 0);
  assert.match(r.errorMessage, /invalid timestamp/);
  assert.is((await produce(c, 'ts-default', Date.now() - 86_400_000)).errorCode, 0, 'a day old is within before.max.ms (Long.MAX)');
  c.close();
});

test('a Long.MAX timestamp that a topic accepts is served by ListOffsets, also after a restart', async () => {
  // Allowed by the topic's config here; a mirror gets such batches from a source that allowed them.
  let c = await open();
  assert.is((await createTopic(c, 'ts-max', { 'message.timestamp.after.max.ms': '9223372036854775807' })).errorCode, 0);
  assert.is((await produce(c, 'ts-max', 1000)).errorCode, 0);
  assert.is((await produce(c, 'ts-max', LONG_MAX)).errorCode, 0);
  const check = async (conn: KafkaConnection) => {
    for (const timestamp of [0, 2000, -3]) {
      const res = await conn.request('ListOffsets', 10, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'ts-max', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }], timeoutMs: 1000 });
      const p = res.topics[0].partitions[0];
      assert.is(p.errorCode, 0);
      assert.is(p.offset, timestamp === 0 ? 0 : 1, `by timestamp ${timestamp}`);
      assert.is(p.timestamp, timestamp === 0 ? 1000 : LONG_MAX);
    }
  };
  await check(c);
  c.close();
  await restart();
  c = await open();
  await check(c);
  c.close();
});

test('OffsetCommit of offset Long.MAX is stored and fetched back as Long.MAX, across a restart', async () => {
  let c = await open();
  assert.is((await createTopic(c, 'commit-max')).errorCode, 0);
  assert.is(await commit(c, 'g-max', 'commit-max', LONG_MAX), 0);
  assert.is(await committed(c, 'g-max', 'commit-max'), LONG_MAX);
  c.close();
  await restart();
  c = await open();
  assert.is(await committed(c, 'g-max', 'commit-max'), LONG_MAX);
  c.close();
});

test('DeleteRecords on __consumer_offsets is refused and committed offsets survive a restart', async () => {
  let c = await open();
  assert.is((await createTopic(c, 'commit-keep')).errorCode, 0);
  assert.is(await commit(c, 'g-keep', 'commit-keep', 42, 'm'), 0);
  const partitions = Array.from({ length: 50 }, (_, i) => ({ partitionIndex: i, offset: -1 }));
  const res = await c.request('DeleteRecords', 2, { topics: [{ name: '__consumer_offsets', partitions }], timeoutMs: 1000 });
  for (const p of res.topics[0].partitions) assert.is(p.errorCode, 17, 'INVALID_TOPIC_EXCEPTION');
  c.close();
  await restart();
  c = await open();
  assert.is(await committed(c, 'g-keep', 'commit-keep'), 42);
  c.close();
});

test('DeleteTopics of __consumer_offsets: made anew at once, commits go on working', async () => {
  let c = await open();
  const del = await c.request('DeleteTopics', 6, { topics: [{ name: '__consumer_offsets', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 5000 });
  assert.is(del.responses[0].errorCode, 0);
  assert.is(await commit(c, 'g-after', 'commit-keep', 7), 0);
  assert.is(await committed(c, 'g-keep', 'commit-keep'), -1, 'the deleted topic took its offsets with it');
  c.close();
  await restart();
  c = await open();
  assert.is(await committed(c, 'g-after', 'commit-keep'), 7);
  c.close();
});

test('topics with names of 214 to 249 characters are deleted, and the broker starts again after more changes', async () => {
  let c = await open();
  for (const length of [214, 230, 249]) {
    const name = `${length}`.padEnd(length, 'x');
    assert.is((await createTopic(c, name, {}, 2)).errorCode, 0);
    const del = await c.request('DeleteTopics', 6, { topics: [{ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 5000 });
    assert.is(del.responses[0].errorCode, 0, `deleting a name of ${length}`);
  }
  assert.is((await createTopic(c, 'after-long-names')).errorCode, 0);
  c.close();
  await restart();
  c = await open();
  const md = await c.request('Metadata', 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const names = md.topics.map((t: any) => t.name);
  assert.ok(names.includes('after-long-names'));
  assert.not.ok(names.some((n: string) => n.length >= 214), 'no deleted topic came back');
  assert.not.ok(readdirSync(broker.dataDir).some((d) => d.length > 255));
  c.close();
});

test('CreateTopics and CreatePartitions of more than 10,000 partitions fail whole, as on Kafka, and administration goes on', async () => {
  const c = await open();
  for (const numPartitions of [1_000_000, 2 ** 31 - 1]) {
    const res = await c.request('CreateTopics', 7, { topics: [{ name: `huge-${numPartitions}`, numPartitions, replicationFactor: 1, assignments: [], configs: [] }, { name: 'small-beside', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    for (const t of res.topics) {
      assert.is(t.errorCode, 44, 'POLICY_VIOLATION');
      assert.is(t.errorMessage, 'Unable to perform excessively large batch operation.');
    }
  }
  assert.is((await createTopic(c, 'grow')).errorCode, 0);
  const grow = await c.request('CreatePartitions', 3, { topics: [{ name: 'grow', count: 2 ** 31 - 1, assignments: null }], timeoutMs: 1000, validateOnly: false });
  assert.is(grow.results[0].errorCode, 44);
  const ok = await c.request('CreatePartitions', 3, { topics: [{ name: 'grow', count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false });
  assert.is(ok.results[0].errorCode, 0);
  assert.is((await createTopic(c, 'small-beside')).errorCode, 0);
  const del = await c.request('DeleteTopics', 6, { topics: [{ name: 'small-beside', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 5000 });
  assert.is(del.responses[0].errorCode, 0);
  c.close();
});

test('a request announcing millions of elements closes its connection without taking the memory', async () => {
  const before = process.memoryUsage().rss;
  // DescribeGroups v5 (flexible): 10 MiB of one-byte group ids, five million of them.
  const count = 5_000_000;
  const head = encodeRequest(api('DescribeGroups'), 5, { correlationId: 1, clientId: 'x' }, { groups: [], includeAuthorizedOperations: false });
  const header = Buffer.concat(head).subarray(4, 4 + 2 + 2 + 4 + 2 + 1 + 1); // up to the header's tags
  const body: Buffer[] = [header];
  const countVarint: number[] = [];
  for (let v = count + 1; ; v = Math.floor(v / 128)) {
    if (v < 128) { countVarint.push(v); break; }
    countVarint.push((v & 0x7f) | 0x80);
  }
  body.push(Buffer.from(countVarint), Buffer.alloc(count * 2, Buffer.from([2, 0x61])), Buffer.from([0, 0]));
  const frame = Buffer.concat(body);
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  const c = await open();
  c.writeRaw(Buffer.concat([size, frame]));
  // Requests are answered in order: this one only once the one before is, and it never is.
  const err = await c.request('Metadata', 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }).catch((e) => e);
  assert.instance(err, ConnectionClosed);
  await witnessServed('a DescribeGroups of five million groups');
  assert.ok(process.memoryUsage().rss - before < 400 * 1024 * 1024, `rss grew by ${(process.memoryUsage().rss - before) >> 20} MiB`);
});

test('FindCoordinator v4 with two million keys closes its connection; with 1,000 it is answered', async () => {
  const c = await open();
  const keys = Array.from({ length: 2_000_000 }, (_, i) => `${i % 10}`);
  const err = await c.request('FindCoordinator', 4, { keyType: 0, coordinatorKeys: keys }).catch((e) => e);
  assert.instance(err, ConnectionClosed);
  await witnessServed('FindCoordinator of two million keys');
  const ok = await witness.request('FindCoordinator', 4, { keyType: 0, coordinatorKeys: keys.slice(0, 1000) });
  assert.is(ok.coordinators.length, 1000);
});

test('delete.topic.enable=false refuses DeleteTopics with TOPIC_DELETION_DISABLED and the topic stays', async () => {
  const other = await startOutpost({ configs: { 'delete.topic.enable': 'false' } });
  const c = await KafkaConnection.open('127.0.0.1', other.port);
  await c.negotiate();
  assert.is((await createTopic(c, 'kept')).errorCode, 0);
  const v6 = await c.request('DeleteTopics', 6, { topics: [{ name: 'kept', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], timeoutMs: 5000 });
  assert.is(v6.responses[0].errorCode, 73, 'TOPIC_DELETION_DISABLED');
  const v1 = await c.request('DeleteTopics', 1, { topicNames: ['kept'], timeoutMs: 5000 });
  assert.is(v1.responses[0].errorCode, 42, 'INVALID_REQUEST before v3, as from Kafka');
  const md = await c.request('Metadata', 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'kept' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  assert.is(md.topics[0].errorCode, 0);
  c.close();
  await other.destroy();
});

test('acks=all produce to a topic whose min.insync.replicas is above 1: NOT_ENOUGH_REPLICAS; acks=1 is accepted', async () => {
  const c = await open();
  assert.is((await createTopic(c, 'min-isr', { 'min.insync.replicas': '2' })).errorCode, 0);
  assert.is((await produce(c, 'min-isr', Date.now(), -1)).errorCode, 19, 'NOT_ENOUGH_REPLICAS');
  assert.is((await produce(c, 'min-isr', Date.now(), 1)).errorCode, 0);
  c.close();
});

test.run();
