// outpost's own listeners secured as a Kafka broker's are, driven by real clients: the Java tools
// (kafka-configs for SCRAM users, the console producer and consumer with a client properties file),
// kcat (librdkafka) over SASL_SSL with SCRAM and over mTLS, and kafkajs (PLAIN and SCRAM over TLS).
// Every bad input gets Kafka's answer and a log line that names the client and never a password,
// and other clients are not disturbed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { connect } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ScramMechanism } from '../../src/client/sasl/scram.js';
import { PlainMechanism } from '../../src/client/sasl/plain.js';
import { tlsOptions, tlsOptionsFor } from '../../src/client/tls-material.js';
import { resolveSslConfigs } from '../../src/config/link-configs.js';
import { makeCerts, STORE_PASSWORD, type TestCerts } from '../peers/certs.js';
import { consoleConsume, consoleProduce, javaTool } from '../peers/kafka.js';
import { kcat } from '../peers/kcat.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

const ALICE_PASSWORD = 'alice-plain-secret';
const BOB_PASSWORD = 'bob-scram-secret';
const WRONG_PASSWORD = 'not-bobs-password';

interface Ctx {
  certs: TestCerts;
  outpost: TestBroker;
  logs: string[];
  /** "localhost:PORT" per listener */
  at: (listener: string) => string;
}

const test = suite<Ctx>('secured listeners');

test.before(async (ctx) => {
  ctx.certs = await makeCerts();
  ctx.logs = [];
  ctx.outpost = await startOutpost({
    logLines: ctx.logs,
    configs: {
      'auto.create.topics.enable': 'true',
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,MTLS://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:0,SASL_SSL://localhost:0,MTLS://localhost:0,SASL_PLAINTEXT://127.0.0.1:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': ctx.certs.brokerP12,
      'ssl.keystore.password': STORE_PASSWORD,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': ctx.certs.caPem,
      'listener.name.mtls.ssl.client.auth': 'required',
      'listener.name.mtls.ssl.principal.mapping.rules': 'RULE:^CN=([^,]+)$/$1/U,DEFAULT',
      'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-512,SCRAM-SHA-256,PLAIN',
      'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="${ALICE_PASSWORD}";`,
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'SCRAM-SHA-256',
      'listener.name.sasl_plaintext.connections.max.reauth.ms': '3000',
      'connection.failed.authentication.delay.ms': '200',
    },
  });
  ctx.at = (l) => `${l === 'PLAINTEXT' || l === 'SASL_PLAINTEXT' ? '127.0.0.1' : 'localhost'}:${ctx.outpost.ports[l]}`;
});

test.after(async (ctx) => {
  await ctx.outpost?.destroy();
});

/** kafka-configs --entity-type users over the PLAINTEXT listener. */
function kafkaConfigsUsers(ctx: Ctx, args: string[]) {
  return javaTool('org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', ctx.at('PLAINTEXT'), '--entity-type', 'users', ...args]);
}

const kcatScram = (ctx: Ctx, password: string) => [
  '-b', ctx.at('SASL_SSL'), '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=bob', '-X', `sasl.password=${password}`,
  '-X', `ssl.ca.location=${ctx.certs.caPem}`,
];

test('kafka-configs adds SCRAM users; only salted keys are stored', async (ctx) => {
  // One mechanism per call: Kafka refuses two changes to one user in a request, and so does outpost.
  for (const config of [`SCRAM-SHA-512=[iterations=8192,password=${BOB_PASSWORD}]`, `SCRAM-SHA-256=[password=${BOB_PASSWORD}]`]) {
    const add = await kafkaConfigsUsers(ctx, ['--entity-name', 'bob', '--alter', '--add-config', config]);
    assert.is(add.code, 0, add.stderr);
  }
  const described = await kafkaConfigsUsers(ctx, ['--entity-name', 'bob', '--describe']);
  assert.is(described.code, 0, described.stderr);
  assert.match(described.stdout, /SCRAM-SHA-512=iterations=8192/);
  assert.match(described.stdout, /SCRAM-SHA-256=iterations=4096/);
  const { readFileSync } = await import('node:fs');
  const stored = readFileSync(join(ctx.outpost.dataDir, '__outpost_scram_credentials.json'), 'utf8');
  assert.not.match(stored, BOB_PASSWORD);
});

test('kcat produces and consumes over SASL_SSL with SCRAM-SHA-512, and is told the SASL_SSL address', async (ctx) => {
  const meta = await kcat([...kcatScram(ctx, BOB_PASSWORD), '-L', '-J']);
  assert.is(meta.code, 0, meta.stderr);
  const brokers = JSON.parse(meta.stdout).brokers as { name: string }[];
  assert.equal(brokers.map((b) => b.name), [ctx.at('SASL_SSL')]);
  const produced = await kcat([...kcatScram(ctx, BOB_PASSWORD), '-P', '-t', 'scram-topic'], { input: 'one\ntwo\n' });
  assert.is(produced.code, 0, produced.stderr);
  const consumed = await kcat([...kcatScram(ctx, BOB_PASSWORD), '-C', '-t', 'scram-topic', '-o', 'beginning', '-e']);
  assert.is(consumed.code, 0, consumed.stderr);
  assert.equal(consumed.stdout.trim().split('\n'), ['one', 'two']);
});

test('a wrong SCRAM password fails with a log line naming the client, not the password', async (ctx) => {
  const before = ctx.logs.length;
  const r = await kcat([...kcatScram(ctx, WRONG_PASSWORD), '-L'], { timeoutMs: 20_000 });
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/);
  const lines = ctx.logs.slice(before).filter((l) => l.includes('failed authentication'));
  assert.ok(lines.length > 0, 'a log line');
  assert.match(lines[0]!, /127\.0\.0\.1/);
  assert.match(lines[0]!, /SCRAM-SHA-512/);
  for (const l of ctx.logs) assert.not.ok(l.includes(WRONG_PASSWORD) || l.includes(BOB_PASSWORD), 'no password logged');
});

test.run();
