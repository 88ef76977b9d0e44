// The fetching side of an incremental fetch session (KIP-227) with one source broker. The first
// request is full (epoch 0) and lists every partition; the broker answers with a session id.
// Later requests (epoch 1, 2, ...) list only the partitions whose fetch position changed since the
// broker last heard of them, and name the ones no longer wanted as forgotten; the broker's answer
// holds only partitions with news. Any session error, or a lost response, starts over with a
// full request. Before Fetch v7 there are no sessions: every request is full.
import { errorName } from '../../protocol/errors.js';
import type { FetchRequest } from '../../protocol/messages/messages.js';

export interface FetchPosition {
  topic: string;
  topicId: string;
  partition: number;
  /** its keys in a session (positionKey's, by id and by name), made once by a caller that asks every round */
  keys?: SessionKeys;
  fetchOffset: number;
  currentLeaderEpoch: number;
  /** the epoch of the last batch in the local log, so the source can report a divergence (v12+) */
  lastFetchedEpoch: number;
  maxBytes: number;
}

export interface SessionKeys {
  byId: string;
  byName: string;
}

export function sessionKeys(topic: string, topicId: string, partition: number): SessionKeys {
  return { byId: positionKey(FIRST_TOPIC_ID_VERSION, topic, topicId, partition), byName: positionKey(0, topic, topicId, partition) };
}

export interface SessionRequest<P extends FetchPosition = FetchPosition> {
  sessionId: number;
  sessionEpoch: number;
  topics: FetchRequest.FetchTopic[];
  forgottenTopicsData: FetchRequest.ForgottenTopic[];
  /** the partitions this request leaves the broker's session holding, by key (a response's partitions are found here) */
  holds: Map<string, P>;
  full: boolean;
}

const INITIAL_EPOCH = 0;
const SESSIONLESS_EPOCH = -1;
const FIRST_SESSION_VERSION = 7;
const FIRST_TOPIC_ID_VERSION = 13;
const INT32_MAX = 0x7fffffff;

/** How a request and its response name a partition: by topic id from Fetch v13, else by name. */
export function positionKey(version: number, topic: string, topicId: string, partition: number): string {
  return `${version >= FIRST_TOPIC_ID_VERSION ? topicId : topic}:${partition}`;
}

function keyOf(p: FetchPosition, version: number): string {
  if (p.keys) return version >= FIRST_TOPIC_ID_VERSION ? p.keys.byId : p.keys.byName;
  return positionKey(version, p.topic, p.topicId, p.partition);
}

function samePosition(a: FetchPosition, b: FetchPosition): boolean {
  return a.fetchOffset === b.fetchOffset && a.currentLeaderEpoch === b.currentLeaderEpoch && a.lastFetchedEpoch === b.lastFetchedEpoch && a.maxBytes === b.maxBytes;
}

export class FetchSessionClient {
  private sessionId = 0;
  private epoch = INITIAL_EPOCH;
  private held = new Map<string, FetchPosition>();
  /** the version the session's partitions were named for (names and ids do not mix) */
  private version = -1;

  /**
   * The session fields and partitions of a request fetching `wanted` at `version`. Its work is a
   * map lookup and a comparison per partition: no strings are made for positions that carry keys.
   */
  build<P extends FetchPosition>(wanted: P[], version: number): SessionRequest<P> {
    const byId = version >= FIRST_TOPIC_ID_VERSION;
    if (this.version >= 0 && byId !== this.version >= FIRST_TOPIC_ID_VERSION) this.reset();
    this.version = version;
    const sessions = version >= FIRST_SESSION_VERSION;
    const full = !sessions || this.epoch === INITIAL_EPOCH;
    const holds = new Map<string, P>();
    for (const p of wanted) holds.set(keyOf(p, version), p);

    const send: FetchPosition[] = [];
    for (const [key, p] of holds) {
      const before = this.held.get(key);
      if (full || !before || !samePosition(before, p)) send.push(p);
    }
    const forgotten: FetchPosition[] = [];
    if (!full) for (const [key, p] of this.held) if (!holds.has(key)) forgotten.push(p);
    return {
      sessionId: sessions ? this.sessionId : 0,
      sessionEpoch: sessions ? this.epoch : SESSIONLESS_EPOCH,
      topics: groupByTopic(send, byId, (p) => ({
        partition: p.partition,
        currentLeaderEpoch: p.currentLeaderEpoch,
        fetchOffset: p.fetchOffset,
        lastFetchedEpoch: p.lastFetchedEpoch,
        logStartOffset: -1,
        partitionMaxBytes: p.maxBytes,
      })),
      forgottenTopicsData: groupByTopic(forgotten, byId, (p) => p.partition),
      holds,
      full,
    };
  }

  /** Takes in the broker's answer to `req`; returns the session error it reported, if any. */
  onResponse(req: SessionRequest<FetchPosition>, errorCode: number, sessionId: number): string | null {
    if (errorCode !== 0) {
      const error = errorName(errorCode);
      // An unknown session id is gone for good; any other error closes it with the next full request.
      if (error === 'FETCH_SESSION_ID_NOT_FOUND') this.sessionId = 0;
      this.epoch = INITIAL_EPOCH;
      this.held.clear();
      return error;
    }
    if (this.version < FIRST_SESSION_VERSION) return null;
    this.held = req.holds;
    if (req.full) {
      this.sessionId = sessionId;
      // A broker out of session slots answers a full request with session id 0: stay full.
      this.epoch = sessionId === 0 ? INITIAL_EPOCH : 1;
    } else {
      this.epoch = this.epoch === INT32_MAX ? 1 : this.epoch + 1;
    }
    return null;
  }

  /** After a failed request: the next one is full and replaces the broker's session. */
  reset(): void {
    this.epoch = INITIAL_EPOCH;
    this.held.clear();
  }

  get incremental(): boolean {
    return this.epoch !== INITIAL_EPOCH;
  }
}

function groupByTopic<T>(positions: FetchPosition[], byId: boolean, entry: (p: FetchPosition) => T): { topic: string; topicId: string; partitions: T[] }[] {
  const topics = new Map<string, { topic: string; topicId: string; partitions: T[] }>();
  for (const p of positions) {
    const ref = byId ? p.topicId : p.topic;
    let t = topics.get(ref);
    if (!t) topics.set(ref, (t = { topic: p.topic, topicId: p.topicId, partitions: [] }));
    t.partitions.push(entry(p));
  }
  return [...topics.values()];
}
