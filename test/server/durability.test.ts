// What an acknowledgement promises when the process dies: outpost runs as a child process
// (bin/outpost.js serve), kafkajs produces to it with acks=-1 and records every acknowledged
// offset, outpost is killed with SIGKILL mid-stream and restarted on the same data dir. Every
// acknowledged record must be there at its offset, offsets must run contiguously from 0, and every
// batch on disk must pass its CRC. Then torn tails made by hand while outpost is down (a partial
// batch, garbage, a batch with a bad CRC), after a crash or a clean stop, must be cut at the
// restart and the rest served.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { CRC_OFFSET, iterateBatches } from '../../protocol/records/batch.js';
import { buildBatch, readRecords } from '../../protocol/records/records.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { spawnOutpost, type OutpostChild } from '../support/outpost-child.js';
import { storedBatches } from '../support/segments.js';

const dataDir = mkdtempSync(join(tmpdir(), 'outpost-durability-'));

let outpost: OutpostChild;

/** Starts `outpost serve` on the shared data dir. */
function startOutpost(): Promise<OutpostChild> {
  return spawnOutpost(dataDir);
}

async function kill(o: OutpostChild): Promise<void> {
  o.child.kill('SIGKILL');
  await o.exited;
}

async function withConnection<T>(fn: (conn: KafkaConnection) => Promise<T>): Promise<T> {
  const conn = await KafkaConnection.open('127.0.0.1', outpost.port);
  try {
    await conn.negotiate();
    return await fn(conn);
  } finally {
    conn.close();
  }
}

async function createTopic(name: string, numPartitions: number): Promise<void> {
  const res = await withConnection((c) => c.request('CreateTopics', 7, { topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false }));
  assert.is(res.topics[0].errorCode, 0, res.topics[0].errorMessage ?? undefined);
}

/** Every record of a partition as served by Fetch, from offset 0 to the high watermark. */
async function fetchAll(topic: string, partition: number): Promise<{ highWatermark: number; records: { offset: number; value: string }[] }> {
  return withConnection(async (c) => {
    const records: { offset: number; value: string }[] = [];
    for (let offset = 0; ;) {
      const res = await c.request('Fetch', 12, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 8 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
        topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 4 << 20 }] }],
      });
      const p = res.responses[0].partitions[0];
      assert.is(p.errorCode, 0, `fetch ${topic}-${partition} at ${offset}`);
      const buf: Buffer = p.records ?? Buffer.alloc(0);
      for (const span of iterateBatches(buf)) {
        for (const r of readRecords(buf, span.pos)) records.push({ offset: r.offset, value: r.value!.toString() });
      }
      if (records.length === 0 || records.at(-1)!.offset + 1 >= p.highWatermark) return { highWatermark: p.highWatermark, records };
      offset = records.at(-1)!.offset + 1;
    }
  });
}

/** Asserts the segment files hold only whole batches with good CRCs, at contiguous offsets from 0. */
function assertLogValid(topic: string, partition: number, end: number): void {
  const { batches, trailingBytes } = storedBatches(dataDir, topic, partition);
  assert.is(trailingBytes, 0, `${topic}-${partition}: nothing after the last whole batch`);
  let next = 0;
  for (const b of batches) {
    assert.ok(b.valid, `${topic}-${partition}: batch at ${b.baseOffset} passes its checks (CRC included)`);
    assert.is(b.baseOffset, next, `${topic}-${partition}: batches are contiguous`);
    next = b.lastOffset + 1;
  }
  assert.is(next, end, `${topic}-${partition}: the log ends at the high watermark`);
}

test.before(async () => {
  outpost = await startOutpost();
});

test.after(async () => {
  if (outpost) await kill(outpost);
  rmSync(dataDir, { recursive: true, force: true });
});

