// Incremental fetch sessions (KIP-227). A consumer opens a session with a full fetch (epoch 0);
// later fetches (epoch 1, 2, ...) carry only the partitions whose fetch position changed, and the
// response carries only the partitions that have something new. The broker keeps each session's
// partitions and what it last told the client about them.
import { LRUCache } from 'lru-cache';
import type { ErrorName } from '../../protocol/errors.js';

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

export interface FetchSession {
  id: number;
  /** the epoch the next request must carry */
  nextEpoch: number;
  /** in the client's order; keyed by "topicId or name:partition" */
  partitions: Map<string, SessionPartition>;
}

export interface RequestedPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

export interface SessionPartition extends RequestedPartition {
  /** what the last response said, so that an unchanged partition can be left out */
  sentHighWatermark: number;
  sentLogStartOffset: number;
  sentLastStableOffset: number;
}

export type SessionOutcome =
  | { error: ErrorName }
  | {
      /** 0 when the fetch is sessionless */
      sessionId: number;
      /** whether the response lists only what changed */
      incremental: boolean;
      partitions: SessionPartition[];
    };

const key = (p: { topic: string; partition: number }) => `${p.topic}:${p.partition}`;

function fresh(p: RequestedPartition): SessionPartition {
  return { ...p, sentHighWatermark: -1, sentLogStartOffset: -1, sentLastStableOffset: -1 };
}

export class FetchSessions {
  private readonly sessions: LRUCache<number, FetchSession>;
  private nextId = 1;

  /** slots: Kafka's max.incremental.fetch.session.cache.slots */
  constructor(slots = 1000) {
    this.sessions = new LRUCache({ max: slots });
  }

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Applies a fetch request to the session cache; returns the partitions to read, in order.
   * Topic names are resolved by the caller (from ids in v13+), so sessions key on names.
   */
  resolve(sessionId: number, epoch: number, requested: RequestedPartition[], forgotten: { topic: string; partition: number }[]): SessionOutcome {
    if (epoch === FINAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      return { sessionId: 0, incremental: false, partitions: requested.map(fresh) };
    }
    if (epoch === INITIAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      const session: FetchSession = { id: this.allocateId(), nextEpoch: 1, partitions: new Map() };
      for (const p of requested) session.partitions.set(key(p), fresh(p));
      this.sessions.set(session.id, session);
      return { sessionId: session.id, incremental: false, partitions: [...session.partitions.values()] };
    }
    const session = this.sessions.get(sessionId);
    if (!session) return { error: 'FETCH_SESSION_ID_NOT_FOUND' };
    if (epoch !== session.nextEpoch) return { error: 'INVALID_FETCH_SESSION_EPOCH' };
    session.nextEpoch = epoch === 0x7fffffff ? 1 : epoch + 1;
    for (const f of forgotten) session.partitions.delete(key(f));
    for (const p of requested) {
      const had = session.partitions.get(key(p));
      if (had) Object.assign(had, p);
      else session.partitions.set(key(p), fresh(p));
    }
    return { sessionId: session.id, incremental: true, partitions: [...session.partitions.values()] };
  }

  private allocateId(): number {
    do {
      this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
    } while (this.sessions.has(this.nextId));
    return this.nextId;
  }
}

/**
 * Whether an incremental response must carry this partition: it has records or an error, or
 * its high watermark, log start offset or last stable offset moved since the last response.
 * Records what is being sent as a side effect.
 */
export function mustSend(p: SessionPartition, hasRecords: boolean, errored: boolean, hw: number, logStart: number, lso: number): boolean {
  const changed = p.sentHighWatermark !== hw || p.sentLogStartOffset !== logStart || p.sentLastStableOffset !== lso;
  p.sentHighWatermark = hw;
  p.sentLogStartOffset = logStart;
  p.sentLastStableOffset = lso;
  return hasRecords || errored || changed;
}
