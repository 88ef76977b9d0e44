// Fetches, for one link, from one source broker every mirrored partition that broker leads: one
// Fetch request at a time covering them all, in an incremental fetch session, at the highest
// version the broker speaks. Each partition's records go into its log as the Buffer the response
// holds them in (a view of the received frame): never decoded, never recompressed.
//
// Before a partition is fetched from a broker (at start, after a reconnect, after a leader change)
// its log is checked against the source's leader-epoch history with OffsetForLeaderEpoch and cut
// back where they diverge; from Fetch v12 every request also carries the log's last epoch, so a
// divergence that happens while fetching comes back in the response. OFFSET_OUT_OF_RANGE is
// answered by asking the source for its log range.
import type { Logger } from 'pino';
import { errorName } from '../../protocol/errors.js';
import type { FetchResponse } from '../../protocol/messages/messages.js';
import type { Decoded } from '../../protocol/messages/types.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { LOG_OVERHEAD, batchSize, wholeBatchesEnd } from '../../protocol/records/batch.js';
import type { Clock } from '../common/clock.js';
import type { LinkSettings } from '../config/link-configs.js';
import { FetchSessionClient, positionKey, type SessionRequest } from './fetch-session.js';
import type { MirrorPartition, PartitionPosition } from './mirror-partition.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, READ_COMMITTED, READ_UNCOMMITTED, refKey, type SourceEndpoint } from './source-endpoint.js';
import { Wakeup } from './wakeup.js';

/** The last Fetch version that names topics; later ones need the topic id. */
const LAST_FETCH_BY_NAME = 12;
/** Errors that mean the link's idea of the partition's leader is out of date. */
const LEADERSHIP_ERRORS = new Set([
  'NOT_LEADER_OR_FOLLOWER', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH', 'LEADER_NOT_AVAILABLE', 'REPLICA_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID', 'INCONSISTENT_TOPIC_ID', 'KAFKA_STORAGE_ERROR', 'OFFSET_NOT_AVAILABLE',
]);

/** What a fetcher needs from its link. */
export interface FetcherHost {
  readonly source: SourceEndpoint;
  readonly settings: LinkSettings;
  readonly logger: Logger;
  readonly clock: Clock;
  /** counts what was mirrored, for the link's throughput */
  mirrored(bytes: number, records: number): void;
  /** the link's view of leadership looks stale: refresh the source's metadata soon */
  refreshMetadata(): void;
}

export class BrokerFetcher {
  private readonly parts = new Map<string, MirrorPartition>();
  private readonly session = new FetchSessionClient<PartitionPosition>();
  private readonly wakeup: Wakeup;
  private running = true;
  private failures = 0;
  private readonly done: Promise<void>;
  // A round looks only at what changed: a thousand partitions of which a few moved cost a few.
  /** partitions to look at again: added, removed, or changed since they were last looked at */
  private readonly changed = new Set<MirrorPartition>();
  /** the partitions the fetch session asks for */
  private readonly fetching = new Set<MirrorPartition>();
  /** changes to the session's partitions not yet passed to it (it needs the request's version) */
  private readonly wants = new Set<MirrorPartition>();
  private readonly drops = new Set<MirrorPartition>();
  /** partitions to check against the source before they are fetched, or to fit into its range */
  private checking: MirrorPartition[] = [];
  private resetting: MirrorPartition[] = [];
  /** partitions backing off, looked at again when the soonest backoff ends */
  private readonly waiting = new Set<MirrorPartition>();
  private soonest = Infinity;
  /** partitions of source topics without a known id: while there are any, fetches name topics */
  private byName = 0;
  /** whether the loop is between waits: it looks at the changes again before it waits next */
  private busy = false;
  private readonly watcher = (p: MirrorPartition): void => {
    this.changed.add(p);
    // The round's own changes (appends, a broker found unreachable) must not cut a backoff short.
    if (!this.busy) this.wakeup.notify();
  };

  /**
   * `shard` numbers the fetchers of one broker: each has a fetch session and, past the first, a
   * connection of its own, so that their long polls and rounds go on side by side.
   */
  constructor(readonly nodeId: number, private readonly host: FetcherHost, readonly shard = 0) {
    this.wakeup = new Wakeup(host.clock);
    this.done = this.loop();
  }

  get size(): number {
    return this.parts.size;
  }

  partitions(): MirrorPartition[] {
    return [...this.parts.values()];
  }

