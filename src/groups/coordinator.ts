// The group coordinator: Kafka's classic group protocol (JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup), committed offsets, and the admin operations on groups, following Apache Kafka 4's
// classic group coordinator in its states, timers and error codes. Assignment is left to the
// members (the leader computes it), so every client-side assignor works.
//
// Durability: a commit, a stored assignment, a deletion is a batch of records appended to
// __consumer_offsets; it is answered only once the append resolved, and committed offsets change
// in memory only by replaying those records in the order their appends resolve (one queue per
// partition, and a group's records all go to one partition), so memory is always what a reload
// of the log would rebuild. Group membership lives in memory and is written as a snapshot at
// each generation's assignment; after a restart members find their generation again, or are
// expired by their session timeout as any silent member is.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { errorCode, type ErrorName } from '../../protocol/errors.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { BrokerConfigs } from '../config/broker-configs.js';
import type { LogManager } from '../log/log-manager.js';
import {
  ClassicGroup, ClassicMember, EMPTY_ASSIGNMENT, joinError, syncError,
  type JoinResponse, type Protocol, type SyncResponse,
} from './classic-group.js';
import {
  decodeCoordinatorRecord, encodeGroupMetadata, encodeOffsetCommit,
  type CoordinatorRecord, type GroupMetadataValue, type RawRecord,
} from './coordinator-records.js';
import { ConsumerGroups, type TopicInfo } from './consumer-groups.js';
import { groupConfig, offsetsTopicPartitions, offsetsTopicSegmentBytes, type GroupConfig } from './group-config.js';
import { KeyedTimers } from './keyed-timers.js';
import { expiredOffsets } from './offset-expiry.js';
import { OffsetStore } from './offset-store.js';
import { OffsetsTopic, type RecordSink } from './offsets-topic.js';
import type { LoadedBatch } from '../log/internal-topic.js';

export interface ClientInfo {
  clientId: string;
  /** as Kafka reports it: "/" and the address */
  clientHost: string;
}

export interface JoinRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Protocol[];
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}

export interface CommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-4's retention time, -1 for the broker's */
  retentionTimeMs: number;
  /** answered when the group does not exist and the commit claims a generation */
  unknownGroupError: 'GROUP_ID_NOT_FOUND' | 'ILLEGAL_GENERATION';
  partitions: { topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }[];
}

/** The producer of a transactional offset commit (TxnOffsetCommit), whose offsets wait for its marker. */
export interface CommitTxn {
  producerId: number;
  producerEpoch: number;
}

type OffsetRecord = Extract<CoordinatorRecord, { type: 'offset' }>;

export interface FetchedTopic {
  name: string;
  partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; metadata: string; errorCode: number }[];
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

/** The group types outpost has (no share or streams groups). */
const CLASSIC_GROUP_TYPE = 'classic';
const CONSUMER_GROUP_TYPE = 'consumer';

const joinKey = (groupId: string) => `join\u0000${groupId}`;
const syncKey = (groupId: string) => `sync\u0000${groupId}`;
const heartbeatKey = (groupId: string, memberId: string) => `heartbeat\u0000${groupId}\u0000${memberId}`;
const EXPIRE_KEY = 'expire-offsets';

function encode(record: CoordinatorRecord): RawRecord {
  return record.type === 'offset' ? encodeOffsetCommit(record.key, record.value) : encodeGroupMetadata(record.key.group, record.value);
}

export class GroupCoordinator {
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly offsets = new OffsetStore();
  private readonly timers: KeyedTimers;
  /** group metadata replayed from the log, turned into groups by finishLoading() */
  private loading: Map<string, GroupMetadataValue> | null = new Map();
  private closed = false;
  private inUse = false;
  /** the groups of the consumer protocol (KIP-848); their offsets are kept here with the others' */
  readonly consumer: ConsumerGroups;
  /**
   * Transactional offset commits in the log whose transaction has not ended: producer id, then
   * group, then the commits in log order. Its COMMIT marker applies them, an ABORT drops them.
   */
  private readonly pendingTxn = new Map<number, Map<string, OffsetRecord[]>>();

  constructor(
    readonly config: GroupConfig,
    private readonly sink: RecordSink,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
    topics: { topic(name: string): TopicInfo | undefined; names(): string[] } = { topic: () => undefined, names: () => [] },
  ) {
    this.timers = new KeyedTimers(clock);
    this.consumer = new ConsumerGroups(clock, (name) => topics.topic(name), () => topics.names(), logger, config.consumerMembers);
  }

  /**
   * Opens __consumer_offsets on the broker's log (creating it with offsets.topic.num.partitions
   * partitions), rebuilds every group and offset from it, and starts offset expiration.
   */
  static async open(deps: { logs: LogManager; brokerConfigs: BrokerConfigs; logger: Logger }): Promise<GroupCoordinator> {
    const topic = await OffsetsTopic.open(deps.logs, offsetsTopicPartitions(deps.brokerConfigs), deps.logger, offsetsTopicSegmentBytes(deps.brokerConfigs));
    const coordinator = new GroupCoordinator(groupConfig(deps.brokerConfigs), topic, deps.logger, systemClock, {
      topic: (name) => {
        const t = deps.logs.topic(name);
        return t && { topicId: t.topicId, partitions: t.partitions };
      },
      // Internal topics are never a regex subscription's, as in Kafka.
      names: () => deps.logs.topics().map((t) => t.name).filter((n) => n !== '__consumer_offsets' && n !== '__transaction_state'),
    });
    const started = Date.now();
    const records = await topic.load({
      record: (key, value, batch) => coordinator.replay(key, value, batch),
      marker: (partition, producerId, commit) => coordinator.completeTransaction(producerId, commit, partition),
    });
    coordinator.finishLoading();
    deps.logger.info({ records, groups: coordinator.groups.size, ms: Date.now() - started }, 'loaded consumer groups and offsets');
    return coordinator;
  }

