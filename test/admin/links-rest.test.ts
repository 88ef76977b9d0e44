// The cluster-link REST API (Confluent's v3 shape) on a running outpost, mirroring from a second
// outpost as the source: every route, its resources, and its errors.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startOutpost, type TestBroker } from '../support/outpost.js';

let source: TestBroker;
let dest: TestBroker;
let producer: Producer;
let api = '';

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

/** An error answer: the status, and error_code equal to it. */
async function failing(status: number, method: string, path: string, body?: unknown): Promise<string> {
  const r = await call(method, path, body);
  assert.is(r.status, status, `${method} ${path}: ${JSON.stringify(r.body)}`);
  assert.is(r.body.error_code, status);
  return r.body.message;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const linkBody = (bootstrap: string, more: { name: string; value: string }[] = []) => ({ configs: [{ name: 'bootstrap.servers', value: bootstrap }, ...more] });

test.before(async () => {
  source = await startOutpost();
  dest = await startOutpost();
  const kafka = new Kafka({ clientId: 'links-rest-test', brokers: [source.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }, { topic: 'payments', numPartitions: 1 }] });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'orders', messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `order ${i}` })) });
  await producer.send({ topic: 'payments', messages: [{ value: 'p0' }, { value: 'p1' }] });
  api = `http://127.0.0.1:${dest.adminPort}/kafka/v3/clusters/${dest.clusterId}`;
});

test.after(async () => {
  await producer?.disconnect();
  await dest?.destroy();
  await source?.destroy();
});

test('GET /kafka/v3/clusters names this broker\'s cluster', async () => {
  const res = await fetch(`http://127.0.0.1:${dest.adminPort}/kafka/v3/clusters`);
  const body = await res.json();
  assert.is(body.kind, 'KafkaClusterList');
  assert.equal(body.data.map((c: any) => c.cluster_id), [dest.clusterId]);
});

