// The topic configs outpost accepts, by Kafka name, with Kafka 4.4's types, defaults and checks,
// and the broker config each falls back to. Every topic config Kafka 4.4 has is here, also those
// outpost only stores and reports (compaction, compression levels, tiered storage, share-group
// dead-letter queues, the decompressed record limit), so that
// tools that create topics with them, or compare DescribeConfigs answers, meet no surprise.
import type { TopicConfig } from '../log/topic-config.js';
import { brokerConfigValue, brokerSynonyms, type BrokerConfigs } from './broker-configs.js';
import {
  CONFIG_TYPE_IDS, atLeast, between, betweenOrEqual, checkConfigValue, formatConfigValue, invalidValueMessage, listOf, oneOf,
  throttledReplicas, toSafeNumber, type ConfigKey, type ConfigValue,
} from './config-def.js';
import { CONFIG_SOURCE, describedConfig, isRequested, type ConfigSynonym, type DescribeOptions, type DescribedConfig } from './describe.js';

export interface TopicConfigKey extends ConfigKey {
  /** every topic config has a default */
  default: string;
  /** the broker config that supplies the default (Kafka's TOPIC_CONFIG_SYNONYMS) */
  serverDefault?: string;
}

const LONG_MAX = '9223372036854775807';

function key(name: string, type: ConfigKey['type'], dflt: string, serverDefault?: string, validator?: ConfigKey['validator']): TopicConfigKey {
  return { name, type, default: dflt, serverDefault, validator };
}

