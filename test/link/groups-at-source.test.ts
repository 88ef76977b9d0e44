// Consumer groups coordinated by a real Apache Kafka 4.4.0 source through outpost's link
// (consumer.group.coordination=source): a Java consumer group moves from outpost to the source
// and back, and reads every record once; the group lives at the source only, where its offsets
// and its members are seen; a group the filters leave out stays outpost's own.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errorName } from '../../protocol/errors.js';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { createTopic, javaClient, javaTool, jsonLines, startKafka, type KafkaPeer } from '../peers/kafka.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { connectTo, highWatermarks, waitFor } from './support.js';

const LINK = 'edge';
const TOPIC = 'orders';
const PARTITIONS = 4;

interface Ctx {
  kafka: KafkaPeer;
  outpost: TestBroker;
  source: KafkaConnection;
  local: KafkaConnection;
  ends: number[];
}

const test = suite<Ctx>('consumer groups coordinated at a Kafka 4.4.0 source, through outpost');

test.before(async (ctx) => {
  [ctx.kafka, ctx.outpost] = await Promise.all([startKafka(), startOutpost()]);
  await ctx.outpost.links.createLink({
    name: LINK,
    bootstrapServers: ctx.kafka.bootstrap,
    configs: {
      'consumer.group.coordination': 'source',
      'consumer.group.coordination.group.filters': JSON.stringify({ groupFilters: [{ name: 'edge-', patternType: 'PREFIXED', filterType: 'INCLUDE' }] }),
    },
  });
  await createTopic(ctx.kafka, TOPIC, PARTITIONS);
  const produced = await javaTool('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', TOPIC, '--num-records', '2000', '--record-size', '100', '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${ctx.kafka.bootstrap}`, 'acks=1', 'linger.ms=5', 'batch.size=4096',
  ]);
  assert.is(produced.code, 0, produced.stderr);
  await ctx.outpost.links.createMirror(LINK, TOPIC);
  ctx.source = await connectTo(ctx.kafka.port);
  ctx.local = await connectTo(ctx.outpost.port);
  ctx.ends = await highWatermarks(ctx.source, TOPIC);
  await waitFor('the mirror to catch up', async () => (await highWatermarks(ctx.local, TOPIC)).join() === ctx.ends.join());
});

test.after(async (ctx) => {
  ctx.source?.close();
  ctx.local?.close();
  await ctx.outpost?.destroy();
  await ctx.kafka?.stop();
});

interface Read {
  partition: number;
  offset: number;
}

/** The Java consumer in group `group` at `bootstrap`: `limit` records (or to the end), one per poll so that its commit is exactly what it read. */
async function consume(bootstrap: string, group: string, limit: string[]): Promise<Read[]> {
  const r = await javaClient('ConsumeRecords', [
    '--bootstrap', bootstrap, '--topic', TOPIC, '--group', group, ...limit, '--commit', 'true', '--timeout-ms', '60000',
    '--prop', 'max.poll.records=1', '--prop', 'enable.auto.commit=false',
  ]);
  assert.is(r.code, 0, r.stderr);
  return jsonLines<Read>(r.stdout);
}

/** Group `group`'s committed offsets per partition, as `conn`'s broker has them (-1: none). */
async function committed(conn: KafkaConnection, group: string): Promise<number[]> {
  const r = await conn.request('OffsetFetch', 7, { groupId: group, topics: [{ name: TOPIC, partitionIndexes: [0, 1, 2, 3] }], requireStable: false });
  assert.is(errorName(r.errorCode), 'NONE');
  return [...r.topics[0].partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.committedOffset);
}

async function groupIds(conn: KafkaConnection): Promise<string[]> {
  const r = await conn.request('ListGroups', 4, { statesFilter: [] });
  return r.groups.map((g: { groupId: string }) => g.groupId);
}

/**
 * What the consumer commits after `reads`: each partition's offset after its last record, or for
 * a partition it held and read nothing of, where it stood (the log start, 0).
 */
function nextOffsets(reads: Read[]): number[] {
  const out = new Array<number>(PARTITIONS).fill(0);
  for (const r of reads) out[r.partition] = Math.max(out[r.partition]!, r.offset + 1);
  return out;
}

test('a Java group moves from outpost to the source and back and reads every record once', async (ctx) => {
  const atEdge = await consume(ctx.outpost.bootstrap, 'edge-billing', ['--max', '600']);
  assert.is(atEdge.length, 600);
  // The group is the source's: its commit is there, and outpost's own coordinator has never seen it.
  assert.equal(await committed(ctx.source, 'edge-billing'), nextOffsets(atEdge));
  assert.not.ok((await groupIds(ctx.local)).includes('edge-billing'), 'not a group of outpost\'s own');
  assert.ok((await groupIds(ctx.source)).includes('edge-billing'));
  // Through outpost the group's offsets are the source's too.
  assert.equal(await committed(ctx.local, 'edge-billing'), nextOffsets(atEdge));

  // Moved to the source: it resumes exactly where it committed at the edge.
  const atSource = await consume(ctx.kafka.bootstrap, 'edge-billing', ['--max', '600']);
  const resumedAt = nextOffsets(atEdge);
  for (const p of [0, 1, 2, 3]) {
    const first = atSource.find((r) => r.partition === p);
    if (first) assert.is(first.offset, resumedAt[p], `partition ${p} resumes at the edge's commit`);
  }
  // And back to the edge, to the end.
  const back = await consume(ctx.outpost.bootstrap, 'edge-billing', ['--to-end', 'true']);

  const seen = new Map<string, number>();
  for (const r of [...atEdge, ...atSource, ...back]) seen.set(`${r.partition}:${r.offset}`, (seen.get(`${r.partition}:${r.offset}`) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  assert.equal(twice, [], 'nothing read twice');
  assert.is(seen.size, ctx.ends.reduce((a, b) => a + b, 0), 'every record read');
  assert.equal(await committed(ctx.source, 'edge-billing'), ctx.ends);
});

test('a group the filters leave out is coordinated by outpost, as before', async (ctx) => {
  const reads = await consume(ctx.outpost.bootstrap, 'local-billing', ['--max', '100']);
  assert.is(reads.length, 100);
  assert.ok((await groupIds(ctx.local)).includes('local-billing'));
  assert.not.ok((await groupIds(ctx.source)).includes('local-billing'));
  assert.equal(await committed(ctx.local, 'local-billing'), nextOffsets(reads));
});

test.run();
