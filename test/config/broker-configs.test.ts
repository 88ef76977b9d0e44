// Broker config values, DescribeConfigs for a BROKER resource and the checks on dynamic changes.
// The expected answers are what a Kafka 4.4.0 broker gave, except where outpost's defaults differ.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BrokerConfigLayers, brokerBoolean, brokerNumber, checkStaticBrokerConfig, describeBrokerConfigs, validateBrokerConfigChanges,
} from '../../src/config/broker-configs.js';

const syn = (entry: { synonyms: { name: string; value: string | null; source: number }[] }) =>
  entry.synonyms.map((s) => `${s.source}:${s.name}=${s.value}`);

test('typed values with defaults, outpost\'s own where it differs from Kafka', () => {
  assert.is(brokerBoolean({}, 'auto.create.topics.enable'), false);
  assert.is(brokerBoolean({ 'auto.create.topics.enable': 'TRUE' }, 'auto.create.topics.enable'), true);
  assert.is(brokerNumber({}, 'socket.request.max.bytes'), 104857600);
  assert.is(brokerNumber({ 'num.partitions': '3' }, 'num.partitions'), 3);
  assert.is(brokerNumber({}, 'log.retention.ms'), 604800000);
  assert.is(brokerNumber({}, 'log.retention.hours'), 168);
  assert.is(brokerNumber({}, 'log.flush.interval.messages'), Number.MAX_SAFE_INTEGER);
});

test('describe this broker: Kafka order, read-only flags, sources, synonyms', () => {
  const broker = new BrokerConfigLayers({ 'node.id': '1', 'log.retention.hours': '100' }, { 'log.retention.ms': '5000' }, { 'log.segment.bytes': '3145728' });
  const entries = describeBrokerConfigs(broker, { includeSynonyms: true });
  assert.equal(entries.slice(0, 3).map((e) => e.name), ['log.cleaner.min.compaction.lag.ms', 'offsets.topic.num.partitions', 'log.flush.interval.messages']);
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.equal(byName.get('node.id'), {
    name: 'node.id', value: '1', readOnly: true, configSource: 4, isSensitive: false, configType: 3, documentation: null, synonyms: [{ name: 'node.id', value: '1', source: 4 }],
  });
  assert.equal(syn(byName.get('log.retention.ms')!), ['3:log.retention.ms=5000', '4:log.retention.hours=100', '5:log.retention.hours=168']);
  assert.is(byName.get('log.retention.ms')!.readOnly, false);
  assert.equal(syn(byName.get('log.retention.hours')!), ['4:log.retention.hours=100', '5:log.retention.hours=168']);
  assert.equal(syn(byName.get('log.segment.bytes')!), ['2:log.segment.bytes=3145728', '5:log.segment.bytes=1073741824']);
  assert.is(byName.get('log.segment.bytes')!.configSource, 2);
  // No value anywhere: null, DEFAULT_CONFIG, no synonyms.
  assert.equal([byName.get('log.retention.minutes')!.value, byName.get('log.retention.minutes')!.configSource, byName.get('log.retention.minutes')!.synonyms], [null, 5, []]);
  assert.equal(syn(byName.get('log.flush.interval.ms')!), []);
  assert.equal(syn(byName.get('auto.create.topics.enable')!), ['5:auto.create.topics.enable=false']);
});

test('describe the cluster default "": only what was set there', () => {
  const broker = new BrokerConfigLayers({ 'log.flush.interval.messages': '9' }, { 'log.retention.ms': '5000', 'log.flush.interval.messages': '1000' }, { 'log.flush.interval.messages': '77' });
  const entries = describeBrokerConfigs(broker, { includeSynonyms: true, clusterDefault: true });
  assert.equal(entries.map((e) => [e.name, e.value, e.configSource, syn(e)]), [
    ['log.flush.interval.messages', '1000', 3, ['3:log.flush.interval.messages=1000']],
    ['log.retention.ms', '5000', 3, ['3:log.retention.ms=5000']],
  ]);
});

test('dynamic changes: read-only names, then values, with Kafka\'s messages', () => {
  assert.is(validateBrokerConfigChanges({ 'log.segment.bytes': '2000000', 'log.retention.ms': null }), null);
  assert.is(validateBrokerConfigChanges({ 'num.partitions': '3' }), 'Cannot update these configs dynamically: [num.partitions]');
  assert.is(validateBrokerConfigChanges({ 'log.retention.hours': '5', 'log.segment.bytes': 'x' }), 'Cannot update these configs dynamically: [log.retention.hours]');
  assert.is(validateBrokerConfigChanges({ 'log.segment.bytes': '10' }), 'Invalid value 10 for configuration log.segment.bytes: Value must be at least 1048576');
  assert.is(validateBrokerConfigChanges({ 'log.segment.bytes': 'x' }), 'Invalid value x for configuration log.segment.bytes: Not a number of type INT');
  assert.is(validateBrokerConfigChanges({ 'log.cleanup.policy': 'foo' }), 'Invalid value foo for configuration log.cleanup.policy: String must be one of: compact, delete');
  assert.is(validateBrokerConfigChanges({ 'min.insync.replicas': '0' }), 'Invalid value 0 for configuration min.insync.replicas: Value must be at least 1');
});

test('static configs: unknown names and bad values', () => {
  assert.is(checkStaticBrokerConfig('num.partitions', '4'), null);
  assert.is(checkStaticBrokerConfig('num.partitions', '0'), 'invalid value "0": Value must be at least 1');
  assert.is(checkStaticBrokerConfig('no.such.config', '1'), 'not a broker config outpost knows');
});

test.run();
