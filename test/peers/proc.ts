// Child processes for the test peers: run-to-completion with a timeout, and a guarantee that no
// JVM (or kcat) outlives the test process, however that process ends.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';

export interface RunResult {
  /** Exit code; null when the process was killed by a signal (e.g. after timeoutMs). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when timeoutMs ran out and the process was killed. */
  timedOut: boolean;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const live = new Map<ChildProcess, string | undefined>();
const dirs = new Set<string>();

// 'exit' handlers must be synchronous: kill() only sends the signal, which is all that is needed.
process.on('exit', () => {
  for (const [child, dir] of live) {
    child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Removes `dir` when this process exits normally, whether or not a child still uses it (a broker
 * stopped but kept for a restart has none). Returns the function that cancels that.
 */
export function removeAtExit(dir: string): () => void {
  dirs.add(dir);
  return () => dirs.delete(dir);
}

/**
 * Registers `child` so it is killed when this process exits. A normal exit runs the 'exit'
 * handler above; a SIGKILL of this process (scripts/test.js does that on a timeout) runs no
 * handler at all, so a tiny sh watchdog holds a pipe from us and kills the child when that pipe
 * closes without the all-clear line being written first. `removeDir` (the child's temp dir) is
 * removed in both cases too.
 */
export function guard(child: ChildProcess, removeDir?: string): void {
  if (child.pid === undefined) return;
  live.set(child, removeDir);
  const script = 'read line; [ "$line" = ok ] && exit 0; kill -9 "$1" 2>/dev/null; [ -n "$2" ] && sleep 0.2 && rm -rf "$2"';
  const dog = spawn('sh', ['-c', script, 'watchdog', String(child.pid), removeDir ?? ''], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  dog.on('error', () => {}); // a missing sh only loses the SIGKILL case
  dog.stdin!.on('error', () => {});
  // Neither the watchdog nor its pipe may keep the event loop (and so the test) alive.
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void }).unref?.();
  child.once('exit', () => {
    live.delete(child);
    dog.stdin!.end('ok\n');
  });
}

/** Spawns a guarded child (see guard()). */
export function spawnGuarded(cmd: string, args: string[], opts: SpawnOptions, removeDir?: string): ChildProcess {
  const child = spawn(cmd, args, opts);
  guard(child, removeDir);
  return child;
}

/**
 * Runs a command to completion, collecting its output. Rejects only when the command cannot be
 * started at all (e.g. not installed), with `missingHint` in the message; a non-zero exit or a
 * timeout is a normal result for the caller to assert on.
 */
export function run(cmd: string, args: string[], opts: RunOptions = {}, missingHint = ''): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnGuarded(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') reject(new Error(`${cmd} is not installed${missingHint ? `: ${missingHint}` : ''}`));
      else reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
    // A tool that exits before reading all its input must not crash us with EPIPE.
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
  });
}
