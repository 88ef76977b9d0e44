// Creating, deleting and growing topics with the checks and error messages of Kafka's
// controller, shared by CreateTopics, DeleteTopics, CreatePartitions and topic auto-creation.
import { KafkaError, type ErrorName } from '../../protocol/errors.js';
import { brokerNumber } from '../config/broker-configs.js';
import { validateTopicConfigs } from '../config/topic-configs.js';
import { offsetsTopicPartitions, offsetsTopicSegmentBytes } from '../groups/group-config.js';
import { OFFSETS_TOPIC, OffsetsTopic } from '../groups/offsets-topic.js';
import type { BrokerContext } from './context.js';
import { collisionKey, newTopicId, topicNameProblem } from '../log/topic-names.js';

export interface CreateTopicSpec {
  name: string;
  /** -1: num.partitions */
  numPartitions: number;
  /** -1: default.replication.factor */
  replicationFactor: number;
  /** manual assignment: partition index -> broker ids */
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: Record<string, string>;
}

/** Checks a topic creation as Kafka's controller does; throws KafkaError, or returns the partition count. */
export function checkCreateTopic(b: BrokerContext, spec: CreateTopicSpec): { partitions: number; replicationFactor: number } {
  const nameProblem = topicNameProblem(spec.name);
  if (nameProblem) throw new KafkaError('INVALID_TOPIC_EXCEPTION', nameProblem);
  if (b.logs.topic(spec.name)) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${spec.name}' already exists.`);
  const clash = b.logs.topics().find((t) => collisionKey(t.name) === collisionKey(spec.name));
  if (clash) throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Topic '${spec.name}' collides with existing topic: ${clash.name}`);

  let partitions: number;
  let replicationFactor: number;
  if (spec.assignments.length > 0) {
    if (spec.replicationFactor !== -1) throw new KafkaError('INVALID_REQUEST', 'A manual partition assignment was specified, but replication factor was not set to -1.');
    if (spec.numPartitions !== -1) throw new KafkaError('INVALID_REQUEST', 'A manual partition assignment was specified, but numPartitions was not set to -1.');
    const indexes = new Set<number>();
    for (const a of spec.assignments) {
      if (indexes.has(a.partitionIndex)) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Found multiple manual partition assignments for partition ${a.partitionIndex}`);
      checkReplicas(b, a.brokerIds);
      indexes.add(a.partitionIndex);
    }
    for (let p = 0; p < indexes.size; p++) {
      if (!indexes.has(p)) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'partitions should be a consecutive 0-based integer sequence');
    }
    partitions = spec.assignments.length;
    replicationFactor = 1;
  } else {
    partitions = spec.numPartitions === -1 ? brokerNumber(b.brokerConfigs, 'num.partitions') : spec.numPartitions;
    replicationFactor = spec.replicationFactor === -1 ? brokerNumber(b.brokerConfigs, 'default.replication.factor') : spec.replicationFactor;
    if (partitions <= 0) throw new KafkaError('INVALID_PARTITIONS', 'Number of partitions was set to an invalid non-positive value.');
    if (replicationFactor <= 0) throw new KafkaError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0, or -1 to use the default value.');
    if (replicationFactor > 1) {
      throw new KafkaError('INVALID_REPLICATION_FACTOR', `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only 1 broker(s) are registered or some brokers have all their log directories cordoned.`);
    }
  }
  const bad = validateTopicConfigs(spec.configs, b.brokerConfigs);
  if (bad) throw new KafkaError('INVALID_CONFIG', bad.message);
  return { partitions, replicationFactor };
}

export async function createTopic(b: BrokerContext, spec: CreateTopicSpec): Promise<{ topicId: string; partitions: number; replicationFactor: number }> {
  const { partitions, replicationFactor } = checkCreateTopic(b, spec);
  const topicId = newTopicId();
  await b.logs.createTopic(spec.name, { partitions, configs: spec.configs, topicId });
  b.logger.info({ topic: spec.name, partitions, topicId }, 'created topic');
  return { topicId, partitions, replicationFactor };
}

/** Auto-creation on Metadata or Produce: num.partitions, no overrides. Returns an error, if any. */
export async function autoCreateTopic(b: BrokerContext, name: string): Promise<ErrorName | null> {
  try {
    await createTopic(b, { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: {} });
    return null;
  } catch (err) {
    if (err instanceof KafkaError) return err.error === 'TOPIC_ALREADY_EXISTS' ? null : err.error;
    throw err;
  }
}

export async function deleteTopic(b: BrokerContext, name: string): Promise<void> {
  if (!b.logs.topic(name)) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.');
  await b.logs.deleteTopic(name);
  b.logger.info({ topic: name }, 'deleted topic');
  if (name === OFFSETS_TOPIC) {
    // Kafka 4 lets it be deleted and makes it anew at the next FindCoordinator; outpost makes it
    // anew at once, so that commits go on working, into an empty topic.
    const partitions = offsetsTopicPartitions(b.brokerConfigs);
    await OffsetsTopic.open(b.logs, partitions, b.logger, offsetsTopicSegmentBytes(b.brokerConfigs));
    b.groups?.forgetAll();
  }
}

export function checkCreatePartitions(b: BrokerContext, name: string, count: number, assignments: { brokerIds: number[] }[] | null): void {
  const t = b.logs.topic(name);
  // Kafka's controller gives no message for an unknown topic here.
  if (!t) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION');
  if (count < t.partitions) throw new KafkaError('INVALID_PARTITIONS', `The topic ${name} currently has ${t.partitions} partition(s); ${count} would not be an increase.`);
  if (count === t.partitions) throw new KafkaError('INVALID_PARTITIONS', `Topic already has ${t.partitions} partition(s).`);
  if (assignments !== null) {
    if (assignments.length !== count - t.partitions) {
      throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Attempted to add ${count - t.partitions} additional partition(s), but only ${assignments.length} assignment(s) were specified.`);
    }
    for (const a of assignments) checkReplicas(b, a.brokerIds);
  }
}

/** Kafka's checks of one partition's manual assignment, in its order; on one node only [nodeId] passes. */
function checkReplicas(b: BrokerContext, brokerIds: number[]): void {
  if (brokerIds.length === 0) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'The manual partition assignment includes an empty replica list.');
  const sorted = [...brokerIds].sort((x, y) => x - y);
  sorted.forEach((id, i) => {
    if (id !== b.nodeId) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes broker ${id}, but no such broker is registered.`);
    if (i > 0 && sorted[i - 1] === id) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes the broker ${id} more than once.`);
  });
}
