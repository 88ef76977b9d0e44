// Proves the test peers against the REAL Kafka 4.4: if these fail, every test that compares
// outpost with Kafka is meaningless. Needs java, mvn (first run) and kcat: missing ones fail.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  consoleConsume, consoleProduce, createTopic, javaClient, javaTool, jsonLines, kafkaTopics, startKafka, startupTimes,
  type KafkaPeer,
} from './kafka.js';
import { kcat } from './kcat.js';

const peers = suite<{ kafka?: KafkaPeer }>('peers: real Kafka 4.4');

peers.before(async (ctx) => {
  ctx.kafka = await startKafka();
  console.log(`  kafka up at ${ctx.kafka.bootstrap} in ${startupTimes.at(-1)} ms`);
});

peers.after(async (ctx) => {
  await ctx.kafka?.stop();
});

peers('kafka-topics creates and describes a topic', async ({ kafka }) => {
  await createTopic(kafka!, 'described', 3, { 'cleanup.policy': 'compact' });
  const r = await kafkaTopics(kafka!, ['--describe', '--topic', 'described']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Topic: described\s+TopicId: \S+\s+PartitionCount: 3\s+ReplicationFactor: 1/);
  assert.match(r.stdout, /cleanup\.policy=compact/);
  for (const p of [0, 1, 2]) assert.match(r.stdout, new RegExp(`Partition: ${p}\\s+Leader: 1\\s+Replicas: 1\\s+Isr: 1`));
  // auto.create.topics.enable=false: an unknown topic stays unknown.
  const missing = await kafkaTopics(kafka!, ['--describe', '--topic', 'nope']);
  assert.is.not(missing.code, 0);
});

peers('broker API versions are reachable through BrokerApiVersionsCommand', async ({ kafka }) => {
  const r = await javaTool('org.apache.kafka.tools.BrokerApiVersionsCommand', ['--bootstrap-server', kafka!.bootstrap]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Produce\(0\): \d+ to \d+/);
  assert.match(r.stdout, /ApiVersions\(18\): 0 to \d+/);
});

// Batch attributes' low 3 bits name the codec (Kafka's record batch format, magic 2).
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** [baseOffset, lastOffset, codec] of every batch in a partition's first segment. */
function segmentBatches(dataDir: string, topicPartition: string): Array<[number, number, string]> {
  const buf = readFileSync(join(dataDir, topicPartition, '00000000000000000000.log'));
  const out: Array<[number, number, string]> = [];
  for (let o = 0; o + 61 <= buf.length; ) {
    const base = Number(buf.readBigInt64BE(o));
    const length = buf.readInt32BE(o + 8);
    const attributes = buf.readInt16BE(o + 21);
    const lastDelta = buf.readInt32BE(o + 23);
    out.push([base, base + lastDelta, CODECS[attributes & 7] ?? `codec ${attributes & 7}`]);
    o += 12 + length;
  }
  return out;
}

peers('kcat produces and consumes with every codec, and the broker keeps the codec', async ({ kafka }) => {
  await createTopic(kafka!, 'codecs', 1);
  const b = kafka!.bootstrap;
  const ranges: Array<[number, number, string]> = [];
  let next = 0;
  for (const codec of CODECS) {
    const lines = [0, 1, 2].map((i) => `${codec}-key-${i}:${codec}-value-${i} ${'x'.repeat(200)}`);
    const p = await kcat(['-P', '-b', b, '-t', 'codecs', '-p', '0', '-K', ':', '-z', codec], { input: lines.join('\n') + '\n' });
    assert.is(p.code, 0, `${codec}: ${p.stderr}`);
    ranges.push([next, next + 2, codec]);
    next += 3;
  }
  const c = await kcat(['-C', '-b', b, '-t', 'codecs', '-p', '0', '-o', 'beginning', '-c', String(next), '-e', '-f', '%o %k=%s\\n']);
  assert.is(c.code, 0, c.stderr);
  const got = c.stdout.trim().split('\n').map((l) => l.replace(/ x+$/, ''));
  const want = CODECS.flatMap((codec, n) => [0, 1, 2].map((i) => `${n * 3 + i} ${codec}-key-${i}=${codec}-value-${i}`));
  assert.equal(got, want);
  // The default compression.type=producer stores each batch as sent: every batch on disk must
  // carry the codec its records were produced with.
  const batches = segmentBatches(kafka!.dataDir, 'codecs-0');
  assert.ok(batches.length >= CODECS.length, JSON.stringify(batches));
  for (const [base, last, codec] of batches) {
    const range = ranges.find(([lo, hi]) => base >= lo && last <= hi);
    assert.ok(range, `batch ${base}..${last} spans produce calls`);
    assert.is(codec, range![2], `batch ${base}..${last}`);
  }
  // Metadata through librdkafka as well.
  const md = await kcat(['-L', '-b', b, '-t', 'codecs']);
  assert.is(md.code, 0, md.stderr);
  assert.match(md.stdout, /topic "codecs" with 1 partitions/);
});

peers('console producer and console consumer round trip', async ({ kafka }) => {
  await createTopic(kafka!, 'console', 1);
  const lines = ['a:apple', 'b:banana', 'c:cherry'];
  const p = await consoleProduce(kafka!, 'console', lines, ['--reader-property', 'parse.key=true', '--reader-property', 'key.separator=:']);
  assert.is(p.code, 0, p.stderr);
  const c = await consoleConsume(kafka!, 'console', {
    maxMessages: 3,
    args: ['--formatter-property', 'print.key=true', '--formatter-property', 'print.offset=true'],
  });
  assert.is(c.code, 0, c.stderr);
  assert.equal(c.stdout.trim().split('\n'), ['Offset:0\ta\tapple', 'Offset:1\tb\tbanana', 'Offset:2\tc\tcherry']);
});

peers('Java test clients: idempotent produce, aborted transaction, read_committed consume', async ({ kafka }) => {
  await createTopic(kafka!, 'clients', 1);
  const b = kafka!.bootstrap;
  const produced = await javaClient('ProduceRecords', ['--bootstrap', b, '--topic', 'clients', '--count', '5', '--key-prefix', 'k',
    '--prop', 'enable.idempotence=true', '--prop', 'acks=all']);
  assert.is(produced.code, 0, produced.stderr);
  assert.equal(jsonLines(produced.stdout).map((r) => r.offset), [0, 1, 2, 3, 4]);

  const input = [{ key: 'tk', value: 'never-visible', headers: { h: 'v' } }, { keyBase64: 'AAE=', value: 'also-not' }]
    .map((r) => JSON.stringify(r)).join('\n');
  const aborted = await javaClient('ProduceRecords', ['--bootstrap', b, '--topic', 'clients', '--txn', 'abort',
    '--prop', 'transactional.id=peers-test'], { input });
  assert.is(aborted.code, 0, aborted.stderr);
  assert.equal(jsonLines(aborted.stdout).map((r) => r.offset), [5, 6]);

  const consumed = await javaClient('ConsumeRecords', ['--bootstrap', b, '--topic', 'clients', '--to-end', 'true',
    '--prop', 'isolation.level=read_committed']);
  assert.is(consumed.code, 0, consumed.stderr);
  const records = jsonLines<{ offset: number; key: string; value: string }>(consumed.stdout);
  assert.equal(records.map((r) => [r.offset, r.key, r.value]), [0, 1, 2, 3, 4].map((i) => [i, `k${i}`, `value-${i}`]));
});

peers.run();
