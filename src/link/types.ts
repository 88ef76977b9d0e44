// What the cluster-link engine offers to the management faces (REST on the admin listener, the
// CLI through it) and to the rest of the broker. One implementation, LinkManager, stands behind it.

import type { LinkSpec } from '../config/link-spec.js';
import type { AclBinding } from '../common/acls.js';
import type { CommittedOffset } from './source-endpoint.js';
import type { ReadThroughStats } from './read-through.js';
import type { SourceGroups } from './source-groups.js';

/**
 * The broker's own consumer groups, as the link's offset sync sees them (the group coordinator
 * stands behind it; the link does not reach up into it).
 */
export interface LocalGroups {
  /** whether consumers are members of the group here: then its offsets are theirs */
  hasMembers(group: string): boolean;
  /** the group's committed offsets here, by refKey(topic, partition) */
  committed(group: string): Map<string, number>;
  /** commits as an admin does (no generation); resolves with an error name per offset */
  commit(group: string, offsets: CommittedOffset[]): Promise<string[]>;
}

/** The broker's ACLs, as a link's ACL sync sees them (the authorizer's store stands behind it). */
export interface LocalAcls {
  list(): readonly AclBinding[];
  /** adds `add` (those not there yet) and removes `remove`, in one atomic write */
  change(add: AclBinding[], remove: AclBinding[]): Promise<void>;
}

/** Consumer offset sync of a link: when it last ran, and per group how many records it trails the source by. */
export interface OffsetSyncStatus {
  enabled: boolean;
  /** ms since the epoch; null: not run yet */
  lastSyncMs: number | null;
  /** every group the last round looked at: `behind` is what it could not sync yet (the mirror has not caught up) */
  groups: { group: string; behind: number; synced: boolean }[];
}

export type LinkState = 'ACTIVE' | 'SOURCE_UNAVAILABLE' | 'FAILED';
/**
 * PENDING_STOPPED: being promoted or failed over (still read-only); STOPPED: promoted or failed
 * over, the topic is an ordinary one now, listed until the link goes.
 */
export type MirrorState = 'ACTIVE' | 'PAUSED' | 'SOURCE_UNAVAILABLE' | 'FAILED' | 'PENDING_STOPPED' | 'STOPPED';

export interface LinkDescription extends LinkSpec {
  linkId: string;
  /** the source's cluster id once known */
  sourceClusterIdSeen: string | null;
  state: LinkState;
  lastError: string | null;
  mirrors: number;
  bytesPerSec: number;
  recordsPerSec: number;
  /**
   * The source brokers the link fetches from, by node id, each with the number of mirrored
   * partitions it leads: one Fetch request to that broker covers them all.
   */
  fetchers: { broker: number; partitions: number }[];
  /**
   * The link's connections to the source since it last (re)started: opened, SASL-authenticated,
   * and re-authenticated in place before their session ended (KIP-368).
   */
  connections: { opened: number; authenticated: number; reauthenticated: number };
  offsetSync: OffsetSyncStatus;
  /** reads of the mirrors' older records through the link (those local.retention.* deleted here) */
  readThrough: ReadThroughStats;
}

export interface MirrorPartitionStatus {
  partition: number;
  sourceHighWatermark: number;
  sourceLogStartOffset: number;
  localLogEndOffset: number;
  /** where the records here begin (above logStartOffset when local.retention.* deleted older ones) */
  localLogStartOffset: number;
  /** where the partition's records begin: the source's log start, as mirrored */
  logStartOffset: number;
  /** bytes of the partition's segments here */
  localBytes: number;
  /** bytes of the source partition, its leader's DescribeLogDirs says (-1: not known): the mirror's total size */
  sourceBytes: number;
  /** bytes of record batches served to clients: from the copy here, and read through from the source */
  bytesServed: { local: number; readThrough: number };
  lag: number;
  lastFetchTimeMs: number;
  /** the source broker the partition is fetched from, as the source's metadata last said (-1: none) */
  sourceLeaderId: number;
  /** the source's leader epoch of that leadership (-1: none known) */
  sourceLeaderEpoch: number;
  state: MirrorState;
  error: string | null;
  /** a STOPPED mirror's log end offset when it stopped (where failback truncates to) */
  stopOffset?: number;
}

export interface MirrorDescription {
  topic: string;
  /** the source topic's name (the mirror's, but for the link's cluster.link.prefix) */
  sourceTopic: string;
  linkName: string;
  sourceTopicId: string | null;
  state: MirrorState;
  reason: string | null;
  partitions: MirrorPartitionStatus[];
}

/**
 * A topic config outpost answers only when it is asked for by name, and only for a mirror topic:
 * the cluster id of the mirror's source. A link that auto-creates mirrors asks it of the source's
 * topics, so that two clusters linked both ways never mirror a topic back to where it came from.
 * Kafka answers nothing for a name it does not know, so any source can be asked.
 */
export const MIRROR_SOURCE_CLUSTER_CONFIG = 'outpost.mirror.source.cluster.id';

export interface RestoreResult {
  topic: string;
  error: string | null;
  truncated: { partition: number; truncatedTo: number; messages: number }[];
}

/** Errors the management faces turn into HTTP statuses / CLI messages. */
export class LinkError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'ALREADY_EXISTS' | 'INVALID' | 'SOURCE', message: string) {
    super(message);
  }
}

export interface LinkManagerApi {
  createLink(spec: LinkSpec, opts?: { validateOnly?: boolean; probe?: boolean }): Promise<LinkDescription>;
  listLinks(): LinkDescription[];
  describeLink(name: string): LinkDescription;
  deleteLink(name: string, opts?: { force?: boolean }): Promise<void>;
  linkConfigs(name: string): Record<string, string>;
  alterLinkConfigs(name: string, set: Record<string, string>, remove: string[]): Promise<void>;
  /** `sourceTopic`: the source topic's name, when it is not `topic` (a link with cluster.link.prefix) */
  createMirror(linkName: string, topic: string, opts?: { configs?: Record<string, string>; sourceTopic?: string }): Promise<MirrorDescription>;
  listMirrors(linkName?: string): MirrorDescription[];
  describeMirror(linkName: string, topic: string): MirrorDescription;
  pauseMirrors(linkName: string, topics: string[]): Promise<void>;
  resumeMirrors(linkName: string, topics: string[]): Promise<void>;
  /**
   * Promote (checked: no lag, configs synced, a last offset sync) or fail over (as it stands)
   * mirrors: each stops and its topic becomes writable. Per topic, what stood in the way or null.
   */
  stopMirrors(linkName: string, topics: string[], how: 'promote' | 'failover', opts?: { validateOnly?: boolean }): Promise<{ topic: string; error: string | null }[]>;
  /**
   * Failback: makes ordinary local topics mirrors of the link's source again, each cut back to
   * where it agrees with its source topic. Per topic, what stood in the way or null, and per
   * partition the offset truncated to and the records cut.
   */
  restoreMirrors(linkName: string, topics: string[], opts?: { validateOnly?: boolean }): Promise<RestoreResult[]>;
  /** The link whose source coordinates consumer group `group` (consumer.group.coordination=source), if any. */
  groupsAtSource(group: string): SourceGroups | undefined;
  /** whether a local topic is a mirror (read-only to clients): of which link, from which source cluster (null: not known yet) */
  mirrorOf(topic: string): { linkName: string; sourceClusterId: string | null } | undefined;
}
