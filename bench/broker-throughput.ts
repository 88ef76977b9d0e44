// Produce and consume throughput of outpost against Apache Kafka 4.4.0 on this machine, with the
// same client (Kafka's own ProducerPerformance and ConsumerPerformance), 1 KiB records, printed as
// ratios outpost/Kafka, with each broker's peak resident memory (VmHWM).
//
//   npm run bench -- throughput [--records N] [--runs R]
//
// Each broker runs alone (the other is stopped first) on a fresh data dir; outpost runs as its own
// process, exactly as `outpost serve` runs it.
import { createTopic, javaTool, startKafka } from '../test/peers/kafka.js';
import { startOutpostProcess } from './support/outpost-process.js';
import { listenerPid, peakRssMB } from './support/proc-stats.js';

interface Broker {
  name: string;
  bootstrap: string;
  pid: number;
  stop(): Promise<void>;
}

interface Figures {
  produceMBs: number;
  produceRecs: number;
  consumeMBs: number;
  consumeRecs: number;
  peakRssMB: number;
}

// Kafka's own start script defaults: a 1 GiB heap and G1.
const KAFKA_JVM = ['-Xms1g', '-Xmx1g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-Djava.awt.headless=true'];

async function startKafkaBroker(): Promise<Broker> {
  const k = await startKafka({ jvmArgs: KAFKA_JVM });
  return { name: 'kafka', bootstrap: k.bootstrap, pid: await listenerPid(k.port), stop: async () => void (await k.stop()) };
}

async function startOutpostBroker(): Promise<Broker> {
  const o = await startOutpostProcess();
  return { name: 'outpost', bootstrap: o.bootstrap, pid: o.pid, stop: () => o.stop() };
}

function parseProducer(out: string): { recs: number; mbs: number } {
  // The summary line: "N records sent, X records/sec (Y MB/sec), ..."
  const m = /records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(out.trim().split('\n').pop() ?? '');
  if (!m) throw new Error(`no ProducerPerformance summary in:\n${out}`);
  return { recs: Number(m[1]), mbs: Number(m[2]) };
}

function parseConsumer(out: string): { recs: number; mbs: number } {
  // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec. The fetch.* rates leave out the
  // group join, whose length is set by group.initial.rebalance.delay.ms (3 s on outpost's defaults,
  // 0 on the test Kafka) rather than by either broker's speed.
  const line = out.trim().split('\n').pop() ?? '';
  const cols = line.split(',').map((c) => c.trim());
  if (cols.length < 10) throw new Error(`no ConsumerPerformance result in:\n${out}`);
  return { mbs: Number(cols[8]), recs: Number(cols[9]) };
}

async function measure(broker: Broker, records: number): Promise<Figures> {
  await createTopic(broker, 'bench', 1);
  const prod = await javaTool('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', 'bench', '--num-records', String(records), '--record-size', '1024', '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${broker.bootstrap}`, 'acks=1', 'linger.ms=5', 'batch.size=65536',
  ], { timeoutMs: 600_000 });
  if (prod.code !== 0) throw new Error(`ProducerPerformance failed on ${broker.name}: ${prod.stderr}`);
  const cons = await javaTool('org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server', broker.bootstrap, '--topic', 'bench', '--messages', String(records), '--timeout', '60000',
  ], { timeoutMs: 600_000 });
  if (cons.code !== 0) throw new Error(`ConsumerPerformance failed on ${broker.name}: ${cons.stderr}`);
  const p = parseProducer(prod.stdout);
  const c = parseConsumer(cons.stdout);
  return { produceMBs: p.mbs, produceRecs: p.recs, consumeMBs: c.mbs, consumeRecs: c.recs, peakRssMB: await peakRssMB(broker.pid) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function runThroughput(args: string[]): Promise<void> {
  const records = Number(args[args.indexOf('--records') + 1] || 0) || 500_000;
  const runs = Number(args[args.indexOf('--runs') + 1] || 0) || 3;
  const results: Record<string, Figures[]> = { kafka: [], outpost: [] };
  for (let run = 0; run < runs; run++) {
    for (const start of [startKafkaBroker, startOutpostBroker]) {
      const broker = await start();
      try {
        const f = await measure(broker, records);
        results[broker.name]!.push(f);
        console.log(`run ${run + 1} ${broker.name.padEnd(7)} produce ${f.produceMBs.toFixed(1)} MB/s (${f.produceRecs.toFixed(0)} rec/s)  consume ${f.consumeMBs.toFixed(1)} MB/s  peak RSS ${f.peakRssMB.toFixed(0)} MB`);
      } finally {
        await broker.stop();
      }
    }
  }
  const k = results.kafka!, o = results.outpost!;
  const med = (fs: Figures[], key: keyof Figures) => median(fs.map((f) => f[key]));
  console.log(`\n${records} records of 1 KiB, ${runs} runs, medians; same client (Kafka 4.4.0 perf tools), same machine`);
  console.log(`produce acks=1   kafka ${med(k, 'produceMBs').toFixed(1)} MB/s  outpost ${med(o, 'produceMBs').toFixed(1)} MB/s  ratio outpost/kafka ${(med(o, 'produceMBs') / med(k, 'produceMBs')).toFixed(2)}`);
  console.log(`consume          kafka ${med(k, 'consumeMBs').toFixed(1)} MB/s  outpost ${med(o, 'consumeMBs').toFixed(1)} MB/s  ratio outpost/kafka ${(med(o, 'consumeMBs') / med(k, 'consumeMBs')).toFixed(2)}`);
  console.log(`peak RSS         kafka ${med(k, 'peakRssMB').toFixed(0)} MB  outpost ${med(o, 'peakRssMB').toFixed(0)} MB  ratio outpost/kafka ${(med(o, 'peakRssMB') / med(k, 'peakRssMB')).toFixed(2)}`);
}