// In Kafka's definition order, which is the order it parses (and so reports bad) values in.
const TOPIC_KEYS: TopicConfigKey[] = [
  // Kafka 4.4 checks only that a segment can hold a record header; the broker-wide
  // log.segment.bytes is the one held to 1 MiB.
  key('segment.bytes', 'INT', '1073741824', 'log.segment.bytes', atLeast(14)),
  key('segment.ms', 'LONG', '604800000', 'log.roll.ms', atLeast(1)),
  key('segment.jitter.ms', 'LONG', '0', 'log.roll.jitter.ms', atLeast(0)),
  key('segment.index.bytes', 'INT', '10485760', 'log.index.size.max.bytes', atLeast(4)),
  key('flush.messages', 'LONG', LONG_MAX, 'log.flush.interval.messages', atLeast(1)),
  key('flush.ms', 'LONG', LONG_MAX, 'log.flush.interval.ms', atLeast(0)),
  key('retention.bytes', 'LONG', '-1', 'log.retention.bytes'),
  key('retention.ms', 'LONG', '604800000', 'log.retention.ms', atLeast(-1)),
  key('max.message.bytes', 'INT', '1048588', 'message.max.bytes', atLeast(0)),
  key('index.interval.bytes', 'INT', '4096', 'log.index.interval.bytes', atLeast(0)),
  key('delete.retention.ms', 'LONG', '86400000', 'log.cleaner.delete.retention.ms', atLeast(0)),
  key('min.compaction.lag.ms', 'LONG', '0', 'log.cleaner.min.compaction.lag.ms', atLeast(0)),
  key('max.compaction.lag.ms', 'LONG', LONG_MAX, 'log.cleaner.max.compaction.lag.ms', atLeast(1)),
  key('file.delete.delay.ms', 'LONG', '60000', 'log.segment.delete.delay.ms', atLeast(0)),
  key('min.cleanable.dirty.ratio', 'DOUBLE', '0.5', 'log.cleaner.min.cleanable.ratio', between(0, 1)),
  key('cleanup.policy', 'LIST', 'delete', 'log.cleanup.policy', listOf('compact', 'delete')),
  key('unclean.leader.election.enable', 'BOOLEAN', 'false', 'unclean.leader.election.enable'),
  key('min.insync.replicas', 'INT', '1', 'min.insync.replicas', atLeast(1)),
  key('compression.type', 'STRING', 'producer', 'compression.type', oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer')),
  key('compression.gzip.level', 'INT', '-1', 'compression.gzip.level', betweenOrEqual(1, 9, -1)),
  key('compression.lz4.level', 'INT', '9', 'compression.lz4.level', between(1, 17)),
  key('compression.zstd.level', 'INT', '3', 'compression.zstd.level', between(-131072, 22)),
  key('preallocate', 'BOOLEAN', 'false', 'log.preallocate'),
  key('message.timestamp.type', 'STRING', 'CreateTime', 'log.message.timestamp.type', oneOf('CreateTime', 'LogAppendTime')),
  key('message.timestamp.before.max.ms', 'LONG', LONG_MAX, 'log.message.timestamp.before.max.ms', atLeast(0)),
  key('message.timestamp.after.max.ms', 'LONG', '3600000', 'log.message.timestamp.after.max.ms', atLeast(0)),
  key('leader.replication.throttled.replicas', 'LIST', '', undefined, throttledReplicas('leader.replication.throttled.replicas')),
  key('follower.replication.throttled.replicas', 'LIST', '', undefined, throttledReplicas('follower.replication.throttled.replicas')),
  key('remote.storage.enable', 'BOOLEAN', 'false'),
  key('local.retention.ms', 'LONG', '-2', 'log.local.retention.ms', atLeast(-2)),
  key('local.retention.bytes', 'LONG', '-2', 'log.local.retention.bytes', atLeast(-2)),
  key('remote.log.copy.disable', 'BOOLEAN', 'false'),
  key('remote.log.delete.on.disable', 'BOOLEAN', 'false'),
  key('remote.copy.lag.ms', 'LONG', '0', 'log.remote.copy.lag.ms', atLeast(-1)),
  key('remote.copy.lag.bytes', 'LONG', '-1', 'log.remote.copy.lag.bytes', atLeast(-1)),
  key('errors.deadletterqueue.group.enable', 'BOOLEAN', 'false'),
  key('max.decompressed.message.bytes', 'INT', '2147483639', 'max.decompressed.message.bytes', between(1, 2147483639)),
];

const TOPIC_CONFIG_KEYS: ReadonlyMap<string, TopicConfigKey> = new Map(TOPIC_KEYS.map((k) => [k.name, k]));

/** A topic config's type and default by name, or undefined for a name Kafka does not know. */
export function topicConfigKey(name: string): TopicConfigKey | undefined {
  return TOPIC_CONFIG_KEYS.get(name);
}

// The order a Kafka 4.4 broker lists a topic's configs in DescribeConfigs. It walks a hash map
// of this fixed set of names, so the order looks arbitrary but never changes.
const DESCRIBE_ORDER = [
  'compression.type', 'errors.deadletterqueue.group.enable', 'remote.copy.lag.bytes', 'remote.log.delete.on.disable',
  'leader.replication.throttled.replicas', 'remote.storage.enable', 'min.insync.replicas', 'segment.jitter.ms',
  'remote.log.copy.disable', 'local.retention.ms', 'cleanup.policy', 'flush.ms',
  'follower.replication.throttled.replicas', 'compression.lz4.level', 'segment.bytes', 'retention.ms',
  'compression.gzip.level', 'remote.copy.lag.ms', 'flush.messages', 'compression.zstd.level',
  'max.compaction.lag.ms', 'file.delete.delay.ms', 'max.message.bytes', 'min.compaction.lag.ms',
  'message.timestamp.type', 'local.retention.bytes', 'preallocate', 'index.interval.bytes',
  'min.cleanable.dirty.ratio', 'unclean.leader.election.enable', 'retention.bytes', 'delete.retention.ms',
  'message.timestamp.after.max.ms', 'max.decompressed.message.bytes', 'message.timestamp.before.max.ms',
  'segment.ms', 'segment.index.bytes',
];

export interface TopicConfigProblem {
  name: string;
  /** Kafka's INVALID_CONFIG message */
  message: string;
}

/** Every topic config's effective value: the override, else the broker's, else Kafka's default. */
function effectiveValues(overrides: Readonly<Record<string, string>>, broker: BrokerConfigs): Map<string, ConfigValue> {
  const values = new Map<string, ConfigValue>();
  for (const k of TOPIC_KEYS) {
    if (Object.hasOwn(overrides, k.name)) {
      const checked = checkConfigValue(k, overrides[k.name]);
      // Overrides are checked before they are stored: one that fails here is a bug or a damaged store.
      if ('problem' in checked) throw new Error(invalidValueMessage(k.name, checked.problem));
      values.set(k.name, checked.value);
    } else {
      const fromBroker = k.serverDefault === undefined ? null : brokerConfigValue(broker, k.serverDefault);
      values.set(k.name, fromBroker ?? (checkConfigValue(k, k.default) as { value: ConfigValue }).value);
    }
  }
  return values;
}

/**
 * Checks a topic's overrides as Kafka does on CreateTopics and AlterConfigs: names first, then
 * values in definition order, then the checks across configs. `broker` matters only to the
 * compaction-lag check, which compares against the broker's default when one side is not given.
 */
export function validateTopicConfigs(overrides: Readonly<Record<string, string>>, broker: BrokerConfigs = {}): TopicConfigProblem | null {
  for (const name of Object.keys(overrides)) {
    if (!TOPIC_CONFIG_KEYS.has(name)) return { name, message: `Unknown topic config name: ${name}` };
  }
  for (const k of TOPIC_KEYS) {
    if (!Object.hasOwn(overrides, k.name)) continue;
    const checked = checkConfigValue(k, overrides[k.name]);
    if ('problem' in checked) return { name: k.name, message: invalidValueMessage(k.name, checked.problem) };
  }
  const values = effectiveValues(overrides, broker);
  const minLag = values.get('min.compaction.lag.ms') as bigint;
  const maxLag = values.get('max.compaction.lag.ms') as bigint;
  if (minLag > maxLag) {
    return { name: 'min.compaction.lag.ms', message: `conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})` };
  }
  if (values.get('remote.storage.enable') === true) {
    return { name: 'remote.storage.enable', message: 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.' };
  }
  return null;
}

/** The settings the log acts on, for overrides that passed validateTopicConfigs. */
export function resolveTopicConfig(overrides: Readonly<Record<string, string>>, broker: BrokerConfigs): TopicConfig {
  const values = effectiveValues(overrides, broker);
  const num = (name: string) => toSafeNumber(values.get(name) as number | bigint);
  return {
    segmentBytes: num('segment.bytes'),
    segmentMs: num('segment.ms'),
    segmentIndexBytes: num('segment.index.bytes'),
    indexIntervalBytes: num('index.interval.bytes'),
    retentionMs: num('retention.ms'),
    retentionBytes: num('retention.bytes'),
    // -2: as the log's retention (Kafka's tiered-storage default).
    localRetentionMs: num('local.retention.ms') === -2 ? num('retention.ms') : num('local.retention.ms'),
    localRetentionBytes: num('local.retention.bytes') === -2 ? num('retention.bytes') : num('local.retention.bytes'),
    maxMessageBytes: num('max.message.bytes'),
    cleanupPolicy: formatConfigValue('LIST', values.get('cleanup.policy')!),
    minCleanableDirtyRatio: Number(values.get('min.cleanable.dirty.ratio')),
    minCompactionLagMs: num('min.compaction.lag.ms'),
    maxCompactionLagMs: num('max.compaction.lag.ms'),
    deleteRetentionMs: num('delete.retention.ms'),
    flushMessages: num('flush.messages'),
    flushMs: num('flush.ms'),
    messageTimestampType: values.get('message.timestamp.type') as TopicConfig['messageTimestampType'],
    messageTimestampBeforeMaxMs: num('message.timestamp.before.max.ms'),
    messageTimestampAfterMaxMs: num('message.timestamp.after.max.ms'),
    minInsyncReplicas: num('min.insync.replicas'),
    fileDeleteDelayMs: num('file.delete.delay.ms'),
  };
}

/**
 * DescribeConfigs for a TOPIC resource, as Kafka 4.4 answers it: every topic config, each with
 * its source and synonyms (the topic's override, then the broker synonyms of the config it falls
 * back to). Values are written as Kafka writes them, so " 100 " reads back as "100".
 */
export function describeTopicConfigs(overrides: Readonly<Record<string, string>>, broker: BrokerConfigs, opts: DescribeOptions): DescribedConfig[] {
  const values = effectiveValues(overrides, broker);
  const out: DescribedConfig[] = [];
  for (const name of DESCRIBE_ORDER) {
    if (!isRequested(opts, name)) continue;
    const k = TOPIC_CONFIG_KEYS.get(name)!;
    const value = formatConfigValue(k.type, values.get(name)!);
    const synonyms: ConfigSynonym[] = k.serverDefault === undefined ? [] : brokerSynonyms(broker, k.serverDefault);
    if (Object.hasOwn(overrides, name)) synonyms.unshift({ name, value, source: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG });
    out.push(describedConfig(name, value, CONFIG_TYPE_IDS[k.type], false, synonyms, opts.includeSynonyms));
  }
  return out;
}
