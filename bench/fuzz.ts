// `npm run bench -- fuzz [--frames N] [--seed S] [--connections C]`: a long structure-aware fuzz
// run against `outpost serve` in its own process, with a witness producing (acks=all) and reading
// back throughout. Prints frames sent, crashes (the process exiting), witness disturbances, peak
// RSS, and the witness records missing after a clean restart. Not a speed figure: a robustness one.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzz, Witness } from '../test/support/fuzz-runner.js';
import { spawnOutpost, type OutpostChild } from '../test/support/outpost-child.js';
import { peakRssMB } from './support/proc-stats.js';

function option(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

export async function runFuzz(args: string[]): Promise<void> {
  const frames = option(args, 'frames', 1_000_000);
  const seed = option(args, 'seed', 20261202);
  const connections = option(args, 'connections', 16);
  // Every refused request is a warning in outpost's log: not what this run is about.
  process.env.OUTPOST_LOG_LEVEL = 'error';
  const dataDir = await mkdtemp(join(tmpdir(), 'outpost-fuzz-bench-'));
  let outpost: OutpostChild = await spawnOutpost(dataDir);
  let crashes = 0;
  let alive = true;
  void outpost.exited.then(() => {
    if (alive) crashes++;
  });
  const witness = await Witness.start(outpost.port);
  let peak = 0;
  const sampler = setInterval(() => {
    peakRssMB(outpost.child.pid!).then((mb) => (peak = Math.max(peak, mb)), () => undefined);
  }, 500);
  const started = Date.now();
  const run = await fuzz({
    port: outpost.port, frames, seed, connections,
    progress: (n) => { if (n % 100_000 === 0) console.log(`  ${n} frames, ${((Date.now() - started) / 1000).toFixed(0)} s`); },
  });
  const seconds = (Date.now() - started) / 1000;
  const report = await witness.stop();
  clearInterval(sampler);
  peak = Math.max(peak, await peakRssMB(outpost.child.pid!).catch(() => 0));
  alive = false;
  outpost.child.kill('SIGTERM');
  const code = await outpost.exited;
  outpost = await spawnOutpost(dataDir);
  const missing = await witness.missingAfter(outpost.port);
  outpost.child.kill('SIGTERM');
  await outpost.exited;
  await rm(dataDir, { recursive: true, force: true });

  console.log(`fuzz: ${run.sent} frames in ${seconds.toFixed(0)} s over ${connections} connections (seed ${seed}); the broker closed ${run.closedByBroker} connections`);
  console.log(`  crashes: ${crashes}`);
  console.log(`  witness: ${report.produced} records produced and read back, ${report.disturbances.length} disturbances${report.disturbances.length ? `: ${report.disturbances.slice(0, 5).join('; ')}` : ''}`);
  console.log(`  peak RSS: ${peak.toFixed(0)} MB`);
  console.log(`  clean stop exit code: ${code}; witness records missing after the restart: ${missing.length}`);
}
