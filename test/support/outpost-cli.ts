// The `outpost` command line as an operator runs it (the compiled bin/outpost.js), in a child
// process: asynchronous, so that outposts running in the test's own process keep answering it.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/outpost.js', import.meta.url));

export interface CliRun {
  /** the exit status (1 when the process ended otherwise) */
  code: number;
  stdout: string;
  stderr: string;
}

export function runOutpostCli(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: opts.timeoutMs ?? 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
