// The link manager's face: what links and mirrors accept and refuse, where a mirror starts
// (mirror.start.offset.spec), pause and resume, the source's cluster id, a recreated source
// topic, forced link deletion, and the metrics. Outpost brokers on both ends.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { LinkError } from '../../src/link/types.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { baseOffsets, fetchBatches, highWatermarks, mirrored, waitFor, withConnection } from './support.js';

interface Ctx {
  a: TestBroker;
  b: TestBroker;
  kafka: Kafka;
  producer: Producer;
}

const test = suite<Ctx>('cluster link management');

test.before(async (ctx) => {
  [ctx.a, ctx.b] = await Promise.all([startOutpost(), startOutpost()]);
  ctx.kafka = new Kafka({ clientId: 'link-admin-test', brokers: [ctx.a.bootstrap], logLevel: logLevel.NOTHING });
  ctx.producer = ctx.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await ctx.producer.connect();
});

test.after(async (ctx) => {
  await ctx.producer?.disconnect();
  await ctx.b?.destroy();
  await ctx.a?.destroy();
});

async function topic(ctx: Ctx, name: string, partitions = 1): Promise<void> {
  const admin = ctx.kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }] });
  } finally {
    await admin.disconnect();
  }
}

async function refused(p: Promise<unknown>, code: LinkError['code'], message: RegExp): Promise<void> {
  const err = await p.then(() => null, (e) => e);
  assert.instance(err, LinkError, 'expected a LinkError');
  assert.is(err.code, code, err.message);
  assert.match(err.message, message);
}

