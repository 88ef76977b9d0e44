// message.timestamp.before.max.ms and message.timestamp.after.max.ms for a produced batch, as
// Kafka's LogValidator applies them to CreateTime records. The produce path reads the batch
// header only: its first and max timestamps bound the records' from above and, but for records
// whose timestamp deltas are negative, from below. Only a batch that fails is decoded, to name the
// records at fault as Kafka does.
import { NO_TIMESTAMP, type BatchHeader } from '../../protocol/records/batch.js';
import { readRecords } from '../../protocol/records/records.js';

export interface RecordError {
  batchIndex: number;
  batchIndexErrorMessage: string;
}

export interface TimestampBounds {
  beforeMaxMs: number;
  afterMaxMs: number;
}

/** The errors of a CreateTime batch's records outside the bounds, or null when there are none. */
export function timestampErrors(buf: Buffer, header: BatchHeader, now: number, bounds: TimestampBounds): RecordError[] | null {
  // Long.MAX (saturated to MAX_SAFE_INTEGER when configs are read) means no bound, as in Kafka.
  const low = bounds.beforeMaxMs >= Number.MAX_SAFE_INTEGER ? -Infinity : now - bounds.beforeMaxMs;
  const high = bounds.afterMaxMs >= Number.MAX_SAFE_INTEGER ? Infinity : now + bounds.afterMaxMs;
  const outside = (ts: number) => ts !== NO_TIMESTAMP && (ts < low || ts > high);
  if (!outside(header.baseTimestamp) && !outside(header.maxTimestamp)) return null;
  const range = `[${Math.max(low, -(2 ** 63))}, ${Math.min(high, 2 ** 63 - 1)}]`;
  let records;
  try {
    records = readRecords(buf, 0);
  } catch {
    // The header alone is wrong then: it is the batch's first record that is named.
    return [{ batchIndex: 0, batchIndexErrorMessage: `Timestamp ${header.maxTimestamp} of message with offset 0 is out of range. The timestamp should be within ${range}` }];
  }
  const errors = records.flatMap((r, i) =>
    outside(r.timestamp) ? [{ batchIndex: i, batchIndexErrorMessage: `Timestamp ${r.timestamp} of message with offset ${i} is out of range. The timestamp should be within ${range}` }] : [],
  );
  // A max timestamp no record has is itself out of range: the batch is refused all the same.
  return errors.length > 0 ? errors : [{ batchIndex: 0, batchIndexErrorMessage: `Timestamp ${header.maxTimestamp} of the batch is out of range. The timestamp should be within ${range}` }];
}
