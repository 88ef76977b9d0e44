// Settings: defaults, the YAML file, flags over the file, and the message for each kind of mistake.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHostPort } from '../../src/config/host-port.js';
import { loadSettings, type SettingsFlags } from '../../src/config/settings.js';

let dir = '';
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-settings-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function failure(flags: SettingsFlags): Promise<string> {
  try {
    await loadSettings(flags);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('loadSettings succeeded');
}

test('defaults', async () => {
  assert.equal(await loadSettings({}), {
    listeners: [{ name: 'PLAINTEXT', protocol: 'PLAINTEXT', bind: { host: '127.0.0.1', port: 9092 }, advertised: { host: '127.0.0.1', port: 9092 } }],
    admin: { host: '127.0.0.1', port: 8090 },
    dataDir: resolve('data'),
    configs: { 'node.id': '1' },
  });
});

test('HOST:PORT forms', () => {
  assert.equal(parseHostPort('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
  assert.equal(parseHostPort('[::1]:9092'), { host: '::1', port: 9092 });
  assert.equal(parseHostPort('kafka.example:65535'), { host: 'kafka.example', port: 65535 });
  for (const bad of ['abc', ':9092', 'host:', 'host:65536', 'host:x', '::1:9092', 'a b:1']) assert.is(parseHostPort(bad), null, bad);
});

test('the file, then flags over it', async () => {
  const path = await file('full.yaml', [
    'listen: 0.0.0.0:19092',
    'advertised.listener: kafka.example:9092',
    'admin: "[::1]:18090"',
    'data.dir: store',
    'configs:',
    '  num.partitions: 3',
    '  auto.create.topics.enable: true',
    '  log.flush.interval.messages: 9223372036854775807',
    '  log.cleaner.min.cleanable.ratio: 0.25',
    '  node.id: 7',
  ].join('\n'));
  const s = await loadSettings({ config: path });
  assert.equal(s, {
    listeners: [{ name: 'PLAINTEXT', protocol: 'PLAINTEXT', bind: { host: '0.0.0.0', port: 19092 }, advertised: { host: 'kafka.example', port: 9092 } }],
    admin: { host: '::1', port: 18090 },
    dataDir: join(dir, 'store'),
    configs: {
      'num.partitions': '3',
      'auto.create.topics.enable': 'true',
      'log.flush.interval.messages': '9223372036854775807',
      'log.cleaner.min.cleanable.ratio': '0.25',
      'node.id': '7',
    },
  });
  const flagged = await loadSettings({ config: path, listen: '127.0.0.1:29092', dataDir: 'elsewhere' });
  assert.equal(flagged.listeners, [{ name: 'PLAINTEXT', protocol: 'PLAINTEXT', bind: { host: '127.0.0.1', port: 29092 }, advertised: { host: 'kafka.example', port: 9092 } }]);
  assert.is(flagged.dataDir, resolve('elsewhere'));
});

test('advertised listener defaults to listen', async () => {
  const s = await loadSettings({ listen: '10.0.0.1:9093' });
  assert.equal(s.listeners[0]!.advertised, { host: '10.0.0.1', port: 9093 });
});

test('an empty file is all defaults', async () => {
  assert.equal((await loadSettings({ config: await file('empty.yaml', '') })).listeners, [{ name: 'PLAINTEXT', protocol: 'PLAINTEXT', bind: { host: '127.0.0.1', port: 9092 }, advertised: { host: '127.0.0.1', port: 9092 } }]);
});

test('bad flags name the flag', async () => {
  assert.is(await failure({ listen: 'abc' }), 'invalid --listen "abc": expected HOST:PORT');
  assert.is(await failure({ advertisedListener: 'h:99999' }), 'invalid --advertised-listener "h:99999": expected HOST:PORT');
  assert.is(await failure({ admin: '8090' }), 'invalid --admin "8090": expected HOST:PORT');
  assert.is(await failure({ dataDir: '' }), 'invalid --data-dir "": must not be empty');
});

test('file errors name the file and the key', async () => {
  const missing = join(dir, 'missing.yaml');
  assert.is(await failure({ config: missing }), `config file ${missing}: no such file`);

  const cases: [string, string][] = [
    ['configs:\n  num.partitions: 0\n', 'configs.num.partitions: invalid value "0": Value must be at least 1'],
    ['configs:\n  num.partitions: many\n', 'configs.num.partitions: invalid value "many": Not a number of type INT'],
    ['configs:\n  auto.create.topics.enable: yes\n', 'configs.auto.create.topics.enable: invalid value "yes": Expected value to be either true or false'],
    ['configs:\n  no.such.config: 1\n', 'configs.no.such.config: not a broker config outpost knows'],
    ['configs:\n  num.partitions:\n', 'configs.num.partitions: expected a string, number or boolean'],
    ['configs:\n  log:\n    retention.hours: 1\n', 'configs.log: expected a string, number or boolean'],
    ['listen: abc\n', 'listen: invalid "abc": expected HOST:PORT'],
    ['listen: 9092\n', 'listen: expected HOST:PORT'],
    ['data.dir: ""\n', 'data.dir: must not be empty'],
    ['lisen: 127.0.0.1:9092\n', "top level: Unrecognized key(s) in object: 'lisen'"],
    ['- a\n- b\n', 'top level: Expected object, received array'],
  ];
  for (const [text, message] of cases) {
    const path = await file('bad.yaml', text);
    assert.is(await failure({ config: path }), `config file ${path}: ${message}`, text);
  }
  const broken = await file('broken.yaml', 'listen: [unclosed\n');
  assert.match(await failure({ config: broken }), new RegExp(`^config file ${broken}: .*line 2`));
});

test('links declared in the file', async () => {
  const path = await file('links.yaml', [
    'links:',
    '  - name: from-prod',
    '    bootstrap.servers: kafka-1:9092,kafka-2:9092',
    '    source.cluster.id: abc',
    '    configs:',
    '      replica.fetch.wait.max.ms: 100',
    '      mirror.start.offset.spec: latest',
    '    mirrors: [orders, payments]',
    '  - name: bare',
    '    bootstrap.servers: other:9092',
    '  - name: secured',
    '    bootstrap.servers: cloud:9092',
    '    configs:',
    '      security.protocol: SASL_SSL',
    '      sasl.mechanism: PLAIN',
    '      sasl.jaas.config: org.apache.kafka.common.security.plain.PlainLoginModule required username="k" password="s";',
  ].join('\n'));
  assert.equal((await loadSettings({ config: path })).links, [
    { name: 'from-prod', bootstrapServers: 'kafka-1:9092,kafka-2:9092', sourceClusterId: 'abc', configs: { 'replica.fetch.wait.max.ms': '100', 'mirror.start.offset.spec': 'latest' }, mirrors: ['orders', 'payments'] },
    { name: 'bare', bootstrapServers: 'other:9092', configs: {}, mirrors: [] },
    {
      name: 'secured',
      bootstrapServers: 'cloud:9092',
      configs: { 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required username="k" password="s";' },
      mirrors: [],
    },
  ]);
  assert.is((await loadSettings({ config: await file('nolinks.yaml', 'listen: 127.0.0.1:9092\n') })).links, undefined);
});

test('link errors name the link\'s key', async () => {
  const cases: [string, RegExp][] = [
    ['links:\n  - name: a\n', /links\.0\.bootstrap\.servers: Required$/],
    ['links:\n  - name: a\n    bootstrap.servers: h:1\n    mirror: [t]\n', /links\.0: Unrecognized key\(s\) in object: 'mirror'$/],
    ['links:\n  - name: a\n    bootstrap.servers: h:1\n  - name: a\n    bootstrap.servers: h:2\n', /links\.1\.name: a second link named "a"$/],
    ['links:\n  - name: a b\n    bootstrap.servers: h:1\n', /links\.0: .*invalid link name "a b"/],
    ['links:\n  - name: a\n    bootstrap.servers: nope\n', /links\.0: .*invalid bootstrap server "nope"/],
    ['links:\n  - name: a\n    bootstrap.servers: h:1\n    configs:\n      no.such.config: 1\n', /links\.0: .*no\.such\.config/],
    ['links:\n  - name: a\n    bootstrap.servers: h:1\n    configs:\n      ssl.truststore.locaton: /ca.pem\n', /links\.0: Unknown link config ssl\.truststore\.locaton \(did you mean ssl\.truststore\.location\?\)/],
    ['links:\n  - name: a\n    bootstrap.servers: h:1\n    configs:\n      security.protocol: SASL_SSL\n      sasl.mechanism: SCRAM-SHA-512\n', /links\.0: sasl\.jaas\.config is required for sasl\.mechanism SCRAM-SHA-512/],
  ];
  for (const [text, message] of cases) {
    const path = await file('badlink.yaml', text);
    assert.match(await failure({ config: path }), message, text);
  }
});

test.run();
