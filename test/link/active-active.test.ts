// Two outposts linked each way with cluster.link.prefix and auto-created mirrors: each mirrors the
// other's own topics under its prefix, byte for byte, and never mirrors back a mirror of its own
// topics; synced consumer groups take the prefix too. Also the naming rules and their bad input.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { LinkError } from '../../src/link/types.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { connectTo, fetchBatches, highWatermarks, waitFor } from './support.js';

interface Ctx {
  a: TestBroker;
  b: TestBroker;
  conns: KafkaConnection[];
}

const test = suite<Ctx>('active-active outposts with prefixed links');

const EVERY_TOPIC = JSON.stringify({ topicFilters: [{ name: '*', patternType: 'LITERAL', filterType: 'INCLUDE' }] });
const EVERY_GROUP = JSON.stringify({ groupFilters: [{ name: '*', patternType: 'LITERAL', filterType: 'INCLUDE' }] });

function linkConfigs(prefix: string): Record<string, string> {
  return {
    'topic.config.sync.ms': '200',
    'cluster.link.prefix': prefix,
    'auto.create.mirror.topics.enable': 'true',
    'auto.create.mirror.topics.filters': EVERY_TOPIC,
    'consumer.offset.sync.enable': 'true',
    'consumer.offset.sync.ms': '300',
    'consumer.offset.group.filters': EVERY_GROUP,
    'consumer.group.prefix.enable': 'true',
  };
}

test.before(async (ctx) => {
  ctx.a = await startOutpost();
  ctx.b = await startOutpost();
  ctx.conns = [];
  await ctx.a.links.createLink({ name: 'from-b', bootstrapServers: ctx.b.bootstrap, configs: linkConfigs('b.') });
  await ctx.b.links.createLink({ name: 'from-a', bootstrapServers: ctx.a.bootstrap, configs: linkConfigs('a.') });
});

test.after(async (ctx) => {
  for (const c of ctx.conns) c.close();
  await ctx.a?.destroy();
  await ctx.b?.destroy();
});

async function conn(ctx: Ctx, broker: TestBroker): Promise<KafkaConnection> {
  const c = await connectTo(broker.port);
  ctx.conns.push(c);
  return c;
}

