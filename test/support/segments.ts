// Reads what outpost wrote for a partition straight from its segment files, with
// protocol/records, so tests can check the bytes on disk rather than what the broker says.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchHeader, iterateBatches, validateBatch } from '../../protocol/records/batch.js';
import { codecName } from '../../protocol/records/compression.js';
import { readRecords, type LogRecord } from '../../protocol/records/records.js';

export interface StoredBatch {
  segment: string;
  baseOffset: number;
  lastOffset: number;
  codec: string;
  /** framing, magic and CRC check out */
  valid: boolean;
  records: () => LogRecord[];
}

/**
 * Every batch of `<dataDir>/<topic>-<partition>/*.log`, in offset order, and what follows the last
 * whole batch of the last segment (bytes that are not a batch: a torn tail).
 */
export function storedBatches(dataDir: string, topic: string, partition: number): { batches: StoredBatch[]; trailingBytes: number } {
  const dir = join(dataDir, `${topic}-${partition}`);
  const batches: StoredBatch[] = [];
  let trailingBytes = 0;
  for (const segment of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const buf = readFileSync(join(dir, segment));
    const it = iterateBatches(buf);
    for (let r = it.next(); ; r = it.next()) {
      if (r.done) {
        trailingBytes = buf.length - r.value.pos;
        break;
      }
      const { pos, size } = r.value;
      const h = new BatchHeader(buf, pos);
      batches.push({
        segment, baseOffset: h.baseOffset, lastOffset: h.lastOffset, codec: codecName(h.compression),
        valid: validateBatch(buf, pos, pos + size).ok, records: () => readRecords(buf, pos),
      });
    }
  }
  return { batches, trailingBytes };
}
