// A cluster link's settings: the source client's (Kafka's client config names, security included)
// and the link's own (Confluent's cluster-link names where Confluent has one), defined and checked
// with src/config's config definitions, as broker and topic configs are. A name that is not here is
// refused, with the nearest known one suggested. `acted` says whether this version acts on a
// setting or only keeps it (for the feature that will, or as Kafka's client would ignore it).
import {
  atLeast, checkConfigValue, invalidValueMessage, oneOf, toSafeNumber, type ConfigKey, type ConfigType, type ConfigValue, type Validator,
} from './config-def.js';
import { parseJaasConfig, type JaasEntry } from './jaas.js';
import type { AclFilter } from '../common/acls.js';
import { parseAclFilters } from './acl-filters.js';
import { parseNameFilters, type NameFilter } from './group-filters.js';
import { nearestName } from './nearest-name.js';
import type {
  OAuthTokenSource, SaslMechanismName, SaslSettings, SecurityProtocol, SourceSecurity, SslSettings, StoreFile,
} from '../common/client-security.js';

interface LinkConfigKey extends ConfigKey {
  /** whether this version acts on it, or only stores it */
  acted: boolean;
}

const def = (name: string, type: ConfigType, dflt: string | null, acted: boolean, validator?: Validator): LinkConfigKey => ({ name, type, default: dflt, acted, validator });

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
// ISO-8601 date and time with an explicit zone, the form Confluent's mirror.start.offset.spec takes.
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** The Kafka client's security.protocol, any case, as Kafka reads it. */
const securityProtocol: Validator = (value) =>
  PROTOCOLS.includes(String(value).toUpperCase()) ? null : { shown: String(value), reason: `String must be one of: ${PROTOCOLS.join(', ')}` };

const startOffsetSpec: Validator = (value) =>
  parseStartOffsetSpec(String(value)) ? null : { shown: String(value), reason: 'expected earliest, latest or an ISO-8601 timestamp with a zone, such as 2024-05-01T00:00:00Z' };

const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'];
const tlsVersions: Validator = (value) => {
  const bad = (value as string[]).find((v) => !TLS_VERSIONS.includes(v));
  return bad === undefined ? null : { shown: bad, reason: `outpost speaks ${TLS_VERSIONS.join(' and ')} (older versions are insecure and refused)` };
};

const STORE_TYPES = ['JKS', 'PKCS12', 'PEM'];
const storeType: Validator = (value) =>
  STORE_TYPES.includes(String(value).toUpperCase()) ? null : { shown: String(value), reason: `String must be one of: ${STORE_TYPES.join(', ')}` };

/** The login callback handlers outpost can stand in for: Kafka's OAuth client-credentials one. */
const OAUTH_LOGIN_HANDLERS = [
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler',
  'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerLoginCallbackHandler',
];
const loginHandler: Validator = (value) =>
  value === '' || OAUTH_LOGIN_HANDLERS.includes(String(value))
    ? null
    : { shown: String(value), reason: `outpost cannot load Java classes; it takes only ${OAUTH_LOGIN_HANDLERS[0]} (the OAuth client-credentials flow), or none` };

/** Topic names are at most 249 characters: a prefix leaves most of them to the source's names. */
export const MAX_LINK_PREFIX = 64;
/** cluster.link.prefix: the start of every mirror's name, in the characters a topic name may have. */
const linkPrefix: Validator = (value) => {
  const text = String(value);
  if (text.length > MAX_LINK_PREFIX) return { shown: text, reason: `a prefix is at most ${MAX_LINK_PREFIX} characters (topic names are at most 249)` };
  if (!/^[a-zA-Z0-9._-]*$/.test(text)) return { shown: text, reason: 'a prefix holds only the characters of a topic name: ASCII letters, digits, ".", "_" and "-"' };
  return null;
};

const COORDINATION = ['local', 'source'];
/** consumer.group.coordination: where the groups the filters choose are coordinated. */
const coordination: Validator = (value) =>
  COORDINATION.includes(String(value).toLowerCase()) ? null : { shown: String(value), reason: `String must be one of: ${COORDINATION.join(', ')}` };

