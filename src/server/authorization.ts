// What each API needs, in one table read against Kafka's KafkaApis (and AclApis): the resource
// checked, the operation, and the error an unauthorized client gets. Handlers ask `permits` with a
// rule's name, so the table is what is enforced. Without an authorizer (authorizer.class.name
// unset) everything is permitted, as on Kafka.
import type { ErrorName } from '../../protocol/errors.js';
import { CLUSTER_NAME, OPERATIONS, type Operation, type ResourceType } from '../common/acls.js';
import type { RequestContext } from './connection.js';
import type { BrokerContext } from './context.js';

interface Rule {
  resource: ResourceType;
  operation: Operation;
  error: ErrorName;
}

const rule = (resource: ResourceType, operation: Operation, error: ErrorName): Rule => ({ resource, operation, error });
const TOPIC = (op: Operation) => rule('TOPIC', op, 'TOPIC_AUTHORIZATION_FAILED');
const GROUP = (op: Operation) => rule('GROUP', op, 'GROUP_AUTHORIZATION_FAILED');
const CLUSTER = (op: Operation) => rule('CLUSTER', op, 'CLUSTER_AUTHORIZATION_FAILED');
const TXN = (op: Operation) => rule('TRANSACTIONAL_ID', op, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED');

/** API.purpose → rule. APIs not listed (ApiVersions, SaslHandshake, SaslAuthenticate, DescribeCluster) need nothing. */
export const RULES = {
  'Produce.topic': TOPIC('WRITE'),
  'Produce.transactionalId': TXN('WRITE'),
  'Fetch.topic': TOPIC('READ'),
  'ListOffsets.topic': TOPIC('DESCRIBE'),
  // Topics not described are left out of an answer for all topics.
  'Metadata.topic': TOPIC('DESCRIBE'),
  // Auto-creation: CREATE on the cluster, or else on the topic.
  'Metadata.createCluster': CLUSTER('CREATE'),
  'Metadata.createTopic': TOPIC('CREATE'),
  'OffsetForLeaderEpoch.topic': TOPIC('DESCRIBE'),
  'DeleteRecords.topic': TOPIC('DELETE'),
  'DescribeTopicPartitions.topic': TOPIC('DESCRIBE'),
  'CreateTopics.cluster': CLUSTER('CREATE'),
  'CreateTopics.topic': TOPIC('CREATE'),
  // Without it the created topic's configs are not returned.
  'CreateTopics.configs': TOPIC('DESCRIBE_CONFIGS'),
  // DELETE on the cluster covers every topic; else each topic needs DELETE (and DESCRIBE, to be told more than that it is refused).
  'DeleteTopics.cluster': CLUSTER('DELETE'),
  'DeleteTopics.topic': TOPIC('DELETE'),
  'DeleteTopics.describe': TOPIC('DESCRIBE'),
  'CreatePartitions.topic': TOPIC('ALTER'),
  'InitProducerId.transactionalId': TXN('WRITE'),
  // An idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on any topic.
  'InitProducerId.idempotent': CLUSTER('IDEMPOTENT_WRITE'),
  'InitProducerId.anyTopic': TOPIC('WRITE'),
  'AddPartitionsToTxn.transactionalId': TXN('WRITE'),
  'AddPartitionsToTxn.topic': TOPIC('WRITE'),
  // The broker-to-coordinator versions (v4+).
  'AddPartitionsToTxn.cluster': CLUSTER('CLUSTER_ACTION'),
  'AddOffsetsToTxn.transactionalId': TXN('WRITE'),
  'AddOffsetsToTxn.group': GROUP('READ'),
  'EndTxn.transactionalId': TXN('WRITE'),
  'TxnOffsetCommit.transactionalId': TXN('WRITE'),
  'TxnOffsetCommit.group': GROUP('READ'),
  'TxnOffsetCommit.topic': TOPIC('READ'),
  'WriteTxnMarkers.cluster': CLUSTER('CLUSTER_ACTION'),
  'DescribeTransactions.transactionalId': TXN('DESCRIBE'),
  // Ids not described are left out of the list.
  'ListTransactions.transactionalId': TXN('DESCRIBE'),
  'FindCoordinator.group': GROUP('DESCRIBE'),
  'FindCoordinator.transactionalId': TXN('DESCRIBE'),
  'JoinGroup.group': GROUP('READ'),
  'SyncGroup.group': GROUP('READ'),
  'Heartbeat.group': GROUP('READ'),
  'ConsumerGroupHeartbeat.group': GROUP('READ'),
  'ConsumerGroupHeartbeat.topic': TOPIC('DESCRIBE'),
  'ConsumerGroupDescribe.group': GROUP('DESCRIBE'),
  'LeaveGroup.group': GROUP('READ'),
  'OffsetCommit.group': GROUP('READ'),
  'OffsetCommit.topic': TOPIC('READ'),
  'OffsetFetch.group': GROUP('DESCRIBE'),
  // Topics not described are left out of an answer for all of a group's partitions.
  'OffsetFetch.topic': TOPIC('DESCRIBE'),
  'OffsetDelete.group': GROUP('DELETE'),
  'OffsetDelete.topic': TOPIC('READ'),
  'DescribeGroups.group': GROUP('DESCRIBE'),
  // DESCRIBE on the cluster lists every group; else each group listed needs DESCRIBE.
  'ListGroups.cluster': CLUSTER('DESCRIBE'),
  'ListGroups.group': GROUP('DESCRIBE'),
  'DeleteGroups.group': GROUP('DELETE'),
  'DescribeConfigs.topic': TOPIC('DESCRIBE_CONFIGS'),
  'DescribeConfigs.broker': CLUSTER('DESCRIBE_CONFIGS'),
  'AlterConfigs.topic': TOPIC('ALTER_CONFIGS'),
  'AlterConfigs.broker': CLUSTER('ALTER_CONFIGS'),
  'IncrementalAlterConfigs.topic': TOPIC('ALTER_CONFIGS'),
  'IncrementalAlterConfigs.broker': CLUSTER('ALTER_CONFIGS'),
  'DescribeLogDirs.cluster': CLUSTER('DESCRIBE'),
  'DescribeProducers.topic': TOPIC('READ'),
  'DescribeAcls.cluster': CLUSTER('DESCRIBE'),
  'CreateAcls.cluster': CLUSTER('ALTER'),
  'DeleteAcls.cluster': CLUSTER('ALTER'),
  'DescribeUserScramCredentials.cluster': CLUSTER('DESCRIBE'),
  'AlterUserScramCredentials.cluster': CLUSTER('ALTER'),
  'DescribeClientQuotas.cluster': CLUSTER('DESCRIBE_CONFIGS'),
} as const satisfies Record<string, Rule>;

export type RuleName = keyof typeof RULES;

/** The client's address as Kafka compares it with an ACL's host (IPv4 without the ::ffff: prefix). */
export const requesterHost = (ctx: RequestContext) => ctx.clientHost.replace(/^::ffff:/, '');

/** Whether the client may do what the rule says to the named resource (the cluster's name is implied). */
export function permits(b: BrokerContext, ctx: RequestContext, name: RuleName, resourceName: string = CLUSTER_NAME): boolean {
  if (!b.authorizer) return true;
  const r: Rule = RULES[name];
  const allowed = b.authorizer.authorize({ principal: ctx.session.principal, host: requesterHost(ctx) }, r.operation, r.resource, resourceName);
  if (!allowed) b.logger.debug({ principal: ctx.session.principal, client: ctx.clientHost, operation: r.operation, resource: `${r.resource}:${resourceName}` }, 'not authorized');
  return allowed;
}

/** Whether the client may do the rule's operation to some resource of its type (any topic, say). */
export function permitsAny(b: BrokerContext, ctx: RequestContext, name: RuleName): boolean {
  if (!b.authorizer) return true;
  const r: Rule = RULES[name];
  return b.authorizer.authorizeAnyOfType({ principal: ctx.session.principal, host: requesterHost(ctx) }, r.operation, r.resource);
}

/** The operations each resource type supports, as Kafka lists them in authorized-operations answers. */
const SUPPORTED_OPERATIONS: Partial<Record<ResourceType, Operation[]>> = {
  TOPIC: ['READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  GROUP: ['READ', 'DELETE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
  CLUSTER: ['CREATE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'ALTER', 'DESCRIBE'],
};

/**
 * Kafka's authorized operations of a resource (topicAuthorizedOperations and the like): a bit per
 * supported operation the client may do, bit n for operation code n; all of them without an authorizer.
 */
export function authorizedOperations(b: BrokerContext, ctx: RequestContext, type: 'TOPIC' | 'GROUP' | 'CLUSTER', name: string = CLUSTER_NAME): number {
  const who = { principal: ctx.session.principal, host: requesterHost(ctx) };
  return SUPPORTED_OPERATIONS[type]!.filter((op) => !b.authorizer || b.authorizer.authorize(who, op, type, name)).reduce((bits, op) => bits | (1 << OPERATIONS[op]), 0);
}

/** The error a refusal under the rule is answered with. */
export const refusal = (name: RuleName): ErrorName => RULES[name].error;
