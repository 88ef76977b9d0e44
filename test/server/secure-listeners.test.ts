// outpost's own listeners secured as a Kafka broker's are, driven by real clients: the Java tools
// (kafka-configs for SCRAM users, the console producer and consumer with a client properties file),
// kcat (librdkafka) over SASL_SSL with SCRAM and over mTLS, and kafkajs (PLAIN and SCRAM over TLS).
// Every bad input gets Kafka's answer and a log line that names the client and never a password,
// and other clients are not disturbed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errorName } from '../../protocol/errors.js';
import { ConnectionClosed, KafkaConnection } from '../../src/client/kafka-connection.js';
import { ScramMechanism } from '../../src/client/sasl/scram.js';
import { tlsOptions, tlsOptionsFor } from '../../src/client/tls-material.js';
import { resolveSslConfigs } from '../../src/config/link-configs.js';
import { makeCerts, STORE_PASSWORD, type TestCerts } from '../peers/certs.js';
import { consoleConsume, consoleProduce, javaTool } from '../peers/kafka.js';
import { kcat } from '../peers/kcat.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { connectTo, highWatermarks, sameBatches, waitFor } from '../link/support.js';

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

const kcatMtls = (ctx: Ctx, cert: string, key: string) => [
  '-b', ctx.at('MTLS'), '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ctx.certs.caPem}`,
  '-X', `ssl.certificate.location=${cert}`, '-X', `ssl.key.location=${key}`,
];

