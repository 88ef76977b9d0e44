// A bound on open segment files. Handles are kept open for reuse, least recently used closed
// first; a handle in use by a read or write when it is evicted stays open until that I/O is done,
// since closing it mid-read could hand its descriptor number to another file.
import { open } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';

/**
 * What the log does with an open segment file: the part of node's FileHandle it uses. Segment
 * files are opened through an OpenSegmentFile, so that tests can make the disk fail (ENOSPC, EIO,
 * a write torn half way) where the log writes its data.
 */
export interface SegmentFile {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  writev(buffers: Buffer[], position: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

export type OpenSegmentFile = (path: string) => Promise<SegmentFile>;

/** The real disk: the file opened for reading and writing. */
export const openSegmentFile: OpenSegmentFile = (path) => open(path, 'r+');

interface Entry {
  fh: SegmentFile;
  users: number;
  evicted: boolean;
  closing: Promise<void> | null;
}

export class FileHandleCache {
  private readonly lru: LRUCache<string, Entry>;
  private readonly opening = new Map<string, Promise<Entry>>();
  private readonly closings = new Set<Promise<void>>();
  private opened = 0;

  constructor(readonly maxOpen: number, private readonly openFile: OpenSegmentFile = openSegmentFile) {
    this.lru = new LRUCache<string, Entry>({
      max: maxOpen,
      dispose: (entry) => {
        entry.evicted = true;
        if (entry.users === 0) this.closeEntry(entry);
      },
    });
  }

  /** Handles currently open, including evicted ones still in use. */
  get openCount(): number {
    return this.opened;
  }

  /** Runs `fn` with the file open for reading and writing; the file must exist. */
  async use<T>(path: string, fn: (fh: SegmentFile) => Promise<T>): Promise<T> {
    const entry = await this.acquire(path);
    try {
      return await fn(entry.fh);
    } finally {
      entry.users--;
      if (entry.evicted && entry.users === 0) this.closeEntry(entry);
    }
  }

  /** Closes the file's handle once unused, before the file is deleted or replaced. */
  forget(path: string): void {
    this.lru.delete(path);
  }

  async close(): Promise<void> {
    this.lru.clear();
    await Promise.all([...this.opening.values()].map((p) => p.then((e) => this.closeEntry(e), () => undefined)));
    await Promise.all(this.closings);
  }

  private async acquire(path: string): Promise<Entry> {
    for (;;) {
      let entry = this.lru.get(path);
      if (!entry) {
        let pending = this.opening.get(path);
        if (!pending) {
          pending = this.openFile(path).then((fh) => {
            this.opened++;
            const e: Entry = { fh, users: 0, evicted: false, closing: null };
            this.lru.set(path, e);
            return e;
          });
          const forgetPending = () => this.opening.delete(path);
          pending.then(forgetPending, forgetPending);
          this.opening.set(path, pending);
        }
        entry = await pending;
      }
      // Another file's open may have evicted this one between its opening and now.
      if (entry.evicted) continue;
      entry.users++;
      return entry;
    }
  }

  private closeEntry(entry: Entry): void {
    if (entry.closing) return;
    const closing = entry.fh.close().catch(() => undefined).finally(() => {
      this.opened--;
      this.closings.delete(closing);
    });
    entry.closing = closing;
    this.closings.add(closing);
  }
}
