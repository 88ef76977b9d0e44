// Consumer offset sync from a real Apache Kafka 4.4.0 source. Consumer groups of the Java client
// (the console consumer), librdkafka (kcat) and kafkajs commit at the source; the link copies their
// offsets of the mirrored topic to outpost unchanged; each group then moves to outpost with the
// same client and resumes exactly there: per partition its first record is the one at the offset
// it committed at the source, and nothing is read twice or skipped. A group with members at
// outpost is left alone, and the filters choose which groups are synced.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { consoleConsume, createTopic, startKafka, type KafkaPeer } from '../peers/kafka.js';
import { kcat } from '../peers/kcat.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { connectTo, highWatermarks, waitFor } from './support.js';

const TOPIC = 'orders';
const PARTITIONS = 3;
const RECORDS = 300;
const LINK = 'from-kafka';

interface Ctx {
  kafka: KafkaPeer;
  outpost: TestBroker;
  source: KafkaConnection;
  local: KafkaConnection;
}

const test = suite<Ctx>('consumer offset sync from Kafka 4.4.0');

test.before(async (ctx) => {
  [ctx.kafka, ctx.outpost] = await Promise.all([startKafka(), startOutpost()]);
  await createTopic(ctx.kafka, TOPIC, PARTITIONS);
  const input = Array.from({ length: RECORDS }, (_, i) => `k${i}:v${i}`).join('\n') + '\n';
  const produced = await kcat(['-b', ctx.kafka.bootstrap, '-P', '-t', TOPIC, '-K', ':'], { input });
  assert.is(produced.code, 0, produced.stderr);
  await ctx.outpost.links.createLink({
    name: LINK,
    bootstrapServers: ctx.kafka.bootstrap,
    configs: {
      'consumer.offset.sync.enable': 'true',
      'consumer.offset.sync.ms': '500',
      'consumer.offset.group.filters': JSON.stringify({ groupFilters: [
        { name: '*', patternType: 'LITERAL', filterType: 'INCLUDE' },
        { name: 'private-', patternType: 'PREFIXED', filterType: 'EXCLUDE' },
      ] }),
    },
  });
  await ctx.outpost.links.createMirror(LINK, TOPIC);
  ctx.source = await connectTo(ctx.kafka.port);
  ctx.local = await connectTo(ctx.outpost.port);
  const ends = await highWatermarks(ctx.source, TOPIC);
  await waitFor('the mirror caught up', async () => JSON.stringify(await highWatermarks(ctx.local, TOPIC)) === JSON.stringify(ends));
});

test.after(async (ctx) => {
  ctx.source?.close();
  ctx.local?.close();
  await ctx.outpost?.destroy();
  await ctx.kafka?.stop();
});

/** A group's committed offsets of the topic, per partition (-1: none). */
async function committed(conn: KafkaConnection, group: string): Promise<number[]> {
  const r = await conn.request('OffsetFetch', 7, { groupId: group, topics: [{ name: TOPIC, partitionIndexes: Array.from({ length: PARTITIONS }, (_, i) => i) }], groups: [], requireStable: true });
  const out = new Array<number>(PARTITIONS).fill(-1);
  for (const t of r.topics) for (const p of t.partitions) out[p.partitionIndex] = p.committedOffset;
  return out;
}

/** Waits until the group's offsets at outpost are those at the source, and returns them. */
async function synced(ctx: Ctx, group: string): Promise<number[]> {
  const atSource = await committed(ctx.source, group);
  assert.ok(atSource.some((o) => o > 0), `${group} committed at the source`);
  await waitFor(`${group} synced`, async () => JSON.stringify(await committed(ctx.local, group)) === JSON.stringify(atSource), 30_000);
  return atSource;
}

/**
 * Checks a resumed read: per partition it starts at the committed offset (a partition the group
 * never committed, at the start: the clients reset to earliest), and reads every record from there once.
 */
function resumedExactly(read: { partition: number; offset: number }[], committedAt: number[], ends: number[], who: string): void {
  for (let p = 0; p < PARTITIONS; p++) {
    const from = Math.max(0, committedAt[p]!);
    const offsets = read.filter((r) => r.partition === p).map((r) => r.offset).sort((a, b) => a - b);
    const want = Array.from({ length: ends[p]! - from }, (_, i) => from + i);
    assert.equal(offsets, want, `${who}: partition ${p} read from ${from} to the end, each record once`);
  }
}

/** Records left after the committed offsets (from the start where none). */
const remaining = (committedAt: number[], ends: number[]) => ends.reduce((n, e, p) => n + e - Math.max(0, committedAt[p]!), 0);

test('the Java consumer: a group moved to outpost resumes at the offsets it committed at the source', async (ctx) => {
  const first = await consoleConsume(ctx.kafka, TOPIC, { maxMessages: 100, args: ['--group', 'java-group'] });
  assert.is(first.code, 0, first.stderr);
  const from = await synced(ctx, 'java-group');
  const ends = await highWatermarks(ctx.local, TOPIC);
  const left = remaining(from, ends);
  const moved = await consoleConsume({ bootstrap: ctx.outpost.bootstrap }, TOPIC, {
    maxMessages: left,
    args: ['--group', 'java-group', '--property', 'print.partition=true', '--property', 'print.offset=true', '--property', 'print.value=false'],
  });
  assert.is(moved.code, 0, moved.stderr);
  const read = [...moved.stdout.matchAll(/Partition:(\d+)\s+Offset:(\d+)/g)].map((m) => ({ partition: Number(m[1]), offset: Number(m[2]) }));
  resumedExactly(read, from, ends, 'java');
});

