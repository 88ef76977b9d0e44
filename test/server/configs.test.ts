// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs against outpost: with kafkajs, with
// Kafka's own kafka-configs tool, across a restart, through the running logs, and side by side
// with a real Kafka 4.4.0 that gets the very same requests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { AlterConfigsRequest, ApiMessages, ApiName, IncrementalAlterConfigsRequest } from '../../protocol/messages/messages.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { javaTool, startKafka } from '../peers/kafka.js';
import { normalise, openSide, type Side } from '../support/differential.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;

let broker: TestBroker;

test.before(async () => {
  broker = await startOutpost();
});

test.after(async () => {
  await broker.destroy();
});

// Dynamic broker configs reach every topic: no test may leave any behind for the next one.
test.after.each(async () => {
  await resetBrokerConfigs();
});

function kafkajs(): Kafka {
  return new Kafka({ clientId: 'configs-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkajs().admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** A config entry as `value source [synonyms as source:name=value]`, to compare at a glance. */
interface Entry {
  configValue: string;
  configSource: number;
  readOnly: boolean;
  configSynonyms: { configName: string; configValue: string; configSource: number }[];
}
const show = (e: Entry | undefined) => e && [e.configValue, e.configSource, e.readOnly, e.configSynonyms.map((s) => `${s.configSource}:${s.configName}=${s.configValue}`)];

async function describe(admin: Admin, type: number, name: string, configNames?: string[]): Promise<Map<string, Entry>> {
  const res = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type, name, configNames }] });
  return new Map(res.resources[0]!.configEntries.map((e) => [e.configName, e as unknown as Entry]));
}

/** kafkajs rejects with a KafkaJSProtocolError (sometimes wrapped); its type is Kafka's error name. */
function errorType(err: any): string {
  return err?.type ?? err?.cause?.type ?? err?.originalError?.type ?? String(err);
}

/** One request to outpost with its own client, for what kafkajs cannot send (it refuses the resource name ""). */
async function request<N extends ApiName>(api: N, version: number, body: ApiMessages[N]['request']) {
  const conn = await KafkaConnection.open('127.0.0.1', broker.port);
  try {
    return await conn.request(api, version, body);
  } finally {
    conn.close();
  }
}

/**
 * Replaces a dynamic broker layer ("" or "1") with `configs`, as AlterConfigs does. The cluster
 * default keeps the min.insync.replicas a fresh cluster has, which Kafka 4.4 refuses to remove.
 */
async function setBrokerConfigs(name: string, configs: Record<string, string>): Promise<void> {
  const all = name === '' ? { 'min.insync.replicas': '1', ...configs } : configs;
  const res = await request('AlterConfigs', 2, { resources: [{ resourceType: BROKER, resourceName: name, configs: Object.entries(all).map(([n, value]) => ({ name: n, value })) }], validateOnly: false });
  assert.is(res.responses[0].errorCode, 0, res.responses[0].errorMessage ?? undefined);
}

async function resetBrokerConfigs(): Promise<void> {
  await setBrokerConfigs('', {});
  await setBrokerConfigs('1', {});
}

/** What the cluster default holds on a fresh cluster (see setBrokerConfigs), as clusterDefault() shows it. */
const FRESH_CLUSTER_DEFAULT = { 'min.insync.replicas': ['1', 3, ['3:min.insync.replicas=1']] };

/** The cluster default layer as DescribeConfigs reports it: name -> [value, source, synonyms]. */
async function clusterDefault(): Promise<Record<string, unknown>> {
  const res = await request('DescribeConfigs', 4, { resources: [{ resourceType: BROKER, resourceName: '', configurationKeys: null }], includeSynonyms: true, includeDocumentation: false });
  const entries: any[] = res.results[0].configs;
  return Object.fromEntries(entries.map((e) => [e.name, [e.value, e.configSource, e.synonyms.map((s: any) => `${s.source}:${s.name}=${s.value}`)]]));
}

