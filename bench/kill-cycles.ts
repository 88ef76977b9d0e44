// `npm run bench -- kill [--cycles N]`: `outpost serve` killed with SIGKILL over and over while it
// takes produces (acks=all), group commits and a cluster link's replication, and started again on
// its data each time. After every restart: every acknowledged record is at its offset, offsets run
// contiguously from 0, the group's committed offset never went back, and the mirror holds the
// source's batches byte for byte as far as it got. At the end the mirror catches up and equals the
// source whole. The source is an outpost in this process, never killed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBatch, readRecords } from '../protocol/records/records.js';
import { iterateBatches } from '../protocol/records/batch.js';
import { KafkaConnection } from '../src/client/kafka-connection.js';
import { fetchBatches, highWatermarks, waitFor } from '../test/link/support.js';
import { spawnOutpost, type OutpostChild } from '../test/support/outpost-child.js';
import { startOutpost } from '../test/support/outpost.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function open(port: number): Promise<KafkaConnection> {
  const c = await KafkaConnection.open('127.0.0.1', port);
  await c.negotiate();
  return c;
}

async function createTopic(c: KafkaConnection, name: string): Promise<void> {
  const res = await c.request('CreateTopics', 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  if (res.topics[0].errorCode !== 0) throw new Error(`create ${name}: error ${res.topics[0].errorCode}`);
}

async function produceOne(c: KafkaConnection, topic: string, value: string): Promise<number> {
  const records = buildBatch({ records: [{ key: null, value: Buffer.from(value) }] });
  const res = await c.request('Produce', 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  const p = res.responses[0].partitionResponses[0];
  if (p.errorCode !== 0) throw new Error(`produce: error ${p.errorCode}`);
  return p.baseOffset;
}

async function committed(c: KafkaConnection): Promise<number> {
  const res = await c.request('OffsetFetch', 8, { groups: [{ groupId: 'kill-group', topics: [{ name: 'acked', partitionIndexes: [0] }] }], requireStable: false });
  return res.groups[0].topics[0].partitions[0].committedOffset;
}

/** Every record of a partition, offset and value. */
async function allRecords(c: KafkaConnection, topic: string): Promise<{ offset: number; value: string }[]> {
  const out: { offset: number; value: string }[] = [];
  for (const batch of await fetchBatches(c, topic, 0)) {
    for (const span of iterateBatches(batch)) for (const r of readRecords(batch, span.pos)) out.push({ offset: r.offset, value: r.value!.toString() });
  }
  return out;
}

export async function runKillCycles(args: string[]): Promise<void> {
  const i = args.indexOf('--cycles');
  const cycles = i >= 0 ? Number(args[i + 1]) : 50;
  process.env.OUTPOST_LOG_LEVEL = 'error';
  const source = await startOutpost();
  const src = await open(source.port);
  await createTopic(src, 'src');
  let sourceRecords = 0;
  let sourcing = true;
  const feeder = (async () => {
    while (sourcing) {
      await produceOne(src, 'src', `s${sourceRecords}`);
      sourceRecords++;
      await sleep(2);
    }
  })();

  const dataDir = await mkdtemp(join(tmpdir(), 'outpost-kill-bench-'));
  let outpost: OutpostChild = await spawnOutpost(dataDir);
  {
    const c = await open(outpost.port);
    await createTopic(c, 'acked');
    c.close();
    const clusterId = (await (await fetch(`http://127.0.0.1:${outpost.adminPort}/kafka/v3/clusters`)).json()).data[0].cluster_id;
    const created = await fetch(`http://127.0.0.1:${outpost.adminPort}/kafka/v3/clusters/${clusterId}/links?link_name=from-src`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ configs: [{ name: 'bootstrap.servers', value: source.bootstrap }] }),
    });
    if (created.status !== 204) throw new Error(`link: ${created.status} ${await created.text()}`);
    const mirror = await fetch(`http://127.0.0.1:${outpost.adminPort}/kafka/v3/clusters/${clusterId}/links/from-src/mirrors`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source_topic_name: 'src' }),
    });
    if (mirror.status >= 300) throw new Error(`mirror: ${mirror.status} ${await mirror.text()}`);
  }

  const acked = new Map<number, string>();
  let lastCommitAcked = -1;
  let produced = 0;
  let lost = 0;
  let gaps = 0;
  let commitsBack = 0;
  let mirrorMismatches = 0;
  for (let cycle = 0; cycle < cycles; cycle++) {
    const c = await open(outpost.port);
    let running = true;
    const load = (async () => {
      while (running) {
        const value = `a${produced++}`;
        try {
          const offset = await produceOne(c, 'acked', value);
          acked.set(offset, value);
          const commit = await c.request('OffsetCommit', 8, {
            groupId: 'kill-group', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
            topics: [{ name: 'acked', partitions: [{ partitionIndex: 0, committedOffset: offset + 1, committedLeaderEpoch: -1, committedMetadata: '' }] }],
          });
          if (commit.topics[0].partitions[0].errorCode === 0) lastCommitAcked = offset + 1;
        } catch {
          return; // the kill: what was not acknowledged is not counted
        }
      }
    })();
    await sleep(300 + Math.floor(Math.random() * 1500));
    outpost.child.kill('SIGKILL');
    running = false;
    await outpost.exited;
    await load;
    c.close();
    outpost = await spawnOutpost(dataDir);
    const check = await open(outpost.port);
    const records = await allRecords(check, 'acked');
    records.forEach((r, n) => { if (r.offset !== n) gaps++; });
    const byOffset = new Map(records.map((r) => [r.offset, r.value]));
    for (const [offset, value] of acked) if (byOffset.get(offset) !== value) lost++;
    if ((await committed(check)) < lastCommitAcked) commitsBack++;
    // The mirror as far as it got: a prefix of the source, byte for byte.
    const got = await fetchBatches(check, 'src', 0);
    const want = await fetchBatches(src, 'src', 0);
    got.forEach((b, n) => { if (!b.equals(want[n]!)) mirrorMismatches++; });
    check.close();
    process.stdout.write(`  cycle ${cycle + 1}: ${acked.size} acknowledged, mirror at ${got.length} of ${want.length} batches\n`);
  }
  sourcing = false;
  await feeder;
  const end = await highWatermarks(src, 'src');
  const check = await open(outpost.port);
  await waitFor('the mirror to catch up', async () => (await highWatermarks(check, 'src'))[0] === end[0], 120_000);
  const got = await fetchBatches(check, 'src', 0);
  const want = await fetchBatches(src, 'src', 0);
  const whole = got.length === want.length && got.every((b, n) => b.equals(want[n]!));
  check.close();
  src.close();
  outpost.child.kill('SIGTERM');
  await outpost.exited;
  await source.destroy();
  await rm(dataDir, { recursive: true, force: true });

  console.log(`kill -9 cycles: ${cycles}, during produce (acks=all), group commits and link replication`);
  console.log(`  records acknowledged: ${acked.size}; lost: ${lost}; offset gaps: ${gaps}`);
  console.log(`  committed offset went back: ${commitsBack} times`);
  console.log(`  mirror batches differing from the source's: ${mirrorMismatches}; mirror identical to the source at the end: ${whole} (${want.length} batches)`);
}
