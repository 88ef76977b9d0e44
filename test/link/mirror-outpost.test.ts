// Cluster links with outpost as the source: a mirror holds the source's batches byte for byte at
// the source's offsets, down a chain A -> B -> C; it is read-only; it follows the source's log
// start, partition count and leader-epoch history; and it survives restarts of either end.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import { errorName } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { buildBatch } from '../../protocol/records/records.js';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { resolveTopicConfig } from '../../src/config/topic-configs.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { baseOffsets, connectTo, fetchBatches, highWatermarks, mirrored, sameBatches, segmentFiles, waitFor } from './support.js';

interface Ctx {
  a: TestBroker;
  b: TestBroker;
  c?: TestBroker;
  producer: Producer;
  kafka: Kafka;
  conns: KafkaConnection[];
}

const test = suite<Ctx>('cluster links from an outpost source');

const LINK = 'from-a';

test.before(async (ctx) => {
  ctx.a = await startOutpost();
  ctx.b = await startOutpost();
  ctx.kafka = new Kafka({ clientId: 'link-test', brokers: [ctx.a.bootstrap], logLevel: logLevel.NOTHING });
  ctx.producer = ctx.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await ctx.producer.connect();
  ctx.conns = [];
  await ctx.b.links.createLink({ name: LINK, bootstrapServers: ctx.a.bootstrap, sourceClusterId: ctx.a.clusterId, configs: { 'topic.config.sync.ms': '200' } });
});

test.after(async (ctx) => {
  for (const c of ctx.conns) c.close();
  await ctx.producer?.disconnect();
  await ctx.c?.destroy();
  await ctx.b?.destroy();
  await ctx.a?.destroy();
});

async function conn(ctx: Ctx, broker: TestBroker): Promise<KafkaConnection> {
  const c = await connectTo(broker.port);
  ctx.conns.push(c);
  return c;
}

async function createTopic(ctx: Ctx, topic: string, partitions: number): Promise<void> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  } finally {
    await admin.disconnect();
  }
}

/** `sends` produce requests of `perSend` records to each partition, alternating codecs. */
async function produce(ctx: Ctx, topic: string, partitions: number, sends: number, perSend: number, tag = 'v'): Promise<void> {
  const codecs = [CompressionTypes.None, CompressionTypes.GZIP];
  for (let s = 0; s < sends; s++) {
    const messages = [];
    for (let p = 0; p < partitions; p++) {
      for (let i = 0; i < perSend; i++) messages.push({ partition: p, key: `k${i}`, value: `${tag}-${s}-${p}-${i}`, headers: { n: String(i) } });
    }
    await ctx.producer.send({ topic, messages, compression: codecs[s % codecs.length] });
  }
}

/** Both sides hold the same batches, byte for byte, from the source's log start to its high watermark. */
test('a mirror holds the source batches at the source offsets, byte for byte', async (ctx) => {
  await createTopic(ctx, 'orders', 3);
  await produce(ctx, 'orders', 3, 4, 5);
  const mirror = await ctx.b.links.createMirror(LINK, 'orders');
  assert.is(mirror.partitions.length, 3);
  const source = await conn(ctx, ctx.a);
  const ends = await highWatermarks(source, 'orders');
  assert.equal(ends, [20, 20, 20]);
  const done = await mirrored(ctx.b.links, LINK, 'orders', ends);
  assert.is(done.state, 'ACTIVE');
  assert.ok(done.partitions.every((p) => p.lag === 0 && p.sourceHighWatermark === 20 && p.lastFetchTimeMs > 0));
  await sameBatches(source, await conn(ctx, ctx.b), 'orders', 3);
  const link = ctx.b.links.describeLink(LINK);
  assert.is(link.state, 'ACTIVE');
  assert.is(link.sourceClusterIdSeen, ctx.a.clusterId);
  assert.is(link.mirrors, 1);
});

test('new source records reach the mirror', async (ctx) => {
  const before = ctx.b.links.describeMirror(LINK, 'orders').partitions[1]!.localLogEndOffset;
  const started = Date.now();
  await ctx.producer.send({ topic: 'orders', messages: [{ partition: 1, value: 'fresh' }] });
  await waitFor('the new record on the mirror', () => ctx.b.links.describeMirror(LINK, 'orders').partitions[1]!.localLogEndOffset === before + 1);
  console.log(`  a new source record was readable on the mirror after ${Date.now() - started} ms (produce included)`);
});

