// A consumer group cut over mid-stream from a source Apache Kafka 4.4.0 to outpost, and to
// MirrorMaker 2 with group offset sync, on the same workload and the same sync interval:
//
//   npm run bench -- cutover [--interval S] [--rate R] [--seconds D] [--partitions P] [--samples N]
//
// For each system, a fresh topic of P partitions gets R records a second for D seconds, each value
// its sequence number. A consumer group reads it at the source from the start, committing every
// second, and stops halfway (mid-stream, behind the producer). After the producer ends, the group
// moves to the destination and reads on to the end. Records it read at both are duplicates;
// records read at neither are skipped. The systems:
//   outpost-migrate  `outpost migrate --producers-stopped` (its final offset sync), then move;
//   outpost-sync     no final sync (the source is lost, say): move once one interval has passed;
//   mm2              MirrorMaker 2 (sync.group.offsets.enabled=true; checkpoints, group refresh and
//                    sync every S seconds): move once the mirror has caught up and the group's
//                    offsets at the target have not changed for one interval.
// Then the latency from a commit at the source to the same offset committed at the destination
// (outpost: the very offset; MM2: its translation, once it changes), N commits at random times;
// p50 and p99. Last, the duration of `outpost migrate` for 100 partitions and 20 groups.
//
// Figures taken on a busy machine are only good for checking the script.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { createTopic, repoRoot, startKafka, type KafkaPeer } from '../test/peers/kafka.js';
import { mm2Libs, SOURCE_ALIAS, startMirrorMaker, type MirrorMakerProcess } from './mirror/mm2.js';
import { LinksApi, startOutpostProcess, type OutpostProcess } from './support/outpost-process.js';
import { connect } from './mirror/wire.js';
import { errorName } from '../protocol/errors.js';
import type { KafkaConnection } from '../src/client/kafka-connection.js';

interface Options {
  intervalS: number;
  rate: number;
  seconds: number;
  partitions: number;
  samples: number;
}

type System = 'outpost-migrate' | 'outpost-sync' | 'mm2';

interface Cutover {
  produced: number;
  readAtSource: number;
  duplicates: number;
  skipped: number;
  /** ms from the group's stop at the source to its offsets being ready at the destination */
  readyMs: number;
}