test('brokers: this broker with each listener\'s advertised address; consumer-group lags: committed and end offsets, 404 for no group', async () => {
  const brokers = (await call('GET', '/brokers')).body;
  assert.is(brokers.kind, 'KafkaBrokerList');
  assert.equal(brokers.data.map((b: any) => [b.host, b.port, b.listeners]), [['127.0.0.1', dest.port, [{ name: 'PLAINTEXT', security_protocol: 'PLAINTEXT', host: '127.0.0.1', port: dest.port }]]]);
  const kafka = new Kafka({ clientId: 'links-rest-lags', brokers: [source.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({ groupId: 'lagging', topic: 'orders', partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '10' }] });
  await admin.disconnect();
  const r = await fetch(`http://127.0.0.1:${source.adminPort}/kafka/v3/clusters/${source.clusterId}/consumer-groups/lagging/lags`);
  const lags = (await r.json()).data.sort((x: any, y: any) => x.partition_id - y.partition_id);
  assert.equal(lags.map((l: any) => [l.topic_name, l.partition_id, l.current_offset, l.log_end_offset, l.lag]), [['orders', 0, 4, 10, 6], ['orders', 1, 10, 10, 0]]);
  assert.match(await failing(404, 'GET', '/consumer-groups/nobody/lags'), /consumer group nobody does not exist/);
});

test('a link is created (204), listed and described in Confluent\'s shape', async () => {
  const created = await call('POST', '/links?link_name=src', { source_cluster_id: source.clusterId, ...linkBody(source.bootstrap) });
  assert.is(created.status, 204, JSON.stringify(created.body));
  const got = await call('GET', '/links/src');
  assert.is(got.status, 200);
  assert.is(got.body.kind, 'KafkaLinkData');
  assert.is(got.body.metadata.self, `/kafka/v3/clusters/${dest.clusterId}/links/src`);
  assert.is(got.body.link_name, 'src');
  assert.is(got.body.cluster_id, dest.clusterId);
  assert.is(got.body.source_cluster_id, source.clusterId);
  assert.type(got.body.link_id, 'string');
  assert.equal(got.body.topic_names, []);
  const list = await call('GET', '/links');
  assert.is(list.body.kind, 'KafkaLinkDataList');
  assert.equal(list.body.data.map((l: any) => l.link_name), ['src']);
  assert.match(await failing(409, 'POST', '/links?link_name=src', linkBody(source.bootstrap)), /src/);
});

test('create: validate_only creates nothing; bad requests are 400 naming the field', async () => {
  assert.is((await call('POST', '/links?link_name=dry&validate_only=true', linkBody(source.bootstrap))).status, 204);
  await failing(404, 'GET', '/links/dry');
  assert.match(await failing(400, 'POST', '/links', linkBody(source.bootstrap)), /^link_name: /);
  assert.match(await failing(400, 'POST', '/links?link_name=x&validate_only=perhaps', linkBody(source.bootstrap)), /^validate_only: /);
  assert.match(await failing(400, 'POST', '/links?link_name=x', { configs: [] }), /^configs: bootstrap\.servers is required/);
  assert.match(await failing(400, 'POST', '/links?link_name=x', { configs: 'bootstrap.servers=a:1' }), /^configs: /);
  assert.match(await failing(400, 'POST', '/links?link_name=x', { configs: [{ name: 'bootstrap.servers', value: 9092 }] }), /^configs\.0\.value: /);
  assert.match(await failing(400, 'POST', '/links?link_name=x', { destination_cluster_id: 'abc', ...linkBody(source.bootstrap) }), /^destination_cluster_id: /);
  assert.match(await failing(400, 'POST', '/links?link_name=x', '{not json'), /not valid JSON/);
  assert.match(await failing(400, 'POST', '/links?link_name=bad%20name', linkBody(source.bootstrap)), /link name/);
  assert.match(await failing(400, 'POST', '/links?link_name=x', linkBody(source.bootstrap, [{ name: 'no.such.config', value: '1' }])), /no\.such\.config/);
  await failing(404, 'GET', '/links/x');
});

test('validate_link (on by default) refuses a source that cannot be reached or is another cluster', async () => {
  assert.match(await failing(502, 'POST', '/links?link_name=down', linkBody('127.0.0.1:1')), /cannot reach the source cluster at 127\.0\.0\.1:1.*validate_link=false/);
  assert.match(await failing(502, 'POST', '/links?link_name=other', { source_cluster_id: 'someone-else', ...linkBody(source.bootstrap) }), /someone-else/);
  assert.is((await call('POST', '/links?link_name=down&validate_link=false', linkBody('127.0.0.1:1'))).status, 204);
  const down = (await call('GET', '/links/down')).body;
  assert.is(down.link_state, 'SOURCE_UNAVAILABLE');
  assert.is(down.link_error, 'UNKNOWN_ERROR');
  assert.match(down.link_error_message, /127\.0\.0\.1:1/);
  assert.is((await call('DELETE', '/links/down')).status, 204);
});

test('a wrong cluster id, an unknown link, a wrong method', async () => {
  const other = `http://127.0.0.1:${dest.adminPort}/kafka/v3/clusters/not-this-one/links`;
  const res = await fetch(other);
  assert.is(res.status, 404);
  assert.equal((await res.json()).error_code, 404);
  assert.match(await failing(404, 'GET', '/links/nope'), /nope/);
  await failing(404, 'DELETE', '/links/nope');
  await failing(404, 'GET', '/links/nope/configs');
  await failing(404, 'GET', '/links/nope/mirrors');
  const wrong = await call('PATCH', '/links/src');
  assert.is(wrong.status, 405);
  assert.is(wrong.headers.get('allow'), 'GET, DELETE');
});

test('configs are listed (secrets hidden), set and removed with configs:alter', async () => {
  const alter = await call('PUT', '/links/src/configs:alter', {
    data: [
      { name: 'replica.fetch.wait.max.ms', value: '200' },
      { name: 'sasl.jaas.config', value: 'org.apache.kafka.common.security.plain.PlainLoginModule required username="k" password="s";', operation: 'SET' },
    ],
  });
  assert.is(alter.status, 204, JSON.stringify(alter.body));
  const list = await call('GET', '/links/src/configs');
  assert.is(list.body.kind, 'KafkaLinkConfigDataList');
  const byName = new Map(list.body.data.map((c: any) => [c.name, c]));
  assert.is((byName.get('bootstrap.servers') as any).value, source.bootstrap);
  assert.is((byName.get('replica.fetch.wait.max.ms') as any).value, '200');
  assert.is((byName.get('replica.fetch.wait.max.ms') as any).source, 'DYNAMIC_CLUSTER_LINK_CONFIG');
  const jaas = byName.get('sasl.jaas.config') as any;
  assert.is(jaas.sensitive, true);
  assert.is(jaas.value, null);

  assert.is((await call('PUT', '/links/src/configs:alter', { data: [{ name: 'sasl.jaas.config', operation: 'DELETE' }] })).status, 204);
  const after = await call('GET', '/links/src/configs');
  assert.not.ok(after.body.data.some((c: any) => c.name === 'sasl.jaas.config'));

  assert.match(await failing(400, 'PUT', '/links/src/configs:alter', { data: [] }), /^data: /);
  assert.match(await failing(400, 'PUT', '/links/src/configs:alter', { data: [{ name: 'replica.fetch.wait.max.ms' }] }), /^data\.0\.value: /);
  assert.match(await failing(400, 'PUT', '/links/src/configs:alter', { data: [{ name: 'replica.fetch.wait.max.ms', value: 'soon' }] }), /replica\.fetch\.wait\.max\.ms/);
  await failing(404, 'PUT', '/links/nope/configs:alter', { data: [{ name: 'replica.fetch.wait.max.ms', value: '100' }] });
});

test('a mirror is created (204) and catches up at the source\'s offsets', async () => {
  const created = await call('POST', '/links/src/mirrors', { source_topic_name: 'orders', replication_factor: 3 });
  assert.is(created.status, 204, JSON.stringify(created.body));
  const m = await until('orders to catch up', async () => {
    const r = await call('GET', '/links/src/mirrors/orders');
    return r.body.mirror_lags.length === 2 && r.body.mirror_lags.every((p: any) => p.lag === 0 && p.log_end_offset === 10) ? r.body : undefined;
  });
  assert.is(m.kind, 'KafkaMirrorData');
  assert.is(m.metadata.self, `/kafka/v3/clusters/${dest.clusterId}/links/src/mirrors/orders`);
  assert.is(m.link_name, 'src');
  assert.is(m.mirror_topic_name, 'orders');
  assert.is(m.source_topic_name, 'orders');
  assert.is(m.num_partitions, 2);
  assert.is(m.mirror_status, 'ACTIVE');
  assert.is(m.mirror_topic_error, 'NO_ERROR');
  assert.equal(
    m.mirror_lags.map((p: any) => [p.partition, p.lag, p.last_source_fetch_offset, p.source_high_watermark]),
    [[0, 0, 9, 10], [1, 0, 9, 10]],
  );
  assert.equal((await call('GET', '/links/src')).body.topic_names, ['orders']);
});

test('mirrors are listed per link and across links ("-")', async () => {
  assert.is((await call('POST', '/links/src/mirrors', { source_topic_name: 'payments' })).status, 204);
  const list = await call('GET', '/links/src/mirrors');
  assert.is(list.body.kind, 'KafkaMirrorDataList');
  assert.equal(list.body.data.map((m: any) => m.mirror_topic_name).sort(), ['orders', 'payments']);
  const all = await call('GET', '/links/-/mirrors');
  assert.equal(all.body.data.map((m: any) => m.mirror_topic_name).sort(), ['orders', 'payments']);
});

test('mirror errors: unknown topic 404, bad bodies 400, a second mirror of a topic refused', async () => {
  assert.match(await failing(404, 'GET', '/links/src/mirrors/nope'), /nope/);
  await failing(404, 'POST', '/links/nope/mirrors', { source_topic_name: 'orders' });
  assert.match(await failing(400, 'POST', '/links/src/mirrors', {}), /^source_topic_name: /);
  assert.match(await failing(400, 'POST', '/links/src/mirrors', { source_topic_name: 'orders', mirror_topic_name: 'copy' }), /a mirror topic has its source topic's name \(orders\), unless its link has a cluster.link.prefix/);
  const again = await call('POST', '/links/src/mirrors', { source_topic_name: 'orders' });
  assert.ok(again.status >= 400 && again.status < 500, `${again.status}`);
  const missing = await call('POST', '/links/src/mirrors', { source_topic_name: 'no-such-topic' });
  assert.ok(missing.status >= 400, `${missing.status}`);
  assert.is(missing.body.error_code, missing.status);
});

test('mirrors:pause and mirrors:resume; one unknown topic changes nothing', async () => {
  assert.match(await failing(404, 'POST', '/links/src/mirrors:pause', { mirror_topic_names: ['orders', 'nope'] }), /nope/);
  assert.is((await call('GET', '/links/src/mirrors/orders')).body.mirror_status, 'ACTIVE');
  assert.match(await failing(400, 'POST', '/links/src/mirrors:pause', {}), /^mirror_topic_names: /);

  const paused = await call('POST', '/links/src/mirrors:pause', { mirror_topic_names: ['orders'] });
  assert.is(paused.status, 200);
  assert.is(paused.body.data[0].mirror_topic_name, 'orders');
  assert.is(paused.body.data[0].error_code, null);
  assert.is(paused.body.data[0].mirror_lags.length, 2);
  assert.is((await call('GET', '/links/src/mirrors/orders')).body.mirror_status, 'PAUSED');
  await producer.send({ topic: 'orders', messages: [{ partition: 0, value: 'while paused' }] });

  assert.is((await call('POST', '/links/src/mirrors:resume', { mirror_topic_names: ['orders'] })).status, 200);
  await until('orders to resume and copy the new record', async () => {
    const m = (await call('GET', '/links/src/mirrors/orders')).body;
    return m.mirror_status === 'ACTIVE' && m.mirror_lags[0].log_end_offset === 11 ? m : undefined;
  });
});

test('DELETE refuses a link with mirrors unless forced (204); its mirrors are gone from the API', async () => {
  assert.match(await failing(400, 'DELETE', '/links/src'), /orders/);
  assert.match(await failing(400, 'DELETE', '/links/src?force=maybe'), /^force: /);
  assert.is((await call('DELETE', '/links/src?force=true')).status, 204);
  await failing(404, 'GET', '/links/src');
  assert.equal((await call('GET', '/links/-/mirrors')).body.data, []);
});

test('the browser\'s way in is closed: a write must be application/json, and no answer echoes the Host header', async () => {
  // What a web page can make a browser send without a CORS preflight.
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const res = await fetch(`${api}/links`, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify({ link_name: 'csrf', source_cluster_id: 'x', configs: [] }) });
    assert.is(res.status, 415, type);
  }
  assert.is((await call('GET', '/links')).body.data.some((l: { link_name: string }) => l.link_name === 'csrf'), false);
  const res = await fetch(`${api}/links`, { headers: { host: 'evil.example:1' } });
  assert.not.match(await res.text(), /evil\.example/);
});

test.run();