test('a produce, DeleteRecords or CreatePartitions to a mirror is refused and changes nothing', async (ctx) => {
  const mirror = await conn(ctx, ctx.b);
  const before = await highWatermarks(mirror, 'orders');
  // v8-v12: an error message, and the topic by name (v13 names it by id).
  const produceVersion = Math.min(mirror.version('Produce')!, 12);
  assert.ok(produceVersion >= 8, 'Produce v8+ carries an error message');
  const records = buildBatch({ records: [{ value: Buffer.from('intruder') }] });
  const r = await mirror.request('Produce', produceVersion, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'orders', partitionData: [{ index: 0, records }] }] });
  const answer = r.responses[0].partitionResponses[0];
  assert.is(errorName(answer.errorCode), 'POLICY_VIOLATION');
  assert.match(answer.errorMessage ?? '', /mirror topic of cluster link from-a/);

  // A real client sees the same refusal.
  const kafka = new Kafka({ clientId: 'link-test-intruder', brokers: [ctx.b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const intruder = kafka.producer();
  await intruder.connect();
  const err = await intruder.send({ topic: 'orders', messages: [{ partition: 2, value: 'intruder' }] }).catch((e) => e);
  await intruder.disconnect();
  assert.is(err?.type ?? err?.cause?.type, 'POLICY_VIOLATION', String(err));

  const del = await mirror.request('DeleteRecords', mirror.version('DeleteRecords')!, { topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, offset: 5 }] }], timeoutMs: 5000 });
  assert.is(errorName(del.topics[0].partitions[0].errorCode), 'POLICY_VIOLATION');
  const grow = await mirror.request('CreatePartitions', mirror.version('CreatePartitions')!, { topics: [{ name: 'orders', count: 5, assignments: null }], timeoutMs: 5000, validateOnly: false });
  assert.is(errorName(grow.results[0].errorCode), 'POLICY_VIOLATION');
  assert.match(grow.results[0].errorMessage ?? '', /partition count follows its source topic/);

  assert.equal(await highWatermarks(mirror, 'orders'), before);
  assert.is(ctx.b.links.describeMirror(LINK, 'orders').partitions.length, 3);
  const d = ctx.b.links.describeMirror(LINK, 'orders');
  assert.ok(d.partitions.every((p) => p.localLogStartOffset === 0));
});

test('a chain A -> B -> C holds the same bytes in every segment file', async (ctx) => {
  ctx.c = await startOutpost();
  await ctx.c.links.createLink({ name: 'from-b', bootstrapServers: ctx.b.bootstrap, configs: {} });
  await ctx.c.links.createMirror('from-b', 'orders');
  const ends = await highWatermarks(await conn(ctx, ctx.a), 'orders');
  await mirrored(ctx.b.links, LINK, 'orders', ends);
  await mirrored(ctx.c.links, 'from-b', 'orders', ends);
  for (let p = 0; p < 3; p++) {
    const [a, b, c] = await Promise.all([ctx.a, ctx.b, ctx.c].map((x) => segmentFiles(x.dataDir, 'orders', p)));
    assert.equal(b!.map((f) => f.name), a!.map((f) => f.name));
    assert.equal(c!.map((f) => f.name), a!.map((f) => f.name));
    a!.forEach((f, i) => {
      assert.ok(b![i]!.bytes.equals(f.bytes), `orders-${p}/${f.name}: B differs from A`);
      assert.ok(c![i]!.bytes.equals(f.bytes), `orders-${p}/${f.name}: C differs from A`);
    });
  }
});

test("the source's DeleteRecords moves the mirror's log start, down the chain", async (ctx) => {
  const source = await conn(ctx, ctx.a);
  // Offset 7 lies inside the second batch of partition 0 (5 records a batch).
  const r = await source.request('DeleteRecords', source.version('DeleteRecords')!, { topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, offset: 7 }] }], timeoutMs: 5000 });
  assert.is(r.topics[0].partitions[0].lowWatermark, 7);
  await waitFor('B follows the log start', () => ctx.b.links.describeMirror(LINK, 'orders').partitions[0]!.localLogStartOffset === 7);
  await waitFor('C follows the log start', () => ctx.c!.links.describeMirror('from-b', 'orders').partitions[0]!.localLogStartOffset === 7);
  await sameBatches(source, await conn(ctx, ctx.b), 'orders', 1);
});

