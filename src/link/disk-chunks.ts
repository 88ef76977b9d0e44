// The read-through cache's second tier: chunks that leave the memory cache are written to files
// in a directory of their own under the data dir, bounded in bytes (the least recently used go
// first), and read back from there instead of from the source. Nothing in it outlives the link's
// run: the directory is emptied when the link starts and removed when it stops.
import { mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { AbortedTransaction } from '../log/transaction-index.js';

export interface StoredChunk {
  firstOffset: number;
  nextOffset: number;
  buf: Buffer;
  aborted: AbortedTransaction[];
}

interface OnDisk {
  partition: string;
  path: string;
  bytes: number;
  firstOffset: number;
  nextOffset: number;
  aborted: AbortedTransaction[];
}

export class DiskChunks {
  private readonly index: LRUCache<string, OnDisk>;
  /** per partition, the keys of its chunks on disk, to find the one covering an offset */
  private readonly byPartition = new Map<string, Set<string>>();
  private readonly ready: Promise<void>;
  private next = 0;
  private closed = false;

  constructor(private readonly dir: string, maxBytes: number) {
    this.index = new LRUCache<string, OnDisk>({
      maxSize: maxBytes,
      sizeCalculation: (c) => Math.max(1, c.bytes),
      dispose: (c, key) => {
        this.byPartition.get(c.partition)?.delete(key);
        void unlink(c.path).catch(() => undefined);
      },
    });
    // Whatever an earlier run left is not known to this one.
    this.ready = rm(dir, { recursive: true, force: true }).then(() => mkdir(dir, { recursive: true })).then(() => undefined);
    this.ready.catch(() => undefined);
  }

  /** Keeps a chunk leaving the memory cache; a chunk that cannot be written is simply not kept. */
  async put(key: string, partition: string, chunk: StoredChunk): Promise<void> {
    if (this.closed || this.index.has(key) || chunk.buf.length > this.index.maxSize) return;
    const path = join(this.dir, `${this.next++}.chunk`);
    try {
      await this.ready;
      await writeFile(path, chunk.buf);
    } catch {
      return;
    }
    if (this.closed) return void unlink(path).catch(() => undefined);
    this.index.set(key, { partition, path, bytes: chunk.buf.length, firstOffset: chunk.firstOffset, nextOffset: chunk.nextOffset, aborted: chunk.aborted });
    let keys = this.byPartition.get(partition);
    if (!keys) this.byPartition.set(partition, (keys = new Set()));
    keys.add(key);
  }

  /** The chunk of `partition` holding `offset`, read back, with its key; undefined when there is none (or it cannot be read). */
  async find(partition: string, offset: number): Promise<{ key: string; chunk: StoredChunk } | undefined> {
    for (const key of this.byPartition.get(partition) ?? []) {
      const c = this.index.get(key);
      if (!c || c.firstOffset > offset || offset >= c.nextOffset) continue;
      try {
        const buf = await readFile(c.path);
        return { key, chunk: { firstOffset: c.firstOffset, nextOffset: c.nextOffset, buf, aborted: c.aborted } };
      } catch {
        this.index.delete(key);
        return undefined;
      }
    }
    return undefined;
  }

  get bytes(): number {
    return this.index.calculatedSize;
  }

  /** Forgets every chunk and removes the directory. */
  async close(): Promise<void> {
    this.closed = true;
    this.index.clear();
    await this.ready.catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
