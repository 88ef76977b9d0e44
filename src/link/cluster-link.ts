// One cluster link at run time: its mirrors, one fetcher per source broker, and two tasks. The
// leadership task asks the source for the metadata of the mirrored topics (every
// topic.config.sync.ms, and soon after a fetcher finds leadership stale), checks the source's
// cluster id, hands each partition to the fetcher of the source broker that leads it, grows
// mirrors whose source gained partitions and fails those whose source topic is gone, replaced or
// shrunk; it also keeps the link's availability: while the source cannot be reached it retries
// with backoff (reconnect.backoff.ms doubling up to reconnect.backoff.max.ms) and says why. The
// config-sync task copies the synced topic configs.
import { join } from 'node:path';
import { setImmediate as yieldNow } from 'node:timers/promises';
import type { Logger } from 'pino';
import { KafkaError } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { systemClock, type Clock } from '../common/clock.js';
import { javaStringHash } from '../common/java-string-hash.js';
import { sameBinding, type AclBinding } from '../common/acls.js';
import { chosenByFilters } from '../config/group-filters.js';
import { resolveLinkSettings, type LinkSettings, type StartOffsetSpec } from '../config/link-configs.js';
import type { LogManager } from '../log/log-manager.js';
import type { PartitionLog } from '../log/partition-log.js';
import { newTopicId } from '../log/topic-names.js';
import { BrokerFetcher, type FetcherHost } from './broker-fetcher.js';
import { KafkaSource } from './kafka-source.js';
import { sourceFailure } from './source-client.js';
import { TaskRunner, type LinkTask } from './link-tasks.js';
import type { StoredLink, StoredMirror } from './link-store.js';
import type { MirrorPartition } from './mirror-partition.js';
import { MirrorTopic } from './mirror-topic.js';
import { RateMeter } from './rate-meter.js';
import { ReadThrough } from './read-through.js';
import { SourceGroups } from './source-groups.js';
import {
  EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, READ_COMMITTED, refKey, type CommittedOffset, type SourceEndpoint, type SourceMetadata, type SourceTopic,
} from './source-endpoint.js';
import { mergeSyncedConfigs, sameConfigs, SYNCED_TOPIC_CONFIGS, syncedFromSource } from './topic-sync.js';
import { LinkError, MIRROR_SOURCE_CLUSTER_CONFIG, type LinkState, type LocalAcls, type LocalGroups, type OffsetSyncStatus } from './types.js';

export interface LinkDeps {
  logs: LogManager;
  logger: Logger;
  /** writes every link's record to the store (the link's record is part of it) */
  persist(): Promise<void>;
  /** default: the system clock */
  clock?: Clock;
  /** default: the Kafka cluster at the link's bootstrap servers */
  connect?: (record: StoredLink, settings: LinkSettings) => SourceEndpoint;
  /** the broker's consumer groups, for consumer offset sync (absent: nothing is synced) */
  groups?: () => LocalGroups | undefined;
  /** makes the broker hand out producer ids above `id` only (a promoted mirror's producers keep theirs) */
  producerIdFloor?: (id: number) => Promise<void>;
  /** the broker's ACLs, for ACL sync (absent: there is no authorizer here) */
  acls?: () => LocalAcls | undefined;
  /** creates the mirror `topic` of `sourceTopic` as `mirror create` would (with every check); for auto-created mirrors */
  autoMirror?: (linkName: string, topic: string, sourceTopic: string) => Promise<void>;
  /** this broker's cluster id: a source topic that mirrors this cluster is never mirrored back */
  clusterId?: string;
}

const LEADERSHIP = 'leadership';
/**
 * The most partitions one fetch session holds before the source broker's are spread over one more.
 * A broker reads every partition of a session at each request, so a session's round trip grows
 * with its size (Kafka 4.4 answers an incremental fetch of 10,000 partitions with nothing new in
 * about 65 ms, of 1,000 in 15 ms); sessions on connections of their own run their rounds at once.
 */
const SESSION_PARTITIONS = 1000;

/** Which of `shards` fetch sessions a partition belongs to: by its name, the same at every start. */
function shardOf(p: MirrorPartition, shards: number): number {
  return shards === 1 ? 0 : (javaStringHash(p.key) >>> 0) % shards;
}

/** The partitions a source broker's fetchers hold together. */
const held = (fs: BrokerFetcher[]) => fs.reduce((n, f) => n + f.size, 0);

/** Under the data dir: each link's read-through chunks on disk (read.through.disk.cache.max.bytes). */
const READ_THROUGH_DIR = '__outpost_read_through_cache';
const CONFIG_SYNC = 'config-sync';
const OFFSET_SYNC = 'consumer-offset-sync';
const ACL_SYNC = 'acl-sync';

class ClusterIdMismatch extends Error {}

/** The source's answer while a partition's leadership is moving or not there yet: asking again helps. */
class LeadersUnsettled extends LinkError {
  constructor(message: string) {
    super('SOURCE', message);
  }
}

