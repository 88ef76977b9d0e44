// Kafka Streams (the release under test) with processing.guarantee=exactly_once_v2 against outpost:
// a word count with a repartition and a changelog topic (test/peers/java/WordCountEos.java),
// killed with SIGKILL a third of the way through and started again, then outpost itself killed
// with SIGKILL two thirds through and started again on the same data and port. Read committed,
// the output must hold each word's counts 1..n exactly once: nothing lost, nothing counted twice.
// Needs Java: without it this fails, it does not skip.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { spawnJava, type RunningJava } from '../peers/jvm.js';
import { javaClient, jsonLines } from '../peers/kafka.js';
import { spawnOutpost, type OutpostChild } from '../support/outpost-child.js';

const LINES = 3000;
const WORDS_PER_LINE = 3;
const TOTAL = LINES * WORDS_PER_LINE;
const APP = 'wordcount-eos';

let dir: string;
let broker: OutpostChild;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-streams-'));
  broker = await spawnOutpost(join(dir, 'data'));
});

test.after(async () => {
  broker?.child.kill('SIGKILL');
  await broker?.exited;
  await rm(dir, { recursive: true, force: true });
});

const line = (i: number) => `w${i % 7} v${i % 13} u${i % 5}`;

/** How often each word occurs in the input. */
function expectedCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < LINES; i++) for (const w of line(i).split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

async function outputEnd(isolationLevel: 0 | 1): Promise<number> {
  const c = await KafkaConnection.open('127.0.0.1', broker.port);
  try {
    const r = await c.request('ListOffsets', 9, { replicaId: -1, isolationLevel, timeoutMs: 10_000, topics: [{ name: 'counts', partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1 })) }] });
    return r.topics[0].partitions.reduce((sum: number, p: { offset: unknown }) => sum + Number(p.offset), 0);
  } finally {
    c.close();
  }
}

const REPARTITION = `${APP}-words-repartition`;

/**
 * Whether the application has committed everything: its committed offsets in the input and in
 * its repartition topic at their ends (a commit past the last marker, as the consumer's position is).
 */
async function allCommitted(): Promise<boolean> {
  const c = await KafkaConnection.open('127.0.0.1', broker.port);
  try {
    const topics = [{ name: 'lines', partitionIndexes: [0, 1] }, { name: REPARTITION, partitionIndexes: [0, 1] }];
    const committed = await c.request('OffsetFetch', 7, { groupId: APP, topics, requireStable: true });
    const ends = await c.request('ListOffsets', 9, {
      replicaId: -1, isolationLevel: 1, timeoutMs: 10_000,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1 })) })),
    });
    const end = (topic: string, p: number) => Number(ends.topics.find((t: { name: string }) => t.name === topic)!.partitions.find((x: { partitionIndex: number }) => x.partitionIndex === p)!.offset);
    return committed.topics.length === 2 && committed.topics.every((t: { name: string; partitions: { partitionIndex: number; committedOffset: unknown; errorCode: number }[] }) =>
      t.partitions.length === 2 && t.partitions.every((p) => p.errorCode === 0 && Number(p.committedOffset) === end(t.name, p.partitionIndex)));
  } finally {
    c.close();
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, app: RunningJava | null, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${app?.stderr().slice(-4000) ?? ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function startApp(): Promise<RunningJava> {
  return spawnJava('WordCountEos', [
    '--bootstrap', `127.0.0.1:${broker.port}`, '--app-id', APP, '--state-dir', join(dir, 'streams-state'), '--input', 'lines', '--output', 'counts',
    '--prop', 'num.stream.threads=2', '--prop', 'session.timeout.ms=10000',
  ], { jvmArgs: ['-Xmx512m', '-XX:+UseSerialGC'] });
}

test('exactly_once_v2 word count: killed, its broker killed, restarted: every count exactly once', async () => {
  const kafka = new Kafka({ clientId: 'streams-eos-test', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  await admin.createTopics({ topics: [{ topic: 'lines', numPartitions: 2 }, { topic: 'counts', numPartitions: 2 }] });
  for (let i = 0; i < LINES; i += 500) {
    await producer.send({ topic: 'lines', messages: Array.from({ length: 500 }, (_, j) => ({ key: String(i + j), value: line(i + j) })) });
  }
  await Promise.all([admin.disconnect(), producer.disconnect()]);

  // A third of the way: the application is killed, its transactions left open.
  let app = await startApp();
  await waitFor('a third of the output', async () => (await outputEnd(0)) >= TOTAL / 3, app);
  app.child.kill('SIGKILL');
  await app.exited;

  // Started again: the new instance fences the old one's producers and aborts what they left.
  app = await startApp();
  await waitFor('two thirds of the output', async () => (await outputEnd(0)) >= (2 * TOTAL) / 3, app);
  broker.child.kill('SIGKILL');
  await broker.exited;
  broker = await spawnOutpost(join(dir, 'data'), [], { port: broker.port });

  await waitFor('everything read and committed', allCommitted, app, 180_000);
  app.child.kill('SIGTERM');
  await app.exited;

  const read = await javaClient('ConsumeRecords', ['--bootstrap', `127.0.0.1:${broker.port}`, '--topic', 'counts', '--to-end', 'true', '--prop', 'isolation.level=read_committed', '--timeout-ms', '30000']);
  assert.is(read.code, 0, read.stderr);
  const got = new Map<string, number[]>();
  for (const r of jsonLines<{ key: string; value: string }>(read.stdout)) {
    const list = got.get(r.key) ?? [];
    list.push(Number(r.value));
    got.set(r.key, list);
  }
  const expected = expectedCounts();
  assert.equal([...got.keys()].sort(), [...expected.keys()].sort());
  for (const [word, n] of expected) {
    assert.equal(got.get(word), Array.from({ length: n }, (_, i) => i + 1), `the counts of ${word}`);
  }
  // Aborted attempts are in the log but not read: the uncommitted end is past the committed records.
  assert.ok((await outputEnd(0)) > TOTAL, 'markers (and any aborted output) are in the log');
});

test.run();
