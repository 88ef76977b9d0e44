import { errorCode, type ErrorName } from '../../../protocol/errors.js';
import { ZERO_UUID } from '../../../protocol/primitives.js';
import { brokerBoolean } from '../../config/broker-configs.js';
import { OFFSETS_TOPIC } from '../../groups/offsets-topic.js';
import { TRANSACTION_STATE_TOPIC } from '../../transactions/coordinator.js';
import type { BrokerContext } from '../context.js';
import { topicNameProblem } from '../../log/topic-names.js';
import { autoCreateTopic } from '../topic-admin.js';
import { authorizedOperations, permits, refusal } from '../authorization.js';
import { defineHandler, type ResponseOf } from './handler.js';

type TopicEntry = Required<Omit<ResponseOf<'Metadata'>['topics'][number], 'partitions'>> & { partitions: PartitionEntry[] };
type PartitionEntry = Required<ResponseOf<'Metadata'>['topics'][number]['partitions'][number]>;

const NO_OPERATIONS = -2147483648;

function topicEntry(name: string | null, topicId: string, error: ErrorName, partitions: PartitionEntry[] = []): TopicEntry {
  // Internal topics are listed as Kafka lists them: flagged, so that clients can leave them out.
  return { errorCode: errorCode(error), name, topicId, isInternal: name === OFFSETS_TOPIC || name === TRANSACTION_STATE_TOPIC, partitions, topicAuthorizedOperations: NO_OPERATIONS };
}

/** A topic's Metadata entry (also the base of DescribeTopicPartitions'), or null if there is no such topic. */
export function describeTopic(b: BrokerContext, name: string): TopicEntry | null {
  const t = b.logs.topic(name);
  if (!t) return null;
  const partitions: PartitionEntry[] = [];
  for (let p = 0; p < t.partitions; p++) {
    partitions.push({
      errorCode: 0,
      partitionIndex: p,
      leaderId: b.nodeId,
      leaderEpoch: b.logs.getLog(name, p)?.leaderEpoch ?? 0,
      replicaNodes: [b.nodeId],
      isrNodes: [b.nodeId],
      offlineReplicas: [],
    });
  }
  return topicEntry(name, t.topicId, 'NONE', partitions);
}

/**
 * The topics a request for all topics lists: __consumer_offsets only once a group has used it, as
 * Kafka creates it only then (see GroupCoordinator.isInUse).
 */
export function listedTopicNames(b: BrokerContext): string[] {
  return b.logs.topics().map((t) => t.name).filter((name) => name !== OFFSETS_TOPIC || b.groups?.isInUse);
}

export const metadata = defineHandler('Metadata', [0, 13], async (b, req, ctx) => {
  const topics: TopicEntry[] = [];
  // v0 asks for every topic with an empty list; later versions with null.
  const wantedTopics = req.topics ?? [];
  const all = req.topics === null || (ctx.version === 0 && wantedTopics.length === 0);
  // Topic ids came with v12 (v10 and v11 have the fields, which Kafka never implemented): such a
  // request is malformed, and Kafka answers it as a failed one, every topic INVALID_REQUEST.
  if (!all && ctx.version < 12 && wantedTopics.some((t) => t.name === null || t.topicId !== ZERO_UUID)) {
    const refused = wantedTopics.map((t) => topicEntry(t.name ?? '', t.topicId, 'INVALID_REQUEST'));
    return { throttleTimeMs: 0, brokers: [], clusterId: null, controllerId: -1, topics: refused, clusterAuthorizedOperations: NO_OPERATIONS };
  }
  const described = (name: string) => permits(b, ctx, 'Metadata.topic', name);
  if (all) {
    // The topics the client may not describe are left out, as if they did not exist.
    for (const name of listedTopicNames(b)) if (described(name)) topics.push(describeTopic(b, name)!);
  } else {
    const autoCreate = req.allowAutoTopicCreation && brokerBoolean(b.brokerConfigs, 'auto.create.topics.enable');
    for (const wanted of wantedTopics) {
      if (wanted.name === null) {
        // v12+: a topic asked for by id alone.
        const t = wanted.topicId !== ZERO_UUID ? b.logs.topicById(wanted.topicId) : undefined;
        if (t && !described(t.name)) topics.push(topicEntry(null, wanted.topicId, refusal('Metadata.topic')));
        else topics.push(t ? describeTopic(b, t.name)! : topicEntry(null, wanted.topicId, 'UNKNOWN_TOPIC_ID'));
        continue;
      }
      const found = describeTopic(b, wanted.name);
      if (!described(wanted.name)) {
        topics.push(topicEntry(wanted.name, ZERO_UUID, refusal('Metadata.topic')));
      } else if (found) {
        topics.push(found);
      } else if (topicNameProblem(wanted.name)) {
        topics.push(topicEntry(wanted.name, ZERO_UUID, 'INVALID_TOPIC_EXCEPTION'));
      } else if (autoCreate && !permits(b, ctx, 'Metadata.createCluster') && !permits(b, ctx, 'Metadata.createTopic', wanted.name)) {
        topics.push(topicEntry(wanted.name, ZERO_UUID, refusal('Metadata.createTopic')));
      } else if (autoCreate) {
        const error = await autoCreateTopic(b, wanted.name);
        // Kafka answers LEADER_NOT_AVAILABLE for a topic it has just created; clients retry.
        topics.push(topicEntry(wanted.name, b.logs.topic(wanted.name)?.topicId ?? ZERO_UUID, error ?? 'LEADER_NOT_AVAILABLE'));
      } else {
        topics.push(topicEntry(wanted.name, ZERO_UUID, 'UNKNOWN_TOPIC_OR_PARTITION'));
      }
    }
  }
  // v8+: what the client may do with each topic described (and, to v10, with the cluster), when asked.
  if (req.includeTopicAuthorizedOperations) {
    for (const t of topics) if (t.errorCode === 0 && t.name !== null) t.topicAuthorizedOperations = authorizedOperations(b, ctx, 'TOPIC', t.name);
  }
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: b.nodeId, host: ctx.listener.advertised.host, port: ctx.listener.advertised.port, rack: null }],
    clusterId: b.clusterId,
    controllerId: b.nodeId,
    topics,
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? authorizedOperations(b, ctx, 'CLUSTER') : NO_OPERATIONS,
  };
});
