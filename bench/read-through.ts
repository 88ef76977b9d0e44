// Read-through: consumers reading a topic's history that the edge does not hold, through outpost
// (each chunk fetched from the source over the link), against reading the source directly:
//
//   npm run bench -- read-through [--records N] [--readers 1,4] [--rounds 5]
//
// An Apache Kafka 4.4.0 source gets N records of 1 KiB in a 4-partition topic (Kafka's
// ProducerPerformance); an outpost mirrors it with mirror.start.offset.spec=latest, so it holds
// none of them and every read goes through the link. For each reader count R, R kcat processes
// read the whole topic at once (-o beginning -e), first from Kafka directly and then through
// outpost: the aggregate MB/s side by side, their ratio (target: at least 0.8), outpost's CPU
// seconds per GB served and its link's source fetches. Each reader count has a topic of its own,
// read in several rounds (direct, then through) and reported as medians. Every round through
// outpost is a cold read: the topic is larger than the read-through cache, whose least recently
// used chunks (the earliest ones) have left it by the time a round starts again, and the source
// fetches each round made are printed to show it.
import { spawn } from 'node:child_process';
import { createTopic, javaTool, startKafka } from '../test/peers/kafka.js';
import { LinksApi, startOutpostProcess } from './support/outpost-process.js';
import { cpuSeconds, machineBusySeconds } from './support/proc-stats.js';

const RECORD_BYTES = 1024;
const PARTITIONS = 4;
const KAFKA_JVM = ['-Xms1g', '-Xmx1g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true'];

interface Options {
  records: number;
  readers: number[];
  rounds: number;
}

function parseOptions(args: string[]): Options {
  const o: Options = { records: 200_000, readers: [1, 4], rounds: 5 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1] ?? ''];
    if (flag === '--records') o.records = Number(value);
    else if (flag === '--readers') o.readers = value.split(',').map(Number);
    else if (flag === '--rounds') o.rounds = Number(value);
    else throw new Error(`unknown option ${flag}: --records N, --readers 1,4, --rounds 5`);
  }
  if ([o.records, o.rounds, ...o.readers].some((c) => !Number.isSafeInteger(c) || c <= 0)) throw new Error('--records, --readers and --rounds take positive whole numbers');
  return o;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** kcat reading `topic` to its end; resolves with the records it read. */
function readAll(bootstrap: string, topic: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let records = 0;
    let err = '';
    child.stdout.on('data', (d: Buffer) => (records += d.length));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(records) : reject(new Error(`kcat exited ${code}: ${err.slice(-500)}`))));
  });
}

/** R readers at once; the aggregate MB/s and the machine's busy cores meanwhile, after checking each read every record. */
async function round(bootstrap: string, topic: string, readers: number, records: number): Promise<{ mbs: number; cores: number }> {
  const busy0 = await machineBusySeconds();
  const t0 = process.hrtime.bigint();
  const counts = await Promise.all(Array.from({ length: readers }, () => readAll(bootstrap, topic)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cores = ((await machineBusySeconds()) - busy0) / seconds;
  if (counts.some((c) => c !== records)) throw new Error(`a reader of ${topic} at ${bootstrap} read ${counts.join(', ')} records of ${records}`);
  return { mbs: (readers * records * RECORD_BYTES) / 1e6 / seconds, cores };
}

export async function runReadThrough(args: string[]): Promise<void> {
  const opts = parseOptions(args);
  const kafka = await startKafka({ jvmArgs: KAFKA_JVM });
  const outpost = await startOutpostProcess();
  const rows: string[] = [];
  try {
    const topics = opts.readers.map((r) => `history-${r}`);
    for (const topic of topics) {
      await createTopic(kafka, topic, PARTITIONS);
      const pre = await javaTool('org.apache.kafka.tools.ProducerPerformance', [
        '--topic', topic, '--num-records', String(opts.records), '--record-size', String(RECORD_BYTES), '--throughput', '-1',
        '--producer-props', `bootstrap.servers=${kafka.bootstrap}`, 'acks=1', 'linger.ms=5', 'batch.size=65536',
      ], { timeoutMs: 600_000 });
      if (pre.code !== 0) throw new Error(`preloading ${topic} failed: ${pre.stderr.slice(-1000)}`);
    }
    const api = new LinksApi(outpost.adminUrl);
    await api.createLink('edge', kafka.bootstrap, { 'mirror.start.offset.spec': 'latest', ...(process.env.RT_CHUNK ? { 'replica.fetch.max.bytes': process.env.RT_CHUNK } : {}) });
    for (const topic of topics) await api.createMirror('edge', topic);
    // Warm-up, alike for both: the source's page cache and JIT, outpost's JIT (on another topic's history).
    await readAll(kafka.bootstrap, topics[0]!);
    for (const [i, readers] of opts.readers.entries()) {
      const topic = topics[i]!;
      const m = { direct: [] as number[], through: [] as number[], ratio: [] as number[], cpuPerGb: [] as number[], fetches: [] as number[], directCores: [] as number[], throughCores: [] as number[] };
      for (let r = 0; r < opts.rounds; r++) {
        const direct = await round(kafka.bootstrap, topic, readers, opts.records);
        const before = await api.link('edge');
        const cpu0 = await cpuSeconds(outpost.pid);
        const through = await round(outpost.bootstrap, topic, readers, opts.records);
        const cpu = (await cpuSeconds(outpost.pid)) - cpu0;
        const after = await api.link('edge');
        const gb = (readers * opts.records * RECORD_BYTES) / 1e9;
        m.direct.push(direct.mbs);
        m.through.push(through.mbs);
        m.ratio.push(through.mbs / direct.mbs);
        m.cpuPerGb.push(cpu / gb);
        m.fetches.push(after.read_through.source_fetches - before.read_through.source_fetches);
        m.directCores.push(direct.cores);
        m.throughCores.push(through.cores);
        console.log(`${readers} reader(s), round ${r + 1}: Kafka directly ${direct.mbs.toFixed(1)} MB/s, through outpost ${through.mbs.toFixed(1)} MB/s (${m.fetches.at(-1)} source fetches)`);
      }
      const after = await api.link('edge');
      rows.push(`${String(readers).padStart(7)}  ${median(m.direct).toFixed(1).padStart(11)}  ${median(m.through).toFixed(1).padStart(12)}  ${median(m.ratio).toFixed(2).padStart(5)}  ${median(m.cpuPerGb).toFixed(2).padStart(16)}  ${String(median(m.fetches)).padStart(14)}  ${`${after.read_through.source_fetch_ms_p50}/${after.read_through.source_fetch_ms_p99}`.padStart(16)}  ${median(m.directCores).toFixed(2)}/${median(m.throughCores).toFixed(2)}`);
    }
  } finally {
    await outpost.stop();
    await kafka.stop();
  }
  console.log(`\nread-through: ${opts.records} records of ${RECORD_BYTES} B in ${PARTITIONS} partitions at a Kafka 4.4.0 source, none held by the outpost mirror; kcat readers; medians of ${opts.rounds} rounds`);
  console.log('readers  direct MB/s  through MB/s  ratio  outpost CPU s/GB  source fetches  fetch ms p50/p99  busy cores direct/through');
  for (const r of rows) console.log(r);
}
