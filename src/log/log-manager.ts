// The partition logs of one data directory, and the topics they belong to.
//
//   <data-dir>/
//     __outpost_topics.json           the topics: name, id, partition count, config overrides
//                                     (topic-store.ts); the one record of what should exist
//     log-start-offset-checkpoint     Kafka's file: "0", a count, "<topic> <partition> <offset>" lines
//     .kafka_cleanshutdown            present only while outpost is stopped after a clean close:
//                                     recovery then trusts the active segments instead of reading them
//     <topic>-<partition>/            one partition, as Kafka lays it out:
//       <base offset>.log             record batches exactly as appended (20-digit offset names)
//       <base offset>.index           sparse offset index: (relative offset int32, position int32)
//       <base offset>.timeindex       sparse time index: (timestamp int64, relative offset int32)
//       <base offset>.txnindex        transactions aborted by the segment's markers, only if any
//                                     (format in transaction-index.ts)
//       <offset>.snapshot             producer state (format in producer-snapshot.ts)
//       leader-epoch-checkpoint       "0", a count, "<epoch> <start offset>" lines
//       partition.metadata            "version: 0" and "topic_id: <id>"
//     <topic>-<partition>.<id>-delete a deleted partition, removed in the background (and at start-up)
//     <topic>-<partition>.<id>-stray  a partition directory no known topic explains: set aside, never deleted
//
// Every metadata file is replaced atomically (temporary file, fsync, rename, fsync of the directory).
// Creating a topic records it first and then creates its directories; deleting one renames its
// directories away first and then forgets it; so a crash in between leaves either a known
// partition without a directory (created empty at start-up) or a -delete directory (removed).
import { randomUUID } from 'node:crypto';
import { access, mkdir, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KafkaError } from '../../protocol/errors.js';
import { CoalescedTask, syncDir, writeFileDurably } from './durable-file.js';
import { FileHandleCache, type OpenSegmentFile } from './file-handles.js';
import { parsePartitionDirName, partitionDirName } from './file-names.js';
import { CLEANER_OFFSET_CHECKPOINT, partitionKey, readLogStartOffsets, writeLogStartOffsets } from './log-start-offsets.js';
import { PartitionLog } from './partition-log.js';
import { readPartitionTopicId, writePartitionTopicId } from './partition-metadata.js';
import { runLimited } from './run-limited.js';
import { createIndexCache, type IndexCache } from './segment.js';
import { TailBudget } from './tail-cache.js';
import type { TopicConfig } from './topic-config.js';
import { collisionKey, newTopicId, topicNameProblem } from './topic-names.js';
import { readTopicStore, writeTopicStore, type TopicInfo } from './topic-store.js';

export type { TopicInfo } from './topic-store.js';

const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
const DELETE_SUFFIX = '-delete';
/** The longest file name the file systems outpost runs on allow (names here are ASCII). */
const MAX_DIR_NAME_BYTES = 255;
const STRAY_SUFFIX = '-stray';
/** Kafka's limit on topic names (so that `<topic>-<partition>` stays a legal file name). */
const LOAD_CONCURRENCY = 8;

export interface LogManagerOptions {
  /** Kafka config names to the settings the log acts on, with defaults applied; throws on invalid values. */
  resolveTopicConfig: (overrides: Record<string, string>) => TopicConfig;
  /** tests only: segment files opened on a disk that fails on command (default: the real one) */
  openSegmentFile?: OpenSegmentFile;
  /** Bound on open segment files across all partitions. */
  maxOpenFiles?: number;
  /** Bytes of closed segments' indexes kept in memory across all partitions. */
  indexCacheBytes?: number;
  /**
   * Bytes of recent batches kept in memory for consumers at the tail, all partitions together
   * (the oldest appends anywhere leave first).
   */
  tailCacheBytes?: number;
  producerIdExpirationMs?: number;
  /** Kafka's log.cleaner.backoff.ms: how often compacted logs are looked at (default 15 s). */
  cleanerBackoffMs?: number;
  /** Kafka's log.retention.check.interval.ms (default 5 minutes). */
  retentionCheckIntervalMs?: number;
  /** How often flush.ms is checked (default 1 s). */
  flushCheckIntervalMs?: number;
  logger?: { warn: (message: string) => void };
}