  add(p: MirrorPartition): void {
    const before = this.parts.get(p.key);
    if (before === p) return;
    if (before) this.remove(before);
    this.parts.set(p.key, p);
    if (p.sourceTopicId === ZERO_UUID) this.byName++;
    p.watch(this.watcher);
    this.watcher(p);
  }

  remove(p: MirrorPartition): void {
    if (this.parts.get(p.key) !== p) return;
    this.parts.delete(p.key);
    if (p.sourceTopicId === ZERO_UUID) this.byName--;
    if (p.watchedBy(this.watcher)) p.watch(null);
    this.watcher(p);
  }

  /** Something changed (a resume, a backoff ended early): look at every partition again now. */
  poke(): void {
    for (const p of this.parts.values()) this.changed.add(p);
    this.wakeup.notify();
  }

  /** Stops after the round in progress (its appends finish); the link closes the connections. */
  stop(): Promise<void> {
    this.running = false;
    this.wakeup.notify();
    return this.done;
  }

  private async loop(): Promise<void> {
    const { settings, clock } = this.host;
    while (this.running) {
      this.busy = true;
      this.look(clock.now());
      if (this.checking.length + this.resetting.length === 0 && this.fetching.size === 0) {
        await this.idle(Math.min(this.soonest - clock.now(), 60_000));
        continue;
      }
      try {
        if (this.checking.length + this.resetting.length > 0) {
          const [checking, resetting] = [this.checking, this.resetting];
          this.checking = [];
          this.resetting = [];
          if (checking.length > 0) await this.reconcile(checking);
          if (resetting.length > 0) await this.reset(resetting);
          // Each is looked at again: what the checks settled joins this round's fetch, what they
          // did not is checked again next round.
          for (const p of checking) this.changed.add(p);
          for (const p of resetting) this.changed.add(p);
          this.look(clock.now());
        }
        if (this.fetching.size > 0) await this.fetch();
        this.failures = 0;
      } catch (e) {
        if (!this.running) break;
        // The broker did not answer (or the connection broke): every partition here waits.
        const address = this.host.source.brokerAddress(this.nodeId);
        const problem = `source broker ${this.nodeId}${address ? ` (${address.host}:${address.port})` : ''} is unreachable: ${(e as Error).message}`;
        for (const p of this.parts.values()) p.unreachable(problem);
        this.session.reset();
        this.host.refreshMetadata();
        if (this.failures++ === 0) this.host.logger.warn({ broker: this.nodeId, err: (e as Error).message }, 'cluster link: fetching from a source broker failed; retrying');
        await this.idle(Math.min(settings.reconnectBackoffMs * 2 ** Math.min(this.failures - 1, 20), settings.reconnectBackoffMaxMs));
      }
    }
  }

  /** Waits `ms`, or until a change from outside; what changed during the round is looked at after. */
  private idle(ms: number): Promise<void> {
    this.busy = false;
    return this.wakeup.wait(ms);
  }

  /**
   * Sorts the changed partitions (and those whose backoff ended): fetched ones into the session,
   * the others out of it, to be checked, or to wait.
   */
  private look(now: number): void {
    if (now >= this.soonest) {
      for (const p of this.waiting) this.changed.add(p);
      this.waiting.clear();
      this.soonest = Infinity;
    }
    for (const p of this.changed) {
      const ours = this.parts.get(p.key) === p;
      const ready = ours && p.ready(now);
      if (ready && p.phase === 'fetching') {
        this.fetching.add(p);
        this.wants.add(p);
        this.drops.delete(p);
        continue;
      }
      if (this.fetching.delete(p)) this.drops.add(p);
      this.wants.delete(p);
      if (!ours) continue;
      if (ready) {
        if (p.phase === 'reconcile') this.checking.push(p);
        else this.resetting.push(p);
      } else if (p.backoffUntil > now) {
        this.waiting.add(p);
        this.soonest = Math.min(this.soonest, p.backoffUntil);
      }
    }
    this.changed.clear();
  }

