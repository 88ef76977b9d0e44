// Consumer groups of Kafka 4's consumer protocol (KIP-848), as Kafka's GroupMetadataManager runs
// them: members heartbeat (ConsumerGroupHeartbeat) with their subscription and what they own; the
// coordinator keeps a group epoch that every change bumps (a member joining or leaving, a new
// subscription, a topic gaining partitions), computes the target assignment of that epoch with a
// server-side assignor (uniform or range), and moves each member towards its target: first the
// partitions it must give up are taken away (its epoch stays until it says it has revoked them),
// then it is given what is free, at the new epoch; a partition still owned by another member is
// given once that member has let it go. A member that stops heartbeating (session timeout) or does
// not revoke in time (rebalance timeout) is removed. Offsets are kept with the classic groups'
// (coordinator.ts): this only decides who may commit.
//
// Not kept in __consumer_offsets yet: after a restart the members find themselves unknown and join
// again (their committed offsets are kept).
import { randomUUID } from 'node:crypto';
import type { ErrorName } from '../../protocol/errors.js';
import type { Logger } from 'pino';
import type { Clock } from '../common/clock.js';
import { KeyedTimers } from './keyed-timers.js';

/** How often members heartbeat and how long one may stay silent before it is removed. */
export interface MemberTiming {
  /** group.consumer.heartbeat.interval.ms */
  heartbeatIntervalMs: number;
  /** group.consumer.session.timeout.ms */
  sessionTimeoutMs: number;
}

/** Kafka's defaults of group.consumer.heartbeat.interval.ms and group.consumer.session.timeout.ms. */
export const DEFAULT_MEMBER_TIMING: MemberTiming = { heartbeatIntervalMs: 5000, sessionTimeoutMs: 45_000 };
export const ASSIGNORS = ['uniform', 'range'] as const;
type AssignorName = (typeof ASSIGNORS)[number];

const LEAVE_EPOCH = -1;
const STATIC_LEAVE_EPOCH = -2;

/** A topic as the assignor sees it. */
export interface TopicInfo {
  topicId: string;
  partitions: number;
}

/** Partitions by topic id. */
export type Assignment = Map<string, Set<number>>;

export interface HeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  /** what the member owns now (null: unchanged since its last heartbeat) */
  ownedTopicPartitions: { topicId: string; partitions: number[] }[] | null;
}

export type HeartbeatResponse =
  | { error: 'NONE'; memberId: string; memberEpoch: number; heartbeatIntervalMs: number; assignment: { topicId: string; partitions: number[] }[] | null }
  | { error: ErrorName; message: string };

interface Member {
  memberId: string;
  epoch: number;
  previousEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  subscribedNames: string[];
  subscribedRegex: string | null;
  assigned: Assignment;
  /** taken away, and not yet confirmed revoked by the member */
  revoking: Assignment;
}

export interface DescribedConsumerGroup {
  groupId: string;
  state: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignor: string;
  members: {
    memberId: string; instanceId: string | null; rackId: string | null; memberEpoch: number; clientId: string; clientHost: string;
    subscribedTopicNames: string[]; subscribedTopicRegex: string | null; assignment: Assignment; target: Assignment;
  }[];
}

class ConsumerGroup {
  epoch = 0;
  assignmentEpoch = 0;
  assignor: AssignorName = 'uniform';
  readonly members = new Map<string, Member>();
  target = new Map<string, Assignment>();
  /** the subscribed topics' partition counts the target was computed for */
  private metadataKey = '';

  constructor(readonly groupId: string) {}

  get state(): string {
    if (this.members.size === 0) return 'Empty';
    if (this.assignmentEpoch < this.epoch) return 'Assigning';
    for (const m of this.members.values()) if (m.epoch !== this.assignmentEpoch || m.revoking.size > 0) return 'Reconciling';
    return 'Stable';
  }

  /** The subscribed topics that exist, by name. */
  subscribedTopics(topics: (name: string) => TopicInfo | undefined, allNames: () => string[]): Map<string, TopicInfo> {
    const out = new Map<string, TopicInfo>();
    for (const m of this.members.values()) {
      const names = m.subscribedRegex === null ? m.subscribedNames : allNames().filter((n) => matchesRegex(m.subscribedRegex!, n));
      for (const name of names) {
        const t = topics(name);
        if (t) out.set(name, t);
      }
    }
    return out;
  }

