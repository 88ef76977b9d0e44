// Produce and consume throughput of outpost against Apache Kafka 4.0.1 on this machine, with the
// same client (Kafka's own ProducerPerformance and ConsumerPerformance), 1 KiB records, printed as
// ratios outpost/Kafka, with each broker's peak resident memory (VmHWM).
//
//   npm run bench -- throughput [--records N] [--runs R]
//
// Each broker runs alone (the other is stopped first) on a fresh data dir; outpost runs as its own
// process, exactly as `outpost serve` runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTopic, javaTool, repoRoot, startKafka } from '../test/peers/kafka.js';

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function peakRssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

// Kafka's own start script defaults: a 1 GiB heap and G1.
const KAFKA_JVM = ['-Xms1g', '-Xmx1g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-Djava.awt.headless=true'];

async function startKafkaBroker(): Promise<Broker> {
  const k = await startKafka({ jvmArgs: KAFKA_JVM });
  const pid = await findListenerPid(k.port);
  return { name: 'kafka', bootstrap: k.bootstrap, pid, stop: async () => void (await k.stop()) };
}

/** The pid of the process listening on a loopback port (the JVM the harness started). */
async function findListenerPid(port: number): Promise<number> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const tcp = await readFile('/proc/net/tcp', 'utf8');
  const line = tcp.split('\n').find((l) => l.includes(`:${hex} `) && / 0A /.test(l));
  const inode = line?.trim().split(/\s+/)[9];
  if (!inode) throw new Error(`nothing listens on ${port}`);
  const { readdir, readlink } = await import('node:fs/promises');
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      for (const fd of await readdir(`/proc/${p}/fd`)) {
        if ((await readlink(`/proc/${p}/fd/${fd}`).catch(() => '')) === `socket:[${inode}]`) return Number(p);
      }
    } catch {
      // a process that went away, or one we may not look into
    }
  }
  throw new Error(`no process owns the listener on ${port}`);
}

async function startOutpostBroker(): Promise<Broker> {
  const dataDir = await mkdtemp(join(tmpdir(), 'outpost-bench-'));
  const port = await freePort();
  const admin = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(repoRoot, 'bin/outpost.js'), 'serve', '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--data-dir', dataDir], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, OUTPOST_LOG_LEVEL: 'warn' },
  });
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${admin}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: 'outpost',
    bootstrap: `127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function parseProducer(out: string): { recs: number; mbs: number } {
  // The summary line: "N records sent, X records/sec (Y MB/sec), ..."
  const m = /records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(out.trim().split('\n').pop() ?? '');
  if (!m) throw new Error(`no ProducerPerformance summary in:\n${out}`);
  return { recs: Number(m[1]), mbs: Number(m[2]) };
}

function parseConsumer(out: string): { recs: number; mbs: number } {
  // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
  const line = out.trim().split('\n').pop() ?? '';
  const cols = line.split(',').map((c) => c.trim());
  if (cols.length < 6) throw new Error(`no ConsumerPerformance result in:\n${out}`);
  return { mbs: Number(cols[3]), recs: Number(cols[5]) };
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
  console.log(`\n${records} records of 1 KiB, ${runs} runs, medians; same client (Kafka 4.0.1 perf tools), same machine`);
  console.log(`produce acks=1   kafka ${med(k, 'produceMBs').toFixed(1)} MB/s  outpost ${med(o, 'produceMBs').toFixed(1)} MB/s  ratio outpost/kafka ${(med(o, 'produceMBs') / med(k, 'produceMBs')).toFixed(2)}`);
  console.log(`consume          kafka ${med(k, 'consumeMBs').toFixed(1)} MB/s  outpost ${med(o, 'consumeMBs').toFixed(1)} MB/s  ratio outpost/kafka ${(med(o, 'consumeMBs') / med(k, 'consumeMBs')).toFixed(2)}`);
  console.log(`peak RSS         kafka ${med(k, 'peakRssMB').toFixed(0)} MB  outpost ${med(o, 'peakRssMB').toFixed(0)} MB  ratio outpost/kafka ${(med(o, 'peakRssMB') / med(k, 'peakRssMB')).toFixed(2)}`);
}
