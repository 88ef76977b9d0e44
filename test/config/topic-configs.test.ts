// Topic config resolution, validation and DescribeConfigs answers. The expected messages, values,
// sources and synonyms are what a Kafka 4.4.0 broker answered for the same overrides.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BrokerConfigLayers } from '../../src/config/broker-configs.js';
import { describeTopicConfigs, resolveTopicConfig, validateTopicConfigs } from '../../src/config/topic-configs.js';

const syn = (entries: { synonyms: { name: string; value: string | null; source: number }[] }) =>
  entries.synonyms.map((s) => `${s.source}:${s.name}=${s.value}`);

test('defaults are Kafka 4.4 defaults', () => {
  assert.equal(resolveTopicConfig({}, {}), {
    segmentBytes: 1073741824,
    segmentMs: 604800000,
    segmentIndexBytes: 10485760,
    indexIntervalBytes: 4096,
    retentionMs: 604800000,
    retentionBytes: -1,
    localRetentionMs: 604800000,
    localRetentionBytes: -1,
    maxMessageBytes: 1048588,
    cleanupPolicy: 'delete',
    minCleanableDirtyRatio: 0.5,
    minCompactionLagMs: 0,
    maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
    deleteRetentionMs: 86400000,
    flushMessages: Number.MAX_SAFE_INTEGER,
    flushMs: Number.MAX_SAFE_INTEGER,
    messageTimestampType: 'CreateTime',
    messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
    messageTimestampAfterMaxMs: 3600000,
    minInsyncReplicas: 1,
    fileDeleteDelayMs: 60000,
  });
});

test('overrides beat broker configs, which beat Kafka defaults', () => {
  const broker = { 'log.retention.hours': '2', 'log.segment.bytes': '2097152', 'message.max.bytes': '5000', 'log.cleanup.policy': 'compact' };
  const c = resolveTopicConfig({ 'segment.bytes': '1048576', 'cleanup.policy': 'compact, delete', 'message.timestamp.type': 'LogAppendTime' }, broker);
  assert.is(c.retentionMs, 2 * 3600_000);
  assert.is(c.segmentBytes, 1048576);
  assert.is(c.maxMessageBytes, 5000);
  assert.is(c.cleanupPolicy, 'compact,delete');
  assert.is(c.messageTimestampType, 'LogAppendTime');
});

test('retention falls back ms, then minutes, then hours; negative means unlimited', () => {
  assert.is(resolveTopicConfig({}, { 'log.retention.minutes': '3', 'log.retention.hours': '5' }).retentionMs, 180_000);
  assert.is(resolveTopicConfig({}, { 'log.retention.ms': '7', 'log.retention.minutes': '3' }).retentionMs, 7);
  assert.is(resolveTopicConfig({}, { 'log.retention.ms': '-5' }).retentionMs, -1);
  assert.is(resolveTopicConfig({}, { 'log.roll.hours': '1' }).segmentMs, 3600_000);
  assert.is(resolveTopicConfig({}, { 'log.flush.scheduler.interval.ms': '2000' }).flushMs, 2000);
});

test('dynamic broker layers: this broker beats the cluster default, which beats static', () => {
  const layers = new BrokerConfigLayers({ 'log.segment.bytes': '2097152' }, { 'log.segment.bytes': '3145728', 'log.retention.ms': '5000' }, { 'log.segment.bytes': '4194304' });
  const c = resolveTopicConfig({}, layers);
  assert.is(c.segmentBytes, 4194304);
  assert.is(c.retentionMs, 5000);
});

