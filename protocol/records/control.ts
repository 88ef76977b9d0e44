// Control batches are written by brokers, never by producers: among them the transaction markers
// a transaction coordinator writes to end a transaction, COMMIT or ABORT. Such a batch holds one
// record whose key says what it is, version int16 (0) then type int16; its value (the
// coordinator's epoch) matters only to the coordinator. A log reads that key to keep its
// transaction state; markers are tiny, so decoding their one record costs next to nothing.
import { KafkaError } from '../errors.js';
import { readRecords } from './records.js';

export const ControlRecordType = { ABORT: 0, COMMIT: 1 } as const;

const KEY_SIZE = 4;

/**
 * The type of the control batch at `pos` (its first record's key), or null for a batch left with
 * no record (compaction empties a marker once its transaction is gone). The whole batch must be in
 * `buf`. Throws KafkaError, as Kafka refuses them, for a key shorter than 4 bytes or with a
 * negative version, and for records that do not decode.
 */
export function controlRecordType(buf: Buffer, pos = 0): number | null {
  const first = readRecords(buf, pos)[0];
  if (!first) return null;
  const key = first.key;
  if (!key || key.length < KEY_SIZE) throw new KafkaError('INVALID_RECORD', `a control record key needs ${KEY_SIZE} bytes, this one has ${key?.length ?? 0}`);
  const version = key.readInt16BE(0);
  if (version < 0) throw new KafkaError('INVALID_RECORD', `invalid control record version ${version}`);
  return key.readInt16BE(2);
}

/** A transaction marker's record, key and value, as a coordinator writes it (for tests and tools). */
export function markerRecord(type: number, coordinatorEpoch = 0): { key: Buffer; value: Buffer } {
  const key = Buffer.alloc(KEY_SIZE);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(type, 2);
  // Value: version int16 (0), coordinator epoch int32.
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return { key, value };
}
