// `<data-dir>/log-start-offset-checkpoint`, Kafka's file of the partitions' log start offsets:
// the checkpoint format with version 0 and one "<topic> <partition> <offset>" line per partition.
// It is what lets a DeleteRecords that ended mid-segment survive a restart. Kafka's
// `cleaner-offset-checkpoint` (where each compacted partition's last clean ended) has the same
// format.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatCheckpoint, parseCheckpoint, parseCount } from './checkpoint-file.js';
import { writeFileDurably } from './durable-file.js';

export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
const VERSION = 0;

/** Offsets keyed by partitionKey(); an absent file is an empty map. Throws on a corrupt one. */
export async function readLogStartOffsets(dataDir: string, file = LOG_START_OFFSET_CHECKPOINT): Promise<Map<string, number>> {
  let text: string;
  try {
    text = await readFile(join(dataDir, file), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  return new Map(parseCheckpoint(text, VERSION, 3).map(([topic, partition, offset]) => [partitionKey(topic!, parseCount(partition!)), parseCount(offset!)]));
}

export function writeLogStartOffsets(dataDir: string, entries: Iterable<{ topic: string; partition: number; offset: number }>, file = LOG_START_OFFSET_CHECKPOINT): Promise<void> {
  const lines = [...entries].map((e) => [e.topic, e.partition, e.offset]);
  return writeFileDurably(join(dataDir, file), formatCheckpoint(VERSION, lines));
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic} ${partition}`;
}
