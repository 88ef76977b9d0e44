// What a cluster link asks of its source cluster, as Kafka's LeaderEndPoint is what a replica
// fetcher asks of its leader: metadata, record batches, log offsets, leader-epoch end offsets and
// the topics' configs. The link's tasks and fetchers depend only on this and on a clock; the real
// source is a Kafka cluster reached with outpost's own client (kafka-source.ts), and the tests add
// a fake one that injects faults.
import type { ApiMessages, FetchRequest, FetchResponse } from '../../protocol/messages/messages.js';
import type { Decoded } from '../../protocol/messages/types.js';
import type { AclBinding, AclFilter } from '../common/acls.js';
import type { HostPort } from '../config/host-port.js';

export const EARLIEST_TIMESTAMP = -2;
export const LATEST_TIMESTAMP = -1;
export const READ_UNCOMMITTED = 0;
/**
 * The link fetches from the source at read_committed, up to the source's last stable offset: a
 * mirror never holds a transaction that is still open at the source, which, were the source lost
 * and the mirror promoted, no marker would ever end. The mirror's high watermark so never passes
 * the source's either. Aborted batches and transaction markers below it are copied like any other
 * batch, and the mirror's own transaction index serves them to read_committed consumers.
 */
export const READ_COMMITTED = 1;

export interface SourcePartition {
  partition: number;
  error: string;
  leaderId: number;
  leaderEpoch: number;
}

export interface SourceTopic {
  name: string;
  error: string;
  topicId: string;
  partitions: SourcePartition[];
}

export interface SourceMetadata {
  clusterId: string | null;
  topics: Map<string, SourceTopic>;
}

/** A partition as the link asks about it: with the leader epoch it believes current. */
export interface PartitionRef {
  topic: string;
  partition: number;
  leaderEpoch: number;
}

export interface OffsetAnswer {
  error: string;
  offset: number;
}

export interface EpochAnswer {
  error: string;
  leaderEpoch: number;
  endOffset: number;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
}

export const refKey = (topic: string, partition: number): string => `${topic}:${partition}`;

/** A consumer group's committed offset of one partition, at the source. */
export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

export interface FetchCall {
  /** makes the request for the version the broker and outpost agree on */
  build(version: number): FetchRequest;
  /** the request's long poll, added to the request deadline */
  maxWaitMs: number;
  /** caps the version (Fetch by topic name when a topic id is unknown) */
  maxVersion?: number;
  /** a connection of its own, beside the mirror's first fetch session: another session's long polls, reads of older records */
  lane?: `read-through ${number}` | `fetcher ${number}`;
}

/** The group APIs a consumer group coordinated at the source has forwarded there. */
export type GroupApi = 'JoinGroup' | 'SyncGroup' | 'Heartbeat' | 'LeaveGroup' | 'OffsetCommit' | 'OffsetFetch';

export interface GroupCall<N extends GroupApi> {
  /** makes the request for the version the broker and outpost agree on (at most maxVersion) */
  build(version: number): ApiMessages[N]['request'];
  /** the client's own version, or the last one that names topics */
  maxVersion: number;
  /** how long the coordinator may hold the request (a rebalance), added to the request deadline */
  extraMs?: number;
}

export interface SourceEndpoint {
  /** Metadata for `topics` (null: every topic), from any broker that answers. */
  metadata(topics: string[] | null): Promise<SourceMetadata>;
  /** One Fetch to `broker`, answered at the version it was built for. */
  fetch(broker: number, call: FetchCall): Promise<{ version: number; body: Decoded<FetchResponse> }>;
  /** ListOffsets at `timestamp` (or EARLIEST/LATEST), keyed by refKey. */
  listOffsets(broker: number, refs: PartitionRef[], timestamp: number, isolation: number): Promise<Map<string, OffsetAnswer>>;
  /** OffsetForLeaderEpoch: the end offset of each partition's `epoch` (the source's largest epoch not above it). */
  epochEndOffsets(broker: number, refs: (PartitionRef & { epoch: number })[]): Promise<Map<string, EpochAnswer>>;
  /** The configs `names` of each topic the source describes; a source that cannot say gives none. */
  topicConfigs(topics: string[], names: readonly string[]): Promise<Map<string, ConfigEntry[]>>;
  /** The consumer groups of the source (every broker's). */
  listGroups(): Promise<string[]>;
  /** A group's committed offsets, from its coordinator. */
  committedOffsets(group: string): Promise<CommittedOffset[]>;
  /**
   * The size in bytes of each of `refs` on `broker` (DescribeLogDirs), keyed by refKey; a source
   * that cannot say (not allowed, too old) gives none.
   */
  partitionSizes(broker: number, refs: { topic: string; partition: number }[]): Promise<Map<string, number>>;
  /** The source broker coordinating `group` (FindCoordinator); throws when the source has none to give. */
  groupCoordinator(group: string): Promise<number>;
  /**
   * One group request to the coordinator `broker` on the connection `lane`, which no other
   * request shares: a JoinGroup held there for a rebalance holds up only its own lane.
   */
  groupRequest<N extends GroupApi>(broker: number, lane: string, name: N, call: GroupCall<N>): Promise<{ version: number; body: Decoded<ApiMessages[N]['response']> }>;
  /** Closes the connections of `lane`. */
  closeLane(lane: string): void;
  /** The source's ACLs a filter matches (DescribeAcls); throws when the source refuses (no authorizer, not allowed). */
  describeAcls(filter: AclFilter): Promise<AclBinding[]>;
  /** What the endpoint's connections have done since it was made (opened, SASL authentications). */
  connectionCounts(): { opened: number; authenticated: number; reauthenticated: number };
  /** A broker's address as the last metadata gave it, for messages. */
  brokerAddress(broker: number): HostPort | undefined;
  /** Drops every connection; calls after this fail. */
  close(): void;
}
