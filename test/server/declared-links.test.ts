// Links and mirrors declared in the settings file are made at start-up, and a restart with the
// same declarations changes nothing.
import { Kafka, logLevel } from 'kafkajs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startOutpost, type TestBroker } from '../support/outpost.js';

let source: TestBroker;
let dest: TestBroker | undefined;

async function get(path: string): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${dest!.adminPort}/kafka/v3/clusters/${dest!.clusterId}${path}`);
  assert.is(res.status, 200, path);
  return res.json();
}

test.before(async () => {
  source = await startOutpost();
  const kafka = new Kafka({ clientId: 'declared-links-test', brokers: [source.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
  await admin.disconnect();
});

test.after(async () => {
  await dest?.destroy();
  await source?.destroy();
});

test('declared links and mirrors exist once the broker has started, and survive a restart unchanged', async () => {
  const links = [
    { name: 'declared', bootstrapServers: source.bootstrap, sourceClusterId: source.clusterId, configs: { 'replica.fetch.wait.max.ms': '100' }, mirrors: ['orders'] },
  ];
  dest = await startOutpost({ links });
  const link = await get('/links/declared');
  assert.is(link.source_cluster_id, source.clusterId);
  assert.equal(link.topic_names, ['orders']);
  const configs = (await get('/links/declared/configs')).data;
  assert.is(configs.find((c: any) => c.name === 'replica.fetch.wait.max.ms').value, '100');
  assert.is((await get('/links/declared/mirrors/orders')).num_partitions, 2);

  dest = await dest.restart();
  const again = await get('/links');
  assert.equal(again.data.map((l: any) => [l.link_name, l.link_id, l.topic_names]), [['declared', link.link_id, ['orders']]]);
});

test.run();