const LINK = 'cutover';
const KAFKA_JVM = ['-Xms512m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseOptions(args: string[]): Options {
  const o: Options = { intervalS: 5, rate: 1000, seconds: 20, partitions: 8, samples: 20 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], Number(args[i + 1])];
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${flag} needs a positive number`);
    if (flag === '--interval') o.intervalS = value;
    else if (flag === '--rate') o.rate = value;
    else if (flag === '--seconds') o.seconds = value;
    else if (flag === '--partitions') o.partitions = value;
    else if (flag === '--samples') o.samples = value;
    else throw new Error(`unknown option ${flag}: --interval S, --rate R, --seconds D, --partitions P, --samples N`);
  }
  return o;
}

const client = (bootstrap: string, id: string) => new Kafka({ clientId: id, brokers: [bootstrap], logLevel: logLevel.NOTHING });

/** R records a second for D seconds, values their sequence numbers, keys spreading them over the partitions. */
async function produceStream(bootstrap: string, topic: string, opts: Options): Promise<number> {
  const producer = client(bootstrap, 'bench-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const tick = 100;
  const perTick = Math.max(1, Math.round((opts.rate * tick) / 1000));
  let seq = 0;
  const end = Date.now() + opts.seconds * 1000;
  try {
    while (Date.now() < end) {
      const started = Date.now();
      const messages = Array.from({ length: perTick }, () => ({ key: `k${seq % 997}`, value: String(seq++) }));
      await producer.send({ topic, messages, acks: -1 });
      await sleep(Math.max(0, tick - (Date.now() - started)));
    }
  } finally {
    await producer.disconnect();
  }
  return seq;
}

/** A group member reading `topic` from the start until `stop` resolves (or, with no stop, to a quiet end); the values read. */
async function consume(bootstrap: string, group: string, topic: string, stop: Promise<void> | null, quietMs = 3000): Promise<Set<number>> {
  const consumer: Consumer = client(bootstrap, `bench-${group}`).consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const seen = new Set<number>();
  // Quiet is counted from the join (the group's first rebalance takes a while) or the last batch.
  let last = Number.POSITIVE_INFINITY;
  consumer.on(consumer.events.GROUP_JOIN, () => (last = Date.now()));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 1000,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const m of batch.messages) {
        seen.add(Number(m.value!.toString()));
        resolveOffset(m.offset);
      }
      last = Date.now();
      await heartbeat();
      // Slower than the producer: the group is behind when it stops, as a real one mid-stream.
      if (stop) await sleep(50);
    },
  });
  if (stop) await stop;
  else while (!(Date.now() - last >= quietMs)) await sleep(250);
  await consumer.disconnect();
  return seen;
}

async function groupOffsets(admin: Admin, group: string, topic: string): Promise<string> {
  const r = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return JSON.stringify(r[0]!.partitions.map((p) => [p.partition, p.offset]).sort((a, b) => Number(a[0]) - Number(b[0])));
}

async function endOffsets(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
}

function cli(args: string[], adminUrl: string): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'bin/outpost.js'), ...args, '--admin-url', adminUrl], { timeout: 600_000, cwd: '/tmp' }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** One cutover: produce, read half at the source, move, read on at the destination. */
async function cutover(opts: Options, source: KafkaPeer, topic: string, destination: { bootstrap: string; topic: string; start: () => Promise<void>; ready: () => Promise<void> }): Promise<Cutover> {
  await createTopic(source, topic, opts.partitions);
  await destination.start();
  const group = `cg-${topic}`;
  let stopGroup: () => void = () => {};
  const stopped = new Promise<void>((r) => (stopGroup = r));
  const producing = produceStream(source.bootstrap, topic, opts);
  const readingAtSource = consume(source.bootstrap, group, topic, stopped);
  await sleep((opts.seconds * 1000) / 2);
  stopGroup();
  const s1 = await readingAtSource;
  const produced = await producing;
  const movedAt = Date.now();
  await destination.ready();
  const readyMs = Date.now() - movedAt;
  const s2 = await consume(destination.bootstrap, group, destination.topic, null);
  let duplicates = 0;
  let skipped = 0;
  for (let seq = 0; seq < produced; seq++) {
    if (s1.has(seq) && s2.has(seq)) duplicates++;
    if (!s1.has(seq) && !s2.has(seq)) skipped++;
  }
  return { produced, readAtSource: s1.size, duplicates, skipped, readyMs };
}

/**
 * An admin's commit (no member, no generation) in one OffsetCommit to the source's one broker, its
 * group coordinator: the clock starts when it is acknowledged. (kafkajs' setOffsets joins the group
 * first, which takes longer than a sync interval.)
 */
async function commitAtSource(conn: KafkaConnection, group: string, topic: string, offset: number): Promise<void> {
  const r = await conn.request('OffsetCommit', 8, {
    groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  const error = r.topics[0]!.partitions[0]!.errorCode;
  if (error !== 0) throw new Error(`OffsetCommit at the source: ${errorName(error)}`);
}

/** Commit → the destination's committed offset: N samples at random times. */
async function syncLatency(opts: Options, source: KafkaPeer, topic: string, dest: Admin, destTopic: string, exact: boolean): Promise<number[]> {
  const admin = client(source.bootstrap, 'bench-latency').admin();
  await admin.connect();
  const conn = await connect(source.bootstrap);
  const group = `lat-${topic}`;
  const end = Number((await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 0)!.high);
  const out: number[] = [];
  try {
    let before = await groupOffsets(dest, group, destTopic);
    for (let i = 0; i < opts.samples; i++) {
      await sleep(Math.random() * opts.intervalS * 1000);
      const offset = Math.floor(((i + 1) * end) / (opts.samples + 1));
      await commitAtSource(conn, group, topic, offset);
      const t0 = Date.now();
      for (;;) {
        const now = await groupOffsets(dest, group, destTopic);
        const at = JSON.parse(now).find((p: [number, string]) => p[0] === 0)?.[1];
        if (exact ? at === String(offset) : now !== before) {
          out.push(Date.now() - t0);
          before = now;
          break;
        }
        if (Date.now() - t0 > opts.intervalS * 6000) {
          out.push(Number.POSITIVE_INFINITY);
          break;
        }
        await sleep(20);
      }
    }
  } finally {
    conn.close();
    await admin.disconnect();
  }
  return out;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export async function runCutover(args: string[]): Promise<void> {
  const opts = parseOptions(args);
  const { version: mm2Version } = await mm2Libs();
  const intervalMs = String(opts.intervalS * 1000);
  const results = new Map<System, Cutover>();
  const latency = new Map<string, number[]>();
  let migrateWideMs = 0;
  const source = await startKafka({ jvmArgs: KAFKA_JVM });
  let outpost: OutpostProcess | undefined;
  let target: KafkaPeer | undefined;
  let mm2: MirrorMakerProcess | undefined;
  try {
    // ---- outpost --------------------------------------------------------------------------------
    outpost = await startOutpostProcess();
    const api = new LinksApi(outpost.adminUrl);
    await api.createLink(LINK, source.bootstrap, {
      'consumer.offset.sync.enable': 'true',
      'consumer.offset.sync.ms': intervalMs,
      'consumer.offset.group.filters': JSON.stringify({ groupFilters: [{ name: '*', patternType: 'LITERAL', filterType: 'INCLUDE' }] }),
      'topic.config.sync.ms': '1000',
    });
    const o = outpost;
    const here = client(o.bootstrap, 'bench-outpost-admin').admin();
    await here.connect();
    const src = client(source.bootstrap, 'bench-source-admin').admin();
    await src.connect();
    const caughtUp = async (topic: string, destTopic: string, dest: Admin) => {
      const want = await endOffsets(src, topic);
      while ((await endOffsets(dest, destTopic).catch(() => -1)) < want) await sleep(100);
    };
    for (const system of ['outpost-migrate', 'outpost-sync'] as const) {
      const topic = system;
      const r = await cutover(opts, source, topic, {
        bootstrap: o.bootstrap,
        topic,
        start: () => api.createMirror(LINK, topic),
        ready: async () => {
          if (system === 'outpost-migrate') {
            const run = await cli(['migrate', '--link', LINK, '--topics', topic, '--groups', `cg-${topic}`, '--producers-stopped', '--max-lag', '0', '--state-file', `/tmp/outpost-bench-${topic}.json`], o.adminUrl);
            if (run.code !== 0) throw new Error(`outpost migrate failed: ${run.stderr}`);
          } else {
            // No final sync: the group moves once the mirror has caught up and one interval has passed.
            await caughtUp(topic, topic, here);
            await sleep(opts.intervalS * 1000);
          }
        },
      });
      results.set(system, r);
      console.log(`${system}: ${JSON.stringify(r)}`);
    }
    latency.set('outpost', await syncLatency(opts, source, 'outpost-sync', here, 'outpost-sync', true));
    console.log(`outpost commit -> sync: ${latency.get('outpost')!.join(' ')} ms`);

    // 100 partitions, 20 groups: how long `outpost migrate` takes, producers stopped and caught up.
    await createTopic(source, 'wide', 100);
    const seed = client(source.bootstrap, 'bench-seed').producer();
    await seed.connect();
    await seed.send({ topic: 'wide', messages: Array.from({ length: 100 * 20 }, (_, i) => ({ partition: i % 100, value: String(i) })) });
    await seed.disconnect();
    await api.createMirror(LINK, 'wide');
    for (let g = 0; g < 20; g++) {
      await src.setOffsets({ groupId: `g${String(g).padStart(2, '0')}`, topic: 'wide', partitions: Array.from({ length: 100 }, (_, partition) => ({ partition, offset: String(1 + (g % 20)) })) });
    }
    await caughtUp('wide', 'wide', here);
    await sleep(opts.intervalS * 1000 + 1000);
    const wide = await cli(['migrate', '--link', LINK, '--topics', 'wide', '--groups', 'g*', '--producers-stopped', '--max-lag', '0', '-o', 'json', '--state-file', '/tmp/outpost-bench-wide.json'], o.adminUrl);
    if (wide.code !== 0) throw new Error(`outpost migrate (wide) failed: ${wide.stderr}`);
    const report = JSON.parse(wide.stdout);
    if (report.groups.length !== 20 || report.groups.some((g: any) => g.partitions.length !== 100)) throw new Error(`outpost migrate (wide) reported ${report.groups.length} groups`);
    migrateWideMs = wide.ms;
    console.log(`outpost migrate, 100 partitions and 20 groups: ${wide.ms} ms`);
    await here.disconnect();
    await o.stop();
    outpost = undefined;

    // ---- MirrorMaker 2 ------------------------------------------------------------------------
    target = await startKafka({ jvmArgs: KAFKA_JVM });
    const t = target;
    const there = client(t.bootstrap, 'bench-target-admin').admin();
    await there.connect();
    const topic = 'mm2';
    const destTopic = `${SOURCE_ALIAS}.${topic}`;
    const group = `cg-${topic}`;
    const r = await cutover(opts, source, topic, {
      bootstrap: t.bootstrap,
      topic: destTopic,
      start: async () => {
        mm2 = await startMirrorMaker(source.bootstrap, t.bootstrap, [topic], {
          'emit.checkpoints.enabled': 'true',
          'emit.offset-syncs.enabled': 'true',
          'sync.group.offsets.enabled': 'true',
          'emit.checkpoints.interval.seconds': String(opts.intervalS),
          'sync.group.offsets.interval.seconds': String(opts.intervalS),
          'refresh.groups.interval.seconds': String(opts.intervalS),
          'refresh.topics.interval.seconds': String(opts.intervalS),
          'checkpoints.topic.replication.factor': '1',
          'offset-syncs.topic.replication.factor': '1',
        });
        // MM2 is replicating once its topic exists at the target.
        while (!(await there.listTopics()).includes(destTopic)) {
          if (mm2.exited()) throw new Error(`MirrorMaker 2 exited:\n${mm2.logTail()}`);
          await sleep(250);
        }
      },
      // Its best: the mirror caught up, and the group's offsets at the target settled for an interval.
      ready: async () => {
        await caughtUp(topic, destTopic, there);
        let seen = await groupOffsets(there, group, destTopic);
        let since = Date.now();
        while (Date.now() - since < opts.intervalS * 1000 + 1000 || seen.includes('"-1"')) {
          await sleep(250);
          const now = await groupOffsets(there, group, destTopic);
          if (now !== seen) [seen, since] = [now, Date.now()];
          if (Date.now() - since > opts.intervalS * 6000) break;
        }
      },
    });
    results.set('mm2', r);
    console.log(`mm2: ${JSON.stringify(r)}`);
    latency.set('mm2', await syncLatency(opts, source, topic, there, destTopic, false));
    console.log(`mm2 commit -> sync: ${latency.get('mm2')!.join(' ')} ms`);
    await there.disconnect();
    await src.disconnect();
    printSummary(opts, mm2Version, results, latency, migrateWideMs);
  } finally {
    await mm2?.stop();
    await target?.stop();
    await outpost?.stop();
    await source.stop();
  }
}

function printSummary(opts: Options, mm2Version: string, results: Map<System, Cutover>, latency: Map<string, number[]>, migrateWideMs: number): void {
  console.log(`\ncutover of a consumer group mid-stream: ${opts.partitions} partitions, ${opts.rate} records/s for ${opts.seconds} s, sync interval ${opts.intervalS} s (MirrorMaker 2 ${mm2Version})`);
  console.log('system            produced  read at source  duplicates  skipped  offsets ready after');
  for (const [system, r] of results) {
    console.log(`${system.padEnd(16)}  ${String(r.produced).padStart(8)}  ${String(r.readAtSource).padStart(14)}  ${String(r.duplicates).padStart(10)}  ${String(r.skipped).padStart(7)}  ${(r.readyMs / 1000).toFixed(1)} s`);
  }
  const mm2 = results.get('mm2');
  const best = results.get('outpost-sync');
  if (mm2 && best) console.log(`duplicates outpost-sync/mm2: ${mm2.duplicates === 0 ? 'n/a (mm2 had none)' : (best.duplicates / mm2.duplicates).toFixed(3)}; one interval's worth is ${opts.rate * opts.intervalS} records`);
  for (const [system, xs] of latency) {
    const lost = xs.filter((x) => !Number.isFinite(x)).length;
    const ok = xs.filter(Number.isFinite);
    console.log(`commit -> sync, ${system}: p50 ${pct(ok, 50)} ms, p99 ${pct(ok, 99)} ms (${ok.length} commits${lost ? `, ${lost} never seen` : ''})`);
  }
  console.log(`outpost migrate, 100 partitions and 20 groups: ${(migrateWideMs / 1000).toFixed(1)} s`);
}
