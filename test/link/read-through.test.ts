// An edge mirror of a real Apache Kafka 4.4.0 topic far larger than its local retention: the
// mirror keeps a few segments here (local.retention.bytes), its log start stays the source's, and
// the older records are read through the link, byte for byte, by outpost's own client, kcat, the
// Java consumer and kafkajs. Ten readers of the same cold range share the source fetches; a source
// killed and restarted during cold reads costs the Java consumer no offset reset.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { errorName } from '../../protocol/errors.js';
import { BatchHeader } from '../../protocol/records/batch.js';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { createTopic, javaClient, javaTool, jsonLines, startKafka, type KafkaPeer } from '../peers/kafka.js';
import { kcat } from '../peers/kcat.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { connectTo, describeTopic, fetchBatches, highWatermarks, waitFor } from './support.js';

const LINK = 'edge';
const LOCAL_BYTES = 64 * 1024;
const SEGMENT_BYTES = 32 * 1024;
/** local.retention.bytes, give or take the active segment and the one next in line for deletion */
const LOCAL_BOUND = LOCAL_BYTES + 2 * SEGMENT_BYTES;

interface Ctx {
  kafka: KafkaPeer;
  outpost: TestBroker;
  source: KafkaConnection;
  local: KafkaConnection;
}

const test = suite<Ctx>('read-through of a mirror with local retention, from Kafka 4.4.0');

/** Every batch from `from` to the high watermark, asking again while a cold read is not there yet. */
const batchesFrom = (conn: KafkaConnection, topic: string, from: number) => fetchBatches(conn, topic, 0, { from, partitionMaxBytes: 256 * 1024, emptyAnswers: 200 });

async function listOffset(conn: KafkaConnection, topic: string, timestamp: number): Promise<number> {
  const r = await conn.request('ListOffsets', conn.version('ListOffsets')!, {
    replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
  });
  return r.topics[0].partitions[0].offset;
}

test.before(async (ctx) => {
  [ctx.kafka, ctx.outpost] = await Promise.all([startKafka(), startOutpost({ configs: { 'log.retention.check.interval.ms': '300' } })]);
  await ctx.outpost.links.createLink({ name: LINK, bootstrapServers: ctx.kafka.bootstrap, configs: { 'replica.fetch.max.bytes': String(128 * 1024) } });
  ctx.source = await connectTo(ctx.kafka.port);
  ctx.local = await connectTo(ctx.outpost.port);
});

test.after(async (ctx) => {
  ctx.source?.close();
  ctx.local?.close();
  await ctx.outpost?.destroy();
  await ctx.kafka?.stop();
});

/** A source topic of `n` records (2 KiB values, several producer batches), mirrored with a small local retention. */
async function mirrorWithHistory(ctx: Ctx, topic: string, n: number): Promise<number> {
  await createTopic(ctx.kafka, topic, 1);
  const produced = await javaTool('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', topic, '--num-records', String(n), '--record-size', '2048', '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${ctx.kafka.bootstrap}`, 'acks=1', 'linger.ms=5', 'batch.size=32768',
  ]);
  assert.is(produced.code, 0, produced.stderr);
  await ctx.outpost.links.createMirror(LINK, topic, { configs: { 'segment.bytes': String(SEGMENT_BYTES), 'local.retention.bytes': String(LOCAL_BYTES) } });
  const [end] = await highWatermarks(ctx.source, topic);
  await waitFor(`${topic} mirrored`, async () => (await highWatermarks(ctx.local, topic))[0] === end);
  // Local retention runs: a few segments stay here, the log start stays the source's.
  await waitFor(`${topic} trimmed here`, () => ctx.outpost.links.describeMirror(LINK, topic).partitions[0]!.localBytes <= LOCAL_BOUND);
  return end!;
}