interface TopicState {
  info: TopicInfo;
  config: TopicConfig;
  logs: PartitionLog[];
}

/** Recent batches kept in memory for consumers, all partitions together, unless told otherwise. */
export const DEFAULT_TAIL_CACHE_TOTAL_BYTES = 256 << 20;

export class LogManager {
  private readonly topicsByName = new Map<string, TopicState>();
  private readonly files: FileHandleCache;
  private readonly indexCache: IndexCache;
  private readonly tailBudget: TailBudget;
  private readonly checkpointLogStarts = new CoalescedTask(() => this.writeLogStartOffsets());
  private readonly checkpointCleaned = new CoalescedTask(() => this.writeCleanerOffsets());
  private readonly deletions = new Set<Promise<void>>();
  /** Topic changes run one at a time, each persisting what the previous one left. */
  private admin: Promise<unknown> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private periodic = new Set<Promise<void>>();
  /** Until every log is loaded, a log-start checkpoint would leave out the partitions not yet loaded. */
  private loaded = false;
  private closed = false;

  private constructor(
    readonly dataDir: string,
    private readonly opts: LogManagerOptions,
  ) {
    this.files = new FileHandleCache(opts.maxOpenFiles ?? 1024, opts.openSegmentFile);
    this.indexCache = createIndexCache(opts.indexCacheBytes ?? 64 << 20);
    this.tailBudget = new TailBudget(opts.tailCacheBytes ?? DEFAULT_TAIL_CACHE_TOTAL_BYTES);
  }

  /**
   * Loads every topic's partitions, recovering each log (see PartitionLog.open). Directories of
   * deleted partitions are removed; ones no known topic explains are set aside as -stray.
   */
  static async open(dataDir: string, opts: LogManagerOptions): Promise<LogManager> {
    await mkdir(dataDir, { recursive: true });
    const manager = new LogManager(dataDir, opts);
    await manager.load();
    return manager;
  }

