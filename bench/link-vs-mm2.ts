// Replication by an outpost cluster link against MirrorMaker 2, from the same source Kafka with
// the same data on the same machine, printed as ratios outpost/MM2:
//
//   npm run bench -- mirror [--records N] [--runs R] [--rate R] [--seconds S] [--only outpost|mm2]
//                           [--security plaintext|sasl_ssl]
//                           [--mm2 key=value ...]   (mm2.properties settings over the bench's own)
//
// With --security sasl_ssl both replicators read the source over a SASL_SSL listener (TLS and
// SCRAM-SHA-512, a certificate of a test CA made by the bench), and outpost also runs over
// PLAINTEXT in each round, so that TLS's cost is seen beside the plaintext figures.
//
// One source Apache Kafka 4.4.0 gets a one-partition topic preloaded with N 1 KiB records. Then,
// for each replicator in turn (alternating which goes first from run to run):
//   (a) catch-up: the clock starts when the mirror is created (outpost: POST of the mirror topic
//       to a running outpost whose link to the source exists; MM2: the start of its JVM, which is
//       how a dedicated MM2 is given a topic) and stops when the destination's end offset reaches
//       the source's, both read with ListOffsets every 50 ms. The copy rate is taken from the first
//       record readable at the destination, so it leaves MM2's start-up out.
//   (b) latency: with the copy caught up, ProducerPerformance writes R records a second for S
//       seconds to a second topic of the source that is mirrored too, and a probe reading the
//       destination notes now - record timestamp for each; p50 and p99. A second probe reads the
//       source itself: its figures are the floor no replicator can go under (the producer's and
//       the source broker's share), and per record, destination arrival - source arrival is the
//       hop: the latency the replicator itself adds, at sub-millisecond precision. The same between
//       two probes of the source gives the hop's noise floor: how far apart two readers of the same
//       records are when nothing crosses over.
// CPU comes from /proc/<pid>/stat of the replicating process: outpost's one process (which is also
// the destination broker) and MM2's JVM (which is not; a second figure adds the target Kafka JVM
// that MM2 needs as its destination). Peak RSS is each process's VmHWM.
//
// Figures taken on a busy machine are only good for checking the script: take real ones on a
// quiet one.
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCerts } from '../test/peers/certs.js';
import { createTopic, javaTool, startKafka, type KafkaPeer } from '../test/peers/kafka.js';
import { scramClientConfigs, startSecureKafka } from '../test/peers/secure-kafka.js';
import type { KafkaConnection } from '../src/client/kafka-connection.js';
import { MM2_SETTINGS, mm2Libs, SOURCE_ALIAS, startMirrorMaker } from './mirror/mm2.js';
import { LinksApi, startOutpostProcess } from './support/outpost-process.js';
import { measureLatency, watchCatchUp, type CatchUp, type Latency } from './mirror/phases.js';
import { cpuSeconds, listenerPid, peakRssMB } from './support/proc-stats.js';
import { connect, endOffset } from './mirror/wire.js';

interface Options {
  records: number;
  runs: number;
  rate: number;
  seconds: number;
  only?: 'outpost' | 'mm2';
  security: 'plaintext' | 'sasl_ssl';
  /** mm2.properties settings given with --mm2, over MM2_SETTINGS */
  mm2: Record<string, string>;
}

/** outpost and mm2 at the --security asked for; outpost-plaintext beside them with sasl_ssl. */
type System = 'outpost' | 'mm2' | 'outpost-plaintext';

interface Figures {
  catchUp: CatchUp;
  latency: Latency;
  /** the replicator's peak RSS, and for MM2 its target Kafka's too */
  rssMB: number;
  destRssMB?: number;
}

interface Context {
  opts: Options;
  source: KafkaPeer;
  /** the preloaded topic's end offset at the source */
  want: number;
  /** with --security sasl_ssl: the source's SASL_SSL listener and the client settings for it */
  secure: { bootstrap: string; configs: Record<string, string> } | null;
}

const TOPIC = 'bench';
const LINK = 'bench-link';
// Kafka's own start script defaults (as in the throughput bench): a 1 GiB heap and G1.
const KAFKA_JVM = ['-Xms1g', '-Xmx1g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-Djava.awt.headless=true'];
// MB as Kafka's perf tools count it; CPU is per GB = 1024 MB of record values.
const MB = 1024 * 1024;

