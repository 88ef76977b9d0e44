// A cluster link's settings: the source client's (Kafka's client config names) and the link's own
// (Confluent's cluster-link names where Confluent has one), defined and checked with src/config's
// config definitions, as broker and topic configs are. Every name here is accepted and stored;
// `acted` says whether this version acts on it or only keeps it for the feature that will
// (consumer offset sync, ACL sync, TLS and SASL).
import {
  atLeast, checkConfigValue, invalidValueMessage, isSensitiveConfig, toSafeNumber, type ConfigKey, type ConfigType, type Validator,
} from './config-def.js';

interface LinkConfigKey extends ConfigKey {
  /** whether this version acts on it, or only stores it */
  acted: boolean;
}

const def = (name: string, type: ConfigType, dflt: string | null, acted: boolean, validator?: Validator): LinkConfigKey => ({ name, type, default: dflt, acted, validator });

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
// ISO-8601 date and time with an explicit zone, the form Confluent's mirror.start.offset.spec takes.
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** The Kafka client's security.protocol: its four names, of which the link speaks PLAINTEXT so far. */
const securityProtocol: Validator = (value) => {
  const p = String(value).toUpperCase();
  if (!PROTOCOLS.includes(p)) return { shown: String(value), reason: `String must be one of: ${PROTOCOLS.join(', ')}` };
  if (p !== 'PLAINTEXT') {
    return { shown: p, reason: 'not supported yet: cluster links connect with PLAINTEXT only for now (TLS and SASL come in a later version; their ssl.* and sasl.* settings are accepted and stored meanwhile)' };
  }
  return null;
};

const startOffsetSpec: Validator = (value) =>
  parseStartOffsetSpec(String(value)) ? null : { shown: String(value), reason: 'expected earliest, latest or an ISO-8601 timestamp with a zone, such as 2024-05-01T00:00:00Z' };

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
  // The link, with Confluent's names and defaults.
  def('topic.config.sync.ms', 'INT', '5000', true, atLeast(1)),
  def('mirror.start.offset.spec', 'STRING', 'earliest', true, startOffsetSpec),
  def('replica.fetch.max.bytes', 'INT', '1048576', true, atLeast(1)),
  def('replica.fetch.response.max.bytes', 'INT', '10485760', true, atLeast(1)),
  def('replica.fetch.min.bytes', 'INT', '1', true, atLeast(1)),
  def('replica.fetch.wait.max.ms', 'INT', '500', true, atLeast(0)),
  def('replica.fetch.backoff.ms', 'INT', '1000', true, atLeast(0)),
  def('consumer.offset.sync.enable', 'BOOLEAN', 'false', false),
  def('consumer.offset.sync.ms', 'INT', '30000', false, atLeast(1)),
  def('consumer.offset.group.filters', 'STRING', null, false),
  def('acl.sync.enable', 'BOOLEAN', 'false', false),
  def('acl.sync.ms', 'INT', '5000', false, atLeast(1)),
  def('acl.filters', 'STRING', null, false),
  def('auto.create.mirror.topics.enable', 'BOOLEAN', 'false', false),
  def('auto.create.mirror.topics.filters', 'STRING', null, false),
  def('cluster.link.retry.timeout.ms', 'INT', '300000', false, atLeast(0)),
  def('availability.check.ms', 'INT', '60000', false, atLeast(0)),
  def('availability.check.consecutive.failure.threshold', 'INT', '5', false, atLeast(1)),
];

const BY_NAME: ReadonlyMap<string, LinkConfigKey> = new Map(DEFS.map((d) => [d.name, d]));

/** TLS and SASL settings, stored for when the link speaks them: any name under these prefixes. */
const STORED_PREFIXES = ['ssl.', 'sasl.'];
const HIDDEN = '[hidden]';

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
    if (STORED_PREFIXES.some((p) => name.startsWith(p))) continue;
    const d = BY_NAME.get(name);
    if (!d) return `Unknown link config ${name}`;
    const checked = checkConfigValue(d, value);
    if ('problem' in checked) return invalidValueMessage(name, checked.problem);
  }
  return null;
}

/** The settings the link acts on, for configs that passed linkConfigsProblem(). */
export function resolveLinkSettings(linkName: string, configs: Readonly<Record<string, string>>): LinkSettings {
  const raw = (name: string) => (configs[name] ?? BY_NAME.get(name)!.default ?? '').trim();
  const num = (name: string) => {
    const checked = checkConfigValue(BY_NAME.get(name)!, raw(name));
    if ('problem' in checked) throw new Error(invalidValueMessage(name, checked.problem));
    return toSafeNumber(checked.value as number | bigint);
  };
  return {
    clientId: raw('client.id') || `outpost-link-${linkName}`,
    requestTimeoutMs: num('request.timeout.ms'),
    connectTimeoutMs: num('socket.connection.setup.timeout.ms'),
    reconnectBackoffMs: num('reconnect.backoff.ms'),
    reconnectBackoffMaxMs: Math.max(num('reconnect.backoff.ms'), num('reconnect.backoff.max.ms')),
    retryBackoffMs: num('retry.backoff.ms'),
    topicConfigSyncMs: num('topic.config.sync.ms'),
    startOffset: parseStartOffsetSpec(raw('mirror.start.offset.spec'))!,
    fetchMaxBytes: num('replica.fetch.max.bytes'),
    fetchResponseMaxBytes: num('replica.fetch.response.max.bytes'),
    fetchMinBytes: num('replica.fetch.min.bytes'),
    fetchWaitMaxMs: num('replica.fetch.wait.max.ms'),
    fetchBackoffMs: num('replica.fetch.backoff.ms'),
  };
}

/** Configs as shown to people: secrets (passwords, JAAS configs, keys) replaced. */
export function maskedLinkConfigs(configs: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(configs)) out[name] = isSensitiveConfig(name) ? HIDDEN : value;
  return out;
}

/** Every known config with its effective value (set, else default), secrets masked. */
export function effectiveLinkConfigs(configs: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of DEFS) {
    const v = configs[d.name] ?? d.default;
    if (v !== null) out[d.name] = v;
  }
  return maskedLinkConfigs({ ...out, ...configs });
}

/** The configs set here that this version stores but does not act on yet (told to the operator). */
export function storedOnlyConfigs(configs: Readonly<Record<string, string>>): string[] {
  return Object.keys(configs).filter((name) => !(BY_NAME.get(name)?.acted ?? false));
}
