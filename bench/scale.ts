// Scale: one outpost mirroring 10,000 partitions (1,000 topics of 10) from one Apache Kafka 4.4.0
// broker on this machine:
//
//   npm run bench -- scale [--topics 1000] [--partitions 10] [--seconds 60] [--rate 1000]
//
// Prints the time to create the mirrors (the first and the last ten, to see whether a create
// costs more as the link grows), then, under a steady load of --rate records a second spread
// over random partitions (one Produce a second to the source), the lag of sampled records (from
// the source's acknowledgement to the record being readable at outpost: p50, p99, max), outpost's
// RSS, open files and CPU, idle CPU without load, and the start-up time after a clean stop and
// after a kill -9 (until /health answers, and until every mirror is caught up again).
import { readdir } from 'node:fs/promises';
import { errorName } from '../protocol/errors.js';
import { buildBatch } from '../protocol/records/records.js';
import type { KafkaConnection } from '../src/client/kafka-connection.js';
import { freePort, startKafka } from '../test/peers/kafka.js';
import { connect } from './mirror/wire.js';
import { LinksApi, startOutpostProcess, type OutpostProcess } from './support/outpost-process.js';
import { cpuSeconds, peakRssMB } from './support/proc-stats.js';

interface Options {
  topics: number;
  partitions: number;
  seconds: number;
  rate: number;
}

const KAFKA_JVM = ['-Xms2g', '-Xmx2g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const topicName = (i: number) => `scale-${String(i).padStart(4, '0')}`;

function parseOptions(args: string[]): Options {
  const o: Options = { topics: 1000, partitions: 10, seconds: 60, rate: 1000 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], Number(args[i + 1])];
    if (flag === '--topics') o.topics = value;
    else if (flag === '--partitions') o.partitions = value;
    else if (flag === '--seconds') o.seconds = value;
    else if (flag === '--rate') o.rate = value;
    else throw new Error(`unknown option ${flag}: --topics N, --partitions N, --seconds N, --rate N`);
  }
  if (Object.values(o).some((v) => !Number.isSafeInteger(v) || v <= 0)) throw new Error('every option takes a positive whole number');
  return o;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function createSourceTopics(conn: KafkaConnection, o: Options): Promise<void> {
  for (let from = 0; from < o.topics; from += 100) {
    const names = Array.from({ length: Math.min(100, o.topics - from) }, (_, i) => topicName(from + i));
    const r = await conn.request('CreateTopics', conn.version('CreateTopics')!, {
      topics: names.map((name) => ({ name, numPartitions: o.partitions, replicationFactor: 1, assignments: [], configs: [] })),
      timeoutMs: 120_000,
      validateOnly: false,
    });
    const failed = r.topics.find((t: { errorCode: number }) => t.errorCode !== 0 && errorName(t.errorCode) !== 'TOPIC_ALREADY_EXISTS');
    if (failed) throw new Error(`CreateTopics ${failed.name}: ${errorName(failed.errorCode)}`);
  }
}

/** One record to each of `targets` in one Produce (acks=1); the offsets the source gave them. */
async function produce(conn: KafkaConnection, targets: [number, number][]): Promise<number[]> {
  const byTopic = new Map<string, number[]>();
  for (const [t, p] of targets) {
    const list = byTopic.get(topicName(t)) ?? [];
    list.push(p);
    byTopic.set(topicName(t), list);
  }
  const value = Buffer.alloc(200, 0x61);
  const r = await conn.request('Produce', 9, {
    transactionalId: null, acks: 1, timeoutMs: 30_000,
    topicData: [...byTopic].map(([name, ps]) => ({ name, partitionData: [...new Set(ps)].map((index) => ({ index, records: buildBatch({ records: [{ key: null, value }] }) })) })),
  });
  const offsets = new Map<string, number>();
  for (const t of r.responses) {
    for (const p of t.partitionResponses) {
      if (p.errorCode !== 0) throw new Error(`Produce ${t.name}-${p.index}: ${errorName(p.errorCode)}`);
      offsets.set(`${t.name}:${p.index}`, Number(p.baseOffset));
    }
  }
  return targets.map(([t, p]) => offsets.get(`${topicName(t)}:${p}`)!);
}

async function latestOffset(conn: KafkaConnection, topic: string, partition: number): Promise<number> {
  const r = await conn.request('ListOffsets', conn.version('ListOffsets')!, {
    replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] }],
  });
  return Number(r.topics[0].partitions[0].offset);
}

/** How long until every mirror's lag is 0 (as the REST API reports it). */
async function caughtUp(api: LinksApi, link: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const mirrors = await api.mirrors(link).catch(() => null);
    if (mirrors && mirrors.length > 0 && mirrors.every((m: any) => m.mirror_status === 'ACTIVE' && m.mirror_lags.every((p: any) => p.lag === 0))) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`mirrors not caught up within ${timeoutMs} ms`);
    await sleep(250);
  }
}

