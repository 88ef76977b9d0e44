// A real Apache Kafka whose listeners take each kind of client security a cluster link meets:
// SASL_SSL with SCRAM-SHA-512, SASL_SSL with PLAIN (an API key and secret, as Confluent Cloud),
// SSL with client certificates required (mTLS, as MSK and Aiven), SASL_PLAINTEXT with OAUTHBEARER
// (unsecured tokens), and an SSL listener whose certificate has expired. The TLS listeners
// advertise localhost, the name on the broker's certificate. PLAINTEXT stays for the tools.
import { javaTool } from './jvm.js';
import { startKafka, type KafkaPeer, type StartKafkaOptions } from './kafka.js';
import { STORE_PASSWORD, type TestCerts } from './certs.js';

export const SCRAM_USER = 'mirror-user';
export const SCRAM_PASSWORD = 'scram-secret-1';
export const API_KEY = 'APIKEY7QX';
export const API_SECRET = 'api-secret-7c1f';
/** The link's client settings for the SCRAM listener (SASL_SSL, SCRAM-SHA-512), trusting the test CA. */
export function scramClientConfigs(certs: TestCerts, password = SCRAM_PASSWORD): Record<string, string> {
  return {
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${SCRAM_USER}" password="${password}";`,
    'ssl.truststore.location': certs.caPem,
    'ssl.truststore.type': 'PEM',
  };
}

/** the subject of the broker's own (unused) unsecured token */
const OAUTH_BROKER_SUB = 'broker';

export interface SecureKafka {
  kafka: KafkaPeer;
  /** "localhost:PORT" of each listener */
  scram: string;
  plain: string;
  mtls: string;
  oauth: string;
  expired: string;
}

const LISTENERS: NonNullable<StartKafkaOptions['listeners']> = [
  { name: 'SCRAM', protocol: 'SASL_SSL', host: 'localhost' },
  { name: 'PLAINSSL', protocol: 'SASL_SSL', host: 'localhost' },
  { name: 'MTLS', protocol: 'SSL', host: 'localhost' },
  { name: 'OAUTH', protocol: 'SASL_PLAINTEXT', host: 'localhost' },
  { name: 'EXPIRED', protocol: 'SSL', host: 'localhost' },
];

/**
 * Starts it. `reauthMs` is connections.max.reauth.ms on every SASL listener: the session lifetime
 * the broker gives, after which a connection that has not authenticated again is closed.
 */
export async function startSecureKafka(certs: TestCerts, opts: { reauthMs?: number; configs?: Record<string, string>; jvmArgs?: string[] } = {}): Promise<SecureKafka> {
  const configs: Record<string, string> = {
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': certs.brokerP12,
    'ssl.keystore.password': STORE_PASSWORD,
    'ssl.key.password': STORE_PASSWORD,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caPem,
    'listener.name.mtls.ssl.client.auth': 'required',
    'listener.name.expired.ssl.keystore.location': certs.expiredBrokerP12,
    'listener.name.scram.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'listener.name.scram.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.plainssl.sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.plainssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${API_KEY}="${API_SECRET}";`,
    'listener.name.oauth.sasl.enabled.mechanisms': 'OAUTHBEARER',
    'listener.name.oauth.oauthbearer.sasl.jaas.config': `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="${OAUTH_BROKER_SUB}";`,
    ...(opts.reauthMs !== undefined ? { 'connections.max.reauth.ms': String(opts.reauthMs) } : {}),
    ...opts.configs,
  };
  const kafka = await startKafka({ configs, listeners: LISTENERS, jvmArgs: opts.jvmArgs });
  try {
    await setScramPassword(kafka, SCRAM_USER, SCRAM_PASSWORD);
  } catch (e) {
    await kafka.stop();
    throw e;
  }
  const at = (name: string) => `localhost:${kafka.listenerPorts[name]}`;
  return { kafka, scram: at('SCRAM'), plain: at('PLAINSSL'), mtls: at('MTLS'), oauth: at('OAUTH'), expired: at('EXPIRED') };
}

/** kafka-configs --alter --add-config SCRAM-SHA-512=[password=...]: sets (or rotates) a user's password. */
export async function setScramPassword(kafka: KafkaPeer, user: string, password: string): Promise<void> {
  const r = await javaTool('org.apache.kafka.tools.ConfigCommand', [
    '--bootstrap-server', kafka.bootstrap, '--alter', '--add-config', `SCRAM-SHA-512=[iterations=4096,password=${password}]`, '--entity-type', 'users', '--entity-name', user,
  ]);
  if (r.code !== 0) throw new Error(`setting the SCRAM password of ${user} failed (code ${r.code}):\n${r.stdout}\n${r.stderr}`);
}
