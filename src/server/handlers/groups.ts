// The group coordinator's APIs: FindCoordinator, the classic group protocol (JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup), offsets (OffsetCommit, OffsetFetch, OffsetDelete) and group
// admin (DescribeGroups, ListGroups, DeleteGroups). This broker is the coordinator of every group;
// the work is src/groups/coordinator.ts's, and here requests of each version are mapped onto it.
// A group a cluster link says is coordinated at its source has the classic protocol and its
// offsets served by the source's coordinator instead (groups-at-source.ts), through this broker.
// Kafka 4's consumer protocol (KIP-848) has ConsumerGroupHeartbeat and ConsumerGroupDescribe,
// served by src/groups/consumer-groups.ts; its groups' offsets go through the same offset APIs.
import { errorCode, type ErrorName } from '../../../protocol/errors.js';
import { ZERO_UUID } from '../../../protocol/primitives.js';
import type { GroupCoordinator } from '../../groups/coordinator.js';
import type { RequestContext } from '../connection.js';
import type { BrokerContext } from '../context.js';
import { authorizedOperations, permits, refusal } from '../authorization.js';
import { groupAtSource, locateAtSource, type SourceCoordinator } from '../groups-at-source.js';
import { defineHandler, type HandlerFactory } from './handler.js';

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;
const SHARE_KEY_TYPE = 2;
/** Kafka's message for INVALID_REQUEST when it has no more specific one. */
const INVALID_REQUEST_MESSAGE =
  'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.';
/** With no authorizer every group operation is allowed: READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS. */
const NO_OPERATIONS = -2147483648;

/** The coordinator, or the error to answer with while there is none. */
function coordinatorOf(b: BrokerContext): GroupCoordinator | ErrorName {
  return b.groups ?? 'COORDINATOR_NOT_AVAILABLE';
}

/** The coordinator of `groupId`: the source's for a group coordinated there, else this broker's. */
function groupCoordinator(b: BrokerContext, ctx: RequestContext, groupId: string): GroupCoordinator | SourceCoordinator | ErrorName {
  return groupAtSource(b, ctx, groupId) ?? coordinatorOf(b);
}

/** The client's address as Kafka reports it (Java's InetAddress.toString): "/" and the IP. */
function clientHost(ctx: RequestContext): string {
  return `/${ctx.clientHost.replace(/^::ffff:/, '')}`;
}

// ---- FindCoordinator ------------------------------------------------------------------------

async function findCoordinator(b: BrokerContext, ctx: RequestContext, keyType: number, key: string): Promise<{ nodeId: number; host: string; port: number; error: ErrorName; message: string | null }> {
  const none = { nodeId: -1, host: '', port: -1 };
  // This broker coordinates every group and every transactional id.
  if (keyType === GROUP_KEY_TYPE || keyType === TRANSACTION_KEY_TYPE) {
    if (keyType === GROUP_KEY_TYPE) b.groups?.markInUse();
    // A group coordinated at the source is still served here: this broker passes its requests on.
    const atSource = keyType === GROUP_KEY_TYPE ? await locateAtSource(b, key) : null;
    const loaded = keyType === GROUP_KEY_TYPE ? b.groups : b.transactions;
    const error: ErrorName = atSource ?? (loaded ? 'NONE' : 'COORDINATOR_NOT_AVAILABLE');
    return error === 'NONE' ? { nodeId: b.nodeId, host: ctx.listener.advertised.host, port: ctx.listener.advertised.port, error, message: null } : { ...none, error, message: null };
  }
  // Share groups (KIP-932) are off, as in a default Kafka 4.4 broker.
  if (keyType === SHARE_KEY_TYPE) return { ...none, error: 'INVALID_REQUEST', message: '' };
  return { ...none, error: 'INVALID_REQUEST', message: INVALID_REQUEST_MESSAGE };
}

