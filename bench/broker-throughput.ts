// Produce and consume throughput of outpost against Apache Kafka 4.4.0 on this machine, with the
// same client (Kafka's own ProducerPerformance and ConsumerPerformance), 1 KiB records, printed as
// ratios outpost/Kafka, with each broker's peak resident memory (VmHWM).
//
//   npm run bench -- throughput [--records N] [--runs R] [--security sasl_ssl]
//
// Each broker runs alone (the other is stopped first) on a fresh data dir; outpost runs as its own
// process, exactly as `outpost serve` runs it. With --security sasl_ssl the clients use a SASL_SSL
// listener (TLS 1.3, SASL/PLAIN) on both brokers: Kafka then loses its zero-copy sends.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCerts, STORE_PASSWORD, type TestCerts } from '../test/peers/certs.js';
import { createTopic, freePort, javaTool, startKafka } from '../test/peers/kafka.js';
import { startOutpostProcess } from './support/outpost-process.js';
import { listenerPid, peakRssMB } from './support/proc-stats.js';

interface Broker {
  name: string;
  /** PLAINTEXT, for creating the topic */
  bootstrap: string;
  /** where the measured clients connect, with what settings */
  clientBootstrap: string;
  clientProps: Record<string, string>;
  pid: number;
  stop(): Promise<void>;
}

const BENCH_USER = 'bench';
const BENCH_PASSWORD = 'bench-secret';

/** The SASL_SSL listener's broker settings, the same on both brokers. */
function secureListenerConfigs(certs: TestCerts, listener: string): Record<string, string> {
  return {
    'ssl.keystore.type': 'PKCS12',
    'ssl.keystore.location': certs.brokerP12,
    'ssl.keystore.password': STORE_PASSWORD,
    [`listener.name.${listener.toLowerCase()}.sasl.enabled.mechanisms`]: 'PLAIN',
    [`listener.name.${listener.toLowerCase()}.plain.sasl.jaas.config`]: `org.apache.kafka.common.security.plain.PlainLoginModule required user_${BENCH_USER}="${BENCH_PASSWORD}";`,
  };
}

function secureClientProps(certs: TestCerts): Record<string, string> {
  return {
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'PLAIN',
    'sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="${BENCH_USER}" password="${BENCH_PASSWORD}";`,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caPem,
  };
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

async function startKafkaBroker(certs: TestCerts | null): Promise<Broker> {
  const k = certs
    ? await startKafka({ jvmArgs: KAFKA_JVM, configs: secureListenerConfigs(certs, 'SECURE'), listeners: [{ name: 'SECURE', protocol: 'SASL_SSL', host: 'localhost' }] })
    : await startKafka({ jvmArgs: KAFKA_JVM });
  const clientBootstrap = certs ? `localhost:${k.listenerPorts.SECURE}` : k.bootstrap;
  return { name: 'kafka', bootstrap: k.bootstrap, clientBootstrap, clientProps: certs ? secureClientProps(certs) : {}, pid: await listenerPid(k.port), stop: async () => void (await k.stop()) };
}

async function startOutpostBroker(certs: TestCerts | null): Promise<Broker> {
  if (!certs) {
    const o = await startOutpostProcess();
    return { name: 'outpost', bootstrap: o.bootstrap, clientBootstrap: o.bootstrap, clientProps: {}, pid: o.pid, stop: () => o.stop() };
  }
  const port = await freePort();
  const o = await startOutpostProcess({
    listeners: [`SECURE://127.0.0.1:${port}`],
    configs: { ...secureListenerConfigs(certs, 'SECURE'), 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SECURE:SASL_SSL', 'advertised.listeners': `SECURE://localhost:${port}` },
  });
  return { name: 'outpost', bootstrap: o.bootstrap, clientBootstrap: `localhost:${port}`, clientProps: secureClientProps(certs), pid: o.pid, stop: () => o.stop() };
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

async function measure(broker: Broker, records: number, workDir: string): Promise<Figures> {
  await createTopic(broker, 'bench', 1);
  // The client's security settings in a file: a JAAS line has '=' in it, which --producer-props cannot carry.
  const configFile = join(workDir, `${broker.name}-client.properties`);
  writeFileSync(configFile, Object.entries(broker.clientProps).map(([k, v]) => `${k}=${v}\n`).join(''));
  const prod = await javaTool('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', 'bench', '--num-records', String(records), '--record-size', '1024', '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${broker.clientBootstrap}`, 'acks=1', 'linger.ms=5', 'batch.size=65536', '--command-config', configFile,
  ], { timeoutMs: 600_000 });
  if (prod.code !== 0) throw new Error(`ProducerPerformance failed on ${broker.name}: ${prod.stderr}`);
  const cons = await javaTool('org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server', broker.clientBootstrap, '--topic', 'bench', '--messages', String(records), '--timeout', '60000', '--command-config', configFile,
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
  const security = args.includes('--security') ? args[args.indexOf('--security') + 1] : 'plaintext';
  if (security !== 'plaintext' && security !== 'sasl_ssl') throw new Error(`--security ${security}: expected plaintext or sasl_ssl`);
  const certs = await makeCerts();
  const useCerts = security === 'sasl_ssl' ? certs : null;
  const results: Record<string, Figures[]> = { kafka: [], outpost: [] };
  for (let run = 0; run < runs; run++) {
    for (const start of [startKafkaBroker, startOutpostBroker]) {
      const broker = await start(useCerts);
      try {
        const f = await measure(broker, records, certs.dir);
        results[broker.name]!.push(f);
        console.log(`run ${run + 1} ${broker.name.padEnd(7)} produce ${f.produceMBs.toFixed(1)} MB/s (${f.produceRecs.toFixed(0)} rec/s)  consume ${f.consumeMBs.toFixed(1)} MB/s  peak RSS ${f.peakRssMB.toFixed(0)} MB`);
      } finally {
        await broker.stop();
      }
    }
  }
  const k = results.kafka!, o = results.outpost!;
  const med = (fs: Figures[], key: keyof Figures) => median(fs.map((f) => f[key]));
  console.log(`\n${records} records of 1 KiB, ${runs} runs, medians; same client (Kafka 4.4.0 perf tools), same machine; ${security === 'sasl_ssl' ? 'SASL_SSL (TLS 1.3, PLAIN) on both' : 'PLAINTEXT'}`);
  console.log(`produce acks=1   kafka ${med(k, 'produceMBs').toFixed(1)} MB/s  outpost ${med(o, 'produceMBs').toFixed(1)} MB/s  ratio outpost/kafka ${(med(o, 'produceMBs') / med(k, 'produceMBs')).toFixed(2)}`);
  console.log(`consume          kafka ${med(k, 'consumeMBs').toFixed(1)} MB/s  outpost ${med(o, 'consumeMBs').toFixed(1)} MB/s  ratio outpost/kafka ${(med(o, 'consumeMBs') / med(k, 'consumeMBs')).toFixed(2)}`);
  console.log(`peak RSS         kafka ${med(k, 'peakRssMB').toFixed(0)} MB  outpost ${med(o, 'peakRssMB').toFixed(0)} MB  ratio outpost/kafka ${(med(o, 'peakRssMB') / med(k, 'peakRssMB')).toFixed(2)}`);
}