const noJavaClass: Validator = (value) =>
  value === '' ? null : { shown: String(value), reason: 'outpost cannot load Java classes' };

const DEFS: LinkConfigKey[] = [
  // The source client, with the Kafka client's names and defaults.
  def('security.protocol', 'STRING', 'PLAINTEXT', true, securityProtocol),
  def('client.id', 'STRING', null, true),
  def('request.timeout.ms', 'INT', '30000', true, atLeast(1)),
  def('socket.connection.setup.timeout.ms', 'LONG', '10000', true, atLeast(1)),
  def('reconnect.backoff.ms', 'LONG', '50', true, atLeast(0)),
  def('reconnect.backoff.max.ms', 'LONG', '1000', true, atLeast(0)),
  def('retry.backoff.ms', 'LONG', '100', true, atLeast(0)),
  def('metadata.max.age.ms', 'LONG', '300000', false, atLeast(0)),
  def('connections.max.idle.ms', 'LONG', '540000', false),
  def('client.dns.lookup', 'STRING', 'use_all_dns_ips', false),
  def('send.buffer.bytes', 'INT', '131072', false, atLeast(-1)),
  def('receive.buffer.bytes', 'INT', '65536', false, atLeast(-1)),
  // TLS, with the Kafka client's names and defaults (SslConfigs).
  def('ssl.protocol', 'STRING', 'TLSv1.3', true, oneOf('TLSv1.2', 'TLSv1.3', 'TLS')),
  def('ssl.enabled.protocols', 'LIST', 'TLSv1.2,TLSv1.3', true, tlsVersions),
  def('ssl.cipher.suites', 'LIST', null, true),
  def('ssl.endpoint.identification.algorithm', 'STRING', 'https', true, oneOf('https', '')),
  def('ssl.truststore.type', 'STRING', 'JKS', true, storeType),
  def('ssl.truststore.location', 'STRING', null, true),
  def('ssl.truststore.password', 'PASSWORD', null, true),
  def('ssl.truststore.certificates', 'PASSWORD', null, true),
  def('ssl.keystore.type', 'STRING', 'JKS', true, storeType),
  def('ssl.keystore.location', 'STRING', null, true),
  def('ssl.keystore.password', 'PASSWORD', null, true),
  def('ssl.key.password', 'PASSWORD', null, true),
  def('ssl.keystore.key', 'PASSWORD', null, true),
  def('ssl.keystore.certificate.chain', 'PASSWORD', null, true),
  def('ssl.provider', 'STRING', null, false),
  def('ssl.keymanager.algorithm', 'STRING', 'SunX509', false),
  def('ssl.trustmanager.algorithm', 'STRING', 'PKIX', false),
  def('ssl.secure.random.implementation', 'STRING', null, false),
  def('ssl.engine.factory.class', 'CLASS', null, true, noJavaClass),
  // SASL, with the Kafka client's names and defaults (SaslConfigs).
  def('sasl.mechanism', 'STRING', 'GSSAPI', true),
  def('sasl.jaas.config', 'PASSWORD', null, true),
  def('sasl.login.callback.handler.class', 'CLASS', null, true, loginHandler),
  def('sasl.client.callback.handler.class', 'CLASS', null, true, noJavaClass),
  def('sasl.login.class', 'CLASS', null, true, noJavaClass),
  def('sasl.kerberos.service.name', 'STRING', null, false),
  def('sasl.kerberos.kinit.cmd', 'STRING', '/usr/bin/kinit', false),
  def('sasl.kerberos.ticket.renew.window.factor', 'DOUBLE', '0.8', false),
  def('sasl.kerberos.ticket.renew.jitter', 'DOUBLE', '0.05', false),
  def('sasl.kerberos.min.time.before.relogin', 'LONG', '60000', false),
  def('sasl.login.refresh.window.factor', 'DOUBLE', '0.8', true),
  def('sasl.login.refresh.window.jitter', 'DOUBLE', '0.05', false),
  def('sasl.login.refresh.min.period.seconds', 'SHORT', '60', false),
  def('sasl.login.refresh.buffer.seconds', 'SHORT', '300', false),
  def('sasl.login.connect.timeout.ms', 'INT', null, true, atLeast(1)),
  def('sasl.login.read.timeout.ms', 'INT', null, true, atLeast(1)),
  def('sasl.login.retry.backoff.max.ms', 'LONG', '10000', false),
  def('sasl.login.retry.backoff.ms', 'LONG', '100', false),
  def('sasl.oauthbearer.token.endpoint.url', 'STRING', null, true),
  def('sasl.oauthbearer.client.credentials.client.id', 'STRING', null, true),
  def('sasl.oauthbearer.client.credentials.client.secret', 'PASSWORD', null, true),
  def('sasl.oauthbearer.scope', 'STRING', null, true),
  def('sasl.oauthbearer.header.urlencode', 'BOOLEAN', 'false', true),
  def('sasl.oauthbearer.scope.claim.name', 'STRING', 'scope', false),
  def('sasl.oauthbearer.sub.claim.name', 'STRING', 'sub', false),
  def('sasl.oauthbearer.jwt.retriever.class', 'CLASS', 'org.apache.kafka.common.security.oauthbearer.DefaultJwtRetriever', false),
  def('sasl.oauthbearer.jwt.validator.class', 'CLASS', 'org.apache.kafka.common.security.oauthbearer.DefaultJwtValidator', false),
  def('sasl.oauthbearer.assertion.algorithm', 'STRING', 'RS256', false),
  def('sasl.oauthbearer.assertion.claim.aud', 'STRING', null, false),
  def('sasl.oauthbearer.assertion.claim.exp.seconds', 'INT', '300', false),
  def('sasl.oauthbearer.assertion.claim.iss', 'STRING', null, false),
  def('sasl.oauthbearer.assertion.claim.jti.include', 'BOOLEAN', 'false', false),
  def('sasl.oauthbearer.assertion.claim.nbf.seconds', 'INT', '60', false),
  def('sasl.oauthbearer.assertion.claim.sub', 'STRING', null, false),
  def('sasl.oauthbearer.assertion.file', 'STRING', null, false),
  def('sasl.oauthbearer.assertion.private.key.file', 'STRING', null, false),
  def('sasl.oauthbearer.assertion.private.key.passphrase', 'PASSWORD', null, false),
  def('sasl.oauthbearer.assertion.template.file', 'STRING', null, false),
  def('sasl.oauthbearer.jwks.endpoint.url', 'STRING', null, false),
  def('sasl.oauthbearer.jwks.endpoint.refresh.ms', 'LONG', '3600000', false),
  def('sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms', 'LONG', '10000', false),
  def('sasl.oauthbearer.jwks.endpoint.retry.backoff.ms', 'LONG', '100', false),
  def('sasl.oauthbearer.clock.skew.seconds', 'INT', '30', false),
  def('sasl.oauthbearer.expected.audience', 'LIST', null, false),
  def('sasl.oauthbearer.expected.issuer', 'STRING', null, false),
  def('sasl.oauthbearer.allow.unverified.audience', 'BOOLEAN', 'false', false),
  def('sasl.oauthbearer.allow.unverified.issuer', 'BOOLEAN', 'false', false),
  // The link, with Confluent's names and defaults.
  def('topic.config.sync.ms', 'INT', '5000', true, atLeast(1)),
  def('mirror.start.offset.spec', 'STRING', 'earliest', true, startOffsetSpec),
  def('replica.fetch.max.bytes', 'INT', '1048576', true, atLeast(1)),
  def('replica.fetch.response.max.bytes', 'INT', '10485760', true, atLeast(1)),
  def('replica.fetch.min.bytes', 'INT', '1', true, atLeast(1)),
  def('replica.fetch.wait.max.ms', 'INT', '500', true, atLeast(0)),
  def('replica.fetch.backoff.ms', 'INT', '1000', true, atLeast(0)),
  def('consumer.offset.sync.enable', 'BOOLEAN', 'false', true),
  def('consumer.offset.sync.ms', 'INT', '30000', true, atLeast(1)),
  def('consumer.offset.group.filters', 'STRING', null, true),
  def('acl.sync.enable', 'BOOLEAN', 'false', true),
  def('acl.sync.ms', 'INT', '5000', true, atLeast(1)),
  def('acl.filters', 'STRING', null, true),
  def('auto.create.mirror.topics.enable', 'BOOLEAN', 'false', true),
  def('auto.create.mirror.topics.filters', 'STRING', null, true),
  def('cluster.link.prefix', 'STRING', null, true, linkPrefix),
  def('consumer.group.prefix.enable', 'BOOLEAN', 'false', true),
  // Reads below a mirror's local log start, through the link: Kafka's name for the wait, outpost's for the cache.
  def('remote.fetch.max.wait.ms', 'INT', '500', true, atLeast(1)),
  def('read.through.cache.max.bytes', 'LONG', String(64 << 20), true, atLeast(1 << 20)),
  def('read.through.disk.cache.max.bytes', 'LONG', '0', true, atLeast(0)),
  // outpost's own: consumer groups coordinated by the source cluster, through the link.
  def('consumer.group.coordination', 'STRING', 'local', true, coordination),
  def('consumer.group.coordination.group.filters', 'STRING', null, true),
  def('cluster.link.retry.timeout.ms', 'INT', '300000', false, atLeast(0)),
  def('availability.check.ms', 'INT', '60000', false, atLeast(0)),
  def('availability.check.consecutive.failure.threshold', 'INT', '5', false, atLeast(1)),
];

