// Cluster links from a real Apache Kafka 4.4.0: data written by kcat (every codec), kafkajs and
// the Java producer (transactions committed and aborted, so control batches are among it) is
// mirrored byte for byte at Kafka's offsets; the mirror is read-only, follows Kafka's log start,
// configs and partition count, and notices when Kafka goes away.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { errorName } from '../../protocol/errors.js';
import { BatchHeader } from '../../protocol/records/batch.js';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { createTopic, javaClient, jsonLines, startKafka, startupTimes, type KafkaPeer } from '../peers/kafka.js';
import { kcat } from '../peers/kcat.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { FetchSessionClient, type FetchPosition } from '../../src/link/fetch-session.js';
import { baseOffsets, connectTo, describeTopic, fetchBatches, highWatermarks, mirrored, sameBatches, waitFor } from './support.js';

interface Ctx {
  kafka: KafkaPeer;
  outpost: TestBroker;
  source: KafkaConnection;
  mirror: KafkaConnection;
}

const test = suite<Ctx>('cluster links from Apache Kafka');
const LINK = 'from-kafka';
const TOPIC = 'mixed';
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

test.before(async (ctx) => {
  // Retention runs every second rather than every 5 minutes, for the retention test.
  [ctx.kafka, ctx.outpost] = await Promise.all([startKafka({ configs: { 'log.retention.check.interval.ms': '1000' } }), startOutpost()]);
  console.log(`  kafka up at ${ctx.kafka.bootstrap} in ${startupTimes.at(-1)} ms`);
  ctx.source = await connectTo(ctx.kafka.port);
  ctx.mirror = await connectTo(ctx.outpost.port);
});

test.after(async (ctx) => {
  ctx.source?.close();
  ctx.mirror?.close();
  await ctx.outpost?.destroy();
  await ctx.kafka?.stop();
});

async function kcatProduce(ctx: Ctx, partition: number, codec: string, lines: string[]): Promise<void> {
  const r = await kcat(['-P', '-b', ctx.kafka.bootstrap, '-t', TOPIC, '-p', String(partition), '-K', ':', '-z', codec], { input: lines.join('\n') + '\n' });
  assert.is(r.code, 0, r.stderr);
}

/**
 * Every record as librdkafka reads it at `isolation`: "partition offset key value" lines, in order.
 * (mirror-transactions.test.ts looks at transactions through the link in detail.)
 */
async function kcatConsume(bootstrap: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const r = await kcat(['-C', '-b', bootstrap, '-t', TOPIC, '-o', 'beginning', '-e', '-X', `isolation.level=${isolation}`, '-f', '%p %o %k %s\\n']);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').sort();
}

/** The mirror holds Kafka's batches of TOPIC, byte for byte at the same offsets; returns them. */
async function sameAsKafka(ctx: Ctx, partitions: number): Promise<Buffer[]> {
  return (await sameBatches(ctx.source, ctx.mirror, TOPIC, partitions)).flat();
}

