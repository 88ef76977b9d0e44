// Cluster links to a real Apache Kafka 4.4.0 over each kind of secured listener a managed Kafka
// offers: SASL_SSL with PLAIN (an API key and secret, given to `outpost link create` as Confluent's
// CLI takes them), SASL_SSL with SCRAM-SHA-512 (re-authenticating every few seconds, and a password
// rotated at the source and then on the link), SSL with client certificates required (PKCS12, PEM
// with an encrypted key, inline PEM), and SASL_PLAINTEXT with OAUTHBEARER (unsecured tokens, and
// the client-credentials flow against a token endpoint). Over each, the mirror holds the source's
// batches byte for byte. Each failure says what went wrong, and no secret is shown or logged or
// written in clear once password.encoder.secret is set.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { LinkError } from '../../src/link/types.js';
import { KEY_PASSWORD, makeCerts, STORE_PASSWORD, type TestCerts } from '../peers/certs.js';
import { createTopic, startupTimes } from '../peers/kafka.js';
import { kcat } from '../peers/kcat.js';
import { API_KEY, API_SECRET, SCRAM_PASSWORD, SCRAM_USER, setScramPassword, startSecureKafka, type SecureKafka } from '../peers/secure-kafka.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { connectTo, highWatermarks, mirrored, sameBatches, waitFor } from './support.js';

const bin = fileURLToPath(new URL('../../../bin/outpost.js', import.meta.url));
const ENCODER_SECRET = 'encoder-secret-5b0e';
const NEW_SCRAM_PASSWORD = 'scram-secret-2';
const OAUTH_CLIENT_SECRET = 'oauth-client-secret-91d2';
/** connections.max.reauth.ms at the source: every SASL session lasts this long at most */
const REAUTH_MS = 2000;

interface Ctx {
  certs: TestCerts;
  source: SecureKafka;
  outpost: TestBroker;
  logs: string[];
  plainSource: KafkaConnection;
  mirror: KafkaConnection;
  adminUrl: string;
  /** every secret the tests hand to outpost: none may be seen again */
  secrets: string[];
}

const test = suite<Ctx>('cluster links to secured Apache Kafka listeners');

const scramJaas = (password: string) => `org.apache.kafka.common.security.scram.ScramLoginModule required username="${SCRAM_USER}" password="${password}";`;
const plainJaas = (key: string, secret: string) => `org.apache.kafka.common.security.plain.PlainLoginModule required username="${key}" password="${secret}";`;
const pemTrust = (ctx: Ctx) => ({ 'ssl.truststore.location': ctx.certs.caPem, 'ssl.truststore.type': 'PEM' });

test.before(async (ctx) => {
  ctx.certs = await makeCerts();
  ctx.logs = [];
  [ctx.source, ctx.outpost] = await Promise.all([
    startSecureKafka(ctx.certs, { reauthMs: REAUTH_MS }),
    startOutpost({ configs: { 'password.encoder.secret': ENCODER_SECRET }, logLines: ctx.logs }),
  ]);
  console.log(`  kafka with secured listeners up in ${startupTimes.at(-1)} ms`);
  ctx.plainSource = await connectTo(ctx.source.kafka.port);
  ctx.mirror = await connectTo(ctx.outpost.port);
  ctx.adminUrl = `http://127.0.0.1:${ctx.outpost.adminPort}`;
  const clientKey = readFileSync(ctx.certs.clientKey, 'utf8');
  ctx.secrets = [API_SECRET, SCRAM_PASSWORD, NEW_SCRAM_PASSWORD, STORE_PASSWORD, KEY_PASSWORD, OAUTH_CLIENT_SECRET, ENCODER_SECRET, pemBody(clientKey)];
});

test.after(async (ctx) => {
  ctx.plainSource?.close();
  ctx.mirror?.close();
  await ctx.outpost?.destroy();
  await ctx.source?.kafka.stop();
});

