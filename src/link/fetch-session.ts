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
  full: boolean;
  /** the entries whose positions it carries, and the keys it forgets */
  sent: SessionEntry<P>[];
  forgot: string[];
}

/** A partition the session wants: what the broker's session holds of it, and where it is wanted now. */
export interface SessionEntry<P extends FetchPosition = FetchPosition> {
  readonly key: string;
  /** the caller's position, as last given */
  pos: P;
  /** whether the broker's session holds it, at the `known*` position */
  known: boolean;
  knownOffset: number;
  knownLeaderEpoch: number;
  knownLastFetchedEpoch: number;
  knownMaxBytes: number;
  /** wanted now (copied from `pos` when given) */
  fetchOffset: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  maxBytes: number;
  /** what the request in flight asked (answers about the partition are about this epoch) */
  sentOffset: number;
  sentLeaderEpoch: number;
  sentLastFetchedEpoch: number;
  sentMaxBytes: number;
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

function settled(e: SessionEntry): boolean {
  return e.known && e.knownOffset === e.fetchOffset && e.knownLeaderEpoch === e.currentLeaderEpoch && e.knownLastFetchedEpoch === e.lastFetchedEpoch && e.knownMaxBytes === e.maxBytes;
}

/**
 * The session is told what changed, not handed every partition each round: a request's work is a
 * map update per partition that moved, whatever the session's size. A fetcher with a thousand
 * partitions asking a few hundred times a second then neither walks them all nor makes garbage
 * for the ones that stood still.
 */
export class FetchSessionClient<P extends FetchPosition = FetchPosition> {
  private sessionId = 0;
  private epoch = INITIAL_EPOCH;
  /** every partition wanted, by key */
  private readonly wanted = new Map<string, SessionEntry<P>>();
  /** wanted partitions the broker does not hold where they are wanted */
  private readonly dirty = new Set<SessionEntry<P>>();
  /** keys the broker's session holds that are no longer wanted */
  private readonly unwanted = new Map<string, P>();
  /** the version the session's partitions were named for (names and ids do not mix) */
  private version = -1;

  /** Wants `p` fetched from its position (its numbers are copied: the object may be handed again, updated). */
  want(p: P, version: number): void {
    this.name(version);
    const key = keyOf(p, version);
    let e = this.wanted.get(key);
    if (!e) {
      e = {
        key, pos: p, known: false, knownOffset: -1, knownLeaderEpoch: -1, knownLastFetchedEpoch: -1, knownMaxBytes: 0,
        fetchOffset: -1, currentLeaderEpoch: -1, lastFetchedEpoch: -1, maxBytes: 0, sentOffset: -1, sentLeaderEpoch: -1, sentLastFetchedEpoch: -1, sentMaxBytes: 0,
      };
      this.wanted.set(key, e);
      this.unwanted.delete(key);
    }
    e.pos = p;
    e.fetchOffset = p.fetchOffset;
    e.currentLeaderEpoch = p.currentLeaderEpoch;
    e.lastFetchedEpoch = p.lastFetchedEpoch;
    e.maxBytes = p.maxBytes;
    if (settled(e)) this.dirty.delete(e);
    else this.dirty.add(e);
  }

  /** No longer wants `p`: the next request forgets it, if the broker holds it. */
  drop(p: P, version: number): void {
    this.name(version);
    const key = keyOf(p, version);
    const e = this.wanted.get(key);
    // Another position under the same key (a partition made anew) is not this one's to drop.
    if (!e || e.pos !== p) return;
    this.wanted.delete(key);
    this.dirty.delete(e);
    if (e.known) this.unwanted.set(key, e.pos);
  }

  get size(): number {
    return this.wanted.size;
  }