test('kafkajs: a topic\'s configs with sources and synonyms; AlterConfigs replaces its overrides', async () => {
  await withAdmin(async (admin) => {
    await admin.createTopics({ topics: [{ topic: 'kjs', configEntries: [{ name: 'retention.ms', value: '3600000' }, { name: 'cleanup.policy', value: 'compact' }] }] });
    const names = ['retention.ms', 'cleanup.policy', 'segment.ms'];
    let c = await describe(admin, TOPIC, 'kjs', names);
    assert.equal(show(c.get('retention.ms')), ['3600000', 1, false, ['1:retention.ms=3600000']]);
    assert.equal(show(c.get('cleanup.policy')), ['compact', 1, false, ['1:cleanup.policy=compact', '5:log.cleanup.policy=delete']]);
    assert.equal(show(c.get('segment.ms')), ['604800000', 5, false, []]);

    await admin.alterConfigs({ validateOnly: true, resources: [{ type: TOPIC, name: 'kjs', configEntries: [{ name: 'segment.ms', value: '100000' }] }] });
    assert.is((await describe(admin, TOPIC, 'kjs', ['segment.ms'])).get('segment.ms')!.configValue, '604800000', 'validateOnly changes nothing');

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: 'kjs', configEntries: [{ name: 'segment.ms', value: '100000' }] }] });
    c = await describe(admin, TOPIC, 'kjs', names);
    assert.equal(show(c.get('segment.ms')), ['100000', 1, false, ['1:segment.ms=100000']]);
    // Not named in the request: no longer overridden.
    assert.equal(show(c.get('retention.ms')), ['604800000', 5, false, []]);
    assert.equal(show(c.get('cleanup.policy')), ['delete', 5, false, ['5:log.cleanup.policy=delete']]);

    const unknown = await describe(admin, TOPIC, 'no-such-topic').catch((e) => e);
    assert.is(errorType(unknown), 'UNKNOWN_TOPIC_OR_PARTITION');
    const bad = await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: 'kjs', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }).catch((e) => e);
    assert.is(errorType(bad), 'INVALID_CONFIG');
  });
});

test('kafkajs: this broker\'s configs and the cluster default ""', async () => {
  await withAdmin(async (admin) => {
    let c = await describe(admin, BROKER, '1');
    assert.equal(show(c.get('node.id')), ['1', 4, true, ['4:node.id=1']]);
    assert.equal(show(c.get('log.retention.hours')), ['168', 5, true, ['5:log.retention.hours=168']]);
    assert.equal(show(c.get('log.retention.ms')), [null, 5, false, []]);

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: BROKER, name: '1', configEntries: [{ name: 'log.retention.ms', value: '5000' }] }] });
    await setBrokerConfigs('', { 'log.retention.ms': '7000' });
    c = await describe(admin, BROKER, '1', ['log.retention.ms']);
    assert.equal(show(c.get('log.retention.ms')), ['5000', 2, false, ['2:log.retention.ms=5000', '3:log.retention.ms=7000', '5:log.retention.hours=168']]);
    assert.equal(await clusterDefault(), { ...FRESH_CLUSTER_DEFAULT, 'log.retention.ms': ['7000', 3, ['3:log.retention.ms=7000']] });

    const readOnly = await admin.alterConfigs({ validateOnly: false, resources: [{ type: BROKER, name: '1', configEntries: [{ name: 'num.partitions', value: '3' }] }] }).catch((e) => e);
    assert.is(errorType(readOnly), 'INVALID_REQUEST');
    // kafkajs sends a BROKER resource to the broker it names, and knows no broker 2.
    const other = await request('DescribeConfigs', 4, { resources: [{ resourceType: BROKER, resourceName: '2', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
    assert.equal([other.results[0].errorCode, other.results[0].errorMessage], [42, 'Unexpected broker id, expected 1 or empty string, but received 2']);

    await resetBrokerConfigs();
    assert.equal(await clusterDefault(), FRESH_CLUSTER_DEFAULT);
    assert.equal(show((await describe(admin, BROKER, '1', ['log.retention.ms'])).get('log.retention.ms')), [null, 5, false, []]);
  });
});

test('the running logs act on topic overrides and on changed broker defaults', async () => {
  const kafka = kafkajs();
  await withAdmin(async (admin) => {
    await admin.createTopics({ topics: [{ topic: 'big-own' }, { topic: 'big-default' }] });
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    // One 2000-byte record makes a batch of about 2070 bytes.
    const send = (topic: string) => producer.send({ topic, acks: -1, messages: [{ value: Buffer.alloc(2000, 'x') }] }).then(() => 'ok', errorType);
    const setBroker = (name: string, value: string | null) => setBrokerConfigs(name, value === null ? {} : { 'message.max.bytes': value });
    try {
      assert.equal([await send('big-own'), await send('big-default')], ['ok', 'ok']);
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: 'big-own', configEntries: [{ name: 'max.message.bytes', value: '1000' }] }] });
      assert.equal([await send('big-own'), await send('big-default')], ['MESSAGE_TOO_LARGE', 'ok']);
      // The cluster default reaches the topic without an override of its own...
      await setBroker('', '1000');
      assert.equal([await send('big-own'), await send('big-default')], ['MESSAGE_TOO_LARGE', 'MESSAGE_TOO_LARGE']);
      // ...this broker's own value beats the cluster default, and the topic's override beats both.
      await setBroker('1', '5000');
      assert.equal([await send('big-own'), await send('big-default')], ['MESSAGE_TOO_LARGE', 'ok']);
      await setBroker('1', null);
      await setBroker('', null);
      assert.equal([await send('big-own'), await send('big-default')], ['MESSAGE_TOO_LARGE', 'ok']);
    } finally {
      await producer.disconnect();
    }
  });
});