function client(broker: TestBroker): Kafka {
  return new Kafka({ clientId: 'active-active', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
}

async function produce(broker: TestBroker, topic: string, partitions: number, values: string[]): Promise<void> {
  const kafka = client(broker);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
  await producer.disconnect();
}

test('each side mirrors the other\'s own topics under its prefix, and never a mirror of its own back', async (ctx) => {
  await produce(ctx.a, 'orders', 2, ['o1', 'o2', 'o3', 'o4']);
  await produce(ctx.b, 'payments', 1, ['p1', 'p2']);
  const [ca, cb] = [await conn(ctx, ctx.a), await conn(ctx, ctx.b)];
  const ordersEnds = await highWatermarks(ca, 'orders');
  const paymentsEnds = await highWatermarks(cb, 'payments');
  await waitFor('a.orders caught up on B', async () => ctx.b.links.mirrorOf('a.orders') && JSON.stringify(await highWatermarks(cb, 'a.orders')) === JSON.stringify(ordersEnds));
  await waitFor('b.payments caught up on A', async () => ctx.a.links.mirrorOf('b.payments') && JSON.stringify(await highWatermarks(ca, 'b.payments')) === JSON.stringify(paymentsEnds));
  for (let p = 0; p < 2; p++) assert.equal(await fetchBatches(cb, 'a.orders', p), await fetchBatches(ca, 'orders', p), `orders/${p}: the source's batches at its offsets`);
  assert.equal(await fetchBatches(ca, 'b.payments', 0), await fetchBatches(cb, 'payments', 0));

  const described = ctx.b.links.describeMirror('from-a', 'a.orders');
  assert.is(described.sourceTopic, 'orders');
  // Several metadata rounds later, still no loop: A never mirrors B's a.orders back as b.a.orders.
  await new Promise((r) => setTimeout(r, 1500));
  const names = (broker: TestBroker) => broker.links.listMirrors().map((m) => m.topic).sort();
  assert.equal(names(ctx.a), ['b.payments']);
  assert.equal(names(ctx.b), ['a.orders']);
  assert.not.ok(ctx.a.links.mirrorOf('b.a.orders'));
  assert.not.ok(ctx.b.links.mirrorOf('a.b.payments'));

  // The mirror is read-only under its prefixed name.
  const producer = client(ctx.b).producer({ retry: { retries: 0 } });
  await producer.connect();
  try {
    const err: any = await producer.send({ topic: 'a.orders', messages: [{ value: 'x' }] }).then(() => null, (e: unknown) => e);
    assert.is(err?.type ?? err?.cause?.type, 'POLICY_VIOLATION', String(err));
  } finally {
    await producer.disconnect();
  }
});

test('synced groups take the prefix and resume on the prefixed mirror', async (ctx) => {
  const kafka = client(ctx.a);
  const consumer = kafka.consumer({ groupId: 'billing' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  let seen = 0;
  await consumer.run({ autoCommit: false, eachMessage: async ({ partition, message }) => {
    seen++;
    await consumer.commitOffsets([{ topic: 'orders', partition, offset: String(Number(message.offset) + 1) }]);
  } });
  await waitFor('billing read orders', () => seen === 4);
  await consumer.disconnect();
  const admin = client(ctx.b).admin();
  await admin.connect();
  try {
    const at = await waitFor('a.billing synced to B', async () => {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      if (!groups.includes('a.billing')) return false;
      const offsets = await admin.fetchOffsets({ groupId: 'a.billing', topics: ['a.orders'] });
      const parts = offsets[0]!.partitions;
      return parts.every((p) => p.offset !== '-1') && parts;
    });
    const ends = await highWatermarks(await conn(ctx, ctx.b), 'a.orders');
    assert.equal(at.sort((x, y) => x.partition - y.partition).map((p) => Number(p.offset)), ends, 'the source\'s offsets, under the mirror\'s name');
    assert.not.ok((await admin.listGroups()).groups.some((g) => g.groupId === 'billing'), 'the group is synced under the prefix only');
  } finally {
    await admin.disconnect();
  }
});

test('naming rules: the prefix is checked, fixed at creation, and a mirror is named prefix + source', async (ctx) => {
  const refused = async (what: string, p: Promise<unknown>, text: RegExp) => {
    const e = await p.then(() => null, (err: unknown) => err);
    assert.instance(e, LinkError, what);
    assert.match((e as Error).message, text, what);
  };
  const spec = (configs: Record<string, string>) => ({ name: 'x', bootstrapServers: ctx.b.bootstrap, configs });
  await refused('too long', ctx.a.links.createLink(spec({ 'cluster.link.prefix': 'p'.repeat(65) }), { validateOnly: true }), /cluster\.link\.prefix.*at most 64/);
  await refused('bad characters', ctx.a.links.createLink(spec({ 'cluster.link.prefix': 'dc/1' }), { validateOnly: true }), /cluster\.link\.prefix.*characters of a topic name/);
  await refused('group prefix alone', ctx.a.links.createLink(spec({ 'consumer.group.prefix.enable': 'true' }), { validateOnly: true }), /consumer\.group\.prefix\.enable needs cluster\.link\.prefix/);
  await refused('prefix changed', ctx.a.links.alterLinkConfigs('from-b', { 'cluster.link.prefix': 'c.' }, []), /cluster\.link\.prefix is set when the link is created/);
  await produce(ctx.b, 'refunds', 1, ['r1']);
  await refused('wrong mirror name', ctx.a.links.createMirror('from-b', 'refunds', { sourceTopic: 'refunds' }), /the mirror of source topic refunds is b\.refunds/);
  await refused('no prefix on the name', ctx.a.links.createMirror('from-b', 'refunds'), /name the mirror b\.<source topic>/);
  // The REST shape: the mirror is named after the prefix when mirror_topic_name is left out.
  const res = await fetch(`http://127.0.0.1:${ctx.a.adminPort}/kafka/v3/clusters/${ctx.a.clusterId}/links/from-b/mirrors`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source_topic_name: 'refunds' }),
  });
  // Auto-create may have been first: either way b.refunds mirrors refunds, and nothing else does.
  assert.ok(res.status === 204 || res.status === 409, `status ${res.status}`);
  await waitFor('b.refunds', () => ctx.a.links.mirrorOf('b.refunds'));
  assert.is(ctx.a.links.describeMirror('from-b', 'b.refunds').sourceTopic, 'refunds');
  assert.not.ok(ctx.a.links.mirrorOf('refunds'));
});

test.run();