  // ---- loading --------------------------------------------------------------------------------

  /**
   * Applies one record of the log, in log order (last value wins; a null value deletes); an
   * offset of a transactional batch waits for its producer's marker.
   */
  replay(key: Buffer, value: Buffer | null, batch?: LoadedBatch): void {
    this.inUse = true;
    const record = decodeCoordinatorRecord(key, value);
    if (!record) return;
    if (record.type === 'offset' && batch && batch.transactionalProducerId >= 0) this.addPending(batch.transactionalProducerId, record);
    else if (record.type === 'offset') this.applyOffset(record);
    else if (this.loading) {
      if (record.value) this.loading.set(record.key.group, record.value);
      else this.loading.delete(record.key.group);
    }
  }

  /**
   * Turns what was replayed into groups: members come back in a Stable group with the assignment
   * of their generation and must heartbeat within their session timeout; a group known only by its
   * offsets comes back as a simple (offsets-only) group. Then offset expiration starts.
   */
  finishLoading(): void {
    const loaded = this.loading ?? new Map<string, GroupMetadataValue>();
    this.loading = null;
    const now = this.clock.now();
    for (const [groupId, value] of loaded) {
      const group = ClassicGroup.restore(groupId, value, now);
      this.groups.set(groupId, group);
      for (const m of group.members.values()) this.scheduleHeartbeat(group, m, m.sessionTimeoutMs);
    }
    for (const groupId of this.offsets.groupIds()) {
      if (!this.groups.has(groupId)) this.groups.set(groupId, ClassicGroup.simple(groupId));
    }
    this.scheduleExpiration();
  }

  /** Stops every timer and answers every parked request: the broker is going away. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.consumer.close();
    this.resign();
  }

  /**
   * __consumer_offsets was deleted (and made anew, empty): every group and offset it held is gone,
   * as on a Kafka coordinator that loses its partitions. Parked requests get NOT_COORDINATOR and
   * members find out at their next request, then rejoin an empty group.
   */
  forgetAll(): void {
    if (this.closed) return;
    this.resign();
    this.groups.clear();
    this.offsets.clear();
    this.pendingTxn.clear();
    this.scheduleExpiration();
  }

  private resign(): void {
    this.timers.cancelAll();
    for (const group of this.groups.values()) {
      for (const m of group.members.values()) {
        m.awaitingJoin?.(joinError(m.memberId, 'NOT_COORDINATOR'));
        m.awaitingJoin = null;
        m.awaitingSync?.(syncError('NOT_COORDINATOR'));
        m.awaitingSync = null;
      }
    }
  }

  /**
   * Whether any client has looked for a group coordinator yet (now or before a restart). Kafka
   * creates __consumer_offsets at the first such FindCoordinator; until then a Kafka cluster lists
   * no such topic, and outpost, which creates it at start-up, does not list it either.
   */
  get isInUse(): boolean {
    return this.inUse;
  }

  /** The partition of __consumer_offsets that holds the group's records. */
  partitionFor(groupId: string): number {
    return this.sink.partitionFor(groupId);
  }

  /** A client looked for the coordinator of a group. */
  markInUse(): void {
    this.inUse = true;
  }

  // ---- JoinGroup ------------------------------------------------------------------------------

