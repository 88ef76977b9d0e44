// CreateTopics, DeleteTopics, CreatePartitions.
import { KafkaError, errorCode } from '../../../protocol/errors.js';
import { ZERO_UUID } from '../../../protocol/primitives.js';
import { brokerBoolean } from '../../config/broker-configs.js';
import { describeTopicConfigs } from '../../config/topic-configs.js';
import { newTopicId } from '../../log/topic-names.js';
import type { BrokerContext } from '../context.js';
import { checkCreatePartitions, checkCreateTopic, createTopic, deleteTopic } from '../topic-admin.js';
import { permits, refusal } from '../authorization.js';
import { defineHandler, type RequestOf, type ResponseOf } from './handler.js';

type CreatableTopic = RequestOf<'CreateTopics'>['topics'][number];
type CreateResult = ResponseOf<'CreateTopics'>['topics'][number];

/** A KafkaError as a result's code and message; one made without a message is sent without one. */
function failure(err: unknown): { errorCode: number; errorMessage: string | null } {
  if (err instanceof KafkaError) return { errorCode: err.code, errorMessage: err.message === err.error ? null : err.message };
  throw err;
}

/** The created topic's configs, in name order as Kafka's controller lists them. */
function createdConfigs(b: BrokerContext, overrides: Record<string, string>): NonNullable<CreateResult['configs']> {
  return describeTopicConfigs(overrides, b.brokerConfigs, { includeSynonyms: false })
    .map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.configSource, isSensitive: c.isSensitive }))
    .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

function createResult(name: string): CreateResult {
  // Kafka sends an empty config list, not null, for a topic it did not create.
  return { name, topicId: ZERO_UUID, errorCode: 0, errorMessage: null, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: [] };
}

/**
 * Kafka's controller writes at most 10,000 metadata records for one request (a topic, each of its
 * partitions and each config override is one); past that the whole request fails.
 */
const MAX_RECORDS_PER_REQUEST = 10_000;
const TOO_LARGE = () => new KafkaError('POLICY_VIOLATION', 'Unable to perform excessively large batch operation.');

function topicSpec(t: CreatableTopic) {
  const configs: Record<string, string> = {};
  for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
  return { name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, assignments: t.assignments, configs };
}

/** Whether the valid topics of a CreateTopics would write more metadata records than one request may. */
function tooManyRecords(b: BrokerContext, topics: CreatableTopic[]): boolean {
  let records = 0;
  for (const t of topics) {
    const spec = topicSpec(t);
    try {
      records += 1 + checkCreateTopic(b, spec).partitions + Object.keys(spec.configs).length;
    } catch (err) {
      if (!(err instanceof KafkaError)) throw err;
    }
    if (records > MAX_RECORDS_PER_REQUEST) return true;
  }
  return false;
}

export const createTopics = defineHandler('CreateTopics', [2, 7], async (b, req, ctx) => {
  const seen = new Map<string, number>();
  for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
  const unique = req.topics.filter((t) => seen.get(t.name) === 1);
  const tooLarge = tooManyRecords(b, unique);
  const topics: CreateResult[] = [];
  const clusterCreate = permits(b, ctx, 'CreateTopics.cluster');
  const unauthorized: string[] = [];
  for (const t of unique) {
    if (!clusterCreate && !permits(b, ctx, 'CreateTopics.topic', t.name)) {
      unauthorized.push(t.name);
      continue;
    }
    const result = createResult(t.name);
    if (tooLarge) {
      topics.push({ ...result, ...failure(TOO_LARGE()) });
      continue;
    }
    const spec = topicSpec(t);
    const configs = spec.configs;
    try {
      // Kafka makes up a topic id even for a creation it only validates.
      const made = req.validateOnly ? { topicId: newTopicId(), ...checkCreateTopic(b, spec) } : await createTopic(b, spec);
      topics.push({
        ...result,
        topicId: made.topicId,
        numPartitions: made.partitions,
        replicationFactor: made.replicationFactor,
        // Without DESCRIBE_CONFIGS the configs are withheld, and the reason given in their place.
        ...(ctx.version >= 5 && !permits(b, ctx, 'CreateTopics.configs', t.name)
          ? { configs: [], topicConfigErrorCode: errorCode(refusal('CreateTopics.configs')) }
          : { configs: ctx.version >= 5 ? createdConfigs(b, configs) : [] }),
      });
    } catch (err) {
      topics.push({ ...result, ...failure(err) });
    }
  }
  // A name asked for more than once gets one result, after all the others, then the refused ones (as from Kafka).
  for (const [name, n] of seen) {
    if (n > 1) topics.push({ ...createResult(name), errorCode: errorCode('INVALID_REQUEST'), errorMessage: 'Duplicate topic name.' });
  }
  for (const name of unauthorized) topics.push({ ...createResult(name), errorCode: errorCode(refusal('CreateTopics.topic')), errorMessage: 'Authorization failed.' });
  return { throttleTimeMs: 0, topics };
});

