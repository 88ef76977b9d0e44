// A mirror topic at run time: its stored record and its partitions, and how its state reads from
// outside. Failure and pause are the mirror's own (stored); unavailability comes from the link
// and from each partition's last contact with the source.
import { ZERO_UUID } from '../../protocol/primitives.js';
import type { LogManager } from '../log/log-manager.js';
import type { StoredMirror } from './link-store.js';
import { MirrorPartition } from './mirror-partition.js';
import type { LinkState, MirrorDescription, MirrorPartitionStatus, MirrorState } from './types.js';

export class MirrorTopic {
  readonly partitions: MirrorPartition[] = [];
  /** when the source first answered that it does not know the topic (null: it does) */
  missingSince: number | null = null;

  constructor(readonly record: StoredMirror) {}

  get topic(): string {
    return this.record.topic;
  }

  /** the source topic's name: the mirror's, unless the link names mirrors with a prefix */
  get sourceTopic(): string {
    return this.record.sourceTopic ?? this.record.topic;
  }

  /** Whether mirroring goes on: created, not failed (a paused mirror still follows its source's metadata). */
  get live(): boolean {
    return this.record.pending === null && this.record.failed === null && this.record.stopping === undefined;
  }

  /** Takes up the local topic's partitions not yet attached (all of them at first, new ones after growth). */
  attach(logs: LogManager): MirrorPartition[] {
    const info = logs.topic(this.topic);
    const added: MirrorPartition[] = [];
    for (let p = this.partitions.length; info && p < info.partitions; p++) {
      const mp = new MirrorPartition(this.topic, p, logs.getLog(this.topic, p)!, this.sourceTopic, this.record.sourceTopicId ?? ZERO_UUID);
      mp.setPaused(this.record.paused);
      this.partitions.push(mp);
      added.push(mp);
    }
    return added;
  }

  describe(linkName: string, linkState: LinkState, linkError: string | null): MirrorDescription {
    const partitions = this.partitions.map((p) => this.partitionStatus(p, linkState, linkError));
    let state: MirrorState = 'ACTIVE';
    let reason: string | null = null;
    if (this.record.stopping !== undefined) {
      state = 'PENDING_STOPPED';
      reason = this.record.stopping === 'promote' ? 'being promoted' : 'failing over';
    } else if (this.record.failed !== null) {
      state = 'FAILED';
      reason = this.record.failed;
    } else if (this.record.pending !== null) {
      state = 'SOURCE_UNAVAILABLE';
      reason = 'the mirror topic is being created';
    } else if (this.record.paused) {
      state = 'PAUSED';
    } else {
      const worst = partitions.find((p) => p.state === 'FAILED') ?? partitions.find((p) => p.state === 'SOURCE_UNAVAILABLE');
      if (worst) {
        state = worst.state;
        reason = `partition ${worst.partition}: ${worst.error}`;
      }
    }
    return { topic: this.topic, sourceTopic: this.sourceTopic, linkName, sourceTopicId: this.record.sourceTopicId, state, reason, partitions };
  }

  private partitionStatus(p: MirrorPartition, linkState: LinkState, linkError: string | null): MirrorPartitionStatus {
    let state: MirrorState = 'ACTIVE';
    let error: string | null = null;
    if (this.record.stopping !== undefined) {
      state = 'PENDING_STOPPED';
    } else if (this.record.failed !== null || p.failed !== null) {
      state = 'FAILED';
      error = this.record.failed ?? p.failed;
    } else if (this.record.paused) {
      state = 'PAUSED';
    } else if (linkState !== 'ACTIVE') {
      state = 'SOURCE_UNAVAILABLE';
      error = linkError;
    } else if (p.problem !== null) {
      state = 'SOURCE_UNAVAILABLE';
      error = p.problem;
    }
    return {
      partition: p.partition,
      sourceHighWatermark: p.sourceHighWatermark,
      sourceLogStartOffset: p.sourceLogStartOffset,
      localLogEndOffset: p.log.logEndOffset,
      localLogStartOffset: p.log.localLogStartOffset,
      logStartOffset: p.log.logStartOffset,
      localBytes: p.log.size,
      sourceBytes: p.sourceBytes,
      bytesServed: { local: p.log.served.local, readThrough: p.log.served.remote },
      lag: p.lag,
      lastFetchTimeMs: p.lastFetchTimeMs,
      sourceLeaderId: p.leaderId,
      sourceLeaderEpoch: p.leaderId < 0 ? -1 : p.leaderEpoch,
      state,
      error,
    };
  }
}
