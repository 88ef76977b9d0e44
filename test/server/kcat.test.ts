// kcat (librdkafka) against outpost: produce and consume with every codec, keys and headers, read
// back exactly by partition and offset, librdkafka's idempotent producer, and `kcat -L`. Also
// checks that outpost stored each batch as librdkafka compressed it. Needs kcat: fails without it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { kcat } from '../peers/kcat.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { storedBatches } from '../support/segments.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

let broker: TestBroker;
let admin: KafkaConnection;

test.before(async () => {
  broker = await startOutpost();
  admin = await KafkaConnection.open('127.0.0.1', broker.port);
});

test.after(async () => {
  admin?.close();
  await broker?.destroy();
});

async function createTopic(name: string, numPartitions: number): Promise<void> {
  const res = await admin.request('CreateTopics', 7, { topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  assert.is(res.topics[0].errorCode, 0, res.topics[0].errorMessage ?? undefined);
}

interface KcatMessage {
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

/** Consumes with kcat -J from `offset` to the end of the partition (or of every partition). */
async function consume(topic: string, args: string[]): Promise<KcatMessage[]> {
  const r = await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-e', '-J', '-q', ...args]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const m = JSON.parse(l);
    return { partition: m.partition, offset: m.offset, key: m.key, payload: m.payload, headers: m.headers };
  });
}

test('every codec: keys and headers read back exactly by partition and offset; each batch stored with its codec', async () => {
  await createTopic('codecs', 2);
  const want: KcatMessage[][] = [[], []];
  const runs: { partition: number; first: number; last: number; codec: string }[] = [];
  for (const [i, codec] of CODECS.entries()) {
    const partition = i % 2;
    const lines = [0, 1, 2].map((j) => `key-${codec}-${j}:value-${codec}-${j} ${'x'.repeat(100)}`);
    const p = await kcat(['-P', '-b', broker.bootstrap, '-t', 'codecs', '-p', String(partition), '-z', codec, '-K', ':', '-H', `codec=${codec}`, '-H', 'fixed=1'], { input: lines.join('\n') + '\n' });
    assert.is(p.code, 0, `${codec}: ${p.stderr}`);
    const first = want[partition]!.length;
    for (const [j, line] of lines.entries()) {
      const [key, payload] = line.split(':') as [string, string];
      want[partition]!.push({ partition, offset: first + j, key, payload, headers: ['codec', codec, 'fixed', '1'] });
    }
    runs.push({ partition, first, last: first + lines.length - 1, codec });
  }
  for (const partition of [0, 1]) {
    assert.equal(await consume('codecs', ['-p', String(partition), '-o', 'beginning']), want[partition], `partition ${partition}`);
    // librdkafka may split a run into batches, but a batch never spans two runs, and it is on disk
    // exactly as librdkafka compressed it (compression.type=producer).
    const { batches } = storedBatches(broker.dataDir, 'codecs', partition);
    assert.ok(batches.length >= runs.filter((r) => r.partition === partition).length, JSON.stringify(batches));
    for (const b of batches) {
      const run = runs.find((r) => r.partition === partition && b.baseOffset >= r.first && b.lastOffset <= r.last);
      const where = `batch ${b.baseOffset}..${b.lastOffset} of partition ${partition}`;
      assert.ok(run, `${where} spans two produce runs`);
      // librdkafka only compresses with lz4 for a broker that advertises FindCoordinator v0.
      assert.is(b.codec, run!.codec, where);
      assert.ok(b.valid, `${where} passes its CRC check`);
    }
  }
});

test('reads from an offset, and from the end backwards', async () => {
  await createTopic('positions', 1);
  const input = Array.from({ length: 10 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n';
  const p = await kcat(['-P', '-b', broker.bootstrap, '-t', 'positions', '-p', '0', '-K', ':', '-z', 'lz4'], { input });
  assert.is(p.code, 0, p.stderr);
  const summary = (ms: KcatMessage[]) => ms.map((m) => `${m.offset} ${m.key}=${m.payload}`);
  assert.equal(summary(await consume('positions', ['-p', '0', '-o', '4', '-c', '3'])), ['4 k4=v4', '5 k5=v5', '6 k6=v6']);
  assert.equal(summary(await consume('positions', ['-p', '0', '-o', '-2'])), ['8 k8=v8', '9 k9=v9']);
  assert.equal(await consume('positions', ['-p', '0', '-o', 'end']), []);
});

test('librdkafka\'s idempotent producer with acks=all, partitioning by key', async () => {
  await createTopic('idempotent', 3);
  const keys = ['apple', 'banana', 'cherry', 'damson', 'elder'];
  const input = Array.from({ length: 50 }, (_, i) => `${keys[i % keys.length]}:${i}`).join('\n') + '\n';
  const p = await kcat(['-P', '-b', broker.bootstrap, '-t', 'idempotent', '-K', ':', '-z', 'zstd', '-X', 'enable.idempotence=true', '-X', 'acks=all'], { input });
  assert.is(p.code, 0, p.stderr);
  const got = await consume('idempotent', ['-o', 'beginning']);
  assert.is(got.length, 50);
  assert.equal(got.map((m) => Number(m.payload)).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i), 'each record once');
  for (const partition of [0, 1, 2]) {
    const mine = got.filter((m) => m.partition === partition);
    assert.equal(mine.map((m) => m.offset), mine.map((_, i) => i), `partition ${partition}: offsets contiguous from 0`);
    const values = mine.map((m) => Number(m.payload));
    assert.equal(values, [...values].sort((a, b) => a - b), `partition ${partition}: in produce order`);
  }
  for (const key of keys) assert.is(new Set(got.filter((m) => m.key === key).map((m) => m.partition)).size, 1, `${key} stays on one partition`);
});

test('kcat -L: brokers, topics, partitions, leaders and replicas', async () => {
  await createTopic('listed', 3);
  const r = await kcat(['-L', '-b', broker.bootstrap, '-J']);
  assert.is(r.code, 0, r.stderr);
  const md = JSON.parse(r.stdout);
  assert.equal(md.brokers, [{ id: 1, name: broker.bootstrap }]);
  assert.is(md.controllerid, 1);
  const listed = md.topics.find((t: any) => t.topic === 'listed');
  assert.equal(listed.partitions, [0, 1, 2].map((partition) => ({ partition, leader: 1, replicas: [{ id: 1 }], isrs: [{ id: 1 }] })));
  const text = await kcat(['-L', '-b', broker.bootstrap, '-t', 'listed']);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, `broker 1 at ${broker.bootstrap} (controller)`);
  assert.match(text.stdout, /topic "listed" with 3 partitions:\n {4}partition 0, leader 1, replicas: 1, isrs: 1\n {4}partition 1, leader 1, replicas: 1, isrs: 1\n {4}partition 2, leader 1, replicas: 1, isrs: 1/);
  const unknown = await kcat(['-L', '-b', broker.bootstrap, '-t', 'no-such-topic']);
  assert.match(unknown.stdout, 'topic "no-such-topic" with 0 partitions: Broker: Unknown topic or partition');
});

test.run();