/** FindCoordinator's key, authorized: DESCRIBE on the group or the transactional id. */
async function authorizedCoordinator(b: BrokerContext, ctx: RequestContext, keyType: number, key: string) {
  const rule = keyType === TRANSACTION_KEY_TYPE ? 'FindCoordinator.transactionalId' : 'FindCoordinator.group';
  if ((keyType === GROUP_KEY_TYPE || keyType === TRANSACTION_KEY_TYPE) && !permits(b, ctx, rule, key)) {
    return { nodeId: -1, host: '', port: -1, error: refusal(rule), message: null };
  }
  return findCoordinator(b, ctx, keyType, key);
}

export const findCoordinatorHandler = defineHandler('FindCoordinator', [0, 6], async (b, req, ctx) => {
  // v4 batches keys; success carries an empty message there and "NONE" before.
  if (ctx.version >= 4) {
    const coordinators = await Promise.all(req.coordinatorKeys.map(async (key: string) => {
      const c = await authorizedCoordinator(b, ctx, req.keyType, key);
      return { key, nodeId: c.nodeId, host: c.host, port: c.port, errorCode: errorCode(c.error), errorMessage: c.message ?? '' };
    }));
    return { throttleTimeMs: 0, coordinators };
  }
  const c = await authorizedCoordinator(b, ctx, req.keyType, req.key);
  return { throttleTimeMs: 0, errorCode: errorCode(c.error), errorMessage: c.message ?? c.error, nodeId: c.nodeId, host: c.host, port: c.port };
});

// ---- the classic group protocol -------------------------------------------------------------

export const joinGroupHandler = defineHandler('JoinGroup', [0, 9], async (b, req, ctx) => {
  const coordinator = permits(b, ctx, 'JoinGroup.group', req.groupId) ? groupCoordinator(b, ctx, req.groupId) : refusal('JoinGroup.group');
  const r = typeof coordinator === 'string'
    ? { errorCode: errorCode(coordinator), generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: req.memberId, members: [] }
    : await coordinator.joinGroup(
        {
          groupId: req.groupId,
          sessionTimeoutMs: req.sessionTimeoutMs,
          // v0 has no rebalance timeout: the session timeout served as both.
          rebalanceTimeoutMs: ctx.version === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
          memberId: req.memberId,
          groupInstanceId: req.groupInstanceId,
          protocolType: req.protocolType,
          protocols: req.protocols,
        },
        { clientId: ctx.header.clientId ?? '', clientHost: clientHost(ctx) },
        ctx.version >= 4,
      );
  // Before v7 the protocol name is not nullable.
  return { throttleTimeMs: 0, ...r, protocolName: ctx.version < 7 ? r.protocolName ?? '' : r.protocolName };
});

export const syncGroupHandler = defineHandler('SyncGroup', [0, 5], async (b, req, ctx) => {
  const failed = (error: ErrorName) => ({ throttleTimeMs: 0, errorCode: errorCode(error), protocolType: null, protocolName: null, assignment: Buffer.alloc(0) });
  const coordinator = permits(b, ctx, 'SyncGroup.group', req.groupId) ? groupCoordinator(b, ctx, req.groupId) : refusal('SyncGroup.group');
  if (typeof coordinator === 'string') return failed(coordinator);
  // From v5 the client must say which protocol it assigned for.
  if (ctx.version >= 5 && (req.protocolType === null || req.protocolName === null)) return failed('INCONSISTENT_GROUP_PROTOCOL');
  const r = await coordinator.syncGroup({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    protocolType: req.protocolType,
    protocolName: req.protocolName,
    assignments: req.assignments,
  });
  return { throttleTimeMs: 0, ...r };
});

export const heartbeatHandler = defineHandler('Heartbeat', [0, 4], async (b, req, ctx) => {
  const coordinator = permits(b, ctx, 'Heartbeat.group', req.groupId) ? groupCoordinator(b, ctx, req.groupId) : refusal('Heartbeat.group');
  const error = typeof coordinator === 'string' ? coordinator : await coordinator.heartbeat(req);
  return { throttleTimeMs: 0, errorCode: errorCode(error) };
});

