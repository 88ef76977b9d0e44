// The dynamic broker configs' file: written whole on every change, read back at start-up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DYNAMIC_CONFIGS_FILE, DynamicBrokerConfigs } from '../../src/server/dynamic-configs.js';

let dir: string;

test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-dynamic-'));
});

test.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

const noWarnings = (m: string) => assert.unreachable(m);

test('no file: the static configs and, as a freshly formatted Kafka 4.4 cluster has, min.insync.replicas as a cluster default', async () => {
  const d = await DynamicBrokerConfigs.load(dir, { 'node.id': '3', 'num.partitions': '2' }, noWarnings);
  assert.equal([d.layers.staticConfigs, d.layers.dynamicDefault, d.layers.dynamicBroker], [{ 'node.id': '3', 'num.partitions': '2' }, { 'min.insync.replicas': '1' }, {}]);
  assert.equal(await readdir(dir), []);
  // Changed, it is kept with the rest.
  await d.replace('clusterDefault', { 'min.insync.replicas': '2' });
  const again = await DynamicBrokerConfigs.load(dir, { 'node.id': '3' }, noWarnings);
  assert.equal(again.layers.dynamicDefault, { 'min.insync.replicas': '2' });
});

test('each change is on disk before it is in effect, and survives a reload', async () => {
  const d = await DynamicBrokerConfigs.load(dir, { 'node.id': '3' }, noWarnings);
  await d.replace('clusterDefault', { 'log.retention.ms': '5000' });
  await d.replace('broker', { 'message.max.bytes': '1000' });
  assert.equal([d.layers.dynamicDefault, d.layers.dynamicBroker], [{ 'log.retention.ms': '5000' }, { 'message.max.bytes': '1000' }]);
  assert.equal(await readdir(dir), [DYNAMIC_CONFIGS_FILE], 'no temporary file is left behind');
  const stored = JSON.parse(await readFile(join(dir, DYNAMIC_CONFIGS_FILE), 'utf8'));
  assert.equal(stored, { version: 1, clusterDefault: { 'log.retention.ms': '5000' }, brokers: { 3: { 'message.max.bytes': '1000' } } });

  const again = await DynamicBrokerConfigs.load(dir, { 'node.id': '3' }, noWarnings);
  assert.equal([again.layers.dynamicDefault, again.layers.dynamicBroker], [{ 'log.retention.ms': '5000' }, { 'message.max.bytes': '1000' }]);
  assert.equal(again.layer('broker'), { 'message.max.bytes': '1000' });
});

test('another node id reads only the cluster default, and keeps the other broker\'s layer', async () => {
  const first = await DynamicBrokerConfigs.load(dir, { 'node.id': '3' }, noWarnings);
  await first.replace('broker', { 'message.max.bytes': '1000' });
  const other = await DynamicBrokerConfigs.load(dir, { 'node.id': '4' }, noWarnings);
  assert.equal(other.layers.dynamicBroker, {});
  await other.replace('broker', { 'log.retention.ms': '1' });
  const stored = JSON.parse(await readFile(join(dir, DYNAMIC_CONFIGS_FILE), 'utf8'));
  assert.equal(stored.brokers, { 3: { 'message.max.bytes': '1000' }, 4: { 'log.retention.ms': '1' } });
});

test('entries that no longer pass the checks are left out with a warning; a malformed file stops the load', async () => {
  const path = join(dir, DYNAMIC_CONFIGS_FILE);
  await writeFile(path, JSON.stringify({ version: 1, clusterDefault: { 'log.segment.bytes': '10', 'log.retention.ms': '5' }, brokers: { 1: { 'num.partitions': '3' } } }));
  const warnings: string[] = [];
  const d = await DynamicBrokerConfigs.load(dir, { 'node.id': '1' }, (m) => warnings.push(m));
  assert.equal([d.layers.dynamicDefault, d.layers.dynamicBroker], [{ 'log.retention.ms': '5' }, {}]);
  assert.equal(warnings, [
    'ignoring the dynamic config log.segment.bytes=10 of the cluster default: Invalid value 10 for configuration log.segment.bytes: Value must be at least 1048576',
    'ignoring the dynamic config num.partitions=3 of broker 1: Cannot update these configs dynamically: [num.partitions]',
  ]);
  await writeFile(path, JSON.stringify({ version: 2 }));
  const err = await DynamicBrokerConfigs.load(dir, { 'node.id': '1' }, noWarnings).catch((e: Error) => e);
  assert.match(String(err), 'unsupported or malformed content');
});

test.run();
