// Admission of new client connections: max.connections and max.connections.per.ip as Kafka
// applies them, and a cap below the process's open-file limit. Kafka's defaults are unbounded, so
// without that cap enough idle sockets would take every file descriptor, and with them the log's
// files, the links and the admin listener. The open-file limit is shared out here: segment files
// kept open by the log, descriptors for everything else, and the rest for client connections.
import { readFileSync } from 'node:fs';

/** Descriptors kept for everything but client connections and open segment files: indexes, links, admin, checkpoints. */
const OTHER_DESCRIPTORS = 1024;
/** Segment files the log keeps open, whatever the limit: at least this many, at most the other. */
const MIN_SEGMENT_FILES = 1024;
const MAX_SEGMENT_FILES = 16_384;

/**
 * How many segment files the log may keep open: half of what the open-file limit leaves after the
 * other descriptors, within [1,024, 16,384]. A mirror of thousands of partitions appends to each
 * one's active segment; with too few kept open, nearly every append opens and closes a file.
 */
export function segmentFileBudget(fileLimit = openFileLimit()): number {
  if (fileLimit === null) return MAX_SEGMENT_FILES;
  return Math.min(MAX_SEGMENT_FILES, Math.max(MIN_SEGMENT_FILES, Math.floor((fileLimit - OTHER_DESCRIPTORS) / 2)));
}

/** The soft open-file limit, from /proc on Linux; null where it cannot be read. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? null : Number(soft);
  } catch {
    return null;
  }
}

export class ConnectionLimits {
  private total = 0;
  private readonly byHost = new Map<string, number>();
  /** the cap actually applied: max.connections, or less when the descriptors would run out first */
  readonly maxConnections: number;

  constructor(maxConnections: number, readonly maxPerIp: number, fileLimit = openFileLimit()) {
    const byFiles = fileLimit === null ? Infinity : Math.max(16, fileLimit - OTHER_DESCRIPTORS - segmentFileBudget(fileLimit));
    this.maxConnections = Math.min(maxConnections, byFiles);
  }

  /** Takes a place for a connection from `host`, or says why there is none. */
  admit(host: string): string | null {
    if (this.total >= this.maxConnections) return `the broker has ${this.total} connections, its limit`;
    const n = this.byHost.get(host) ?? 0;
    if (n >= this.maxPerIp) return `${host} has ${n} connections, max.connections.per.ip`;
    this.total++;
    this.byHost.set(host, n + 1);
    return null;
  }

  /** Gives back the place of a connection admitted from `host`. */
  release(host: string): void {
    this.total--;
    const n = (this.byHost.get(host) ?? 1) - 1;
    if (n === 0) this.byHost.delete(host);
    else this.byHost.set(host, n);
  }
}