test('records from kcat, kafkajs and the Java producer are mirrored byte for byte at the same offsets', async (ctx) => {
  await createTopic(ctx.kafka, TOPIC, 2);
  for (const codec of CODECS) {
    for (const p of [0, 1]) await kcatProduce(ctx, p, codec, [0, 1, 2].map((i) => `${codec}-k${i}:${codec} value ${i} on ${p} ${'x'.repeat(100)}`));
  }
  const kafkajs = new Kafka({ clientId: 'link-test', brokers: [ctx.kafka.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafkajs.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let s = 0; s < 3; s++) {
    await producer.send({ topic: TOPIC, messages: [0, 1].flatMap((p) => [0, 1, 2, 3].map((i) => ({ partition: p, key: `js-${s}-${i}`, value: `kafkajs ${s}/${i}`, headers: { from: 'kafkajs' } }))) });
  }
  await producer.disconnect();
  for (const [txn, id] of [['commit', 'link-tx-1'], ['abort', 'link-tx-2'], ['commit', 'link-tx-3']] as const) {
    const r = await javaClient('ProduceRecords', ['--bootstrap', ctx.kafka.bootstrap, '--topic', TOPIC, '--count', '6', '--partition', id === 'link-tx-2' ? '1' : '0',
      '--key-prefix', `${id}-`, '--value-prefix', `${txn}-`, '--txn', txn, '--prop', `transactional.id=${id}`, '--prop', 'compression.type=zstd']);
    assert.is(r.code, 0, r.stderr);
    assert.is(jsonLines(r.stdout).length, 6);
  }

  await ctx.outpost.links.createLink({ name: LINK, bootstrapServers: ctx.kafka.bootstrap, sourceClusterId: ctx.kafka.clusterId, configs: { 'topic.config.sync.ms': '200' } });
  await ctx.outpost.links.createMirror(LINK, TOPIC);
  const ends = await highWatermarks(ctx.source, TOPIC);
  const d = await mirrored(ctx.outpost.links, LINK, TOPIC, ends);
  assert.is(d.state, 'ACTIVE');
  assert.ok(d.sourceTopicId);

  const batches = await sameAsKafka(ctx, 2);
  const headers = batches.map((b) => new BatchHeader(b, 0));
  assert.equal([...new Set(headers.map((h) => h.compression))].sort(), [0, 1, 2, 3, 4], 'every codec is among the mirrored batches');
  assert.ok(headers.filter((h) => h.isControl).length >= 3, 'commit and abort markers are mirrored');
  assert.ok(headers.some((h) => h.isTransactional && !h.isControl));
  const committed = await kcatConsume(ctx.outpost.bootstrap, 'read_committed');
  assert.equal(committed, await kcatConsume(ctx.kafka.bootstrap, 'read_committed'), 'read_committed');
  assert.not.ok(committed.some((l) => l.includes(' link-tx-2-')), 'the aborted transaction is left out');
  assert.equal(await kcatConsume(ctx.outpost.bootstrap, 'read_uncommitted'), await kcatConsume(ctx.kafka.bootstrap, 'read_uncommitted'), 'read_uncommitted');
});

test('new Kafka records are readable on the mirror', async (ctx) => {
  const before = (await highWatermarks(ctx.mirror, TOPIC))[0]!;
  const started = Date.now();
  await kcatProduce(ctx, 0, 'lz4', ['late:arrival']);
  await waitFor('the new record on the mirror', async () => (await highWatermarks(ctx.mirror, TOPIC))[0] === before + 1);
  console.log(`  a record produced to Kafka by kcat was readable on the mirror after ${Date.now() - started} ms (kcat start included)`);
  await sameAsKafka(ctx, 2);
});

test('a produce to the mirror is refused with POLICY_VIOLATION and changes nothing', async (ctx) => {
  const before = await highWatermarks(ctx.mirror, TOPIC);
  const kafkajs = new Kafka({ clientId: 'intruder', brokers: [ctx.outpost.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const producer = kafkajs.producer();
  await producer.connect();
  const err = await producer.send({ topic: TOPIC, messages: [{ partition: 0, value: 'not here' }] }).catch((e) => e);
  await producer.disconnect();
  assert.is(err?.type, 'POLICY_VIOLATION', String(err));
  const r = await kcat(['-P', '-b', ctx.outpost.bootstrap, '-t', TOPIC, '-p', '1'], { input: 'nor here\n' });
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /mirror topic of cluster link from-kafka|POLICY_VIOLATION|policy/i);
  assert.equal(await highWatermarks(ctx.mirror, TOPIC), before);
});

test("Kafka's DeleteRecords moves the mirror's log start", async (ctx) => {
  // Offset 4 lies inside the second kcat batch of partition 0.
  const r = await ctx.source.request('DeleteRecords', ctx.source.version('DeleteRecords')!, { topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, offset: 4 }] }], timeoutMs: 10_000 });
  assert.is(errorName(r.topics[0].partitions[0].errorCode), 'NONE');
  await waitFor('the mirror log start at 4', () => ctx.outpost.links.describeMirror(LINK, TOPIC).partitions[0]!.localLogStartOffset === 4);
  const d = ctx.outpost.links.describeMirror(LINK, TOPIC).partitions[0]!;
  assert.is(d.sourceLogStartOffset, 4);
  await sameAsKafka(ctx, 2);
});