const BY_NAME: ReadonlyMap<string, LinkConfigKey> = new Map(DEFS.map((d) => [d.name, d]));

/** Whether a link config holds a secret (Kafka's PASSWORD type): never shown, encrypted at rest. */
export function isSensitiveLinkConfig(name: string): boolean {
  return BY_NAME.get(name)?.type === 'PASSWORD';
}

export type StartOffsetSpec = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'timestamp'; ms: number };

export interface LinkSettings {
  clientId: string;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  reconnectBackoffMs: number;
  reconnectBackoffMaxMs: number;
  retryBackoffMs: number;
  topicConfigSyncMs: number;
  startOffset: StartOffsetSpec;
  fetchMaxBytes: number;
  fetchResponseMaxBytes: number;
  fetchMinBytes: number;
  fetchWaitMaxMs: number;
  fetchBackoffMs: number;
  security: SourceSecurity;
  /** consumer.offset.sync.*: which groups' committed offsets are copied, and how often */
  offsetSync: { enabled: boolean; intervalMs: number; filters: NameFilter[] };
  /** auto.create.mirror.topics.*: source topics mirrored as they appear */
  autoCreate: { enabled: boolean; filters: NameFilter[] };
  /** acl.sync.*: the source's ACLs the filters choose, copied here */
  aclSync: { enabled: boolean; intervalMs: number; filters: AclFilter[] };
  /** cluster.link.prefix: mirrors are named prefix + the source topic's name ('' : the same name) */
  prefix: string;
  /** consumer.group.prefix.enable: synced groups are named prefix + the source group's name */
  prefixGroups: boolean;
  /** remote.fetch.max.wait.ms and read.through.(disk.)cache.max.bytes: reads of older records from the source */
  readThrough: { maxWaitMs: number; cacheBytes: number; diskBytes: number };
  /** consumer.group.coordination=source: the groups the filters choose are coordinated by the source (null: none) */
  groupsAtSource: NameFilter[] | null;
}