/** kafka-configs.sh (org.apache.kafka.tools.ConfigCommand since Kafka 4.1). */
async function kafkaConfigs(args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await javaTool('org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', broker.bootstrap, ...args]);
  return { code: r.code, out: `${r.stdout}\n${r.stderr}` };
}

test('kafka-configs: describe, add and delete topic and broker configs', async () => {
  await withAdmin((admin) => admin.createTopics({ topics: [{ topic: 'cc', configEntries: [{ name: 'retention.ms', value: '3600000' }] }] }));
  const topic = ['--entity-type', 'topics', '--entity-name', 'cc'];
  // Expected lines are what the tool prints against a Kafka 4.4.0 broker given the same commands.
  let r = await kafkaConfigs([...topic, '--alter', '--add-config', 'retention.bytes=1048576,cleanup.policy=[compact,delete]']);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, 'Completed updating config for topic cc.');
  r = await kafkaConfigs([...topic, '--describe']);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, [
    'Dynamic configs for topic cc are:',
    '  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DEFAULT_CONFIG:log.cleanup.policy=delete}',
    '  retention.bytes=1048576 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.bytes=1048576, DEFAULT_CONFIG:log.retention.bytes=-1}',
    '  retention.ms=3600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000}',
  ].join('\n'));

  r = await kafkaConfigs([...topic, '--alter', '--delete-config', 'retention.ms']);
  assert.is(r.code, 0, r.out);
  r = await kafkaConfigs([...topic, '--describe']);
  assert.not.match(r.out, 'retention.ms=');
  r = await kafkaConfigs([...topic, '--alter', '--add-config', 'retention.ms=abc']);
  assert.is(r.code, 1);
  assert.match(r.out, 'InvalidConfigurationException: Invalid value abc for configuration retention.ms: Not a number of type LONG');

  r = await kafkaConfigs(['--entity-type', 'brokers', '--entity-name', '1', '--alter', '--add-config', 'log.retention.ms=5000']);
  assert.match(r.out, 'Completed updating config for broker 1.');
  r = await kafkaConfigs(['--entity-type', 'brokers', '--entity-default', '--alter', '--add-config', 'log.cleanup.policy=compact']);
  assert.match(r.out, 'Completed updating default config for brokers in the cluster.');
  r = await kafkaConfigs(['--entity-type', 'brokers', '--entity-name', '1', '--describe']);
  assert.match(r.out, 'Dynamic configs for broker 1 are:\n  log.retention.ms=5000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.retention.ms=5000, DEFAULT_CONFIG:log.retention.hours=168}\n');
  r = await kafkaConfigs(['--entity-type', 'brokers', '--entity-default', '--describe']);
  assert.match(r.out, 'Default configs for brokers in the cluster are:\n  log.cleanup.policy=compact sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleanup.policy=compact}\n');
  r = await kafkaConfigs([...topic, '--describe', '--all']);
  assert.match(r.out, '  cleanup.policy=compact,delete sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact,delete, DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete}\n');
  assert.match(r.out, '  retention.ms=5000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.retention.ms=5000, DEFAULT_CONFIG:log.retention.hours=168}\n');

  r = await kafkaConfigs(['--entity-type', 'brokers', '--entity-name', '1', '--alter', '--add-config', 'num.partitions=3']);
  assert.is(r.code, 1);
  assert.match(r.out, 'InvalidRequestException: Cannot update these configs dynamically: [num.partitions]');
  r = await kafkaConfigs(['--entity-type', 'brokers', '--entity-name', '1', '--alter', '--delete-config', 'log.retention.ms']);
  assert.is(r.code, 0, r.out);
  r = await kafkaConfigs(['--entity-type', 'brokers', '--entity-default', '--alter', '--delete-config', 'log.cleanup.policy']);
  assert.is(r.code, 0, r.out);
  r = await kafkaConfigs(['--entity-type', 'brokers', '--entity-name', '1', '--describe']);
  assert.match(r.out, 'Dynamic configs for broker 1 are:\n');
  assert.not.match(r.out, 'log.retention.ms=');
});