test("Kafka's retention deleting old segments moves the mirror's log start", async (ctx) => {
  // segment.ms=100 rolls a segment at each batch whose timestamp is over 100 ms past the segment's
  // first; the first three batches are hours old, so retention.ms of an hour deletes their segments.
  const topic = 'aging';
  await createTopic(ctx.kafka, topic, 1, { 'segment.ms': '100' });
  const kafkajs = new Kafka({ clientId: 'link-retention', brokers: [ctx.kafka.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafkajs.producer();
  await producer.connect();
  const now = Date.now();
  for (const hoursAgo of [10, 9, 8, 0]) {
    await producer.send({ topic, messages: [0, 1, 2].map((i) => ({ key: `h${hoursAgo}-${i}`, value: `${hoursAgo} hours ago`, timestamp: String(now - hoursAgo * 3_600_000 + i) })) });
  }
  await producer.disconnect();
  await ctx.outpost.links.createMirror(LINK, topic);
  await mirrored(ctx.outpost.links, LINK, topic, await highWatermarks(ctx.source, topic));
  assert.is(ctx.outpost.links.describeMirror(LINK, topic).partitions[0]!.localLogStartOffset, 0);

  const set = { resources: [{ resourceType: 2, resourceName: topic, configs: [{ name: 'retention.ms', configOperation: 0, value: '3600000' }] }], validateOnly: false };
  const r = await ctx.source.request('IncrementalAlterConfigs', ctx.source.version('IncrementalAlterConfigs')!, set);
  assert.is(errorName(r.responses[0].errorCode), 'NONE');
  // Kafka deletes the three old segments: its log start moves to the fourth batch, at offset 9.
  await waitFor("Kafka's retention", async () => (await logStart(ctx.source, topic)) === 9);
  await waitFor('the mirror log start at 9', () => ctx.outpost.links.describeMirror(LINK, topic).partitions[0]!.localLogStartOffset === 9);
  assert.is(await logStart(ctx.mirror, topic), 9);
  assert.equal(baseOffsets(await fetchBatches(ctx.mirror, topic, 0)), baseOffsets(await fetchBatches(ctx.source, topic, 0)));
  assert.equal(baseOffsets(await fetchBatches(ctx.mirror, topic, 0)), [9]);
});

/** Partition 0's log start offset, from ListOffsets EARLIEST. */
async function logStart(conn: KafkaConnection, topic: string): Promise<number> {
  const r = await conn.request('ListOffsets', conn.version('ListOffsets')!, {
    replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2 }] }],
  });
  const p = r.topics[0].partitions[0];
  assert.is(errorName(p.errorCode), 'NONE');
  return Number(p.offset);
}

test('synced topic configs follow Kafka, and are refused on the mirror', async (ctx) => {
  const describe = async (conn: KafkaConnection) => {
    const r = await conn.request('DescribeConfigs', conn.version('DescribeConfigs')!, { resources: [{ resourceType: 2, resourceName: TOPIC, configurationKeys: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: false, includeDocumentation: false });
    return Object.fromEntries(r.results[0].configs.map((c: any) => [c.name, c.value]));
  };
  const set = { resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'retention.ms', configOperation: 0, value: '3600000' }] }], validateOnly: false };
  const altered = await ctx.source.request('IncrementalAlterConfigs', ctx.source.version('IncrementalAlterConfigs')!, set);
  assert.is(altered.responses[0].errorCode, 0);
  await waitFor('retention.ms synced to the mirror', async () => (await describe(ctx.mirror))['retention.ms'] === '3600000');
  assert.equal(await describe(ctx.mirror), await describe(ctx.source));

  const change = { resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'retention.ms', configOperation: 0, value: '7200000' }] }], validateOnly: false };
  const refused = await ctx.mirror.request('IncrementalAlterConfigs', ctx.mirror.version('IncrementalAlterConfigs')!, change);
  assert.is(errorName(refused.responses[0].errorCode), 'POLICY_VIOLATION');
  assert.match(refused.responses[0].errorMessage ?? '', /retention\.ms is synced from its source topic/);
  const own = { resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'segment.ms', configOperation: 0, value: '3600000' }] }], validateOnly: false };
  const allowed = await ctx.mirror.request('IncrementalAlterConfigs', ctx.mirror.version('IncrementalAlterConfigs')!, own);
  assert.is(allowed.responses[0].errorCode, 0, 'a config of the mirror itself can be set');
  assert.is((await describe(ctx.mirror))['retention.ms'], '3600000');
});

