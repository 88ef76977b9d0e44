// Idempotent-producer state: per producer id, its current epoch and the metadata of its last five
// batches, Kafka's ProducerStateManager minus transactions. A retried batch matching one of those
// five is a duplicate and is answered with the offsets it got the first time; anything else must
// continue the sequence exactly. Only batch headers are read to maintain it.
import type { ErrorName } from '../../protocol/errors.js';

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN, which is also the client's max.in.flight bound. */
export const MAX_BATCHES_PER_PRODUCER = 5;
const INT32_MAX = 0x7fffffff;
const NO_SEQUENCE = -1;
const NO_PRODUCER_EPOCH = -1;

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

/** The entry after a data batch: a change of epoch forgets the old epoch's batches. */
export function withBatch(entry: ProducerEntry | undefined, producerId: number, epoch: number, batch: BatchMetadata): ProducerEntry {
  const kept = entry && entry.epoch === epoch ? entry.batches : [];
  const batches = [...kept.slice(Math.max(0, kept.length - MAX_BATCHES_PER_PRODUCER + 1)), batch];
  return { producerId, epoch, batches, lastTimestamp: batch.timestamp };
}

/** The entry after a control batch (a transaction marker from the source cluster), which carries only an epoch. */
export function withEpoch(entry: ProducerEntry | undefined, producerId: number, epoch: number, timestamp: number): ProducerEntry {
  const batches = entry && entry.epoch === epoch ? entry.batches : [];
  return { producerId, epoch, batches, lastTimestamp: timestamp };
}

export class ProducerStateTable {
  private readonly entries = new Map<number, ProducerEntry>();

  get(producerId: number): ProducerEntry | undefined {
    return this.entries.get(producerId);
  }

  set(entry: ProducerEntry): void {
    this.entries.set(entry.producerId, entry);
  }

  all(): IterableIterator<ProducerEntry> {
    return this.entries.values();
  }

  clear(): void {
    this.entries.clear();
  }

  /** Forgets producers idle for producer.id.expiration.ms, as Kafka's periodic check does. */
  expire(now: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, entry] of this.entries) {
      if (now - entry.lastTimestamp >= expirationMs) {
        this.entries.delete(id);
        removed++;
      }
    }
    return removed;
  }
}
