// The admin listener secured: HTTPS with the same keystore settings as the Kafka listeners (under
// admin.), HTTP Basic against the broker's users (PLAIN users of a listener, SCRAM credentials),
// /health left open; and the CLI passing a CA, a user and a password (from the environment).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:https';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { saltedPassword } from '../../src/client/sasl/scram-formulas.js';
import { loadSettings, SettingsError } from '../../src/config/settings.js';
import { makeCerts, STORE_PASSWORD, type TestCerts } from '../peers/certs.js';
import { connectTo } from '../link/support.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

const bin = fileURLToPath(new URL('../../../bin/outpost.js', import.meta.url));
const OPS_PASSWORD = 'ops-plain-secret';
const CAROL_PASSWORD = 'carol-scram-secret';

interface Ctx {
  certs: TestCerts;
  outpost: TestBroker;
  url: string;
}

const test = suite<Ctx>('admin listener security');

test.before(async (ctx) => {
  ctx.certs = await makeCerts();
  ctx.outpost = await startOutpost({
    configs: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_ops="${OPS_PASSWORD}";`,
      'admin.ssl.keystore.type': 'PKCS12',
      'admin.ssl.keystore.location': ctx.certs.brokerP12,
      'admin.ssl.keystore.password': STORE_PASSWORD,
      'admin.authentication.method': 'BASIC',
    },
  });
  ctx.url = `https://localhost:${ctx.outpost.adminPort}`;
  // A SCRAM user, added as kafka-configs adds one: the client salts the password.
  const conn = await connectTo(ctx.outpost.ports.PLAINTEXT!);
  const salt = Buffer.from('a-salt-of-sixteen');
  const r = await conn.request('AlterUserScramCredentials', 0, { deletions: [], upsertions: [{ name: 'carol', mechanism: 2, iterations: 4096, salt, saltedPassword: saltedPassword('sha512', CAROL_PASSWORD, salt, 4096) }] });
  assert.equal(r.results.map((x) => x.errorCode), [0]);
  conn.close();
});

test.after(async (ctx) => {
  await ctx.outpost?.destroy();
});

function get(ctx: Ctx, path: string, auth?: string): Promise<{ status: number; body: string; challenge: string | undefined }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {};
    const req = request(`${ctx.url}${path}`, { ca: readFileSync(ctx.certs.caPem), headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, challenge: res.headers['www-authenticate'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('HTTPS with Basic: no credentials or wrong ones get 401; PLAIN and SCRAM users get in; /health stays open', async (ctx) => {
  const links = `/kafka/v3/clusters/${ctx.outpost.clusterId}/links`;
  const none = await get(ctx, links);
  assert.is(none.status, 401);
  assert.match(none.challenge!, /^Basic realm="outpost"/);
  assert.is((await get(ctx, links, `ops:${CAROL_PASSWORD}`)).status, 401);
  assert.is((await get(ctx, links, 'nobody:x')).status, 401);
  assert.is((await get(ctx, links, `ops:${OPS_PASSWORD}`)).status, 200);
  assert.is((await get(ctx, links, `carol:${CAROL_PASSWORD}`)).status, 200);
  assert.is((await get(ctx, '/health')).status, 200);
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function outpost(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OUTPOST_ADMIN_')));
    execFile(process.execPath, [bin, ...args], { env: { ...clean, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('the CLI: --admin-url https, --admin-ca-file, and the user and password from the environment', async (ctx) => {
  const ok = await outpost(['link', 'list', '--admin-url', ctx.url, '--admin-ca-file', ctx.certs.caPem], { OUTPOST_ADMIN_USER: 'carol', OUTPOST_ADMIN_PASSWORD: CAROL_PASSWORD });
  assert.is(ok.code, 0, ok.stderr);
  const noCa = await outpost(['link', 'list', '--admin-url', ctx.url], { OUTPOST_ADMIN_USER: 'carol', OUTPOST_ADMIN_PASSWORD: CAROL_PASSWORD });
  assert.is.not(noCa.code, 0);
  assert.match(noCa.stderr, /--admin-ca-file/);
  const noUser = await outpost(['link', 'list', '--admin-url', ctx.url, '--admin-ca-file', ctx.certs.caPem], {});
  assert.is.not(noUser.code, 0);
  assert.match(noUser.stderr, /asks for a user and password/);
  const wrong = await outpost(['link', 'list', '--admin-url', ctx.url, '--admin-ca-file', ctx.certs.caPem, '--admin-user', 'carol', '--admin-password', 'nope'], {});
  assert.match(wrong.stderr, /refused the ones given/);
  assert.not.match(wrong.stderr + wrong.stdout, /nope/);
});

test('with an authorizer, the REST API needs DESCRIBE on the cluster to read and ALTER to change', async () => {
  const broker = await startOutpost({
    configs: {
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:ANONYMOUS',
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_ops="${OPS_PASSWORD}";`,
      'admin.authentication.method': 'BASIC',
    },
  });
  try {
    const base = `http://127.0.0.1:${broker.adminPort}/kafka/v3/clusters/${broker.clusterId}/links`;
    const auth = { authorization: `Basic ${Buffer.from(`ops:${OPS_PASSWORD}`).toString('base64')}` };
    const list = () => fetch(base, { headers: auth }).then((r) => r.status);
    const create = () => fetch(`${base}?link_name=l&validate_link=false`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ configs: [{ name: 'bootstrap.servers', value: '127.0.0.1:1' }] }) }).then((r) => r.status);
    assert.is(await list(), 403);
    const grant = async (operation: number) => {
      const c = await connectTo(broker.port);
      const r = await c.request('CreateAcls', 3, { creations: [{ resourceType: 4, resourceName: 'kafka-cluster', resourcePatternType: 3, principal: 'User:ops', host: '*', operation, permissionType: 3 }] });
      c.close();
      assert.equal(r.results.map((x) => x.errorCode), [0]);
    };
    await grant(8); // DESCRIBE
    assert.is(await list(), 200);
    assert.is(await create(), 403);
    await grant(7); // ALTER
    assert.is.not(await create(), 403);
  } finally {
    await broker.destroy();
  }
});

test('an admin listener beyond loopback without authentication is refused unless the config says so', async (ctx) => {
  try {
    await loadSettings({ admin: '0.0.0.0:8090' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, SettingsError);
    assert.match((e as Error).message, /reachable beyond this machine without authentication: set admin.authentication.method=BASIC/);
  }
  const file = join(ctx.certs.dir, 'open-admin.yaml');
  writeFileSync(file, 'admin: 0.0.0.0:8090\nconfigs:\n  admin.authentication.method: NONE\n');
  assert.equal((await loadSettings({ config: file })).admin, { host: '0.0.0.0', port: 8090 });
});

test.run();