  /** The partition's log, or undefined for an unknown topic or partition. */
  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.topicsByName.get(topic)?.logs[partition];
  }

  topic(name: string): TopicInfo | undefined {
    const t = this.topicsByName.get(name);
    return t && copyInfo(t.info);
  }

  topicById(topicId: string): TopicInfo | undefined {
    for (const t of this.topicsByName.values()) if (t.info.topicId === topicId) return copyInfo(t.info);
    return undefined;
  }

  /** Every topic: name, id, partition count and config overrides. */
  topics(): TopicInfo[] {
    return [...this.topicsByName.values()].map((t) => copyInfo(t.info));
  }

  /** The resolved settings a topic's logs act on. */
  topicConfig(name: string): TopicConfig | undefined {
    return this.topicsByName.get(name)?.config;
  }

  /**
   * Creates a topic with `partitions` empty partitions. Throws KafkaError: INVALID_TOPIC_EXCEPTION
   * (a name Kafka would refuse, or one colliding with another once '.' and '_' are equated),
   * TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_CONFIG (from resolveTopicConfig).
   */
  createTopic(name: string, opts: { partitions: number; configs?: Record<string, string>; topicId?: string }): Promise<TopicInfo> {
    return this.serially(async () => {
      const problem = topicNameProblem(name);
      if (problem) throw new KafkaError('INVALID_TOPIC_EXCEPTION', problem);
      if (this.topicsByName.has(name)) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${name}' already exists.`);
      const clash = [...this.topicsByName.keys()].find((n) => collisionKey(n) === collisionKey(name));
      if (clash) throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Topic '${name}' collides with existing topic: ${clash}`);
      if (!Number.isInteger(opts.partitions) || opts.partitions < 1) throw new KafkaError('INVALID_PARTITIONS', `invalid number of partitions ${opts.partitions}`);
      const configs = { ...(opts.configs ?? {}) };
      const config = this.resolve(configs);
      const info: TopicInfo = { name, topicId: opts.topicId ?? newTopicId(), partitions: opts.partitions, configs };
      // Directories left by an earlier topic of this name must not be taken for the new one's.
      for (let p = 0; p < info.partitions; p++) await this.setAsideIfPresent(partitionDirName(name, p), STRAY_SUFFIX);
      await writeTopicStore(this.dataDir, [...this.infos(), info]);
      const state: TopicState = { info, config, logs: [] };
      for (let p = 0; p < info.partitions; p++) state.logs.push(await this.openPartition(state, p, false));
      await syncDir(this.dataDir);
      this.topicsByName.set(name, state);
      return copyInfo(info);
    });
  }

  /**
   * Deletes a topic: its logs are closed (appends already queued complete), its directories
   * renamed to `-delete` and removed in the background. Throws UNKNOWN_TOPIC_OR_PARTITION.
   */
  deleteTopic(name: string): Promise<void> {
    return this.serially(async () => {
      const state = this.requireTopic(name);
      this.topicsByName.delete(name);
      await Promise.allSettled(state.logs.map((log) => log.close()));
      const doomed: string[] = [];
      for (let p = 0; p < state.info.partitions; p++) {
        const moved = await this.setAsideIfPresent(partitionDirName(name, p), DELETE_SUFFIX);
        if (moved) doomed.push(moved);
      }
      await writeTopicStore(this.dataDir, this.infos());
      await this.checkpointLogStarts.run();
      for (const dir of doomed) this.removeInBackground(dir);
    });
  }

  /** Grows a topic to `total` partitions. Throws UNKNOWN_TOPIC_OR_PARTITION, INVALID_PARTITIONS. */
  createPartitions(name: string, total: number): Promise<void> {
    return this.serially(async () => {
      const state = this.requireTopic(name);
      const current = state.info.partitions;
      if (!Number.isInteger(total) || total <= current) throw new KafkaError('INVALID_PARTITIONS', `Topic ${name} has ${current} partitions; ${total} would not be an increase.`);
      for (let p = current; p < total; p++) await this.setAsideIfPresent(partitionDirName(name, p), STRAY_SUFFIX);
      const info = { ...state.info, partitions: total };
      await writeTopicStore(this.dataDir, [...this.infos().filter((t) => t.name !== name), info]);
      state.info = info;
      for (let p = current; p < total; p++) state.logs.push(await this.openPartition(state, p, false));
      await syncDir(this.dataDir);
    });
  }

  /**
   * Replaces a topic's config overrides (Kafka names to values; callers of incremental alters
   * merge first) and applies them to its logs. Throws UNKNOWN_TOPIC_OR_PARTITION, INVALID_CONFIG.
   */
  alterTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    return this.serially(async () => {
      const state = this.requireTopic(name);
      const config = this.resolve(configs);
      const info = { ...state.info, configs: { ...configs } };
      await writeTopicStore(this.dataDir, [...this.infos().filter((t) => t.name !== name), info]);
      state.info = info;
      state.config = config;
      for (const log of state.logs) log.updateConfig(config);
    });
  }

  /** Starts the periodic work: flush.ms checks every second, retention every five minutes. */
  start(): void {
    if (this.timers.length > 0 || this.closed) return;
    const every = (ms: number, job: () => Promise<void>) => {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        const run = job()
          .catch((e) => this.warn(`periodic log task failed: ${(e as Error).message}`))
          .finally(() => {
            running = false;
            this.periodic.delete(run);
          });
        this.periodic.add(run);
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.opts.flushCheckIntervalMs ?? 1000, () => this.flushIfNeeded(Date.now()));
    every(this.opts.retentionCheckIntervalMs ?? 300_000, () => this.applyRetention(Date.now()).then(() => undefined));
    every(this.opts.cleanerBackoffMs ?? 15_000, () => this.compact(Date.now()).then(() => undefined));
  }

  /**
   * One cleaner pass over every compacted log that needs one, a log at a time (Kafka's one cleaner
   * thread); returns the records removed.
   */
  async compact(now: number): Promise<number> {
    let removed = 0;
    let cleaned = false;
    for (const log of this.allLogs()) {
      if (this.closed) break;
      const r = await log.compact(now);
      removed += r?.recordsRemoved ?? 0;
      cleaned ||= r !== null;
    }
    // Where each clean ended, so that the first pass after a restart does not read it all again.
    if (cleaned) await this.checkpointCleaned.run();
    return removed;
  }

  /** Applies flush.messages and flush.ms to every log. */
  async flushIfNeeded(now: number): Promise<void> {
    await Promise.all(this.allLogs().map((log) => log.flushIfNeeded(now)));
  }

  /** Applies retention.ms and retention.bytes to every log; returns the number of segments deleted. */
  async applyRetention(now: number): Promise<number> {
    const results = await Promise.all(this.allLogs().map((log) => log.applyRetention(now)));
    return results.reduce((n, r) => n + r.deletedSegments, 0);
  }

  /**
   * Stops the periodic work, closes every log (each waits for its queued appends, writes its
   * indexes and producer snapshot, fsyncs) and, if all closed cleanly, marks the shutdown clean.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.allSettled(this.periodic);
    await this.admin.catch(() => undefined);
    const results = await Promise.allSettled(this.allLogs().map((log) => log.close()));
    await this.checkpointLogStarts.run();
    await Promise.allSettled(this.deletions);
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length === 0) await writeFileDurably(join(this.dataDir, CLEAN_SHUTDOWN_FILE), JSON.stringify({ version: 0, brokerEpoch: -1 }) + '\n');
    else this.warn(`${failed.length} partition logs did not close cleanly; they will be recovered at the next start`);
    await this.files.close();
  }

  // ---- internals -----------------------------------------------------------------------------

  private async load(): Promise<void> {
    const marker = join(this.dataDir, CLEAN_SHUTDOWN_FILE);
    const cleanShutdown = await exists(marker);
    // Gone before anything is written, so that a crash from here on is never taken for a clean stop.
    if (cleanShutdown) {
      await unlink(marker);
      await syncDir(this.dataDir);
    }
    const infos = await readTopicStore(this.dataDir);
    let logStarts = new Map<string, number>();
    try {
      logStarts = await readLogStartOffsets(this.dataDir);
    } catch (e) {
      this.warn(`log-start-offset-checkpoint is unreadable (${(e as Error).message}); log start offsets fall back to the first segments`);
    }
    let cleaned = new Map<string, number>();
    try {
      cleaned = await readLogStartOffsets(this.dataDir, CLEANER_OFFSET_CHECKPOINT);
    } catch (e) {
      this.warn(`${CLEANER_OFFSET_CHECKPOINT} is unreadable (${(e as Error).message}); compacted logs are cleaned from their start again`);
    }
    const known = new Map(infos.map((i) => [i.name, i]));

    for (const entry of await readdir(this.dataDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (entry.name.endsWith(DELETE_SUFFIX)) {
        this.removeInBackground(join(this.dataDir, entry.name));
        continue;
      }
      if (entry.name.endsWith(STRAY_SUFFIX)) continue;
      const parsed = parsePartitionDirName(entry.name);
      if (!parsed) continue;
      const info = known.get(parsed.topic);
      const topicId = await readPartitionTopicId(join(this.dataDir, entry.name)).catch(() => 'unreadable');
      if (!info || parsed.partition >= info.partitions || (topicId !== null && topicId !== info.topicId)) {
        this.warn(`setting aside ${entry.name}: it belongs to no known topic partition`);
        await this.setAsideIfPresent(entry.name, STRAY_SUFFIX);
      }
    }

    const states = infos.map((info): TopicState => ({ info, config: this.resolve(info.configs), logs: new Array<PartitionLog>(info.partitions) }));
    const jobs = states.flatMap((state) => Array.from({ length: state.info.partitions }, (_, p) => async () => {
      state.logs[p] = await this.openPartition(state, p, cleanShutdown, logStarts.get(partitionKey(state.info.name, p)), cleaned.get(partitionKey(state.info.name, p)));
    }));
    await runLimited(jobs, LOAD_CONCURRENCY);
    for (const state of states) this.topicsByName.set(state.info.name, state);
    this.loaded = true;
    await this.checkpointLogStarts.run();
  }

  private async openPartition(state: TopicState, partition: number, cleanShutdown: boolean, logStartOffset?: number, cleanedTo?: number): Promise<PartitionLog> {
    const dir = join(this.dataDir, partitionDirName(state.info.name, partition));
    await mkdir(dir, { recursive: true });
    if ((await readPartitionTopicId(dir)) === null) await writePartitionTopicId(dir, state.info.topicId);
    return PartitionLog.open(dir, state.config, {
      logStartOffset,
      cleanShutdown,
      onLogStartOffsetChange: () => this.checkpointLogStarts.run(),
      files: this.files,
      indexCache: this.indexCache,
      tailCacheBytes: this.tailBudget.maxBytes,
      tailBudget: this.tailBudget,
      cleanedTo,
      producerIdExpirationMs: this.opts.producerIdExpirationMs,
      warn: (m) => this.warn(m),
    });
  }

  private async writeCleanerOffsets(): Promise<void> {
    const entries = [...this.topicsByName.values()].flatMap((t) =>
      t.logs.flatMap((log, partition) => (log && log.cleanedOffset > 0 ? [{ topic: t.info.name, partition, offset: log.cleanedOffset }] : [])),
    );
    await writeLogStartOffsets(this.dataDir, entries, CLEANER_OFFSET_CHECKPOINT);
  }

  private async writeLogStartOffsets(): Promise<void> {
    if (!this.loaded) return;
    const entries = [...this.topicsByName.values()].flatMap((t) =>
      t.logs.flatMap((log, partition) => (log ? [{ topic: t.info.name, partition, offset: log.logStartOffset }] : [])),
    );
    await writeLogStartOffsets(this.dataDir, entries);
  }

  /**
   * Renames the partition directory `<topic>-<p>` to `<topic>-<p>.<unique id><suffix>`; returns
   * the new path, or null if absent. As in Kafka, the topic part is cut short where the whole
   * would pass the file system's 255 bytes (a topic name may have 249).
   */
  private async setAsideIfPresent(name: string, suffix: string): Promise<string | null> {
    const from = join(this.dataDir, name);
    const tail = `.${randomUUID().replace(/-/g, '')}${suffix}`;
    const dash = name.lastIndexOf('-');
    const partition = dash > 0 ? name.slice(dash) : '';
    const topic = name.slice(0, name.length - partition.length);
    const to = join(this.dataDir, `${topic.slice(0, MAX_DIR_NAME_BYTES - partition.length - tail.length)}${partition}${tail}`);
    try {
      await rename(from, to);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    await syncDir(this.dataDir);
    return to;
  }

  private removeInBackground(dir: string): void {
    const job = rm(dir, { recursive: true, force: true })
      .catch((e) => this.warn(`could not remove ${dir}: ${(e as Error).message}`))
      .finally(() => this.deletions.delete(job));
    this.deletions.add(job);
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new KafkaError('KAFKA_STORAGE_ERROR', 'the log manager is closed'));
    const run = this.admin.then(fn, fn);
    this.admin = run.catch(() => undefined);
    return run;
  }

  private requireTopic(name: string): TopicState {
    const state = this.topicsByName.get(name);
    if (!state) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `The topic '${name}' does not exist.`);
    return state;
  }

  private resolve(configs: Record<string, string>): TopicConfig {
    try {
      return this.opts.resolveTopicConfig(configs);
    } catch (e) {
      if (e instanceof KafkaError) throw e;
      throw new KafkaError('INVALID_CONFIG', (e as Error).message);
    }
  }

  private infos(): TopicInfo[] {
    return [...this.topicsByName.values()].map((t) => t.info);
  }

  private allLogs(): PartitionLog[] {
    return [...this.topicsByName.values()].flatMap((t) => t.logs.filter((log) => log !== undefined));
  }

  private warn(message: string): void {
    this.opts.logger?.warn(message);
  }
}

function copyInfo(info: TopicInfo): TopicInfo {
  return { ...info, configs: { ...info.configs } };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
