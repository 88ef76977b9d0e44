// One broker per data directory, as Kafka's .lock file ensures. Two processes on one directory
// would each recover, truncate and rename the other's files; the usual way to get there is a
// restart while the killed process is still finishing its last writes (a process in an fsync
// dies only once the fsync returns). The lock names the holder's pid: a holder that no longer
// exists (killed) leaves a lock that the next start takes over; a live one is waited for a while,
// then start-up fails with a message saying who holds it.
import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const LOCK_FILE = '.lock';
const WAIT_FOR_HOLDER_MS = 15_000;
const POLL_MS = 100;

/** Directories locked by this process: a second broker in one process is refused like another process. */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holder(path: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Takes the data directory's lock; resolves with its release. */
export async function lockDataDir(dataDir: string, waitMs = WAIT_FOR_HOLDER_MS): Promise<() => Promise<void>> {
  const path = join(dataDir, LOCK_FILE);
  if (heldHere.has(path)) throw new Error(`the data directory ${dataDir} is in use by another broker in this process`);
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = await holder(path);
    if (pid === null || pid === process.pid || !alive(pid)) {
      // Left by a process that is gone (or by this one, before a restart in-process): take it over,
      // unless another starting process took it over first.
      await writeFile(path, `${process.pid}\n`);
      if ((await holder(path)) === process.pid) break;
      continue;
    }
    if (Date.now() >= deadline) throw new Error(`the data directory ${dataDir} is in use by process ${pid} (its ${LOCK_FILE} file); stop that broker first`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  heldHere.add(path);
  return async () => {
    heldHere.delete(path);
    await unlink(path).catch(() => undefined);
  };
}
