// Names of the files in a partition directory, as Kafka spells them: a segment's files and the
// producer-state snapshots are named by an offset written as 20 zero-padded digits, so that a
// directory listing sorts them by offset.

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const TXN_INDEX_SUFFIX = '.txnindex';
export const SNAPSHOT_SUFFIX = '.snapshot';
/** Left behind by an interrupted atomic write; never valid. */
export const TEMP_SUFFIX = '.tmp';
/** A segment's cleaned copy being written (`<offset>.log.cleaned`); left behind by a crash, it is deleted at start. */
export const CLEANED_SUFFIX = '.cleaned';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
export const PARTITION_METADATA = 'partition.metadata';

export function offsetFileName(offset: number, suffix: string): string {
  return String(offset).padStart(20, '0') + suffix;
}

/** The offset a file is named by, or null when the name is not `<20 digits><suffix>`. */
export function parseOffsetFileName(name: string, suffix: string): number | null {
  if (name.length !== 20 + suffix.length || !name.endsWith(suffix)) return null;
  const digits = name.slice(0, 20);
  return /^\d{20}$/.test(digits) ? Number(digits) : null;
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Topic and partition of a `<topic>-<partition>` directory; topics may themselves contain '-'. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const digits = name.slice(dash + 1);
  if (!/^\d{1,9}$/.test(digits)) return null;
  return { topic: name.slice(0, dash), partition: Number(digits) };
}