test('the full history, byte for byte: batches at every offset, and kcat, the Java consumer and kafkajs', async (ctx) => {
  const end = await mirrorWithHistory(ctx, 'history', 1500);
  assert.is(await listOffset(ctx.local, 'history', -2), 0, 'EARLIEST: the source\'s log start');
  const localStart = await listOffset(ctx.local, 'history', -4);
  assert.ok(localStart > 0 && localStart < end, `EARLIEST_LOCAL ${localStart}`);
  assert.equal(await batchesFrom(ctx.local, 'history', 0), await batchesFrom(ctx.source, 'history', 0), 'the source\'s batches at every offset');
  const m = ctx.outpost.links.describeMirror(LINK, 'history').partitions[0]!;
  assert.equal([m.logStartOffset, m.localLogStartOffset >= localStart], [0, true]);
  assert.ok(m.localBytes <= LOCAL_BOUND, `${m.localBytes} bytes here`);
  assert.ok(localStart > end / 2, 'most of the history is read through');

  const kc = await kcat(['-b', ctx.outpost.bootstrap, '-C', '-t', 'history', '-o', 'beginning', '-e', '-f', '%o\\n']);
  assert.is(kc.code, 0, kc.stderr);
  assert.equal(kc.stdout.trim().split('\n').map(Number), Array.from({ length: end }, (_, i) => i), 'kcat: every offset once');

  const java = await javaClient('ConsumeRecords', ['--bootstrap', ctx.outpost.bootstrap, '--topic', 'history', '--to-end', 'true', '--timeout-ms', '60000', '--encoding', 'base64']);
  const atSource = await javaClient('ConsumeRecords', ['--bootstrap', ctx.kafka.bootstrap, '--topic', 'history', '--to-end', 'true', '--timeout-ms', '60000', '--encoding', 'base64']);
  assert.is(java.code, 0, java.stderr);
  const pick = (out: string) => jsonLines<{ offset: number; value: string }>(out).map((r) => [r.offset, r.value]);
  assert.equal(pick(java.stdout), pick(atSource.stdout), 'the Java consumer reads what the source has');

  const kafka = new Kafka({ clientId: 'read-through', brokers: [ctx.outpost.bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'history-readers' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'history', fromBeginning: true });
  const offsets: number[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void offsets.push(Number(message.offset)) });
  await waitFor('kafkajs read to the end', () => offsets.length >= end, 120_000);
  await consumer.disconnect();
  assert.equal(offsets, Array.from({ length: end }, (_, i) => i), 'kafkajs: every offset once, in order');
  const rt = ctx.outpost.links.describeLink(LINK).readThrough;
  assert.ok(rt.bytesServed > 0 && rt.cachedBytes > 0 && rt.sourceFetchMs.p50 >= 0 && rt.sourceFetchMs.p99 >= rt.sourceFetchMs.p50, JSON.stringify(rt));
  // The mirror's total size is the source partition's, of which a part is here.
  const sized = await waitFor('the source size', () => {
    const p = ctx.outpost.links.describeMirror(LINK, 'history').partitions[0]!;
    return p.sourceBytes > 0 && p;
  }, 20_000);
  assert.ok(sized.sourceBytes > sized.localBytes, `${sized.sourceBytes} bytes at the source, ${sized.localBytes} here`);
  const served = ctx.outpost.links.describeMirror(LINK, 'history').partitions[0]!.bytesServed;
  assert.ok(served.readThrough > 0 && served.local > 0, JSON.stringify(served));
  const metrics = await (await fetch(`http://127.0.0.1:${ctx.outpost.adminPort}/metrics`)).text();
  assert.match(metrics, /outpost_cluster_link_read_through_bytes_served\{link="edge"\} [1-9]/);
  assert.match(metrics, /outpost_mirror_bytes_served\{link="edge",topic="history",from="read_through"\} [1-9]/);
  assert.match(metrics, /outpost_mirror_size_bytes\{link="edge",topic="history",where="total"\} [1-9]/);
  assert.match(metrics, /outpost_cluster_link_read_through_cache_hit_ratio\{link="edge"\} 0\.\d+/);
  assert.match(metrics, /outpost_cluster_link_read_through_source_fetch_ms\{link="edge",quantile="0.99"\} \d+/);
});

test('ten readers of the same cold range share the source fetches', async (ctx) => {
  await mirrorWithHistory(ctx, 'shared', 1000);
  const before = ctx.outpost.links.describeLink(LINK).readThrough.sourceFetches;
  const readers = await Promise.all(Array.from({ length: 10 }, async () => {
    const conn = await connectTo(ctx.outpost.port);
    try {
      return await batchesFrom(conn, 'shared', 0);
    } finally {
      conn.close();
    }
  }));
  const fetches = ctx.outpost.links.describeLink(LINK).readThrough.sourceFetches - before;
  // Read after the readers: retention may still have been moving it up while they read.
  const localStart = await listOffset(ctx.local, 'shared', -4);
  for (const r of readers) assert.equal(r, readers[0]);
  // The chunks one reader needs: whole batches, as many as fit in replica.fetch.max.bytes each.
  let chunks = 0;
  let room = 0;
  for (const b of readers[0]!.filter((x) => new BatchHeader(x, 0).baseOffset < localStart)) {
    if (b.length > room) {
      chunks++;
      room = 128 * 1024;
    }
    room -= b.length;
  }
  // One fetch per chunk (and one read ahead past the cold range at most), not one per reader.
  assert.ok(fetches <= chunks + 1, `${fetches} source fetches for ${chunks} chunks`);
});

