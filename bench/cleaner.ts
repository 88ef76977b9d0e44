// Log cleaner throughput, outpost's against Apache Kafka 4.4.0's on this machine:
//
//   npm run bench -- cleaner [--mb 200] [--keys 10000]
//
// The same keyed records (batches of 64 records of 1 KiB, keys from a space of --keys, so most
// records are superseded) go into a compacted topic with 1 MiB segments. Kafka's cleaner reports
// its own figure ("MB of log processed in ... seconds") in the broker's log; outpost's cleaner is
// timed on the same records in this process (one pass over the closed segments, as Kafka's first
// clean of the topic is). Both figures are MB of log processed per second by one cleaner.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorName } from '../protocol/errors.js';
import { buildBatch } from '../protocol/records/records.js';
import { resolveTopicConfig } from '../src/config/topic-configs.js';
import { PartitionLog } from '../src/log/partition-log.js';
import { startKafka } from '../test/peers/kafka.js';
import { connect } from './mirror/wire.js';

const TOPIC = 'cleaned';
const PER_BATCH = 64;
const VALUE = Buffer.alloc(1024, 0x61);
const TOPIC_CONFIGS = { 'cleanup.policy': 'compact', 'segment.bytes': '1048576', 'min.cleanable.dirty.ratio': '0.01', 'min.compaction.lag.ms': '0' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseOptions(args: string[]): { mb: number; keys: number } {
  const o = { mb: 200, keys: 10_000 };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], Number(args[i + 1])];
    if (flag === '--mb') o.mb = value;
    else if (flag === '--keys') o.keys = value;
    else throw new Error(`unknown option ${flag}: --mb N, --keys N`);
  }
  return o;
}

function batches(mb: number, keys: number): Buffer[] {
  const n = Math.ceil((mb * 1e6) / (PER_BATCH * 1040));
  let k = 0;
  return Array.from({ length: n }, () => buildBatch({ records: Array.from({ length: PER_BATCH }, () => ({ key: Buffer.from(`key-${k++ % keys}`), value: VALUE })) }));
}

async function outpostRate(data: Buffer[]): Promise<{ mbs: number; mb: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-cleaner-bench-'));
  try {
    const log = await PartitionLog.open(join(dir, `${TOPIC}-0`), resolveTopicConfig(TOPIC_CONFIGS, {}), { tailCacheBytes: 0 });
    const now = Date.now();
    for (const b of data) {
      const r = await log.appendAsLeader(b, { leaderEpoch: 0, now });
      if (!r.ok) throw new Error(`append: ${r.error}`);
    }
    const t0 = process.hrtime.bigint();
    const r = await log.compact(now + 1);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await log.close();
    if (!r) throw new Error('outpost did not clean');
    // Processed: the segments the pass read and rewrote (every closed one here), as Kafka counts its cleaned segments.
    const mb = r.bytesBefore / 1e6;
    return { mbs: mb / seconds, mb };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function kafkaRate(data: Buffer[]): Promise<{ mbs: number; mb: number }> {
  const kafka = await startKafka({ configs: { 'log.cleaner.backoff.ms': '1000' } });
  try {
    const conn = await connect(kafka.bootstrap);
    // Written under cleanup.policy=delete (no retention), then turned to compact: Kafka's cleaner
    // then makes one pass over all of it, as outpost's does.
    const writing = { ...TOPIC_CONFIGS, 'cleanup.policy': 'delete', 'retention.ms': '-1' };
    const created = await conn.request('CreateTopics', 5, {
      topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(writing).map(([name, value]) => ({ name, value })) }],
      timeoutMs: 30_000, validateOnly: false,
    });
    if (created.topics[0].errorCode !== 0) throw new Error(`CreateTopics: ${errorName(created.topics[0].errorCode)}`);
    for (const records of data) {
      for (let attempt = 0; ; attempt++) {
        const r = await conn.request('Produce', 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
        const code = r.responses[0].partitionResponses[0].errorCode;
        if (code === 0) break;
        // A topic made a moment ago may not have its leader yet.
        if (attempt > 50 || !['NOT_LEADER_OR_FOLLOWER', 'UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE'].includes(errorName(code))) throw new Error(`Produce: ${errorName(code)}`);
        await sleep(200);
      }
    }
    const altered = await conn.request('IncrementalAlterConfigs', 1, {
      resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: 'cleanup.policy', configOperation: 0, value: 'compact' }] }],
      validateOnly: false,
    });
    if (altered.responses[0].errorCode !== 0) throw new Error(`IncrementalAlterConfigs: ${errorName(altered.responses[0].errorCode)}`);
    conn.close();
    // Kafka's cleaner logs: "<n> MB of log processed in <s> seconds (<rate> MB/sec)."
    const deadline = Date.now() + 300_000;
    for (;;) {
      const m = /([\d.,]+) MB of log processed in ([\d.,]+) seconds \(([\d.,]+) MB\/sec\)/.exec(await readFile(kafka.logFile, 'utf8'));
      if (m) return { mb: Number(m[1]!.replace(',', '')), mbs: Number(m[3]!.replace(',', '')) };
      if (Date.now() > deadline) throw new Error('Kafka did not log a clean within 5 minutes');
      await sleep(1000);
    }
  } finally {
    await kafka.stop();
  }
}

export async function runCleaner(args: string[]): Promise<void> {
  const o = parseOptions(args);
  // Each broker gets batches of its own: an append stamps offsets into the Buffers it is given.
  const ours = await outpostRate(batches(o.mb, o.keys));
  console.log(`outpost: ${ours.mb.toFixed(1)} MB of log processed, ${ours.mbs.toFixed(1)} MB/s`);
  const theirs = await kafkaRate(batches(o.mb, o.keys));
  console.log(`kafka: ${theirs.mb.toFixed(1)} MB of log processed, ${theirs.mbs.toFixed(1)} MB/s`);
  console.log(`\ncleaner throughput, ${o.mb} MB of 1 KiB records over ${o.keys} keys, 1 MiB segments, one pass`);
  console.log(`outpost ${ours.mbs.toFixed(1)} MB/s, kafka ${theirs.mbs.toFixed(1)} MB/s, ratio ${(ours.mbs / theirs.mbs).toFixed(2)}`);
}