test('links are checked: name, bootstrap servers, configs by name (with the nearest known name), TLS and SASL settings', async (ctx) => {
  const links = ctx.b.links;
  const spec = { name: 'ok', bootstrapServers: ctx.a.bootstrap, configs: {} };
  await refused(links.createLink({ ...spec, name: 'no spaces' }), 'INVALID', /invalid link name/);
  await refused(links.createLink({ ...spec, bootstrapServers: 'nohost' }), 'INVALID', /expected host:port/);
  await refused(links.createLink({ ...spec, configs: { 'no.such.config': '1' } }), 'INVALID', /Unknown link config no\.such\.config/);
  await refused(links.createLink({ ...spec, configs: { 'topic.config.sync.ms': 'soon' } }), 'INVALID', /topic\.config\.sync\.ms/);
  await refused(links.createLink({ ...spec, configs: { 'mirror.start.offset.spec': 'yesterday' } }), 'INVALID', /ISO-8601/);
  await refused(links.createLink({ ...spec, configs: { 'sasl.jass.config': 'x' } }), 'INVALID', /Unknown link config sasl\.jass\.config \(did you mean sasl\.jaas\.config\?\)/);
  await refused(links.createLink({ ...spec, configs: { 'security.protocol': 'SASL_SSL' } }), 'INVALID', /Kafka's default, GSSAPI \(Kerberos\), is not supported: set it to PLAIN/);
  await refused(links.createLink({ ...spec, configs: { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'SCRAM-SHA-256' } }), 'INVALID', /sasl\.jaas\.config is required for sasl\.mechanism SCRAM-SHA-256/);
  const badJaas = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="hunter2"';
  const err = await links.createLink({ ...spec, configs: { 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.jaas.config': badJaas } }).catch((e: Error) => e);
  assert.match((err as Error).message, /sasl\.jaas\.config cannot be read: expected key=value options ended by ';'/);
  assert.not.match((err as Error).message, /hunter2/, 'a secret is never repeated in a message');
  await refused(links.createLink({ ...spec, configs: { 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': `${badJaas};` } }), 'INVALID', /names the login module .*ScramLoginModule, but sasl\.mechanism PLAIN takes .*PlainLoginModule/);
  await refused(links.createLink({ ...spec, configs: { 'security.protocol': 'SSL', 'ssl.keystore.key': 'k' } }), 'INVALID', /ssl\.keystore\.key and ssl\.keystore\.certificate\.chain go together/);
  await refused(links.createLink({ ...spec, configs: { 'ssl.enabled.protocols': 'TLSv1.1' } }), 'INVALID', /Invalid value TLSv1\.1 for configuration ssl\.enabled\.protocols/);
  await refused(links.createLink({ ...spec, sourceClusterId: 'not-this-one' }), 'SOURCE', /has id .*, not not-this-one/);

  // TLS and SASL settings of a PLAINTEXT link are kept and unused, as Kafka's client does; secrets are never shown.
  const configs = { 'ssl.truststore.location': '/etc/ca.jks', 'sasl.jaas.config': 'secret stuff', 'consumer.offset.sync.enable': 'true' };
  const d = await links.createLink({ ...spec, configs }, { validateOnly: true });
  assert.is(d.state, 'ACTIVE');
  assert.is(d.sourceClusterIdSeen, ctx.a.clusterId);
  assert.is(d.configs['sasl.jaas.config'], '[hidden]');
  assert.equal(links.listLinks(), [], 'validateOnly creates nothing');
  const made = await links.createLink({ ...spec, configs });
  assert.is(made.configs['ssl.truststore.location'], '/etc/ca.jks');
  await refused(links.createLink(spec), 'ALREADY_EXISTS', /already exists/);
  const effective = links.linkConfigs('ok');
  assert.is(effective['topic.config.sync.ms'], '5000');
  assert.is(effective['mirror.start.offset.spec'], 'earliest');
  assert.is(effective['sasl.jaas.config'], '[hidden]');
  await refused(links.alterLinkConfigs('ok', { 'security.protocol': 'SASL_SSL' }, []), 'INVALID', /sasl\.mechanism is not set/);
  await links.alterLinkConfigs('ok', { 'topic.config.sync.ms': '250' }, ['consumer.offset.sync.enable']);
  assert.is(links.linkConfigs('ok')['topic.config.sync.ms'], '250');
  assert.is(links.describeLink('ok').configs['consumer.offset.sync.enable'], undefined);
  await refused(Promise.resolve().then(() => links.describeLink('nope')), 'NOT_FOUND', /does not exist/);
  await links.deleteLink('ok');
  assert.equal(links.listLinks(), []);
});

test('a link to a source that cannot be reached says why, and mirrors cannot be made through it', async (ctx) => {
  const d = await ctx.b.links.createLink({ name: 'nowhere', bootstrapServers: '127.0.0.1:1', configs: {} });
  assert.is(d.state, 'SOURCE_UNAVAILABLE');
  assert.match(d.lastError ?? '', /cannot reach the source cluster at 127\.0\.0\.1:1/);
  await refused(ctx.b.links.createMirror('nowhere', 'anything'), 'SOURCE', /cannot reach/);
  assert.is(ctx.b.links.describeLink('nowhere').state, 'SOURCE_UNAVAILABLE');
  await ctx.b.links.deleteLink('nowhere');
});

test('mirrors are checked: existing names, synced configs, missing source topics', async (ctx) => {
  await topic(ctx, 'checked');
  const links = ctx.b.links;
  await links.createLink({ name: 'checks', bootstrapServers: ctx.a.bootstrap, configs: {} });
  await refused(links.createMirror('checks', 'checked', { configs: { 'retention.ms': '1000' } }), 'INVALID', /retention\.ms is synced from the source topic/);
  await refused(links.createMirror('checks', 'absent'), 'NOT_FOUND', /has no topic absent/);
  await refused(links.createMirror('nope', 'checked'), 'NOT_FOUND', /cluster link nope does not exist/);
  const m = await links.createMirror('checks', 'checked', { configs: { 'segment.ms': '3600000' } });
  assert.is(m.linkName, 'checks');
  await refused(links.createMirror('checks', 'checked'), 'ALREADY_EXISTS', /already exists/);
  await refused(links.deleteLink('checks'), 'INVALID', /has mirror topics \(checked\)/);
});

test('mirror.start.offset.spec latest starts the copy here at the source end; the older records are read through', async (ctx) => {
  await topic(ctx, 'tail', 2);
  await ctx.producer.send({ topic: 'tail', messages: [0, 1].flatMap((p) => [1, 2, 3].map((i) => ({ partition: p, value: `old ${i}` }))) });
  await ctx.b.links.createLink({ name: 'latest', bootstrapServers: ctx.a.bootstrap, configs: { 'mirror.start.offset.spec': 'latest' } });
  const m = await ctx.b.links.createMirror('latest', 'tail');
  assert.equal(m.partitions.map((p) => [p.logStartOffset, p.localLogStartOffset, p.localLogEndOffset]), [[0, 3, 3], [0, 3, 3]]);
  await ctx.producer.send({ topic: 'tail', messages: [{ partition: 0, value: 'new' }] });
  await mirrored(ctx.b.links, 'latest', 'tail', [4, 3]);
  assert.equal(baseOffsets(await withConnection(ctx.b.port, (c) => fetchBatches(c, 'tail', 0, { from: 3 }))), [3], 'only the new batch is copied');
  const source = baseOffsets(await withConnection(ctx.a.port, (c) => fetchBatches(c, 'tail', 0)));
  assert.equal(baseOffsets(await withConnection(ctx.b.port, (c) => fetchBatches(c, 'tail', 0, { emptyAnswers: 20 }))), source, 'the history through the link');
});

test('mirror.start.offset.spec with a timestamp starts at the first record at or after it, inside a batch', async (ctx) => {
  await topic(ctx, 'stamped');
  const t0 = Date.parse('2024-05-01T00:00:00Z');
  await ctx.producer.send({ topic: 'stamped', messages: [0, 1, 2, 3, 4, 5].map((i) => ({ value: `at +${i}s`, timestamp: String(t0 + i * 1000) })) });
  await ctx.b.links.createLink({ name: 'from-time', bootstrapServers: ctx.a.bootstrap, configs: { 'mirror.start.offset.spec': '2024-05-01T00:00:03.500Z' } });
  const m = await ctx.b.links.createMirror('from-time', 'stamped');
  assert.equal([m.partitions[0]!.logStartOffset, m.partitions[0]!.localLogStartOffset], [0, 4], 'the copy here begins at the chosen offset');
  await mirrored(ctx.b.links, 'from-time', 'stamped', [6]);
  const d = ctx.b.links.describeMirror('from-time', 'stamped').partitions[0]!;
  assert.is(d.logStartOffset, 0, 'the log keeps starting at the source\'s start');
  // The one batch holds offsets 0..5: the mirror holds it whole, as the source does.
  const batches = await withConnection(ctx.b.port, (c) => fetchBatches(c, 'stamped', 0));
  assert.equal(baseOffsets(batches), [0]);
});

test('pause keeps the data and serves consumers; resume continues with no gap', async (ctx) => {
  await topic(ctx, 'paused');
  await ctx.producer.send({ topic: 'paused', messages: [{ value: 'one' }, { value: 'two' }] });
  await ctx.b.links.createLink({ name: 'pausing', bootstrapServers: ctx.a.bootstrap, configs: {} });
  await ctx.b.links.createMirror('pausing', 'paused');
  await mirrored(ctx.b.links, 'pausing', 'paused', [2]);
  await ctx.b.links.pauseMirrors('pausing', ['paused']);
  const d = ctx.b.links.describeMirror('pausing', 'paused');
  assert.is(d.state, 'PAUSED');
  assert.is(d.partitions[0]!.state, 'PAUSED');
  await refused(ctx.b.links.pauseMirrors('pausing', ['unknown']), 'NOT_FOUND', /no mirror topic unknown/);
  await ctx.producer.send({ topic: 'paused', messages: [{ value: 'three' }] });
  assert.equal(await withConnection(ctx.b.port, (c) => highWatermarks(c, 'paused')), [2], 'the paused mirror still serves what it has');
  await ctx.b.links.resumeMirrors('pausing', ['paused']);
  await mirrored(ctx.b.links, 'pausing', 'paused', [3]);
  assert.is(ctx.b.links.describeMirror('pausing', 'paused').state, 'ACTIVE');
  assert.equal(baseOffsets(await withConnection(ctx.b.port, (c) => fetchBatches(c, 'paused', 0))), [0, 2]);
});

test('a source topic deleted and recreated fails the mirror', async (ctx) => {
  await topic(ctx, 'reborn');
  await ctx.producer.send({ topic: 'reborn', messages: [{ value: 'first life' }] });
  await ctx.b.links.createLink({ name: 'rebirth', bootstrapServers: ctx.a.bootstrap, configs: {} });
  await ctx.b.links.createMirror('rebirth', 'reborn');
  await mirrored(ctx.b.links, 'rebirth', 'reborn', [1]);
  // Done while the mirroring broker is down, so that it finds the new topic id, not a gap.
  const bDir = ctx.b.dataDir;
  await ctx.b.close();
  const admin = ctx.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: ['reborn'] });
  await admin.createTopics({ topics: [{ topic: 'reborn', numPartitions: 1 }] });
  await admin.disconnect();
  ctx.b = await startOutpost({ dataDir: bDir, port: ctx.b.port });
  const failed = await waitFor('the mirror to fail', () => {
    const m = ctx.b.links.describeMirror('rebirth', 'reborn');
    return m.state === 'FAILED' && m;
  });
  assert.match(failed.reason ?? '', /deleted and recreated \(topic id/);
  assert.equal(ctx.b.links.mirrorOf('reborn')?.linkName, 'rebirth');
});

test('a different cluster behind the same address fails the link', async (ctx) => {
  const other = await startOutpost();
  await ctx.b.links.createLink({ name: 'swapped', bootstrapServers: other.bootstrap, configs: {} });
  const port = other.port;
  await other.destroy();
  const impostor = await startOutpost({ port });
  try {
    const l = await waitFor('the link to fail', () => {
      const d = ctx.b.links.describeLink('swapped');
      return d.state === 'FAILED' && d;
    });
    assert.match(l.lastError ?? '', new RegExp(`now cluster ${impostor.clusterId}`));
  } finally {
    await ctx.b.links.deleteLink('swapped');
    await impostor.destroy();
  }
});

test('forcing the deletion of a link leaves its mirrors as ordinary topics', async (ctx) => {
  await topic(ctx, 'orphan');
  await ctx.producer.send({ topic: 'orphan', messages: [{ value: 'kept' }] });
  await ctx.b.links.createLink({ name: 'doomed-link', bootstrapServers: ctx.a.bootstrap, configs: {} });
  await ctx.b.links.createMirror('doomed-link', 'orphan');
  await mirrored(ctx.b.links, 'doomed-link', 'orphan', [1]);
  await ctx.b.links.deleteLink('doomed-link', { force: true });
  assert.is(ctx.b.links.mirrorOf('orphan'), undefined);
  const kafka = new Kafka({ clientId: 'link-admin-test', brokers: [ctx.b.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const [r] = await producer.send({ topic: 'orphan', messages: [{ value: 'now writable' }] });
  await producer.disconnect();
  assert.is(r!.baseOffset, '1');
});

test('lag and throughput are on /metrics', async (ctx) => {
  const text = await (await fetch(`http://127.0.0.1:${ctx.b.adminPort}/metrics`)).text();
  assert.match(text, /outpost_cluster_link_up\{link="pausing"\} 1/);
  assert.match(text, /outpost_mirror_partition_lag_records\{link="pausing",topic="paused",partition="0"\} 0/);
  assert.match(text, /outpost_cluster_link_bytes_per_second\{link="pausing"\}/);
  // The source broker runs in this same process and has no links: it reports none of b's.
  const source = await (await fetch(`http://127.0.0.1:${ctx.a.adminPort}/metrics`)).text();
  assert.match(source, /# TYPE outpost_cluster_link_up gauge/);
  assert.not.match(source, /link="pausing"/);
});

test.run();
