// Promote and failover of mirrors of a real Apache Kafka 4.4.0 source, through REST and the CLI.
// Promote is refused while the mirror lags (the error names the lag) and taken once it has all
// the source has committed; the topic is then writable, its offsets continue where the source's
// ended, its leader epoch is above the mirrored ones, producer ids handed out are above those in
// the mirrored data, and consumer groups resume at their synced offsets. Failover, with the
// source killed, stops at what the mirror holds.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, javaClient, jsonLines, startKafka, type KafkaPeer } from '../peers/kafka.js';
import { kcat } from '../peers/kcat.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { runOutpostCli } from '../support/outpost-cli.js';
import { BatchHeader } from '../../protocol/records/batch.js';
import { connectTo, fetchBatches, highWatermarks, waitFor } from './support.js';

const LINK = 'dr';

interface Ctx {
  kafka: KafkaPeer;
  outpost: TestBroker;
  source: KafkaConnection;
  local: KafkaConnection;
  api: string;
}

const test = suite<Ctx>('promote and failover, from Kafka 4.4.0');

const produce = (bootstrap: string, topic: string, from: number, n: number, extra: string[] = []) =>
  kcat(['-b', bootstrap, '-P', '-t', topic, '-K', ':', ...extra], { input: Array.from({ length: n }, (_, i) => `k${from + i}:v${from + i}`).join('\n') + '\n' });

test.before(async (ctx) => {
  [ctx.kafka, ctx.outpost] = await Promise.all([startKafka(), startOutpost()]);
  for (const t of ['payments', 'standby']) await createTopic(ctx.kafka, t, 2);
  // An idempotent producer at the source: its producer ids are in the mirrored data.
  assert.is((await produce(ctx.kafka.bootstrap, 'payments', 0, 50, ['-X', 'enable.idempotence=true'])).code, 0);
  assert.is((await produce(ctx.kafka.bootstrap, 'standby', 0, 20, ['-X', 'enable.idempotence=true'])).code, 0);
  await ctx.outpost.links.createLink({
    name: LINK,
    bootstrapServers: ctx.kafka.bootstrap,
    configs: { 'consumer.offset.sync.enable': 'true', 'consumer.offset.sync.ms': '60000', 'consumer.offset.group.filters': '{"groupFilters":[{"name":"*","patternType":"LITERAL","filterType":"INCLUDE"}]}' },
  });
  for (const t of ['payments', 'standby']) await ctx.outpost.links.createMirror(LINK, t);
  ctx.source = await connectTo(ctx.kafka.port);
  ctx.local = await connectTo(ctx.outpost.port);
  ctx.api = `http://127.0.0.1:${ctx.outpost.adminPort}/kafka/v3/clusters/${ctx.outpost.clusterId}/links/${LINK}`;
  for (const t of ['payments', 'standby']) {
    const ends = await highWatermarks(ctx.source, t);
    await waitFor(`${t} caught up`, async () => JSON.stringify(await highWatermarks(ctx.local, t)) === JSON.stringify(ends));
  }
});

test.after(async (ctx) => {
  ctx.source?.close();
  ctx.local?.close();
  await ctx.outpost?.destroy();
  await ctx.kafka?.stop();
});

