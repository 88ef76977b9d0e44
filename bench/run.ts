// Benchmark entry point: `npm run bench -- NAME [options]`. Each benchmark prints its own figures
// as ratios against the reference it is measured beside.
import { runThroughput } from './broker-throughput.js';
import { runFuzz } from './fuzz.js';
import { runKillCycles } from './kill-cycles.js';
import { runGroupsRebalance } from './groups-rebalance.js';
import { runMirror } from './link-vs-mm2.js';
import { runCutover } from './cutover-vs-mm2.js';
import { runFanout } from './fanout.js';
import { runReadThrough } from './read-through.js';
import { runScale } from './scale.js';
import { runOffsetsRestart } from './offsets-restart.js';
import { runCleaner } from './cleaner.js';
import { runTransactions } from './transactions.js';

const benches: Record<string, (args: string[]) => Promise<void>> = {
  throughput: runThroughput,
  mirror: runMirror,
  cutover: runCutover,
  fanout: runFanout,
  'read-through': runReadThrough,
  scale: runScale,
  'offsets-restart': runOffsetsRestart,
  cleaner: runCleaner,
  transactions: runTransactions,
  groups: runGroupsRebalance,
  fuzz: runFuzz,
  kill: runKillCycles,
};

const [name, ...args] = process.argv.slice(2);
const bench = name ? benches[name] : undefined;
if (!bench) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]`);
  process.exit(2);
}
await bench(args);
process.exit(0);
