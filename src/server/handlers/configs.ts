// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs for TOPIC, BROKER and BROKER_LOGGER
// resources. Kafka splits the work between the broker (request shape, BROKER and BROKER_LOGGER
// changes) and its controller (topic names, values, existence); outpost makes the same checks in
// the same order, with the same error codes and messages, as a Kafka 4.4 broker answers them.
import { KafkaError, errorCode } from '../../../protocol/errors.js';
import { describeBrokerConfigs, validateBrokerConfigChanges } from '../../config/broker-configs.js';
import { CONFIG_SOURCE, kafkaMapOrder, type DescribedConfig } from '../../config/describe.js';
import { CONFIG_TYPE_IDS } from '../../config/config-def.js';
import { MIRROR_SOURCE_CLUSTER_CONFIG } from '../../link/types.js';
import { describeTopicConfigs, resolveTopicConfig, validateTopicConfigs } from '../../config/topic-configs.js';
import { CONFIG_OP, ConfigError, applyBrokerOps, applyTopicOps, type ConfigOp, type Configs } from '../config-ops.js';
import type { BrokerContext } from '../context.js';
import type { DynamicLayer } from '../dynamic-configs.js';
import { topicNameProblem } from '../../log/topic-names.js';
import { checkListenerConfig, isReloadableListenerConfig } from '../../config/listeners.js';
import { permits, refusal } from '../authorization.js';
import type { RequestContext } from '../connection.js';
import { defineHandler, type HandlerFactory } from './handler.js';

/** Kafka's ConfigResource.Type ids; GROUP and CLIENT_METRICS are not served. */
const RESOURCE = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;
/** Every type Kafka 4.4 knows (those above, CLIENT_METRICS 16, GROUP 32). */
const KAFKA_TYPES = new Set([2, 4, 8, 16, 32]);

// Kafka's default text for INVALID_REQUEST, which DescribeConfigs gives for a resource type it
// does not serve.
const MALFORMED =
  'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.';

interface Resource {
  resourceType: number;
  resourceName: string;
}

function fail(error: ConfigError['error'], reply: string | null): never {
  throw new ConfigError(error, reply);
}

function outcome(err: unknown): { errorCode: number; errorMessage: string | null } {
  if (err instanceof ConfigError) return { errorCode: errorCode(err.error), errorMessage: err.reply };
  if (err instanceof KafkaError) return { errorCode: err.code, errorMessage: err.message };
  throw err;
}

