// The broker configs outpost knows, by Kafka name, with Kafka 4.4's types, defaults and checks;
// which of them AlterConfigs may change at run time; and what DescribeConfigs answers for a
// BROKER resource. Kafka has some 290 broker configs: only those outpost acts on, or that a
// topic config falls back to, are here.
import {
  CONFIG_TYPE_IDS, atLeast, between, betweenOrEqual, checkConfigValue, formatConfigValue, invalidValueMessage, listOf, oneOf, toSafeNumber,
  type ConfigKey, type ConfigValue,
} from './config-def.js';
import { CONFIG_SOURCE, describedConfig, isRequested, type ConfigSynonym, type DescribeOptions, type DescribedConfig } from './describe.js';

export interface BrokerConfigKey extends ConfigKey {
  /** Kafka's "cluster-wide" update mode: AlterConfigs may set it for this broker or for "" */
  dynamic: boolean;
}

const LONG_MAX = '9223372036854775807';

function key(name: string, type: ConfigKey['type'], dflt: string | null, dynamic: boolean, validator?: ConfigKey['validator']): BrokerConfigKey {
  return { name, type, default: dflt, dynamic, validator };
}

// In the order a Kafka 4.4 broker lists them in DescribeConfigs (it walks a hash map, so the
// order looks arbitrary but is fixed); tools that diff the two answers line up this way.
const BROKER_KEYS: BrokerConfigKey[] = [
  key('log.cleaner.min.compaction.lag.ms', 'LONG', '0', true, atLeast(0)),
  key('offsets.topic.num.partitions', 'INT', '50', false, atLeast(1)),
  key('log.flush.interval.messages', 'LONG', LONG_MAX, true, atLeast(1)),
  key('log.flush.interval.ms', 'LONG', null, true),
  key('min.insync.replicas', 'INT', '1', true, atLeast(1)),
  key('message.max.bytes', 'INT', '1048588', true, atLeast(0)),
  key('log.roll.jitter.hours', 'INT', '0', false, atLeast(0)),
  key('log.cleaner.delete.retention.ms', 'LONG', '86400000', true, atLeast(0)),
  // Applied as read at start-up (Kafka can change it at run time).
  key('log.cleaner.backoff.ms', 'LONG', '15000', false, atLeast(0)),
  key('offsets.topic.segment.bytes', 'INT', '104857600', false, atLeast(1)),
  key('socket.request.max.bytes', 'INT', '104857600', false, atLeast(1)),
  key('log.message.timestamp.type', 'STRING', 'CreateTime', true, oneOf('CreateTime', 'LogAppendTime')),
  key('connections.max.idle.ms', 'LONG', '600000', false),
  // Applied as read at start-up (Kafka can change the first two at run time).
  key('max.connections', 'INT', '2147483647', false, atLeast(0)),
  key('log.retention.hours', 'INT', '168', false),
  key('log.roll.ms', 'LONG', null, true),
  // No default, as in Kafka, where every broker's properties must set it: loadSettings does.
  key('node.id', 'INT', null, false, atLeast(0)),
  key('log.local.retention.ms', 'LONG', '-2', true, atLeast(-2)),
  key('max.connections.per.ip', 'INT', '2147483647', false, atLeast(0)),
  key('log.segment.bytes', 'INT', '1073741824', true, atLeast(1048576)),
  key('group.max.session.timeout.ms', 'INT', '1800000', false),
  key('log.message.timestamp.after.max.ms', 'LONG', '3600000', true, atLeast(0)),
  key('log.retention.minutes', 'INT', null, false),
  key('log.segment.delete.delay.ms', 'LONG', '60000', true, atLeast(0)),
  key('log.message.timestamp.before.max.ms', 'LONG', LONG_MAX, true, atLeast(0)),
  key('log.cleaner.min.cleanable.ratio', 'DOUBLE', '0.5', true, between(0, 1)),
  key('compression.gzip.level', 'INT', '-1', true, betweenOrEqual(1, 9, -1)),
  key('unclean.leader.election.enable', 'BOOLEAN', 'false', true),
  key('max.decompressed.message.bytes', 'INT', '2147483639', true, between(1, 2147483639)),
  key('offsets.retention.check.interval.ms', 'LONG', '600000', false, atLeast(1)),
  key('log.remote.copy.lag.ms', 'LONG', '0', true, atLeast(-1)),
  key('log.retention.check.interval.ms', 'LONG', '300000', true, atLeast(1)),
  // Kafka defaults to true; outpost to false, so that a mirror's topic name is never taken first by
  // an accidental auto-create from a stray producer or consumer.
  key('auto.create.topics.enable', 'BOOLEAN', 'false', false),
  key('log.remote.copy.lag.bytes', 'LONG', '-1', true, atLeast(-1)),
  key('default.replication.factor', 'INT', '1', false),
  key('log.preallocate', 'BOOLEAN', 'false', true),
  key('delete.topic.enable', 'BOOLEAN', 'true', false),
  key('log.cleaner.max.compaction.lag.ms', 'LONG', LONG_MAX, true, atLeast(1)),
  key('log.retention.ms', 'LONG', null, true),
  key('log.local.retention.bytes', 'LONG', '-2', true, atLeast(-2)),
  key('log.retention.bytes', 'LONG', '-1', true),
  key('offsets.retention.minutes', 'INT', '10080', false, atLeast(1)),
  key('compression.zstd.level', 'INT', '3', true, between(-131072, 22)),
  key('num.partitions', 'INT', '1', false, atLeast(1)),
  key('log.flush.scheduler.interval.ms', 'LONG', LONG_MAX, false),
  key('log.index.size.max.bytes', 'INT', '10485760', true, atLeast(4)),
  key('compression.lz4.level', 'INT', '9', true, between(1, 17)),
  key('log.roll.hours', 'INT', '168', false, atLeast(1)),
  key('log.cleanup.policy', 'LIST', 'delete', true, listOf('compact', 'delete')),
  key('log.roll.jitter.ms', 'LONG', null, true),
  key('group.initial.rebalance.delay.ms', 'INT', '3000', false),
  key('log.index.interval.bytes', 'INT', '4096', true, atLeast(0)),
  key('offset.metadata.max.bytes', 'INT', '4096', false),
  key('fetch.max.bytes', 'INT', '57671680', false, atLeast(1024)),
  key('compression.type', 'STRING', 'producer', true, oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer')),
  key('max.incremental.fetch.session.cache.slots', 'INT', '1000', false, atLeast(0)),
  key('group.min.session.timeout.ms', 'INT', '6000', false),
  // KIP-848 members: the interval and timeout must lie within their min and max (groupConfig checks).
  key('group.consumer.heartbeat.interval.ms', 'INT', '5000', false, atLeast(1)),
  key('group.consumer.min.heartbeat.interval.ms', 'INT', '5000', false, atLeast(1)),
  key('group.consumer.max.heartbeat.interval.ms', 'INT', '15000', false, atLeast(1)),
  key('group.consumer.session.timeout.ms', 'INT', '45000', false, atLeast(1)),
  key('group.consumer.min.session.timeout.ms', 'INT', '45000', false, atLeast(1)),
  key('group.consumer.max.session.timeout.ms', 'INT', '60000', false, atLeast(1)),
  key('group.max.size', 'INT', '2147483647', false, atLeast(1)),
  // Kafka's default is -1, unbounded; outpost bounds it (see RequestMemory).
  key('queued.max.request.bytes', 'LONG', '209715200', false, atLeast(-1)),
  // The key of the cluster links' secrets at rest (the link store); the old one opens what was
  // sealed before it was changed.
  key('password.encoder.secret', 'PASSWORD', null, false),
  key('password.encoder.old.secret', 'PASSWORD', null, false),
  // Listeners (see listeners.ts). outpost's default binds loopback only: Kafka's binds every
  // interface, which a broker without authentication should not do unasked.
  key('listeners', 'STRING', 'PLAINTEXT://127.0.0.1:9092', false),
  key('advertised.listeners', 'STRING', null, false),
  key('listener.security.protocol.map', 'STRING', 'SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT', false),
  // TLS on listeners, with Kafka's names and defaults (each may be set per listener).
  key('ssl.protocol', 'STRING', 'TLSv1.3', false, oneOf('TLSv1.2', 'TLSv1.3', 'TLS')),
  key('ssl.enabled.protocols', 'LIST', 'TLSv1.2,TLSv1.3', false, listOf('TLSv1.2', 'TLSv1.3')),
  key('ssl.cipher.suites', 'LIST', '', false),
  key('ssl.endpoint.identification.algorithm', 'STRING', 'https', false),
  key('ssl.keystore.type', 'STRING', 'JKS', false, oneOf('JKS', 'PKCS12', 'PEM')),
  key('ssl.keystore.location', 'STRING', null, false),
  key('ssl.keystore.password', 'PASSWORD', null, false),
  key('ssl.key.password', 'PASSWORD', null, false),
  key('ssl.keystore.key', 'PASSWORD', null, false),
  key('ssl.keystore.certificate.chain', 'PASSWORD', null, false),
  key('ssl.truststore.type', 'STRING', 'JKS', false, oneOf('JKS', 'PKCS12', 'PEM')),
  key('ssl.truststore.location', 'STRING', null, false),
  key('ssl.truststore.password', 'PASSWORD', null, false),
  key('ssl.truststore.certificates', 'PASSWORD', null, false),
  key('ssl.client.auth', 'STRING', 'none', false, oneOf('required', 'requested', 'none')),
  key('ssl.principal.mapping.rules', 'STRING', 'DEFAULT', false),
  // SASL on listeners. Kafka's default mechanism list is GSSAPI, which outpost refuses by name.
  key('sasl.enabled.mechanisms', 'LIST', 'GSSAPI', false),
  key('sasl.server.max.receive.size', 'INT', '524288', false, atLeast(1)),
  key('connections.max.reauth.ms', 'LONG', '0', false, atLeast(0)),
  key('connection.failed.authentication.delay.ms', 'INT', '100', false, atLeast(0)),
  key('sasl.oauthbearer.jwks.endpoint.url', 'STRING', null, false),
  key('sasl.oauthbearer.jwks.endpoint.refresh.ms', 'LONG', '3600000', false, atLeast(1)),
  key('sasl.oauthbearer.expected.audience', 'LIST', null, false),
  key('sasl.oauthbearer.expected.issuer', 'STRING', null, false),
  key('sasl.oauthbearer.sub.claim.name', 'STRING', 'sub', false),
  key('sasl.oauthbearer.scope.claim.name', 'STRING', 'scope', false),
  key('sasl.oauthbearer.clock.skew.buffer.seconds', 'INT', '30', false, atLeast(0)),
  // ACLs: on when the authorizer names Kafka's StandardAuthorizer, the only one outpost has.
  key('authorizer.class.name', 'STRING', '', false, oneOf('', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer')),
  key('super.users', 'STRING', null, false),
  key('allow.everyone.if.no.acl.found', 'BOOLEAN', 'false', false),
  // The transaction coordinator, read at start-up (the topic's two when it is created).
  key('transaction.max.timeout.ms', 'INT', '900000', false, atLeast(1)),
  key('transactional.id.expiration.ms', 'INT', '604800000', false, atLeast(1)),
  key('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'INT', '10000', false, atLeast(1)),
  key('transaction.remove.expired.transaction.cleanup.interval.ms', 'INT', '3600000', false, atLeast(1)),
  key('transaction.state.log.num.partitions', 'INT', '50', false, atLeast(1)),
  key('transaction.state.log.segment.bytes', 'INT', '104857600', false, atLeast(1)),
];

const BROKER_CONFIG_KEYS: ReadonlyMap<string, BrokerConfigKey> = new Map(BROKER_KEYS.map((k) => [k.name, k]));

/** A broker config's type and default by name, or undefined for a name outpost does not know. */
export function brokerConfigKey(name: string): BrokerConfigKey | undefined {
  return BROKER_CONFIG_KEYS.get(name);
}

/**
 * A broker's configs in the layers DescribeConfigs tells apart, highest precedence last in the
 * constructor: static (the settings file and flags), then AlterConfigs on the cluster default
 * resource "", then AlterConfigs on this broker's own id.
 */
export class BrokerConfigLayers {
  constructor(
    readonly staticConfigs: Readonly<Record<string, string>>,
    readonly dynamicDefault: Readonly<Record<string, string>> = {},
    readonly dynamicBroker: Readonly<Record<string, string>> = {},
  ) {}
}

/** A plain map is taken as the static layer alone. */
export type BrokerConfigs = Readonly<Record<string, string>> | BrokerConfigLayers;

function layersOf(broker: BrokerConfigs): BrokerConfigLayers {
  return broker instanceof BrokerConfigLayers ? broker : new BrokerConfigLayers(broker);
}

// Kafka's synonym groups: the first name wins, the others are fallbacks in coarser units.
const SYNONYM_GROUPS = [
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
];
const MS_PER_UNIT: Record<string, bigint> = {
  'log.retention.minutes': 60_000n,
  'log.retention.hours': 3_600_000n,
  'log.roll.hours': 3_600_000n,
  'log.roll.jitter.hours': 3_600_000n,
};

/** Kafka's brokerConfigSynonyms: the names consulted, in order, for a config's value. */
function synonymsOf(name: string): string[] {
  // A one-way fallback: log.flush.scheduler.interval.ms has no synonym of its own.
  if (name === 'log.flush.interval.ms') return [name, 'log.flush.scheduler.interval.ms'];
  return SYNONYM_GROUPS.find((g) => g.includes(name)) ?? [name];
}

function layerList(layers: BrokerConfigLayers): [Readonly<Record<string, string>>, number][] {
  return [
    [layers.dynamicBroker, CONFIG_SOURCE.DYNAMIC_BROKER_CONFIG],
    [layers.dynamicDefault, CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG],
    [layers.staticConfigs, CONFIG_SOURCE.STATIC_BROKER_CONFIG],
  ];
}

function knownKey(name: string): BrokerConfigKey {
  const k = BROKER_CONFIG_KEYS.get(name);
  if (!k) throw new Error(`unknown broker config ${name}`);
  return k;
}

function parseStored(k: ConfigKey, raw: string): ConfigValue {
  const checked = checkConfigValue(k, raw);
  // Stored values were checked when set (settings load, AlterConfigs): a bad one is a bug.
  if ('problem' in checked) throw new Error(invalidValueMessage(k.name, checked.problem));
  return checked.value;
}

/** The raw value of one name, from the highest layer that has it, else its default. */
function ownRaw(name: string, layers: BrokerConfigLayers): string | null {
  for (const [layer] of layerList(layers)) if (Object.hasOwn(layer, name)) return layer[name];
  return knownKey(name).default;
}

function ownValue(name: string, layers: BrokerConfigLayers): ConfigValue | null {
  const raw = ownRaw(name, layers);
  return raw === null ? null : parseStored(knownKey(name), raw);
}

/**
 * The value a config takes effect with: for the head of a synonym group (log.retention.ms,
 * log.roll.ms, log.roll.jitter.ms, log.flush.interval.ms) the first name of the group that has a
 * value, converted to milliseconds; for any other name its own value.
 */
export function brokerConfigValue(broker: BrokerConfigs, name: string): ConfigValue | null {
  const layers = layersOf(broker);
  const group = synonymsOf(name);
  if (group[0] !== name) return ownValue(name, layers);
  for (const n of group) {
    const v = ownValue(n, layers);
    if (v === null) continue;
    const unit = MS_PER_UNIT[n];
    const ms = unit === undefined ? v : BigInt(v as number) * unit;
    // Kafka takes any negative retention as "unlimited".
    return name === 'log.retention.ms' && (ms as bigint) < 0n ? -1n : ms;
  }
  return null;
}

/** A numeric broker config as a JS number; longs past 2^53 ("never") become MAX_SAFE_INTEGER. */
export function brokerNumber(broker: BrokerConfigs, name: string): number {
  const v = brokerConfigValue(broker, name);
  if (typeof v !== 'number' && typeof v !== 'bigint') throw new Error(`broker config ${name} is not a number: ${String(v)}`);
  return toSafeNumber(v);
}

export function brokerBoolean(broker: BrokerConfigs, name: string): boolean {
  const v = brokerConfigValue(broker, name);
  if (typeof v !== 'boolean') throw new Error(`broker config ${name} is not a boolean: ${String(v)}`);
  return v;
}

/**
 * Kafka's synonym list for a broker config: every layer's value for each name of its group,
 * layer by layer, then dropped up to the first entry for `name` itself. So retention.ms on a
 * default broker lists nothing: log.retention.hours has a value but log.retention.ms none.
 */
export function brokerSynonyms(broker: BrokerConfigs, name: string): ConfigSynonym[] {
  const layers = layersOf(broker);
  const names = synonymsOf(name);
  const out: ConfigSynonym[] = [];
  for (const [layer, source] of layerList(layers)) {
    for (const n of names) if (Object.hasOwn(layer, n)) out.push({ name: n, value: layer[n], source });
  }
  for (const n of names) {
    const dflt = knownKey(n).default;
    if (dflt !== null) out.push({ name: n, value: dflt, source: CONFIG_SOURCE.DEFAULT_CONFIG });
  }
  const first = out.findIndex((s) => s.name === name);
  return first === -1 ? [] : out.slice(first);
}

/**
 * DescribeConfigs for a BROKER resource. For this broker's own id: every known config with its
 * effective value. For the cluster default resource "" (`clusterDefault`): only what AlterConfigs
 * set there, as Kafka answers. Checking that the resource names this broker is the caller's job.
 */
export function describeBrokerConfigs(broker: BrokerConfigs, opts: DescribeOptions & { clusterDefault?: boolean }): DescribedConfig[] {
  const layers = layersOf(broker);
  const out: DescribedConfig[] = [];
  for (const k of BROKER_KEYS) {
    if (!isRequested(opts, k.name)) continue;
    if (opts.clusterDefault && !Object.hasOwn(layers.dynamicDefault, k.name)) continue;
    let synonyms = brokerSynonyms(layers, k.name);
    if (opts.clusterDefault) synonyms = synonyms.filter((s) => s.source === CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG);
    const own = ownValue(k.name, layers);
    const value = opts.clusterDefault ? layers.dynamicDefault[k.name] ?? null : own === null ? null : formatConfigValue(k.type, own);
    out.push(describedConfig(k.name, value, CONFIG_TYPE_IDS[k.type], !k.dynamic, synonyms, opts.includeSynonyms));
  }
  return out;
}

/**
 * Checks an AlterConfigs / IncrementalAlterConfigs change to a broker resource (its id or ""):
 * name → new value, or null to delete. Returns Kafka's INVALID_REQUEST message, or null.
 * Unlike Kafka, which stores names it does not know, outpost refuses them with the read-only ones.
 */
export function validateBrokerConfigChanges(changes: Readonly<Record<string, string | null>>): string | null {
  const fixed = Object.keys(changes).filter((n) => !BROKER_CONFIG_KEYS.get(n)?.dynamic);
  // Kafka 4.4 prints the names as a Java list.
  if (fixed.length > 0) return `Cannot update these configs dynamically: [${fixed.join(', ')}]`;
  for (const [name, raw] of Object.entries(changes)) {
    if (raw === null) continue;
    const checked = checkConfigValue(knownKey(name), raw);
    if ('problem' in checked) return invalidValueMessage(name, checked.problem);
  }
  return null;
}

/** Checks one static broker config (settings file or flags); returns what is wrong, or null. */
export function checkStaticBrokerConfig(name: string, raw: string): string | null {
  const k = BROKER_CONFIG_KEYS.get(name);
  if (!k) return 'not a broker config outpost knows';
  const checked = checkConfigValue(k, raw);
  return 'problem' in checked ? `invalid value ${JSON.stringify(raw)}: ${checked.problem.reason}` : null;
}