/** The base64 body of a PEM block: what would give a key away, however it is quoted. */
function pemBody(pem: string): string {
  return pem.split('\n').filter((l) => l && !l.startsWith('-----')).slice(1, 3).join('');
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function outpost(ctx: Ctx, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args, '--admin-url', ctx.adminUrl], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** Records with every codec (kcat), through the PLAINTEXT listener. */
async function produce(ctx: Ctx, topic: string, tag: string, rounds = 1): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const lines = [0, 1, 2].map((i) => `${tag}-${r}-${i}:${tag} ${codec} record ${r}/${i} ${'y'.repeat(200)}`);
      const res = await kcat(['-P', '-b', ctx.source.kafka.bootstrap, '-t', topic, '-K', ':', '-z', codec], { input: lines.join('\n') + '\n' });
      assert.is(res.code, 0, res.stderr);
    }
  }
}

/** The mirror has caught up with the source's high watermarks and holds its batches byte for byte. */
async function sameAsSource(ctx: Ctx, link: string, topic: string): Promise<void> {
  const ends = await highWatermarks(ctx.plainSource, topic);
  await mirrored(ctx.outpost.links, link, topic, ends);
  await sameBatches(ctx.plainSource, ctx.mirror, topic, ends.length);
}

async function refusedLink(ctx: Ctx, name: string, bootstrapServers: string, configs: Record<string, string>): Promise<string> {
  const d = await ctx.outpost.links.createLink({ name, bootstrapServers, configs }, { validateOnly: true });
  assert.is(d.state, 'SOURCE_UNAVAILABLE', `${name} should not connect`);
  return d.lastError!;
}

test('`outpost link create --source-api-key --source-api-secret` mirrors from a SASL_SSL listener that takes PLAIN only', async (ctx) => {
  await createTopic(ctx.source.kafka, 'orders', 2);
  await produce(ctx, 'orders', 'apikey');
  const create = await outpost(ctx, [
    'link', 'create', 'cloud', '--source-bootstrap-server', ctx.source.plain, '--source-api-key', API_KEY, '--source-api-secret', API_SECRET,
    '--config', `ssl.truststore.location=${ctx.certs.caPem},ssl.truststore.type=PEM`,
  ]);
  assert.is(create.status, 0, create.stderr);
  const mirror = await outpost(ctx, ['mirror', 'create', 'orders', '--link', 'cloud', '--sync']);
  assert.is(mirror.status, 0, mirror.stderr);
  await sameAsSource(ctx, 'cloud', 'orders');
  const d = ctx.outpost.links.describeLink('cloud');
  assert.is(d.configs['security.protocol'], 'SASL_SSL');
  assert.is(d.configs['sasl.mechanism'], 'PLAIN');
  assert.ok(d.connections.authenticated >= 1, 'authenticated with SASL/PLAIN');

  // A wrong secret: `link create` refuses with SASL's reason; the mechanism is named.
  const wrong = await outpost(ctx, ['link', 'create', 'wrong-key', '--source-bootstrap-server', ctx.source.plain, '--source-api-key', API_KEY, '--source-api-secret', 'not-the-secret',
    '--config', `ssl.truststore.location=${ctx.certs.caPem},ssl.truststore.type=PEM`]);
  assert.is(wrong.status, 2, wrong.stdout);
  assert.match(wrong.stderr, /SASL authentication with PLAIN to localhost:\d+ failed: Authentication failed: Invalid username or password/);
  assert.not.match(wrong.stderr, /not-the-secret/);
});