function option(args: string[], name: string, dflt: number): number {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return dflt;
  const v = Number(args[at + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} takes a positive whole number, not ${JSON.stringify(args[at + 1])}`);
  return v;
}

function parseOptions(args: string[]): Options {
  const at = args.indexOf('--only');
  const only = at >= 0 ? args[at + 1] : undefined;
  if (only !== undefined && only !== 'outpost' && only !== 'mm2') throw new Error(`--only takes outpost or mm2, not ${JSON.stringify(only)}`);
  const mm2: Record<string, string> = {};
  args.forEach((a, i) => {
    if (a !== '--mm2') return;
    const kv = args[i + 1] ?? '';
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--mm2 takes key=value, not ${JSON.stringify(kv)}`);
    mm2[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
  });
  const sec = args.indexOf('--security');
  const security = sec >= 0 ? args[sec + 1] : 'plaintext';
  if (security !== 'plaintext' && security !== 'sasl_ssl') throw new Error(`--security takes plaintext or sasl_ssl, not ${JSON.stringify(security)}`);
  return { records: option(args, 'records', 1_000_000), runs: option(args, 'runs', 3), rate: option(args, 'rate', 500), seconds: option(args, 'seconds', 20), only, security, mm2 };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const deadlineFor = (records: number) => Date.now() + 120_000 + records / 2; // at least 2000 records/s

// ---------------------------------------------------------------------------------------------
// One run of each replicator

async function runOutpost(ctx: Context, run: number, secure: boolean): Promise<Figures> {
  const lat = `lat-outpost${secure ? '' : '-plaintext'}-${run}`;
  await createTopic(ctx.source, lat, 1);
  const outpost = await startOutpostProcess();
  let dest: KafkaConnection | undefined;
  try {
    const api = new LinksApi(outpost.adminUrl);
    if (secure) await api.createLink(LINK, ctx.secure!.bootstrap, ctx.secure!.configs);
    else await api.createLink(LINK, ctx.source.bootstrap);
    dest = await connect(outpost.bootstrap);
    const cpu = async () => [await cpuSeconds(outpost.pid)];
    const check = async () => {
      for (const t of [TOPIC, lat]) {
        const m = await api.mirrorStatus(LINK, t);
        if (m.status === 'FAILED') throw new Error(`mirror ${t} FAILED: ${m.reason}`);
      }
    };
    const cpu0 = await cpu();
    const startedAt = Date.now();
    await api.createMirror(LINK, TOPIC);
    await api.createMirror(LINK, lat);
    const catchUp = await watchCatchUp({ conn: dest, topic: TOPIC, want: ctx.want, startedAt, deadlineMs: deadlineFor(ctx.opts.records), cpu, check });
    // CPU before the mirror was made is outpost's own start-up, not the link's.
    catchUp.cpuAtFirst = catchUp.cpuAtFirst.map((c, i) => c - cpu0[i]!);
    catchUp.cpuAtEnd = catchUp.cpuAtEnd.map((c, i) => c - cpu0[i]!);
    const latency = await measureLatency({ source: ctx.source.bootstrap, sourceTopic: lat, dest, destTopic: lat, rate: ctx.opts.rate, seconds: ctx.opts.seconds, cpu, check });
    return { catchUp, latency, rssMB: await peakRssMB(outpost.pid) };
  } catch (e) {
    throw new Error(`outpost run ${run + 1}: ${(e as Error).message}\noutpost's log (warnings and errors):\n${outpost.logTail()}`);
  } finally {
    dest?.close();
    await outpost.stop();
  }
}