export const leaveGroupHandler = defineHandler('LeaveGroup', [0, 5], async (b, req, ctx) => {
  const coordinator = permits(b, ctx, 'LeaveGroup.group', req.groupId) ? groupCoordinator(b, ctx, req.groupId) : refusal('LeaveGroup.group');
  if (typeof coordinator === 'string') return { throttleTimeMs: 0, errorCode: errorCode(coordinator), members: [] };
  // v3 batches members (and lets an admin name static members by instance id alone).
  const batched = ctx.version >= 3;
  const leaving = batched ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: req.memberId, groupInstanceId: null }];
  const r = await coordinator.leaveGroup(req.groupId, leaving);
  if (batched) return { throttleTimeMs: 0, errorCode: errorCode(r.error), members: r.members };
  // Before v3 the one member's error is the response's.
  const error = r.error !== 'NONE' ? errorCode(r.error) : r.members[0]?.errorCode ?? 0;
  return { throttleTimeMs: 0, errorCode: error, members: [] };
});

// ---- the consumer protocol (KIP-848) --------------------------------------------------------

export const consumerGroupHeartbeatHandler = defineHandler('ConsumerGroupHeartbeat', [0, 1], (b, req, ctx) => {
  const failed = (error: ErrorName, message: string | null) => ({ throttleTimeMs: 0, errorCode: errorCode(error), errorMessage: message, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null });
  const coordinator = permits(b, ctx, 'ConsumerGroupHeartbeat.group', req.groupId) ? coordinatorOf(b) : refusal('ConsumerGroupHeartbeat.group');
  if (typeof coordinator === 'string') return failed(coordinator, null);
  // Kafka names the subscribed topics the client may not describe.
  const hidden = (req.subscribedTopicNames ?? []).filter((t: string) => !permits(b, ctx, 'ConsumerGroupHeartbeat.topic', t));
  if (hidden.length > 0) return failed(refusal('ConsumerGroupHeartbeat.topic'), `The client is not authorized to describe topics: ${hidden.join(', ')}`);
  const r = coordinator.consumer.heartbeat(
    {
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId ?? null,
      rackId: req.rackId ?? null,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs ?? -1,
      subscribedTopicNames: req.subscribedTopicNames ?? null,
      subscribedTopicRegex: req.subscribedTopicRegex ?? null,
      serverAssignor: req.serverAssignor ?? null,
      ownedTopicPartitions: req.topicPartitions ?? null,
    },
    { clientId: ctx.header.clientId ?? '', clientHost: clientHost(ctx) },
    ctx.version,
  );
  if (r.error !== 'NONE') return failed(r.error, 'message' in r ? r.message : null);
  if (!('memberId' in r)) return failed('UNKNOWN_SERVER_ERROR', null);
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, memberId: r.memberId, memberEpoch: r.memberEpoch, heartbeatIntervalMs: r.heartbeatIntervalMs, assignment: r.assignment && { topicPartitions: r.assignment } };
});

export const consumerGroupDescribeHandler = defineHandler('ConsumerGroupDescribe', [0, 1], (b, req, ctx) => {
  const coordinator = coordinatorOf(b);
  const assignment = (a: Map<string, Set<number>>) => ({
    topicPartitions: [...a].filter(([, ps]) => ps.size > 0).map(([topicId, ps]) => ({ topicId, topicName: b.logs.topicById(topicId)?.name ?? '', partitions: [...ps].sort((x, y) => x - y) })),
  });
  const groups = req.groupIds.map((groupId: string) => {
    const none = (error: ErrorName, message: string | null) => ({ errorCode: errorCode(error), errorMessage: message, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: NO_OPERATIONS });
    if (typeof coordinator === 'string') return none(coordinator, null);
    if (!permits(b, ctx, 'ConsumerGroupDescribe.group', groupId)) return none(refusal('ConsumerGroupDescribe.group'), null);
    const g = coordinator.consumer.describe([groupId])[0];
    if (!g) return none('GROUP_ID_NOT_FOUND', `Group ${groupId} not found.`);
    return {
      errorCode: 0, errorMessage: null, groupId, groupState: g.state, groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch, assignorName: g.assignor,
      members: g.members.map((m) => ({
        memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId, memberEpoch: m.memberEpoch, clientId: m.clientId, clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex, assignment: assignment(m.assignment), targetAssignment: assignment(m.target), memberType: 1,
      })),
      authorizedOperations: req.includeAuthorizedOperations ? authorizedOperations(b, ctx, 'GROUP', groupId) : NO_OPERATIONS,
    };
  });
  return { throttleTimeMs: 0, groups };
});