test('a restart keeps topic overrides and dynamic broker configs, and applies them to the logs', async () => {
  await withAdmin(async (admin) => {
    await admin.createTopics({ topics: [{ topic: 'kept' }, { topic: 'kept-default' }] });
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        { type: TOPIC, name: 'kept', configEntries: [{ name: 'retention.ms', value: '3600000' }] },
        { type: BROKER, name: '1', configEntries: [{ name: 'log.retention.ms', value: '5000' }] },
      ],
    });
  });
  await setBrokerConfigs('', { 'message.max.bytes': '1000' });
  broker = await broker.restart();
  await withAdmin(async (admin) => {
    assert.equal(show((await describe(admin, TOPIC, 'kept', ['retention.ms'])).get('retention.ms')), ['3600000', 1, false, ['1:retention.ms=3600000', '2:log.retention.ms=5000', '5:log.retention.hours=168']]);
    assert.equal(show((await describe(admin, TOPIC, 'kept-default', ['retention.ms'])).get('retention.ms')), ['5000', 2, false, ['2:log.retention.ms=5000', '5:log.retention.hours=168']]);
    assert.equal(await clusterDefault(), { ...FRESH_CLUSTER_DEFAULT, 'message.max.bytes': ['1000', 3, ['3:message.max.bytes=1000']] });

    const producer = kafkajs().producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      const sent = await producer.send({ topic: 'kept-default', acks: -1, messages: [{ value: Buffer.alloc(2000, 'x') }] }).then(() => 'ok', errorType);
      assert.is(sent, 'MESSAGE_TOO_LARGE', 'the reloaded cluster default reaches the log');
    } finally {
      await producer.disconnect();
    }
  });
});

// ---- the same requests to a real Kafka 4.4.0 and to outpost -----------------------------------