test('an edge that starts empty: mirror.start.offset.spec=latest copies only new records and serves the history from the source', async (ctx) => {
  await ctx.outpost.links.createLink({ name: 'edge-latest', bootstrapServers: ctx.kafka.bootstrap, configs: { 'mirror.start.offset.spec': 'latest', 'replica.fetch.max.bytes': String(128 * 1024) } });
  await createTopic(ctx.kafka, 'fresh', 1);
  const produce = async (n: number) => {
    const r = await javaTool('org.apache.kafka.tools.ProducerPerformance', [
      '--topic', 'fresh', '--num-records', String(n), '--record-size', '2048', '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${ctx.kafka.bootstrap}`, 'acks=1', 'linger.ms=5', 'batch.size=32768',
    ]);
    assert.is(r.code, 0, r.stderr);
  };
  await produce(500);
  const [startedAt] = await highWatermarks(ctx.source, 'fresh');
  await ctx.outpost.links.createMirror('edge-latest', 'fresh');
  assert.is(ctx.outpost.links.describeMirror('edge-latest', 'fresh').partitions[0]!.localBytes, 0, 'nothing copied at creation');
  assert.equal([await listOffset(ctx.local, 'fresh', -2), await listOffset(ctx.local, 'fresh', -4)], [0, startedAt], 'EARLIEST is the source\'s, EARLIEST_LOCAL where the copy began');
  await produce(100);
  const [end] = await highWatermarks(ctx.source, 'fresh');
  await waitFor('the new records mirrored', async () => (await highWatermarks(ctx.local, 'fresh'))[0] === end);
  const m = ctx.outpost.links.describeMirror('edge-latest', 'fresh').partitions[0]!;
  assert.equal([m.logStartOffset, m.localLogStartOffset], [0, startedAt]);
  assert.ok(m.localBytes < 100 * 2200, `only the new records are here (${m.localBytes} bytes)`);
  assert.equal(await batchesFrom(ctx.local, 'fresh', 0), await batchesFrom(ctx.source, 'fresh', 0), 'the source\'s batches at every offset');
  const kc = await kcat(['-b', ctx.outpost.bootstrap, '-C', '-t', 'fresh', '-o', 'beginning', '-e', '-f', '%o\\n']);
  assert.is(kc.code, 0, kc.stderr);
  assert.equal(kc.stdout.trim().split('\n').map(Number), Array.from({ length: end! }, (_, i) => i), 'kcat: every offset once');
});

test('a disk tier: chunks leaving the memory cache are kept on disk and read back instead of from the source', async (ctx) => {
  const configs = { 'replica.fetch.max.bytes': String(128 * 1024), 'read.through.cache.max.bytes': String(1 << 20), 'read.through.disk.cache.max.bytes': String(64 << 20) };
  await ctx.outpost.links.createLink({ name: 'edge-disk', bootstrapServers: ctx.kafka.bootstrap, configs: { ...configs, 'mirror.start.offset.spec': 'latest' } });
  await createTopic(ctx.kafka, 'spilled', 1);
  const produced = await javaTool('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', 'spilled', '--num-records', '2000', '--record-size', '2048', '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${ctx.kafka.bootstrap}`, 'acks=1', 'linger.ms=5', 'batch.size=32768',
  ]);
  assert.is(produced.code, 0, produced.stderr);
  await ctx.outpost.links.createMirror('edge-disk', 'spilled');
  const source = await batchesFrom(ctx.source, 'spilled', 0);
  assert.equal(await batchesFrom(ctx.local, 'spilled', 0), source, 'first read, from the source');
  const first = ctx.outpost.links.describeLink('edge-disk').readThrough;
  assert.ok(first.diskCachedBytes > 0, 'what left memory is on disk');
  const dir = join(ctx.outpost.dataDir, '__outpost_read_through_cache', 'edge-disk');
  assert.ok((await readdir(dir)).length > 0);
  assert.equal(await batchesFrom(ctx.local, 'spilled', 0), source, 'second read, from memory and disk');
  const second = ctx.outpost.links.describeLink('edge-disk').readThrough;
  assert.ok(second.diskHits > 0, JSON.stringify(second));
  assert.ok(second.sourceFetches - first.sourceFetches <= 1, `${second.sourceFetches - first.sourceFetches} source fetches on the second read`);
  await ctx.outpost.links.deleteLink('edge-disk', { force: true });
  await waitFor('the disk tier removed with its link', async () => !(await readdir(dir).then(() => true, () => false)));
});

test('the source killed and restarted during cold reads: no offset reset, every record once', async (ctx) => {
  const end = await mirrorWithHistory(ctx, 'outage', 800);
  const reading = javaClient('ConsumeRecords', ['--bootstrap', ctx.outpost.bootstrap, '--topic', 'outage', '--to-end', 'true', '--timeout-ms', '120000', '--prop', 'auto.offset.reset=none']);
  const restarting = ctx.kafka.restart();
  // While the source is down, a cold read is refused with a retriable error (never out of range).
  const during = await ctx.local.request('Fetch', ctx.local.version('Fetch')!, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'outage', topicId: (await describeTopic(ctx.local, 'outage')).topicId, partitions: [{ partition: 0, fetchOffset: 1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  assert.ok(['NONE', 'KAFKA_STORAGE_ERROR'].includes(errorName(during.responses[0].partitions[0].errorCode)));
  await restarting;
  const r = await reading;
  assert.is(r.code, 0, r.stderr.slice(-2000));
  assert.equal(jsonLines<{ offset: number }>(r.stdout).map((x) => x.offset), Array.from({ length: end }, (_, i) => i), 'every offset once, from the start');
});

test.run();