test('validation messages are Kafka\'s', () => {
  const cases: [Record<string, string>, string][] = [
    [{ foo: '1' }, 'Unknown topic config name: foo'],
    [{ 'message.downconversion.enable': 'true' }, 'Unknown topic config name: message.downconversion.enable'],
    [{ 'retention.ms': 'x' }, 'Invalid value x for configuration retention.ms: Not a number of type LONG'],
    [{ 'retention.ms': '1.5' }, 'Invalid value 1.5 for configuration retention.ms: Not a number of type LONG'],
    [{ 'retention.ms': '' }, 'Invalid value  for configuration retention.ms: Not a number of type LONG'],
    [{ 'retention.ms': '-2' }, 'Invalid value -2 for configuration retention.ms: Value must be at least -1'],
    [{ 'max.message.bytes': '2147483648' }, 'Invalid value 2147483648 for configuration max.message.bytes: Not a number of type INT'],
    [{ 'retention.bytes': '99999999999999999999' }, 'Invalid value 99999999999999999999 for configuration retention.bytes: Not a number of type LONG'],
    [{ 'segment.bytes': '10' }, 'Invalid value 10 for configuration segment.bytes: Value must be at least 14'],
    [{ 'segment.ms': '0' }, 'Invalid value 0 for configuration segment.ms: Value must be at least 1'],
    [{ 'cleanup.policy': 'foo' }, 'Invalid value foo for configuration cleanup.policy: String must be one of: compact, delete'],
    [{ 'cleanup.policy': 'Delete' }, 'Invalid value Delete for configuration cleanup.policy: String must be one of: compact, delete'],
    [{ 'cleanup.policy': 'compact,,delete' }, 'Invalid value  for configuration cleanup.policy: String must be one of: compact, delete'],
    [{ 'compression.type': 'GZIP' }, 'Invalid value GZIP for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer'],
    [{ 'compression.gzip.level': '0' }, 'Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1'],
    [{ 'compression.zstd.level': '23' }, 'Invalid value 23 for configuration compression.zstd.level: Value must be no more than 22'],
    [{ 'min.cleanable.dirty.ratio': '2' }, 'Invalid value 2.0 for configuration min.cleanable.dirty.ratio: Value must be no more than 1'],
    [{ 'min.cleanable.dirty.ratio': 'abc' }, 'Invalid value abc for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE'],
    [{ preallocate: 'yes' }, 'Invalid value yes for configuration preallocate: Expected value to be either true or false'],
    [{ 'message.timestamp.type': 'createtime' }, 'Invalid value createtime for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime'],
    [{ 'follower.replication.throttled.replicas': '0:1,1:x' }, "Invalid value [0:1, 1:x] for configuration follower.replication.throttled.replicas: follower.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."],
    [{ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' }, 'conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)'],
    [{ 'remote.storage.enable': 'true' }, 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.'],
    // Names are checked before values; values in Kafka's definition order (segment.ms before retention.ms).
    [{ 'retention.ms': 'x', foo: '1' }, 'Unknown topic config name: foo'],
    [{ 'retention.ms': 'x', 'segment.ms': 'y' }, 'Invalid value y for configuration segment.ms: Not a number of type LONG'],
  ];
  for (const [overrides, message] of cases) assert.is(validateTopicConfigs(overrides)?.message, message, JSON.stringify(overrides));
  assert.equal(validateTopicConfigs({ 'retention.ms': 'x' }), { name: 'retention.ms', message: 'Invalid value x for configuration retention.ms: Not a number of type LONG' });
});

test('values Kafka accepts pass', () => {
  const accepted: Record<string, string>[] = [
    { 'retention.ms': ' 100 ', 'unclean.leader.election.enable': 'TRUE', 'cleanup.policy': 'compact, delete' },
    { 'cleanup.policy': '' },
    { 'retention.ms': '+5', 'max.message.bytes': '00100', 'min.cleanable.dirty.ratio': '.5' },
    { 'leader.replication.throttled.replicas': '*', 'follower.replication.throttled.replicas': '0:1,1:2' },
    { 'segment.bytes': '14', 'remote.storage.enable': 'false', 'local.retention.ms': '5000' },
  ];
  for (const overrides of accepted) assert.is(validateTopicConfigs(overrides), null, JSON.stringify(overrides));
});

test('the compaction-lag check uses the broker default for the side not given', () => {
  assert.is(validateTopicConfigs({ 'min.compaction.lag.ms': '10' }, { 'log.cleaner.max.compaction.lag.ms': '5' })?.name, 'min.compaction.lag.ms');
});

test('describe: Kafka order, values, sources and synonyms on a default broker', () => {
  const entries = describeTopicConfigs({}, { 'node.id': '1' }, { includeSynonyms: true });
  assert.is(entries.length, 37);
  assert.equal(entries.slice(0, 3).map((e) => e.name), ['compression.type', 'errors.deadletterqueue.group.enable', 'remote.copy.lag.bytes']);
  assert.is(entries[entries.length - 1].name, 'segment.index.bytes');
  const byName = new Map(entries.map((e) => [e.name, e]));
  // log.retention.ms is unset, so Kafka drops the hours synonym and reports no synonyms at all.
  assert.equal(byName.get('retention.ms'), {
    name: 'retention.ms', value: '604800000', readOnly: false, configSource: 5, isSensitive: false, configType: 5, documentation: null, synonyms: [],
  });
  assert.equal(syn(byName.get('segment.bytes')!), ['5:log.segment.bytes=1073741824']);
  assert.equal(syn(byName.get('flush.messages')!), ['5:log.flush.interval.messages=9223372036854775807']);
  assert.equal(syn(byName.get('remote.storage.enable')!), []);
  assert.is(byName.get('leader.replication.throttled.replicas')!.value, '');
  assert.is(byName.get('min.cleanable.dirty.ratio')!.configType, 6);
  assert.is(byName.get('cleanup.policy')!.configType, 7);
});

test('describe: overrides come first, normalised as Kafka writes them', () => {
  const broker = new BrokerConfigLayers({ 'log.segment.bytes': '2097152', 'log.retention.hours': '100' });
  const entries = describeTopicConfigs({ 'segment.bytes': '14', 'cleanup.policy': 'compact, delete', 'unclean.leader.election.enable': 'TRUE', 'min.cleanable.dirty.ratio': '1e-5' }, broker, { includeSynonyms: true });
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.equal(syn(byName.get('segment.bytes')!), ['1:segment.bytes=14', '4:log.segment.bytes=2097152', '5:log.segment.bytes=1073741824']);
  assert.is(byName.get('segment.bytes')!.configSource, 1);
  assert.is(byName.get('cleanup.policy')!.value, 'compact,delete');
  assert.is(byName.get('unclean.leader.election.enable')!.value, 'true');
  assert.is(byName.get('min.cleanable.dirty.ratio')!.value, '1.0E-5');
  // From static log.retention.hours, yet Kafka calls it DEFAULT_CONFIG with no synonyms.
  assert.equal([byName.get('retention.ms')!.value, byName.get('retention.ms')!.configSource, byName.get('retention.ms')!.synonyms], ['360000000', 5, []]);
});

test('describe: dynamic layers as sources', () => {
  const broker = new BrokerConfigLayers({}, { 'log.retention.ms': '5000', 'log.flush.interval.messages': '1000' }, { 'log.flush.interval.messages': '77' });
  const byName = new Map(describeTopicConfigs({ 'flush.messages': '5' }, broker, { includeSynonyms: true }).map((e) => [e.name, e]));
  assert.equal(syn(byName.get('retention.ms')!), ['3:log.retention.ms=5000', '5:log.retention.hours=168']);
  assert.is(byName.get('retention.ms')!.configSource, 3);
  assert.equal(syn(byName.get('flush.messages')!), ['1:flush.messages=5', '2:log.flush.interval.messages=77', '3:log.flush.interval.messages=1000', '5:log.flush.interval.messages=9223372036854775807']);
});

test('describe: without synonyms, and only the keys asked for', () => {
  const entries = describeTopicConfigs({ 'retention.ms': '1000' }, {}, { includeSynonyms: false, keys: ['segment.ms', 'retention.ms', 'nope'] });
  assert.equal(entries.map((e) => [e.name, e.value, e.configSource, e.synonyms]), [['retention.ms', '1000', 1, []], ['segment.ms', '604800000', 5, []]]);
  assert.is(describeTopicConfigs({}, {}, { includeSynonyms: false, keys: [] }).length, 37);
});

test.run();
