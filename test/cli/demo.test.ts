// `outpost demo` as a user runs it: the mirror is seen advancing in its output, and Ctrl-C
// (SIGINT) stops it cleanly with exit status 0.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const bin = fileURLToPath(new URL('../../../bin/outpost.js', import.meta.url));

test('the mirror advances on screen; SIGINT exits 0', async () => {
  const child = spawn(process.execPath, [bin, 'demo', '--rate', '100'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    // Frames go to a pipe one after another; each ends with the mirror's total end offset.
    const totals: number[] = [];
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        totals.splice(0, totals.length, ...[...stdout.matchAll(/^total\s+\d+\s+(\d+)\s+\d+$/gm)].map((m) => Number(m[1])));
        const copied = totals.filter((t) => t > 0);
        if (copied.length >= 2 && copied.at(-1)! > copied[0]!) resolve();
      });
      exited.then((code) => reject(new Error(`demo exited early (${code}):\n${stdout}\n${stderr}`)));
    });
    assert.match(stdout, /mirroring topic "outpost-demo"/);
    child.kill('SIGINT');
    assert.is(await exited, 0, stderr);
    assert.match(stdout, /stopping the demo/);
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
});

test.run();