  private async fetch(): Promise<void> {
    const { source, settings } = this.host;
    let req: SessionRequest<PartitionPosition> | undefined;
    const { version, body } = await source.fetch(this.nodeId, {
      build: (v) => {
        for (const p of this.drops) this.session.drop(p.position(0), v);
        for (const p of this.wants) this.session.want(p.position(Math.max(settings.fetchMaxBytes, p.maxBytes ?? 0)), v);
        this.drops.clear();
        this.wants.clear();
        req = this.session.build(v);
        return {
          replicaId: -1,
          maxWaitMs: settings.fetchWaitMaxMs,
          minBytes: settings.fetchMinBytes,
          maxBytes: settings.fetchResponseMaxBytes,
          isolationLevel: READ_COMMITTED,
          sessionId: req.sessionId,
          sessionEpoch: req.sessionEpoch,
          topics: req.topics,
          forgottenTopicsData: req.forgottenTopicsData,
          rackId: '',
        };
      },
      maxWaitMs: settings.fetchWaitMaxMs,
      maxVersion: this.byName > 0 ? LAST_FETCH_BY_NAME : undefined,
      lane: this.shard === 0 ? undefined : `fetcher ${this.shard}`,
    });
    const sessionError = this.session.onResponse(req!, body.errorCode ?? 0, body.sessionId ?? 0);
    if (sessionError) {
      // The next request is a full one, which the broker answers with a new session.
      this.host.logger.debug({ broker: this.nodeId, error: sessionError }, 'cluster link: fetch session reset');
      return;
    }
    // The session's partitions, by key, are what the answer's partitions are matched against: a
    // key is made only for each partition the answer has news of.
    const now = this.host.clock.now();
    const work: Promise<void>[] = [];
    for (const t of body.responses) {
      for (const d of t.partitions) {
        const s = this.session.requested(positionKey(version, t.topic, t.topicId, d.partitionIndex));
        if (!s) continue;
        const part = s.pos.part;
        const epoch = s.sentLeaderEpoch;
        work.push(this.locally(part, () => this.onPartition(part, epoch, d, now)));
      }
    }
    await Promise.all(work);
  }

  /**
   * Runs a change to `p`'s log; a failure there (the disk, or the topic deleted under it) is the
   * partition's alone, and must not pass for the source broker being unreachable.
   */
  private async locally(p: MirrorPartition, fn: () => Promise<void>): Promise<void> {
    try {
      await p.exclusive(fn);
    } catch (e) {
      p.localFailure(`the local log failed: ${(e as Error).message}`, this.host.clock.now() + this.host.settings.fetchBackoffMs);
      this.host.logger.warn({ topic: p.topic, partition: p.partition, err: (e as Error).message }, 'cluster link: a change to the mirror log failed');
    }
  }

  /** Whether an answer about `p` still applies: the partition is still ours, at the epoch asked about. */
  private current(p: MirrorPartition, leaderEpoch: number): boolean {
    return this.parts.get(p.key) === p && p.leaderEpoch === leaderEpoch;
  }

  private async onPartition(p: MirrorPartition, leaderEpoch: number, d: Decoded<FetchResponse.PartitionData>, now: number): Promise<void> {
    // Moved to another leader, or paused, while the request was out: what it brought is dropped.
    if (!this.current(p, leaderEpoch) || p.phase !== 'fetching' || p.paused) return;
    const error = errorName(d.errorCode);
    if (error === 'OFFSET_OUT_OF_RANGE') return p.outOfRange();
    if (error !== 'NONE') return this.failed(p, error, now);
    p.fetched(d.highWatermark, d.logStartOffset, now);
    const diverging = d.divergingEpoch;
    if (diverging && (diverging.epoch >= 0 || diverging.endOffset >= 0)) {
      this.host.logger.warn({ topic: p.topic, partition: p.partition, epoch: diverging.epoch, endOffset: diverging.endOffset, logEnd: p.log.logEndOffset }, 'cluster link: the source log diverged from the mirror; truncating');
      if (diverging.epoch < 0) p.outOfRange();
      else await p.truncateToSource(diverging.epoch, diverging.endOffset);
      return;
    }
    if (d.records && d.records.length > 0) {
      const r = await p.append(d.records);
      if (!r.ok) {
        // The batches did not fit the log's end (or were damaged on the way): check and refetch.
        const fatal = r.error === 'KAFKA_STORAGE_ERROR' || r.error === 'NOT_LEADER_OR_FOLLOWER';
        p.localFailure(`appending the source's batches failed: ${r.error}: ${r.reason}`, now + this.host.settings.fetchBackoffMs, fatal);
        this.host.logger.warn({ topic: p.topic, partition: p.partition, error: r.error, reason: r.reason }, 'cluster link: append failed');
        return;
      }
      if (r.batches > 0) this.host.mirrored(d.records.length, r.lastOffset - r.firstOffset + 1);
      // Only part of a batch came back: it is larger than replica.fetch.max.bytes, so ask for all of it.
      const whole = wholeBatchesEnd(d.records);
      p.needsBytes(r.batches === 0 && d.records.length - whole >= LOG_OVERHEAD ? batchSize(d.records, whole) : null);
    }
    if (p.sourceLogStartOffset > p.log.logStartOffset) await p.followLogStart();
  }

