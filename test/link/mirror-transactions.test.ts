// Transactions through a cluster link from a real Apache Kafka 4.4.0: the Java producer commits
// and aborts transactions at Kafka (interleaved, and some left open for a while), and outpost,
// running as its own process, mirrors them. A read_committed consumer of the mirror (the Java
// consumer, librdkafka through kcat) must get exactly what one of Kafka gets, with the same
// offsets, and read_uncommitted everything; outpost's read_committed Fetch responses must list
// the same aborted transactions and last stable offset as Kafka's, at every offset. A transaction
// whose records reached the mirror before its marker holds the mirror's last stable offset back
// until the marker comes, and all of it is unchanged by a kill -9 and by a clean restart. The
// mirror's .txnindex files hold the very bytes of Kafka's.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorName } from '../../protocol/errors.js';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { createTopic, javaClient, jsonLines, startKafka, startupTimes, type KafkaPeer, type RunResult } from '../peers/kafka.js';
import { kcat } from '../peers/kcat.js';
import { spawnOutpost, type OutpostChild } from '../support/outpost-child.js';
import { connectTo, describeTopic, waitFor } from './support.js';

const LINK = 'from-kafka';
const TOPIC = 'payments';
const READ_UNCOMMITTED = 0;
const READ_COMMITTED = 1;

interface Ctx {
  kafka: KafkaPeer;
  dir: string;
  /** outpost as a child process, so that it can be killed with SIGKILL */
  outpost: OutpostChild;
  source: KafkaConnection;
  mirror: KafkaConnection;
}

const test = suite<Ctx>('transactions mirrored from Apache Kafka');

async function startMirror(ctx: Ctx): Promise<void> {
  ctx.outpost = await spawnOutpost(join(ctx.dir, 'data'), ['--config', join(ctx.dir, 'outpost.yaml')]);
  ctx.mirror = await connectTo(ctx.outpost.port);
}

async function stopMirror(ctx: Ctx, how: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  ctx.mirror.close();
  ctx.outpost.child.kill(how);
  const code = await ctx.outpost.exited;
  if (how === 'SIGTERM') assert.is(code, 0, `a clean stop exits 0:\n${ctx.outpost.output()}`);
}

/** The partition's ends as ListOffsets answers them at each isolation level. */
async function ends(conn: KafkaConnection): Promise<{ highWatermark: number; lastStableOffset: number }> {
  const latest = async (isolationLevel: number) => {
    const r = await conn.request('ListOffsets', conn.version('ListOffsets')!, {
      replicaId: -1, isolationLevel, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }],
    });
    const p = r.topics[0].partitions[0];
    if (p.errorCode !== 0) throw new Error(`ListOffsets: ${errorName(p.errorCode)}`);
    return p.offset as number;
  };
  return { highWatermark: await latest(READ_UNCOMMITTED), lastStableOffset: await latest(READ_COMMITTED) };
}

/** Waits until the mirror's ends are the source's. */
async function caughtUp(ctx: Ctx): Promise<{ highWatermark: number; lastStableOffset: number }> {
  const want = await ends(ctx.source);
  await waitFor(`the mirror at ${JSON.stringify(want)}`, async () => {
    const got = await ends(ctx.mirror);
    return got.highWatermark === want.highWatermark && got.lastStableOffset === want.lastStableOffset;
  });
  return want;
}

function produce(ctx: Ctx, id: string, txn: 'commit' | 'abort', count: number, extra: string[] = []): Promise<RunResult> {
  return javaClient('ProduceRecords', [
    '--bootstrap', ctx.kafka.bootstrap, '--topic', TOPIC, '--partition', '0', '--count', String(count),
    '--key-prefix', `${id}-`, '--value-prefix', `${txn}-${id}-`, '--txn', txn, '--prop', `transactional.id=${id}`, ...extra,
  ]);
}

async function produced(r: Promise<RunResult>, count: number): Promise<void> {
  const done = await r;
  assert.is(done.code, 0, done.stderr);
  assert.is(jsonLines(done.stdout).length, count);
}

async function kcatProduce(ctx: Ctx, lines: string[]): Promise<void> {
  const r = await kcat(['-P', '-b', ctx.kafka.bootstrap, '-t', TOPIC, '-p', '0', '-K', ':'], { input: lines.join('\n') + '\n' });
  assert.is(r.code, 0, r.stderr);
}

