// DescribeTopicPartitions (KIP-966), which Kafka 4.4's admin client describes topics with when the
// broker serves it: the topics asked for (or all of them) in name order, their partitions paged by
// a partition limit and a cursor. With one node there are no eligible leader replicas: both ELR
// lists are empty, as from a Kafka broker that does not use them.
import { errorCode } from '../../../protocol/errors.js';
import { ZERO_UUID } from '../../../protocol/primitives.js';
import { topicNameProblem } from '../../log/topic-names.js';
import { authorizedOperations, permits, refusal } from '../authorization.js';
import { defineHandler } from './handler.js';
import { describeTopic, listedTopicNames } from './metadata.js';

/** Kafka's max.request.partition.size.limit default: the most partitions one response describes. */
const MAX_PARTITIONS = 2000;
// Unlike Metadata, Kafka always reports what the caller may do with each topic here (with no
// authorizer, every topic operation).
export const describeTopicPartitions = defineHandler('DescribeTopicPartitions', [0, 0], (b, req, ctx) => {
  const described = (name: string) => permits(b, ctx, 'DescribeTopicPartitions.topic', name);
  // Asked for all, the client is told only of the topics it may describe.
  const asked: string[] = req.topics.length > 0 ? req.topics.map((t) => t.name) : listedTopicNames(b).filter(described);
  const names = [...new Set(asked)].sort();
  const cursor = req.cursor as { topicName: string; partitionIndex: number } | null;
  // A cursor must point into the topics asked for; Kafka fails the whole request otherwise.
  if (cursor && req.topics.length > 0 && !asked.includes(cursor.topicName)) {
    const refused = asked.map((name) => ({ errorCode: errorCode('INVALID_REQUEST'), name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 }));
    return { throttleTimeMs: 0, topics: refused, nextCursor: null };
  }
  let budget = Math.max(1, Math.min(req.responsePartitionLimit, MAX_PARTITIONS));
  const topics = [];
  let nextCursor: { topicName: string; partitionIndex: number } | null = null;
  for (const name of cursor ? names.filter((n) => n >= cursor.topicName) : names) {
    if (budget === 0) {
      nextCursor = { topicName: name, partitionIndex: 0 };
      break;
    }
    const found = describeTopic(b, name);
    if (!described(name)) {
      topics.push({ errorCode: errorCode(refusal('DescribeTopicPartitions.topic')), name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 });
      continue;
    }
    if (!found) {
      const error = topicNameProblem(name) ? 'INVALID_TOPIC_EXCEPTION' : 'UNKNOWN_TOPIC_OR_PARTITION';
      topics.push({ errorCode: errorCode(error), name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: authorizedOperations(b, ctx, 'TOPIC', name) });
      continue;
    }
    const from = cursor && name === cursor.topicName ? cursor.partitionIndex : 0;
    const partitions = found.partitions.filter((p) => p.partitionIndex >= from).map((p) => ({ ...p, eligibleLeaderReplicas: [], lastKnownElr: [] }));
    if (partitions.length > budget) nextCursor = { topicName: name, partitionIndex: partitions[budget]!.partitionIndex };
    topics.push({ ...found, partitions: partitions.slice(0, budget), topicAuthorizedOperations: authorizedOperations(b, ctx, 'TOPIC', name) });
    budget -= Math.min(budget, partitions.length);
    if (nextCursor) break;
  }
  return { throttleTimeMs: 0, topics, nextCursor };
});