// ---- offsets --------------------------------------------------------------------------------

/** A request's topic as the broker knows it: by name, or from v10 of the offset APIs by topic id. */
interface TopicRef {
  /** null: the topic id names no topic here */
  name: string | null;
  topicId: string;
}

/** OffsetCommit and OffsetFetch name topics by id from v10 (KIP-848). */
const FIRST_TOPIC_ID_VERSION = 10;

function topicRef(b: BrokerContext, version: number, t: { name: string; topicId: string }): TopicRef {
  if (version < FIRST_TOPIC_ID_VERSION) return { name: t.name, topicId: b.logs.topic(t.name)?.topicId ?? ZERO_UUID };
  const name = b.logs.topicById(t.topicId)?.name ?? null;
  // Kafka answers an unknown id with the zero id, as it cannot vouch for it.
  return { name, topicId: name === null ? ZERO_UUID : t.topicId };
}

/** Partition results grouped by topic, errors found before the coordinator first (Kafka's order). */
class TopicResults<T> {
  private readonly topics = new Map<string, { ref: TopicRef; partitions: T[] }>();
  add(ref: TopicRef, result: T): void {
    const key = ref.name ?? `id:${ref.topicId}`;
    let entry = this.topics.get(key);
    if (!entry) this.topics.set(key, (entry = { ref, partitions: [] }));
    entry.partitions.push(result);
  }
  toArray(): { name: string; topicId: string; partitions: T[] }[] {
    return [...this.topics.values()].map(({ ref, partitions }) => ({ name: ref.name ?? '', topicId: ref.topicId, partitions }));
  }
}

export const offsetCommitHandler = defineHandler('OffsetCommit', [2, 10], async (b, req, ctx) => {
  const results = new TopicResults<{ partitionIndex: number; errorCode: number }>();
  const accepted: { ref: TopicRef; topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }[] = [];
  // The group first: without READ on it, every partition is answered GROUP_AUTHORIZATION_FAILED.
  const groupAllowed = permits(b, ctx, 'OffsetCommit.group', req.groupId);
  for (const t of req.topics) {
    const ref = topicRef(b, ctx.version, t);
    const topicAllowed = ref.name === null || permits(b, ctx, 'OffsetCommit.topic', ref.name);
    for (const p of t.partitions) {
      if (!groupAllowed) results.add(ref, { partitionIndex: p.partitionIndex, errorCode: errorCode(refusal('OffsetCommit.group')) });
      else if (!topicAllowed) results.add(ref, { partitionIndex: p.partitionIndex, errorCode: errorCode(refusal('OffsetCommit.topic')) });
      else if (ref.name === null) results.add(ref, { partitionIndex: p.partitionIndex, errorCode: errorCode('UNKNOWN_TOPIC_ID') });
      else if (!b.logs.getLog(ref.name, p.partitionIndex)) results.add(ref, { partitionIndex: p.partitionIndex, errorCode: errorCode('UNKNOWN_TOPIC_OR_PARTITION') });
      else accepted.push({ ref, topic: ref.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata });
    }
  }
  if (accepted.length > 0) {
    const coordinator = groupCoordinator(b, ctx, req.groupId);
    const errors = typeof coordinator === 'string'
      ? accepted.map(() => coordinator)
      : await coordinator.commitOffsets({
          groupId: req.groupId,
          generationId: req.generationIdOrMemberEpoch,
          memberId: req.memberId,
          groupInstanceId: req.groupInstanceId,
          retentionTimeMs: req.retentionTimeMs,
          // v9 speaks of a missing group; earlier versions keep the older answer.
          unknownGroupError: ctx.version >= 9 ? 'GROUP_ID_NOT_FOUND' : 'ILLEGAL_GENERATION',
          partitions: accepted,
        });
    accepted.forEach((p, i) => results.add(p.ref, { partitionIndex: p.partition, errorCode: errorCode(errors[i]!) }));
  }
  return { throttleTimeMs: 0, topics: results.toArray() };
});

