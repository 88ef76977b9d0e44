// The records of __transaction_state, in Kafka's schemas (TransactionLogKey/Value, generated into
// protocol/messages/coordinator-records.ts), so that a data directory reads as Kafka's does: the
// key is record type 0 and the transactional id; the value, version 0, is the id's producer id and
// epoch, timeout, state, partitions and timestamps. A null value (tombstone) is an expired id.
import { TransactionLogKeyDefinition, TransactionLogValueDefinition, type TransactionLogValue } from '../../protocol/messages/coordinator-records.js';
import { decodeRecordKey, decodeRecordValue, encodeRecordKey, encodeRecordValue, recordKeyType } from '../../protocol/messages/record-codec.js';
import type { RawRecord } from '../log/internal-topic.js';

/** Kafka's TransactionState, by the id stored in TransactionStatus. */
export const TXN_STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'] as const;
export type TxnState = (typeof TXN_STATES)[number];

/** The value version written: 0, as Kafka writes for clients without transaction version 2. */
const VALUE_VERSION = 0;

/** One transactional id's state as stored. */
export interface TxnRecord {
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** topic to partitions; empty unless Ongoing or preparing to end */
  partitions: Map<string, Set<number>>;
  updateTimestamp: number;
  /** when the current transaction began, -1 for none */
  startTimestamp: number;
}

export function encodeTxnRecord(transactionalId: string, value: TxnRecord | null): RawRecord {
  const key = encodeRecordKey(TransactionLogKeyDefinition, { transactionalId });
  if (value === null) return { key, value: null };
  const stored: TransactionLogValue = {
    producerId: value.producerId,
    producerEpoch: value.producerEpoch,
    transactionTimeoutMs: value.timeoutMs,
    transactionStatus: TXN_STATES.indexOf(value.state),
    // Kafka writes no partition list for an Empty id.
    transactionPartitions: value.state === 'Empty' ? null : [...value.partitions].map(([topic, ps]) => ({ topic, partitionIds: [...ps] })),
    transactionLastUpdateTimestampMs: value.updateTimestamp,
    transactionStartTimestampMs: value.startTimestamp,
  };
  return { key, value: encodeRecordValue(TransactionLogValueDefinition, VALUE_VERSION, stored) };
}

/** A record of the topic: its id and state (null for a tombstone); null for a key type it does not know. */
export function decodeTxnRecord(key: Buffer, value: Buffer | null): { transactionalId: string; value: TxnRecord | null } | null {
  const { type, reader } = recordKeyType(key);
  if (type !== TransactionLogKeyDefinition.key) return null;
  const { transactionalId } = decodeRecordKey<{ transactionalId: string }>(TransactionLogKeyDefinition, reader);
  if (value === null) return { transactionalId, value: null };
  const v = decodeRecordValue<TransactionLogValue>(TransactionLogValueDefinition, value);
  const state = TXN_STATES[v.transactionStatus];
  if (!state) throw new Error(`transactional id ${transactionalId}: unknown transaction state ${v.transactionStatus}`);
  return {
    transactionalId,
    value: {
      producerId: v.producerId,
      producerEpoch: v.producerEpoch,
      timeoutMs: v.transactionTimeoutMs,
      state,
      partitions: new Map((v.transactionPartitions ?? []).map((p) => [p.topic, new Set(p.partitionIds)])),
      updateTimestamp: v.transactionLastUpdateTimestampMs,
      startTimestamp: v.transactionStartTimestampMs,
    },
  };
}
