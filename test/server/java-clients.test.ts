// The Apache Kafka 4.4.0 Java clients and tools against outpost: kafka-topics, the console producer
// and consumer (by partition and offset: no consumer group), the idempotent Java producer and an
// assign-mode consumer with every codec, GetOffsetShell and DeleteRecordsCommand. Needs Java (and
// Maven on the first run, to fetch the jars): fails without them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { consoleProduce, javaClient, javaTool, jsonLines, kafkaTopics, type RunResult } from '../peers/kafka.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { storedBatches } from '../support/segments.js';

let broker: TestBroker;

test.before(async () => {
  broker = await startOutpost();
});

test.after(async () => {
  await broker?.destroy();
});

function ok(r: RunResult, what: string): string {
  assert.is(r.code, 0, `${what} failed (code ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

async function createTopic(name: string, partitions: number): Promise<void> {
  ok(await kafkaTopics(broker, ['--create', '--topic', name, '--partitions', String(partitions), '--replication-factor', '1']), `creating ${name}`);
}

function consoleConsumer(topic: string, partition: number, offset: string, maxMessages: number): Promise<RunResult> {
  return javaTool('org.apache.kafka.tools.consumer.ConsoleConsumer', [
    '--bootstrap-server', broker.bootstrap, '--topic', topic, '--partition', String(partition), '--offset', offset,
    '--max-messages', String(maxMessages), '--timeout-ms', '20000',
    '--formatter-property', 'print.partition=true', '--formatter-property', 'print.offset=true', '--formatter-property', 'print.headers=true', '--formatter-property', 'print.key=true',
  ]);
}

async function topicIdOf(name: string): Promise<string> {
  const conn = await KafkaConnection.open('127.0.0.1', broker.port);
  try {
    const md = await conn.request('Metadata', 12, { topics: [{ topicId: ZERO_UUID, name }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    return md.topics[0].topicId;
  } finally {
    conn.close();
  }
}

function getOffsets(topic: string, time: number): Promise<RunResult> {
  return javaTool('org.apache.kafka.tools.GetOffsetShell', ['--bootstrap-server', broker.bootstrap, '--topic', topic, '--time', String(time)]);
}

test('kafka-topics: create, describe, list, alter --partitions, delete', async () => {
  const create = ['--create', '--topic', 'tools', '--partitions', '2', '--replication-factor', '1', '--config', 'retention.ms=3600000', '--config', 'cleanup.policy=compact'];
  assert.is(ok(await kafkaTopics(broker, create), 'create'), 'Created topic tools.\n');
  const again = await kafkaTopics(broker, create);
  assert.is(again.code, 1);
  assert.is(again.stdout, 'Error while executing topic command : Topic \'tools\' already exists.\n');

  const topicId = await topicIdOf('tools');
  // Exactly Kafka 4.4's output, empty ELR lists included (the tool describes with DescribeTopicPartitions).
  const partitionLine = (p: number) => `\tTopic: tools\tPartition: ${p}\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: `;
  assert.is(ok(await kafkaTopics(broker, ['--describe', '--topic', 'tools']), 'describe'), [
    `Topic: tools\tTopicId: ${topicId}\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: min.insync.replicas=1,cleanup.policy=compact,retention.ms=3600000`,
    partitionLine(0), partitionLine(1), '',
  ].join('\n'));

  ok(await kafkaTopics(broker, ['--alter', '--topic', 'tools', '--partitions', '4']), 'alter');
  assert.match(ok(await kafkaTopics(broker, ['--describe', '--topic', 'tools']), 'describe'), `PartitionCount: 4\tReplicationFactor: 1\t`);
  const shrink = await kafkaTopics(broker, ['--alter', '--topic', 'tools', '--partitions', '3']);
  assert.is(shrink.stdout, 'Error while executing topic command : The topic tools currently has 4 partition(s); 3 would not be an increase.\n');

  assert.ok(ok(await kafkaTopics(broker, ['--list']), 'list').split('\n').includes('tools'));
  ok(await kafkaTopics(broker, ['--delete', '--topic', 'tools']), 'delete');
  assert.not.ok(ok(await kafkaTopics(broker, ['--list']), 'list').split('\n').includes('tools'));
  const gone = await kafkaTopics(broker, ['--describe', '--topic', 'tools']);
  assert.is(gone.stdout, 'Error while executing topic command : Topic \'tools\' does not exist as expected\n');
});

test('console producer and consumer: keys and headers with every codec, read by partition and offset', async () => {
  await createTopic('console', 1);
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  const want: string[] = [];
  for (const codec of codecs) {
    const lines = [0, 1, 2].map((i) => `codec:${codec},n:${i}\t${codec}-key-${i}\t${codec}-value-${i}`);
    ok(await consoleProduce(broker, 'console', lines, [
      // The tool's own --compression-codec (default none) wins over a compression.type producer property.
      '--reader-property', 'parse.key=true', '--reader-property', 'parse.headers=true', '--compression-codec', codec,
    ]), `console producer, ${codec}`);
    for (const i of [0, 1, 2]) want.push(`Partition:0\tOffset:${want.length}\tcodec:${codec},n:${i}\t${codec}-key-${i}\t${codec}-value-${i}`);
  }
  assert.equal(ok(await consoleConsumer('console', 0, 'earliest', 15), 'console consumer').trim().split('\n'), want);
  assert.equal(ok(await consoleConsumer('console', 0, '7', 2), 'console consumer from 7').trim().split('\n'), want.slice(7, 9));
  // Each console producer run sent one batch, stored with its codec.
  const { batches } = storedBatches(broker.dataDir, 'console', 0);
  assert.equal(batches.map((b) => [b.baseOffset, b.lastOffset, b.codec, b.valid]), codecs.map((c, i) => [i * 3, i * 3 + 2, c, true]));
});

test('the idempotent Java producer (acks=all) and an assign-mode consumer, with each codec', async () => {
  await createTopic('clients', 2);
  const sent: { partition: number; offset: number; key: string; value: string; codec: string }[] = [];
  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
    const out = ok(await javaClient('ProduceRecords', [
      '--bootstrap', broker.bootstrap, '--topic', 'clients', '--count', '12', '--key-prefix', `${codec}-key-`, '--value-prefix', `${codec}-value-`,
      '--prop', 'enable.idempotence=true', '--prop', 'acks=all', '--prop', `compression.type=${codec}`, '--prop', 'linger.ms=20',
    ]), `ProduceRecords, ${codec}`);
    jsonLines<{ partition: number; offset: number }>(out).forEach((r, i) => sent.push({ partition: r.partition, offset: r.offset, key: `${codec}-key-${i}`, value: `${codec}-value-${i}`, codec }));
  }
  assert.is(sent.length, 48);
  const out = ok(await javaClient('ConsumeRecords', ['--bootstrap', broker.bootstrap, '--topic', 'clients', '--partition', '0', '--partition', '1', '--offset', 'earliest', '--to-end', 'true']), 'ConsumeRecords');
  const got = jsonLines<{ partition: number; offset: number; key: string; value: string }>(out).map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value }));
  const order = (a: { partition: number; offset: number }, b: { partition: number; offset: number }) => a.partition - b.partition || a.offset - b.offset;
  assert.equal(got.sort(order), sent.map(({ codec: _, ...r }) => r).sort(order));
  for (const partition of [0, 1]) {
    const mine = sent.filter((r) => r.partition === partition).sort(order);
    assert.equal(mine.map((r) => r.offset), mine.map((_, i) => i), `partition ${partition}: offsets contiguous from 0`);
    for (const b of storedBatches(broker.dataDir, 'clients', partition).batches) {
      const codecs = new Set(mine.filter((r) => r.offset >= b.baseOffset && r.offset <= b.lastOffset).map((r) => r.codec));
      assert.equal([...codecs], [b.codec], `partition ${partition}, batch ${b.baseOffset}..${b.lastOffset}`);
      assert.ok(b.valid);
    }
  }
});

test('GetOffsetShell (earliest, latest, by timestamp, max timestamp) and DeleteRecordsCommand', async () => {
  await createTopic('shell', 1);
  const t0 = 1_700_000_000_000;
  // Out of order timestamps, so that the max timestamp is not the last record's.
  const times = [0, 1000, 2000, 9000, 3000, 4000].map((d) => t0 + d);
  const input = times.map((timestamp, i) => JSON.stringify({ key: `k${i}`, value: `v${i}`, timestamp, partition: 0 })).join('\n');
  ok(await javaClient('ProduceRecords', ['--bootstrap', broker.bootstrap, '--topic', 'shell', '--prop', 'acks=all'], { input }), 'ProduceRecords');
  const offsets = async (time: number) => ok(await getOffsets('shell', time), `GetOffsetShell --time ${time}`).trim();
  assert.is(await offsets(-2), 'shell:0:0');
  assert.is(await offsets(-1), 'shell:0:6');
  assert.is(await offsets(t0 + 1500), 'shell:0:2');
  assert.is(await offsets(t0 + 3000), 'shell:0:3', 'the first offset whose timestamp is at or after');
  assert.is(await offsets(-3), 'shell:0:3', 'max timestamp');
  assert.is(await offsets(t0 + 10_000), '', 'no record that late: the tool prints nothing');

  const dir = mkdtempSync(join(tmpdir(), 'outpost-delete-records-'));
  try {
    const file = join(dir, 'offsets.json');
    writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic: 'shell', partition: 0, offset: 4 }] }));
    const out = ok(await javaTool('org.apache.kafka.tools.DeleteRecordsCommand', ['--bootstrap-server', broker.bootstrap, '--offset-json-file', file]), 'DeleteRecordsCommand');
    assert.match(out, 'partition: shell-0\tlow_watermark: 4');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.is(await offsets(-2), 'shell:0:4');
  assert.is(await offsets(-1), 'shell:0:6');
  assert.equal(ok(await consoleConsumer('shell', 0, 'earliest', 2), 'console consumer after the deletion').trim().split('\n'), [
    'Partition:0\tOffset:4\tNO_HEADERS\tk4\tv4', 'Partition:0\tOffset:5\tNO_HEADERS\tk5\tv5',
  ]);
});

test.run();