test('partitions added at Kafka are added to the mirror', async (ctx) => {
  const r = await ctx.source.request('CreatePartitions', ctx.source.version('CreatePartitions')!, { topics: [{ name: TOPIC, count: 3, assignments: null }], timeoutMs: 10_000, validateOnly: false });
  assert.is(errorName(r.results[0].errorCode), 'NONE');
  await kcatProduce(ctx, 2, 'snappy', ['new:partition']);
  const ends = await waitFor('Kafka to show 3 partitions', async () => {
    const e = await highWatermarks(ctx.source, TOPIC);
    return e.length === 3 && e[2] === 1 && e;
  });
  await mirrored(ctx.outpost.links, LINK, TOPIC, ends);
  await sameAsKafka(ctx, 3);
});

test("the link's fetch session with Kafka goes incremental: only changed partitions travel", async (ctx) => {
  const { topicId } = await describeTopic(ctx.source, TOPIC);
  const ends = await highWatermarks(ctx.source, TOPIC);
  const version = ctx.source.version('Fetch')!;
  const session = new FetchSessionClient();
  const positions: FetchPosition[] = ends.map((fetchOffset, partition) => ({ topic: TOPIC, topicId, partition, fetchOffset, currentLeaderEpoch: -1, lastFetchedEpoch: -1, maxBytes: 1 << 20 }));
  // Each call says where every partition still wanted is; the rest are dropped.
  const at = (offsets: number[]): number[] => {
    for (const [i, p] of positions.entries()) {
      if (i < offsets.length) {
        p.fetchOffset = offsets[i]!;
        session.want(p, version);
      } else {
        session.drop(p, version);
      }
    }
    return offsets;
  };
  const send = async (_: number[]) => {
    const req = session.build(version);
    const res = await ctx.source.request('Fetch', version, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId: req.sessionId, sessionEpoch: req.sessionEpoch,
      topics: req.topics, forgottenTopicsData: req.forgottenTopicsData, rackId: '',
    });
    assert.is(session.onResponse(req, res.errorCode, res.sessionId), null);
    const answered: number[] = res.responses.flatMap((t: any) => t.partitions.map((p: any) => p.partitionIndex));
    return { req, answered: answered.sort() };
  };
  const full = await send(at(ends));
  assert.ok(full.req.full);
  assert.equal(full.answered, [0, 1, 2]);
  assert.ok(session.incremental, 'Kafka granted a session');
  const same = await send(at(ends));
  assert.not.ok(same.req.full);
  assert.equal(same.req.topics, [], 'nothing changed, nothing sent');
  assert.equal(same.answered, [], 'nothing new, nothing answered');
  const moved = await send(at([ends[0]! - 1, ends[1]!, ends[2]!]));
  assert.equal(moved.req.topics.flatMap((t: any) => t.partitions.map((p: any) => p.partition)), [0]);
  assert.equal(moved.answered, [0]);
  const fewer = await send(at([ends[0]!, ends[1]!]));
  assert.equal(fewer.req.forgottenTopicsData.map((t: any) => t.partitions), [[2]]);
});

test('a stopped Kafka makes the link and its mirror SOURCE_UNAVAILABLE; the mirror keeps serving', async (ctx) => {
  const ends = await highWatermarks(ctx.mirror, TOPIC);
  await ctx.kafka.stop();
  const link = await waitFor('the link to notice', () => {
    const l = ctx.outpost.links.describeLink(LINK);
    return l.state === 'SOURCE_UNAVAILABLE' && l;
  });
  assert.match(link.lastError ?? '', /cannot reach the source cluster/);
  assert.is(ctx.outpost.links.describeMirror(LINK, TOPIC).state, 'SOURCE_UNAVAILABLE');
  assert.equal(await highWatermarks(ctx.mirror, TOPIC), ends);
});

test.run();
