// The cluster-link engine behind LinkManagerApi: the links of one broker, persisted in its data
// directory (link-store.ts), each running while the broker runs. Changes go one at a time, each
// persisted before it answers.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../common/clock.js';
import { effectiveLinkConfigs, linkConfigsProblem, maskedLinkConfigs, resolveLinkSettings, storedOnlyConfigs } from '../config/link-configs.js';
import { linkSpecProblem, type LinkSpec } from '../config/link-spec.js';
import { validateTopicConfigs } from '../config/topic-configs.js';
import type { PasswordEncoder } from '../config/password-encoder.js';
import { CoalescedTask } from '../log/durable-file.js';
import type { LogManager } from '../log/log-manager.js';
import { topicNameProblem } from '../log/topic-names.js';
import { chosenByFilters } from '../config/group-filters.js';
import { ClusterLink, type LinkDeps } from './cluster-link.js';
import { KafkaSource } from './kafka-source.js';
import { sourceFailure } from './source-client.js';
import { LINK_STORE_FILE, readLinkStore, writeLinkStore, type StoppedMirror, type StoredLink } from './link-store.js';
import { registerLinkMetrics } from './metrics.js';
import type { MirrorTopic } from './mirror-topic.js';
import type { SourceGroups } from './source-groups.js';
import { isSyncedConfig } from './topic-sync.js';
import { LinkError, type LinkDescription, type LinkManagerApi, type MirrorDescription, type RestoreResult } from './types.js';

export interface LinkManagerOptions {
  logs: LogManager;
  logger: Logger;
  /** the broker's metrics registry, which the link gauges join */
  registry: Registry;
  /** seals the links' secrets in the data directory (password.encoder.secret); null: kept in clear */
  encoder?: PasswordEncoder | null;
  /** tests only: virtual time, and a source other than a Kafka cluster (see LinkDeps) */
  clock?: Clock;
  connect?: LinkDeps['connect'];
  /** the broker's consumer groups, for consumer offset sync */
  groups?: LinkDeps['groups'];
  /** the broker's producer ids, kept above a promoted mirror's */
  producerIdFloor?: LinkDeps['producerIdFloor'];
  /** the broker's ACLs, for ACL sync */
  acls?: LinkDeps['acls'];
  /** this broker's cluster id (a source topic mirroring it is never auto-mirrored back) */
  clusterId?: string;
}

/** Link configs that name things: a change would orphan what was named with the old value. */
const FIXED_AT_CREATION = ['cluster.link.prefix', 'consumer.group.prefix.enable'];

/**
 * The source topic a new mirror `topic` copies: with a cluster.link.prefix the mirror is named
 * prefix + source name (the source named, or read from the mirror's name); without one, both
 * names are the same.
 */
function sourceTopicOf(link: ClusterLink, topic: string, given: string | undefined): string {
  const prefix = link.settings.prefix;
  if (prefix === '') {
    if (given !== undefined && given !== topic) throw new LinkError('INVALID', `a mirror topic has its source topic's name (${given}), unless its link has a cluster.link.prefix; link ${link.name} has none`);
    return topic;
  }
  if (given !== undefined) {
    if (link.mirrorName(given) !== topic) throw new LinkError('INVALID', `link ${link.name} names its mirrors with the prefix ${prefix}: the mirror of source topic ${given} is ${link.mirrorName(given)}`);
    return given;
  }
  if (!topic.startsWith(prefix) || topic === prefix) throw new LinkError('INVALID', `link ${link.name} names its mirrors with the prefix ${prefix}: name the mirror ${prefix}<source topic>`);
  return topic.slice(prefix.length);
}