export function parseStartOffsetSpec(text: string): StartOffsetSpec | null {
  const t = text.trim();
  if (t.toLowerCase() === 'earliest') return { kind: 'earliest' };
  if (t.toLowerCase() === 'latest') return { kind: 'latest' };
  if (!ISO_TIMESTAMP.test(t)) return null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : { kind: 'timestamp', ms };
}

/** What is wrong with a link's configs (the first problem, as a message), or null. */
export function linkConfigsProblem(configs: Readonly<Record<string, string>>): string | null {
  for (const [name, value] of Object.entries(configs)) {
    if (typeof value !== 'string') return `link config ${name} must be a string`;
    const d = BY_NAME.get(name);
    if (!d) {
      const near = nearestName(name, BY_NAME.keys());
      return `Unknown link config ${name}${near ? ` (did you mean ${near}?)` : ''}: cluster links take the Kafka client's configs and Confluent's cluster-link configs`;
    }
    const checked = checkConfigValue(d, value);
    // A secret's value is never repeated in a message.
    if ('problem' in checked) return invalidValueMessage(name, d.type === 'PASSWORD' ? { ...checked.problem, shown: '[hidden]' } : checked.problem);
  }
  try {
    resolveSourceSecurity(configs);
    groupFilters(configs);
    coordinationFilters(configs);
    topicFilters(configs);
    aclFilters(configs);
    if (valueOf(configs, 'consumer.group.prefix.enable') === true && !configs['cluster.link.prefix']) {
      throw new Error('consumer.group.prefix.enable needs cluster.link.prefix: it names synced groups with that prefix');
    }
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/** acl.filters, parsed; unset chooses no ACL. */
function aclFilters(configs: Readonly<Record<string, string>>): AclFilter[] {
  const text = configs['acl.filters'];
  return text === undefined || text.trim() === '' ? [] : parseAclFilters('acl.filters', text);
}

/** auto.create.mirror.topics.filters, parsed; unset chooses no topic. */
function topicFilters(configs: Readonly<Record<string, string>>): NameFilter[] {
  const text = configs['auto.create.mirror.topics.filters'];
  return text === undefined || text.trim() === '' ? [] : parseNameFilters('auto.create.mirror.topics.filters', 'topicFilters', text);
}

/** consumer.offset.group.filters, parsed; unset chooses no group (as Confluent's empty list). */
function groupFilters(configs: Readonly<Record<string, string>>): NameFilter[] {
  const text = configs['consumer.offset.group.filters'];
  return text === undefined || text.trim() === '' ? [] : parseNameFilters('consumer.offset.group.filters', 'groupFilters', text);
}

/** consumer.group.coordination.group.filters, parsed; unset chooses every group. */
function coordinationFilters(configs: Readonly<Record<string, string>>): NameFilter[] {
  const text = configs['consumer.group.coordination.group.filters'];
  if (text === undefined || text.trim() === '') return [{ name: '*', patternType: 'LITERAL', filterType: 'INCLUDE' }];
  return parseNameFilters('consumer.group.coordination.group.filters', 'groupFilters', text);
}

/** A config's value (set, else default), parsed for its type; configs passed linkConfigsProblem(). */
function valueOf(configs: Readonly<Record<string, string>>, name: string): ConfigValue | null {
  const d = BY_NAME.get(name)!;
  const raw = configs[name] ?? d.default;
  if (raw === null) return null;
  const checked = checkConfigValue(d, raw);
  if ('problem' in checked) throw new Error(invalidValueMessage(name, checked.problem));
  return checked.value;
}

/** The settings the link acts on, for configs that passed linkConfigsProblem(). */
export function resolveLinkSettings(linkName: string, configs: Readonly<Record<string, string>>): LinkSettings {
  const num = (name: string) => toSafeNumber(valueOf(configs, name) as number | bigint);
  const str = (name: string) => String(valueOf(configs, name) ?? '');
  return {
    clientId: str('client.id') || `outpost-link-${linkName}`,
    requestTimeoutMs: num('request.timeout.ms'),
    connectTimeoutMs: num('socket.connection.setup.timeout.ms'),
    reconnectBackoffMs: num('reconnect.backoff.ms'),
    reconnectBackoffMaxMs: Math.max(num('reconnect.backoff.ms'), num('reconnect.backoff.max.ms')),
    retryBackoffMs: num('retry.backoff.ms'),
    topicConfigSyncMs: num('topic.config.sync.ms'),
    startOffset: parseStartOffsetSpec(str('mirror.start.offset.spec'))!,
    fetchMaxBytes: num('replica.fetch.max.bytes'),
    fetchResponseMaxBytes: num('replica.fetch.response.max.bytes'),
    fetchMinBytes: num('replica.fetch.min.bytes'),
    fetchWaitMaxMs: num('replica.fetch.wait.max.ms'),
    fetchBackoffMs: num('replica.fetch.backoff.ms'),
    security: resolveSourceSecurity(configs),
    offsetSync: { enabled: valueOf(configs, 'consumer.offset.sync.enable') === true, intervalMs: num('consumer.offset.sync.ms'), filters: groupFilters(configs) },
    autoCreate: { enabled: valueOf(configs, 'auto.create.mirror.topics.enable') === true, filters: topicFilters(configs) },
    aclSync: { enabled: valueOf(configs, 'acl.sync.enable') === true, intervalMs: num('acl.sync.ms'), filters: aclFilters(configs) },
    prefix: str('cluster.link.prefix'),
    prefixGroups: valueOf(configs, 'consumer.group.prefix.enable') === true,
    readThrough: { maxWaitMs: num('remote.fetch.max.wait.ms'), cacheBytes: num('read.through.cache.max.bytes'), diskBytes: num('read.through.disk.cache.max.bytes') },
    groupsAtSource: str('consumer.group.coordination').toLowerCase() === 'source' ? coordinationFilters(configs) : null,
  };
}

const LOGIN_MODULES: Record<SaslMechanismName, string> = {
  'PLAIN': 'org.apache.kafka.common.security.plain.PlainLoginModule',
  'SCRAM-SHA-256': 'org.apache.kafka.common.security.scram.ScramLoginModule',
  'SCRAM-SHA-512': 'org.apache.kafka.common.security.scram.ScramLoginModule',
  'OAUTHBEARER': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule',
};

/**
 * The source connection's security, from security.protocol and the ssl.* and sasl.* configs;
 * throws with a message naming the config at fault (never its value) when they do not add up.
 */
export function resolveSourceSecurity(configs: Readonly<Record<string, string>>): SourceSecurity {
  const protocol = String(valueOf(configs, 'security.protocol')).toUpperCase() as SecurityProtocol;
  return {
    protocol,
    ssl: protocol === 'SSL' || protocol === 'SASL_SSL' ? resolveSslConfigs(configs) : null,
    sasl: protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL' ? resolveSasl(configs) : null,
  };
}

/**
 * TLS settings from Kafka's ssl.* configs (a client's, or a listener's view of the broker's: the
 * names, types and defaults are the same); throws naming the config at fault.
 */
export function resolveSslConfigs(configs: Readonly<Record<string, string>>): SslSettings {
  const opt = (name: string) => {
    const v = valueOf(configs, name);
    return v === null || v === '' ? null : String(v);
  };
  const store = (kind: 'truststore' | 'keystore'): StoreFile | null => {
    const location = opt(`ssl.${kind}.location`);
    if (location === null) return null;
    return { location, type: String(valueOf(configs, `ssl.${kind}.type`)).toUpperCase(), password: opt(`ssl.${kind}.password`) };
  };
  const truststore = store('truststore');
  const trustedCertificates = opt('ssl.truststore.certificates');
  if (truststore && trustedCertificates) throw new Error('ssl.truststore.location and ssl.truststore.certificates cannot both be set: give the trusted certificates one way');
  if (trustedCertificates && (configs['ssl.truststore.type'] ?? 'PEM').toUpperCase() !== 'PEM') {
    throw new Error('ssl.truststore.certificates holds PEM certificates: ssl.truststore.type must be PEM (or unset)');
  }
  const keystore = store('keystore');
  const key = opt('ssl.keystore.key');
  const chain = opt('ssl.keystore.certificate.chain');
  if ((key === null) !== (chain === null)) throw new Error('ssl.keystore.key and ssl.keystore.certificate.chain go together: a client certificate needs both');
  if (keystore && key) throw new Error('ssl.keystore.location and ssl.keystore.key cannot both be set: give the client certificate one way');
  if (key && (configs['ssl.keystore.type'] ?? 'PEM').toUpperCase() !== 'PEM') {
    throw new Error('ssl.keystore.key holds a PEM key: ssl.keystore.type must be PEM (or unset)');
  }
  const protocols = valueOf(configs, 'ssl.enabled.protocols') as string[];
  if (protocols.length === 0) throw new Error('ssl.enabled.protocols is empty: give TLSv1.2, TLSv1.3 or both');
  return {
    verifyHostName: valueOf(configs, 'ssl.endpoint.identification.algorithm') === 'https',
    protocols,
    cipherSuites: (valueOf(configs, 'ssl.cipher.suites') as string[] | null) ?? [],
    truststore,
    trustedCertificates,
    keystore,
    keyPassword: opt('ssl.key.password'),
    inlineKey: key !== null && chain !== null ? { key, chain } : null,
  };
}

function resolveSasl(configs: Readonly<Record<string, string>>): SaslSettings {
  const mechanism = String(valueOf(configs, 'sasl.mechanism'));
  if (mechanism === 'GSSAPI') {
    throw new Error(`sasl.mechanism ${configs['sasl.mechanism'] === undefined ? 'is not set, and Kafka\'s default, GSSAPI (Kerberos), ' : 'GSSAPI (Kerberos) '}is not supported: set it to PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER`);
  }
  if (!(mechanism in LOGIN_MODULES)) throw new Error(`sasl.mechanism ${mechanism} is not supported: outpost speaks PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER`);
  const name = mechanism as SaslMechanismName;
  const text = configs['sasl.jaas.config'];
  if (text === undefined || text.trim() === '') throw new Error(`sasl.jaas.config is required for sasl.mechanism ${name}: ${LOGIN_MODULES[name]} required ...;`);
  let jaas: JaasEntry;
  try {
    jaas = parseJaasConfig(text);
  } catch (e) {
    throw new Error(`sasl.jaas.config cannot be read: ${(e as Error).message}`);
  }
  if (jaas.loginModule !== LOGIN_MODULES[name]) {
    throw new Error(`sasl.jaas.config names the login module ${jaas.loginModule}, but sasl.mechanism ${name} takes ${LOGIN_MODULES[name]}`);
  }
  if (name !== 'OAUTHBEARER') {
    const { username, password } = jaas.options;
    if (!username || password === undefined) throw new Error(`sasl.jaas.config for ${name} needs the options username and password`);
    return { mechanism: name, username, password };
  }
  return { mechanism: 'OAUTHBEARER', token: oauthTokenSource(configs, jaas), extensions: oauthExtensions(jaas) };
}

/** RFC 7628 extensions from the JAAS options extension_<name>="value". */
function oauthExtensions(jaas: JaasEntry): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(jaas.options)) {
    if (!k.startsWith('extension_')) continue;
    const name = k.slice('extension_'.length);
    if (!/^[A-Za-z]+$/.test(name) || name === 'auth') throw new Error(`sasl.jaas.config: ${k} is not a valid SASL extension name (letters only, not auth)`);
    out[name] = v;
  }
  return out;
}