test('SASL_SSL with SCRAM-SHA-512: 25 s of mirroring through re-authentication every 2 s, with no reconnect, gap or stall', async (ctx) => {
  await createTopic(ctx.source.kafka, 'payments', 3);
  const links = ctx.outpost.links;
  await links.createLink({
    name: 'scram',
    bootstrapServers: ctx.source.scram,
    configs: {
      'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'SCRAM-SHA-512', 'sasl.jaas.config': scramJaas(SCRAM_PASSWORD),
      'ssl.truststore.location': ctx.certs.trustP12, 'ssl.truststore.type': 'PKCS12', 'ssl.truststore.password': STORE_PASSWORD,
      'replica.fetch.wait.max.ms': '200',
    },
  });
  await links.createMirror('scram', 'payments');
  await produce(ctx, 'payments', 'warmup');
  await sameAsSource(ctx, 'scram', 'payments');
  const before = links.describeLink('scram').connections;

  // Produce steadily for 25 s; every half second, note how far the source and the mirror are.
  const samples: { at: number; source: number; mirror: number }[] = [];
  const total = (ends: number[]) => ends.reduce((a, b) => a + b, 0);
  const started = Date.now();
  let producing = true;
  const producer = (async () => {
    for (let r = 0; producing; r++) await produce(ctx, 'payments', `steady${r}`);
  })();
  while (Date.now() - started < 25_000) {
    await new Promise((r) => setTimeout(r, 500));
    const source = total(await highWatermarks(ctx.plainSource, 'payments'));
    const mirror = total(links.describeMirror('scram', 'payments').partitions.map((p) => p.localLogEndOffset));
    samples.push({ at: Date.now(), source, mirror });
  }
  producing = false;
  await producer;
  await sameAsSource(ctx, 'scram', 'payments');

  const after = links.describeLink('scram').connections;
  assert.is(after.opened, before.opened, 'no connection was opened again: the sessions were renewed in place');
  assert.ok(after.reauthenticated - before.reauthenticated >= 10, `re-authenticated ${after.reauthenticated - before.reauthenticated} times in 25 s of ${REAUTH_MS} ms sessions`);
  // No stall: whatever the source held at a sample, the mirror held within two sessions' length
  // (checked for the samples that have that much of samples after them).
  const lastAt = samples.at(-1)!.at;
  for (const s of samples.filter((x) => x.at <= lastAt - 2 * REAUTH_MS)) {
    const caughtUp = samples.find((m) => m.at >= s.at && m.mirror >= s.source);
    const waited = (caughtUp?.at ?? Infinity) - s.at;
    assert.ok(waited <= 2 * REAUTH_MS, `the mirror took ${waited} ms to reach ${s.source} records: a stall`);
  }
  assert.ok(samples.at(-1)!.source > samples[0]!.source + 500, 'the source grew all along');
});

test('a SCRAM password rotated at the source: the link says SASL failed and why; the new one on the link resumes the mirror where it was', async (ctx) => {
  const links = ctx.outpost.links;
  await setScramPassword(ctx.source.kafka, SCRAM_USER, NEW_SCRAM_PASSWORD);
  // The sessions in hand last until their next re-authentication, which the old password fails.
  const reason = await waitFor('the link to notice the rotated password', () => {
    const d = links.describeLink('scram');
    return d.state === 'SOURCE_UNAVAILABLE' ? (d.lastError ?? undefined) : undefined;
  }, 30_000);
  assert.match(reason, /SASL authentication with SCRAM-SHA-512 to localhost:\d+ failed: Authentication failed during (re-)?authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/, reason);
  assert.match(reason, /^cannot authenticate to the source cluster at localhost:\d+: /);
  const m = links.describeMirror('scram', 'payments');
  assert.is(m.state, 'SOURCE_UNAVAILABLE');
  assert.match(m.reason ?? '', /SASL authentication with SCRAM-SHA-512/);
  const held = m.partitions.map((p) => p.localLogEndOffset);

  await produce(ctx, 'payments', 'rotated');
  const update = await outpost(ctx, ['link', 'configuration', 'update', 'scram', '--config', `sasl.jaas.config=${scramJaas(NEW_SCRAM_PASSWORD)}`]);
  assert.is(update.status, 0, update.stderr);
  await waitFor('the link to connect with the new password', () => links.describeLink('scram').state === 'ACTIVE', 30_000);
  await sameAsSource(ctx, 'scram', 'payments');
  const now = links.describeMirror('scram', 'payments').partitions.map((p) => p.localLogEndOffset);
  now.forEach((end, p) => assert.ok(end >= held[p]!, `partition ${p} kept what it had`));
});