/** Java's Integer.parseInt, which Kafka applies to broker ids in resource names; null where it throws. */
function javaInt(text: string): number | null {
  if (!/^[+-]?\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : null;
}

// ---- DescribeConfigs -------------------------------------------------------------------------

type DescribeResource = Resource & { configurationKeys: string[] | null };

/**
 * The entries in Kafka's order. The describers list every config in the order of Kafka's full
 * listing; for a topic Kafka builds a smaller map, with its own order, when only some keys are
 * asked for, while a broker's asked-for keys keep the full listing's order (as on Kafka 4.4).
 */
function describeResource(b: BrokerContext, r: DescribeResource, includeSynonyms: boolean): DescribedConfig[] {
  const opts = { includeSynonyms, keys: r.configurationKeys };
  const name = r.resourceName;
  switch (r.resourceType) {
    case RESOURCE.TOPIC: {
      const invalid = topicNameProblem(name);
      if (invalid) fail('INVALID_TOPIC_EXCEPTION', invalid);
      const topic = b.logs.topic(name);
      // Kafka 4.4 sets no message here: the field keeps its default, the empty string.
      if (!topic) fail('UNKNOWN_TOPIC_OR_PARTITION', '');
      const entries = describeTopicConfigs(topic.configs, b.brokerConfigs, opts);
      const mirrorSource = mirrorSourceEntry(b, name, r.configurationKeys);
      if (mirrorSource) entries.push(mirrorSource);
      return r.configurationKeys?.length ? kafkaMapOrder(entries) : entries;
    }
    case RESOURCE.BROKER: {
      // Kafka lists the cluster default from a map of just what was set there.
      if (name === '') return kafkaMapOrder(describeBrokerConfigs(b.brokerConfigs, { ...opts, clusterDefault: true }));
      const id = javaInt(name);
      if (id === null) fail('INVALID_REQUEST', `Broker id must be an integer, but it is: ${name}`);
      if (id !== b.nodeId) fail('INVALID_REQUEST', `Unexpected broker id, expected ${b.nodeId} or empty string, but received ${name}`);
      return describeBrokerConfigs(b.brokerConfigs, opts);
    }
    case RESOURCE.BROKER_LOGGER: {
      if (name === '') fail('INVALID_REQUEST', 'Broker id must not be empty');
      const id = javaInt(name);
      if (id === null) fail('INVALID_REQUEST', `Broker id must be an integer, but it is: ${name}`);
      if (id !== b.nodeId) fail('INVALID_REQUEST', `Unexpected broker id, expected ${b.nodeId} but received ${name}`);
      // Kafka lists its log4j loggers here. outpost logs through pino and has none, so it answers
      // as Kafka does when asked for a logger that does not exist: with no entries.
      return [];
    }
    default:
      fail('INVALID_REQUEST', MALFORMED);
  }
}

/**
 * A mirror topic's source cluster, answered only to a request naming it (a link checking that it
 * does not mirror a topic back to where it came from): a full listing stays Kafka's.
 */
function mirrorSourceEntry(b: BrokerContext, topic: string, keys: readonly string[] | null): DescribedConfig | null {
  if (!keys?.includes(MIRROR_SOURCE_CLUSTER_CONFIG)) return null;
  const sourceClusterId = b.links?.mirrorOf(topic)?.sourceClusterId;
  if (!sourceClusterId) return null;
  return {
    name: MIRROR_SOURCE_CLUSTER_CONFIG, value: sourceClusterId, readOnly: true, configSource: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG,
    isSensitive: false, configType: CONFIG_TYPE_IDS.STRING, documentation: null, synonyms: [],
  };
}

/**
 * Whether the client may read (Describe) or change (Alter, IncrementalAlter) a resource's configs:
 * a topic's with its name, a broker's (and its loggers') on the cluster. Refused, the resource is
 * answered with the rule's error, Kafka's default message with it.
 */
function checkAuthorized(b: BrokerContext, ctx: RequestContext, api: 'DescribeConfigs' | 'AlterConfigs' | 'IncrementalAlterConfigs', r: Resource): void {
  const rule = r.resourceType === RESOURCE.TOPIC ? (`${api}.topic` as const) : (`${api}.broker` as const);
  if (!permits(b, ctx, rule, r.resourceType === RESOURCE.TOPIC ? r.resourceName : undefined)) {
    const error = refusal(rule) as ConfigError['error'];
    fail(error, error === 'TOPIC_AUTHORIZATION_FAILED' ? 'Topic authorization failed.' : 'Cluster authorization failed.');
  }
}

// Documentation (v3+) stays null even when asked for: Kafka's texts are not carried, and null is
// what Kafka itself sends for a config without one.
const describeConfigs = defineHandler('DescribeConfigs', [1, 4], (b, req, ctx) => {
  const results = req.resources.map((r: DescribeResource) => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      // A type Kafka does not know fails its whole request: every resource gets this error.
      if (!req.resources.every((x: Resource) => KAFKA_TYPES.has(x.resourceType))) fail('INVALID_REQUEST', MALFORMED);
      checkAuthorized(b, ctx, 'DescribeConfigs', r);
      // Kafka leaves errorMessage at its default, the empty string, when all is well.
      return { ...base, errorCode: 0, errorMessage: '', configs: describeResource(b, r, req.includeSynonyms) };
    } catch (err) {
      return { ...base, ...outcome(err), configs: [] };
    }
  });
  // Kafka answers the authorized resources first, then the refused ones.
  const refused = (r: { errorCode: number }) => r.errorCode === errorCode('TOPIC_AUTHORIZATION_FAILED') || r.errorCode === errorCode('CLUSTER_AUTHORIZATION_FAILED');
  return { throttleTimeMs: 0, results: [...results.filter((r) => !refused(r)), ...results.filter(refused)] };
});

// ---- changes -----------------------------------------------------------------------------------

// One config change at a time per broker, as Kafka's controller applies them: each change reads
// the configs it then replaces.
const queues = new WeakMap<BrokerContext, Promise<unknown>>();

function serially<T>(b: BrokerContext, fn: () => Promise<T>): Promise<T> {
  const run = (queues.get(b) ?? Promise.resolve()).then(fn);
  queues.set(b, run.catch(() => undefined));
  return run;
}

