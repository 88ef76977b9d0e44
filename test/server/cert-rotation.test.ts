// A listener's certificate rotated without a restart, as on Kafka: kafka-configs --entity-type
// brokers --entity-name <id> --alter --add-config listener.name.<l>.ssl.keystore.location=...
// New connections get the new certificate, open ones go on; a certificate that does not load is
// refused and the old one keeps serving; the change is per broker only, and outlives a restart.
import { join } from 'node:path';
import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { makeCerts, STORE_PASSWORD, type TestCerts } from '../peers/certs.js';
import { javaTool } from '../peers/kafka.js';
import { run } from '../peers/proc.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { tlsOptions, tlsOptionsFor } from '../../src/client/tls-material.js';
import { resolveSslConfigs } from '../../src/config/link-configs.js';

interface Ctx {
  certs: TestCerts;
  outpost: TestBroker;
  /** the second broker certificate, PKCS12 */
  renewed: string;
}

const test = suite<Ctx>('listener certificate rotation');

/** A second certificate for localhost, from the same CA. */
async function renewedCertificate(certs: TestCerts): Promise<string> {
  const o = async (...args: string[]) => {
    const r = await run('openssl', args, { cwd: certs.dir, timeoutMs: 60_000 }, 'install openssl');
    if (r.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  await o('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'renewed.key', '-out', 'renewed.csr', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost');
  await o('ca', '-batch', '-notext', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'renewed.csr', '-out', 'renewed.pem', '-days', '2');
  await o('pkcs12', '-export', '-in', 'renewed.pem', '-inkey', 'renewed.key', '-certfile', 'ca.pem', '-out', 'renewed.p12', '-passout', `pass:${STORE_PASSWORD}`);
  return join(certs.dir, 'renewed.p12');
}

test.before(async (ctx) => {
  ctx.certs = await makeCerts();
  ctx.renewed = await renewedCertificate(ctx.certs);
  ctx.outpost = await startOutpost({
    configs: {
      listeners: 'PLAINTEXT://127.0.0.1:0,TLS://127.0.0.1:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,TLS:SSL',
      'listener.name.tls.ssl.keystore.type': 'PKCS12',
      'listener.name.tls.ssl.keystore.location': ctx.certs.brokerP12,
      'listener.name.tls.ssl.keystore.password': STORE_PASSWORD,
    },
  });
});

test.after(async (ctx) => {
  await ctx.outpost?.destroy();
});

/** The serial number of the certificate the TLS listener presents now. */
function servedSerial(ctx: Ctx): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: ctx.outpost.ports.TLS!, servername: 'localhost', ca: readFileSync(ctx.certs.caPem) }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.destroy();
      resolve(serial);
    });
    s.on('error', reject);
  });
}

function alterBroker(ctx: Ctx, entity: string[], config: string) {
  return javaTool('org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', ctx.outpost.bootstrap, '--entity-type', 'brokers', ...entity, '--alter', '--add-config', config]);
}

test('kafka-configs rotates the certificate for new connections; open ones go on', async (ctx) => {
  const before = await servedSerial(ctx);
  const tls = tlsOptions(resolveSslConfigs({ 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': ctx.certs.caPem }));
  const open = await KafkaConnection.open('localhost', ctx.outpost.ports.TLS!, { tls: tlsOptionsFor(tls, 'localhost') });
  await open.negotiate();
  const r = await alterBroker(ctx, ['--entity-name', '1'], `listener.name.tls.ssl.keystore.location=${ctx.renewed}`);
  assert.is(r.code, 0, r.stderr);
  const after = await servedSerial(ctx);
  assert.is.not(after, before);
  await open.negotiate();
  open.close();
});

test('a certificate that does not load is refused, and the one in place keeps serving', async (ctx) => {
  const serving = await servedSerial(ctx);
  const r = await alterBroker(ctx, ['--entity-name', '1'], `listener.name.tls.ssl.keystore.location=${join(ctx.certs.dir, 'missing.p12')}`);
  assert.is.not(r.code, 0);
  assert.match(r.stderr + r.stdout, /Validation of dynamic config update of SSLFactory failed: .*cannot be read: no such file/);
  assert.is(await servedSerial(ctx), serving);
});

test('certificate settings are per broker: the cluster default is refused', async (ctx) => {
  const r = await alterBroker(ctx, ['--entity-default'], `listener.name.tls.ssl.keystore.location=${ctx.renewed}`);
  assert.is.not(r.code, 0);
  assert.match(r.stderr + r.stdout, /Cannot update these configs at default cluster level, broker id must be specified/);
});

test('the rotated certificate outlives a restart', async (ctx) => {
  const serving = await servedSerial(ctx);
  ctx.outpost = await ctx.outpost.restart();
  assert.is(await servedSerial(ctx), serving);
});

test.run();