/**
 * Runs a transaction that stays open, its records acknowledged, until end() is called: the Java
 * producer waits for a signal file. Resolves once its records are in Kafka's log.
 */
async function openTransaction(ctx: Ctx, id: string, txn: 'commit' | 'abort', count: number): Promise<{ firstOffset: number; end: () => Promise<void> }> {
  const firstOffset = (await ends(ctx.source)).highWatermark;
  const signal = join(ctx.dir, `end-${id}`);
  const run = produce(ctx, id, txn, count, ['--end-txn-when', signal]);
  await waitFor(`${id}'s records at Kafka`, async () => (await ends(ctx.source)).highWatermark === firstOffset + count);
  return {
    firstOffset,
    end: async () => {
      await writeFile(signal, '');
      await produced(run, count);
    },
  };
}

/** Every record the Java consumer reads from the log start to the end offset of its isolation level, as JSON lines. */
async function javaConsume(bootstrap: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<Record<string, unknown>[]> {
  const r = await javaClient('ConsumeRecords', ['--bootstrap', bootstrap, '--topic', TOPIC, '--to-end', 'true', '--timeout-ms', '30000', '--prop', `isolation.level=${isolation}`]);
  assert.is(r.code, 0, r.stderr);
  return jsonLines(r.stdout);
}

/** Every record librdkafka reads up to the end offset of its isolation level: "offset key value" lines. */
async function kcatConsume(bootstrap: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const r = await kcat(['-C', '-b', bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-X', `isolation.level=${isolation}`, '-f', '%o %k %s\\n']);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** A Fetch response's partition at `offset`, reduced to what must be the same at the source and the mirror. */
async function fetchAt(conn: KafkaConnection, topicId: string, offset: number, isolationLevel: number) {
  const version = conn.version('Fetch')!;
  const r = await conn.request('Fetch', version, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
    topics: [{ topic: TOPIC, topicId, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
  });
  assert.is(r.errorCode, 0);
  const p = r.responses[0].partitions[0];
  return {
    offset,
    error: errorName(p.errorCode),
    highWatermark: p.highWatermark,
    lastStableOffset: p.lastStableOffset,
    logStartOffset: p.logStartOffset,
    abortedTransactions: p.abortedTransactions,
    records: ((p.records as Buffer | null) ?? Buffer.alloc(0)).toString('base64'),
  };
}

/** The Fetch responses at every offset from the log start to the high watermark. */
async function fetchEveryOffset(conn: KafkaConnection, isolationLevel: number) {
  const { topicId, partitions } = await describeTopic(conn, TOPIC);
  const out = [];
  for (let offset = partitions[0]!.logStartOffset; offset <= partitions[0]!.highWatermark; offset++) out.push(await fetchAt(conn, topicId, offset, isolationLevel));
  return out;
}

/** The mirror as consumers see it: what the Java consumer and kcat read at both isolation levels, and every Fetch answer. */
async function consumerView(bootstrap: string, conn: KafkaConnection) {
  return {
    ends: await ends(conn),
    javaCommitted: await javaConsume(bootstrap, 'read_committed'),
    kcatCommitted: await kcatConsume(bootstrap, 'read_committed'),
    javaUncommitted: await javaConsume(bootstrap, 'read_uncommitted'),
    fetchCommitted: await fetchEveryOffset(conn, READ_COMMITTED),
  };
}

async function assertSameAsSource(ctx: Ctx): Promise<void> {
  const mirrorBootstrap = `127.0.0.1:${ctx.outpost.port}`;
  const [want, got] = [await consumerView(ctx.kafka.bootstrap, ctx.source), await consumerView(mirrorBootstrap, ctx.mirror)];
  assert.equal(got.ends, want.ends, 'high watermark and last stable offset');
  assert.equal(got.javaCommitted, want.javaCommitted, 'the Java consumer at read_committed');
  assert.equal(got.kcatCommitted, want.kcatCommitted, 'kcat at read_committed');
  assert.equal(got.javaUncommitted, want.javaUncommitted, 'the Java consumer at read_uncommitted');
  assert.equal(await kcatConsume(mirrorBootstrap, 'read_uncommitted'), await kcatConsume(ctx.kafka.bootstrap, 'read_uncommitted'), 'kcat at read_uncommitted');
  assert.equal(got.fetchCommitted, want.fetchCommitted, 'read_committed Fetch responses at every offset');
  assert.ok(got.fetchCommitted.some((f) => (f.abortedTransactions?.length ?? 0) > 0), 'aborted transactions are listed');
  assert.not.ok(got.javaCommitted.some((r) => String(r.value).startsWith('abort-')), 'no record of an aborted transaction is read_committed');
  assert.ok(got.javaUncommitted.some((r) => String(r.value).startsWith('abort-')), 'read_uncommitted reads them');
}

test.before(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'outpost-mirror-txns-'));
  ctx.kafka = await startKafka();
  console.log(`  kafka up at ${ctx.kafka.bootstrap} in ${startupTimes.at(-1)} ms`);
  ctx.source = await connectTo(ctx.kafka.port);
  await createTopic(ctx.kafka, TOPIC, 1);

  await kcatProduce(ctx, ['plain-0:before any transaction', 'plain-1:a second one']);
  await produced(produce(ctx, 'tx-committed', 'commit', 4), 4);
  await produced(produce(ctx, 'tx-aborted', 'abort', 4), 4);
  // Large enough records that Kafka's sparse offset index gets entries, which bound the aborted
  // transactions a Fetch lists.
  await produced(produce(ctx, 'tx-big', 'abort', 12, ['--value-size', '900']), 12);
  // Interleaved: a transaction aborted around one committed, with a plain record among them.
  const a = await openTransaction(ctx, 'tx-around', 'abort', 3);
  const b = await openTransaction(ctx, 'tx-inside', 'commit', 2);
  await kcatProduce(ctx, ['plain-2:between']);
  await a.end();
  await b.end();
  await produced(produce(ctx, 'tx-after', 'commit', 3, ['--value-size', '1500']), 3);

  const config = [
    'links:',
    `  - name: ${LINK}`,
    `    bootstrap.servers: ${ctx.kafka.bootstrap}`,
    `    source.cluster.id: ${ctx.kafka.clusterId}`,
    `    mirrors: [${TOPIC}]`,
  ];
  await writeFile(join(ctx.dir, 'outpost.yaml'), config.join('\n') + '\n');
  await startMirror(ctx);
  await caughtUp(ctx);
});

test.after(async (ctx) => {
  ctx.source?.close();
  if (ctx.outpost) await stopMirror(ctx, 'SIGKILL').catch(() => undefined);
  await ctx.kafka?.stop();
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
});

test('read_committed consumers of the mirror get what those of Kafka get; read_uncommitted ones everything', async (ctx) => {
  await assertSameAsSource(ctx);
});

test('an open transaction whose records reached the mirror before its marker holds the mirror\'s last stable offset back', async (ctx) => {
  // x's records, then y's; x aborts while y stays open. Kafka's last stable offset is then y's
  // first offset, so the link copies x's records but not yet x's marker, which lies beyond it.
  const x = await openTransaction(ctx, 'tx-x', 'abort', 3);
  const y = await openTransaction(ctx, 'tx-y', 'commit', 2);
  await x.end();
  assert.equal(await ends(ctx.source), { highWatermark: y.firstOffset + 3, lastStableOffset: y.firstOffset });
  await waitFor("x's records on the mirror", async () => (await ends(ctx.mirror)).highWatermark === y.firstOffset);
  assert.equal(await ends(ctx.mirror), { highWatermark: y.firstOffset, lastStableOffset: x.firstOffset }, 'x holds the mirror back');
  const { topicId } = await describeTopic(ctx.mirror, TOPIC);
  const held = await fetchAt(ctx.mirror, topicId, x.firstOffset, READ_COMMITTED);
  assert.equal([held.records, held.lastStableOffset, held.highWatermark, held.abortedTransactions], ['', x.firstOffset, y.firstOffset, []]);
  const mirrorBootstrap = `127.0.0.1:${ctx.outpost.port}`;
  const committed = await kcatConsume(mirrorBootstrap, 'read_committed');
  assert.ok(committed.length > 0 && committed.every((l) => Number(l.split(' ')[0]) < x.firstOffset), 'kcat stops below x');
  assert.ok((await kcatConsume(mirrorBootstrap, 'read_uncommitted')).some((l) => l.startsWith(`${x.firstOffset} tx-x-0 `)));

  // y commits: Kafka's last stable offset passes x's marker, which the link then copies.
  await y.end();
  const now = await caughtUp(ctx);
  assert.equal(now, { highWatermark: y.firstOffset + 4, lastStableOffset: y.firstOffset + 4 });
  await assertSameAsSource(ctx);
});

test('read_committed results are unchanged across a kill -9 and a clean restart of the mirroring outpost', async (ctx) => {
  // The same pattern again, so the mirror holds an open transaction across the restarts.
  const x = await openTransaction(ctx, 'tx-x2', 'abort', 2);
  const y = await openTransaction(ctx, 'tx-y2', 'commit', 2);
  await x.end();
  await waitFor("x2's records on the mirror", async () => (await ends(ctx.mirror)).highWatermark === y.firstOffset);
  const mirrorView = async () => consumerView(`127.0.0.1:${ctx.outpost.port}`, ctx.mirror);
  const before = await mirrorView();
  assert.equal(before.ends, { highWatermark: y.firstOffset, lastStableOffset: x.firstOffset });

  await stopMirror(ctx, 'SIGKILL');
  await startMirror(ctx);
  assert.equal(await mirrorView(), before, 'after kill -9');
  await stopMirror(ctx, 'SIGTERM');
  await startMirror(ctx);
  assert.equal(await mirrorView(), before, 'after a clean restart');

  await y.end();
  await caughtUp(ctx);
  // Stopped cleanly, the mirror has its active segment's .txnindex on disk: the same bytes as
  // Kafka's own, last stable offsets included.
  await stopMirror(ctx, 'SIGTERM');
  const txnIndexes = async (dir: string) => {
    const names = (await readdir(dir)).filter((n) => n.endsWith('.txnindex')).sort();
    return Promise.all(names.map(async (n) => [n, (await readFile(join(dir, n))).toString('hex')]));
  };
  const kafkaIndexes = await txnIndexes(join(ctx.kafka.dataDir, `${TOPIC}-0`));
  assert.ok(kafkaIndexes.length > 0);
  assert.equal(await txnIndexes(join(ctx.dir, 'data', `${TOPIC}-0`)), kafkaIndexes, ".txnindex files as Kafka's");
  await startMirror(ctx);
  await assertSameAsSource(ctx);
});

test('a failover with a transaction open at the source aborts it on the promoted topic', async (ctx) => {
  // x's records reach the mirror, its marker does not (y, still open, holds Kafka's LSO before it).
  const x = await openTransaction(ctx, 'tx-x3', 'commit', 2);
  const y = await openTransaction(ctx, 'tx-y3', 'commit', 1);
  await x.end();
  await waitFor("x3's records on the mirror", async () => (await ends(ctx.mirror)).highWatermark === y.firstOffset);
  assert.equal((await ends(ctx.mirror)).lastStableOffset, x.firstOffset);

  const admin = `http://127.0.0.1:${ctx.outpost.adminPort}/kafka/v3/clusters`;
  const clusterId = ((await (await fetch(admin)).json()) as { data: { cluster_id: string }[] }).data[0]!.cluster_id;
  const res = await fetch(`${admin}/${clusterId}/links/${LINK}/mirrors:failover`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mirror_topic_names: [TOPIC] }),
  });
  assert.is(res.status, 200, await res.text());
  // The promoted topic has x aborted (it cannot learn the outcome from the source any more).
  assert.equal(await ends(ctx.mirror), { highWatermark: y.firstOffset + 1, lastStableOffset: y.firstOffset + 1 });
  const { topicId } = await describeTopic(ctx.mirror, TOPIC);
  const r = await fetchAt(ctx.mirror, topicId, x.firstOffset, READ_COMMITTED);
  assert.equal((r.abortedTransactions ?? []).map((a: { firstOffset: unknown }) => Number(a.firstOffset)), [x.firstOffset]);
  const committed = await kcatConsume(`127.0.0.1:${ctx.outpost.port}`, 'read_committed');
  assert.not.ok(committed.some((l) => l.includes('tx-x3')), 'x3 is not read committed');
  await y.end();
});

test.run();