test('a mirror created after DeleteRecords starts at the source log start, inside a batch', async (ctx) => {
  const d = await startOutpost();
  try {
    await d.links.createLink({ name: 'late', bootstrapServers: ctx.a.bootstrap, configs: {} });
    const m = await d.links.createMirror('late', 'orders');
    assert.is(m.partitions[0]!.localLogStartOffset, 7);
    const source = await conn(ctx, ctx.a);
    await mirrored(d.links, 'late', 'orders', await highWatermarks(source, 'orders'));
    const mirror = await conn(ctx, d);
    await sameBatches(source, mirror, 'orders', 1);
    assert.is(d.links.describeMirror('late', 'orders').partitions[0]!.localLogStartOffset, 7);
  } finally {
    await d.destroy();
  }
});

test('partitions added at the source are added to the mirror', async (ctx) => {
  const source = await conn(ctx, ctx.a);
  const r = await source.request('CreatePartitions', source.version('CreatePartitions')!, { topics: [{ name: 'orders', count: 4, assignments: null }], timeoutMs: 5000, validateOnly: false });
  assert.is(r.results[0].errorCode, 0);
  await ctx.producer.send({ topic: 'orders', messages: [{ partition: 3, value: 'in the new partition' }] });
  const ends = await highWatermarks(source, 'orders');
  assert.is(ends.length, 4);
  await mirrored(ctx.b.links, LINK, 'orders', ends);
  await sameBatches(source, await conn(ctx, ctx.b), 'orders', 4);
});

test('a restart of the mirroring broker resumes with no gap and no duplicate batch', async (ctx) => {
  const source = await conn(ctx, ctx.a);
  await createTopic(ctx, 'steady', 2);
  await produce(ctx, 'steady', 2, 3, 4, 'before');
  await ctx.b.links.createMirror(LINK, 'steady');
  await mirrored(ctx.b.links, LINK, 'steady', await highWatermarks(source, 'steady'));

  const bDir = ctx.b.dataDir;
  await ctx.b.close();
  await produce(ctx, 'steady', 2, 3, 4, 'while-down');
  ctx.b = await startOutpost({ dataDir: bDir, port: ctx.b.port });
  assert.equal(ctx.b.links.listLinks().map((l) => l.name), [LINK]);
  assert.equal(ctx.b.links.listMirrors(LINK).map((m) => m.topic).sort(), ['orders', 'steady']);
  await produce(ctx, 'steady', 2, 2, 4, 'after');
  const ends = await highWatermarks(source, 'steady');
  assert.equal(ends, [32, 32]);
  await mirrored(ctx.b.links, LINK, 'steady', ends);
  const mirror = await conn(ctx, ctx.b);
  for (let p = 0; p < 2; p++) {
    const batches = await fetchBatches(mirror, 'steady', p);
    assert.equal(baseOffsets(batches), [0, 4, 8, 12, 16, 20, 24, 28], `steady-${p}: contiguous, one batch per produce`);
  }
  await sameBatches(source, mirror, 'steady', 2);
});