async function openFiles(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

async function rssMB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function runScale(args: string[]): Promise<void> {
  const o = parseOptions(args);
  const total = o.topics * o.partitions;
  const kafka = await startKafka({ jvmArgs: KAFKA_JVM });
  const ports: [number, number] = [await freePort(), await freePort()];
  let outpost: OutpostProcess | undefined;
  const report: string[] = [];
  const line = (s: string) => {
    console.log(s);
    report.push(s);
  };
  try {
    const source = await connect(kafka.bootstrap);
    let t0 = Date.now();
    await createSourceTopics(source, o);
    console.log(`source: ${o.topics} topics of ${o.partitions} partitions made in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    outpost = await startOutpostProcess({ ports, startTimeoutMs: 300_000 });
    const api = new LinksApi(outpost.adminUrl);
    await api.createLink('scale', kafka.bootstrap);
    const createMs: number[] = [];
    t0 = Date.now();
    for (let i = 0; i < o.topics; i++) {
      const t = Date.now();
      await api.createMirror('scale', topicName(i));
      createMs.push(Date.now() - t);
      if ((i + 1) % 100 === 0) console.log(`  ${i + 1} mirrors, the last at ${createMs.at(-1)} ms`);
    }
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    line(`mirror create: ${o.topics} in ${((Date.now() - t0) / 1000).toFixed(1)} s; the first ten ${avg(createMs.slice(0, 10)).toFixed(0)} ms each, the last ten ${avg(createMs.slice(-10)).toFixed(0)} ms each`);
    await caughtUp(api, 'scale', 300_000);

    // Idle: the link holds every partition, nothing is produced.
    await sleep(5000);
    let cpu0 = await cpuSeconds(outpost.pid);
    await sleep(20_000);
    line(`idle: ${(((await cpuSeconds(outpost.pid)) - cpu0) / 20 * 100).toFixed(1)}% of a core; RSS ${(await rssMB(outpost.pid)).toFixed(0)} MB; ${await openFiles(outpost.pid)} open files`);

    // Steady load, with a sampled record's lag measured every 250 ms.
    const local = await connect(outpost.bootstrap);
    const random = (): [number, number] => [Math.floor(Math.random() * o.topics), Math.floor(Math.random() * o.partitions)];
    const lags: number[] = [];
    let loading = true;
    const load = (async () => {
      while (loading) {
        const started = Date.now();
        await produce(source, Array.from({ length: o.rate }, random));
        await sleep(Math.max(0, 1000 - (Date.now() - started)));
      }
    })();
    const probe = await connect(kafka.bootstrap);
    cpu0 = await cpuSeconds(outpost.pid);
    const end = Date.now() + o.seconds * 1000;
    while (Date.now() < end) {
      const [t, p] = random();
      const [offset] = await produce(probe, [[t, p]]);
      const acked = performance.now();
      while ((await latestOffset(local, topicName(t), p)) <= offset!) await sleep(2);
      lags.push(performance.now() - acked);
      await sleep(250);
    }
    loading = false;
    await load;
    const cpuLoad = ((await cpuSeconds(outpost.pid)) - cpu0) / o.seconds;
    lags.sort((a, b) => a - b);
    line(`steady load of ${o.rate} records/s over ${total} partitions: lag p50 ${quantile(lags, 0.5).toFixed(0)} ms, p99 ${quantile(lags, 0.99).toFixed(0)} ms, max ${lags.at(-1)!.toFixed(0)} ms (${lags.length} samples); CPU ${(cpuLoad * 100).toFixed(0)}% of a core; RSS ${(await rssMB(outpost.pid)).toFixed(0)} MB, peak ${(await peakRssMB(outpost.pid)).toFixed(0)} MB; ${await openFiles(outpost.pid)} open files`);
    local.close();
    probe.close();

    // Restarts on the same data: a clean stop, then a kill -9.
    for (const kill of [false, true]) {
      await outpost.stop({ keepData: true, kill });
      t0 = Date.now();
      outpost = await startOutpostProcess({ ports, workDir: outpost.workDir, startTimeoutMs: 300_000 });
      const up = Date.now() - t0;
      const current = await caughtUp(new LinksApi(outpost.adminUrl), 'scale', 300_000);
      line(`start-up after ${kill ? 'kill -9' : 'a clean stop'}: /health in ${(up / 1000).toFixed(1)} s, every mirror caught up ${((up + current) / 1000).toFixed(1)} s after the start; RSS ${(await rssMB(outpost.pid)).toFixed(0)} MB`);
    }
    source.close();
  } finally {
    await outpost?.stop();
    await kafka.stop();
  }
  console.log(`\nscale: ${o.topics} topics x ${o.partitions} partitions = ${total} mirrored partitions from one Kafka 4.4.0 broker`);
  for (const r of report) console.log(r);
}
