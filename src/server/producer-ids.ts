// Producer ids for InitProducerId. Ids are reserved in blocks, and the end of the current block
// is written to disk before any id from it is handed out, so an id is never reused after a
// restart, clean or not (a crash only skips the rest of a block, as Kafka's allocator does).
import { readFile } from 'node:fs/promises';
import { writeFileDurably } from '../log/durable-file.js';

const BLOCK = 1000;

export class ProducerIdAllocator {
  private next = 0;
  private blockEnd = 0;
  private reserving: Promise<void> | null = null;

  private constructor(private readonly path: string) {}

  static async open(dataDir: string): Promise<ProducerIdAllocator> {
    const a = new ProducerIdAllocator(`${dataDir}/producer-id-block`);
    try {
      a.next = a.blockEnd = Number((await readFile(a.path, 'utf8')).trim());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return a;
  }

  async allocate(): Promise<number> {
    while (this.next >= this.blockEnd) {
      this.reserving ??= this.reserve().finally(() => (this.reserving = null));
      await this.reserving;
    }
    return this.next++;
  }

  /** Hands out only ids above `id` from now on (those of producers a promoted mirror holds). */
  async ensureAbove(id: number): Promise<void> {
    if (this.next > id) return;
    this.next = id + 1;
    if (this.blockEnd < this.next) {
      const end = this.next + BLOCK;
      await writeFileDurably(this.path, `${end}\n`);
      this.blockEnd = end;
    }
  }

  private async reserve(): Promise<void> {
    const end = this.blockEnd + BLOCK;
    await writeFileDurably(this.path, `${end}\n`);
    this.next = Math.max(this.next, this.blockEnd);
    this.blockEnd = end;
  }
}
