// `outpost serve` as a child process, for tests that kill it (SIGKILL) or stop it (SIGTERM) and
// start it again on the same data: free loopback ports, and its output kept for failure messages.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { freePort } from '../peers/kafka.js';
import { spawnGuarded } from '../peers/proc.js';

const bin = fileURLToPath(new URL('../../../bin/outpost.js', import.meta.url));
const START_WITHIN_MS = 30_000;

export interface OutpostChild {
  port: number;
  adminPort: number;
  child: ChildProcess;
  /** the exit code (null when killed by a signal) */
  exited: Promise<number | null>;
  /** what the process printed (its JSON log) */
  output: () => string;
}

/** Starts `outpost serve` on `dataDir` with `args` added (on `at.port` if given); resolves once it answers ApiVersions. */
export async function spawnOutpost(dataDir: string, args: string[] = [], at: { port?: number } = {}): Promise<OutpostChild> {
  // A restart may ask for the port it had, so its clients find it again.
  const [port, adminPort] = [at.port ?? (await freePort()), await freePort()];
  const child = spawnGuarded(process.execPath, [
    bin, 'serve', '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${adminPort}`, '--data-dir', dataDir, ...args,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  let gone = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => ((gone = true), resolve(code))));
  const deadline = Date.now() + START_WITHIN_MS;
  for (;;) {
    if (gone) throw new Error(`outpost exited during start-up:\n${output}`);
    try {
      const conn = await KafkaConnection.open('127.0.0.1', port, { connectTimeoutMs: 1000 });
      await conn.negotiate().finally(() => conn.close());
      return { port, adminPort, child, exited, output: () => output };
    } catch {
      if (Date.now() > deadline) throw new Error(`outpost did not answer within ${START_WITHIN_MS / 1000} s:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