test('SSL with client certificates required: PKCS12 key store, PEM key store with an encrypted key, inline PEM', async (ctx) => {
  const links = ctx.outpost.links;
  const encryptedPem = join(ctx.certs.dir, 'client-encrypted-bundle.pem');
  writeFileSync(encryptedPem, readFileSync(ctx.certs.clientKeyEncrypted, 'utf8') + readFileSync(ctx.certs.clientCert, 'utf8'));
  const ways: Record<string, Record<string, string>> = {
    'mtls-p12': {
      'ssl.keystore.location': ctx.certs.clientP12, 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.password': STORE_PASSWORD,
      'ssl.truststore.location': ctx.certs.trustP12, 'ssl.truststore.type': 'PKCS12', 'ssl.truststore.password': STORE_PASSWORD,
    },
    'mtls-pem': { 'ssl.keystore.location': encryptedPem, 'ssl.keystore.type': 'PEM', 'ssl.key.password': KEY_PASSWORD, ...pemTrust(ctx) },
    'mtls-inline': {
      'ssl.keystore.key': readFileSync(ctx.certs.clientKey, 'utf8'),
      'ssl.keystore.certificate.chain': readFileSync(ctx.certs.clientCert, 'utf8'),
      'ssl.truststore.certificates': readFileSync(ctx.certs.caPem, 'utf8'),
    },
  };
  for (const [name, configs] of Object.entries(ways)) {
    const topic = `${name}-topic`;
    await createTopic(ctx.source.kafka, topic, 1);
    await produce(ctx, topic, name);
    await links.createLink({ name, bootstrapServers: ctx.source.mtls, configs: { 'security.protocol': 'SSL', ...configs } });
    await links.createMirror(name, topic);
    await sameAsSource(ctx, name, topic);
  }
  // Without a certificate the listener refuses, and the reason says what is missing.
  const none = await refusedLink(ctx, 'no-cert', ctx.source.mtls, { 'security.protocol': 'SSL', ...pemTrust(ctx) });
  assert.match(none, /TLS to localhost:\d+ failed: the server requires a client certificate \(ssl\.client\.auth\): set ssl\.keystore\.location/);
});