/**
 * Where OAUTHBEARER tokens come from: the token endpoint (the client-credentials flow of Kafka's
 * OAuthBearerLoginCallbackHandler) when sasl.oauthbearer.token.endpoint.url is set, otherwise
 * unsecured tokens from the JAAS unsecuredLogin* options, as Kafka's default login handler makes.
 */
function oauthTokenSource(configs: Readonly<Record<string, string>>, jaas: JaasEntry): OAuthTokenSource {
  const opt = (name: string) => {
    const v = valueOf(configs, name);
    return v === null || v === '' ? null : String(v);
  };
  const url = opt('sasl.oauthbearer.token.endpoint.url');
  if (url === null) {
    if (opt('sasl.login.callback.handler.class') !== null) throw new Error('sasl.oauthbearer.token.endpoint.url is required with sasl.login.callback.handler.class');
    return unsecuredToken(jaas.options);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('sasl.oauthbearer.token.endpoint.url is not a URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('sasl.oauthbearer.token.endpoint.url must be an http or https URL');
  const clientId = opt('sasl.oauthbearer.client.credentials.client.id') ?? jaas.options.clientId ?? null;
  const clientSecret = opt('sasl.oauthbearer.client.credentials.client.secret') ?? jaas.options.clientSecret ?? null;
  if (clientId === null || clientSecret === null) {
    throw new Error('the OAuth client-credentials flow needs a client id and secret: sasl.oauthbearer.client.credentials.client.id and .client.secret (or clientId and clientSecret in sasl.jaas.config)');
  }
  const timeouts = ['sasl.login.connect.timeout.ms', 'sasl.login.read.timeout.ms'].map((n) => valueOf(configs, n) as number | null).filter((n): n is number => n !== null);
  return {
    kind: 'client_credentials',
    url,
    clientId,
    clientSecret,
    scope: opt('sasl.oauthbearer.scope') ?? jaas.options.scope ?? null,
    urlencodeHeader: valueOf(configs, 'sasl.oauthbearer.header.urlencode') === true,
    timeoutMs: timeouts.length > 0 ? timeouts.reduce((a, b) => a + b) : toSafeNumber(valueOf(configs, 'request.timeout.ms') as number),
    refreshWindowFactor: valueOf(configs, 'sasl.login.refresh.window.factor') as number,
  };
}

/** Kafka's OAuthBearerUnsecuredLoginCallbackHandler options: the claims of an unsigned token. */
function unsecuredToken(options: Record<string, string>): OAuthTokenSource {
  const principalClaim = options.unsecuredLoginPrincipalClaimName ?? 'sub';
  const claims: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    const m = /^unsecuredLogin(String|Number|List)Claim_(.+)$/.exec(k);
    if (!m) continue;
    const [, kind, claim] = m;
    if (kind === 'Number') {
      if (!/^-?\d+(\.\d+)?$/.test(v)) throw new Error(`sasl.jaas.config: ${k} must be a number`);
      claims[claim!] = Number(v);
    } else if (kind === 'List') {
      // The first character separates the items, as Kafka reads it.
      claims[claim!] = v === '' ? [] : v.slice(1).split(v[0]!).filter((s) => s !== '');
    } else {
      claims[claim!] = v;
    }
  }
  if (typeof claims[principalClaim] !== 'string' || claims[principalClaim] === '') {
    throw new Error(`sasl.jaas.config for OAUTHBEARER needs either sasl.oauthbearer.token.endpoint.url (an OAuth server) or unsecuredLoginStringClaim_${principalClaim} (an unsecured token)`);
  }
  for (const reserved of ['iat', 'exp']) if (reserved in claims) throw new Error(`sasl.jaas.config: the ${reserved} claim is set by the login, not by an option`);
  const lifetime = options.unsecuredLoginLifetimeSeconds ?? '3600';
  if (!/^\d+$/.test(lifetime) || Number(lifetime) <= 0) throw new Error('sasl.jaas.config: unsecuredLoginLifetimeSeconds must be a positive whole number');
  return { kind: 'unsecured', claims, lifetimeSeconds: Number(lifetime) };
}

/** Configs as shown to people: secrets replaced. */
export function maskedLinkConfigs(configs: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(configs)) out[name] = isSensitiveLinkConfig(name) ? HIDDEN : value;
  return out;
}

const HIDDEN = '[hidden]';

/** Every known config with its effective value (set, else default), secrets masked. */
export function effectiveLinkConfigs(configs: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of DEFS) {
    const v = configs[d.name] ?? d.default;
    if (v !== null) out[d.name] = v;
  }
  return maskedLinkConfigs({ ...out, ...configs });
}

/** The configs set here that this version stores but does not act on (told to the operator). */
export function storedOnlyConfigs(configs: Readonly<Record<string, string>>): string[] {
  return Object.keys(configs).filter((name) => !(BY_NAME.get(name)?.acted ?? false));
}
