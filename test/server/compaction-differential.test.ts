// Compaction, differential against Apache Kafka 4.4.0: the same keyed records and tombstones are
// written to a compacted topic with small segments on both; once both cleaners have run, both
// hold each key once, with the same latest values, the tombstones still there within
// delete.retention.ms, and gone after it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errorName } from '../../protocol/errors.js';
import { iterateBatches } from '../../protocol/records/batch.js';
import { buildBatch, readRecords } from '../../protocol/records/records.js';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { startKafka, type KafkaPeer } from '../peers/kafka.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { connectTo, fetchBatches, waitFor } from '../link/support.js';

const TOPIC = 'table';
const DELETE_RETENTION_MS = 4000;
const TOPIC_CONFIGS = {
  'cleanup.policy': 'compact',
  'segment.bytes': '1048576',
  'segment.ms': '300',
  'min.cleanable.dirty.ratio': '0.01',
  'min.compaction.lag.ms': '0',
  'delete.retention.ms': String(DELETE_RETENTION_MS),
};

interface Ctx {
  kafka: KafkaPeer;
  outpost: TestBroker;
  brokers: { name: string; conn: KafkaConnection }[];
}

const test = suite<Ctx>('compaction, differential against Kafka 4.4.0');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(async (ctx) => {
  const configs = { 'log.cleaner.backoff.ms': '300' };
  [ctx.kafka, ctx.outpost] = await Promise.all([startKafka({ configs }), startOutpost({ configs })]);
  ctx.brokers = [
    { name: 'kafka', conn: await connectTo(ctx.kafka.port) },
    { name: 'outpost', conn: await connectTo(ctx.outpost.port) },
  ];
  for (const { name, conn } of ctx.brokers) {
    const r = await conn.request('CreateTopics', 5, {
      topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: Object.entries(TOPIC_CONFIGS).map(([n, value]) => ({ name: n, value })) }],
      timeoutMs: 30_000, validateOnly: false,
    });
    assert.is(errorName(r.topics[0].errorCode), 'NONE', `${name}: ${r.topics[0].errorMessage}`);
  }
});

test.after(async (ctx) => {
  for (const b of ctx.brokers ?? []) b.conn.close();
  await ctx.outpost?.destroy();
  await ctx.kafka?.stop();
});

async function produce(ctx: Ctx, key: string, value: string | null): Promise<void> {
  const records = buildBatch({ records: [{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value) }] });
  for (const { name, conn } of ctx.brokers) {
    const r = await conn.request('Produce', 9, { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
    assert.is(errorName(r.responses[0].partitionResponses[0].errorCode), 'NONE', name);
  }
}

/** Every record of the topic: key and value (null: a tombstone), in offset order. */
async function records(conn: KafkaConnection): Promise<[string, string | null][]> {
  const out: [string, string | null][] = [];
  for (const b of await fetchBatches(conn, TOPIC, 0)) {
    for (const span of iterateBatches(b)) for (const r of readRecords(b, span.pos)) out.push([r.key!.toString(), r.value === null ? null : r.value.toString()]);
  }
  return out;
}

/** Writes filler records (one key, so they compact away too) for `ms`: segments roll and there is dirty data for the cleaners. */
async function churn(ctx: Ctx, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (let i = 0; Date.now() < until; i++) {
    await produce(ctx, 'filler', `f${i}`);
    await sleep(100);
  }
}

/** Waits until every broker holds each data key once; returns their key->value maps. */
async function compacted(ctx: Ctx, ok: (rs: [string, string | null][]) => boolean): Promise<Map<string, Map<string, string | null>>> {
  const out = new Map<string, Map<string, string | null>>();
  for (const { name, conn } of ctx.brokers) {
    await waitFor(`${name} compacted`, async () => {
      await churn(ctx, 400);
      const rs = (await records(conn)).filter(([k]) => k !== 'filler');
      if (!ok(rs)) return false;
      out.set(name, new Map(rs));
      return true;
    }, 90_000);
  }
  return out;
}

const onceEach = (rs: [string, string | null][]) => new Set(rs.map(([k]) => k)).size === rs.length;

test('the same latest value per key as Kafka, tombstones kept within delete.retention.ms and removed after it', async (ctx) => {
  const expected = new Map<string, string | null>();
  for (let round = 0; round < 8; round++) {
    for (let k = 0; k < 25; k++) {
      const value = `value-${k}-${round}-${'x'.repeat(200)}`;
      await produce(ctx, `key-${k}`, value);
      expected.set(`key-${k}`, value);
    }
  }
  for (let k = 0; k < 5; k++) {
    await produce(ctx, `key-${k}`, null);
    expected.set(`key-${k}`, null);
  }
  const started = Date.now();
  const first = await compacted(ctx, onceEach);
  // Checked only if it came soon enough to be within delete.retention.ms for both.
  if (Date.now() - started < DELETE_RETENTION_MS / 2) {
    for (const [name, m] of first) assert.equal(m, expected, `${name}: each key once, with its latest value or its tombstone`);
  }
  assert.equal(first.get('outpost'), first.get('kafka'), 'outpost holds what Kafka holds');

  const live = new Map([...expected].filter(([, v]) => v !== null));
  const later = await compacted(ctx, (rs) => onceEach(rs) && rs.every(([, v]) => v !== null));
  for (const [name, m] of later) assert.equal(m, live, `${name}: the tombstones are gone after delete.retention.ms`);
});

test.run();