test('kcat over mTLS: a client certificate signed by the trusted CA is served; without one the handshake fails and is logged', async (ctx) => {
  const produced = await kcat([...kcatMtls(ctx, ctx.certs.clientCert, ctx.certs.clientKey), '-P', '-t', 'mtls-topic'], { input: 'over-mtls\n' });
  assert.is(produced.code, 0, produced.stderr);
  const consumed = await kcat([...kcatMtls(ctx, ctx.certs.clientCert, ctx.certs.clientKey), '-C', '-t', 'mtls-topic', '-o', 'beginning', '-e']);
  assert.equal(consumed.stdout.trim(), 'over-mtls');
  const before = ctx.logs.length;
  const refused = await kcat(['-b', ctx.at('MTLS'), '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${ctx.certs.caPem}`, '-L', '-m', '5']);
  assert.is.not(refused.code, 0);
  await waitFor('a log line for the missing certificate', () => ctx.logs.slice(before).some((l) => l.includes('no certificate') && l.includes('MTLS')));
});

test('the certificate subject is the principal, shaped by ssl.principal.mapping.rules', async (ctx) => {
  const tls = tlsOptions(resolveSslConfigs({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': ctx.certs.caPem, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': ctx.certs.clientPem }));
  const conn = await KafkaConnection.open('localhost', ctx.outpost.ports.MTLS!, { tls: tlsOptionsFor(tls, 'localhost') });
  try {
    // DescribeCluster goes through; who the broker took the client for is in its log of the connection.
    const r = (await conn.request('DescribeCluster', 0, { includeClusterAuthorizedOperations: false })) as { brokers: { host: string; port: number }[] };
    assert.equal(r.brokers.map((b) => `${b.host}:${b.port}`), [ctx.at('MTLS')]);
  } finally {
    conn.close();
  }
  assert.ok(ctx.logs.some((l) => l.includes('"principal":"User:OUTPOST-LINK"')), 'CN=outpost-link mapped by RULE:^CN=([^,]+)$/$1/U');
});

test('kafkajs: SASL PLAIN and SCRAM-SHA-256 over TLS; a wrong PLAIN password is refused with Kafka\'s message', async (ctx) => {
  const ssl = { ca: [readFileSync(ctx.certs.caPem, 'utf8')], servername: 'localhost' };
  const client = (sasl: SASLOptions, retries = 5) => new Kafka({ clientId: 'kafkajs-secure', brokers: [ctx.at('SASL_SSL')], ssl, sasl, logLevel: logLevel.NOTHING, retry: { retries } });
  const plain = client({ mechanism: 'plain', username: 'alice', password: ALICE_PASSWORD });
  const producer = plain.producer();
  await producer.connect();
  await producer.send({ topic: 'kafkajs-secure', messages: [{ value: 'via-plain' }] });
  await producer.disconnect();
  const scram = client({ mechanism: 'scram-sha-256', username: 'bob', password: BOB_PASSWORD });
  const admin = scram.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets('kafkajs-secure');
  assert.equal(offsets.map((o) => o.high), ['1']);
  await admin.disconnect();
  const wrong = client({ mechanism: 'plain', username: 'alice', password: WRONG_PASSWORD }, 0).admin();
  try {
    await wrong.connect();
    assert.unreachable('a wrong password must be refused');
  } catch (e) {
    assert.match(String((e as Error).message), /Invalid username or password|SASL PLAIN authentication failed/);
  } finally {
    await wrong.disconnect();
  }
  for (const l of ctx.logs) assert.not.ok(l.includes(WRONG_PASSWORD) || l.includes(ALICE_PASSWORD), 'no password logged');
});

test('the Java console producer and consumer over SASL_SSL with a client properties file', async (ctx) => {
  const props = join(ctx.certs.dir, 'client.properties');
  writeFileSync(props, [
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-512',
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="${BOB_PASSWORD}";`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${ctx.certs.caPem}`,
  ].join('\n') + '\n');
  const peer = { bootstrap: ctx.at('SASL_SSL') };
  const produced = await consoleProduce(peer, 'java-secure', ['a', 'b', 'c'], ['--command-config', props]);
  assert.is(produced.code, 0, produced.stderr);
  const consumed = await consoleConsume(peer, 'java-secure', { maxMessages: 3, args: ['--command-config', props] });
  assert.is(consumed.code, 0, consumed.stderr);
  assert.equal(consumed.stdout.trim().split('\n'), ['a', 'b', 'c']);
  // kafka-configs over SASL_SSL too: bob adds carol, who can then authenticate.
  const add = await javaTool('org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', ctx.at('SASL_SSL'), '--command-config', props, '--entity-type', 'users', '--entity-name', 'carol', '--alter', '--add-config', 'SCRAM-SHA-512=[password=carol-secret]']);
  assert.is(add.code, 0, add.stderr);
  const carol = await kcat([...kcatScram(ctx, 'carol-secret').map((a) => a.replace('sasl.username=bob', 'sasl.username=carol')), '-L']);
  assert.is(carol.code, 0, carol.stderr);
});

/** A plain connection to the SASL_PLAINTEXT listener, after ApiVersions. */
async function saslPlaintext(ctx: Ctx, opts: { onReauthenticated?: () => void } = {}): Promise<KafkaConnection> {
  const c = await KafkaConnection.open('127.0.0.1', ctx.outpost.ports.SASL_PLAINTEXT!, opts);
  await c.negotiate();
  return c;
}

/** Resolves with how the request ended: its error if the connection was closed on it. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'answered';
  } catch (e) {
    // Closed by the broker: seen as a close, or as a reset when our request was still being sent.
    return e instanceof ConnectionClosed || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? 'closed' : (e as Error).message;
  }
}

test('outpost to outpost: a cluster link over SASL_SSL with SCRAM-SHA-512 mirrors byte for byte', async (ctx) => {
  const edge = await startOutpost();
  try {
    await edge.links.createLink({
      name: 'secured',
      bootstrapServers: ctx.at('SASL_SSL'),
      configs: {
        'security.protocol': 'SASL_SSL',
        'sasl.mechanism': 'SCRAM-SHA-512',
        'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="${BOB_PASSWORD}";`,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': ctx.certs.caPem,
      },
    });
    await edge.links.createMirror('secured', 'scram-topic');
    const source = await connectTo(ctx.outpost.ports.PLAINTEXT!);
    const mirror = await connectTo(edge.port);
    try {
      await waitFor('the mirror caught up', async () => (await highWatermarks(mirror, 'scram-topic'))[0] === 2);
      await sameBatches(source, mirror, 'scram-topic', 1);
    } finally {
      source.close();
      mirror.close();
    }
  } finally {
    await edge.destroy();
  }
});

test('before authentication only ApiVersions and the SASL exchange are served; anything else closes the connection', async (ctx) => {
  const witness = await saslPlaintext(ctx);
  await witness.authenticate(new ScramMechanism(256, 'bob', BOB_PASSWORD));
  const before = ctx.logs.length;

  const early = await saslPlaintext(ctx);
  assert.is(await outcome(early.request('Metadata', 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })), 'closed');
  const noHandshake = await saslPlaintext(ctx);
  assert.is(await outcome(noHandshake.request('SaslAuthenticate', 2, { authBytes: Buffer.from('n,,n=bob,r=abc') })), 'closed');
  const midExchange = await saslPlaintext(ctx);
  await midExchange.request('SaslHandshake', 1, { mechanism: 'SCRAM-SHA-256' });
  assert.is(await outcome(midExchange.request('ApiVersions', 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' })), 'closed');
  await waitFor('three log lines', () => ctx.logs.slice(before).filter((l) => l.includes('failed authentication: unexpected')).length >= 3);
  assert.ok(ctx.logs.slice(before).some((l) => l.includes('unexpected Metadata request during SASL authentication')));

  // The authenticated witness was not disturbed.
  const r = await witness.request('Metadata', 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  assert.equal(r.brokers.map((b) => b.port), [ctx.outpost.ports.SASL_PLAINTEXT]);
  witness.close();
});

test('an unsupported mechanism is answered UNSUPPORTED_SASL_MECHANISM with the enabled ones, then closed', async (ctx) => {
  const c = await saslPlaintext(ctx);
  const hs = await c.request('SaslHandshake', 1, { mechanism: 'PLAIN' });
  assert.is(errorName(hs.errorCode), 'UNSUPPORTED_SASL_MECHANISM');
  assert.equal(hs.mechanisms, ['SCRAM-SHA-256']);
  await waitFor('the connection closed', () => c.closed);
});

test('a SASL token over sasl.server.max.receive.size closes the connection before it is read', async (ctx) => {
  const c = await saslPlaintext(ctx);
  await c.request('SaslHandshake', 1, { mechanism: 'SCRAM-SHA-256' });
  const before = ctx.logs.length;
  assert.is(await outcome(c.request('SaslAuthenticate', 2, { authBytes: Buffer.alloc(600 * 1024, 0x61) })), 'closed');
  assert.ok(ctx.logs.slice(before).some((l) => l.includes('invalid receive size')));
});

test('a plaintext client on a TLS listener and a TLS client on a plaintext one: each logged, each closed', async (ctx) => {
  const before = ctx.logs.length;
  const plain = await KafkaConnection.open('127.0.0.1', ctx.outpost.ports.SASL_SSL!);
  assert.is(await outcome(plain.negotiate()), 'closed');
  await waitFor('the TLS listener logs it', () => ctx.logs.slice(before).some((l) => l.includes('does not speak TLS') && l.includes('SASL_SSL')));
  const tls = tlsOptions(resolveSslConfigs({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': ctx.certs.caPem }));
  const error = await KafkaConnection.open('localhost', ctx.outpost.ports.PLAINTEXT!, { tls: tlsOptionsFor(tls, 'localhost'), connectTimeoutMs: 5000 }).then(() => 'connected', (e: Error) => e.message);
  assert.is.not(error, 'connected');
  await waitFor('the plaintext listener logs it', () => ctx.logs.slice(before).some((l) => l.includes('a TLS client') && l.includes('PLAINTEXT')));
});

test('an expired or untrusted client certificate is refused at the handshake, and logged', async (ctx) => {
  const before = ctx.logs.length;
  const expired = tlsOptions(resolveSslConfigs({
    'ssl.truststore.type': 'PEM', 'ssl.truststore.location': ctx.certs.caPem,
    'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': ctx.certs.expiredBrokerP12, 'ssl.keystore.password': STORE_PASSWORD,
  }));
  const conn = await KafkaConnection.open('localhost', ctx.outpost.ports.MTLS!, { tls: tlsOptionsFor(expired, 'localhost') }).catch((e: Error) => e);
  if (conn instanceof KafkaConnection) assert.is(await outcome(conn.negotiate()), 'closed');
  await waitFor('the expired certificate logged', () => ctx.logs.slice(before).some((l) => l.includes("client's certificate has expired") && l.includes('127.0.0.1')));
  const untrusted = await kcat([...kcatMtls(ctx, join(ctx.certs.dir, 'other-ca.pem'), join(ctx.certs.dir, 'other-ca.key')), '-L', '-m', '5']);
  assert.is.not(untrusted.code, 0);
  await waitFor('the untrusted certificate logged', () => ctx.logs.slice(before).some((l) => l.includes('not signed by a CA the listener trusts')));
});

test('connections.max.reauth.ms: a client re-authenticates in place; one that cannot is closed once its session ends', async (ctx) => {
  let reauths = 0;
  const c = await saslPlaintext(ctx, { onReauthenticated: () => reauths++ });
  await c.authenticate(new ScramMechanism(256, 'bob', BOB_PASSWORD));
  const until = Date.now() + 8000;
  while (Date.now() < until) {
    await c.request('Metadata', 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(reauths >= 2, `re-authenticated ${reauths} times in 8 s with 3 s sessions`);
  assert.not.ok(c.closed);
  c.close();

  // SaslAuthenticate v0 says the client cannot re-authenticate: its session simply ends.
  const v0 = await saslPlaintext(ctx);
  await v0.request('SaslHandshake', 1, { mechanism: 'SCRAM-SHA-256' });
  const exchange = await new ScramMechanism(256, 'bob', BOB_PASSWORD).begin();
  let msg = exchange.respond(null);
  let lifetime = -1;
  while (msg !== null) {
    const r = await v0.request('SaslAuthenticate', 0, { authBytes: msg });
    assert.is(r.errorCode, 0);
    lifetime = Number(r.sessionLifetimeMs ?? 0);
    msg = exchange.respond(r.authBytes);
  }
  assert.is(lifetime, 0, 'v0 carries no lifetime');
  await new Promise((r) => setTimeout(r, 3500));
  const before = ctx.logs.length;
  assert.is(await outcome(v0.request('Metadata', 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })), 'closed');
  assert.ok(ctx.logs.slice(before).some((l) => l.includes('has expired')));
});

test.run();