test('SASL_PLAINTEXT with OAUTHBEARER: unsecured tokens, and tokens from a token endpoint (client credentials), refreshed before they expire', async (ctx) => {
  const links = ctx.outpost.links;
  await createTopic(ctx.source.kafka, 'events', 2);
  await produce(ctx, 'events', 'oauth');
  await links.createLink({
    name: 'oauth-unsecured',
    bootstrapServers: ctx.source.oauth,
    configs: {
      'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'OAUTHBEARER',
      'sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="outpost-link";',
    },
  });
  await links.createMirror('oauth-unsecured', 'events');
  await sameAsSource(ctx, 'oauth-unsecured', 'events');

  // The token endpoint: client credentials in HTTP Basic, an unsigned JWT of 4 seconds back (the
  // source's listener takes unsecured tokens).
  const issued: { at: number; basic: string; grant: string | null; scope: string | null }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      issued.push({ at: Date.now(), basic: req.headers.authorization ?? '', grant: form.get('grant_type'), scope: form.get('scope') });
      const now = Math.floor(Date.now() / 1000);
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const token = `${b64({ alg: 'none' })}.${b64({ sub: 'outpost-client', iat: now, exp: now + 4 })}.`;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: 4 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/oauth2/token`;
    await createTopic(ctx.source.kafka, 'events-cc', 1);
    await links.createLink({
      name: 'oauth-cc',
      bootstrapServers: ctx.source.oauth,
      configs: {
        'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'OAUTHBEARER',
        'sasl.login.callback.handler.class': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler',
        'sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
        'sasl.oauthbearer.token.endpoint.url': url,
        'sasl.oauthbearer.client.credentials.client.id': 'outpost-client',
        'sasl.oauthbearer.client.credentials.client.secret': OAUTH_CLIENT_SECRET,
        'sasl.oauthbearer.scope': 'kafka.read',
      },
    });
    await links.createMirror('oauth-cc', 'events-cc');
    const started = Date.now();
    for (let r = 0; Date.now() - started < 10_000; r++) {
      await produce(ctx, 'events-cc', `cc${r}`);
      await new Promise((res) => setTimeout(res, 500));
    }
    await sameAsSource(ctx, 'oauth-cc', 'events-cc');
    assert.ok(issued.length >= 3, `a token lives 4 s: ${issued.length} were fetched in 10 s of mirroring`);
    assert.is(issued[0]!.basic, `Basic ${Buffer.from(`outpost-client:${OAUTH_CLIENT_SECRET}`).toString('base64')}`);
    assert.is(issued[0]!.grant, 'client_credentials');
    assert.is(issued[0]!.scope, 'kafka.read');
    const d = links.describeLink('oauth-cc');
    assert.is(d.state, 'ACTIVE');
    assert.ok(d.connections.reauthenticated >= 2, 'sessions renewed in place with fresh tokens');
  } finally {
    server.close();
  }
});

test('each failure says what went wrong, promptly: certificates, host names, protocols, passwords, JKS', async (ctx) => {
  const quick = { 'socket.connection.setup.timeout.ms': '5000', 'request.timeout.ms': '5000' };
  const mtlsP12 = { 'ssl.keystore.location': ctx.certs.clientP12, 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.password': STORE_PASSWORD };
  const cases: [string, string, Record<string, string>, RegExp][] = [
    ['unknown-ca', ctx.source.mtls, { 'security.protocol': 'SSL', 'ssl.truststore.location': ctx.certs.otherCaPem, 'ssl.truststore.type': 'PEM' },
      /TLS to localhost:\d+ failed: the server's certificate is signed by an unknown CA .*: trust its CA with ssl\.truststore\.location or ssl\.truststore\.certificates/],
    ['host-mismatch', ctx.source.mtls.replace('localhost', '127.0.0.1'), { 'security.protocol': 'SSL', ...pemTrust(ctx), ...mtlsP12 },
      /TLS to 127\.0\.0\.1:\d+ failed: host name mismatch: .*127\.0\.0\.1.* \(ssl\.endpoint\.identification\.algorithm= turns this check off\)/],
    ['expired', ctx.source.expired, { 'security.protocol': 'SSL', ...pemTrust(ctx) }, /TLS to localhost:\d+ failed: the server's certificate has expired/],
    ['tls-to-plaintext', ctx.source.kafka.bootstrap, { 'security.protocol': 'SSL', ...pemTrust(ctx), ...quick },
      /TLS to 127\.0\.0\.1:\d+ failed: the server closed the connection during the TLS handshake \(is it a PLAINTEXT or SASL_PLAINTEXT listener/],
    ['plaintext-to-tls', ctx.source.mtls, { ...quick }, /localhost:\d+ answered with TLS: its listener expects security\.protocol SSL or SASL_SSL/],
    ['plaintext-to-sasl', ctx.source.oauth, { ...quick }, /at its first request: if the source's listener requires SASL, set security\.protocol to SASL_PLAINTEXT or SASL_SSL/],
    ['wrong-mechanism', ctx.source.scram, { 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': plainJaas(SCRAM_USER, SCRAM_PASSWORD), ...pemTrust(ctx) },
      /SASL authentication with PLAIN to localhost:\d+ failed: the listener does not enable PLAIN; it enables SCRAM-SHA-512/],
    ['wrong-store-password', ctx.source.mtls, { 'security.protocol': 'SSL', ...pemTrust(ctx), ...mtlsP12, 'ssl.keystore.password': 'not-it' },
      /ssl\.keystore\.location .*client\.p12: cannot be opened: wrong ssl\.keystore\.password\?/],
    ['wrong-key-password', ctx.source.mtls, {
      'security.protocol': 'SSL', ...pemTrust(ctx), 'ssl.key.password': 'not-it',
      'ssl.keystore.key': readFileSync(ctx.certs.clientKeyEncrypted, 'utf8'), 'ssl.keystore.certificate.chain': readFileSync(ctx.certs.clientCert, 'utf8'),
    }, /the private key cannot be decrypted: wrong ssl\.key\.password\?/],
    ['jks', ctx.source.mtls, { 'security.protocol': 'SSL', 'ssl.truststore.location': ctx.certs.trustJks, 'ssl.truststore.password': STORE_PASSWORD },
      /is a JKS keystore, which outpost does not read: convert it to PKCS12 with keytool -importkeystore -srckeystore .*trust\.jks -srcstoretype JKS/],
  ];
  for (const [name, bootstrap, configs, reason] of cases) {
    const error = await refusedLink(ctx, name, bootstrap, configs);
    assert.match(error, reason, `${name}: ${error}`);
    assert.not.match(error, /timed out/, `${name} must fail on its own, not by a timeout`);
  }
  // Turning the host-name check off lets the same link through.
  const checkOff = await ctx.outpost.links.createLink(
    { name: 'check-off', bootstrapServers: ctx.source.mtls.replace('localhost', '127.0.0.1'), configs: { 'security.protocol': 'SSL', ...pemTrust(ctx), ...mtlsP12, 'ssl.endpoint.identification.algorithm': '' } },
    { validateOnly: true },
  );
  assert.is(checkOff.lastError, null);

  // A link made without validation keeps trying, with the reason in its state.
  await ctx.outpost.links.createLink({ name: 'expired-link', bootstrapServers: ctx.source.expired, configs: { 'security.protocol': 'SSL', ...pemTrust(ctx) } }, { probe: false });
  await waitFor('the link to say why', () => /certificate has expired/.test(ctx.outpost.links.describeLink('expired-link').lastError ?? ''));
  await ctx.outpost.links.deleteLink('expired-link');
  const bad = await ctx.outpost.links.createLink({ name: 'x', bootstrapServers: ctx.source.mtls, configs: { 'ssl.keystore.passwrd': 'p' } }).catch((e: LinkError) => e);
  assert.match((bad as Error).message, /Unknown link config ssl\.keystore\.passwrd \(did you mean ssl\.keystore\.password\?\)/);
});

test('no secret is shown by REST or the CLI, logged, or written in clear to the data directory; a restart opens them again', async (ctx) => {
  const res = await fetch(`${ctx.adminUrl}/kafka/v3/clusters/${ctx.outpost.clusterId}/links/mtls-inline/configs`);
  const listed = (await res.json()) as { data: { name: string; value: string | null; is_sensitive: boolean }[] };
  for (const name of ['ssl.keystore.key', 'ssl.keystore.certificate.chain', 'ssl.truststore.certificates']) {
    const c = listed.data.find((e) => e.name === name)!;
    assert.is(c.value, null, name);
    assert.is(c.is_sensitive, true, name);
  }
  const shown: string[] = [JSON.stringify(listed)];
  for (const link of ['cloud', 'scram', 'mtls-p12', 'mtls-pem', 'mtls-inline', 'oauth-cc']) {
    for (const args of [['link', 'describe', link, '-o', 'json'], ['link', 'configuration', 'list', link], ['link', 'configuration', 'list', link, '-o', 'json']]) {
      const r = await outpost(ctx, args);
      assert.is(r.status, 0, r.stderr);
      shown.push(r.stdout, r.stderr);
    }
    shown.push(JSON.stringify(ctx.outpost.links.describeLink(link)), JSON.stringify(ctx.outpost.links.linkConfigs(link)));
  }
  const metrics = await (await fetch(`${ctx.adminUrl}/metrics`)).text();
  assert.match(metrics, /outpost_cluster_link_source_connections_reauthenticated\{link="scram"\} [1-9]/);
  shown.push(metrics);

  const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
  const stored = files(ctx.outpost.dataDir).map((f) => readFileSync(f).toString('latin1'));
  const places: [string, string[]][] = [['REST and CLI output', shown], ['the log', ctx.logs], ['the data directory', stored]];
  for (const [where, texts] of places) {
    for (const secret of ctx.secrets) assert.not.ok(texts.some((t) => t.includes(secret)), `a secret appears in ${where}`);
  }
  const linksFile = join(ctx.outpost.dataDir, '__outpost_links.json');
  assert.is(statSync(linksFile).mode & 0o777, 0o600);
  assert.match(readFileSync(linksFile, 'utf8'), /"encryptedConfigs"/);

  // Another secret does not open them, and says so; the same one does, and the links go on.
  ctx.mirror.close();
  await ctx.outpost.close();
  const dataDir = ctx.outpost.dataDir;
  const refused = await startOutpost({ dataDir, configs: { 'password.encoder.secret': 'another-secret' } }).then(() => null, (e: Error) => e);
  assert.match(refused?.message ?? '', /__outpost_links\.json: cluster link \S+'s \S+ cannot be decrypted: it does not open with password\.encoder\.secret/);
  ctx.outpost = await startOutpost({ dataDir, configs: { 'password.encoder.secret': ENCODER_SECRET }, logLines: ctx.logs });
  ctx.mirror = await connectTo(ctx.outpost.port);
  await produce(ctx, 'orders', 'after-restart');
  await sameAsSource(ctx, 'cloud', 'orders');
  await sameAsSource(ctx, 'mtls-inline', 'mtls-inline-topic');
});

test.run();
