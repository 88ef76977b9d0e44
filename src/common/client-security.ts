// How a Kafka client connects securely, as plain data: what the link's configs (src/config) resolve
// to and what outpost's client (src/client) acts on, so that neither needs the other.

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

/** A key or trust store file, as ssl.{key,trust}store.{location,type,password} name it. */
export interface StoreFile {
  location: string;
  /** PEM, PKCS12, or JKS (Kafka's default type, which outpost reads as PKCS12 when the file is one) */
  type: string;
  password: string | null;
}

export interface SslSettings {
  /** ssl.endpoint.identification.algorithm=https: the broker's name is checked against its certificate */
  verifyHostName: boolean;
  /** ssl.enabled.protocols */
  protocols: string[];
  /** ssl.cipher.suites, with Kafka's (IANA) names; empty: the defaults */
  cipherSuites: string[];
  truststore: StoreFile | null;
  /** ssl.truststore.certificates: PEM text */
  trustedCertificates: string | null;
  keystore: StoreFile | null;
  /** ssl.key.password */
  keyPassword: string | null;
  /** ssl.keystore.key and ssl.keystore.certificate.chain: PEM text */
  inlineKey: { key: string; chain: string } | null;
}

export type SaslMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER';

export type OAuthTokenSource =
  /** tokens made here, unsigned, from the JAAS unsecuredLogin* options (tests and development) */
  | { kind: 'unsecured'; claims: Record<string, unknown>; lifetimeSeconds: number }
  /** tokens from the OAuth server's token endpoint, with the client-credentials grant */
  | { kind: 'client_credentials'; url: string; clientId: string; clientSecret: string; scope: string | null; urlencodeHeader: boolean; timeoutMs: number; refreshWindowFactor: number };

export type SaslSettings =
  | { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string }
  | { mechanism: 'OAUTHBEARER'; token: OAuthTokenSource; extensions: Record<string, string> };

export interface SourceSecurity {
  protocol: SecurityProtocol;
  /** for SSL and SASL_SSL */
  ssl: SslSettings | null;
  /** for SASL_PLAINTEXT and SASL_SSL */
  sasl: SaslSettings | null;
}