  /**
   * JoinGroup. `requireKnownMemberId` (JoinGroup v4+) makes a new dynamic member come back with
   * the id it is given (MEMBER_ID_REQUIRED) before it counts as joining.
   */
  joinGroup(req: JoinRequest, client: ClientInfo, requireKnownMemberId: boolean): Promise<JoinResponse> {
    if (this.closed) return Promise.resolve(joinError(req.memberId, 'NOT_COORDINATOR'));
    if (req.groupId === '') return Promise.resolve(joinError(req.memberId, 'INVALID_GROUP_ID'));
    if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(req.memberId, 'INVALID_SESSION_TIMEOUT'));
    }
    const isUnknownMember = req.memberId === '';
    let group = this.groups.get(req.groupId);
    if (!group) {
      if (!isUnknownMember) return Promise.resolve(joinError(req.memberId, 'UNKNOWN_MEMBER_ID'));
      group = new ClassicGroup(req.groupId, this.clock.now());
      this.groups.set(req.groupId, group);
    }
    const g = group;
    return new Promise((respond) => {
      if (!this.acceptJoiningMember(g, req.memberId)) {
        this.timers.cancel(heartbeatKey(g.groupId, req.memberId));
        g.remove(req.memberId);
        respond(joinError('', 'GROUP_MAX_SIZE_REACHED'));
      } else if (isUnknownMember) {
        this.joinNewMember(g, req, client, requireKnownMemberId, respond);
      } else {
        this.joinExistingMember(g, req, client, respond);
      }
    });
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        // Members that will not rejoin still count in the group's size: count the joined ones.
        return !!group.members.get(memberId)?.awaitingJoin || group.numAwaitingJoin() < this.config.maxGroupSize;
      default:
        return group.members.has(memberId) || group.members.size < this.config.maxGroupSize;
    }
  }

  private joinNewMember(group: ClassicGroup, req: JoinRequest, client: ClientInfo, requireKnownMemberId: boolean, respond: (r: JoinResponse) => void): void {
    if (group.is('Dead')) return respond(joinError(req.memberId, 'COORDINATOR_NOT_AVAILABLE'));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return respond(joinError(req.memberId, 'INCONSISTENT_GROUP_PROTOCOL'));
    const newMemberId = memberIdFor(req.groupInstanceId ?? client.clientId);
    if (req.groupInstanceId !== null) {
      const existing = group.staticMemberId(req.groupInstanceId);
      if (existing !== undefined) return this.replaceStaticMember(group, req, existing, newMemberId, respond);
      return this.addMemberAndRebalance(group, req, client, newMemberId, respond);
    }
    if (requireKnownMemberId) {
      // The id is reserved until the member comes back with it, for one session timeout.
      group.pendingMembers.add(newMemberId);
      this.timers.schedule(heartbeatKey(group.groupId, newMemberId), req.sessionTimeoutMs, () => this.expireHeartbeat(group, newMemberId));
      return respond(joinError(newMemberId, 'MEMBER_ID_REQUIRED'));
    }
    this.addMemberAndRebalance(group, req, client, newMemberId, respond);
  }

  private joinExistingMember(group: ClassicGroup, req: JoinRequest, client: ClientInfo, respond: (r: JoinResponse) => void): void {
    if (group.is('Dead')) return respond(joinError(req.memberId, 'COORDINATOR_NOT_AVAILABLE'));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return respond(joinError(req.memberId, 'INCONSISTENT_GROUP_PROTOCOL'));
    if (group.pendingMembers.has(req.memberId)) return this.addMemberAndRebalance(group, req, client, req.memberId, respond);
    const invalid = group.validateMember(req.memberId, req.groupInstanceId);
    if (invalid) return respond(joinError(req.memberId, invalid));
    const member = group.members.get(req.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req, respond);
      case 'CompletingRebalance':
        // The same metadata again: the member missed its JoinGroup answer; give it again.
        if (member.matches(req.protocols)) return respond(this.currentGeneration(group, member, group.isLeader(member.memberId)));
        return this.updateMemberAndRebalance(group, member, req, respond);
      case 'Stable':
        // A leader's rejoin forces a rebalance: it is how a leader reacts to changes (such as new
        // partitions) that no member's metadata shows.
        if (group.isLeader(member.memberId) || !member.matches(req.protocols)) return this.updateMemberAndRebalance(group, member, req, respond);
        return respond(this.currentGeneration(group, member, false));
      default:
        return respond(joinError(req.memberId, 'UNKNOWN_MEMBER_ID'));
    }
  }

  private currentGeneration(group: ClassicGroup, member: ClassicMember, withMembers: boolean): JoinResponse {
    return {
      errorCode: 0,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId: member.memberId,
      members: withMembers ? group.joinMembers() : [],
    };
  }

  private addMemberAndRebalance(group: ClassicGroup, req: JoinRequest, client: ClientInfo, memberId: string, respond: (r: JoinResponse) => void): void {
    const member = new ClassicMember({
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: client.clientId,
      clientHost: client.clientHost,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
    });
    member.isNew = true;
    // A join during the initial delay pushes the end of the join phase back once more.
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member, respond);
    this.scheduleHeartbeat(group, member, this.config.newMemberJoinTimeoutMs);
    this.maybePrepareRebalanceOrCompleteJoin(group);
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: ClassicMember, req: JoinRequest, respond: (r: JoinResponse) => void): void {
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);
    this.maybePrepareRebalanceOrCompleteJoin(group);
  }

  /**
   * A static member back with a new member id (a restarted process with the same
   * group.instance.id): it takes the old member's place. In a Stable group whose protocol would
   * not change this is no rebalance: the member gets the current generation back (the leader with
   * skipAssignment, so it does not reassign) once the new id is stored.
   */
  private replaceStaticMember(group: ClassicGroup, req: JoinRequest, oldMemberId: string, newMemberId: string, respond: (r: JoinResponse) => void): void {
    const instanceId = req.groupInstanceId!;
    const old = group.members.get(oldMemberId)!;
    const previous = { protocols: old.protocols, rebalanceTimeoutMs: old.rebalanceTimeoutMs, sessionTimeoutMs: old.sessionTimeoutMs };
    this.timers.cancel(heartbeatKey(group.groupId, oldMemberId));
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
    if (group.is('Stable')) {
      group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, null);
      if (group.selectProtocol() !== group.protocolName) {
        member.awaitingJoin = respond;
        return this.maybePrepareRebalanceOrCompleteJoin(group);
      }
      const generation = group.generationId;
      void this.write(group.groupId, [this.groupMetadataRecord(group, assignmentsOf(group))]).then((error) => {
        if (error) {
          // Undo, so that the old id (which may still be alive) stays the member.
          if (group.members.get(newMemberId) === member) {
            group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
            group.updateMember(member, previous.protocols, previous.rebalanceTimeoutMs, previous.sessionTimeoutMs, null);
            this.timers.cancel(heartbeatKey(group.groupId, newMemberId));
            this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
          }
          return respond(joinError(newMemberId, error));
        }
        const isLeader = group.isLeader(newMemberId);
        respond({
          errorCode: 0,
          generationId: generation,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          leader: group.leaderId ?? '',
          skipAssignment: isLeader,
          memberId: newMemberId,
          members: isLeader ? group.joinMembers() : [],
        });
      });
      return;
    }
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);
    if (group.is('CompletingRebalance')) {
      // The leader may already be assigning to the old id: only a new generation is consistent.
      return this.prepareRebalance(group);
    }
    this.maybeCompleteJoinPhase(group);
  }

  // ---- the rebalance --------------------------------------------------------------------------

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup): void {
    if (group.canRebalance()) this.prepareRebalance(group);
    else this.maybeCompleteJoinPhase(group);
  }

  /**
   * Starts a rebalance. The first one of an empty group waits group.initial.rebalance.delay.ms,
   * and again as long as members keep arriving (up to the rebalance timeout), so that consumers
   * started together land in one generation rather than one each. Later ones complete as soon as
   * every member has rejoined, or at the rebalance timeout without the laggards.
   */
  private prepareRebalance(group: ClassicGroup): void {
    if (group.is('CompletingRebalance')) this.propagateAssignmentError(group, 'REBALANCE_IN_PROGRESS');
    this.timers.cancel(syncKey(group.groupId));
    const initial = group.is('Empty');
    if (initial) {
      const delay = this.config.initialRebalanceDelayMs;
      const remaining = Math.max(group.rebalanceTimeoutMs() - delay, 0);
      this.timers.schedule(joinKey(group.groupId), delay, () => this.completeInitialRebalance(group, delay, remaining));
    }
    group.transitionTo('PreparingRebalance', this.clock.now());
    this.logger.debug({ groupId: group.groupId, generation: group.generationId }, 'preparing to rebalance group');
    if (!initial) this.maybeCompleteJoinElseSchedule(group);
  }

  private completeInitialRebalance(group: ClassicGroup, delay: number, remaining: number): void {
    if (this.groups.get(group.groupId) !== group) return;
    if (group.newMemberAdded && remaining !== 0) {
      group.newMemberAdded = false;
      const next = Math.min(delay, remaining);
      this.timers.schedule(joinKey(group.groupId), next, () => this.completeInitialRebalance(group, delay, Math.max(remaining - delay, 0)));
      return;
    }
    this.completeJoin(group);
  }

  private maybeCompleteJoinElseSchedule(group: ClassicGroup): void {
    if (group.hasAllMembersJoined()) return this.completeJoin(group);
    this.timers.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () => this.completeJoin(group));
  }

  /** Completes the join phase early once everyone is in (never during the initial delay). */
  private maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined() && group.previousState !== 'Empty') this.completeJoin(group);
  }

  private completeJoin(group: ClassicGroup): void {
    if (this.groups.get(group.groupId) !== group) return;
    this.timers.cancel(joinKey(group.groupId));
    // Dynamic members that did not rejoin are out; static ones keep their place (and must sync).
    for (const m of group.notYetRejoined()) {
      if (m.isStatic) continue;
      this.timers.cancel(heartbeatKey(group.groupId, m.memberId));
      group.remove(m.memberId);
    }
    if (group.is('Dead')) return;
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Nobody rejoined: wait another rebalance timeout for session timeouts to clear them out.
      this.timers.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs(), () => this.completeJoin(group));
      return;
    }
    group.initNextGeneration(this.clock.now());
    if (group.is('Empty')) {
      this.logger.info({ groupId: group.groupId, generation: group.generationId }, 'group is empty');
      void this.write(group.groupId, [this.groupMetadataRecord(group, new Map())]);
      return;
    }
    this.logger.info({ groupId: group.groupId, generation: group.generationId, members: group.members.size, protocol: group.protocolName }, 'group rebalanced');
    for (const m of group.members.values()) {
      const respond = m.awaitingJoin;
      m.awaitingJoin = null;
      respond?.(this.currentGeneration(group, m, group.isLeader(m.memberId)));
      this.scheduleHeartbeat(group, m, m.sessionTimeoutMs);
      m.isNew = false;
      group.pendingSyncMembers.add(m.memberId);
    }
    const generation = group.generationId;
    this.timers.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs(), () => this.expirePendingSync(group, generation));
  }

  /** Members that got their JoinGroup answer but sent no SyncGroup within the rebalance timeout are out. */
  private expirePendingSync(group: ClassicGroup, generation: number): void {
    if (this.groups.get(group.groupId) !== group || group.generationId !== generation) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    if (group.pendingSyncMembers.size === 0) return;
    const missing = [...group.pendingSyncMembers];
    this.logger.info({ groupId: group.groupId, members: missing }, 'removing members that did not sync');
    for (const id of missing) {
      this.timers.cancel(heartbeatKey(group.groupId, id));
      group.remove(id);
    }
    this.prepareRebalance(group);
  }

  // ---- SyncGroup ------------------------------------------------------------------------------

  syncGroup(req: SyncRequest): Promise<SyncResponse> {
    if (this.closed) return Promise.resolve(syncError('NOT_COORDINATOR'));
    const group = this.groups.get(req.groupId);
    if (!group) return Promise.resolve(syncError('UNKNOWN_MEMBER_ID'));
    if (group.is('Dead')) return Promise.resolve(syncError('COORDINATOR_NOT_AVAILABLE'));
    const invalid = group.validateMember(req.memberId, req.groupInstanceId);
    if (invalid) return Promise.resolve(syncError(invalid));
    if (req.generationId !== group.generationId) return Promise.resolve(syncError('ILLEGAL_GENERATION'));
    const inconsistent = (a: string | null, b: string | null) => a !== null && b !== null && a !== b;
    if (inconsistent(req.protocolType, group.protocolType) || inconsistent(req.protocolName, group.protocolName)) {
      return Promise.resolve(syncError('INCONSISTENT_GROUP_PROTOCOL'));
    }
    const member = group.members.get(req.memberId)!;
    switch (group.state) {
      case 'Empty':
        return Promise.resolve(syncError('UNKNOWN_MEMBER_ID'));
      case 'PreparingRebalance':
        return Promise.resolve(syncError('REBALANCE_IN_PROGRESS'));
      case 'Stable':
        group.pendingSyncMembers.delete(member.memberId);
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return Promise.resolve({ errorCode: 0, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      default:
        return new Promise((respond) => {
          member.awaitingSync = respond;
          group.pendingSyncMembers.delete(member.memberId);
          if (group.isLeader(member.memberId)) this.storeAssignment(group, req);
        });
    }
  }

  /** The leader's assignment: stored first, then given to every member, and the group is Stable. */
  private storeAssignment(group: ClassicGroup, req: SyncRequest): void {
    const assignment = new Map<string, Buffer>();
    for (const a of req.assignments) assignment.set(a.memberId, a.assignment);
    const missing = [...group.members.keys()].filter((id) => !assignment.has(id));
    for (const id of missing) assignment.set(id, EMPTY_ASSIGNMENT);
    if (missing.length > 0) this.logger.warn({ groupId: group.groupId, members: missing }, 'the leader assigned nothing to some members');
    const generation = group.generationId;
    void this.write(group.groupId, [this.groupMetadataRecord(group, assignment)]).then((error) => {
      // Someone may have joined or left while the append was in flight: that rebalance wins.
      if (this.groups.get(group.groupId) !== group || !group.is('CompletingRebalance') || group.generationId !== generation) return;
      if (error) {
        this.propagateAssignmentError(group, error);
        return this.maybePrepareRebalanceOrCompleteJoin(group);
      }
      for (const m of group.members.values()) {
        m.assignment = assignment.get(m.memberId) ?? EMPTY_ASSIGNMENT;
        const respond = m.awaitingSync;
        m.awaitingSync = null;
        respond?.({ errorCode: 0, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment });
        // A session that ran out while the assignment was pending was not acted on: restart it.
        this.scheduleHeartbeat(group, m, m.sessionTimeoutMs);
      }
      group.transitionTo('Stable', this.clock.now());
      this.logger.info({ groupId: group.groupId, generation }, 'group is stable');
    });
  }

  private propagateAssignmentError(group: ClassicGroup, error: ErrorName): void {
    for (const m of group.members.values()) {
      m.assignment = EMPTY_ASSIGNMENT;
      const respond = m.awaitingSync;
      m.awaitingSync = null;
      respond?.(syncError(error));
    }
  }

  // ---- Heartbeat, LeaveGroup, session expiry --------------------------------------------------

  heartbeat(req: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): ErrorName {
    if (this.closed) return 'NOT_COORDINATOR';
    const group = this.groups.get(req.groupId);
    if (!group) return 'UNKNOWN_MEMBER_ID';
    if (group.is('Dead')) return 'COORDINATOR_NOT_AVAILABLE';
    const invalid = group.validateMember(req.memberId, req.groupInstanceId);
    if (invalid) return invalid;
    if (req.generationId !== group.generationId) return 'ILLEGAL_GENERATION';
    const member = group.members.get(req.memberId)!;
    switch (group.state) {
      case 'Empty':
        return 'UNKNOWN_MEMBER_ID';
      case 'PreparingRebalance':
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return 'REBALANCE_IN_PROGRESS';
      default:
        // Members heartbeat from their JoinGroup answer on, before the assignment is in.
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs);
        return 'NONE';
    }
  }

  /** LeaveGroup: members by id, or static members by group.instance.id alone (an admin's removal). */
  leaveGroup(groupId: string, leaving: MemberIdentity[]): { error: ErrorName; members: (MemberIdentity & { errorCode: number })[] } {
    if (this.closed) return { error: 'NOT_COORDINATOR', members: [] };
    const group = this.groups.get(groupId);
    const result = (m: MemberIdentity, error: ErrorName) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: errorCode(error) });
    if (!group) return { error: 'NONE', members: leaving.map((m) => result(m, 'UNKNOWN_MEMBER_ID')) };
    if (group.is('Dead')) return { error: 'COORDINATOR_NOT_AVAILABLE', members: [] };
    let removed = 0;
    const members = leaving.map((m) => {
      if (m.memberId === '') {
        const id = m.groupInstanceId === null ? undefined : group.staticMemberId(m.groupInstanceId);
        if (id === undefined) return result(m, 'UNKNOWN_MEMBER_ID');
        this.removeMember(group, group.members.get(id)!);
      } else if (group.pendingMembers.has(m.memberId)) {
        this.timers.cancel(heartbeatKey(groupId, m.memberId));
        group.remove(m.memberId);
      } else {
        const invalid = group.validateMember(m.memberId, m.groupInstanceId);
        if (invalid) return result(m, invalid);
        this.removeMember(group, group.members.get(m.memberId)!);
      }
      removed++;
      this.logger.info({ groupId, memberId: m.memberId, groupInstanceId: m.groupInstanceId }, 'member left the group');
      return result(m, 'NONE');
    });
    if (removed > 0) this.afterMemberRemoval(group);
    return { error: 'NONE', members };
  }

  /** Removes a member, telling its parked requests (if any) it is unknown now. */
  private removeMember(group: ClassicGroup, member: ClassicMember): void {
    this.timers.cancel(heartbeatKey(group.groupId, member.memberId));
    member.awaitingJoin?.(joinError('', 'UNKNOWN_MEMBER_ID'));
    member.awaitingJoin = null;
    member.awaitingSync?.(syncError('UNKNOWN_MEMBER_ID'));
    member.awaitingSync = null;
    group.remove(member.memberId);
  }

  private afterMemberRemoval(group: ClassicGroup): void {
    if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group);
    else if (group.is('PreparingRebalance')) this.maybeCompleteJoinPhase(group);
  }

  private scheduleHeartbeat(group: ClassicGroup, member: ClassicMember, timeoutMs: number): void {
    this.timers.schedule(heartbeatKey(group.groupId, member.memberId), timeoutMs, () => this.expireHeartbeat(group, member.memberId));
  }

  /**
   * A member's session ran out. One whose JoinGroup or SyncGroup is parked is waiting on the
   * coordinator, not silent, and stays (unless it is new: it has had the join timeout).
   */
  private expireHeartbeat(group: ClassicGroup, memberId: string): void {
    if (this.groups.get(group.groupId) !== group) return;
    if (group.pendingMembers.has(memberId)) {
      group.remove(memberId);
      if (group.is('PreparingRebalance')) this.maybeCompleteJoinPhase(group);
      return;
    }
    const member = group.members.get(memberId);
    if (!member) return;
    if (!member.isNew && (member.awaitingJoin || member.awaitingSync)) return;
    this.logger.info({ groupId: group.groupId, memberId, sessionTimeoutMs: member.sessionTimeoutMs }, 'member session expired; removing it from the group');
    this.removeMember(group, member);
    this.afterMemberRemoval(group);
  }

  // ---- offsets --------------------------------------------------------------------------------

  /**
   * OffsetCommit, already stripped of partitions of unknown topics. Returns each partition's error
   * in request order; a commit is acknowledged (NONE) only once its records are in the log.
   */
  async commitOffsets(req: CommitRequest, txn?: CommitTxn): Promise<ErrorName[]> {
    const all = (error: ErrorName) => req.partitions.map(() => error);
    if (this.closed) return all('NOT_COORDINATOR');
    if (this.consumer.has(req.groupId)) {
      // A consumer-protocol group: the member and its epoch (the request's generation field) decide.
      const invalid = this.consumer.validateCommit(req.groupId, req.memberId, req.generationId);
      if (invalid) return all(invalid);
    } else {
      let group = this.groups.get(req.groupId);
      if (!group) {
        if (req.generationId >= 0) return all(req.unknownGroupError);
        // A consumer without group management (assign()) or an admin: its group only keeps offsets.
        group = ClassicGroup.simple(req.groupId);
        this.groups.set(req.groupId, group);
      }
      const invalid = this.validateOffsetCommit(group, req, txn !== undefined);
      if (invalid) return all(invalid);
    }
    const now = this.clock.now();
    const expireTimestamp = req.retentionTimeMs === -1 ? -1 : now + req.retentionTimeMs;
    const errors: ErrorName[] = [];
    const records: CoordinatorRecord[] = [];
    for (const p of req.partitions) {
      const metadata = p.metadata ?? '';
      if (Buffer.byteLength(metadata, 'utf8') > this.config.offsetMetadataMaxBytes) {
        errors.push('OFFSET_METADATA_TOO_LARGE');
        continue;
      }
      errors.push('NONE');
      records.push({
        type: 'offset',
        key: { group: req.groupId, topic: p.topic, partition: p.partition },
        value: { offset: p.offset, leaderEpoch: p.leaderEpoch, metadata, commitTimestamp: now, expireTimestamp },
      });
    }
    if (records.length === 0) return errors;
    const failed = await this.write(req.groupId, records, txn);
    return failed ? errors.map((e) => (e === 'NONE' ? failed : e)) : errors;
  }

  /**
   * A transaction ended with a marker in `partition` of __consumer_offsets: the offsets its
   * producer committed to the groups there take effect (commit) or are dropped (abort).
   */
  completeTransaction(producerId: number, commit: boolean, partition: number): void {
    const byGroup = this.pendingTxn.get(producerId);
    if (!byGroup) return;
    for (const [groupId, records] of byGroup) {
      if (this.sink.partitionFor(groupId) !== partition) continue;
      byGroup.delete(groupId);
      if (commit) for (const r of records) this.applyOffset(r);
    }
    if (byGroup.size === 0) this.pendingTxn.delete(producerId);
  }

  /** Whether a transaction not yet ended holds a commit of the partition (OffsetFetch's requireStable). */
  private hasPendingCommit(groupId: string, topic: string, partition: number): boolean {
    for (const byGroup of this.pendingTxn.values()) {
      if (byGroup.get(groupId)?.some((r) => r.key.topic === topic && r.key.partition === partition)) return true;
    }
    return false;
  }

  private removePending(producerId: number, records: OffsetRecord[]): void {
    const byGroup = this.pendingTxn.get(producerId);
    if (!byGroup) return;
    for (const [groupId, list] of byGroup) {
      const kept = list.filter((r) => !records.includes(r));
      if (kept.length > 0) byGroup.set(groupId, kept);
      else byGroup.delete(groupId);
    }
    if (byGroup.size === 0) this.pendingTxn.delete(producerId);
  }

  private addPending(producerId: number, record: OffsetRecord): void {
    let byGroup = this.pendingTxn.get(producerId);
    if (!byGroup) this.pendingTxn.set(producerId, (byGroup = new Map()));
    const list = byGroup.get(record.key.group);
    if (list) list.push(record);
    else byGroup.set(record.key.group, [record]);
  }

  /**
   * Kafka's validateOffsetCommit for classic groups. A transactional commit (TxnOffsetCommit) is
   * not held back by a rebalance, nor refused without a member in a group that has members.
   */
  private validateOffsetCommit(group: ClassicGroup, req: CommitRequest, transactional: boolean): ErrorName | null {
    if (group.is('Dead')) return 'COORDINATOR_NOT_AVAILABLE';
    // No generation: an admin or a consumer without group management, allowed while nobody is in the group.
    if (req.generationId < 0 && group.is('Empty')) return null;
    if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
      const invalid = group.validateMember(req.memberId, req.groupInstanceId);
      if (invalid) return invalid;
      if (req.generationId !== group.generationId) return 'ILLEGAL_GENERATION';
    } else if (!transactional && !group.is('Empty')) {
      return 'UNKNOWN_MEMBER_ID';
    }
    // The member has its new generation but not yet its assignment: let it finish the rebalance first.
    if (!transactional && group.is('CompletingRebalance')) return 'REBALANCE_IN_PROGRESS';
    return null;
  }

  /**
   * OffsetFetch for one group: the asked partitions (-1 for those without a commit), or with
   * `topics` null every committed offset of the group.
   */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable = false): { error: ErrorName; topics: FetchedTopic[] } {
    if (this.closed) return { error: 'NOT_COORDINATOR', topics: [] };
    const entry = (partitionIndex: number, committed: { offset: number; leaderEpoch: number; metadata: string } | undefined, topic: string) => {
      // A read_committed consumer waits for a transaction's offsets rather than starting before them.
      if (requireStable && this.hasPendingCommit(groupId, topic, partitionIndex)) {
        return { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: errorCode('UNSTABLE_OFFSET_COMMIT') };
      }
      return { partitionIndex, committedOffset: committed?.offset ?? -1, committedLeaderEpoch: committed?.leaderEpoch ?? -1, metadata: committed?.metadata ?? '', errorCode: 0 };
    };
    if (topics === null) {
      const out = this.offsets.topics(groupId).map((t) => ({ name: t.topic, partitions: [...t.partitions].map(([p, c]) => entry(p, c, t.topic)) }));
      return { error: 'NONE', topics: out };
    }
    const out = topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => entry(p, this.offsets.get(groupId, t.name, p), t.name)) }));
    return { error: 'NONE', topics: out };
  }

  /**
   * OffsetDelete, already stripped of partitions of unknown topics: offsets of topics the group
   * does not consume are removed; those of topics it consumes stay (GROUP_SUBSCRIBED_TO_TOPIC).
   */
  async deleteOffsets(groupId: string, topics: { name: string; partitions: number[] }[]): Promise<{ error: ErrorName; topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] }> {
    if (this.closed) return { error: 'NOT_COORDINATOR', topics: [] };
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return { error: 'GROUP_ID_NOT_FOUND', topics: [] };
    if (!group.is('Empty') && !group.usesConsumerProtocol()) return { error: 'NON_EMPTY_GROUP', topics: [] };
    const records: CoordinatorRecord[] = [];
    const out = topics.map((t) => {
      const subscribed = group.isSubscribedToTopic(t.name);
      const partitions = t.partitions.map((p) => {
        if (subscribed) return { partitionIndex: p, errorCode: errorCode('GROUP_SUBSCRIBED_TO_TOPIC') };
        if (this.offsets.get(groupId, t.name, p)) records.push({ type: 'offset', key: { group: groupId, topic: t.name, partition: p }, value: null });
        return { partitionIndex: p, errorCode: 0 };
      });
      return { name: t.name, partitions };
    });
    if (records.length > 0) {
      const failed = await this.write(groupId, records);
      if (failed) return { error: failed, topics: [] };
    }
    return { error: 'NONE', topics: out };
  }

  // ---- admin ----------------------------------------------------------------------------------

  /** DescribeGroups: members with their metadata and assignment only while Stable, as Kafka does. */
  describeGroups(groupIds: string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      const group = this.groups.get(groupId);
      if (!group) return { errorCode: 0, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      const stable = group.is('Stable');
      return {
        errorCode: 0,
        groupId,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        protocolData: stable ? group.protocolName ?? '' : '',
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? m.metadata(group.protocolName) : EMPTY_ASSIGNMENT,
          memberAssignment: stable ? m.assignment : EMPTY_ASSIGNMENT,
        })),
      };
    });
  }

  /** ListGroups, with ListGroups v4's state filter and v5's type filter (both case-insensitive). */
  listGroups(statesFilter: string[], typesFilter: string[]): ListedGroup[] {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    const classic = types.size > 0 && !types.has(CLASSIC_GROUP_TYPE) ? [] : [...this.groups.values()]
      .filter((g) => !this.consumer.has(g.groupId))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: CLASSIC_GROUP_TYPE }));
    // Consumer-protocol groups are listed as Kafka lists them: protocol type "consumer", type "consumer".
    const consumer = types.size > 0 && !types.has(CONSUMER_GROUP_TYPE) ? [] : this.consumer.list()
      .map((g) => ({ groupId: g.groupId, protocolType: CONSUMER_GROUP_TYPE, groupState: g.state, groupType: CONSUMER_GROUP_TYPE }));
    return [...classic, ...consumer].filter((g) => states.size === 0 || states.has(g.groupState.toLowerCase()));
  }

  /** DeleteGroups: only empty groups go, with all their offsets. */
  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const out = [];
    for (const groupId of new Set(groupIds)) out.push({ groupId, errorCode: errorCode(await this.deleteGroup(groupId)) });
    return out;
  }

  private async deleteGroup(groupId: string): Promise<ErrorName> {
    if (this.closed) return 'NOT_COORDINATOR';
    if (this.consumer.has(groupId)) {
      // A consumer-protocol group: only while no member is in it, with its offsets.
      if (!this.consumer.delete(groupId)) return 'NON_EMPTY_GROUP';
      const classic = this.groups.get(groupId);
      if (classic) this.removeGroup(classic);
      const tombstones = this.offsetTombstones(groupId);
      return tombstones.length > 0 ? ((await this.write(groupId, tombstones)) ?? 'NONE') : 'NONE';
    }
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return 'GROUP_ID_NOT_FOUND';
    if (!group.is('Empty')) return 'NON_EMPTY_GROUP';
    const records = this.offsetTombstones(groupId);
    records.push({ type: 'group', key: { group: groupId }, value: null });
    this.removeGroup(group);
    return (await this.write(groupId, records)) ?? 'NONE';
  }

  private offsetTombstones(groupId: string): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = [];
    for (const t of this.offsets.topics(groupId)) {
      for (const p of t.partitions.keys()) records.push({ type: 'offset', key: { group: groupId, topic: t.topic, partition: p }, value: null });
    }
    return records;
  }

  private removeGroup(group: ClassicGroup): void {
    group.transitionTo('Dead', this.clock.now());
    this.groups.delete(group.groupId);
    this.timers.cancel(joinKey(group.groupId));
    this.timers.cancel(syncKey(group.groupId));
    for (const id of [...group.members.keys(), ...group.pendingMembers]) this.timers.cancel(heartbeatKey(group.groupId, id));
  }

  // ---- offset expiration ----------------------------------------------------------------------

  private scheduleExpiration(): void {
    if (this.closed) return;
    this.timers.schedule(EXPIRE_KEY, this.config.offsetsRetentionCheckIntervalMs, () => {
      this.expireOffsets()
        .catch((err) => this.logger.error({ err }, 'offset expiration failed'))
        .finally(() => this.scheduleExpiration());
    });
  }

  /**
   * offsets.retention.minutes: removes offsets of topics a group does not consume once they are
   * that old (measured from the commit, or for an empty group from when it became empty), and
   * empty groups left with no offsets. Returns the number of offsets removed.
   */
  async expireOffsets(): Promise<number> {
    const now = this.clock.now();
    let expired = 0;
    const writes: Promise<unknown>[] = [];
    for (const group of [...this.groups.values()]) {
      const expiry = expiredOffsets(group, this.offsets.topics(group.groupId), now, this.config.offsetsRetentionMs);
      const records: CoordinatorRecord[] = expiry.expired.map(({ topic, partition }) => ({ type: 'offset', key: { group: group.groupId, topic, partition }, value: null }));
      expired += records.length;
      if (expiry.allExpired && group.is('Empty')) {
        records.push({ type: 'group', key: { group: group.groupId }, value: null });
        this.removeGroup(group);
      }
      if (records.length > 0) writes.push(this.write(group.groupId, records));
    }
    await Promise.all(writes);
    if (expired > 0) this.logger.info({ offsets: expired }, 'expired committed offsets');
    return expired;
  }

  // ---- records --------------------------------------------------------------------------------

  /**
   * Appends records and, once they are in the log, applies the offset ones; those of a
   * transaction wait for its marker.
   */
  private async write(groupId: string, records: CoordinatorRecord[], txn?: CommitTxn): Promise<ErrorName | null> {
    const offsets = records.filter((r): r is OffsetRecord => r.type === 'offset');
    // A transaction's commits are pending from before their append: its marker, which may be
    // told here as soon as the append is (an abort fencing the producer), must find them.
    if (txn) for (const r of offsets) this.addPending(txn.producerId, r);
    const error = await this.sink.append(groupId, records.map(encode), txn);
    if (error) {
      if (txn) this.removePending(txn.producerId, offsets);
      return error;
    }
    if (!txn) for (const r of offsets) this.applyOffset(r);
    return null;
  }

  private applyOffset(record: Extract<CoordinatorRecord, { type: 'offset' }>): void {
    const { group, topic, partition } = record.key;
    if (record.value) {
      const v = record.value;
      this.offsets.set(group, topic, partition, { offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: v.commitTimestamp, expireTimestamp: v.expireTimestamp });
      // A commit after its group was deleted brings it back as an offsets-only group.
      if (!this.loading && !this.groups.has(group)) this.groups.set(group, ClassicGroup.simple(group));
    } else {
      this.offsets.delete(group, topic, partition);
    }
  }

  private groupMetadataRecord(group: ClassicGroup, assignment: Map<string, Buffer>): CoordinatorRecord {
    return {
      type: 'group',
      key: { group: group.groupId },
      value: {
        protocolType: group.protocolType ?? '',
        generation: group.generationId,
        protocol: group.protocolName,
        leader: group.leaderId,
        currentStateTimestamp: group.currentStateTimestamp ?? -1,
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeout: m.rebalanceTimeoutMs,
          sessionTimeout: m.sessionTimeoutMs,
          subscription: m.metadata(group.protocolName),
          assignment: assignment.get(m.memberId) ?? EMPTY_ASSIGNMENT,
        })),
      },
    };
  }
}

/** Every member's current assignment, as a stored snapshot of the group needs them. */
function assignmentsOf(group: ClassicGroup): Map<string, Buffer> {
  return new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]));
}

/** Longest member-id prefix that keeps the id sendable in every version (int16-length strings). */
const MAX_MEMBER_ID_PREFIX = 1024;

/**
 * Kafka's member id: the instance or client id, '-', a UUID. The prefix is cut to a length every
 * JoinGroup and DescribeGroups version can carry: a client id near the int16 limit would otherwise
 * give an id that no answer can hold.
 */
function memberIdFor(prefix: string): string {
  return `${prefix.length > MAX_MEMBER_ID_PREFIX ? prefix.slice(0, MAX_MEMBER_ID_PREFIX) : prefix}-${randomUUID()}`;
}
