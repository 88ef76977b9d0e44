// Producer state, Kafka's ProducerStateManager: per producer id, its current epoch, the metadata of
// its last five batches and the first offset of its open transaction, if any. A retried batch
// matching one of those five is a duplicate and is answered with the offsets it got the first
// time; anything else must continue the sequence exactly. A transactional batch from a producer
// with none open opens one, and its COMMIT or ABORT marker closes it. The earliest open
// transaction is where the last stable offset stops. Only batch headers, and the one record of a
// marker, are read to maintain it.
import type { ErrorName } from '../../protocol/errors.js';
import type { AbortedTxn } from './transaction-index.js';

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN, which is also the client's max.in.flight bound. */
export const MAX_BATCHES_PER_PRODUCER = 5;
const INT32_MAX = 0x7fffffff;
const NO_SEQUENCE = -1;
const NO_PRODUCER_EPOCH = -1;
/** currentTxnFirstOffset of a producer with no open transaction. */
const NO_TXN = -1;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  /** The batch's max timestamp (the append time under LogAppendTime). */
  timestamp: number;
}

export interface ProducerEntry {
  producerId: number;
  epoch: number;
  /** Oldest first, at most MAX_BATCHES_PER_PRODUCER, all of `epoch`. */
  batches: readonly BatchMetadata[];
  /** What producer.id.expiration.ms is measured from. */
  lastTimestamp: number;
  /** The first offset of the producer's open transaction, NO_TXN when it has none. */
  currentTxnFirstOffset: number;
}

export type ProducerCheck =
  | { kind: 'new' }
  | { kind: 'duplicate'; batch: BatchMetadata }
  | { kind: 'error'; error: Extract<ErrorName, 'INVALID_PRODUCER_EPOCH' | 'OUT_OF_ORDER_SEQUENCE_NUMBER'>; reason: string };