async function runMm2(ctx: Context, run: number): Promise<Figures> {
  const lat = `lat-mm2-${run}`;
  await createTopic(ctx.source, lat, 1);
  // A fresh target each run: MM2's replicated topic and its Connect state must not carry over.
  const target = await startKafka({ jvmArgs: KAFKA_JVM });
  let dest: KafkaConnection | undefined;
  let mm2: Awaited<ReturnType<typeof startMirrorMaker>> | undefined;
  try {
    const targetPid = await listenerPid(target.port);
    dest = await connect(target.bootstrap);
    const targetCpu0 = await cpuSeconds(targetPid);
    const startedAt = Date.now();
    // Over SASL_SSL, every client MM2 makes for the source gets the same settings as outpost's link.
    const security = ctx.secure ? Object.fromEntries(Object.entries(ctx.secure.configs).map(([k, v]) => [`${SOURCE_ALIAS}.${k}`, v])) : {};
    mm2 = await startMirrorMaker(ctx.secure?.bootstrap ?? ctx.source.bootstrap, target.bootstrap, [TOPIC, lat], { ...security, ...ctx.opts.mm2 });
    const pid = mm2.pid;
    // [MM2's JVM, the target Kafka's JVM since MM2 started]
    const cpu = async () => [await cpuSeconds(pid), (await cpuSeconds(targetPid)) - targetCpu0];
    const check = async () => {
      if (mm2!.exited()) throw new Error('MirrorMaker 2 exited');
    };
    const catchUp = await watchCatchUp({ conn: dest, topic: `${SOURCE_ALIAS}.${TOPIC}`, want: ctx.want, startedAt, deadlineMs: deadlineFor(ctx.opts.records), cpu, check });
    const latency = await measureLatency({ source: ctx.source.bootstrap, sourceTopic: lat, dest, destTopic: `${SOURCE_ALIAS}.${lat}`, rate: ctx.opts.rate, seconds: ctx.opts.seconds, cpu, check });
    return { catchUp, latency, rssMB: await peakRssMB(pid), destRssMB: await peakRssMB(targetPid) };
  } catch (e) {
    let log = '';
    if (mm2) {
      const saved = join(tmpdir(), `mirror-bench-mm2-${process.pid}-${run + 1}.log`);
      mm2.saveLog(saved);
      log = `\nthe end of MirrorMaker 2's log (all of it: ${saved}):\n${mm2.logTail()}`;
    }
    throw new Error(`MM2 run ${run + 1}: ${(e as Error).message}${log}`);
  } finally {
    dest?.close();
    await mm2?.stop();
    await target.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting

interface Derived {
  totalS: number;
  copyS: number;
  copyMBs: number;
  /** CPU seconds per GB: of the replicator from creation, over the copy alone, and (MM2) with its target */
  cpuPerGB: number;
  copyCpuPerGB: number;
  withDestCpuPerGB?: number;
  p50: number;
  p99: number;
  sourceP99: number;
  hopP50: number;
  hopP99: number;
  noiseP99: number;
  latencyCpuS: number;
  withDestLatencyCpuS?: number;
  rssMB: number;
  destRssMB?: number;
}

function derive(f: Figures, records: number): Derived {
  const gb = (records * 1024) / (1024 * MB);
  const c = f.catchUp;
  const [cpuEnd, destEnd] = c.cpuAtEnd;
  const [cpuFirst] = c.cpuAtFirst;
  const lcpu = f.latency.cpuAfter.map((a, i) => a - f.latency.cpuBefore[i]!);
  return {
    totalS: c.totalS,
    copyS: c.copyS,
    copyMBs: (records * 1024) / MB / c.copyS,
    cpuPerGB: cpuEnd! / gb,
    copyCpuPerGB: (cpuEnd! - cpuFirst!) / gb,
    withDestCpuPerGB: destEnd === undefined ? undefined : (cpuEnd! + destEnd) / gb,
    p50: f.latency.p50,
    p99: f.latency.p99,
    sourceP99: f.latency.sourceP99,
    hopP50: f.latency.hopP50,
    hopP99: f.latency.hopP99,
    noiseP99: f.latency.noiseP99,
    latencyCpuS: lcpu[0]!,
    withDestLatencyCpuS: lcpu.length > 1 ? sum(lcpu) : undefined,
    rssMB: f.rssMB,
    destRssMB: f.destRssMB,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function describeRun(system: System, run: number, f: Figures, d: Derived): string {
  const dest = d.withDestCpuPerGB === undefined ? '' : ` (${d.withDestCpuPerGB.toFixed(1)} with target Kafka)`;
  return `run ${run + 1} ${system.padEnd(7)} catch-up ${d.totalS.toFixed(1)} s, copy ${d.copyMBs.toFixed(1)} MB/s, ` +
    `CPU ${d.cpuPerGB.toFixed(1)} s/GB${dest}; latency p50 ${d.p50} ms p99 ${d.p99} ms max ${f.latency.max} ms, hop p50 ${d.hopP50} p99 ${d.hopP99} ms (two source readers p99 ${d.noiseP99} ms), at the source p99 ${d.sourceP99} ms ` +
    `(${f.latency.measured} records); peak RSS ${d.rssMB.toFixed(0)} MB${d.destRssMB === undefined ? '' : ` + target Kafka ${d.destRssMB.toFixed(0)} MB`}`;
}

function printSummary(opts: Options, mm2Version: string, results: Record<System, Derived[]>): void {
  const o = results.outpost, m = results.mm2;
  const med = (ds: Derived[], key: keyof Derived) => median(ds.map((d) => d[key] as number));
  const fmt = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '-');
  const both = o.length > 0 && m.length > 0;
  const line = (label: string, key: keyof Derived, unit: string, digits: number, better: string) => {
    const ov = o.length ? med(o, key) : NaN, mv = m.length ? med(m, key) : NaN;
    const ratio = both ? `  ratio outpost/mm2 ${fmt(ov / mv, 2)} (${better})` : '';
    return `${label.padEnd(34)} outpost ${fmt(ov, digits).padStart(7)} ${unit.padEnd(5)}  mm2 ${fmt(mv, digits).padStart(7)} ${unit.padEnd(5)}${ratio}`;
  };
  const mmDest = (key: keyof Derived, unit: string, digits: number) => (m.length ? `${''.padEnd(34)} mm2 + target Kafka ${fmt(med(m, key), digits)} ${unit}` : '');
  const runs = Math.max(o.length, m.length);
  const shortest = Math.min(...[...o, ...m].map((d) => d.copyS));
  if (shortest < 2) console.log(`\nnote: a copy took ${shortest.toFixed(2)} s, a coarse window for 50 ms polls: the copy rate wants more --records`);
  console.log(`\n${opts.records} records of 1 KiB, ${runs} run(s), medians; source Apache Kafka 4.4.0, MM2 = connect-mirror ${mm2Version} (dedicated mode)`);
  if (opts.security === 'sasl_ssl') console.log('both replicators read the source over SASL_SSL (TLS 1.3, SCRAM-SHA-512); "outpost over PLAINTEXT" reads it over PLAINTEXT');
  const settings = { ...MM2_SETTINGS, ...opts.mm2 };
  console.log(`MM2 settings beyond its defaults: ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')}; replication factors 1`);
  console.log('outpost: the link\'s and mirror\'s defaults; both read the same source topic, whose batches outpost copies as they are and MM2 re-batches');
  console.log('CPU counted: outpost = the `outpost serve` process (link fetcher and destination broker in one);');
  console.log('             mm2 = the MirrorMaker 2 JVM only, and "mm2 + target Kafka" adds the destination broker MM2 writes to.');
  console.log('             Not counted: the source Kafka, the load producer, the latency probe.');
  console.log(line('catch-up from creation', 'totalS', 's', 1, '<1: outpost sooner; MM2 includes its JVM start'));
  console.log(line('copy rate (first record -> done)', 'copyMBs', 'MB/s', 1, '>1: outpost faster'));
  console.log(line('CPU per GB, from creation', 'cpuPerGB', 's', 1, '<1: outpost cheaper'));
  console.log(mmDest('withDestCpuPerGB', 's', 1));
  console.log(line('CPU per GB, copy only', 'copyCpuPerGB', 's', 1, '<1: outpost cheaper'));
  console.log(line(`latency p50 (${opts.rate} rec/s, ${opts.seconds} s)`, 'p50', 'ms', 0, '<1: outpost sooner'));
  console.log(line('latency p99', 'p99', 'ms', 0, '<1: outpost sooner'));
  console.log(line('latency p99 read at the source', 'sourceP99', 'ms', 0, 'the floor, the same for both'));
  console.log(line('hop source -> destination p50', 'hopP50', 'ms', 1, '<1: outpost sooner'));
  console.log(line('hop source -> destination p99', 'hopP99', 'ms', 1, '<1: outpost sooner'));
  console.log(line('  the same, two source readers p99', 'noiseP99', 'ms', 1, 'the noise floor of the hop'));
  console.log(line('CPU during the latency phase', 'latencyCpuS', 's', 2, '<1: outpost cheaper'));
  console.log(mmDest('withDestLatencyCpuS', 's', 2));
  console.log(line('peak RSS', 'rssMB', 'MB', 0, '<1: outpost smaller'));
  if (m.length) console.log(`${''.padEnd(34)} target Kafka alone ${fmt(med(m, 'destRssMB'), 0)} MB`);
  const p = results['outpost-plaintext'];
  if (p.length && o.length) {
    const vs = (label: string, key: keyof Derived, unit: string, digits: number, better: string) =>
      `${label.padEnd(34)} outpost over PLAINTEXT ${fmt(med(p, key), digits)} ${unit}; SASL_SSL/PLAINTEXT ${fmt(med(o, key) / med(p, key), 2)} (${better})`;
    console.log(vs('copy rate, TLS vs plaintext', 'copyMBs', 'MB/s', 1, '1: TLS costs no copy rate'));
    console.log(vs('CPU per GB copy only, TLS vs plain', 'copyCpuPerGB', 's', 1, 'the CPU that TLS and SASL add'));
  }
}

// ---------------------------------------------------------------------------------------------

export async function runMirror(args: string[]): Promise<void> {
  const opts = parseOptions(args);
  // Fetched first: a missing JDK, Maven or jar fails here, before minutes of preloading.
  const { version: mm2Version } = await mm2Libs();
  const measured: System[] = opts.only ? [opts.only] : ['outpost', 'mm2'];
  const systems: System[] = opts.security === 'sasl_ssl' && measured.includes('outpost') ? ['outpost-plaintext', ...measured] : measured;
  // Both sides share 2 cores with everything else running: a busy machine skews the ratios.
  const load = Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);
  if (load > 0.5) console.log(`note: load average ${load} at the start: these figures only check the script; take real ones on a quiet machine`);
  let secure: Context['secure'] = null;
  let source: KafkaPeer;
  if (opts.security === 'sasl_ssl') {
    const certs = await makeCerts();
    const s = await startSecureKafka(certs, { jvmArgs: KAFKA_JVM });
    source = s.kafka;
    secure = { bootstrap: s.scram, configs: scramClientConfigs(certs) };
  } else {
    source = await startKafka({ jvmArgs: KAFKA_JVM });
  }
  const results: Record<System, Derived[]> = { 'outpost': [], 'mm2': [], 'outpost-plaintext': [] };
  try {
    await createTopic(source, TOPIC, 1);
    console.log(`preloading ${opts.records} records of 1 KiB into ${TOPIC} at the source`);
    const pre = await javaTool('org.apache.kafka.tools.ProducerPerformance', [
      '--topic', TOPIC, '--num-records', String(opts.records), '--record-size', '1024', '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${source.bootstrap}`, 'acks=1', 'linger.ms=5', 'batch.size=65536',
    ], { timeoutMs: 600_000 + opts.records });
    if (pre.code !== 0) throw new Error(`preloading with ProducerPerformance failed (code ${pre.code}${pre.timedOut ? ', timed out' : ''}):\n${pre.stderr.slice(-2000)}`);
    const conn = await connect(source.bootstrap);
    const want = await endOffset(conn, TOPIC).finally(() => conn.close());
    if (want === null) throw new Error(`the source's ${TOPIC} cannot be read back after preloading`);
    if (want !== opts.records) throw new Error(`the source has ${want} records in ${TOPIC}, not ${opts.records}`);
    const ctx: Context = { opts, source, want, secure };
    for (let run = 0; run < opts.runs; run++) {
      // Alternate the order, so neither replicator always gets the fresher machine.
      const order = run % 2 === 0 ? systems : [...systems].reverse();
      for (const system of order) {
        const f = system === 'mm2' ? await runMm2(ctx, run) : await runOutpost(ctx, run, system === 'outpost' && secure !== null);
        const d = derive(f, opts.records);
        results[system].push(d);
        console.log(describeRun(system, run, f, d));
      }
    }
  } finally {
    await source.stop();
  }
  printSummary(opts, mm2Version, results);
}