const LEADERSHIP_ERRORS = new Set(['NOT_LEADER_OR_FOLLOWER', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_LEADER_EPOCH', 'FENCED_LEADER_EPOCH', 'REPLICA_NOT_AVAILABLE']);

export class ClusterLink implements FetcherHost {
  state: LinkState = 'SOURCE_UNAVAILABLE';
  lastError: string | null = 'not connected to the source yet';
  readonly settings: LinkSettings;
  readonly source: SourceEndpoint;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly mirrors = new Map<string, MirrorTopic>();
  readonly meter = new RateMeter();
  /** reads of the mirrors' older records (deleted here by local.retention.*) from the source */
  readonly readThrough: ReadThrough;
  /** the groups consumer.group.coordination=source hands to the source's coordinator */
  readonly sourceGroups: SourceGroups;
  /** by source broker, its fetchers (fetch sessions), each holding the partitions of one shard */
  private readonly fetchers = new Map<number, BrokerFetcher[]>();
  private readonly tasks: TaskRunner;
  private refreshTimer: unknown = null;
  private failures = 0;
  /** config-sync problems already logged, so a repeating one is told once */
  private readonly told = new Set<string>();
  /**
   * Per mirror, the source's synced configs and the topic's configs here as the last sync saw
   * them: a round where neither changed has nothing to merge (with a thousand mirrors, merging
   * them all every round held the event loop for a quarter of a second). A changed broker default
   * is taken into the merge when the source's or the topic's configs next change.
   */
  private readonly lastSynced = new Map<MirrorTopic, string>();
  private offsetSyncStatus: Omit<OffsetSyncStatus, 'enabled'> = { lastSyncMs: null, groups: [] };
  /** resolves when stop() begins: a task waiting on the link manager must not hold a stop up */
  private readonly stopping: Promise<void>;
  private markStopping: () => void = () => {};

  constructor(readonly record: StoredLink, private readonly deps: LinkDeps) {
    this.settings = resolveLinkSettings(record.name, record.configs);
    this.clock = deps.clock ?? systemClock;
    this.source = deps.connect ? deps.connect(record, this.settings) : new KafkaSource(record.bootstrapServers, this.settings);
    this.readThrough = new ReadThrough(() => this.source, {
      chunkBytes: this.settings.fetchMaxBytes,
      cacheBytes: this.settings.readThrough.cacheBytes,
      maxWaitMs: this.settings.readThrough.maxWaitMs,
      disk: { dir: join(deps.logs.dataDir, READ_THROUGH_DIR, encodeURIComponent(record.name)), bytes: this.settings.readThrough.diskBytes },
    });
    this.sourceGroups = new SourceGroups(() => this.source, {
      toSource: (topic) => this.mirrors.get(topic)?.sourceTopic ?? topic,
      toLocal: (sourceTopic) => [...this.mirrors.values()].find((m) => m.sourceTopic === sourceTopic)?.topic ?? sourceTopic,
    });
    this.logger = deps.logger.child({ link: record.name });
    this.tasks = new TaskRunner(this.clock, this.logger);
    this.stopping = new Promise((resolve) => (this.markStopping = resolve));
    for (const m of record.mirrors) {
      const mirror = new MirrorTopic(m);
      if (m.pending === null) this.attach(mirror);
      this.mirrors.set(m.topic, mirror);
    }
  }

  get name(): string {
    return this.record.name;
  }

  start(): void {
    if (this.tasks.isRunning) return;
    const leadership: LinkTask = { name: LEADERSHIP, run: () => this.followLeadership() };
    const configSync: LinkTask = { name: CONFIG_SYNC, run: () => this.syncConfigsTask() };
    const offsetSync: LinkTask = { name: OFFSET_SYNC, run: () => this.syncOffsetsTask() };
    const aclSync: LinkTask = { name: ACL_SYNC, run: () => this.syncAclsTask() };
    this.tasks.start([leadership, configSync, offsetSync, aclSync]);
  }

  /** Stops fetching (appends in progress finish) and closes the connections to the source. */
  async stop(): Promise<void> {
    this.markStopping();
    if (this.refreshTimer !== null) this.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    const stopped = this.tasks.stop();
    this.source.close();
    await this.readThrough.close();
    // The tasks may still be handing partitions to fetchers: stop those once they have ended.
    await stopped;
    await Promise.all([...this.fetchers.values()].flat().map((f) => f.stop()));
    this.fetchers.clear();
  }

  /** Each source broker fetched from, with the partitions its fetchers hold and how many fetch sessions they are. */
  fetcherLoad(): { broker: number; partitions: number; sessions: number }[] {
    return [...this.fetchers]
      .map(([broker, fs]) => ({ broker, partitions: held(fs), sessions: fs.filter((f) => f.size > 0).length }))
      .filter((l) => l.partitions > 0)
      .sort((a, b) => a.broker - b.broker);
  }

  // ---- FetcherHost -----------------------------------------------------------------------------

  mirrored(bytes: number, records: number): void {
    this.meter.record(bytes, records);
  }

  refreshMetadata(): void {
    if (this.refreshTimer !== null || !this.tasks.isRunning) return;
    this.refreshTimer = this.clock.setTimeout(() => {
      this.refreshTimer = null;
      this.tasks.wake(LEADERSHIP);
    }, this.settings.retryBackoffMs);
  }

  // ---- mirrors ---------------------------------------------------------------------------------

  /** The local name of the source topic `sourceTopic`'s mirror: the link's prefix, then the source's name. */
  mirrorName(sourceTopic: string): string {
    return this.settings.prefix + sourceTopic;
  }

  /**
   * Creates the mirror `topic` of the source topic `sourceTopic`: the local topic gets the source's
   * partition count, its synced configs merged over `ownConfigs`, and each partition starts empty
   * at the offset mirror.start.offset.spec picks (the source's log start by default).
   */
  async createMirror(topic: string, sourceTopic: string, ownConfigs: Record<string, string>): Promise<MirrorTopic> {
    // A topic made at the source a moment ago may not have its leaders yet: asked again, briefly.
    const { source, startOffsets, logStartOffsets } = await this.whileLeadersSettle(async () => {
      const t = await this.sourceTopic(sourceTopic);
      const startOffsets = await this.startOffsets(t, this.settings.startOffset);
      // Started later than the source's log start, the mirror still serves what is older from the source.
      const logStartOffsets = this.settings.startOffset.kind === 'earliest' ? startOffsets : await this.startOffsets(t, { kind: 'earliest' });
      return { source: t, startOffsets, logStartOffsets };
    });
    const fromSource = await this.sourceConfigs([sourceTopic]).catch((e: Error) => {
      throw new LinkError('SOURCE', `cannot read the configs of ${sourceTopic} at the source: ${e.message}`);
    });
    const { configs, skipped } = mergeSyncedConfigs(ownConfigs, fromSource.get(sourceTopic) ?? {});
    if (skipped.length > 0) this.logger.warn({ topic, skipped }, 'cluster link: source topic configs outpost does not take were left out');
    const record: StoredMirror = {
      topic,
      ...(sourceTopic !== topic ? { sourceTopic } : {}),
      localTopicId: newTopicId(),
      sourceTopicId: source.topicId === ZERO_UUID ? null : source.topicId,
      paused: false,
      failed: null,
      pending: { startOffsets, ...(logStartOffsets.some((o, p) => o !== startOffsets[p]) ? { logStartOffsets } : {}), configs },
    };
    const mirror = new MirrorTopic(record);
    this.record.mirrors.push(record);
    this.mirrors.set(topic, mirror);
    await this.deps.persist();
    try {
      await this.finishMirror(mirror);
    } catch (e) {
      this.forget(mirror);
      await this.deps.persist();
      if (e instanceof KafkaError) throw new LinkError(e.error === 'TOPIC_ALREADY_EXISTS' ? 'ALREADY_EXISTS' : 'INVALID', e.message);
      throw e;
    }
    this.logger.info({ topic, sourceTopic, partitions: startOffsets.length, startOffsets, sourceTopicId: record.sourceTopicId }, 'cluster link: created mirror topic');
    return mirror;
  }

  /**
   * Makes a recorded mirror's local topic and starts its partitions at their start offsets; run
   * at creation, and at start-up for a mirror whose creation a crash cut short.
   */
  async finishMirror(mirror: MirrorTopic): Promise<void> {
    const { pending, topic, localTopicId } = mirror.record;
    if (!pending) return;
    const existing = this.deps.logs.topic(topic);
    if (!existing) {
      await this.deps.logs.createTopic(topic, { partitions: pending.startOffsets.length, configs: pending.configs, topicId: localTopicId });
    } else if (existing.topicId !== localTopicId) {
      throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${topic}' already exists.`);
    }
    for (const [p, offset] of pending.startOffsets.entries()) {
      const log = this.deps.logs.getLog(topic, p)!;
      const logStart = Math.min(pending.logStartOffsets?.[p] ?? offset, offset);
      if (log.logStartOffset !== logStart || log.localLogStartOffset !== offset || log.logEndOffset !== offset) await log.truncateFullyAndStartAt(offset, logStart);
    }
    mirror.record.pending = null;
    await this.deps.persist();
    this.attach(mirror);
    this.tasks.wake(LEADERSHIP);
    this.tasks.wake(CONFIG_SYNC);
  }

  /** Takes up the mirror's partitions not attached yet; their logs read what they no longer hold from the source. */
  private attach(mirror: MirrorTopic): MirrorPartition[] {
    const added = mirror.attach(this.deps.logs);
    for (const p of added) void p.log.setRemote(this.readThrough.reader(p));
    return added;
  }

  /** The mirror's logs keep only what they hold from now on (promoted, or its link deleted). */
  async release(mirror: MirrorTopic): Promise<void> {
    await Promise.all(mirror.partitions.map((p) => p.log.setRemote(null)));
  }

  /** Forgets a mirror whose creation could not be finished (its local topic, if any, stays). */
  forget(mirror: MirrorTopic): void {
    for (const p of mirror.partitions) this.detach(p);
    this.mirrors.delete(mirror.topic);
    this.lastSynced.delete(mirror);
    this.record.mirrors = this.record.mirrors.filter((m) => m !== mirror.record);
  }

  async setPaused(mirror: MirrorTopic, paused: boolean): Promise<void> {
    if (mirror.record.paused === paused) return;
    mirror.record.paused = paused;
    await this.deps.persist();
    for (const p of mirror.partitions) p.setPaused(paused);
    // Once paused, nothing more is appended: an append under way finishes first.
    if (paused) await Promise.all(mirror.partitions.map((p) => p.exclusive(async () => undefined)));
    for (const f of [...this.fetchers.values()].flat()) f.poke();
    this.logger.info({ topic: mirror.topic }, paused ? 'cluster link: mirror paused' : 'cluster link: mirror resumed');
  }

  /**
   * Stops a mirror for good and makes its topic an ordinary, writable one. `promote` first checks
   * that nothing is lost: the mirror holds everything the source has committed (asked of the source
   * now), its configs are synced, and a last consumer offset sync has run. `failover` is for a
   * source that is gone: it stops at what the mirror holds. Either way the topic gets a leader
   * epoch above every mirrored one, the broker's producer ids go above those in the mirrored data,
   * and the log end offsets at the stop are kept (for failback). Returns what stood in the way, or null.
   */
  async stopMirror(mirror: MirrorTopic, how: 'promote' | 'failover', validateOnly: boolean): Promise<string | null> {
    const topic = mirror.topic;
    if (mirror.record.pending) return `mirror topic ${topic} is still being created`;
    if (how === 'promote') {
      const problem = await this.promotionProblem(mirror);
      if (problem) return problem;
    }
    if (validateOnly) return null;
    // PENDING_STOPPED, recorded first: from here on a crash finishes the stop at the next start.
    mirror.record.stopping = how;
    await this.deps.persist();
    await this.finishStop(mirror);
    return null;
  }

  /** Ends a stop under way (PENDING_STOPPED): mirroring ends and the topic becomes writable. */
  async finishStop(mirror: MirrorTopic): Promise<void> {
    const { topic } = mirror;
    const how = mirror.record.stopping;
    if (how === undefined) return;
    // Nothing more is appended (an append under way finishes first).
    await this.setPaused(mirror, true);
    for (const p of mirror.partitions) this.detach(p);
    await this.release(mirror);
    const logs = mirror.partitions.map((p) => this.deps.logs.getLog(topic, p.partition)!);
    const stopOffsets = logs.map((l) => l.logEndOffset);
    for (const l of logs) await l.startNewEpoch();
    // Transactions the source had open end here: their markers can no longer come from it.
    for (const l of logs) {
      const aborted = await l.abortOpenTransactions(this.clock.now());
      if (aborted.length > 0) this.logger.info({ topic, log: l.dir, producers: aborted }, 'cluster link: aborted the transactions the source had open');
    }
    await this.deps.producerIdFloor?.(Math.max(-1, ...logs.map((l) => l.maxProducerId)));
    this.forget(mirror);
    this.record.stoppedMirrors.push({ topic, ...(mirror.record.sourceTopic !== undefined ? { sourceTopic: mirror.record.sourceTopic } : {}), localTopicId: mirror.record.localTopicId, how, stoppedAtMs: this.clock.now(), stopOffsets });
    await this.deps.persist();
    this.logger.info({ topic, how, stopOffsets }, how === 'promote' ? 'cluster link: mirror promoted: the topic is writable' : 'cluster link: failed over: the mirror stopped at what it holds, and the topic is writable');
  }

  /**
   * Failback: makes the ordinary local topic `topic` a mirror of the source topic `sourceTopic`
   * again, its log cut back to where it agrees with the source. That point is found as a follower
   * finds it, from the leader-epoch histories: the source, promoted from a mirror of this topic,
   * began a new epoch at the offset where it stopped mirroring, so whatever this topic took after
   * that point (records that never reached the source) is cut. Answers, per partition, the offset
   * truncated to and the records cut; `validateOnly` changes nothing.
   */
  async restoreMirror(topic: string, sourceTopic: string, validateOnly: boolean): Promise<{ partition: number; truncatedTo: number; messages: number }[]> {
    const info = this.deps.logs.topic(topic);
    if (!info) throw new LinkError('NOT_FOUND', `topic ${topic} does not exist here`);
    const source = await this.sourceTopic(sourceTopic);
    if (source.partitions.length < info.partitions) {
      throw new LinkError('INVALID', `the source topic ${sourceTopic} has ${source.partitions.length} partitions, fewer than ${topic}'s ${info.partitions}: it cannot be restored from it`);
    }
    const points = () => Promise.all(Array.from({ length: info.partitions }, async (_, partition) => {
      const log = this.deps.logs.getLog(topic, partition)!;
      const truncatedTo = await this.agreementPoint(log, sourceTopic, source.partitions[partition]!);
      return { partition, truncatedTo, messages: log.logEndOffset - truncatedTo };
    }));
    const planned = await points();
    if (validateOnly) return planned;
    const record: StoredMirror = {
      topic,
      ...(sourceTopic !== topic ? { sourceTopic } : {}),
      localTopicId: info.topicId,
      sourceTopicId: source.topicId === ZERO_UUID ? null : source.topicId,
      paused: false,
      failed: null,
      pending: null,
    };
    // Read-only from here on: nothing is appended between finding the points and cutting there.
    const mirror = new MirrorTopic(record);
    this.record.mirrors.push(record);
    this.mirrors.set(topic, mirror);
    this.record.stoppedMirrors = this.record.stoppedMirrors.filter((s) => s.topic !== topic);
    await this.deps.persist();
    const cut = await points().catch(() => planned);
    for (const c of cut) {
      const log = this.deps.logs.getLog(topic, c.partition)!;
      if (c.truncatedTo < log.logEndOffset) await log.truncateTo(c.truncatedTo);
    }
    this.attach(mirror);
    this.tasks.wake(LEADERSHIP);
    this.tasks.wake(CONFIG_SYNC);
    this.logger.info({ topic, sourceTopic, truncated: cut }, 'cluster link: restored a mirror: the topic is read-only and follows its source again');
    return cut;
  }

  /** Where `log` stops agreeing with the source partition, by their leader-epoch histories (as a follower truncates). */
  private async agreementPoint(log: PartitionLog, sourceTopic: string, sp: SourceTopic['partitions'][number]): Promise<number> {
    if (sp.error !== 'NONE' || sp.leaderId < 0) throw new LinkError('SOURCE', `partition ${sp.partition} of the source topic ${sourceTopic} has no leader (${sp.error}); try again`);
    let end = log.logEndOffset;
    for (;;) {
      if (end <= log.logStartOffset) return end;
      const epoch = log.epochForOffset(end - 1);
      if (epoch < 0) return end;
      let a;
      try {
        a = (await this.source.epochEndOffsets(sp.leaderId, [{ topic: sourceTopic, partition: sp.partition, leaderEpoch: sp.leaderEpoch, epoch }])).get(refKey(sourceTopic, sp.partition));
      } catch (e) {
        throw new LinkError('SOURCE', `link ${this.name}: ${sourceFailure(this.record.bootstrapServers, e)}`);
      }
      if (!a || a.error !== 'NONE') throw new LinkError('SOURCE', `OffsetForLeaderEpoch for partition ${sp.partition} of ${sourceTopic}: ${a?.error ?? 'no answer'}`);
      if (a.leaderEpoch < 0 || a.endOffset < 0) {
        throw new LinkError('INVALID', `partition ${sp.partition}: the source's history shares no leader epoch with this topic's (it is not a copy of it): it cannot be restored from it`);
      }
      const local = log.endOffsetForLeaderEpoch(a.leaderEpoch);
      const target = Math.min(a.endOffset, local.endOffset, end);
      if (local.epoch === a.leaderEpoch || target >= end) return target;
      end = target;
    }
  }

  /** Why the mirror may not be promoted yet, or null: lag at the source, configs, the last offset sync. */
  private async promotionProblem(mirror: MirrorTopic): Promise<string | null> {
    const topic = mirror.topic;
    let lags: number[];
    try {
      lags = await this.sourceLags(mirror);
    } catch (e) {
      return `cannot check ${topic} against its source (${sourceFailure(this.record.bootstrapServers, e)}): promote needs the source; use failover if it is lost`;
    }
    const behind = lags.map((lag, p) => ({ p, lag })).filter((x) => x.lag > 0);
    if (behind.length > 0) {
      const total = behind.reduce((n, x) => n + x.lag, 0);
      return `mirror topic ${topic} is ${total} records behind its source (${behind.map((x) => `partition ${x.p}: ${x.lag}`).join(', ')}): stop the producers at the source and promote when the lag is 0, or use failover`;
    }
    try {
      await this.syncConfigs([topic]);
    } catch (e) {
      return `cannot sync the configs of ${topic} from its source: ${(e as Error).message}`;
    }
    const local = this.deps.groups?.();
    if (this.settings.offsetSync.enabled && local) {
      try {
        await this.syncOffsets(local);
      } catch (e) {
        return `the last consumer offset sync failed: ${(e as Error).message}`;
      }
    }
    return null;
  }

  /** Per partition, what the source has committed (its last stable offset, asked now) beyond the mirror's end. */
  private async sourceLags(mirror: MirrorTopic): Promise<number[]> {
    const md = await this.source.metadata([mirror.sourceTopic]);
    const t = md.topics.get(mirror.sourceTopic);
    if (!t || t.error !== 'NONE') throw new Error(`the source cannot describe ${mirror.sourceTopic}: ${t?.error ?? 'no answer'}`);
    const byLeader = new Map<number, { topic: string; partition: number; leaderEpoch: number }[]>();
    for (const p of t.partitions) {
      if (p.leaderId < 0) throw new Error(`partition ${p.partition} has no leader at the source`);
      byLeader.set(p.leaderId, [...(byLeader.get(p.leaderId) ?? []), { topic: mirror.sourceTopic, partition: p.partition, leaderEpoch: p.leaderEpoch }]);
    }
    const lags = mirror.partitions.map(() => 0);
    for (const [leader, refs] of byLeader) {
      const answers = await this.source.listOffsets(leader, refs, LATEST_TIMESTAMP, READ_COMMITTED);
      for (const r of refs) {
        const a = answers.get(refKey(r.topic, r.partition));
        if (!a || a.error !== 'NONE') throw new Error(`ListOffsets for partition ${r.partition}: ${a?.error ?? 'no answer'}`);
        const log = this.deps.logs.getLog(mirror.topic, r.partition);
        if (log && r.partition < lags.length) lags[r.partition] = Math.max(0, a.offset - log.logEndOffset);
      }
    }
    return lags;
  }

  // ---- the tasks --------------------------------------------------------------------------------

  /** Metadata and leadership, and the link's availability; resolves with the wait until the next round. */
  private async followLeadership(): Promise<number> {
    let md: SourceMetadata;
    try {
      await this.dropDeletedMirrors();
      md = await this.source.metadata([...this.mirrors.values()].filter((m) => m.live).map((m) => m.sourceTopic));
      await this.checkClusterId(md.clusterId);
    } catch (e) {
      if (!this.tasks.isRunning) return 0;
      const message = (e as Error).message;
      if (e instanceof ClusterIdMismatch) {
        // Not a byte of another cluster's data may reach the mirrors: stop fetching altogether.
        for (const m of this.mirrors.values()) for (const p of m.partitions) this.detach(p);
        this.setState('FAILED', message);
      } else {
        this.setState('SOURCE_UNAVAILABLE', sourceFailure(this.record.bootstrapServers, e));
      }
      return Math.min(this.settings.reconnectBackoffMs * 2 ** Math.min(this.failures++, 20), this.settings.reconnectBackoffMaxMs);
    }
    const wasActive = this.state === 'ACTIVE';
    this.setState('ACTIVE', null);
    this.failures = 0;
    if (!wasActive) this.tasks.wake(CONFIG_SYNC);
    try {
      await this.applyMetadata(md);
    } catch (e) {
      // A local failure (the disk, a topic deleted meanwhile): told, and tried again next round.
      if (this.tasks.isRunning) this.logger.error({ err: (e as Error).message }, 'cluster link: applying the source metadata failed');
    }
    if (this.settings.autoCreate.enabled) await this.autoCreateMirrors();
    return this.settings.topicConfigSyncMs;
  }

  /**
   * Mirrors the source topics auto.create.mirror.topics.filters chooses that are not mirrored or
   * present here yet (internal topics never), within a metadata round of their appearing.
   */
  private async autoCreateMirrors(): Promise<void> {
    const create = this.deps.autoMirror;
    if (!create) return;
    let md: SourceMetadata;
    try {
      md = await this.source.metadata(null);
    } catch {
      return; // the next round asks again; the leadership task reports an unreachable source
    }
    const mirrored = new Set([...this.mirrors.values()].map((m) => m.sourceTopic));
    const stopped = new Set(this.record.stoppedMirrors.map((s) => s.topic));
    const candidates = [...md.topics.values()].map((t) => t.name).filter((name) => {
      const local = this.mirrorName(name);
      const t = md.topics.get(name)!;
      return t.error === 'NONE' && !name.startsWith('__') && !mirrored.has(name) && !stopped.has(local) && !this.deps.logs.topic(local) && chosenByFilters(this.settings.autoCreate.filters, name);
    });
    if (candidates.length === 0) return;
    let ours: Set<string>;
    try {
      ours = await this.mirrorsOfThisCluster(candidates);
    } catch {
      return; // not knowing which topics are our own, coming back, nothing is created this round
    }
    for (const name of candidates) {
      if (ours.has(name)) {
        this.tellOnce(`loop:${name}`, { sourceTopic: name }, 'cluster link: the source topic is a mirror of this cluster\'s own topic; it is not mirrored back');
        continue;
      }
      const local = this.mirrorName(name);
      // The manager runs one change at a time; one that is stopping this link must not wait on this.
      const creating = create(this.name, local, name).then(() => null, (e: Error) => e);
      const result = await Promise.race([creating, this.stopping.then(() => 'stopped' as const)]);
      if (result === 'stopped') return;
      if (result === null) this.logger.info({ topic: local, sourceTopic: name }, 'cluster link: auto-created a mirror of a new source topic');
      else this.tellOnce(`auto:${name}:${result.message}`, { topic: local, err: result.message }, 'cluster link: cannot auto-create a mirror');
    }
  }

  /**
   * Which of the source's topics are mirrors of this cluster (an outpost source says so when asked
   * for MIRROR_SOURCE_CLUSTER_CONFIG): two clusters linked both ways would otherwise pass a topic
   * back and forth under ever longer prefixes. A chain (this cluster mirroring a mirror of a third)
   * is left alone.
   */
  private async mirrorsOfThisCluster(topics: string[]): Promise<Set<string>> {
    const self = this.deps.clusterId;
    if (self === undefined) return new Set();
    const described = await this.source.topicConfigs(topics, [MIRROR_SOURCE_CLUSTER_CONFIG]);
    return new Set([...described].filter(([, entries]) => entries.some((e) => e.name === MIRROR_SOURCE_CLUSTER_CONFIG && e.value === self)).map(([t]) => t));
  }

  /** The synced topic configs, while the source answers; resolves with the wait until the next round. */
  private async syncConfigsTask(): Promise<number> {
    if (this.state === 'ACTIVE') {
      await this.syncConfigs();
      await this.readSourceSizes();
    }
    return this.settings.topicConfigSyncMs;
  }

  /** The source partitions' sizes (a mirror's total size, of which local retention keeps a part here), from their leaders. */
  private async readSourceSizes(): Promise<void> {
    const byLeader = new Map<number, MirrorPartition[]>();
    for (const m of this.mirrors.values()) {
      if (!m.live) continue;
      for (const p of m.partitions) {
        if (p.leaderId < 0) continue;
        const parts = byLeader.get(p.leaderId);
        if (parts) parts.push(p);
        else byLeader.set(p.leaderId, [p]);
      }
    }
    for (const [leader, parts] of byLeader) {
      try {
        const sizes = await this.source.partitionSizes(leader, parts.map((p) => ({ topic: p.sourceTopic, partition: p.partition })));
        for (const p of parts) p.sourceBytes = sizes.get(refKey(p.sourceTopic, p.partition)) ?? -1;
      } catch (e) {
        this.tellOnce(`sizes:${(e as Error).message}`, { err: (e as Error).message }, 'cluster link: cannot read the source partitions\' sizes');
      }
    }
  }

  /** Consumer offset sync, when enabled and the source answers; resolves with the wait until the next round. */
  private async syncOffsetsTask(): Promise<number> {
    const { enabled, intervalMs } = this.settings.offsetSync;
    const local = this.deps.groups?.();
    if (enabled && local && this.state === 'ACTIVE') await this.syncOffsets(local);
    return intervalMs;
  }

  /** ACL sync, when enabled and the source answers; resolves with the wait until the next round. */
  private async syncAclsTask(): Promise<number> {
    const { enabled, intervalMs } = this.settings.aclSync;
    if (!enabled || this.state !== 'ACTIVE') return intervalMs;
    const local = this.deps.acls?.();
    if (!local) {
      this.tellOnce('acl-sync:no-authorizer', {}, 'cluster link: acl.sync.enable is set, but this broker has no authorizer (authorizer.class.name): no ACL is synced');
      return intervalMs;
    }
    await this.syncAcls(local);
    return intervalMs;
  }

  /**
   * One round of ACL sync: the source's ACLs the filters match are made here; those the sync made
   * before and the source no longer has are deleted. An ACL made here by hand is never deleted,
   * even one the source also has (the sync did not make it).
   */
  async syncAcls(local: LocalAcls): Promise<void> {
    const atSource: AclBinding[] = [];
    for (const f of this.settings.aclSync.filters) {
      for (const a of await this.source.describeAcls(f)) if (!atSource.some((b) => sameBinding(a, b))) atSource.push(a);
    }
    const here = local.list();
    const add = atSource.filter((a) => !here.some((b) => sameBinding(a, b)));
    const remove = this.record.syncedAcls.filter((a) => !atSource.some((b) => sameBinding(a, b)));
    if (add.length === 0 && remove.length === 0) return;
    await local.change(add, remove);
    this.record.syncedAcls = [...this.record.syncedAcls.filter((a) => !remove.some((b) => sameBinding(a, b))), ...add];
    await this.deps.persist();
    this.logger.info({ added: add.length, removed: remove.length }, 'cluster link: ACLs synced from the source');
  }

  get offsetSync(): OffsetSyncStatus {
    return { enabled: this.settings.offsetSync.enabled, ...this.offsetSyncStatus };
  }

  /**
   * One round of consumer offset sync: the source groups the filters choose, their committed
   * offsets of mirrored partitions committed here as they are (offsets are the same on both
   * sides). A group with members here is theirs and left alone; an offset past what the mirror
   * holds waits for it; an unchanged one is not written again; no group is ever deleted.
   */
  async syncOffsets(local: LocalGroups): Promise<void> {
    const filters = this.settings.offsetSync.filters;
    const groups = (await this.source.listGroups()).filter((g) => chosenByFilters(filters, g)).sort();
    const bySource = new Map([...this.mirrors.values()].filter((m) => m.record.pending === null).map((m) => [m.sourceTopic, m.topic]));
    const status: OffsetSyncStatus['groups'] = [];
    for (const sourceGroup of groups) {
      const group = this.settings.prefixGroups ? this.settings.prefix + sourceGroup : sourceGroup;
      // The source's offsets, under the mirrors' names.
      const offsets = (await this.source.committedOffsets(sourceGroup)).flatMap((o) => {
        const topic = bySource.get(o.topic);
        return topic === undefined ? [] : [{ ...o, topic }];
      });
      if (offsets.length === 0) continue;
      if (local.hasMembers(group)) {
        status.push({ group, behind: 0, synced: false });
        continue;
      }
      const here = local.committed(group);
      const commit: CommittedOffset[] = [];
      let behind = 0;
      for (const o of offsets) {
        const log = this.deps.logs.getLog(o.topic, o.partition);
        if (!log) continue;
        const current = here.get(refKey(o.topic, o.partition));
        // A consumer must never be placed past the mirror's end: this one waits for the mirror.
        if (o.offset > log.highWatermark) {
          behind += o.offset - Math.max(current ?? log.logStartOffset, log.logStartOffset);
          continue;
        }
        if (current !== o.offset) commit.push(o);
      }
      if (commit.length > 0) {
        const errors = await local.commit(group, commit);
        const failed = errors.filter((e) => e !== 'NONE');
        if (failed.length > 0) this.logger.warn({ group, errors: [...new Set(failed)] }, 'cluster link: consumer offset sync: the commit was refused');
        else this.logger.debug({ group, partitions: commit.length }, 'cluster link: consumer offsets synced');
      }
      status.push({ group, behind, synced: true });
    }
    this.offsetSyncStatus = { lastSyncMs: this.clock.now(), groups: status };
  }

  private setState(state: LinkState, error: string | null): void {
    if (state !== this.state) {
      if (state === 'ACTIVE') this.logger.info({ clusterId: this.record.sourceClusterIdSeen }, 'cluster link: connected to the source');
      else this.logger.warn({ state, error }, 'cluster link: the source is not available');
    }
    this.state = state;
    this.lastError = error;
  }

  private async checkClusterId(seen: string | null): Promise<void> {
    const wanted = this.record.sourceClusterId;
    if (wanted !== undefined && seen !== wanted) {
      throw new ClusterIdMismatch(`the source cluster's id is ${seen ?? '(none)'}, but link ${this.name} is for cluster ${wanted}`);
    }
    const known = this.record.sourceClusterIdSeen;
    if (known !== null && seen !== null && seen !== known) {
      throw new ClusterIdMismatch(`the source at ${this.record.bootstrapServers} is now cluster ${seen}, not cluster ${known} that link ${this.name} mirrors`);
    }
    if (known === null && seen !== null) {
      this.record.sourceClusterIdSeen = seen;
      await this.deps.persist();
    }
  }

  /** A mirror topic deleted locally (DeleteTopics) is no longer a mirror. */
  private async dropDeletedMirrors(): Promise<void> {
    const gone = [...this.mirrors.values()].filter((m) => m.record.pending === null && this.deps.logs.topic(m.topic)?.topicId !== m.record.localTopicId);
    if (gone.length === 0) return;
    for (const m of gone) {
      this.forget(m);
      this.logger.info({ topic: m.topic }, 'cluster link: the mirror topic was deleted; it is no longer mirrored');
    }
    await this.deps.persist();
  }

  private async applyMetadata(md: SourceMetadata): Promise<void> {
    // The sessions each source broker's partitions need, made before they are handed out (at a
    // start, none is then moved from one session to another).
    const led = new Map<number, number>();
    for (const m of this.mirrors.values()) {
      if (!m.live) continue;
      for (const sp of md.topics.get(m.sourceTopic)?.partitions ?? []) if (sp.leaderId >= 0) led.set(sp.leaderId, (led.get(sp.leaderId) ?? 0) + 1);
    }
    for (const [leaderId, partitions] of led) this.spread(leaderId, partitions);
    for (const m of this.mirrors.values()) {
      if (!m.live) continue;
      const t = md.topics.get(m.sourceTopic);
      if (!t) continue;
      if (t.error === 'UNKNOWN_TOPIC_OR_PARTITION') {
        // A broker that has just started may not know every topic yet: gone means gone for a while.
        m.missingSince ??= this.clock.now();
        if (this.clock.now() - m.missingSince >= this.settings.topicConfigSyncMs) await this.fail(m, `the source topic ${m.sourceTopic} no longer exists on the source cluster`);
        else for (const p of m.partitions) p.detached('the source cluster does not know the topic');
        continue;
      }
      m.missingSince = null;
      if (t.error !== 'NONE') {
        for (const p of m.partitions) p.detached(`the source has no metadata for the topic: ${t.error}`);
        continue;
      }
      const sourceId = m.record.sourceTopicId;
      if (sourceId !== null && t.topicId !== ZERO_UUID && t.topicId !== sourceId) {
        await this.fail(m, `the source topic ${m.sourceTopic} was deleted and recreated (topic id ${t.topicId}, mirrored ${sourceId})`);
        continue;
      }
      if (t.partitions.length < m.partitions.length) {
        await this.fail(m, `the source topic ${m.sourceTopic} has ${t.partitions.length} partitions, fewer than the mirror's ${m.partitions.length}`);
        continue;
      }
      if (t.partitions.length > m.partitions.length) await this.grow(m, t.partitions.length);
      for (const sp of t.partitions) {
        const p = m.partitions[sp.partition];
        if (!p) continue;
        if (sp.error !== 'NONE' || sp.leaderId < 0) {
          this.detach(p, `the source partition has no leader (${sp.error})`);
        } else if (p.leaderId !== sp.leaderId || p.leaderEpoch !== sp.leaderEpoch) {
          this.assign(p, sp.leaderId, sp.leaderEpoch);
        }
      }
    }
    for (const [id, fs] of this.fetchers) {
      if (fs.some((f) => f.size > 0)) continue;
      this.fetchers.delete(id);
      await Promise.all(fs.map((f) => f.stop()));
    }
  }

  private assign(p: MirrorPartition, leaderId: number, leaderEpoch: number): void {
    this.logger.debug({ topic: p.topic, partition: p.partition, leader: leaderId, leaderEpoch }, 'cluster link: fetching the partition from its leader');
    this.detach(p);
    p.ledBy(leaderId, leaderEpoch);
    const fs = this.fetchersOf(leaderId);
    fs[shardOf(p, fs.length)]!.add(p);
    this.spread(leaderId, held(fs));
  }

  /** The fetchers of `leaderId`, made (one session) if there are none yet. */
  private fetchersOf(leaderId: number): BrokerFetcher[] {
    let fs = this.fetchers.get(leaderId);
    if (!fs) this.fetchers.set(leaderId, (fs = [new BrokerFetcher(leaderId, this, 0)]));
    return fs;
  }

  /**
   * Enough fetch sessions for `leaderId` to hold `partitions`, its partitions spread anew over
   * them when one is added. A moved partition checks its log against the source again before its
   * new session fetches it: a response of the old one still on its way is dropped, as after a
   * leader change.
   */
  private spread(leaderId: number, partitions: number): void {
    const fs = this.fetchersOf(leaderId);
    const wanted = Math.ceil(partitions / SESSION_PARTITIONS);
    if (fs.length >= wanted) return;
    while (fs.length < wanted) fs.push(new BrokerFetcher(leaderId, this, fs.length));
    for (const [shard, f] of fs.entries()) {
      for (const p of f.partitions()) {
        const to = shardOf(p, fs.length);
        if (to === shard) continue;
        f.remove(p);
        p.ledBy(p.leaderId, p.leaderEpoch);
        fs[to]!.add(p);
      }
    }
    this.logger.info({ broker: leaderId, sessions: fs.length, partitions: held(fs) }, 'cluster link: the partitions of a source broker spread over more fetch sessions');
  }

  private detach(p: MirrorPartition, problem?: string): void {
    // Every fetcher: a partition marked detached by itself (no leader known) may still sit in one.
    for (const fs of this.fetchers.values()) for (const f of fs) f.remove(p);
    p.detached(problem);
  }

  /** Mirroring stops for good; the data stays, read-only, for a later promotion or deletion. */
  private async fail(m: MirrorTopic, reason: string): Promise<void> {
    for (const p of m.partitions) this.detach(p);
    m.record.failed = reason;
    await this.deps.persist();
    this.logger.error({ topic: m.topic, reason }, 'cluster link: mirror failed');
  }

  /** The source topic gained partitions: so does the mirror; new ones start empty at offset 0. */
  private async grow(m: MirrorTopic, partitions: number): Promise<void> {
    const info = this.deps.logs.topic(m.topic);
    if (info && info.partitions < partitions) await this.deps.logs.createPartitions(m.topic, partitions);
    const added = this.attach(m);
    this.logger.info({ topic: m.topic, partitions, added: added.length }, 'cluster link: the source topic gained partitions');
  }

  /** Syncs the configs of every live mirror; or of `only`, failing if the source cannot tell them. */
  private async syncConfigs(only?: string[]): Promise<void> {
    const live = [...this.mirrors.values()].filter((m) => (only ? only.includes(m.topic) : m.live));
    if (live.length === 0) return;
    let fromSource: Map<string, Record<string, string>>;
    try {
      fromSource = await this.sourceConfigs(live.map((m) => m.sourceTopic));
    } catch (e) {
      if (only) throw e;
      this.tellOnce(`describe:${(e as Error).message}`, { err: (e as Error).message }, 'cluster link: cannot read the source topic configs; they are not synced');
      return;
    }
    let merged = 0;
    for (const m of live) {
      const synced = fromSource.get(m.sourceTopic);
      const info = this.deps.logs.topic(m.topic);
      if (!synced || !info) continue;
      const seen = JSON.stringify([synced, info.configs]);
      if (this.lastSynced.get(m) === seen) continue;
      // Merging is the costly part: the fetchers get the event loop now and then meanwhile.
      if (++merged % 50 === 0) await yieldNow();
      const { configs, skipped } = mergeSyncedConfigs(info.configs, synced);
      if (skipped.length > 0) this.tellOnce(`skip:${m.topic}:${skipped.join()}`, { topic: m.topic, skipped }, 'cluster link: source topic configs outpost does not take were left out');
      if (!sameConfigs(configs, info.configs)) {
        await this.deps.logs.alterTopicConfigs(m.topic, configs);
        this.logger.info({ topic: m.topic, configs }, 'cluster link: synced topic configs from the source');
      }
      const now = this.deps.logs.topic(m.topic);
      if (now) this.lastSynced.set(m, JSON.stringify([synced, now.configs]));
    }
  }

  private tellOnce(key: string, fields: Record<string, unknown>, message: string): void {
    if (this.told.has(key)) return;
    this.told.add(key);
    this.logger.warn(fields, message);
  }

  // ---- asking the source -----------------------------------------------------------------------

  /** The source topic's metadata, for creating a mirror: throws LinkError when it cannot be had. */
  private async sourceTopic(topic: string): Promise<SourceTopic> {
    let md: SourceMetadata;
    try {
      md = await this.source.metadata([topic]);
      await this.checkClusterId(md.clusterId);
    } catch (e) {
      if (e instanceof ClusterIdMismatch) throw new LinkError('SOURCE', e.message);
      throw new LinkError('SOURCE', `link ${this.name}: ${sourceFailure(this.record.bootstrapServers, e)}`);
    }
    const t = md.topics.get(topic);
    if (!t || t.error === 'UNKNOWN_TOPIC_OR_PARTITION') throw new LinkError('NOT_FOUND', `the source cluster of link ${this.name} has no topic ${topic}`);
    if (t.error !== 'NONE') throw new LinkError('SOURCE', `the source cluster cannot describe topic ${topic}: ${t.error}`);
    return t;
  }

  /** The synced configs of `topics` at the source; a source without DescribeConfigs has none to give. */
  private async sourceConfigs(topics: string[]): Promise<Map<string, Record<string, string>>> {
    const described = await this.source.topicConfigs(topics, SYNCED_TOPIC_CONFIGS);
    return new Map([...described].map(([topic, entries]) => [topic, syncedFromSource(entries)]));
  }

  /** Where each partition of a new mirror starts, per mirror.start.offset.spec. */
  private async startOffsets(t: SourceTopic, spec: StartOffsetSpec): Promise<number[]> {
    const leaders = new Map<number, { topic: string; partition: number; leaderEpoch: number }[]>();
    for (const p of t.partitions) {
      if (p.error !== 'NONE' || p.leaderId < 0) throw new LeadersUnsettled(`partition ${p.partition} of the source topic ${t.name} has no leader (${p.error}); try again`);
      const list = leaders.get(p.leaderId) ?? [];
      list.push({ topic: t.name, partition: p.partition, leaderEpoch: p.leaderEpoch });
      leaders.set(p.leaderId, list);
    }
    const timestamp = spec.kind === 'earliest' ? EARLIEST_TIMESTAMP : spec.kind === 'latest' ? LATEST_TIMESTAMP : spec.ms;
    const offsets = new Array<number>(t.partitions.length).fill(0);
    try {
      for (const [leader, refs] of leaders) {
        const found = await this.source.listOffsets(leader, refs, timestamp, READ_COMMITTED);
        // A timestamp after every record starts the partition at its end, as a consumer's would.
        const none = refs.filter((r) => found.get(refKey(r.topic, r.partition))?.offset === -1);
        const latest = none.length > 0 ? await this.source.listOffsets(leader, none, LATEST_TIMESTAMP, READ_COMMITTED) : new Map();
        for (const r of refs) {
          const a = latest.get(refKey(r.topic, r.partition)) ?? found.get(refKey(r.topic, r.partition));
          if (!a || a.error !== 'NONE') {
            const message = `ListOffsets for partition ${r.partition}: ${a?.error ?? 'no answer'}`;
            throw a && LEADERSHIP_ERRORS.has(a.error) ? new LeadersUnsettled(message) : new Error(message);
          }
          offsets[r.partition] = a.offset;
        }
      }
    } catch (e) {
      const message = `cannot find where to start mirroring ${t.name}: ${(e as Error).message}`;
      throw e instanceof LeadersUnsettled ? new LeadersUnsettled(message) : new LinkError('SOURCE', message);
    }
    return offsets;
  }

  /** Runs `fn` again (backing off, for up to the request timeout) while the source's leaders are settling. */
  private async whileLeadersSettle<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = this.clock.now() + this.settings.requestTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof LeadersUnsettled) || this.clock.now() >= deadline) throw e;
        await new Promise<void>((resolve) => this.clock.setTimeout(() => resolve(), Math.min(this.settings.retryBackoffMs * 2 ** attempt, 1000)));
      }
    }
  }
}
