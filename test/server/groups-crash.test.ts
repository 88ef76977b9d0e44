// Durability of commits: outpost runs as its own process (the compiled CLI) and is killed with
// SIGKILL right after an OffsetCommit was acknowledged; after a restart on the same data
// directory the group's offsets are exactly the acknowledged ones, and the member that committed
// them can carry on committing.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { spawnGuarded } from '../peers/proc.js';

const bin = fileURLToPath(new URL('../../../bin/outpost.js', import.meta.url));

interface Outpost {
  bootstrap: string;
  port: number;
  kill(): Promise<void>;
}

/** Starts `outpost serve` and resolves once it logs that it is serving. */
function serve(dataDir: string, config: string, port: number): Promise<Outpost> {
  return new Promise((resolve, reject) => {
    // Guarded: a failing test must not leave an outpost process behind.
    const child: ChildProcess = spawnGuarded(process.execPath, [bin, 'serve', '--listen', `127.0.0.1:${port}`, '--admin', '127.0.0.1:0', '--data-dir', dataDir, '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    let out = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const serving = out.split('\n').find((l) => l.includes('outpost is serving'));
      if (!serving) return;
      out = '';
      const bound = (JSON.parse(serving).ports as Record<string, number>).PLAINTEXT!;
      resolve({
        bootstrap: `127.0.0.1:${bound}`,
        port: bound,
        async kill() {
          child.kill('SIGKILL');
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`outpost exited (${code}) before serving:\n${stderr}`)));
  });
}

let dataDir: string;
let config: string;

test.before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'outpost-crash-'));
  config = join(dataDir, '..', `${dataDir.split('/').pop()}.yaml`);
  await writeFile(config, 'configs:\n  group.min.session.timeout.ms: 1000\n  group.initial.rebalance.delay.ms: 0\n');
});

test.after(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await rm(config, { force: true });
  // A kafkajs consumer that lost its broker may still hold a restart timer after disconnect():
  // nothing is left to wait for once the results are in.
  setTimeout(() => process.exit(), 2000).unref();
});

/** Retries `fn` while the consumer finds its way back to the group after a restart. */
async function untilItWorks<T>(fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

test('offsets acknowledged just before a SIGKILL are the group\'s offsets after the restart', async () => {
  let outpost = await serve(dataDir, config, 0);
  const port = outpost.port;
  const kafka = new Kafka({ clientId: 'crash-test', brokers: [outpost.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'crash', numPartitions: 3 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'crash', messages: Array.from({ length: 300 }, (_, i) => ({ partition: i % 3, value: `m${i}` })) });
  await producer.disconnect();
  await admin.disconnect();

  // A short session: a consumer that comes back under a new member id after the restart waits for
  // its old self to expire before the group settles.
  const consumer: Consumer = kafka.consumer({ groupId: 'crash-group', sessionTimeout: 2000, heartbeatInterval: 300, maxWaitTimeInMs: 200 });
  try {
    let joined = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => void joined++);
    // kafkajs resolves commitOffsets without sending anything while it restarts after losing the
    // broker; this event is its word that the broker acknowledged a commit.
    let acknowledged: number[] | null = null;
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
      const partitions: { partition: number; offset: unknown }[] = e.payload.topics.find((t: { topic: string }) => t.topic === 'crash')?.partitions ?? [];
      acknowledged = [0, 1, 2].map((p) => Number(String(partitions.find((x) => x.partition === p)?.offset)));
    });
    await consumer.connect();
    await consumer.subscribe({ topic: 'crash', fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async () => {} });
    const deadline = Date.now() + 20_000;
    while (joined === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(joined > 0, 'the consumer joined');

    let expected: number[] = [];
    for (let round = 1; round <= 3; round++) {
      for (let i = 1; i <= 10; i++) {
        const offsets = [0, 1, 2].map((p) => round * 20 + i * (p + 1));
        await untilItWorks(async () => {
          acknowledged = null;
          await consumer.commitOffsets(offsets.map((offset, partition) => ({ topic: 'crash', partition, offset: String(offset), metadata: `round ${round}` })));
          const ack = acknowledged as number[] | null;
          if (ack?.join() !== offsets.join()) throw new Error('not sent: the consumer is finding its group again');
        });
        expected = offsets;
      }
      // Acknowledged: kill now, with no chance for the process to flush or say goodbye.
      await outpost.kill();
      outpost = await serve(dataDir, config, port);
      const check = kafka.admin();
      await check.connect();
      try {
        const [committed] = await check.fetchOffsets({ groupId: 'crash-group', topics: ['crash'] });
        const got = [...committed!.partitions].sort((a, b) => a.partition - b.partition);
        assert.equal(got.map((p) => Number(p.offset)), expected, `round ${round}`);
        assert.ok(got.every((p) => p.metadata === `round ${round}`));
      } finally {
        await check.disconnect();
      }
    }
  } finally {
    await Promise.race([consumer.disconnect(), new Promise((r) => setTimeout(r, 15_000).unref())]);
    await outpost.kill();
  }
});

test.run();
