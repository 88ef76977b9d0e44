// The Java clients (Kafka 4.4.0) against outpost as their group coordinator: KafkaConsumer with
// the classic protocol under an eager and a cooperative assignor; group.protocol=consumer
// (KIP-848) with two members then one; and kafka-consumer-groups --list, --describe,
// --reset-offsets and --delete. Needs Java: without it these fail, they do not skip.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { javaClient, javaTool, jsonLines } from '../peers/kafka.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { waitFor } from '../link/support.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

let broker: TestBroker;
let kafka: Kafka;

test.before(async () => {
  broker = await startOutpost({
    configs: { 'group.min.session.timeout.ms': '1000', 'group.initial.rebalance.delay.ms': '1500', 'offsets.topic.num.partitions': '4',
      // KIP-848 members heartbeat every half second, so that joins and leaves settle quickly.
      'group.consumer.heartbeat.interval.ms': '500', 'group.consumer.min.heartbeat.interval.ms': '500',
    },
  });
  kafka = new Kafka({ clientId: 'java-groups-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});

test.after(async () => {
  await broker.destroy();
});

async function createAndFill(topic: string, partitions: number, count: number): Promise<void> {
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ partition: i % partitions, value: `${topic}-${i}` })) });
  } finally {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
}

interface Consumed {
  partition: number;
  offset: number;
  value: string;
}

/** Two KafkaConsumers of one group, started together, each reading until its partitions' ends. */
async function twoConsumers(group: string, topic: string, strategy: string): Promise<Consumed[][]> {
  const run = () =>
    javaClient('ConsumeRecords', [
      '--bootstrap', broker.bootstrap, '--topic', topic, '--group', group, '--to-end', 'true', '--commit', 'true', '--timeout-ms', '30000',
      '--prop', `partition.assignment.strategy=${strategy}`, '--prop', 'group.protocol=classic', '--prop', 'session.timeout.ms=6000',
    ]);
  const results = await Promise.all([run(), run()]);
  for (const r of results) assert.is(r.code, 0, r.stderr);
  return results.map((r) => jsonLines<Consumed>(r.stdout));
}

for (const [name, strategy] of [
  ['eager (range)', 'org.apache.kafka.clients.consumer.RangeAssignor'],
  ['cooperative-sticky', 'org.apache.kafka.clients.consumer.CooperativeStickyAssignor'],
]) {
  test(`KafkaConsumer, classic protocol, ${name}: two members read every record exactly once`, async () => {
    const topic = `java-${strategy.includes('Cooperative') ? 'coop' : 'eager'}`;
    await createAndFill(topic, 4, 80);
    const [a, b] = await twoConsumers(`${topic}-group`, topic, strategy);
    const all = [...a!, ...b!];
    assert.ok(a!.length > 0 && b!.length > 0, `both members got partitions: ${a!.length} + ${b!.length}`);
    assert.is(all.length, 80, `read ${a!.length} + ${b!.length}`);
    assert.is(new Set(all.map((r) => `${r.partition}:${r.offset}`)).size, 80, 'no record twice');
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: `${topic}-group`, topics: [topic] });
      assert.equal(committed!.partitions.map((p) => p.offset), ['20', '20', '20', '20']);
    } finally {
      await admin.disconnect();
    }
  });
}

/** Each member's assigned partitions of the consumer-protocol group, as ConsumerGroupDescribe gives them. */
async function members(group: string): Promise<number[][]> {
  const conn = await KafkaConnection.open('127.0.0.1', broker.port, { clientId: 'describe' });
  try {
    await conn.negotiate();
    const r = await conn.request('ConsumerGroupDescribe', 0, { groupIds: [group], includeAuthorizedOperations: false });
    const g = r.groups[0];
    if (g.errorCode !== 0) return [];
    return g.members.map((m: any) => m.assignment.topicPartitions.flatMap((t: any) => t.partitions).sort((a: number, b: number) => a - b)).sort((a: number[], b: number[]) => (a[0] ?? 99) - (b[0] ?? 99));
  } finally {
    conn.close();
  }
}

