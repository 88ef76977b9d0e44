// The partition layer between the request handlers and the log, as Kafka's Partition and
// AppendOrigin: one object per partition that knows its role (a local topic, a mirror that only
// its cluster link writes, a coordinator's internal topic), its leader epoch and the
// fencing of requests that name one, and who may write to it. Handlers ask it rather than
// repeating those checks; an authorizer will have this one boundary to hook into, and promoting a
// mirror will be a change of its role.
import type { ErrorName } from '../../protocol/errors.js';
import { OFFSETS_TOPIC } from '../groups/offsets-topic.js';
import { mirrorRefusal, syncedConfigRefusal } from '../link/read-only.js';
import type { LinkManagerApi } from '../link/types.js';
import type { LogManager } from '../log/log-manager.js';
import type { LeaderAppendResult, PartitionLog } from '../log/partition-log.js';
import { TRANSACTION_STATE_TOPIC } from '../transactions/coordinator.js';

export type PartitionRole = 'local' | 'mirror' | 'internal';

/** Who writes: a client's request, the group coordinator, or a cluster link copying its source. */
export type AppendOrigin = 'client' | 'coordinator' | 'replication';

/** The changes to a partition's data a client may ask for. */
export type DataChange = 'produce' | 'deleteRecords' | 'createPartitions';

/** A refused change: Kafka's error, and the message sent with it where the API carries one. */
export interface Refusal {
  error: ErrorName;
  message: string | null;
}

/** Kafka's fencing of a request that names the leader epoch it believes current (-1: none). */
export function epochFencing(current: number, ours: number): ErrorName | null {
  if (current < 0 || current === ours) return null;
  return current < ours ? 'FENCED_LEADER_EPOCH' : 'UNKNOWN_LEADER_EPOCH';
}

export class Partition {
  constructor(
    readonly topic: string,
    readonly index: number,
    readonly log: PartitionLog,
    private readonly owner: Partitions,
  ) {}

  get role(): PartitionRole {
    return this.owner.role(this.topic);
  }

  get leaderEpoch(): number {
    return this.log.leaderEpoch;
  }

  /** Why a request naming `currentLeaderEpoch` is refused, or null. */
  fencing(currentLeaderEpoch: number): ErrorName | null {
    return epochFencing(currentLeaderEpoch, this.log.leaderEpoch);
  }

  /** Why `origin` may not make `change` here, or null. */
  writeRefusal(change: DataChange, origin: AppendOrigin): Refusal | null {
    return this.owner.writeRefusal(this.topic, change, origin);
  }

  /**
   * Appends `records` as this broker leads the partition, at its leader epoch. The caller has
   * asked writeRefusal('produce', ...) first, in the order its API answers in, so the hot path
   * looks up the role once.
   */
  append(records: Buffer, now: number): Promise<LeaderAppendResult> {
    return this.log.appendAsLeader(records, { leaderEpoch: this.log.leaderEpoch, now });
  }
}

export class Partitions {
  /** keyed by the log, so that a topic deleted and made anew gets new partitions */
  private readonly byLog = new WeakMap<PartitionLog, Partition>();

  constructor(private readonly logs: LogManager, private readonly links: () => LinkManagerApi | undefined) {}

  get(topic: string, index: number): Partition | undefined {
    const log = this.logs.getLog(topic, index);
    if (!log) return undefined;
    let p = this.byLog.get(log);
    if (!p) this.byLog.set(log, (p = new Partition(topic, index, log, this)));
    return p;
  }

  role(topic: string): PartitionRole {
    if (topic === OFFSETS_TOPIC || topic === TRANSACTION_STATE_TOPIC) return 'internal';
    return this.links()?.mirrorOf(topic) ? 'mirror' : 'local';
  }

  /** Why `origin` may not make `change` to `topic`, or null: the rules of each role. */
  writeRefusal(topic: string, change: DataChange, origin: AppendOrigin): Refusal | null {
    switch (this.role(topic)) {
      case 'internal':
        // The coordinator's committed state: written by the coordinator alone, as in Kafka.
        if (origin === 'coordinator') return null;
        if (change === 'produce') return { error: 'INVALID_TOPIC_EXCEPTION', message: `Cannot append to internal topic ${topic}` };
        if (change === 'deleteRecords') return { error: 'INVALID_TOPIC_EXCEPTION', message: null };
        return null;
      case 'mirror': {
        // Its data, log start and partition count come only from its source.
        if (origin === 'replication') return null;
        const message = mirrorRefusal(this.links(), topic, change);
        // DeleteRecords carries no error message.
        return { error: 'POLICY_VIOLATION', message: change === 'deleteRecords' ? null : message };
      }
      case 'local':
        return null;
    }
  }

  /** Why altering `configs` of `topic` is refused (a mirror's synced ones follow its source), or null. */
  configRefusal(topic: string, configs: string[]): string | null {
    return syncedConfigRefusal(this.links(), topic, configs);
  }
}