export const offsetFetchHandler = defineHandler('OffsetFetch', [1, 10], async (b, req, ctx) => {
  const described = (topic: string) => permits(b, ctx, 'OffsetFetch.topic', topic);
  const fetchGroup = async (groupId: string, topics: { name: string; topicId: string; partitionIndexes: number[] }[] | null) => {
    const coordinator = groupCoordinator(b, ctx, groupId);
    if (typeof coordinator === 'string') return { error: coordinator, topics: [] };
    if (!permits(b, ctx, 'OffsetFetch.group', groupId)) return { error: refusal('OffsetFetch.group'), topics: [] };
    const byId = ctx.version >= FIRST_TOPIC_ID_VERSION;
    if (topics === null) {
      const r = await coordinator.fetchOffsets(groupId, null, req.requireStable);
      // By id, a committed topic that no longer exists has no id to be named by: it is left out,
      // as is one the client may not describe.
      const named = r.topics.filter((t) => described(t.name)).map((t) => ({ ...t, topicId: b.logs.topic(t.name)?.topicId ?? ZERO_UUID }));
      return { error: r.error, topics: byId ? named.filter((t) => t.topicId !== ZERO_UUID) : named };
    }
    const refs = topics.map((t) => ({ ref: topicRef(b, ctx.version, t), partitionIndexes: t.partitionIndexes }));
    const known = refs.filter((t) => t.ref.name !== null && described(t.ref.name));
    const r = await coordinator.fetchOffsets(groupId, known.map((t) => ({ name: t.ref.name!, partitionIndexes: t.partitionIndexes })), req.requireStable);
    if (r.error !== 'NONE') return { error: r.error, topics: [] };
    let next = 0;
    const out = refs.map(({ ref, partitionIndexes }) => {
      if (ref.name !== null && !described(ref.name)) {
        const partitions = partitionIndexes.map((partitionIndex) => ({
          partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: errorCode(refusal('OffsetFetch.topic')),
        }));
        return { name: ref.name, topicId: ref.topicId, partitions };
      }
      if (ref.name !== null) return { ...r.topics[next++]!, topicId: ref.topicId };
      const partitions = partitionIndexes.map((partitionIndex) => ({
        partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: errorCode('UNKNOWN_TOPIC_ID'),
      }));
      return { name: '', topicId: ref.topicId, partitions };
    });
    return { error: r.error, topics: out };
  };
  // v8 asks for several groups at once.
  if (ctx.version >= 8) {
    const groups = await Promise.all(req.groups.map(async (g) => {
      const r = await fetchGroup(g.groupId, g.topics);
      return { groupId: g.groupId, topics: r.topics, errorCode: errorCode(r.error) };
    }));
    return { throttleTimeMs: 0, groups };
  }
  const r = await fetchGroup(req.groupId, req.topics && req.topics.map((t) => ({ ...t, topicId: ZERO_UUID })));
  // Before v8 topics are named by name alone.
  return { throttleTimeMs: 0, topics: r.topics.map(({ name, partitions }) => ({ name, partitions })), errorCode: errorCode(r.error) };
});

export const offsetDeleteHandler = defineHandler('OffsetDelete', [0, 0], async (b, req, ctx) => {
  const coordinator = permits(b, ctx, 'OffsetDelete.group', req.groupId) ? coordinatorOf(b) : refusal('OffsetDelete.group');
  if (typeof coordinator === 'string') return { errorCode: errorCode(coordinator), throttleTimeMs: 0, topics: [] };
  const results = new TopicResults<{ partitionIndex: number; errorCode: number }>();
  const known = new Map<string, number[]>();
  for (const t of req.topics) {
    const topicAllowed = permits(b, ctx, 'OffsetDelete.topic', t.name);
    for (const p of t.partitions) {
      if (!topicAllowed) {
        results.add({ name: t.name, topicId: ZERO_UUID }, { partitionIndex: p.partitionIndex, errorCode: errorCode(refusal('OffsetDelete.topic')) });
        continue;
      }
      if (!b.logs.getLog(t.name, p.partitionIndex)) {
        results.add({ name: t.name, topicId: ZERO_UUID }, { partitionIndex: p.partitionIndex, errorCode: errorCode('UNKNOWN_TOPIC_OR_PARTITION') });
        continue;
      }
      let list = known.get(t.name);
      if (!list) known.set(t.name, (list = []));
      list.push(p.partitionIndex);
    }
  }
  const r = await coordinator.deleteOffsets(req.groupId, [...known].map(([name, partitions]) => ({ name, partitions })));
  if (r.error !== 'NONE') return { errorCode: errorCode(r.error), throttleTimeMs: 0, topics: [] };
  for (const t of r.topics) for (const p of t.partitions) results.add({ name: t.name, topicId: ZERO_UUID }, p);
  return { errorCode: 0, throttleTimeMs: 0, topics: results.toArray().map(({ name, partitions }) => ({ name, partitions })) };
});

