// One group of the classic group protocol (JoinGroup/SyncGroup/Heartbeat): its members, its
// generation and the state machine Kafka's classic group coordinator runs:
//
//   Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance
//     ▲                   ▲      │                                   │ leader's SyncGroup
//     └── last member ────┘      └── nobody left ──▶ Empty           ▼ (assignment stored)
//         leaves / expires   ◀── member change, leave, expiry ──── Stable
//
// Dead is where a deleted group (or one whose offsets all expired) ends. This class holds state
// and the rules that need nothing but the group; timing, persistence and the order of events are
// the coordinator's (coordinator.ts).
import { errorCode, type ErrorName } from '../../protocol/errors.js';
import { CONSUMER_PROTOCOL_TYPE, subscribedTopics } from './consumer-protocol.js';
import type { GroupMetadataValue } from './coordinator-records.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** The states a group may move to each state from (Kafka's validPreviousStates). */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export const EMPTY_ASSIGNMENT = Buffer.alloc(0);

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

/** A JoinGroup answer, in the latest version's fields. */
export interface JoinResponse {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinMember[];
}

/** A SyncGroup answer, in the latest version's fields. */
export interface SyncResponse {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export function joinError(memberId: string, error: ErrorName): JoinResponse {
  return { errorCode: errorCode(error), generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(error: ErrorName): SyncResponse {
  return { errorCode: errorCode(error), protocolType: null, protocolName: null, assignment: EMPTY_ASSIGNMENT };
}

export interface MemberInit {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
}

export class ClassicMember {
  memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  readonly protocolType: string;
  protocols: Protocol[];
  assignment: Buffer = EMPTY_ASSIGNMENT;
  /** the parked JoinGroup, answered when the join phase completes */
  awaitingJoin: ((r: JoinResponse) => void) | null = null;
  /** the parked SyncGroup, answered when the leader's assignment is stored */
  awaitingSync: ((r: SyncResponse) => void) | null = null;
  /**
   * Joined during the current rebalance. Such a member cannot heartbeat yet, so it is given the
   * longer new-member join timeout, and expires even while its JoinGroup is parked.
   */
  isNew = false;

  constructor(init: MemberInit) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  /** The member's metadata for a protocol it supports (empty if it does not). */
  metadata(protocol: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_ASSIGNMENT;
  }

  /** Whether a rejoin carries the same protocols, in the same order, with the same metadata. */
  matches(protocols: Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }
}

export class ClassicGroup {
  state: GroupState = 'Empty';
  previousState: GroupState = 'Empty';
  /** when the group entered its state; null for a group loaded from records that lack it */
  currentStateTimestamp: number | null;
  generationId = 0;
  /** null until the first member joins, and for a group that only stores offsets ("simple") */
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** in the order they joined */
  readonly members = new Map<string, ClassicMember>();
  /** ids handed out with MEMBER_ID_REQUIRED, not yet used to join */
  readonly pendingMembers = new Set<string>();
  /** members of the current generation that have not sent SyncGroup yet */
  readonly pendingSyncMembers = new Set<string>();
  /** group.instance.id → member id */
  private readonly staticMembers = new Map<string, string>();
  /** set when a member joins during the initial delayed rebalance, which then waits longer */
  newMemberAdded = false;
  /** the topics the members subscribe to; null when unknown (not the consumer protocol, or unparsable) */
  subscribedTopics: Set<string> | null = null;

  constructor(readonly groupId: string, now: number) {
    this.currentStateTimestamp = now;
  }

  /** A group that only stores offsets (its consumers assign partitions themselves): no protocol, no members. */
  static simple(groupId: string): ClassicGroup {
    const group = new ClassicGroup(groupId, 0);
    group.currentStateTimestamp = null;
    return group;
  }

  /** A group as its last metadata record left it: Stable with its members, or Empty. */
  static restore(groupId: string, value: GroupMetadataValue, now: number): ClassicGroup {
    const group = new ClassicGroup(groupId, now);
    for (const r of value.members) {
      const member = new ClassicMember({
        memberId: r.memberId,
        groupInstanceId: r.groupInstanceId,
        clientId: r.clientId,
        clientHost: r.clientHost,
        // Version 0 records have no rebalance timeout: Kafka then used the session timeout.
        rebalanceTimeoutMs: r.rebalanceTimeout > 0 ? r.rebalanceTimeout : r.sessionTimeout,
        sessionTimeoutMs: r.sessionTimeout,
        protocolType: value.protocolType,
        protocols: [{ name: value.protocol ?? '', metadata: r.subscription }],
      });
      member.assignment = r.assignment;
      group.add(member, null);
    }
    group.protocolType = value.protocolType === '' ? null : value.protocolType;
    group.protocolName = value.protocol;
    group.generationId = value.generation;
    if (value.leader !== null && group.members.has(value.leader)) group.leaderId = value.leader;
    group.state = group.members.size > 0 ? 'Stable' : 'Empty';
    group.currentStateTimestamp = value.currentStateTimestamp >= 0 ? value.currentStateTimestamp : null;
    group.subscribedTopics = group.computeSubscribedTopics();
    return group;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, now: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId} cannot move from ${this.state} to ${state}`);
    }
    this.previousState = this.state;
    this.state = state;
    this.currentStateTimestamp = now;
  }

  /** The longest rebalance timeout of the members: how long a rebalance waits for them. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: ClassicMember, onJoin: ((r: JoinResponse) => void) | null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.pendingMembers.delete(member.memberId);
    member.awaitingJoin = onJoin;
    this.leaderId ??= member.memberId;
  }

  /** Removes a member (answering nothing: the caller answers its parked requests first). */
  remove(memberId: string): void {
    const member = this.members.get(memberId);
    this.pendingMembers.delete(memberId);
    if (!member) return;
    this.members.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
  }

  /**
   * A static member rejoined without its member id: the new id takes over the old member, its
   * protocols, assignment and leadership. The old id's parked requests are fenced.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): ClassicMember {
    const member = this.members.get(oldMemberId)!;
    member.awaitingJoin?.(joinError(oldMemberId, 'FENCED_INSTANCE_ID'));
    member.awaitingJoin = null;
    member.awaitingSync?.(syncError('FENCED_INSTANCE_ID'));
    member.awaitingSync = null;
    // Map order is join order, which leader election falls back on: keep the member's place.
    const entries = [...this.members.entries()].map(([id, m]): [string, ClassicMember] => (id === oldMemberId ? [newMemberId, m] : [id, m]));
    this.members.clear();
    for (const [id, m] of entries) this.members.set(id, m);
    member.memberId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    return member;
  }

  /** A rejoin's new protocols and timeouts; a second parked JoinGroup replaces the first. */
  updateMember(member: ClassicMember, protocols: Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, onJoin: ((r: JoinResponse) => void) | null): void {
    member.protocols = protocols;
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    // The earlier request's client has given up on it (it sent another): tell it to retry.
    if (member.awaitingJoin && onJoin) member.awaitingJoin(joinError(member.memberId, 'REBALANCE_IN_PROGRESS'));
    member.awaitingJoin = onJoin;
  }

  /** Kafka's validateMember: the member must exist, and a static one must carry its current id. */
  validateMember(memberId: string, groupInstanceId: string | null): ErrorName | null {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined) return 'UNKNOWN_MEMBER_ID';
      return existing === memberId ? null : 'FENCED_INSTANCE_ID';
    }
    return this.members.has(memberId) ? null : 'UNKNOWN_MEMBER_ID';
  }

  /**
   * Whether a member with these protocols may join: the first member sets the protocol type; later
   * ones must share it and have at least one protocol in common with every current member.
   */
  supportsProtocols(protocolType: string, protocols: Protocol[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    return protocols.some((p) => this.candidateProtocols().has(p.name));
  }

  /** Protocols every member supports. */
  private candidateProtocols(): Set<string> {
    const members = [...this.members.values()];
    const common = new Set(members[0]?.protocols.map((p) => p.name) ?? []);
    for (const m of members.slice(1)) {
      const names = new Set(m.protocols.map((p) => p.name));
      for (const n of common) if (!names.has(n)) common.delete(n);
    }
    return common;
  }

  /**
   * The protocol for the next generation: among those every member supports, each member votes
   * for the first in its own order of preference; the most votes win.
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name))!.name;
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) [best, bestVotes] = [name, n];
    }
    return best;
  }

  numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin) n++;
    return n;
  }

  /** Every member has rejoined and no member id handed out is still unused. */
  hasAllMembersJoined(): boolean {
    return this.numAwaitingJoin() === this.members.size && this.pendingMembers.size === 0;
  }

  /** Members of the last generation that have not rejoined this rebalance. */
  notYetRejoined(): ClassicMember[] {
    return [...this.members.values()].filter((m) => !m.awaitingJoin);
  }

  /**
   * A leader that did not rejoin hands over to one that did. False when the leader did not rejoin
   * and no one else did either, or when there is no leader (no members).
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)?.awaitingJoin) return true;
    const joined = [...this.members.values()].find((m) => m.awaitingJoin);
    if (!joined) return false;
    this.leaderId = joined.memberId;
    return true;
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  /** The generation after a completed join phase: a chosen protocol, or Empty with no members. */
  initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', now);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', now);
    }
    this.subscribedTopics = this.computeSubscribedTopics();
    this.pendingSyncMembers.clear();
  }

  /** The JoinGroup members list the leader gets: everyone with metadata for the chosen protocol. */
  joinMembers(): JoinMember[] {
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(this.protocolName) }));
  }

  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const all = new Set<string>();
    for (const m of this.members.values()) {
      const topics = subscribedTopics(m.metadata(this.protocolName));
      if (topics === null) return null;
      for (const t of topics) all.add(t);
    }
    return all;
  }

  usesConsumerProtocol(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  /** Whether the group consumes `topic`: unknown subscriptions count as consuming for consumer groups. */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics ? this.subscribedTopics.has(topic) : this.usesConsumerProtocol();
  }

  /**
   * How old an offset must be to expire (Kafka's offsetExpirationCondition): the time to measure
   * from, or null when the group's offsets do not expire in its current state.
   */
  offsetExpiryBase(commitTimestamp: number): number | null {
    if (this.protocolType === null) return commitTimestamp;
    if (this.is('Empty')) return this.currentStateTimestamp ?? commitTimestamp;
    if (this.usesConsumerProtocol() && this.subscribedTopics !== null && this.is('Stable')) return commitTimestamp;
    return null;
  }
}