test('kill -9 during acks=-1 produce: every acknowledged record survives, at its offset', async () => {
  await createTopic('durable', 2);
  const kafka = new Kafka({ clientId: 'durability', brokers: [`127.0.0.1:${outpost.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  const acked = new Map<string, { partition: number; offset: number }>();
  let sent = 0;
  let failed = 0;
  let killing: Promise<void> | null = null;
  // Eight produce requests in flight at all times: each sender goes on until a send fails, so
  // the kill, once 3000 records are acknowledged, always lands on requests in flight.
  const sender = async () => {
    for (;;) {
      const n = sent++;
      const partition = n % 2;
      const values = Array.from({ length: 10 }, (_, i) => `m${n}-${i}-${'x'.repeat(100)}`);
      try {
        const [res] = await producer.send({ topic: 'durable', acks: -1, messages: values.map((value) => ({ partition, value })) });
        values.forEach((v, i) => acked.set(v, { partition, offset: Number(res!.baseOffset) + i }));
      } catch {
        failed++;
        return;
      }
      if (acked.size >= 3000) killing ??= kill(outpost);
    }
  };
  await Promise.all(Array.from({ length: 8 }, sender));
  await killing;
  await producer.disconnect().catch(() => undefined);
  assert.ok(acked.size >= 3000);
  assert.is(failed, 8, 'every sender had a request refused or cut off by the kill');

  outpost = await startOutpost();
  for (const partition of [0, 1]) {
    const { highWatermark, records } = await fetchAll('durable', partition);
    assert.equal(records.map((r) => r.offset), records.map((_, i) => i), `partition ${partition}: offsets contiguous from 0`);
    assert.is(highWatermark, records.length);
    const at = new Map(records.map((r) => [r.offset, r.value]));
    for (const [value, where] of acked) {
      if (where.partition === partition) assert.is(at.get(where.offset), value, `acknowledged ${value.slice(0, 12)} at ${partition}/${where.offset}`);
    }
    assertLogValid('durable', partition, highWatermark);
  }
  // Appends carry on where the recovered log ends.
  const kafkaAgain = new Kafka({ clientId: 'durability', brokers: [`127.0.0.1:${outpost.port}`], logLevel: logLevel.NOTHING });
  const again = kafkaAgain.producer();
  await again.connect();
  const [res] = await again.send({ topic: 'durable', acks: -1, messages: [{ partition: 0, value: 'after' }] });
  await again.disconnect();
  const end = (await fetchAll('durable', 0)).records;
  assert.equal(end.at(-1), { offset: Number(res!.baseOffset), value: 'after' });
  assert.is(end.length, Number(res!.baseOffset) + 1);
});

/** Produces `count` one-record batches "t<i>" with acks=-1 through outpost's own client. */
async function produceTorn(first: number, count: number): Promise<void> {
  await withConnection(async (c) => {
    for (let i = first; i < first + count; i++) {
      const res = await c.request('Produce', 12, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'torn', partitionData: [{ index: 0, records: buildBatch({ records: [{ value: Buffer.from(`t${i}`) }] }) }] }] });
      const p = res.responses[0].partitionResponses[0];
      assert.equal([p.errorCode, p.baseOffset], [0, i]);
    }
  });
}

function activeSegment(): string {
  const dir = join(dataDir, 'torn-0');
  return join(dir, readdirSync(dir).filter((n) => n.endsWith('.log')).sort().at(-1)!);
}

test('a torn tail written while outpost is down is cut at the restart, and the rest served', async () => {
  await createTopic('torn', 1);
  await produceTorn(0, 5);
  const valid = buildBatch({ baseOffset: 5, records: [{ value: Buffer.from('torn away') }] });
  const badCrc = Buffer.from(valid);
  badCrc.writeUInt32BE((badCrc.readUInt32BE(CRC_OFFSET) ^ 0xffff) >>> 0, CRC_OFFSET);
  const tails: [string, Buffer][] = [
    ['half a batch', valid.subarray(0, Math.floor(valid.length / 2))],
    ['a batch header and no records', valid.subarray(0, 61)],
    ['garbage', Buffer.alloc(40, 0xff)],
    ['zeros', Buffer.alloc(4096)],
    ['a whole batch with a bad CRC', badCrc],
  ];
  let end = 5;
  // After a crash the active segment is recovered anyway; after a clean stop outpost trusts it
  // only as far as its tail checks out.
  for (const [stop, [what, tail]] of [...tails.map((t) => ['kill -9', t] as const), ...tails.map((t) => ['clean stop', t] as const)]) {
    if (stop === 'kill -9') await kill(outpost);
    else {
      outpost.child.kill('SIGTERM');
      assert.is(await outpost.exited, 0, 'a clean stop exits 0');
    }
    appendFileSync(activeSegment(), tail);
    outpost = await startOutpost();
    const { highWatermark, records } = await fetchAll('torn', 0);
    assert.is(highWatermark, end, `${stop}, ${what}: the high watermark is the end of the good batches`);
    assert.equal(records, Array.from({ length: end }, (_, i) => ({ offset: i, value: `t${i}` })), `${stop}, ${what}: the good batches are served`);
    assertLogValid('torn', 0, end);
    // Appends carry on at the cut, over the space the tail took.
    await produceTorn(end, 1);
    end += 1;
  }
  assertLogValid('torn', 0, end);
});

test.run();
