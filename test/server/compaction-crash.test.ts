// outpost killed with SIGKILL while its cleaner compacts, five times: after every restart
// each key of a compacted topic still reads as its latest value (none lost, none back from the
// dead), offsets only rise, and the log is cleaned further. outpost runs as its own process,
// cleaning every 20 ms, with segments small enough that every pass rewrites many of them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchHeader, iterateBatches } from '../../protocol/records/batch.js';
import { buildBatch, readRecords } from '../../protocol/records/records.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { spawnOutpost, type OutpostChild } from '../support/outpost-child.js';

const KEYS = 40;
const ROUNDS = 5;
const PER_ROUND = 800;

let dir: string;
let outpost: OutpostChild | null = null;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-compaction-crash-'));
  await writeFile(join(dir, 'outpost.yaml'), ['configs:', '  log.cleaner.backoff.ms: 20', ''].join('\n'));
});

test.after(async () => {
  outpost?.child.kill('SIGKILL');
  await outpost?.exited;
  await rm(dir, { recursive: true, force: true });
});

const start = () => spawnOutpost(join(dir, 'data'), ['--config', join(dir, 'outpost.yaml')]);

async function withConnection<T>(port: number, fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
  const c = await KafkaConnection.open('127.0.0.1', port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Each key's latest value, as a consumer reading the whole partition finds it, and the records read. */
async function latest(c: KafkaConnection): Promise<{ values: Map<string, string>; records: number; end: number }> {
  const values = new Map<string, string>();
  let offset = 0;
  let records = 0;
  let end = 0;
  for (;;) {
    const r = await c.request('Fetch', 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 50 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
      topics: [{ topic: 'table', topicId: '00000000-0000-0000-0000-000000000000', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    });
    const p = r.responses[0].partitions[0];
    assert.is(p.errorCode, 0);
    end = Number(p.highWatermark);
    const buf = Buffer.concat([p.records ?? Buffer.alloc(0)].flat());
    let moved = false;
    for (const { pos } of iterateBatches(buf)) {
      const h = new BatchHeader(buf, pos);
      for (const rec of readRecords(buf, pos)) {
        if (rec.offset < offset) continue;
        values.set(rec.key!.toString(), rec.value!.toString());
        records++;
      }
      offset = h.nextOffset;
      moved = true;
    }
    if (!moved || offset >= end) return { values, records, end };
  }
}

test('kill -9 during compaction, again and again: every key keeps its latest value', async () => {
  outpost = await start();
  await withConnection(outpost.port, async (c) => {
    const made = await c.request('CreateTopics', 7, {
      topics: [{ name: 'table', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [
        { name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '2048' }, { name: 'min.cleanable.dirty.ratio', value: '0.01' },
        { name: 'min.compaction.lag.ms', value: '0' },
      ] }],
      timeoutMs: 10_000, validateOnly: false,
    });
    assert.is(made.topics[0].errorCode, 0);
  });
  const expected = new Map<string, string>();
  let lastEnd = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await withConnection(outpost.port, async (c) => {
      for (let i = 0; i < PER_ROUND; i++) {
        const key = `k${(i * 7 + round) % KEYS}`;
        const value = `r${round}-${i}`;
        const records = buildBatch({ records: [{ key: Buffer.from(key), value: Buffer.from(value) }] });
        const res = await c.request('Produce', 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'table', partitionData: [{ index: 0, records }] }] });
        assert.is(res.responses[0].partitionResponses[0].errorCode, 0);
        expected.set(key, value);
      }
    });
    // Killed while the cleaner is at work: it runs every 20 ms over dozens of segments.
    await new Promise((r) => setTimeout(r, 30 + round * 37));
    outpost.child.kill('SIGKILL');
    await outpost.exited;
    outpost = await start();
    const seen = await withConnection(outpost.port, latest);
    assert.equal(seen.values, expected, `round ${round}: the latest value of every key`);
    assert.ok(seen.end >= lastEnd && seen.end === (round + 1) * PER_ROUND, `round ${round}: the log end ${seen.end} stays`);
    lastEnd = seen.end;
  }
  // Cleaning went on across the kills: far fewer records than were written are left.
  await new Promise((r) => setTimeout(r, 500));
  const final = await withConnection(outpost.port, latest);
  assert.ok(final.records < (ROUNDS * PER_ROUND) / 4, `${final.records} records left of ${ROUNDS * PER_ROUND}`);
});

test.run();
