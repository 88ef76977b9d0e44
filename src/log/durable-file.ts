// Small files that must never be seen half-written (checkpoints, metadata, snapshots): written to
// a temporary file, fsynced, renamed over the target, and the directory fsynced so that the rename
// itself survives a power loss. A reader then finds either the old content or the new, whole.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TEMP_SUFFIX } from './file-names.js';

export async function writeFileDurably(path: string, data: string | Buffer, mode = 0o666): Promise<void> {
  const temp = join(dirname(path), basename(path) + TEMP_SUFFIX);
  // A leftover temporary file keeps its mode: remove it, so that `mode` applies.
  await unlinkIfPresent(temp);
  const fh = await open(temp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(temp, path);
  await syncDir(dirname(path));
}

/** Removes a file; one already gone is what was wanted. */
export async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** A file's text, or null when there is no such file (yet). */
export async function readFileIfPresent(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Makes the directory's entries (creations, renames, deletions) durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Runs `task` for every caller while letting concurrent callers share runs: a caller arriving
 * while a run is in progress waits for the next run, which starts after the current one and so
 * covers whatever that caller changed before calling. Used for checkpoints and fsyncs.
 */
export class CoalescedTask {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly task: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    this.queued = this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  private startQueued(): Promise<void> {
    this.queued = null;
    return this.start();
  }

  private start(): Promise<void> {
    const p = this.task().finally(() => {
      if (this.running === p) this.running = null;
    });
    this.running = p;
    return p;
  }
}