/** Resources named twice in one request: Kafka refuses every copy. */
function duplicates<T extends Resource>(resources: readonly T[]): Set<T> {
  const byKey = new Map<string, T[]>();
  for (const r of resources) {
    const key = `${r.resourceType}:${r.resourceName}`;
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  return new Set([...byKey.values()].filter((rs) => rs.length > 1).flat());
}

/** The broker's checks on a resource's config list, before anything else; only a DELETE may have no value. */
function checkShape(configs: readonly { name: string; value: string | null; configOperation?: number }[]): void {
  if (new Set(configs.map((c) => c.name)).size !== configs.length) fail('INVALID_REQUEST', 'Error due to duplicate config keys');
  const nulls = configs.filter((c) => c.value === null && c.configOperation !== CONFIG_OP.DELETE).map((c) => c.name);
  if (nulls.length > 0) fail('INVALID_REQUEST', `Null value not supported for : ${nulls.join(', ')}`);
}

/** A topic's new overrides, from its current ones (none for an unknown topic): checked, then applied to its logs. */
async function alterTopic(b: BrokerContext, name: string, change: (current: Configs) => Record<string, string>, validateOnly: boolean): Promise<void> {
  const current = b.logs.topic(name)?.configs ?? {};
  const next = change(current);
  if (name === '') fail('INVALID_REQUEST', 'Default topic resources are not allowed.');
  const invalid = topicNameProblem(name);
  if (invalid) fail('INVALID_TOPIC_EXCEPTION', invalid);
  const problem = validateTopicConfigs(next, b.brokerConfigs);
  if (problem) fail('INVALID_CONFIG', problem.message);
  if (!b.logs.topic(name)) fail('UNKNOWN_TOPIC_OR_PARTITION', `The topic '${name}' does not exist.`);
  // Cluster links: a mirror topic's synced configs come from its source topic only.
  const changed = Object.keys({ ...current, ...next }).filter((k) => current[k] !== next[k]);
  const refusal = b.partitions.configRefusal(name, changed);
  if (refusal) fail('POLICY_VIOLATION', refusal);
  if (!validateOnly) await b.logs.alterTopicConfigs(name, next);
}

/** Kafka's check that a BROKER resource names this node, as AlterConfigs words it. */
function checkNodeId(b: BrokerContext, name: string): void {
  const id = javaInt(name);
  if (id === null) fail('INVALID_REQUEST', `Node id must be an integer, but it is: ${name}`);
  if (id !== b.nodeId) fail('INVALID_REQUEST', `Unexpected broker id, expected ${b.nodeId}, but received ${name}`);
}

const MIN_ISR = 'min.insync.replicas';

/** A dynamic broker layer ("" or this node's id) replaced: checked, persisted, then applied to the logs. */
async function alterBroker(b: BrokerContext, name: string, change: (current: Configs) => Record<string, string>, validateOnly: boolean): Promise<void> {
  if (name !== '') checkNodeId(b, name);
  const layer: DynamicLayer = name === '' ? 'clusterDefault' : 'broker';
  const next = change(b.dynamicConfigs.layer(layer));
  // A listener's certificate settings: this broker's own, never cluster-wide (as on Kafka).
  const tlsNames = Object.keys(next).filter(isReloadableListenerConfig);
  if (layer === 'clusterDefault' && tlsNames.length > 0) fail('INVALID_REQUEST', `Cannot update these configs at default cluster level, broker id must be specified: [${tlsNames.join(', ')}]`);
  for (const n of tlsNames) {
    const bad = checkListenerConfig(n, next[n]!);
    if (bad) fail('INVALID_CONFIG', `${n}: ${bad}`);
  }
  const problem = validateBrokerConfigChanges(Object.fromEntries(Object.entries(next).filter(([k]) => !isReloadableListenerConfig(k))));
  if (problem) fail('INVALID_REQUEST', problem);
  // The new certificate must load before anything is stored: a typo in a path keeps the old one serving.
  const reload = layer === 'broker' ? b.listenerTls.prepare(next) : null;
  if (reload && 'problem' in reload) fail('INVALID_CONFIG', `Validation of dynamic config update of SSLFactory failed: ${reload.problem}`);
  // Kafka 4.4's eligible leader replicas (on by default) need the cluster-wide value to stay.
  if (layer === 'clusterDefault' && Object.hasOwn(b.dynamicConfigs.layer(layer), MIN_ISR) && !Object.hasOwn(next, MIN_ISR)) {
    fail('INVALID_CONFIG', 'Cluster-level min.insync.replicas cannot be removed while ELR is enabled.');
  }
  if (validateOnly) return;
  await b.dynamicConfigs.replace(layer, next);
  if (reload) reload.apply();
  await reresolveTopicConfigs(b);
}

/**
 * A topic's logs act on settings resolved when its overrides were last set; a changed broker
 * default must reach the topics that do not override it. Each topic whose resolved settings
 * differ under the new layers is re-set with its own overrides, which resolves them again.
 */
async function reresolveTopicConfigs(b: BrokerContext): Promise<void> {
  for (const t of b.logs.topics()) {
    const now = JSON.stringify(resolveTopicConfig(t.configs, b.brokerConfigs));
    if (now === JSON.stringify(b.logs.topicConfig(t.name))) continue;
    try {
      await b.logs.alterTopicConfigs(t.name, t.configs);
    } catch (err) {
      // Deleted meanwhile: nothing left to update.
      if (!(err instanceof KafkaError && err.error === 'UNKNOWN_TOPIC_OR_PARTITION')) throw err;
    }
  }
}

/** The answer to one resource of an alter request; `alter` throws on failure. */
async function answer(r: Resource, dup: Set<Resource>, alter: () => Promise<void>) {
  const base = { resourceType: r.resourceType, resourceName: r.resourceName };
  try {
    if (dup.has(r)) fail('INVALID_REQUEST', 'Each resource must appear at most once.');
    await alter();
    return { ...base, errorCode: 0, errorMessage: null };
  } catch (err) {
    return { ...base, ...outcome(err) };
  }
}

// ---- AlterConfigs: replaces all of a resource's configs --------------------------------------

type LegacyResource = Resource & { configs: { name: string; value: string | null }[] };

const alterConfigs = defineHandler('AlterConfigs', [0, 2], (b, req, ctx) =>
  serially(b, async () => {
    const dup = duplicates<LegacyResource>(req.resources);
    const responses = [];
    for (const r of req.resources as LegacyResource[]) {
      responses.push(
        await answer(r, dup, async () => {
          if (r.resourceType === RESOURCE.BROKER || r.resourceType === RESOURCE.TOPIC) checkAuthorized(b, ctx, 'AlterConfigs', r);
          checkShape(r.configs);
          const configs = Object.fromEntries(r.configs.map((c) => [c.name, c.value!]));
          if (r.resourceType === RESOURCE.BROKER) return alterBroker(b, r.resourceName, () => configs, req.validateOnly);
          if (r.resourceType === RESOURCE.TOPIC) return alterTopic(b, r.resourceName, () => configs, req.validateOnly);
          // BROKER_LOGGER included: AlterConfigs never supported it.
          fail('INVALID_REQUEST', `Unknown resource type ${r.resourceType}`);
        }),
      );
    }
    return { throttleTimeMs: 0, responses };
  }),
);

// ---- IncrementalAlterConfigs: SET, DELETE, APPEND, SUBTRACT -----------------------------------

type IncrementalResource = Resource & { configs: ConfigOp[] };

/**
 * Kafka checks BROKER_LOGGER changes against its log4j loggers; outpost has none, so every
 * SET or DELETE names a logger that does not exist.
 */
function checkLoggerChange(b: BrokerContext, name: string, ops: readonly ConfigOp[]): void {
  const id = javaInt(name);
  if (id === null) fail('INVALID_REQUEST', `Node id must be an integer, but it is: ${name}`);
  if (id !== b.nodeId) fail('INVALID_REQUEST', `Unexpected node id. Expected ${b.nodeId}, but received ${id}`);
  for (const op of ops) {
    switch (op.configOperation) {
      case CONFIG_OP.SET:
      case CONFIG_OP.DELETE:
        fail('INVALID_CONFIG', `Logger ${op.name} does not exist!`);
      case CONFIG_OP.APPEND:
        fail('INVALID_REQUEST', 'APPEND operation is not allowed for the BROKER_LOGGER resource');
      case CONFIG_OP.SUBTRACT:
        fail('INVALID_REQUEST', 'SUBTRACT operation is not allowed for the BROKER_LOGGER resource');
      default:
        // An id without an operation name fails inside Kafka, with no message.
        fail('UNKNOWN_SERVER_ERROR', null);
    }
  }
}

const incrementalAlterConfigs = defineHandler('IncrementalAlterConfigs', [0, 1], (b, req, ctx) =>
  serially(b, async () => {
    const dup = duplicates<IncrementalResource>(req.resources);
    const responses = [];
    for (const r of req.resources as IncrementalResource[]) {
      responses.push(
        await answer(r, dup, async () => {
          if (KAFKA_TYPES.has(r.resourceType)) checkAuthorized(b, ctx, 'IncrementalAlterConfigs', r);
          checkShape(r.configs);
          switch (r.resourceType) {
            case RESOURCE.BROKER_LOGGER:
              return checkLoggerChange(b, r.resourceName, r.configs);
            case RESOURCE.BROKER:
              return alterBroker(b, r.resourceName, (current) => applyBrokerOps(current, r.configs), req.validateOnly);
            case RESOURCE.TOPIC:
              return alterTopic(b, r.resourceName, (current) => applyTopicOps(current, r.configs), req.validateOnly);
            default:
              fail('INVALID_REQUEST', `Unknown resource type ${r.resourceType}`);
          }
        }),
      );
    }
    return { throttleTimeMs: 0, responses };
  }),
);

export const configHandlers: HandlerFactory[] = [describeConfigs, alterConfigs, incrementalAlterConfigs];