/** The sequence of a batch's last record: sequences wrap from Int32 max to 0, as Kafka's do. */
export function lastSequence(baseSequence: number, lastOffsetDelta: number): number {
  return baseSequence > INT32_MAX - lastOffsetDelta ? lastOffsetDelta - (INT32_MAX - baseSequence) - 1 : baseSequence + lastOffsetDelta;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/**
 * Kafka's checks of a producer's batch, in Kafka's order: a duplicate of one of the retained
 * batches (same epoch, same sequence range); an epoch older than the current one; a new epoch
 * that does not start at sequence 0; a sequence that does not follow the last one. A producer
 * with no state at all (new, or whose state expired or was deleted with the log's head) may
 * start at any sequence: Kafka 4 accepts it rather than answering UNKNOWN_PRODUCER_ID.
 */
export function checkClientBatch(entry: ProducerEntry | undefined, epoch: number, firstSeq: number, lastSeq: number): ProducerCheck {
  const currentEpoch = entry?.epoch ?? NO_PRODUCER_EPOCH;
  if (entry && epoch === currentEpoch) {
    const duplicate = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (duplicate) return { kind: 'duplicate', batch: duplicate };
  }
  if (epoch < currentEpoch) {
    return { kind: 'error', error: 'INVALID_PRODUCER_EPOCH', reason: `producer epoch ${epoch} is older than the current epoch ${currentEpoch}` };
  }
  if (epoch !== currentEpoch) {
    if (firstSeq !== 0 && currentEpoch !== NO_PRODUCER_EPOCH) {
      return { kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', reason: `a new producer epoch ${epoch} must start at sequence 0, not ${firstSeq}` };
    }
    return { kind: 'new' };
  }
  const last = entry?.batches.at(-1)?.lastSeq ?? NO_SEQUENCE;
  if (currentEpoch !== NO_PRODUCER_EPOCH && !inSequence(last, firstSeq)) {
    return { kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', reason: `sequence ${firstSeq} does not follow ${last}` };
  }
  return { kind: 'new' };
}

/**
 * Kafka's check of a coordinator's batch (a marker, a transactional offset commit), which has no
 * sequence: only an epoch older than the producer's is refused.
 */
export function checkCoordinatorBatch(entry: ProducerEntry | undefined, epoch: number): ProducerCheck {
  const currentEpoch = entry?.epoch ?? NO_PRODUCER_EPOCH;
  if (epoch < currentEpoch) return { kind: 'error', error: 'INVALID_PRODUCER_EPOCH', reason: `producer epoch ${epoch} is older than the current epoch ${currentEpoch}` };
  return { kind: 'new' };
}

/**
 * The entry after a data batch: a change of epoch forgets the old epoch's batches (an open
 * transaction stays open: its marker is still to come); a transactional batch opens a transaction
 * at its first offset unless one is open.
 */
export function withBatch(entry: ProducerEntry | undefined, producerId: number, epoch: number, batch: BatchMetadata, transactional = false): ProducerEntry {
  const kept = entry && entry.epoch === epoch ? entry.batches : [];
  const batches = [...kept.slice(Math.max(0, kept.length - MAX_BATCHES_PER_PRODUCER + 1)), batch];
  const open = entry?.currentTxnFirstOffset ?? NO_TXN;
  return { producerId, epoch, batches, lastTimestamp: batch.timestamp, currentTxnFirstOffset: open === NO_TXN && transactional ? batch.firstOffset : open };
}

/**
 * The entry after a control batch (from the source cluster), which carries only an epoch; a
 * COMMIT or ABORT marker (`endsTxn`) also closes the producer's open transaction.
 */
export function withControlBatch(entry: ProducerEntry | undefined, producerId: number, epoch: number, timestamp: number, endsTxn: boolean): ProducerEntry {
  const batches = entry && entry.epoch === epoch ? entry.batches : [];
  return { producerId, epoch, batches, lastTimestamp: timestamp, currentTxnFirstOffset: endsTxn ? NO_TXN : entry?.currentTxnFirstOffset ?? NO_TXN };
}

export class ProducerStateTable {
  private readonly entries = new Map<number, ProducerEntry>();
  /**
   * Open transactions, first offset to producer id, in offset order (Kafka's ongoingTxns). Logs
   * grow at the end, so transactions open in offset order and a Map's insertion order is enough;
   * only entries loaded from a snapshot can come out of order, and they are sorted then.
   */
  private open = new Map<number, number>();
  private lastOpened = NO_TXN;

  get(producerId: number): ProducerEntry | undefined {
    return this.entries.get(producerId);
  }

  set(entry: ProducerEntry): void {
    const before = this.entries.get(entry.producerId)?.currentTxnFirstOffset ?? NO_TXN;
    this.entries.set(entry.producerId, entry);
    const after = entry.currentTxnFirstOffset;
    if (before === after) return;
    if (before !== NO_TXN) this.open.delete(before);
    if (after === NO_TXN) return;
    this.open.set(after, entry.producerId);
    if (after < this.lastOpened) this.open = new Map([...this.open].sort((a, b) => a[0] - b[0]));
    else this.lastOpened = after;
  }

  /** Entries as a snapshot holds them, in any order. */
  load(entries: readonly ProducerEntry[]): void {
    for (const e of [...entries].sort((a, b) => a.currentTxnFirstOffset - b.currentTxnFirstOffset)) this.set(e);
  }

  all(): IterableIterator<ProducerEntry> {
    return this.entries.values();
  }

  clear(): void {
    this.entries.clear();
    this.open.clear();
    this.lastOpened = NO_TXN;
  }

  /** The first offset of the earliest open transaction, or null when none is open. */
  get firstUnstableOffset(): number | null {
    for (const offset of this.open.keys()) return offset;
    return null;
  }

  /**
   * The transaction-index entry for an ABORT marker at `markerOffset` from `producerId`, or null
   * when the producer has no transaction open (Kafka indexes only transactions with data). Its
   * last stable offset is Kafka's: the first offset of the earliest transaction another producer
   * has open, else the offset after the marker. Call it before the marker's entry is set.
   */
  abortedBy(producerId: number, markerOffset: number): AbortedTxn | null {
    const firstOffset = this.entries.get(producerId)?.currentTxnFirstOffset ?? NO_TXN;
    if (firstOffset === NO_TXN) return null;
    let lastStableOffset = markerOffset + 1;
    for (const [offset, owner] of this.open) {
      if (owner !== producerId) {
        lastStableOffset = offset;
        break;
      }
    }
    return { producerId, firstOffset, lastOffset: markerOffset, lastStableOffset };
  }

  /**
   * Forgets producers idle for producer.id.expiration.ms, as Kafka's periodic check does; like
   * Kafka's, it keeps a producer whose transaction is open, however long ago it wrote.
   */
  expire(now: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, entry] of this.entries) {
      if (entry.currentTxnFirstOffset === NO_TXN && now - entry.lastTimestamp >= expirationMs) {
        this.entries.delete(id);
        removed++;
      }
    }
    return removed;
  }
}