  /**
   * The session fields and partitions of the next request at `version`: every wanted partition
   * in a full one (the first, or after an error), else those that moved and those forgotten.
   */
  build(version: number): SessionRequest<P> {
    this.name(version);
    const byId = version >= FIRST_TOPIC_ID_VERSION;
    const sessions = version >= FIRST_SESSION_VERSION;
    const full = !sessions || this.epoch === INITIAL_EPOCH;
    const sent = full ? [...this.wanted.values()] : [...this.dirty];
    for (const e of sent) {
      e.sentOffset = e.fetchOffset;
      e.sentLeaderEpoch = e.currentLeaderEpoch;
      e.sentLastFetchedEpoch = e.lastFetchedEpoch;
      e.sentMaxBytes = e.maxBytes;
    }
    const forgot = full ? [] : [...this.unwanted.keys()];
    return {
      sessionId: sessions ? this.sessionId : 0,
      sessionEpoch: sessions ? this.epoch : SESSIONLESS_EPOCH,
      topics: groupByTopic(sent.map((e) => e.pos), byId, sent, (e) => ({
        partition: e.pos.partition,
        currentLeaderEpoch: e.sentLeaderEpoch,
        fetchOffset: e.sentOffset,
        lastFetchedEpoch: e.sentLastFetchedEpoch,
        logStartOffset: -1,
        partitionMaxBytes: e.sentMaxBytes,
      })),
      forgottenTopicsData: groupByTopic(forgot.map((k) => this.unwanted.get(k)!), byId, forgot, (_, p) => p.partition),
      full,
      sent,
      forgot,
    };
  }

  /** The wanted partition an answer names by `key` (answers about others are of no use). */
  requested(key: string): SessionEntry<P> | undefined {
    return this.wanted.get(key);
  }

  /** Takes in the broker's answer to `req`; returns the session error it reported, if any. */
  onResponse(req: SessionRequest<P>, errorCode: number, sessionId: number): string | null {
    if (errorCode !== 0) {
      const error = errorName(errorCode);
      // An unknown session id is gone for good; any other error closes it with the next full request.
      if (error === 'FETCH_SESSION_ID_NOT_FOUND') this.sessionId = 0;
      this.reset();
      return error;
    }
    if (this.version < FIRST_SESSION_VERSION) return null;
    // The broker's session now holds what the request carried, and not what it forgot (a full
    // request replaces the session: nothing else is left in it).
    if (req.full) this.unwanted.clear();
    for (const key of req.forgot) this.unwanted.delete(key);
    for (const e of req.sent) {
      if (this.wanted.get(e.key) !== e) {
        // Dropped while the request was out: the broker holds it now, so it is forgotten next.
        if (!this.wanted.has(e.key)) this.unwanted.set(e.key, e.pos);
        continue;
      }
      e.known = true;
      e.knownOffset = e.sentOffset;
      e.knownLeaderEpoch = e.sentLeaderEpoch;
      e.knownLastFetchedEpoch = e.sentLastFetchedEpoch;
      e.knownMaxBytes = e.sentMaxBytes;
      if (settled(e)) this.dirty.delete(e);
    }
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
    this.unwanted.clear();
    for (const e of this.wanted.values()) {
      e.known = false;
      this.dirty.add(e);
    }
  }

  get incremental(): boolean {
    return this.epoch !== INITIAL_EPOCH;
  }

  /** Partitions are named by id from Fetch v13, by name before: a change of naming starts the session over. */
  private name(version: number): void {
    const byId = version >= FIRST_TOPIC_ID_VERSION;
    if (this.version >= 0 && byId !== this.version >= FIRST_TOPIC_ID_VERSION) {
      const entries = [...this.wanted.values()];
      this.wanted.clear();
      this.dirty.clear();
      this.unwanted.clear();
      this.epoch = INITIAL_EPOCH;
      this.version = version;
      for (const e of entries) this.want(e.pos, version);
    }
    this.version = version;
  }
}

function groupByTopic<E, T>(positions: FetchPosition[], byId: boolean, items: E[], entry: (item: E, p: FetchPosition) => T): { topic: string; topicId: string; partitions: T[] }[] {
  const topics = new Map<string, { topic: string; topicId: string; partitions: T[] }>();
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    const ref = byId ? p.topicId : p.topic;
    let t = topics.get(ref);
    if (!t) topics.set(ref, (t = { topic: p.topic, topicId: p.topicId, partitions: [] }));
    t.partitions.push(entry(items[i]!, p));
  }
  return [...topics.values()];
}
