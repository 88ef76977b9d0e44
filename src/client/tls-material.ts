// TLS for outpost's client: node:tls options from Kafka's ssl.* settings (trust and key stores in
// PEM or PKCS12, inline PEM, protocols, cipher suites, host-name checking), and TLS failures told
// as what went wrong with which certificate. Store files are read each time a client starts, so a
// renewed certificate is picked up by the next reconnect after a link restart.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createSecureContext, type ConnectionOptions, type SecureContext, type SecureContextOptions } from 'node:tls';
import forge from 'node-forge';
import type { SslSettings, StoreFile } from '../common/client-security.js';

const JKS_MAGIC = 0xfeedfeed;
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;
const KEY_BLOCKS = new Set(['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);

/**
 * The TLS options for connections made with these settings: one secure context, so that the
 * stores are read and their passwords checked once (SNI is set per host by tlsOptionsFor).
 */
export function tlsOptions(ssl: SslSettings): ClientTls {
  const material = tlsMaterial(ssl);
  let secureContext: SecureContext;
  try {
    secureContext = createSecureContext(material);
  } catch (e) {
    throw new Error(keyMaterialProblem(e as NodeJS.ErrnoException, ssl));
  }
  const options: ConnectionOptions = { secureContext };
  if (!ssl.verifyHostName) options.checkServerIdentity = () => undefined;
  return { options, hasClientCertificate: material.pfx !== undefined || material.key !== undefined };
}

/** Why OpenSSL would not take the key material, in the settings' terms. */
export function keyMaterialProblem(err: NodeJS.ErrnoException, ssl: SslSettings): string {
  const m = err.message;
  if (/mac verify failure|pkcs12/i.test(m)) return `ssl.keystore.location ${ssl.keystore?.location ?? ''}: cannot be opened: wrong ssl.keystore.password?`;
  if (/bad decrypt|bad password/i.test(m)) return 'the private key cannot be decrypted: wrong ssl.key.password?';
  if (/key values mismatch/i.test(m)) return 'the private key does not belong to the first certificate of its chain';
  return `the TLS settings cannot be used: ${m}`;
}

export function tlsMaterial(ssl: SslSettings): SecureContextOptions {
  const opts: SecureContextOptions = {
    minVersion: ssl.protocols.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: ssl.protocols.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2',
  };
  // With neither, node's bundled root CAs: the public ones Confluent Cloud, MSK and Aiven use.
  if (ssl.truststore) opts.ca = trustedCertificates(ssl.truststore);
  else if (ssl.trustedCertificates) opts.ca = pemBlocks(ssl.trustedCertificates, 'ssl.truststore.certificates', (t) => t === 'CERTIFICATE');
  if (ssl.keystore) Object.assign(opts, clientIdentity(ssl.keystore, ssl.keyPassword));
  else if (ssl.inlineKey) Object.assign(opts, pemIdentity(ssl.inlineKey.key + '\n' + ssl.inlineKey.chain, ssl.keyPassword, 'ssl.keystore.key and ssl.keystore.certificate.chain'));
  if (ssl.cipherSuites.length > 0) opts.ciphers = ssl.cipherSuites.map(openSslCipherName).join(':');
  return opts;
}

/** A client's TLS: the options its connections are made with, and whether it shows a certificate. */
export interface ClientTls {
  options: ConnectionOptions;
  hasClientCertificate: boolean;
}

/** The TLS of one connection: SNI names the host (not an address, which TLS forbids). */
export function tlsOptionsFor(base: ClientTls, host: string): ClientTls {
  return isIP(host) ? base : { ...base, options: { ...base.options, servername: host } };
}

function readStore(store: StoreFile, config: string): Buffer {
  try {
    return readFileSync(store.location);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${config} ${store.location} cannot be read: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

/** JKS is Java's own format; Kafka's default type, which Java also reads PKCS12 under. */
function storeFormat(bytes: Buffer, store: StoreFile, config: string): 'PEM' | 'PKCS12' {
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === JKS_MAGIC) {
    const kind = config.includes('truststore') ? 'truststore' : 'keystore';
    throw new Error(
      `${config} ${store.location} is a JKS keystore, which outpost does not read: convert it to PKCS12 with ` +
        `keytool -importkeystore -srckeystore ${store.location} -srcstoretype JKS -destkeystore ${store.location}.p12 -deststoretype PKCS12, ` +
        `then set ssl.${kind}.location to the .p12 file and ssl.${kind}.type=PKCS12`,
    );
  }
  if (store.type === 'PEM') return 'PEM';
  // A DER SEQUENCE: PKCS12, whatever the type says (Java's keystore.type.compat reads it so).
  if (bytes[0] === 0x30) return 'PKCS12';
  throw new Error(`${config} ${store.location} is not a ${store.type} keystore${bytes.includes('-----BEGIN') ? ': it holds PEM text, so set its type to PEM' : ''}`);
}

function trustedCertificates(store: StoreFile): string[] {
  const config = 'ssl.truststore.location';
  const bytes = readStore(store, config);
  if (storeFormat(bytes, store, config) === 'PEM') return pemBlocks(bytes.toString('utf8'), config, (t) => t === 'CERTIFICATE');
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(bytes.toString('binary')), false, store.password ?? '');
  } catch (e) {
    const wrong = /mac|password|decrypt/i.test((e as Error).message);
    throw new Error(`${config} ${store.location} cannot be opened as PKCS12: ${wrong ? 'wrong ssl.truststore.password' : (e as Error).message}`);
  }
  const certs = (p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? []).flatMap((b) => (b.cert ? [forge.pki.certificateToPem(b.cert)] : []));
  if (certs.length === 0) throw new Error(`${config} ${store.location} holds no certificate`);
  return certs;
}

function clientIdentity(store: StoreFile, keyPassword: string | null): SecureContextOptions {
  const config = 'ssl.keystore.location';
  const bytes = readStore(store, config);
  if (storeFormat(bytes, store, config) === 'PEM') return pemIdentity(bytes.toString('utf8'), keyPassword, config);
  return { pfx: bytes, passphrase: store.password ?? keyPassword ?? '' };
}

/** A PEM private key (PKCS#8, encrypted or not) and its certificate chain. */
function pemIdentity(text: string, keyPassword: string | null, config: string): SecureContextOptions {
  const keys = pemBlocks(text, config, (t) => KEY_BLOCKS.has(t), true);
  if (keys.length !== 1) throw new Error(`${config}: expected one private key, found ${keys.length}`);
  const cert = pemBlocks(text, config, (t) => t === 'CERTIFICATE');
  const encrypted = keys[0]!.includes('ENCRYPTED');
  if (encrypted && keyPassword === null) throw new Error(`${config}: the private key is encrypted: set ssl.key.password`);
  return { key: keys[0], cert, ...(keyPassword !== null ? { passphrase: keyPassword } : {}) };
}

function pemBlocks(text: string, config: string, wanted: (type: string) => boolean, allowNone = false): string[] {
  const blocks = [...text.matchAll(PEM_BLOCK)].filter((m) => wanted(m[1]!)).map((m) => m[0]);
  if (blocks.length === 0 && !allowNone) throw new Error(`${config}: no PEM certificate found`);
  return blocks;
}

/**
 * A cipher suite's OpenSSL name from its IANA name, which Kafka (Java) uses: TLS 1.3 suites keep
 * theirs; TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 is ECDHE-RSA-AES128-GCM-SHA256.
 */
export function openSslCipherName(iana: string): string {
  if (/^TLS_(AES|CHACHA20)_/.test(iana)) return iana;
  const m = /^TLS_(ECDHE_RSA|ECDHE_ECDSA|DHE_RSA|RSA)_WITH_(AES_(128|256)_(GCM|CBC)|CHACHA20_POLY1305)_(SHA|SHA256|SHA384)$/.exec(iana);
  if (!m) throw new Error(`ssl.cipher.suites: ${iana} is not a cipher suite outpost knows (give IANA names, such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 or TLS_AES_256_GCM_SHA384)`);
  const [, kx, cipher, bits, mode, mac] = m;
  const prefix = kx === 'RSA' ? '' : `${kx!.replace('_', '-')}-`;
  if (cipher === 'CHACHA20_POLY1305') return `${prefix}CHACHA20-POLY1305`;
  if (mode === 'GCM') return `${prefix}AES${bits}-GCM-${mac}`;
  return `${prefix}AES${bits}-${mac}`;
}

/** What a TLS failure means, in words: the certificate problem, or a peer that does not speak TLS. */
export function describeTlsError(err: NodeJS.ErrnoException, where: string, tls: ClientTls): string {
  const code = err.code ?? '';
  const clientCert = tls.hasClientCertificate;
  const certificateRequired = `TLS to ${where} failed: the server requires a client certificate (ssl.client.auth): set ssl.keystore.location (or ssl.keystore.key and ssl.keystore.certificate.chain)`;
  switch (code) {
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return `TLS to ${where} failed: the server's certificate is signed by an unknown CA (${err.message}): trust its CA with ssl.truststore.location or ssl.truststore.certificates`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS to ${where} failed: host name mismatch: ${err.message} (ssl.endpoint.identification.algorithm= turns this check off)`;
    case 'CERT_HAS_EXPIRED':
      return `TLS to ${where} failed: the server's certificate has expired`;
    case 'CERT_NOT_YET_VALID':
      return `TLS to ${where} failed: the server's certificate is not valid yet`;
    case 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED':
      return certificateRequired;
    case 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE':
    case 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA':
    case 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN':
      // Java's server answers a missing certificate with bad_certificate, as it does a wrong one.
      return clientCert ? `TLS to ${where} failed: the server refused outpost's client certificate (${code}): is it signed by a CA the server trusts?` : certificateRequired;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
      return `TLS to ${where} failed: the server does not speak TLS there (is it a PLAINTEXT or SASL_PLAINTEXT listener? then set security.protocol to match)`;
    case 'ECONNRESET':
      return `TLS to ${where} failed: the server closed the connection during the TLS handshake (is it a PLAINTEXT or SASL_PLAINTEXT listener? then set security.protocol to match)`;
    default:
      return `TLS to ${where} failed: ${err.message}`;
  }
}