export const deleteTopics = defineHandler('DeleteTopics', [1, 6], async (b, req, ctx) => {
  // v6 names topics by name or by id; earlier versions by name only.
  const wanted: { name: string | null; topicId: string }[] =
    ctx.version >= 6 ? req.topics : req.topicNames.map((name: string) => ({ name, topicId: ZERO_UUID }));
  // A topic named more than once is refused, once, and not deleted (as by Kafka).
  const times = new Map<string, number>();
  for (const w of wanted) times.set(w.name ?? w.topicId, (times.get(w.name ?? w.topicId) ?? 0) + 1);
  const refusedTwice = new Set<string>();
  const result = (name: string | null, topicId: string, err?: KafkaError) => ({ name, topicId, ...(err ? failure(err) : { errorCode: 0, errorMessage: null }) });
  // delete.topic.enable=false fails the whole request, as on Kafka's controller.
  if (!brokerBoolean(b.brokerConfigs, 'delete.topic.enable')) {
    const refusal = ctx.version < 3 ? new KafkaError('INVALID_REQUEST', 'Topic deletion is disabled.') : new KafkaError('TOPIC_DELETION_DISABLED');
    return { throttleTimeMs: 0, responses: wanted.map((w) => result(w.name, w.topicId, refusal)) };
  }
  const responses = [];
  const clusterDelete = permits(b, ctx, 'DeleteTopics.cluster');
  for (const w of wanted) {
    if ((w.name === null) === (w.topicId === ZERO_UUID)) {
      const message = w.name === null ? 'Neither topic name nor id were specified.' : 'You may not specify both topic name and topic id.';
      responses.push(result(w.name, w.topicId, new KafkaError('INVALID_REQUEST', message)));
      continue;
    }
    const key = w.name ?? w.topicId;
    if (times.get(key)! > 1) {
      if (!refusedTwice.has(key)) responses.push(result(w.name, w.topicId, new KafkaError('INVALID_REQUEST', `Duplicate topic ${w.name === null ? 'id' : 'name'}.`)));
      refusedTwice.add(key);
      continue;
    }
    const name = w.name ?? b.logs.topicById(w.topicId)?.name;
    if (name === undefined) {
      responses.push(result(null, w.topicId, new KafkaError('UNKNOWN_TOPIC_ID', 'This server does not host this topic ID.')));
      continue;
    }
    if (!clusterDelete && !permits(b, ctx, 'DeleteTopics.topic', name)) {
      // A topic the client may not even describe is not named back to it.
      const named = w.name !== null || permits(b, ctx, 'DeleteTopics.describe', name);
      responses.push({ name: named ? name : null, topicId: w.topicId, errorCode: errorCode(refusal('DeleteTopics.topic')), errorMessage: null });
      continue;
    }
    const topicId = b.logs.topic(name)?.topicId ?? ZERO_UUID;
    try {
      await deleteTopic(b, name);
      responses.push(result(name, topicId));
    } catch (err) {
      responses.push({ name, topicId, ...failure(err) });
    }
  }
  return { throttleTimeMs: 0, responses };
});

export const createPartitions = defineHandler('CreatePartitions', [0, 3], async (b, req, ctx) => {
  let added = 0;
  for (const t of req.topics) {
    const current = b.logs.topic(t.name)?.partitions;
    if (current !== undefined && t.count > current) added += t.count - current;
  }
  const results = [];
  for (const t of req.topics) {
    if (!permits(b, ctx, 'CreatePartitions.topic', t.name)) {
      results.push({ name: t.name, errorCode: errorCode(refusal('CreatePartitions.topic')), errorMessage: null });
      continue;
    }
    try {
      if (added > MAX_RECORDS_PER_REQUEST) throw TOO_LARGE();
      checkCreatePartitions(b, t.name, t.count, t.assignments);
      const refusal = b.partitions.writeRefusal(t.name, 'createPartitions', 'client');
      if (refusal) throw new KafkaError(refusal.error, refusal.message ?? undefined);
      if (!req.validateOnly) {
        await b.logs.createPartitions(t.name, t.count);
        b.logger.info({ topic: t.name, partitions: t.count }, 'added partitions');
      }
      results.push({ name: t.name, errorCode: 0, errorMessage: null });
    } catch (err) {
      results.push({ name: t.name, ...failure(err) });
    }
  }
  return { throttleTimeMs: 0, results };
});
