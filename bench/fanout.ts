// Fan-out: many consumers reading the same topic at once, from outpost and from Apache Kafka 4.4.0
// on this machine, with librdkafka (kcat) consumers:
//
//   npm run bench -- fanout [--records N] [--consumers 1,8,32]
//
// Each broker runs alone, on a fresh data dir, with the same N records of 1 KiB in a 4-partition
// topic (written by Kafka's ProducerPerformance). Then for each count C, C kcat processes read the
// whole topic at once (-o beginning -e, output discarded); the figures are the aggregate MB/s
// (C x topic bytes / wall time until the last one ends) and the broker's CPU seconds per GB served
// (from /proc), printed side by side with the ratio outpost/Kafka. The data is recent (it fits
// the page cache and outpost's tail cache), which is the fan-out an edge cache serves.
//
// Figures taken on a busy machine are only good for checking the script.
import { spawn } from 'node:child_process';
import { createTopic, javaTool, startKafka } from '../test/peers/kafka.js';
import { startOutpostProcess } from './support/outpost-process.js';
import { cpuSeconds, listenerPid, peakRssMB } from './support/proc-stats.js';

interface Options {
  records: number;
  consumers: number[];
}

interface Broker {
  name: string;
  bootstrap: string;
  pid: number;
}

interface Round {
  consumers: number;
  aggregateMBs: number;
  cpuPerGB: number;
}

const TOPIC = 'fanout';
const RECORD_BYTES = 1024;
const KAFKA_JVM = ['-Xms1g', '-Xmx1g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-Djava.awt.headless=true'];

function parseOptions(args: string[]): Options {
  const o: Options = { records: 200_000, consumers: [1, 8, 32] };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1] ?? ''];
    if (flag === '--records') o.records = Number(value);
    else if (flag === '--consumers') o.consumers = value.split(',').map(Number);
    else throw new Error(`unknown option ${flag}: --records N, --consumers 1,8,32`);
  }
  if (!Number.isSafeInteger(o.records) || o.records <= 0 || o.consumers.some((c) => !Number.isSafeInteger(c) || c <= 0)) throw new Error('--records and --consumers take positive whole numbers');
  return o;
}

/** One kcat reading the whole topic to its end, its output thrown away; resolves with its exit code. */
function readAll(bootstrap: string, id: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '', '-X', `client.id=fanout-${id}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(0) : reject(new Error(`kcat exited ${code}: ${err.slice(-500)}`))));
  });
}

async function measure(broker: Broker, opts: Options): Promise<Round[]> {
  await createTopic({ bootstrap: broker.bootstrap }, TOPIC, 4);
  const pre = await javaTool('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', TOPIC, '--num-records', String(opts.records), '--record-size', String(RECORD_BYTES), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${broker.bootstrap}`, 'acks=1', 'linger.ms=5', 'batch.size=65536',
  ], { timeoutMs: 600_000 });
  if (pre.code !== 0) throw new Error(`preloading ${broker.name} failed: ${pre.stderr.slice(-1000)}`);
  // A first read warms both alike (page cache, JIT, outpost's caches).
  await readAll(broker.bootstrap, 0);
  const topicGB = (opts.records * RECORD_BYTES) / 1e9;
  const out: Round[] = [];
  for (const c of opts.consumers) {
    const cpu0 = await cpuSeconds(broker.pid);
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: c }, (_, i) => readAll(broker.bootstrap, i + 1)));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = (await cpuSeconds(broker.pid)) - cpu0;
    out.push({ consumers: c, aggregateMBs: (c * topicGB * 1000) / seconds, cpuPerGB: cpu / (c * topicGB) });
    console.log(`${broker.name}: ${c} consumers: ${((c * topicGB * 1000) / seconds).toFixed(1)} MB/s aggregate, ${(cpu / (c * topicGB)).toFixed(2)} CPU s/GB`);
  }
  console.log(`${broker.name}: peak RSS ${(await peakRssMB(broker.pid)).toFixed(0)} MB`);
  return out;
}

export async function runFanout(args: string[]): Promise<void> {
  const opts = parseOptions(args);
  const results: Record<string, Round[]> = {};
  const outpost = await startOutpostProcess();
  try {
    results.outpost = await measure({ name: 'outpost', bootstrap: outpost.bootstrap, pid: outpost.pid }, opts);
  } finally {
    await outpost.stop();
  }
  const kafka = await startKafka({ jvmArgs: KAFKA_JVM });
  try {
    results.kafka = await measure({ name: 'kafka', bootstrap: kafka.bootstrap, pid: await listenerPid(kafka.port) }, opts);
  } finally {
    await kafka.stop();
  }
  console.log(`\nfan-out: ${opts.records} records of ${RECORD_BYTES} B in 4 partitions, kcat (librdkafka) consumers`);
  console.log('consumers  outpost MB/s  kafka MB/s  ratio   outpost CPU s/GB  kafka CPU s/GB  ratio');
  opts.consumers.forEach((c, i) => {
    const o = results.outpost![i]!;
    const k = results.kafka![i]!;
    console.log(`${String(c).padStart(9)}  ${o.aggregateMBs.toFixed(1).padStart(12)}  ${k.aggregateMBs.toFixed(1).padStart(10)}  ${(o.aggregateMBs / k.aggregateMBs).toFixed(2).padStart(5)}   ${o.cpuPerGB.toFixed(2).padStart(16)}  ${k.cpuPerGB.toFixed(2).padStart(14)}  ${(o.cpuPerGB / k.cpuPerGB).toFixed(2).padStart(5)}`);
  });
}
