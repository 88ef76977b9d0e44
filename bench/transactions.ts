// Transactional produce throughput of outpost against Apache Kafka 4.4.0 on this machine, with the
// same client (Kafka's ProducerPerformance with a transactional id: a transaction committed every
// --duration-ms, 1 KiB records, acks=all), printed as ratios outpost/Kafka. Both brokers run their
// transaction coordinator on the same node as the partition, so every commit costs a decision, a
// marker and a completion written on the one machine.
//
//   npm run bench -- transactions [--records N] [--duration-ms MS] [--runs R]
//
// Each broker runs alone (the other stopped first) on a fresh data dir; outpost as `outpost serve`.
import { createTopic, javaTool, startKafka } from '../test/peers/kafka.js';
import { startOutpostProcess } from './support/outpost-process.js';

interface Figures {
  recs: number;
  mbs: number;
}

const KAFKA_JVM = ['-Xms1g', '-Xmx1g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-Djava.awt.headless=true'];

async function measure(bootstrap: string, broker: { bootstrap: string }, records: number, durationMs: number): Promise<Figures> {
  await createTopic(broker, 'txn-bench', 1);
  const r = await javaTool('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', 'txn-bench', '--num-records', String(records), '--record-size', '1024', '--throughput', '-1',
    '--transactional-id', 'txn-bench', '--transaction-duration-ms', String(durationMs),
    '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all', 'linger.ms=5', 'batch.size=65536',
  ], { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`ProducerPerformance failed: ${r.stderr}`);
  const m = /records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(r.stdout.trim().split('\n').pop() ?? '');
  if (!m) throw new Error(`no ProducerPerformance summary in:\n${r.stdout}`);
  return { recs: Number(m[1]), mbs: Number(m[2]) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runTransactions(args: string[]): Promise<void> {
  const opt = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
  const records = opt('--records', 300_000);
  const durationMs = opt('--duration-ms', 100);
  const runs = opt('--runs', 3);
  const results: Record<'kafka' | 'outpost', Figures[]> = { kafka: [], outpost: [] };
  for (let run = 0; run < runs; run++) {
    const k = await startKafka({ jvmArgs: KAFKA_JVM });
    try {
      results.kafka.push(await measure(k.bootstrap, k, records, durationMs));
    } finally {
      await k.stop();
    }
    const o = await startOutpostProcess();
    try {
      results.outpost.push(await measure(o.bootstrap, o, records, durationMs));
    } finally {
      await o.stop();
    }
    console.log(`run ${run + 1}  kafka ${results.kafka.at(-1)!.mbs.toFixed(1)} MB/s  outpost ${results.outpost.at(-1)!.mbs.toFixed(1)} MB/s`);
  }
  const k = median(results.kafka.map((f) => f.mbs));
  const o = median(results.outpost.map((f) => f.mbs));
  const kr = median(results.kafka.map((f) => f.recs));
  const or = median(results.outpost.map((f) => f.recs));
  console.log(`\n${records} records of 1 KiB, a transaction committed every ${durationMs} ms, acks=all, ${runs} runs, medians; Kafka 4.4.0 ProducerPerformance against both`);
  console.log(`transactional produce  kafka ${k.toFixed(1)} MB/s (${kr.toFixed(0)} rec/s)  outpost ${o.toFixed(1)} MB/s (${or.toFixed(0)} rec/s)  ratio outpost/kafka ${(o / k).toFixed(2)}`);
}