export class LinkManager implements LinkManagerApi {
  private readonly links = new Map<string, ClusterLink>();
  private readonly saver = new CoalescedTask(() => writeLinkStore(this.dataDir, [...this.links.values()].map((l) => l.record), this.opts.encoder ?? null));
  private readonly deps: LinkDeps;
  private admin: Promise<unknown> = Promise.resolve();
  private started = false;
  private closed = false;
  private markClosing: (v: null) => void = () => {};
  /** resolves (with null) when close() begins */
  private readonly closing = new Promise<null>((resolve) => (this.markClosing = resolve));
  private constructor(private readonly dataDir: string, private readonly opts: LinkManagerOptions) {
    this.deps = { logs: opts.logs, logger: opts.logger, persist: () => this.saver.run(), clock: opts.clock, connect: opts.connect, groups: opts.groups, producerIdFloor: opts.producerIdFloor, acls: opts.acls, clusterId: opts.clusterId,
      autoMirror: async (link, topic, sourceTopic) => void (await this.createMirror(link, topic, { sourceTopic })),
    };
  }

  /**
   * Loads the links and their mirrors; a promote or failover a crash cut short is finished, and a
   * mirror whose creation a crash cut short is finished now
   * (or, if it cannot be, forgotten with an error logged). Nothing is fetched until start().
   */
  static async open(dataDir: string, opts: LinkManagerOptions): Promise<LinkManager> {
    const manager = new LinkManager(dataDir, opts);
    registerLinkMetrics(opts.registry, manager);
    const records = await readLinkStore(dataDir, opts.encoder ?? null);
    for (const record of records) {
      const problem = linkConfigsProblem(record.configs);
      if (problem) throw new Error(`${LINK_STORE_FILE}: cluster link ${record.name}: ${problem}`);
      manager.links.set(record.name, new ClusterLink(record, manager.deps));
    }
    for (const link of manager.links.values()) {
      for (const mirror of [...link.mirrors.values()]) {
        if (mirror.record.stopping !== undefined) await link.finishStop(mirror);
        if (!mirror.record.pending) continue;
        try {
          await link.finishMirror(mirror);
        } catch (e) {
          opts.logger.error({ link: link.name, topic: mirror.topic, err: (e as Error).message }, 'cluster link: could not finish creating a mirror topic; it is forgotten');
          link.forget(mirror);
          await manager.saver.run();
        }
      }
    }
    // Secrets still in clear (or under the old secret) are sealed with the current one now.
    if (records.length > 0) await manager.saver.run();
    return manager;
  }

  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (const link of this.links.values()) link.start();
  }

  /** Stops every link (appends in progress finish); the logs can be closed after this. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.markClosing(null);
    await this.admin.catch(() => undefined);
    await Promise.all([...this.links.values()].map((l) => l.stop()));
    await this.saver.run();
  }

  // ---- links -----------------------------------------------------------------------------------

  /**
   * Creates a link. Unless `probe` is false, the source is asked for its cluster id first (and a
   * wrong one refuses the link); without the probe the link starts SOURCE_UNAVAILABLE and finds
   * out by itself, so that creating a link to a source that does not answer returns at once.
   */
  createLink(spec: LinkSpec, opts: { validateOnly?: boolean; probe?: boolean } = {}): Promise<LinkDescription> {
    return this.serially(async () => {
      const problem = linkSpecProblem(spec);
      if (problem) throw new LinkError('INVALID', problem);
      if (this.links.has(spec.name)) throw new LinkError('ALREADY_EXISTS', `cluster link ${spec.name} already exists`);
      const record: StoredLink = {
        name: spec.name,
        linkId: randomBytes(16).toString('base64url'),
        bootstrapServers: spec.bootstrapServers.trim(),
        ...(spec.sourceClusterId !== undefined ? { sourceClusterId: spec.sourceClusterId.trim() } : {}),
        sourceClusterIdSeen: null,
        configs: { ...spec.configs },
        mirrors: [],
        stoppedMirrors: [],
        syncedAcls: [],
      };
      const probe = opts.probe === false ? { clusterId: null, error: 'not connected to the source yet' } : await this.probe(record);
      if (this.closed) throw new LinkError('INVALID', 'the broker is shutting down');
      if (probe.clusterId !== null && record.sourceClusterId !== undefined && probe.clusterId !== record.sourceClusterId) {
        throw new LinkError('SOURCE', `the source cluster at ${record.bootstrapServers} has id ${probe.clusterId}, not ${record.sourceClusterId}`);
      }
      record.sourceClusterIdSeen = probe.clusterId;
      const link = new ClusterLink(record, this.deps);
      link.state = probe.error === null ? 'ACTIVE' : 'SOURCE_UNAVAILABLE';
      link.lastError = probe.error;
      if (opts.validateOnly) return this.describe(link);
      this.links.set(record.name, link);
      await this.saver.run();
      if (this.started) link.start();
      const storedOnly = storedOnlyConfigs(record.configs);
      this.opts.logger.info({ link: record.name, bootstrap: record.bootstrapServers, sourceClusterId: probe.clusterId, reachable: probe.error === null }, 'cluster link created');
      if (storedOnly.length > 0) this.opts.logger.info({ link: record.name, configs: storedOnly }, 'cluster link: these configs are stored but not acted on yet');
      return this.describe(link);
    });
  }

  listLinks(): LinkDescription[] {
    return [...this.links.values()].map((l) => this.describe(l));
  }

  describeLink(name: string): LinkDescription {
    return this.describe(this.link(name));
  }

  deleteLink(name: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.serially(async () => {
      const link = this.link(name);
      const mirrors = [...link.mirrors.keys()];
      if (mirrors.length > 0 && !opts.force) {
        throw new LinkError('INVALID', `cluster link ${name} has mirror topics (${mirrors.join(', ')}): delete them first, or force the deletion, which stops mirroring and leaves them as ordinary, writable topics`);
      }
      await link.stop();
      for (const m of link.mirrors.values()) await link.release(m);
      this.links.delete(name);
      await this.saver.run();
      this.opts.logger.info({ link: name, mirrorsLeft: mirrors }, 'cluster link deleted');
    });
  }

  linkConfigs(name: string): Record<string, string> {
    return effectiveLinkConfigs(this.link(name).record.configs);
  }

  /** Sets and removes configs, then restarts the link with them (mirrors continue from their log ends). */
  alterLinkConfigs(name: string, set: Record<string, string>, remove: string[]): Promise<void> {
    return this.serially(async () => {
      const link = this.link(name);
      const configs = { ...link.record.configs, ...set };
      for (const k of remove) delete configs[k];
      const problem = linkConfigsProblem(configs);
      if (problem) throw new LinkError('INVALID', problem);
      for (const fixed of FIXED_AT_CREATION) {
        if (configs[fixed] !== link.record.configs[fixed]) throw new LinkError('INVALID', `${fixed} is set when the link is created and cannot be changed: the link's mirrors and synced groups are named with it`);
      }
      await link.stop();
      link.record.configs = configs;
      const fresh = new ClusterLink(link.record, this.deps);
      this.links.set(name, fresh);
      await this.saver.run();
      if (this.started) fresh.start();
      this.opts.logger.info({ link: name, set: maskedLinkConfigs(set), remove }, 'cluster link configs altered');
    });
  }

  // ---- mirrors ---------------------------------------------------------------------------------

  createMirror(linkName: string, topic: string, opts: { configs?: Record<string, string>; sourceTopic?: string } = {}): Promise<MirrorDescription> {
    return this.serially(async () => {
      const link = this.link(linkName);
      const sourceTopic = sourceTopicOf(link, topic, opts.sourceTopic);
      const nameProblem = topicNameProblem(topic);
      if (nameProblem) throw new LinkError('INVALID', nameProblem);
      if (this.opts.logs.topic(topic) || this.mirrorTopic(topic)) throw new LinkError('ALREADY_EXISTS', `Topic '${topic}' already exists.`);
      const own = { ...(opts.configs ?? {}) };
      const synced = Object.keys(own).filter(isSyncedConfig);
      if (synced.length > 0) throw new LinkError('INVALID', `${synced.join(', ')} ${synced.length > 1 ? 'are' : 'is'} synced from the source topic and cannot be set on a mirror topic`);
      const bad = validateTopicConfigs(own);
      if (bad) throw new LinkError('INVALID', bad.message);
      if (link.state === 'FAILED') throw new LinkError('SOURCE', `cluster link ${linkName} has failed: ${link.lastError}`);
      const mirror = await link.createMirror(topic, sourceTopic, own);
      return mirror.describe(link.name, link.state, link.lastError);
    });
  }

  listMirrors(linkName?: string): MirrorDescription[] {
    const links = linkName === undefined ? [...this.links.values()] : [this.link(linkName)];
    return links.flatMap((l) => [
      ...[...l.mirrors.values()].map((m) => m.describe(l.name, l.state, l.lastError)),
      ...this.stopped(l).map((s) => this.describeStopped(l, s)),
    ]);
  }

  describeMirror(linkName: string, topic: string): MirrorDescription {
    const link = this.link(linkName);
    const stopped = link.mirrors.has(topic) ? undefined : this.stopped(link).find((s) => s.topic === topic);
    if (stopped) return this.describeStopped(link, stopped);
    return this.mirror(link, topic).describe(link.name, link.state, link.lastError);
  }

  /** The link's stopped mirrors whose topic is still the one that was promoted (not deleted and made anew). */
  private stopped(link: ClusterLink): StoppedMirror[] {
    return link.record.stoppedMirrors.filter((s) => this.opts.logs.topic(s.topic)?.topicId === s.localTopicId);
  }

  private describeStopped(link: ClusterLink, s: StoppedMirror): MirrorDescription {
    const partitions = s.stopOffsets.map((stopOffset, partition) => {
      const log = this.opts.logs.getLog(s.topic, partition);
      return {
        partition, sourceHighWatermark: -1, sourceLogStartOffset: -1,
        localLogEndOffset: log?.logEndOffset ?? -1, localLogStartOffset: log?.localLogStartOffset ?? -1,
        logStartOffset: log?.logStartOffset ?? -1, localBytes: log?.size ?? 0, sourceBytes: -1,
        bytesServed: { local: log?.served.local ?? 0, readThrough: log?.served.remote ?? 0 },
        lag: 0, lastFetchTimeMs: 0, sourceLeaderId: -1, sourceLeaderEpoch: -1, state: 'STOPPED' as const, error: null, stopOffset,
      };
    });
    const how = s.how === 'promote' ? 'promoted' : 'failed over';
    const reason = `${how} at ${new Date(s.stoppedAtMs).toISOString()}, at offsets ${s.stopOffsets.join(', ')}: an ordinary writable topic now`;
    return { topic: s.topic, sourceTopic: s.sourceTopic ?? s.topic, linkName: link.name, sourceTopicId: null, state: 'STOPPED', reason, partitions };
  }

  pauseMirrors(linkName: string, topics: string[]): Promise<void> {
    return this.setPaused(linkName, topics, true);
  }

  resumeMirrors(linkName: string, topics: string[]): Promise<void> {
    return this.setPaused(linkName, topics, false);
  }

  stopMirrors(linkName: string, topics: string[], how: 'promote' | 'failover', opts: { validateOnly?: boolean } = {}): Promise<{ topic: string; error: string | null }[]> {
    return this.serially(async () => {
      const link = this.link(linkName);
      const mirrors = topics.map((t) => this.mirror(link, t));
      const out: { topic: string; error: string | null }[] = [];
      for (const m of mirrors) out.push({ topic: m.topic, error: await link.stopMirror(m, how, opts.validateOnly ?? false) });
      return out;
    });
  }

  restoreMirrors(linkName: string, topics: string[], opts: { validateOnly?: boolean } = {}): Promise<RestoreResult[]> {
    return this.serially(async () => {
      const link = this.link(linkName);
      const out: RestoreResult[] = [];
      for (const topic of topics) {
        try {
          const owner = this.mirrorTopic(topic);
          if (owner) throw new LinkError('INVALID', `topic ${topic} is a mirror already (of link ${owner.link.name})`);
          out.push({ topic, error: null, truncated: await link.restoreMirror(topic, sourceTopicOf(link, topic, undefined), opts.validateOnly ?? false) });
        } catch (e) {
          if (!(e instanceof LinkError)) throw e;
          out.push({ topic, error: e.message, truncated: [] });
        }
      }
      return out;
    });
  }

  groupsAtSource(group: string): SourceGroups | undefined {
    // Links by name, so that two links choosing the same group agree on the one that has it.
    const links = [...this.links.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    return links.find((l) => l.settings.groupsAtSource !== null && chosenByFilters(l.settings.groupsAtSource, group))?.sourceGroups;
  }

  mirrorOf(topic: string): { linkName: string; sourceClusterId: string | null } | undefined {
    const found = this.mirrorTopic(topic);
    return found && { linkName: found.link.name, sourceClusterId: found.link.record.sourceClusterIdSeen };
  }

  // ---- internals -------------------------------------------------------------------------------

  private setPaused(linkName: string, topics: string[], paused: boolean): Promise<void> {
    return this.serially(async () => {
      const link = this.link(linkName);
      const mirrors = topics.map((t) => this.mirror(link, t));
      for (const m of mirrors) await link.setPaused(m, paused);
    });
  }

  /**
   * The mirror that owns local topic `topic`: one being created, or one whose local topic is still
   * the one it made (a mirror topic deleted and recreated by a client is an ordinary topic).
   */
  private mirrorTopic(topic: string): { link: ClusterLink; mirror: MirrorTopic } | undefined {
    for (const link of this.links.values()) {
      const mirror = link.mirrors.get(topic);
      if (mirror && (mirror.record.pending !== null || this.opts.logs.topic(topic)?.topicId === mirror.record.localTopicId)) return { link, mirror };
    }
    return undefined;
  }

  private link(name: string): ClusterLink {
    const link = this.links.get(name);
    if (!link) throw new LinkError('NOT_FOUND', `cluster link ${name} does not exist`);
    return link;
  }

  private mirror(link: ClusterLink, topic: string): MirrorTopic {
    const mirror = link.mirrors.get(topic);
    if (!mirror) throw new LinkError('NOT_FOUND', `cluster link ${link.name} has no mirror topic ${topic}`);
    return mirror;
  }

  private describe(link: ClusterLink): LinkDescription {
    const r = link.record;
    return {
      name: r.name,
      bootstrapServers: r.bootstrapServers,
      ...(r.sourceClusterId !== undefined ? { sourceClusterId: r.sourceClusterId } : {}),
      configs: maskedLinkConfigs(r.configs),
      linkId: r.linkId,
      sourceClusterIdSeen: r.sourceClusterIdSeen,
      state: link.state,
      lastError: link.lastError,
      mirrors: link.mirrors.size,
      ...link.meter.rates(),
      fetchers: link.fetcherLoad(),
      connections: link.source.connectionCounts(),
      offsetSync: link.offsetSync,
      readThrough: link.readThrough.describe(),
    };
  }

  /** One Metadata round trip to the source: its cluster id, or why it could not be reached. */
  private async probe(record: StoredLink): Promise<{ clusterId: string | null; error: string | null }> {
    const settings = resolveLinkSettings(record.name, record.configs);
    const source = this.deps.connect ? this.deps.connect(record, settings) : new KafkaSource(record.bootstrapServers, settings);
    try {
      // A shutdown does not wait for a source that is slow to answer, or never does.
      const md = await Promise.race([source.metadata([]), this.closing]);
      if (md === null) return { clusterId: null, error: 'the broker is shutting down' };
      return { clusterId: md.clusterId, error: null };
    } catch (e) {
      return { clusterId: null, error: sourceFailure(record.bootstrapServers, e) };
    } finally {
      source.close();
    }
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new LinkError('INVALID', 'the broker is shutting down'));
    const run = this.admin.then(fn, fn);
    this.admin = run.catch(() => undefined);
    return run;
  }
}
