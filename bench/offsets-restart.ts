// Restart after many offset commits, outpost against Apache Kafka 4.4.0 on this machine:
//
//   npm run bench -- offsets-restart [--commits 1000000] [--groups 100] [--segment-bytes N]
//
// Each broker gets the same stream of offset commits (OffsetCommit requests of 100 partitions
// each, from --groups groups taking turns, so most commits supersede an earlier one), is given
// time for its log cleaner to compact __consumer_offsets, then is stopped and started again: the
// figure is the time from the start until the group coordinator answers OffsetFetch with the last
// committed offsets (both are checked). Printed for a small run (1,000 commits) and the large one.
// --segment-bytes sets offsets.topic.segment.bytes on both (default Kafka's 100 MiB, which a
// million commits over 50 partitions do not fill: nothing is cleanable then, on either broker).
import { errorName } from '../protocol/errors.js';
import type { KafkaConnection } from '../src/client/kafka-connection.js';
import { createTopic, freePort, startKafka, type KafkaPeer } from '../test/peers/kafka.js';
import { connect } from './mirror/wire.js';
import { startOutpostProcess, type OutpostProcess } from './support/outpost-process.js';

const TOPIC = 'committed';
const PARTITIONS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Options {
  commits: number;
  groups: number;
  segmentBytes: number;
}

function parseOptions(args: string[]): Options {
  const o: Options = { commits: 1_000_000, groups: 100, segmentBytes: 104_857_600 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], Number(args[i + 1])];
    if (flag === '--commits') o.commits = value;
    else if (flag === '--groups') o.groups = value;
    else if (flag === '--segment-bytes') o.segmentBytes = value;
    else throw new Error(`unknown option ${flag}: --commits N, --groups N, --segment-bytes N`);
  }
  if (!Number.isSafeInteger(o.commits) || o.commits < PARTITIONS || !Number.isSafeInteger(o.groups) || o.groups <= 0) throw new Error(`--commits takes a whole number of at least ${PARTITIONS}, --groups a positive one`);
  return o;
}

/** `commits` offset commits (100 per request); returns the last offset committed per group. */
async function commitMany(conn: KafkaConnection, commits: number, groups: number): Promise<Map<string, number>> {
  // Kafka makes __consumer_offsets on the first FindCoordinator, and is its coordinator once it has loaded.
  for (let g = 0; g < groups; g++) {
    for (;;) {
      const r = await conn.request('FindCoordinator', 3, { key: `group-${g}`, keyType: 0 });
      if (r.errorCode === 0) break;
      await sleep(200);
    }
  }
  const last = new Map<string, number>();
  const requests = Math.ceil(commits / PARTITIONS);
  for (let i = 0; i < requests; i++) {
    const group = `group-${i % groups}`;
    const offset = i + 1;
    const r = await conn.request('OffsetCommit', 8, {
      groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
      topics: [{ name: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: '' })) }],
    });
    const bad = r.topics[0].partitions.find((p: { errorCode: number }) => p.errorCode !== 0);
    if (bad) throw new Error(`OffsetCommit ${group}: ${errorName(bad.errorCode)}`);
    last.set(group, offset);
  }
  return last;
}

/** Waits until OffsetFetch answers every group with its last offset; the ms it took from `t0`. */
async function loaded(bootstrap: string, last: Map<string, number>, t0: number): Promise<number> {
  for (;;) {
    const conn = await connect(bootstrap).catch(() => null);
    if (conn) {
      try {
        let all = true;
        for (const [group, offset] of last) {
          const r = await conn.request('OffsetFetch', 7, { groupId: group, topics: [{ name: TOPIC, partitionIndexes: [0, PARTITIONS - 1] }], requireStable: false });
          if (r.errorCode !== 0 || r.topics[0]?.partitions.some((p: { committedOffset: number; errorCode: number }) => p.errorCode !== 0 || p.committedOffset !== offset)) {
            all = false;
            break;
          }
        }
        if (all) return Date.now() - t0;
      } catch {
        // still starting
      } finally {
        conn.close();
      }
    }
    await sleep(50);
  }
}

interface Broker {
  bootstrap(): string;
  restart(): Promise<void>;
}

async function measure(name: string, b: Broker, commits: number, groups: number): Promise<number> {
  const conn = await connect(b.bootstrap());
  const t0 = Date.now();
  const last = await commitMany(conn, commits, groups);
  conn.close();
  console.log(`${name}: ${commits} commits in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // The cleaners' turn: both look every 15 s by default.
  await sleep(40_000);
  const started = Date.now();
  await b.restart();
  const ms = await loaded(b.bootstrap(), last, started);
  console.log(`${name}: restart to offsets served after ${commits} commits: ${(ms / 1000).toFixed(2)} s`);
  return ms;
}

export async function runOffsetsRestart(args: string[]): Promise<void> {
  const o = parseOptions(args);
  const rows: string[] = [];
  for (const commits of [1000, o.commits]) {
    const ports: [number, number] = [await freePort(), await freePort()];
    const configs = { 'offsets.topic.segment.bytes': String(o.segmentBytes) };
    let outpost: OutpostProcess = await startOutpostProcess({ ports, configs, startTimeoutMs: 600_000 });
    let kafka: KafkaPeer | undefined;
    try {
      await createTopic({ bootstrap: outpost.bootstrap }, TOPIC, PARTITIONS);
      const ourMs = await measure('outpost', {
        bootstrap: () => outpost.bootstrap,
        restart: async () => {
          await outpost.stop({ keepData: true });
          outpost = await startOutpostProcess({ ports, configs, workDir: outpost.workDir, startTimeoutMs: 600_000 });
        },
      }, commits, o.groups);
      await outpost.stop();
      kafka = await startKafka({ configs });
      await createTopic(kafka, TOPIC, PARTITIONS);
      const k = kafka;
      const theirMs = await measure('kafka', { bootstrap: () => k.bootstrap, restart: () => k.restart({ graceful: true }) }, commits, o.groups);
      rows.push(`${String(commits).padStart(9)}  ${(ourMs / 1000).toFixed(2).padStart(10)}  ${(theirMs / 1000).toFixed(2).padStart(8)}  ${(ourMs / theirMs).toFixed(2).padStart(5)}`);
    } finally {
      await outpost.stop();
      await kafka?.stop();
    }
  }
  console.log(`\nrestart until the coordinator serves the last offsets, ${o.groups} groups, ${PARTITIONS} partitions per commit request, offsets.topic.segment.bytes ${o.segmentBytes}; after 40 s for the cleaners`);
  console.log('  commits  outpost s  kafka s  ratio');
  for (const r of rows) console.log(r);
}