test('a stopped source makes its mirrors SOURCE_UNAVAILABLE; once back they turn ACTIVE and catch up', async (ctx) => {
  const aDir = ctx.a.dataDir;
  const aPort = ctx.a.port;
  await ctx.producer.disconnect();
  await ctx.a.close();
  const link = await waitFor('the link to see the source gone', () => {
    const l = ctx.b.links.describeLink(LINK);
    return l.state === 'SOURCE_UNAVAILABLE' && l;
  });
  assert.match(link.lastError ?? '', /cannot reach the source cluster/);
  const down = ctx.b.links.describeMirror(LINK, 'steady');
  assert.is(down.state, 'SOURCE_UNAVAILABLE');
  assert.ok(down.partitions.every((p) => p.state === 'SOURCE_UNAVAILABLE' && p.error));
  // The mirror still serves what it has.
  assert.equal(await highWatermarks(await conn(ctx, ctx.b), 'steady'), [32, 32]);

  ctx.a = await startOutpost({ dataDir: aDir, port: aPort });
  await ctx.producer.connect();
  await produce(ctx, 'steady', 2, 1, 4, 'back');
  await mirrored(ctx.b.links, LINK, 'steady', [36, 36]);
  await waitFor('the link ACTIVE again', () => ctx.b.links.describeLink(LINK).state === 'ACTIVE');
  assert.is(ctx.b.links.describeMirror(LINK, 'steady').state, 'ACTIVE');
  await sameBatches(await conn(ctx, ctx.a), await conn(ctx, ctx.b), 'steady', 2);
});

test('a source log that diverged (an unclean election) is found and the mirror truncated to match', async (ctx) => {
  await createTopic(ctx, 'diverge', 1);
  await produce(ctx, 'diverge', 1, 4, 5);
  await ctx.b.links.createMirror(LINK, 'diverge');
  await mirrored(ctx.b.links, LINK, 'diverge', [20]);

  // The source loses offsets 10..19 and takes 6 other records in a new leader epoch, as a replica
  // elected uncleanly would have: its log is rewritten while it is stopped.
  const aDir = ctx.a.dataDir;
  const aPort = ctx.a.port;
  await ctx.producer.disconnect();
  await ctx.a.close();
  const log = await PartitionLog.open(join(aDir, 'diverge-0'), resolveTopicConfig({}, {}));
  await log.truncateTo(10);
  const epoch = log.leaderEpoch + 1;
  for (const base of [10, 13]) {
    const r = await log.appendAsFollower(buildBatch({ baseOffset: base, partitionLeaderEpoch: epoch, records: [0, 1, 2].map((i) => ({ value: Buffer.from(`elsewhere-${base + i}`) })) }));
    assert.ok(r.ok);
  }
  await log.close();
  ctx.a = await startOutpost({ dataDir: aDir, port: aPort });
  await ctx.producer.connect();

  await waitFor('the mirror to take the new history', async () => {
    const d = ctx.b.links.describeMirror(LINK, 'diverge').partitions[0]!;
    return d.localLogEndOffset === 16 && d.sourceHighWatermark === 16;
  });
  const source = await conn(ctx, ctx.a);
  const mirror = await conn(ctx, ctx.b);
  await sameBatches(source, mirror, 'diverge', 1);
  assert.equal(baseOffsets(await fetchBatches(mirror, 'diverge', 0)), [0, 5, 10, 13]);
});

test('deleting the source topic fails its mirror, which stays read-only with its data', async (ctx) => {
  await createTopic(ctx, 'doomed', 1);
  await produce(ctx, 'doomed', 1, 1, 3);
  await ctx.b.links.createMirror(LINK, 'doomed');
  await mirrored(ctx.b.links, LINK, 'doomed', [3]);
  const admin = ctx.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: ['doomed'] });
  await admin.disconnect();
  const failed = await waitFor('the mirror to fail', () => {
    const m = ctx.b.links.describeMirror(LINK, 'doomed');
    return m.state === 'FAILED' && m;
  });
  assert.match(failed.reason ?? '', /no longer exists/);
  assert.equal(ctx.b.links.mirrorOf('doomed'), { linkName: LINK, sourceClusterId: ctx.a.clusterId });
  assert.equal(await highWatermarks(await conn(ctx, ctx.b), 'doomed'), [3]);
});

test('deleting a mirror topic locally ends the mirror; the name is then free', async (ctx) => {
  const b = await conn(ctx, ctx.b);
  const r = await b.request('DeleteTopics', b.version('DeleteTopics')!, { topics: [{ name: 'doomed', topicId: ZERO_UUID }], topicNames: ['doomed'], timeoutMs: 5000 });
  assert.is(r.responses[0].errorCode, 0);
  assert.is(ctx.b.links.mirrorOf('doomed'), undefined);
  await waitFor('the mirror forgotten', () => !ctx.b.links.listMirrors(LINK).some((m) => m.topic === 'doomed'));
});

test.run();
