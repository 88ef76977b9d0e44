// A consumer group coordinated by the source cluster (a link's consumer.group.coordination=source)
// seen through the local coordinator's methods, so that the group handlers serve it as any other
// group: each call becomes one request to the source's coordinator, sent for the client's
// connection on a connection of its own, and the answer is mapped back. The client keeps talking
// to this broker; only the coordinator's state lives at the source.
import { errorCode, knownErrorName, type ErrorName } from '../../protocol/errors.js';
import type { ClientInfo, CommitRequest, FetchedTopic, JoinRequest, MemberIdentity, SyncRequest } from '../groups/coordinator.js';
import type { JoinResponse, SyncResponse } from '../groups/classic-group.js';
import { joinError, syncError } from '../groups/classic-group.js';
import type { GroupApi, GroupCall } from '../link/source-endpoint.js';
import type { SourceGroups } from '../link/source-groups.js';
import type { RequestContext } from './connection.js';
import type { BrokerContext } from './context.js';

/** The last versions of OffsetCommit and OffsetFetch that name topics (later ones use topic ids, which differ between the clusters). */
const OFFSET_COMMIT_BY_NAME = 9;
const OFFSET_FETCH_ONE_GROUP = 7;
/** SyncGroup waits for the leader's assignment: as long as a rebalance may take (Java's max.poll.interval.ms default). */
const SYNC_WAIT_MS = 300_000;
/** Answers that send the client (and this broker) looking for the coordinator again. */
const COORDINATOR_ERRORS = new Set<ErrorName>(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS']);
/** What a client is answered while the source cannot be asked: retriable, and it finds the coordinator again. */
const UNREACHABLE: ErrorName = 'COORDINATOR_NOT_AVAILABLE';

/** Client connections already set to close their source connections with them, per link. */
const released = new WeakMap<SourceGroups, Set<number>>();

/** The group `groupId` as the source coordinates it for this request's client, or undefined when it is coordinated here. */
export function groupAtSource(b: BrokerContext, ctx: RequestContext, groupId: string): SourceCoordinator | undefined {
  const groups = b.links?.groupsAtSource(groupId);
  return groups && new SourceCoordinator(b, ctx, groups);
}

/** Finds the source's coordinator of `groupId`; the error a FindCoordinator answers with while there is none. */
export async function locateAtSource(b: BrokerContext, groupId: string): Promise<ErrorName | null> {
  const groups = b.links?.groupsAtSource(groupId);
  if (!groups) return null;
  try {
    await groups.locate(groupId);
    return 'NONE';
  } catch (e) {
    b.logger.warn({ group: groupId, err: (e as Error).message }, 'group coordinated at the source: its coordinator cannot be found');
    return UNREACHABLE;
  }
}

export class SourceCoordinator {
  constructor(private readonly b: BrokerContext, private readonly ctx: RequestContext, private readonly groups: SourceGroups) {
    let clients = released.get(groups);
    if (!clients) released.set(groups, (clients = new Set()));
    if (!clients.has(ctx.connectionId)) {
      clients.add(ctx.connectionId);
      ctx.onClose(() => {
        clients.delete(ctx.connectionId);
        groups.release(ctx.connectionId);
      });
    }
  }

  async joinGroup(req: JoinRequest, _client: ClientInfo, _requireKnownMemberId: boolean): Promise<JoinResponse> {
    // At the client's own version: from v4 the source itself asks a new member to join again with its id.
    const r = await this.send(req.groupId, 'JoinGroup', {
      maxVersion: this.ctx.version,
      extraMs: req.rebalanceTimeoutMs,
      build: () => ({ ...req, reason: null }),
    });
    if (typeof r === 'string') return joinError(req.memberId, r);
    const { body } = r;
    return {
      errorCode: body.errorCode,
      generationId: body.generationId ?? -1,
      protocolType: body.protocolType ?? null,
      protocolName: body.protocolName,
      leader: body.leader,
      skipAssignment: body.skipAssignment ?? false,
      memberId: body.memberId,
      members: body.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, metadata: m.metadata })),
    };
  }

  async syncGroup(req: SyncRequest): Promise<SyncResponse> {
    const r = await this.send(req.groupId, 'SyncGroup', { maxVersion: this.ctx.version, extraMs: SYNC_WAIT_MS, build: () => req });
    if (typeof r === 'string') return syncError(r);
    const { body } = r;
    return { errorCode: body.errorCode, protocolType: body.protocolType ?? null, protocolName: body.protocolName ?? null, assignment: body.assignment };
  }

  async heartbeat(req: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): Promise<ErrorName> {
    const r = await this.send(req.groupId, 'Heartbeat', { maxVersion: this.ctx.version, build: () => req });
    return typeof r === 'string' ? r : knownErrorName(r.body.errorCode);
  }

  async leaveGroup(groupId: string, leaving: MemberIdentity[]): Promise<{ error: ErrorName; members: (MemberIdentity & { errorCode: number })[] }> {
    const r = await this.send(groupId, 'LeaveGroup', {
      maxVersion: this.ctx.version,
      // v3 batches members; before it, one member by id.
      build: (v) => (v >= 3 ? { groupId, members: leaving.map((m) => ({ ...m, reason: null })) } : { groupId, memberId: leaving[0]?.memberId ?? '' }),
    });
    if (typeof r === 'string') return { error: r, members: [] };
    const { version, body } = r;
    const members = version >= 3
      ? (body.members ?? []).map((m) => ({ memberId: m.memberId ?? '', groupInstanceId: m.groupInstanceId ?? null, errorCode: m.errorCode ?? 0 }))
      : leaving.map((m) => ({ ...m, errorCode: body.errorCode }));
    return { error: version >= 3 ? knownErrorName(body.errorCode) : 'NONE', members };
  }

  async commitOffsets(req: CommitRequest): Promise<ErrorName[]> {
    const { topics } = this.groups;
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[]>();
    for (const p of req.partitions) {
      const name = topics.toSource(p.topic);
      let list = byTopic.get(name);
      if (!list) byTopic.set(name, (list = []));
      list.push({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch, committedMetadata: p.metadata });
    }
    const r = await this.send(req.groupId, 'OffsetCommit', {
      maxVersion: Math.min(this.ctx.version, OFFSET_COMMIT_BY_NAME),
      build: () => ({
        groupId: req.groupId,
        generationIdOrMemberEpoch: req.generationId,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        retentionTimeMs: req.retentionTimeMs,
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      }),
    });
    if (typeof r === 'string') return req.partitions.map(() => r);
    const answered = new Map<string, number>();
    for (const t of r.body.topics) for (const p of t.partitions) answered.set(`${t.name}:${p.partitionIndex}`, p.errorCode);
    return req.partitions.map((p) => knownErrorName(answered.get(`${topics.toSource(p.topic)}:${p.partition}`) ?? errorCode('UNKNOWN_SERVER_ERROR')));
  }

  async fetchOffsets(groupId: string, wanted: { name: string; partitionIndexes: number[] }[] | null, requireStable = false): Promise<{ error: ErrorName; topics: FetchedTopic[] }> {
    const { topics } = this.groups;
    const r = await this.send(groupId, 'OffsetFetch', {
      maxVersion: Math.min(this.ctx.version, OFFSET_FETCH_ONE_GROUP),
      build: () => ({
        groupId,
        topics: wanted && wanted.map((t) => ({ name: topics.toSource(t.name), partitionIndexes: t.partitionIndexes })),
        requireStable,
      }),
    });
    if (typeof r === 'string') return { error: r, topics: [] };
    const { body } = r;
    return {
      error: knownErrorName(body.errorCode ?? 0),
      topics: (body.topics ?? []).map((t) => ({
        name: topics.toLocal(t.name ?? ''),
        partitions: (t.partitions ?? []).map((p) => ({
          partitionIndex: p.partitionIndex ?? 0,
          committedOffset: p.committedOffset ?? -1,
          committedLeaderEpoch: p.committedLeaderEpoch ?? -1,
          metadata: p.metadata ?? '',
          errorCode: p.errorCode ?? 0,
        })),
      })),
    };
  }

  /** One request to the group's coordinator at the source, or the error the client is answered with. */
  private async send<N extends GroupApi>(groupId: string, name: N, call: GroupCall<N>) {
    try {
      const r = await this.groups.request(this.ctx.connectionId, groupId, name, call);
      const top = (r.body as { errorCode?: number }).errorCode;
      if (top !== undefined && COORDINATOR_ERRORS.has(knownErrorName(top))) this.groups.moved(groupId);
      return r;
    } catch (e) {
      this.b.logger.warn({ group: groupId, api: name, err: (e as Error).message }, 'group coordinated at the source: the source could not be asked');
      return UNREACHABLE;
    }
  }
}