  /** Bumps the epoch when the subscribed topics' partitions changed since the target was computed. */
  noteMetadata(subscribed: Map<string, TopicInfo>): void {
    const key = [...subscribed].sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, t]) => `${n}:${t.topicId}:${t.partitions}`).join(',');
    if (key !== this.metadataKey) {
      if (this.metadataKey !== '' || this.members.size > 0) this.epoch++;
      this.metadataKey = key;
    }
  }

  /** The target assignment of the current epoch, computed if it is not yet. */
  computeTarget(subscribed: Map<string, TopicInfo>): void {
    if (this.assignmentEpoch === this.epoch) return;
    const members = [...this.members.values()].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
    const wants = (m: Member, name: string) => (m.subscribedRegex === null ? m.subscribedNames.includes(name) : matchesRegex(m.subscribedRegex, name));
    const target = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
    for (const [name, t] of [...subscribed].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const takers = members.filter((m) => wants(m, name));
      if (takers.length === 0) continue;
      const give = (m: Member, p: number) => {
        const a = target.get(m.memberId)!;
        let set = a.get(t.topicId);
        if (!set) a.set(t.topicId, (set = new Set()));
        set.add(p);
      };
      if (this.assignor === 'range') {
        // Kafka's range: contiguous ranges in member order, the first ones one larger.
        const per = Math.floor(t.partitions / takers.length);
        const extra = t.partitions % takers.length;
        let p = 0;
        takers.forEach((m, i) => {
          for (let n = 0; n < per + (i < extra ? 1 : 0); n++) give(m, p++);
        });
        continue;
      }
      // Uniform: balanced, and sticky: a member keeps what it was meant to have, up to its share.
      const quota = (i: number) => Math.floor(t.partitions / takers.length) + (i < t.partitions % takers.length ? 1 : 0);
      const taken = new Set<number>();
      const counts = new Map<string, number>();
      takers.forEach((m, i) => {
        const before = [...(this.target.get(m.memberId)?.get(t.topicId) ?? [])].filter((p) => p < t.partitions).sort((a, b) => a - b);
        let n = 0;
        for (const p of before) {
          if (n >= quota(i) || taken.has(p)) continue;
          give(m, p);
          taken.add(p);
          n++;
        }
        counts.set(m.memberId, n);
      });
      let p = 0;
      takers.forEach((m, i) => {
        for (let n = counts.get(m.memberId)!; n < quota(i); n++) {
          while (taken.has(p)) p++;
          give(m, p);
          taken.add(p++);
        }
      });
    }
    this.target = target;
    this.assignmentEpoch = this.epoch;
  }

  /** Whether another member than `self` owns the partition or has not let it go yet. */
  heldByOther(self: Member, topicId: string, p: number): boolean {
    for (const m of this.members.values()) {
      if (m === self) continue;
      if (m.assigned.get(topicId)?.has(p) || m.revoking.get(topicId)?.has(p)) return true;
    }
    return false;
  }
}

export class ConsumerGroups {
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly timers: KeyedTimers;

  constructor(
    clock: Clock,
    private readonly topics: (name: string) => TopicInfo | undefined,
    private readonly topicNames: () => string[],
    private readonly logger: Pick<Logger, 'info'>,
    private readonly timing: MemberTiming = DEFAULT_MEMBER_TIMING,
  ) {
    this.timers = new KeyedTimers(clock);
  }

