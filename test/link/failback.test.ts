// Failback between two outposts. A is the primary and B its standby; B fails over while A still
// holds records B never got. A comes back as B's standby with truncate-and-restore (REST): those
// records are cut, counted per partition, and A then holds B's batches byte for byte. Then the two
// swap roles back with `outpost mirror reverse-and-start` (REST at A, which asks B's admin API): A
// is the primary again and B mirrors it, nothing cut.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { runOutpostCli } from '../support/outpost-cli.js';
import { connectTo, fetchBatches, highWatermarks, waitFor } from './support.js';


interface Ctx {
  a: TestBroker;
  b: TestBroker;
  ca: KafkaConnection;
  cb: KafkaConnection;
}

const test = suite<Ctx>('failback between two outposts');

test.before(async (ctx) => {
  ctx.a = await startOutpost();
  ctx.b = await startOutpost();
  [ctx.ca, ctx.cb] = [await connectTo(ctx.a.port), await connectTo(ctx.b.port)];
});

test.after(async (ctx) => {
  ctx.ca?.close();
  ctx.cb?.close();
  await ctx.a?.destroy();
  await ctx.b?.destroy();
});

async function produce(broker: TestBroker, topic: string, values: { partition: number; value: string }[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'failback', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, messages: values });
  } finally {
    await producer.disconnect();
  }
}

const rows = (partition: number, n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ partition, value: `${tag}${i}` }));

async function caughtUp(from: KafkaConnection, to: KafkaConnection, topic: string, what: string): Promise<number[]> {
  const ends = await highWatermarks(from, topic);
  await waitFor(what, async () => JSON.stringify(await highWatermarks(to, topic)) === JSON.stringify(ends));
  return ends;
}

test('failover, then truncate-and-restore at the old primary: what B never got is cut, counted, and A follows B', async (ctx) => {
  const admin = new Kafka({ clientId: 'failback', brokers: [ctx.a.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
  await admin.disconnect();
  await produce(ctx.a, 'orders', [...rows(0, 6, 'a'), ...rows(1, 4, 'a')]);
  await ctx.b.links.createLink({ name: 'from-a', bootstrapServers: ctx.a.bootstrap, configs: { 'topic.config.sync.ms': '200' } });
  await ctx.b.links.createMirror('from-a', 'orders');
  const stop = await caughtUp(ctx.ca, ctx.cb, 'orders', 'B caught up');
  // A takes three more on partition 0 that B never gets: the mirror is paused, then B fails over.
  await ctx.b.links.pauseMirrors('from-a', ['orders']);
  await produce(ctx.a, 'orders', rows(0, 3, 'lost'));
  assert.equal(await ctx.b.links.stopMirrors('from-a', ['orders'], 'failover'), [{ topic: 'orders', error: null }]);
  assert.equal(ctx.b.links.describeMirror('from-a', 'orders').partitions.map((p) => p.stopOffset), stop);
  await produce(ctx.b, 'orders', [...rows(0, 2, 'b'), ...rows(1, 1, 'b')]);

  await ctx.a.links.createLink({ name: 'from-b', bootstrapServers: ctx.b.bootstrap, configs: { 'topic.config.sync.ms': '200' } });
  const api = `http://127.0.0.1:${ctx.a.adminPort}/kafka/v3/clusters/${ctx.a.clusterId}/links/from-b`;
  const restore = async (query: string) => {
    const res = await fetch(`${api}/mirrors:truncate-and-restore${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mirror_topic_names: ['orders'] }) });
    assert.is(res.status, 200);
    return (await res.json()).data[0];
  };
  const expected = [
    { partition_id: 0, offset_truncated_to: stop[0], messages_truncated: 3 },
    { partition_id: 1, offset_truncated_to: stop[1], messages_truncated: 0 },
  ];
  const dry = await restore('?validate_only=true');
  assert.is(dry.error_message, null);
  assert.equal(dry.messages_truncated, expected);
  assert.is(ctx.a.links.mirrorOf('orders'), undefined, 'a dry run changes nothing');
  const done = await restore('');
  assert.equal(done.messages_truncated, expected);
  assert.ok(ctx.a.links.mirrorOf('orders'));
  await caughtUp(ctx.cb, ctx.ca, 'orders', 'A follows B');
  for (const p of [0, 1]) assert.equal(await fetchBatches(ctx.ca, 'orders', p), await fetchBatches(ctx.cb, 'orders', p), `partition ${p}: B's batches at B's offsets`);

  // Bad input: a topic that is a mirror already, one that does not exist, an unknown link.
  const again = await restore('');
  assert.match(again.error_message, /orders is a mirror already \(of link from-b\)/);
  const missing = await fetch(`${api}/mirrors:truncate-and-restore`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mirror_topic_names: ['nope'] }) });
  assert.match((await missing.json()).data[0].error_message, /topic nope does not exist here/);
  const noLink = await fetch(api.replace('from-b', 'nowhere') + '/mirrors:truncate-and-restore', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mirror_topic_names: ['orders'] }) });
  assert.is(noLink.status, 404);
});

test('reverse-and-start: A, caught up, becomes the primary again and B mirrors it, nothing cut', async (ctx) => {
  const run = await runOutpostCli([
    'mirror', 'reverse-and-start', 'orders', '--link', 'from-b', '--admin-url', `http://127.0.0.1:${ctx.a.adminPort}`,
    '--peer-admin-url', `http://127.0.0.1:${ctx.b.adminPort}`, '--peer-link', 'from-a',
  ]);
  assert.is(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /Reversed "orders": it is writable here, and the peer mirrors it \(0 record\(s\) cut there\)/);
  assert.is(ctx.a.links.mirrorOf('orders'), undefined);
  assert.ok(ctx.b.links.mirrorOf('orders'));
  await produce(ctx.a, 'orders', rows(1, 2, 'again'));
  await caughtUp(ctx.ca, ctx.cb, 'orders', 'B follows A again');
  for (const p of [0, 1]) assert.equal(await fetchBatches(ctx.cb, 'orders', p), await fetchBatches(ctx.ca, 'orders', p));

  // Refused when the mirror here is not caught up: B is the mirror now, and A's producer runs ahead of a paused B.
  await ctx.b.links.pauseMirrors('from-a', ['orders']);
  await produce(ctx.a, 'orders', rows(0, 1, 'ahead'));
  const refused = await runOutpostCli([
    'mirror', 'reverse-and-start', 'orders', '--link', 'from-a', '--admin-url', `http://127.0.0.1:${ctx.b.adminPort}`,
    '--peer-admin-url', `http://127.0.0.1:${ctx.a.adminPort}`, '--peer-link', 'from-b',
  ]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /Cannot reverse "orders": mirror topic orders is 1 records behind its source/);
  assert.ok(ctx.b.links.mirrorOf('orders'), 'nothing changed');

  // The REST path itself, with a peer that cannot be reached: refused before anything changes.
  await ctx.b.links.resumeMirrors('from-a', ['orders']);
  const res = await fetch(`http://127.0.0.1:${ctx.b.adminPort}/kafka/v3/clusters/${ctx.b.clusterId}/links/from-a/mirrors:reverse-and-start`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mirror_topic_names: ['orders'], peer: { admin_url: 'http://127.0.0.1:9', link_name: 'from-b' } }),
  });
  assert.is(res.status, 502);
  assert.match((await res.json()).message, /peer.admin_url: cannot reach the peer outpost/);
  assert.ok(ctx.b.links.mirrorOf('orders'), 'nothing changed');
});

test.run();