  /** A partition-level error from the source: stale leadership refreshes metadata, anything else backs off. */
  private failed(p: MirrorPartition, error: string, now: number): void {
    this.host.logger.debug({ broker: this.nodeId, topic: p.topic, partition: p.partition, leaderEpoch: p.leaderEpoch, error }, 'cluster link: the source refused a partition');
    if (LEADERSHIP_ERRORS.has(error)) {
      p.refused(error, now + this.host.settings.retryBackoffMs, true);
      this.remove(p);
      this.host.refreshMetadata();
    } else {
      p.refused(error, now + this.host.settings.fetchBackoffMs, false);
    }
  }

  /** OffsetForLeaderEpoch for each partition's last epoch, and truncation where the source disagrees. */
  private async reconcile(parts: MirrorPartition[]): Promise<void> {
    // An empty log (or one without epochs) has nothing to disagree about.
    for (const p of parts) if (p.lastEpoch < 0) p.agreed();
    const ask = parts.filter((p) => p.phase === 'reconcile');
    if (ask.length === 0) return;
    const refs = ask.map((p) => ({ topic: p.sourceTopic, partition: p.partition, leaderEpoch: p.leaderEpoch, epoch: p.lastEpoch }));
    const answers = await this.host.source.epochEndOffsets(this.nodeId, refs);
    const now = this.host.clock.now();
    await Promise.all(ask.map((p, i) => this.locally(p, async () => {
      const a = answers.get(refKey(p.sourceTopic, p.partition));
      if (!a || !this.current(p, refs[i]!.leaderEpoch)) return;
      if (a.error !== 'NONE') return this.failed(p, a.error, now);
      // The source knows no epoch up to ours (its history begins later): compare log ranges instead.
      if (a.leaderEpoch < 0 || a.endOffset < 0) return p.outOfRange();
      const before = p.log.logEndOffset;
      if (await p.truncateToSource(a.leaderEpoch, a.endOffset)) p.agreed();
      if (p.log.logEndOffset < before) {
        this.host.logger.warn({ topic: p.topic, partition: p.partition, from: before, to: p.log.logEndOffset }, 'cluster link: truncated the mirror to where it agrees with the source');
      }
    })));
  }

  /** After OFFSET_OUT_OF_RANGE: fit the log into the source's [log start, high watermark]. */
  private async reset(parts: MirrorPartition[]): Promise<void> {
    const refs = parts.map((p) => ({ topic: p.sourceTopic, partition: p.partition, leaderEpoch: p.leaderEpoch }));
    const earliest = await this.host.source.listOffsets(this.nodeId, refs, EARLIEST_TIMESTAMP, READ_UNCOMMITTED);
    const latest = await this.host.source.listOffsets(this.nodeId, refs, LATEST_TIMESTAMP, READ_UNCOMMITTED);
    const now = this.host.clock.now();
    await Promise.all(parts.map((p, i) => this.locally(p, async () => {
      const first = earliest.get(refKey(p.sourceTopic, p.partition));
      const last = latest.get(refKey(p.sourceTopic, p.partition));
      if (!first || !last || !this.current(p, refs[i]!.leaderEpoch)) return;
      if (first.error !== 'NONE') return this.failed(p, first.error, now);
      if (last.error !== 'NONE') return this.failed(p, last.error, now);
      const end = p.log.logEndOffset;
      const done = await p.fitInto(first.offset, last.offset);
      if (done === 'truncated') {
        this.host.logger.warn({ topic: p.topic, partition: p.partition, from: end, to: last.offset }, 'cluster link: the source log ends before the mirror; truncating');
      } else if (done === 'restarted') {
        this.host.logger.warn({ topic: p.topic, partition: p.partition, from: end, to: first.offset }, 'cluster link: the source deleted records the mirror had not copied yet; continuing from the source log start');
      }
    })));
  }
}