  /** Whether `groupId` is a consumer group (one this protocol made, members or not). */
  has(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  heartbeat(req: HeartbeatRequest, client: { clientId: string; clientHost: string }, version: number): HeartbeatResponse {
    const fail = (error: ErrorName, message: string): HeartbeatResponse => ({ error, message });
    if (req.groupId === '') return fail('INVALID_REQUEST', 'GroupId can\'t be empty.');
    if (req.serverAssignor !== null && !(ASSIGNORS as readonly string[]).includes(req.serverAssignor)) return fail('UNSUPPORTED_ASSIGNOR', `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${ASSIGNORS.join(', ')}.`);
    let group = this.groups.get(req.groupId);

    if (req.memberEpoch === LEAVE_EPOCH || req.memberEpoch === STATIC_LEAVE_EPOCH) {
      const m = group?.members.get(req.memberId);
      if (!group || !m) return fail('UNKNOWN_MEMBER_ID', `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      this.remove(group, m);
      return { error: 'NONE', memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: this.timing.heartbeatIntervalMs, assignment: null };
    }

    let member: Member | undefined;
    if (req.memberEpoch === 0) {
      if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) return fail('INVALID_REQUEST', 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
      if (req.rebalanceTimeoutMs <= 0) return fail('INVALID_REQUEST', 'RebalanceTimeoutMs must be provided in first request.');
      if (version >= 1 && req.memberId === '') return fail('INVALID_REQUEST', 'MemberId can\'t be empty.');
      if (!group) this.groups.set(req.groupId, (group = new ConsumerGroup(req.groupId)));
      const memberId = req.memberId === '' ? randomUUID() : req.memberId;
      const old = group.members.get(memberId);
      if (old) this.remove(group, old, false);
      member = {
        memberId, epoch: 0, previousEpoch: -1, instanceId: req.instanceId, rackId: req.rackId, clientId: client.clientId, clientHost: client.clientHost,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs, subscribedNames: [], subscribedRegex: null, assigned: new Map(), revoking: new Map(),
      };
      group.members.set(memberId, member);
      group.epoch++;
    } else {
      member = group?.members.get(req.memberId);
      if (!group || !member) return fail('UNKNOWN_MEMBER_ID', `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      // A member that missed our last answer may come back with its previous epoch, owning no more than it had.
      const missedAnswer = req.memberEpoch === member.previousEpoch && owns(req.ownedTopicPartitions, member.assigned);
      if (req.memberEpoch !== member.epoch && !missedAnswer) {
        return fail('FENCED_MEMBER_EPOCH', `The consumer group member has a smaller member epoch (${req.memberEpoch}) than the one known by the group coordinator (${member.epoch}). The member must abandon all its partitions and rejoin.`);
      }
    }

    if (req.serverAssignor !== null && req.serverAssignor !== group.assignor) {
      group.assignor = req.serverAssignor as AssignorName;
      group.epoch++;
    }
    if (req.subscribedTopicNames !== null && !sameNames(req.subscribedTopicNames, member.subscribedNames)) {
      member.subscribedNames = [...req.subscribedTopicNames];
      group.epoch++;
    }
    if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== member.subscribedRegex) {
      member.subscribedRegex = req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex;
      group.epoch++;
    }
    member.clientId = client.clientId;
    member.clientHost = client.clientHost;

    const subscribed = group.subscribedTopics(this.topics, this.topicNames);
    group.noteMetadata(subscribed);
    group.computeTarget(subscribed);
    this.reconcile(group, member, req.ownedTopicPartitions);
    this.timers.schedule(sessionKey(group.groupId, member.memberId), this.timing.sessionTimeoutMs, () => this.expire(group!, member!, 'session timeout'));
    return {
      error: 'NONE',
      memberId: member.memberId,
      memberEpoch: member.epoch,
      heartbeatIntervalMs: this.timing.heartbeatIntervalMs,
      assignment: [...member.assigned].filter(([, ps]) => ps.size > 0).map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((a, b) => a - b) })),
    };
  }

  /** Who may commit offsets of consumer group `groupId`: null when allowed, else the error. */
  validateCommit(groupId: string, memberId: string, memberEpoch: number): ErrorName | null {
    const group = this.groups.get(groupId);
    if (!group) return 'GROUP_ID_NOT_FOUND';
    // An admin (no member, no epoch) may commit while the group is empty.
    if (memberId === '' && memberEpoch < 0) return group.members.size === 0 ? null : 'UNKNOWN_MEMBER_ID';
    const m = group.members.get(memberId);
    if (!m) return 'UNKNOWN_MEMBER_ID';
    if (memberEpoch > m.epoch) return 'STALE_MEMBER_EPOCH';
    // A commit of the member's previous epoch is accepted (it may not have heard of the new one yet).
    if (memberEpoch < m.previousEpoch) return 'STALE_MEMBER_EPOCH';
    return null;
  }

  describe(groupIds: string[]): (DescribedConsumerGroup | null)[] {
    return groupIds.map((id) => {
      const g = this.groups.get(id);
      if (!g) return null;
      return {
        groupId: id, state: g.state, groupEpoch: g.epoch, assignmentEpoch: g.assignmentEpoch, assignor: g.assignor,
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId, memberEpoch: m.epoch, clientId: m.clientId, clientHost: m.clientHost,
          subscribedTopicNames: m.subscribedNames, subscribedTopicRegex: m.subscribedRegex, assignment: m.assigned, target: g.target.get(m.memberId) ?? new Map(),
        })),
      };
    });
  }

  list(): { groupId: string; state: string }[] {
    return [...this.groups.values()].map((g) => ({ groupId: g.groupId, state: g.state }));
  }

  /** Forgets an empty consumer group (DeleteGroups); false while it has members. */
  delete(groupId: string): boolean {
    const g = this.groups.get(groupId);
    if (!g || g.members.size > 0) return false;
    this.groups.delete(groupId);
    return true;
  }

  close(): void {
    this.timers.cancelAll();
  }

  /**
   * Moves `member` towards its target: partitions it must give up are taken away first (its
   * epoch stays until it no longer owns them); then it gets the partitions of its target that no
   * other member holds, at the assignment epoch.
   */
  private reconcile(group: ConsumerGroup, member: Member, owned: { topicId: string; partitions: number[] }[] | null): void {
    if (member.revoking.size > 0) {
      // Revoked once it owns none of them (null: the member has not said; it still owns them).
      if (owned === null || [...member.revoking].some(([t, ps]) => owned.some((o) => o.topicId === t && o.partitions.some((p) => ps.has(p))))) return;
      member.revoking = new Map();
      this.timers.cancel(revokeKey(group.groupId, member.memberId));
    }
    const target = group.target.get(member.memberId) ?? new Map<string, Set<number>>();
    const revoke = new Map<string, Set<number>>();
    for (const [t, ps] of member.assigned) {
      const gone = [...ps].filter((p) => !target.get(t)?.has(p));
      if (gone.length > 0) revoke.set(t, new Set(gone));
    }
    if (revoke.size > 0) {
      for (const [t, ps] of revoke) for (const p of ps) member.assigned.get(t)!.delete(p);
      member.revoking = revoke;
      this.timers.schedule(revokeKey(group.groupId, member.memberId), member.rebalanceTimeoutMs, () => this.expire(group, member, 'partitions not revoked within the rebalance timeout'));
      return;
    }
    for (const [t, ps] of target) {
      for (const p of ps) {
        if (member.assigned.get(t)?.has(p) || group.heldByOther(member, t, p)) continue;
        let set = member.assigned.get(t);
        if (!set) member.assigned.set(t, (set = new Set()));
        set.add(p);
      }
    }
    if (member.epoch !== group.assignmentEpoch) {
      member.previousEpoch = member.epoch;
      member.epoch = group.assignmentEpoch;
    }
  }

  private expire(group: ConsumerGroup, member: Member, why: string): void {
    if (group.members.get(member.memberId) !== member) return;
    this.logger.info({ group: group.groupId, member: member.memberId }, `consumer group member removed: ${why}`);
    this.remove(group, member);
  }

  private remove(group: ConsumerGroup, member: Member, bump = true): void {
    group.members.delete(member.memberId);
    group.target.delete(member.memberId);
    this.timers.cancel(sessionKey(group.groupId, member.memberId));
    this.timers.cancel(revokeKey(group.groupId, member.memberId));
    if (bump) group.epoch++;
  }
}

const sessionKey = (g: string, m: string) => `session\u0000${g}\u0000${m}`;
const revokeKey = (g: string, m: string) => `revoke\u0000${g}\u0000${m}`;

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((n, i) => n === [...b].sort()[i]);
}

/** Whether `owned` (as a member reports it) is within `assigned`; null (unchanged) counts as within. */
function owns(owned: { topicId: string; partitions: number[] }[] | null, assigned: Assignment): boolean {
  return owned === null || owned.every((o) => o.partitions.every((p) => assigned.get(o.topicId)?.has(p)));
}

/** The topic-name regex of subscribe(Pattern), whole-name match as Kafka's RE2J pattern is applied. */
function matchesRegex(regex: string, name: string): boolean {
  try {
    return new RegExp(`^(?:${regex})$`).test(name);
  } catch {
    return false;
  }
}