test('differential: the same describe and alter sequence gives the same answers as Kafka 4.4.0', async () => {
  // Both fresh: the broker above has had its dynamic configs replaced by the tests before.
  const [kafka, outpost] = await Promise.all([startKafka(), startOutpost()]);
  const sides: Side[] = [];
  try {
    sides.push(await openSide('kafka', kafka.port), await openSide('outpost', outpost.port));
    const [k, o] = sides as [Side, Side];
    // A request's answers from both; `settle` repeats Kafka's until it matches outpost's (for up
    // to 10 s): Kafka's broker learns of topic and config changes from its controller a moment
    // after the change is acknowledged, outpost at once.
    const same = async <N extends ApiName>(label: string, api: N, version: number, body: ApiMessages[N]['request'], settle = false) => {
      const mine = normalise(await o.conn.request(api, version, body));
      let theirs = normalise(await k.conn.request(api, version, body));
      for (let i = 0; settle && i < 100 && JSON.stringify(theirs) !== JSON.stringify(mine); i++) {
        await new Promise((r) => setTimeout(r, 100));
        theirs = normalise(await k.conn.request(api, version, body));
      }
      assert.equal(mine, theirs, label);
      return mine as any;
    };
    const describeAll = (name: string, version = 4) =>
      same(`describe ${name} v${version}`, 'DescribeConfigs', version, { resources: [{ resourceType: TOPIC, resourceName: name, configurationKeys: null }], includeSynonyms: true, includeDocumentation: false }, true);
    const alter = (label: string, resources: AlterConfigsRequest.AlterConfigsResource[], version = 2, validateOnly = false) => same(label, 'AlterConfigs', version, { resources, validateOnly });
    const incremental = (label: string, resources: IncrementalAlterConfigsRequest.AlterConfigsResource[], version = 1, validateOnly = false) => same(label, 'IncrementalAlterConfigs', version, { resources, validateOnly });
    const topic = <C>(name: string, configs: C[]) => ({ resourceType: TOPIC, resourceName: name, configs });
    const op = (name: string, configOperation: number, value: string | null) => ({ name, configOperation, value });

    const created = await same('create', 'CreateTopics', 7, {
      topics: [{ name: 'diff', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '3600000' }, { name: 'cleanup.policy', value: 'compact' }] }],
      timeoutMs: 30000,
      validateOnly: false,
    });
    assert.is(created.topics[0].errorCode, 0);
    const first = await describeAll('diff');
    assert.is(first.results[0].configs.length, 37);
    await same('some keys, v1', 'DescribeConfigs', 1, { resources: [{ resourceType: TOPIC, resourceName: 'diff', configurationKeys: ['retention.ms', 'cleanup.policy', 'no.such.config'] }], includeSynonyms: false });
    // Kafka orders a filtered answer by a hash table sized to it: 13 and 25 names take 32 and 64 buckets.
    const manyTopicKeys = first.results[0].configs.map((c: { name: string }) => c.name).slice(0, 25);
    await same('13 keys', 'DescribeConfigs', 2, { resources: [{ resourceType: TOPIC, resourceName: 'diff', configurationKeys: manyTopicKeys.slice(0, 13) }], includeSynonyms: true });
    await same('25 keys', 'DescribeConfigs', 3, { resources: [{ resourceType: TOPIC, resourceName: 'diff', configurationKeys: manyTopicKeys }], includeSynonyms: true, includeDocumentation: false });
    await same('describe errors', 'DescribeConfigs', 4, {
      resources: [
        ['no-such-topic', TOPIC], ['bad name!', TOPIC], ['', TOPIC], ['2', BROKER], ['x', BROKER],
        ['', BROKER_LOGGER], ['2', BROKER_LOGGER], ['1', 99], ['1', 0],
      ].map(([resourceName, resourceType]) => [String(resourceName), Number(resourceType)] as const).map(([resourceName, resourceType]) => ({ resourceType, resourceName, configurationKeys: null })),
      includeSynonyms: true,
      includeDocumentation: false,
    });
    // Kafka lists its log4j loggers for BROKER_LOGGER; outpost has none, and a logger that does
    // not exist is answered the same way by both: with no entries.
    await same('unknown logger', 'DescribeConfigs', 4, { resources: [{ resourceType: BROKER_LOGGER, resourceName: '1', configurationKeys: ['outpost.no.such.logger'] }], includeSynonyms: true, includeDocumentation: false });

    // AlterConfigs replaces a topic's overrides; values are kept as given and shown parsed.
    await alter('validate only', [topic('diff', [{ name: 'segment.ms', value: '100000' }])], 2, true);
    await describeAll('diff');
    await alter('replace', [topic('diff', [{ name: 'segment.ms', value: '100000' }, { name: 'retention.bytes', value: ' 1048576 ' }])], 0);
    await describeAll('diff', 1);
    await alter('alter errors', [
      topic('no-such-topic', [{ name: 'retention.ms', value: '1000' }]),
      topic('no-such-topic-either', [{ name: 'retention.ms', value: 'x' }]),
      topic('bad name!', [{ name: 'retention.ms', value: '1000' }]),
      topic('', [{ name: 'retention.ms', value: '1000' }]),
      topic('diff', [{ name: 'no.such.config', value: '1' }]),
      { resourceType: BROKER, resourceName: '1', configs: [{ name: 'num.partitions', value: '3' }] },
      { resourceType: BROKER, resourceName: '2', configs: [{ name: 'log.retention.ms', value: '1000' }] },
      { resourceType: BROKER, resourceName: 'x', configs: [] },
      { resourceType: BROKER, resourceName: '', configs: [{ name: 'log.segment.bytes', value: '10' }] },
      { resourceType: BROKER_LOGGER, resourceName: '1', configs: [] },
      { resourceType: 99, resourceName: '1', configs: [] },
    ]);
    await alter('null value', [topic('diff', [{ name: 'retention.ms', value: null }])]);
    await alter('duplicate keys', [topic('diff', [{ name: 'retention.ms', value: '1' }, { name: 'retention.ms', value: '2' }])]);
    await describeAll('diff');

    // IncrementalAlterConfigs: list operations start from the override, else the default.
    await incremental('append to the default', [topic('diff', [op('cleanup.policy', 2, 'compact'), op('retention.ms', 0, '7200000'), op('segment.ms', 1, null)])]);
    await describeAll('diff');
    await incremental('subtract all', [topic('diff', [op('cleanup.policy', 3, 'delete,compact')])], 0);
    await describeAll('diff');
    await incremental('append with spaces and repeats', [topic('diff', [op('cleanup.policy', 2, 'compact, delete,compact')]), topic('no-such-topic', [op('retention.ms', 0, '1')])]);
    await incremental('throttled replicas', [topic('diff', [op('leader.replication.throttled.replicas', 2, '0:1,0:2'), op('follower.replication.throttled.replicas', 3, '0:1')])]);
    await describeAll('diff');
    await incremental('incremental errors', [
      topic('diff', [op('retention.ms', 2, '1')]),
      topic('bad name!', [op('retention.ms', 0, '1')]),
      topic('no-such-topic', [op('retention.ms', 0, 'x')]),
      topic('no-such-topic-2', [op('retention.ms', 1, null), op('retention.bytes', 0, null)]),
      { resourceType: BROKER, resourceName: '', configs: [op('log.retention.ms', 2, '1')] },
      { resourceType: BROKER, resourceName: '1', configs: [op('log.retention.ms', 7, '1')] },
      { resourceType: BROKER, resourceName: '1', configs: [op('num.partitions', 0, '2')] },
      { resourceType: BROKER_LOGGER, resourceName: '1', configs: [op('outpost.no.such.logger', 0, 'DEBUG')] },
      { resourceType: BROKER_LOGGER, resourceName: '1', configs: [op('root', 2, 'DEBUG')] },
      { resourceType: BROKER_LOGGER, resourceName: '2', configs: [] },
      { resourceType: BROKER_LOGGER, resourceName: '', configs: [] },
      { resourceType: 99, resourceName: 'x', configs: [] },
    ]);
    await incremental('a resource twice', [topic('diff', []), topic('diff', [])]);
    await incremental('validate only', [topic('diff', [op('retention.ms', 0, '1')])], 1, true);
    await describeAll('diff');

    // Dynamic broker configs: this broker's and the cluster default, then what the topic shows.
    await incremental('broker configs', [
      { resourceType: BROKER, resourceName: '1', configs: [op('log.retention.ms', 0, '5000'), op('log.segment.bytes', 0, '2097152')] },
      { resourceType: BROKER, resourceName: '', configs: [op('log.cleanup.policy', 2, 'compact'), op('log.segment.bytes', 0, '3145728'), op('num.partitions', 1, null)] },
    ]);
    await incremental('broker validate only', [{ resourceType: BROKER, resourceName: '', configs: [op('log.retention.ms', 0, '1')] }], 0, true);
    await describeAll('diff');
    await incremental('more cluster defaults', [{ resourceType: BROKER, resourceName: '', configs: [
      op('log.flush.interval.messages', 0, '100000'), op('min.insync.replicas', 0, '1'), op('compression.type', 0, 'lz4'),
      op('log.index.interval.bytes', 0, '8192'), op('log.message.timestamp.type', 0, 'LogAppendTime'), op('log.preallocate', 0, 'false'),
      op('message.max.bytes', 0, '2000000'), op('log.roll.ms', 0, '86400000'), op('log.retention.bytes', 0, '1073741824'),
      op('log.cleaner.min.cleanable.ratio', 0, '0.25'),
    ] }]);
    // Not auto.create.topics.enable: outpost's default is false on purpose (Kafka's true shows in its synonyms).
    const brokerKeys = [
      'log.retention.ms', 'log.retention.hours', 'log.cleanup.policy', 'log.segment.bytes', 'message.max.bytes', 'node.id', 'num.partitions',
      'log.retention.minutes', 'compression.type', 'log.roll.ms', 'log.roll.hours', 'min.insync.replicas', 'log.flush.interval.ms',
    ];
    await same('describe broker', 'DescribeConfigs', 4, {
      resources: [{ resourceType: BROKER, resourceName: '1', configurationKeys: brokerKeys }, { resourceType: BROKER, resourceName: '', configurationKeys: null }],
      includeSynonyms: true,
      includeDocumentation: false,
    }, true);
    await alter('replace the cluster default', [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', value: '9000' }] }]);
    await describeAll('diff');

    // Deliberate difference: Kafka stores broker config names it does not know (and so typos);
    // outpost refuses them with the read-only ones (see validateBrokerConfigChanges).
    const unknownName = { resources: [{ resourceType: BROKER, resourceName: '', configs: [op('no.such.config', 0, '1')] }], validateOnly: true };
    assert.is((await k.conn.request('IncrementalAlterConfigs', 1, unknownName)).responses[0].errorCode, 0);
    assert.equal((await o.conn.request('IncrementalAlterConfigs', 1, unknownName)).responses[0].errorMessage, 'Cannot update these configs dynamically: [no.such.config]');
  } finally {
    for (const s of sides) s.conn.close();
    await Promise.all([kafka.stop(), outpost.destroy()]);
  }
});

test.run();
