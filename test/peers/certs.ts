// Certificates for the TLS tests, made with openssl and keytool in a temporary directory: a CA,
// the broker's key store (for the name localhost), a client certificate signed by the same CA in
// every form a Kafka client takes one (PEM with a plain or an encrypted PKCS#8 key, PKCS12), trust
// stores (PEM, PKCS12, JKS), and for the failure tests a second, unrelated CA and an expired
// broker certificate.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeAtExit, run } from './proc.js';

export interface TestCerts {
  dir: string;
  /** the CA's certificate, PEM */
  caPem: string;
  /** the broker's key store, PKCS12, password STORE_PASSWORD, for the name localhost */
  brokerP12: string;
  /** the same, with a certificate that expired in 2020 */
  expiredBrokerP12: string;
  /** the client's certificate and key: PEM key+chain, the key alone plain and encrypted, PKCS12 */
  clientPem: string;
  clientCert: string;
  clientKey: string;
  clientKeyEncrypted: string;
  clientP12: string;
  /** trust stores holding the CA */
  trustP12: string;
  trustJks: string;
  /** a CA that signed nothing here */
  otherCaPem: string;
}

export const STORE_PASSWORD = 'store-secret';
export const KEY_PASSWORD = 'key-secret';

async function sh(cmd: string, args: string[], cwd: string): Promise<void> {
  const r = await run(cmd, args, { cwd, timeoutMs: 60_000 }, cmd === 'keytool' ? 'install a JDK 17+' : 'install openssl');
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (code ${r.code}):\n${r.stdout}\n${r.stderr}`);
}

const CA_CONFIG = `[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
copy_extensions = copy
[p]
commonName = supplied
`;

export async function makeCerts(): Promise<TestCerts> {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-certs-'));
  removeAtExit(dir);
  const p = (f: string) => join(dir, f);
  writeFileSync(p('ca.cnf'), CA_CONFIG);
  writeFileSync(p('index.txt'), '');
  // Two certificates for localhost (the good one and the expired one) share a subject.
  writeFileSync(p('index.txt.attr'), 'unique_subject = no\n');
  writeFileSync(p('serial'), '01\n');
  const o = (...args: string[]) => sh('openssl', args, dir);
  const newKey = (name: string, cn: string, san?: string) =>
    o('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`, ...(san ? ['-addext', `subjectAltName=${san}`] : []));
  const sign = (name: string, validity: string[]) =>
    o('ca', '-batch', '-notext', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${name}.csr`, '-out', `${name}.pem`, ...validity);

  await o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=outpost-test-ca');
  await o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=another-ca');
  // The broker's certificate names localhost only: reached as 127.0.0.1 its name does not match.
  await newKey('broker', 'localhost', 'DNS:localhost');
  await sign('broker', ['-days', '2']);
  await newKey('expired', 'localhost', 'DNS:localhost');
  await sign('expired', ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
  await newKey('client', 'outpost-link');
  await sign('client', ['-days', '2']);
  for (const name of ['broker', 'expired', 'client']) {
    await o('pkcs12', '-export', '-in', `${name}.pem`, '-inkey', `${name}.key`, '-certfile', 'ca.pem', '-out', `${name}.p12`, '-passout', `pass:${STORE_PASSWORD}`);
  }
  await o('pkcs8', '-topk8', '-in', 'client.key', '-out', 'client-plain.key', '-nocrypt');
  await o('pkcs8', '-topk8', '-in', 'client.key', '-out', 'client-encrypted.key', '-v2', 'aes-256-cbc', '-passout', `pass:${KEY_PASSWORD}`);
  writeFileSync(p('client-bundle.pem'), readFileSync(p('client-plain.key'), 'utf8') + readFileSync(p('client.pem'), 'utf8'));
  for (const type of ['PKCS12', 'JKS']) {
    await sh('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', 'ca.pem', '-keystore', `trust.${type.toLowerCase()}`, '-storetype', type, '-storepass', STORE_PASSWORD], dir);
  }
  return {
    dir,
    caPem: p('ca.pem'),
    brokerP12: p('broker.p12'),
    expiredBrokerP12: p('expired.p12'),
    clientPem: p('client-bundle.pem'),
    clientCert: p('client.pem'),
    clientKey: p('client-plain.key'),
    clientKeyEncrypted: p('client-encrypted.key'),
    clientP12: p('client.p12'),
    trustP12: p('trust.pkcs12'),
    trustJks: p('trust.jks'),
    otherCaPem: p('other-ca.pem'),
  };
}