async function post(ctx: Ctx, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${ctx.api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

const outpostCli = (args: string[], adminPort: number) => runOutpostCli([...args, '--admin-url', `http://127.0.0.1:${adminPort}`]);

async function leaderEpochs(conn: KafkaConnection, topic: string): Promise<number[]> {
  const r = await conn.request('Metadata', 12, { topics: [{ name: topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  return r.topics[0]!.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.leaderEpoch);
}

test('promote is refused while the mirror lags, naming the lag; a dry run changes nothing', async (ctx) => {
  await ctx.outpost.links.pauseMirrors(LINK, ['payments']);
  assert.is((await produce(ctx.kafka.bootstrap, 'payments', 50, 10)).code, 0);
  const r = await post(ctx, '/mirrors:promote', { mirror_topic_names: ['payments'] });
  assert.is(r.status, 200);
  assert.is(r.body.data[0].error_code, 400);
  assert.match(r.body.data[0].error_message, /payments is 10 records behind its source \(partition \d: \d+/);
  const cli = await outpostCli(['mirror', 'promote', 'payments', '--link', LINK, '--dry-run'], ctx.outpost.adminPort);
  assert.is(cli.code, 1);
  assert.match(cli.stdout, /Cannot promote "payments": .*10 records behind/);
  assert.ok(ctx.outpost.links.mirrorOf('payments'), 'still a mirror');
});

test('promote once caught up: writable, offsets continue, epochs and producer ids above the mirrored, groups resume', async (ctx) => {
  // A group commits at the source; the promotion's last offset sync carries it over.
  const group = await kcat(['-b', ctx.kafka.bootstrap, '-G', 'billing', '-c', '25', '-X', 'auto.offset.reset=earliest', 'payments']);
  assert.is(group.code, 0, group.stderr);
  await ctx.outpost.links.resumeMirrors(LINK, ['payments']);
  const ends = await highWatermarks(ctx.source, 'payments');
  await waitFor('caught up again', async () => JSON.stringify(await highWatermarks(ctx.local, 'payments')) === JSON.stringify(ends));
  const sourceEpochs = await leaderEpochs(ctx.source, 'payments');
  const cli = await outpostCli(['mirror', 'promote', 'payments', '--link', LINK], ctx.outpost.adminPort);
  assert.is(cli.code, 0, cli.stdout + cli.stderr);
  assert.match(cli.stdout, /Did promote mirror topic "payments": it is writable now/);
  assert.is(ctx.outpost.links.mirrorOf('payments'), undefined);
  const stopped = ctx.outpost.links.describeMirror(LINK, 'payments');
  assert.is(stopped.state, 'STOPPED');
  assert.match(stopped.reason!, new RegExp(`promoted at .*, at offsets ${ends.join(', ')}`));
  // Produce continues at the next offset.
  assert.is((await produce(ctx.outpost.bootstrap, 'payments', 60, 10)).code, 0);
  const after = await highWatermarks(ctx.local, 'payments');
  assert.is(after.reduce((a, b) => a + b, 0), ends.reduce((a, b) => a + b, 0) + 10);
  const localEpochs = await leaderEpochs(ctx.local, 'payments');
  localEpochs.forEach((e, p) => assert.ok(e > sourceEpochs[p]!, `partition ${p}: epoch ${e} above the source's ${sourceEpochs[p]}`));
  // Producer ids handed out here are above those of the source's producers in the mirrored data.
  let maxMirrored = -1;
  for (const p of [0, 1]) for (const b of await fetchBatches(ctx.local, 'payments', p)) maxMirrored = Math.max(maxMirrored, new BatchHeader(b, 0).producerId);
  assert.ok(maxMirrored >= 0, 'the idempotent producer left its id in the data');
  const pid = await ctx.local.request('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 });
  assert.ok(pid.producerId > maxMirrored, `outpost's producer id ${pid.producerId} is above ${maxMirrored}, the largest in the mirrored data`);
  // The group resumes at its synced offsets.
  const atSource = await ctx.source.request('OffsetFetch', 7, { groupId: 'billing', topics: [{ name: 'payments', partitionIndexes: [0, 1] }], groups: [], requireStable: true });
  const here = await ctx.local.request('OffsetFetch', 7, { groupId: 'billing', topics: [{ name: 'payments', partitionIndexes: [0, 1] }], groups: [], requireStable: true });
  assert.equal(here.topics[0]!.partitions.map((p) => p.committedOffset), atSource.topics[0]!.partitions.map((p) => p.committedOffset));
});

/** The partition's high watermark and last stable offset, as ListOffsets answers them. */
async function stableEnds(conn: KafkaConnection, topic: string): Promise<[number, number]> {
  const at = async (isolationLevel: number) => {
    const r = await conn.request('ListOffsets', 7, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] });
    return r.topics[0]!.partitions[0]!.offset;
  };
  return [await at(0), await at(1)];
}

test('failover with a transaction open at the source: the mirror holds none of it; committed and aborted ones are served as Kafka serves them', async (ctx) => {
  await createTopic(ctx.kafka, 'txns', 1);
  const produceTxn = (id: string, txn: 'commit' | 'abort', count: number, extra: string[] = []) =>
    javaClient('ProduceRecords', ['--bootstrap', ctx.kafka.bootstrap, '--topic', 'txns', '--partition', '0', '--count', String(count), '--key-prefix', `${id}-`, '--value-prefix', `${txn}-${id}-`, '--txn', txn, '--prop', `transactional.id=${id}`, ...extra]);
  for (const [id, txn, n] of [['t1', 'commit', 5], ['t2', 'abort', 3]] as const) {
    const r = await produceTxn(id, txn, n);
    assert.is(r.code, 0, r.stderr);
  }
  const dir = mkdtempSync(join(tmpdir(), 'outpost-promote-'));
  const signal = join(dir, 'end-open');
  const open = produceTxn('t3', 'commit', 4, ['--end-txn-when', signal]);
  try {
    await waitFor('the open transaction at Kafka', async () => (await stableEnds(ctx.source, 'txns'))[0] >= 5 + 1 + 3 + 1 + 4);
    const [, sourceStable] = await stableEnds(ctx.source, 'txns');
    await ctx.outpost.links.createMirror(LINK, 'txns');
    await waitFor('the mirror up to the source\'s last stable offset', async () => (await stableEnds(ctx.local, 'txns'))[0] === sourceStable);
    const r = await post(ctx, '/mirrors:failover', { mirror_topic_names: ['txns'] });
    assert.is(r.body.data[0].error_code, null);
    const [hw, lso] = await stableEnds(ctx.local, 'txns');
    assert.equal([hw, lso], [sourceStable, sourceStable], 'no open transaction: read_committed consumers are not stuck');
    const committed = await javaClient('ConsumeRecords', ['--bootstrap', ctx.outpost.bootstrap, '--topic', 'txns', '--to-end', 'true', '--timeout-ms', '30000', '--prop', 'isolation.level=read_committed']);
    assert.is(committed.code, 0, committed.stderr);
    assert.equal(jsonLines<{ value: string }>(committed.stdout).map((x) => x.value), Array.from({ length: 5 }, (_, i) => `commit-t1-${i}`));
  } finally {
    writeFileSync(signal, '');
    await open;
  }
});

test('failover with the source killed: stops at what the mirror holds, and the topic is writable', async (ctx) => {
  const held = await highWatermarks(ctx.local, 'standby');
  await ctx.kafka.stop();
  const r = await post(ctx, '/mirrors:failover', { mirror_topic_name_pattern: 'stand.*' });
  assert.is(r.status, 200);
  assert.equal(r.body.data.map((d: any) => [d.mirror_topic_name, d.error_code]), [['standby', null]]);
  assert.is((await produce(ctx.outpost.bootstrap, 'standby', 20, 5)).code, 0);
  const after = await highWatermarks(ctx.local, 'standby');
  assert.is(after.reduce((a, b) => a + b, 0), held.reduce((a, b) => a + b, 0) + 5);
});

test('bad input: not a mirror, an unknown link', async (ctx) => {
  const notMirror = await post(ctx, '/mirrors:promote', { mirror_topic_names: ['payments'] });
  assert.is(notMirror.status, 404);
  assert.match(notMirror.body.message, /has no mirror topic payments/);
  const res = await fetch(`${ctx.api.replace(`/links/${LINK}`, '/links/nope')}/mirrors:failover`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"mirror_topic_names":["x"]}' });
  assert.is(res.status, 404);
  const both = await post(ctx, '/mirrors:promote', { mirror_topic_names: ['x'], mirror_topic_name_pattern: 'x' });
  assert.is(both.status, 400);
});

test.run();