test('group.protocol=consumer (KIP-848): a second member takes half the partitions; when it leaves, the first gets them back; every record read', async () => {
  await createAndFill('java-new-protocol', 4, 400);
  const member = (ms: number) => javaClient('ConsumeRecords', [
    '--bootstrap', broker.bootstrap, '--topic', 'java-new-protocol', '--group', 'new-protocol', '--max', '100000', '--timeout-ms', String(ms),
    '--prop', 'group.protocol=consumer', '--prop', 'auto.commit.interval.ms=200',
  ]);
  const first = member(20_000);
  await waitFor('the first member to own every partition', async () => JSON.stringify(await members('new-protocol')) === '[[0,1,2,3]]' || false);
  const second = member(8_000);
  const split = await waitFor('two members with two partitions each', async () => {
    const m = await members('new-protocol');
    return m.length === 2 && m.every((ps) => ps.length === 2) && m;
  });
  assert.equal(split.flat().sort(), [0, 1, 2, 3], 'every partition once');
  const left = await second;
  await waitFor('the first member to own every partition again', async () => JSON.stringify(await members('new-protocol')) === '[[0,1,2,3]]' || false);
  const tool = await consumerGroups(['--describe', '--group', 'new-protocol', '--members']);
  assert.is(tool.code, 0, tool.stderr);
  assert.match(tool.stdout, /new-protocol\s+\S+\s+\S+\s+\S+\s+4\b/, tool.stdout);
  const stayed = await first;
  const read = [...jsonLines<Consumed>(stayed.stdout), ...jsonLines<Consumed>(left.stdout)];
  const seen = new Set(read.map((r) => `${r.partition}:${r.offset}`));
  assert.is(seen.size, 400, 'every record read by one member or the other');
});

const consumerGroups = (args: string[]) => javaTool('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', ['--bootstrap-server', broker.bootstrap, ...args]);

/** The rows of a --describe table, as objects keyed by its header. */
function table(stdout: string): Record<string, string>[] {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const headerAt = lines.findIndex((l) => l.startsWith('GROUP'));
  const header = lines[headerAt]!.split(/\s+/);
  return lines.slice(headerAt + 1).map((l) => Object.fromEntries(l.split(/\s+/).map((v, i) => [header[i], v])));
}

test('kafka-consumer-groups lists, describes, resets the offsets of and deletes a group', async () => {
  await createAndFill('tool-topic', 2, 10);
  const consumer: Consumer = kafka.consumer({ groupId: 'tool-group', sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  let read = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: 'tool-topic', fromBeginning: true });
  await consumer.run({ eachMessage: async () => void read++ });
  try {
    const deadline = Date.now() + 20_000;
    while (read < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.commitOffsets([{ topic: 'tool-topic', partition: 0, offset: '5' }, { topic: 'tool-topic', partition: 1, offset: '4' }]);

    const list = await consumerGroups(['--list']);
    assert.is(list.code, 0, list.stderr);
    assert.ok(list.stdout.split('\n').includes('tool-group'), list.stdout);

    const described = await consumerGroups(['--describe', '--group', 'tool-group']);
    assert.is(described.code, 0, described.stderr);
    const rows = table(described.stdout).sort((x, y) => Number(x.PARTITION) - Number(y.PARTITION));
    assert.equal(rows.map((r) => [r.PARTITION, r['CURRENT-OFFSET'], r['LOG-END-OFFSET'], r.LAG]), [['0', '5', '5', '0'], ['1', '4', '5', '1']]);
    assert.ok(rows.every((r) => r.HOST === '/127.0.0.1' && r['CLIENT-ID'] === 'java-groups-test' && r['CONSUMER-ID']!.startsWith('java-groups-test-')), described.stdout);

    const state = await consumerGroups(['--describe', '--group', 'tool-group', '--state']);
    assert.match(state.stdout, /tool-group\s+127\.0\.0\.1:\d+\s+\(1\)\s+RoundRobinAssigner\s+Stable\s+1/, state.stdout);

    // Offsets may only be reset while nobody consumes.
    const refused = await consumerGroups(['--reset-offsets', '--group', 'tool-group', '--topic', 'tool-topic', '--to-earliest', '--execute']);
    assert.match(refused.stdout + refused.stderr, /can only be reset if the group 'tool-group' is inactive, but the current state is Stable/);
  } finally {
    await consumer.disconnect();
  }
  const reset = await consumerGroups(['--reset-offsets', '--group', 'tool-group', '--topic', 'tool-topic:1', '--to-offset', '2', '--execute']);
  assert.is(reset.code, 0, reset.stderr);
  const after = await consumerGroups(['--describe', '--group', 'tool-group']);
  assert.match(after.stderr, /Consumer group 'tool-group' has no active members/);
  const rows = table(after.stdout).sort((x, y) => Number(x.PARTITION) - Number(y.PARTITION));
  assert.equal(rows.map((r) => [r.PARTITION, r['CURRENT-OFFSET']]), [['0', '5'], ['1', '2']]);

  const deleted = await consumerGroups(['--delete', '--group', 'tool-group']);
  assert.match(deleted.stdout, /Deletion of requested consumer groups \('tool-group'\) was successful/, deleted.stdout + deleted.stderr);
  const listed = await consumerGroups(['--list']);
  assert.not.ok(listed.stdout.split('\n').includes('tool-group'));
});

test.run();
