// A stop cut short: `outpost serve` with a thousand partitions gets SIGTERM, then SIGKILL while it
// is still closing its logs, and must start again on that data with every acknowledged record.
// (With ten thousand partitions, the bench-sized case, a start once failed here on a leftover
// temporary snapshot file.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBatch } from '../../protocol/records/records.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { spawnOutpost } from '../support/outpost-child.js';

const PARTITIONS = 1000;

async function open(port: number): Promise<KafkaConnection> {
  const c = await KafkaConnection.open('127.0.0.1', port);
  await c.negotiate();
  return c;
}

test('SIGKILL in the middle of a clean stop of 1,000 partitions: the next start recovers them all', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-stop-kill-'));
  let o = await spawnOutpost(dataDir);
  let c = await open(o.port);
  const created = await c.request('CreateTopics', 7, { topics: [{ name: 'many', numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 60000, validateOnly: false });
  assert.is(created.topics[0].errorCode, 0);
  const partitionData = Array.from({ length: PARTITIONS }, (_, index) => ({ index, records: buildBatch({ records: [{ key: null, value: Buffer.from(`p${index}`) }] }) }));
  const res = await c.request('Produce', 9, { transactionalId: null, acks: -1, timeoutMs: 60000, topicData: [{ name: 'many', partitionData }] });
  assert.ok(res.responses[0].partitionResponses.every((p: any) => p.errorCode === 0));
  c.close();
  for (const cutAfterMs of [50, 400]) {
    o.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, cutAfterMs));
    o.child.kill('SIGKILL');
    await o.exited;
    o = await spawnOutpost(dataDir);
    c = await open(o.port);
    const ends = await c.request('ListOffsets', 9, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'many', partitions: Array.from({ length: PARTITIONS }, (_, i) => ({ partitionIndex: i, currentLeaderEpoch: -1, timestamp: -1 })) }] });
    const lost = ends.topics[0].partitions.filter((p: any) => p.errorCode !== 0 || p.offset !== 1);
    assert.is(lost.length, 0, `after a kill ${cutAfterMs} ms into the stop, every partition holds its record`);
    c.close();
  }
  o.child.kill('SIGTERM');
  assert.is(await o.exited, 0);
  rmSync(dataDir, { recursive: true, force: true });
});

test.run();