test('librdkafka (kcat): the same', async (ctx) => {
  const first = await kcat(['-b', ctx.kafka.bootstrap, '-G', 'kcat-group', '-c', '90', '-o', 'beginning', '-X', 'auto.offset.reset=earliest', TOPIC]);
  assert.is(first.code, 0, first.stderr);
  const from = await synced(ctx, 'kcat-group');
  const ends = await highWatermarks(ctx.local, TOPIC);
  const moved = await kcat(['-b', ctx.outpost.bootstrap, '-G', 'kcat-group', '-X', 'auto.offset.reset=earliest', '-e', '-f', '%p %o\\n', TOPIC], { timeoutMs: 60_000 });
  assert.is(moved.code, 0, moved.stderr);
  const read = moved.stdout.trim().split('\n').filter((l) => l !== '').map((l) => ({ partition: Number(l.split(' ')[0]), offset: Number(l.split(' ')[1]) }));
  resumedExactly(read, from, ends, 'kcat');
});

/** Reads `count` records with a kafkajs group member, which commits them, and leaves. */
async function kafkajsRead(bootstrap: string, group: string, count: number): Promise<{ partition: number; offset: number }[]> {
  const kafka = new Kafka({ clientId: 'offset-sync', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const read: { partition: number; offset: number }[] = [];
  let enough: () => void = () => {};
  const done = new Promise<void>((resolve) => (enough = resolve));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      if (read.length >= count) return;
      read.push({ partition, offset: Number(message.offset) });
      await consumer.commitOffsets([{ topic: TOPIC, partition, offset: String(Number(message.offset) + 1) }]);
      if (read.length >= count) enough();
    },
  });
  await Promise.race([done, new Promise((r) => setTimeout(r, 60_000))]);
  await consumer.disconnect();
  return read;
}

test('kafkajs: the same', async (ctx) => {
  await kafkajsRead(ctx.kafka.bootstrap, 'kafkajs-group', 120);
  const from = await synced(ctx, 'kafkajs-group');
  const ends = await highWatermarks(ctx.local, TOPIC);
  const left = remaining(from, ends);
  const read = await kafkajsRead(ctx.outpost.bootstrap, 'kafkajs-group', left);
  resumedExactly(read, from, ends, 'kafkajs');
});

test('a group with members at outpost is left alone; an excluded group is not synced', async (ctx) => {
  // busy-group consumes at outpost first and stays a member.
  const kafka = new Kafka({ clientId: 'busy', brokers: [ctx.outpost.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'busy-group' });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
  try {
    await waitFor('the busy consumer joined', () => joined);
    for (const group of ['busy-group', 'private-group']) {
      const r = await kcat(['-b', ctx.kafka.bootstrap, '-G', group, '-c', '30', '-X', 'auto.offset.reset=earliest', TOPIC]);
      assert.is(r.code, 0, r.stderr);
    }
    await waitFor('a sync round after the commits', () => {
      const d = ctx.outpost.links.describeLink(LINK).offsetSync;
      return d.groups.some((g) => g.group === 'busy-group' && !g.synced) ? d : undefined;
    });
    assert.equal(await committed(ctx.local, 'busy-group'), [-1, -1, -1], 'the member owns its offsets: none synced over it');
    assert.equal(await committed(ctx.local, 'private-group'), [-1, -1, -1], 'excluded by the filters');
    const d = ctx.outpost.links.describeLink(LINK).offsetSync;
    assert.ok(d.enabled && d.lastSyncMs !== null);
    assert.ok(d.groups.some((g) => g.group === 'java-group' && g.synced && g.behind === 0));
    assert.not.ok(d.groups.some((g) => g.group === 'private-group'));
  } finally {
    await consumer.disconnect();
  }
});

test('auto-created mirrors: a new source topic the filters choose is mirrored within a metadata round', async (ctx) => {
  await ctx.outpost.links.alterLinkConfigs(LINK, {
    'topic.config.sync.ms': '500',
    'auto.create.mirror.topics.enable': 'true',
    'auto.create.mirror.topics.filters': JSON.stringify({ topicFilters: [{ name: 'auto-', patternType: 'PREFIXED', filterType: 'INCLUDE' }] }),
  }, []);
  await createTopic(ctx.kafka, 'auto-events', 2);
  await createTopic(ctx.kafka, 'manual-events', 1);
  assert.is((await kcat(['-b', ctx.kafka.bootstrap, '-P', '-t', 'auto-events', '-K', ':'], { input: 'a:1\nb:2\nc:3\n' })).code, 0);
  await waitFor('auto-events mirrored', () => ctx.outpost.links.mirrorOf('auto-events'));
  const ends = await highWatermarks(ctx.source, 'auto-events');
  await waitFor('auto-events caught up', async () => JSON.stringify(await highWatermarks(ctx.local, 'auto-events')) === JSON.stringify(ends));
  assert.is(ctx.outpost.links.mirrorOf('manual-events'), undefined, 'not chosen by the filters');
  assert.not.ok(ctx.outpost.links.listMirrors(LINK).some((m) => m.topic.startsWith('__')), 'internal topics are never mirrored');
});

test.run();