// ---- group admin ----------------------------------------------------------------------------

export const describeGroupsHandler = defineHandler('DescribeGroups', [0, 6], (b, req, ctx) => {
  const coordinator = coordinatorOf(b);
  const operations = (groupId: string) => (req.includeAuthorizedOperations ? authorizedOperations(b, ctx, 'GROUP', groupId) : NO_OPERATIONS);
  const groups = typeof coordinator === 'string'
    ? req.groups.map((groupId: string) => ({ errorCode: errorCode(coordinator), errorMessage: null, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: NO_OPERATIONS }))
    : coordinator.describeGroups(req.groups).map((g) => {
        if (!permits(b, ctx, 'DescribeGroups.group', g.groupId)) {
          return { errorCode: errorCode(refusal('DescribeGroups.group')), errorMessage: null, groupId: g.groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: NO_OPERATIONS };
        }
        // A group that does not exist is described as Dead; v6 also says so with an error.
        if (g.groupState === 'Dead' && ctx.version >= 6) {
          return { ...g, errorCode: errorCode('GROUP_ID_NOT_FOUND'), errorMessage: `Group ${g.groupId} not found.`, authorizedOperations: NO_OPERATIONS };
        }
        return { ...g, errorMessage: null, authorizedOperations: operations(g.groupId) };
      });
  return { throttleTimeMs: 0, groups };
});

export const listGroupsHandler = defineHandler('ListGroups', [0, 5], (b, req, ctx) => {
  const coordinator = coordinatorOf(b);
  if (typeof coordinator === 'string') return { throttleTimeMs: 0, errorCode: errorCode(coordinator), groups: [] };
  const groups = coordinator.listGroups(req.statesFilter, req.typesFilter);
  // DESCRIBE on the cluster lists them all; without it, those the client may describe.
  const all = permits(b, ctx, 'ListGroups.cluster');
  return { throttleTimeMs: 0, errorCode: 0, groups: all ? groups : groups.filter((g) => permits(b, ctx, 'ListGroups.group', g.groupId)) };
});

export const deleteGroupsHandler = defineHandler('DeleteGroups', [0, 3], async (b, req, ctx) => {
  const coordinator = coordinatorOf(b);
  const names = [...new Set<string>(req.groupsNames)];
  const allowed = names.filter((g) => permits(b, ctx, 'DeleteGroups.group', g));
  const refused = names.filter((g) => !allowed.includes(g)).map((groupId) => ({ groupId, errorCode: errorCode(refusal('DeleteGroups.group')) }));
  const results = typeof coordinator === 'string'
    ? allowed.map((groupId) => ({ groupId, errorCode: errorCode(coordinator) }))
    : allowed.length > 0 ? await coordinator.deleteGroups(req.groupsNames.filter((g: string) => allowed.includes(g))) : [];
  return { throttleTimeMs: 0, results: [...results, ...refused] };
});

export const groupHandlers: HandlerFactory[] = [
  findCoordinatorHandler, joinGroupHandler, syncGroupHandler, heartbeatHandler, leaveGroupHandler,
  consumerGroupHeartbeatHandler, consumerGroupDescribeHandler,
  offsetCommitHandler, offsetFetchHandler, offsetDeleteHandler,
  describeGroupsHandler, listGroupsHandler, deleteGroupsHandler,
];
