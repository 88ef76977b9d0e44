// The link engine against a fake source (fake-source.ts) in virtual time: divergence and
// truncation, out of range, leader moves, an unreachable source, a source that answers garbage.
// No JVM and no waiting; the same engine is tested against a real Apache Kafka in
// mirror-kafka.test.ts and mirror-kafka-failover.test.ts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchHeader, iterateBatches } from '../../protocol/records/batch.js';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { LinkManager } from '../../src/link/link-manager.js';
import { LINK_STORE_FILE } from '../../src/link/link-store.js';
import { advanceUntil } from '../support/manual-clock.js';
import { closeEngine, openEngine, type Engine } from './engine-harness.js';

type Ctx = Engine;

const engine = suite<Ctx>('link engine against a fake source');

engine.before.each(async (ctx) => {
  Object.assign(ctx, await openEngine('outpost-engine-'));
});

engine.after.each((ctx) => closeEngine(ctx));

/** Moves virtual time in steps until `cond` holds, letting real I/O (the log's files) finish between steps. */
function until(ctx: Ctx, what: string, cond: () => boolean, stepMs = 100, steps = 600): Promise<void> {
  return advanceUntil(ctx.clock, what, cond, stepMs, steps);
}

/** The mirror log's batches as the source has them: bytes, from the log start. */
async function mirrored(ctx: Ctx, topic: string, partition: number): Promise<Buffer[]> {
  const log = ctx.logs.getLog(topic, partition)!;
  const out: Buffer[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset;) {
    const r = await log.read(offset, 1 << 20, { minOneBatch: true, upTo: 'hw' });
    if (!r.ok) throw new Error(r.reason);
    const buf = Buffer.concat(r.chunks);
    const it = iterateBatches(buf);
    let last = offset;
    for (let b = it.next(); !b.done; b = it.next()) {
      out.push(buf.subarray(b.value.pos, b.value.pos + b.value.size));
      last = new BatchHeader(buf, b.value.pos).lastOffset + 1;
    }
    if (last === offset) break;
    offset = last;
  }
  return out;
}

/** The source partition's batches, from its log start. */
function atSource(ctx: Ctx, topic: string, partition: number): Buffer[] {
  return ctx.source.partition(topic, partition).batches;
}

const endOf = (ctx: Ctx, topic: string, partition: number) => ctx.logs.getLog(topic, partition)!.logEndOffset;

async function mirror(ctx: Ctx, topic: string, partitions = 1): Promise<void> {
  ctx.source.createTopic(topic, partitions, { 'retention.ms': '3600000' });
  await ctx.links.createLink({ name: 'fake', bootstrapServers: 'fake-1:9092', configs: { 'replica.fetch.backoff.ms': '200', 'retry.backoff.ms': '100' } });
  await ctx.links.createMirror('fake', topic);
}

engine('mirrors the source byte for byte at its offsets, with its synced configs', async (ctx) => {
  await mirror(ctx, 'orders', 2);
  for (let i = 0; i < 5; i++) ctx.source.produce('orders', i % 2, 3);
  await until(ctx, 'both partitions caught up', () => endOf(ctx, 'orders', 0) === 9 && endOf(ctx, 'orders', 1) === 6);
  for (const p of [0, 1]) assert.equal(await mirrored(ctx, 'orders', p), atSource(ctx, 'orders', p));
  assert.is(ctx.logs.topic('orders')!.configs['retention.ms'], '3600000');
  const d = ctx.links.describeMirror('fake', 'orders');
  assert.is(d.state, 'ACTIVE');
  assert.equal(d.partitions.map((p) => [p.sourceLeaderId, p.lag]), [[1, 0], [2, 0]]);
});

engine('a source broker leading over 1,000 partitions is fetched in one more session, on its own connection; every partition is mirrored', async (ctx) => {
  await mirror(ctx, 'wide', 2100);
  const touched = Array.from({ length: 21 }, (_, i) => i * 100 + (i % 7));
  for (const p of touched) ctx.source.produce('wide', p, 2);
  await until(ctx, 'every written partition caught up', () => touched.every((p) => endOf(ctx, 'wide', p) === 2));
  for (const p of touched) assert.equal(await mirrored(ctx, 'wide', p), atSource(ctx, 'wide', p));
  assert.equal(ctx.links.describeLink('fake').fetchers, [{ broker: 1, partitions: 1050, sessions: 2 }, { broker: 2, partitions: 1050, sessions: 2 }]);
  assert.equal([...ctx.source.fetchLanes].sort(), ['1 fetch', '1 fetcher 1', '2 fetch', '2 fetcher 1']);
  // Records written after the spread reach the partitions of both sessions.
  for (const p of touched) ctx.source.produce('wide', p, 1);
  await until(ctx, 'the new records mirrored', () => touched.every((p) => endOf(ctx, 'wide', p) === 3));
});

engine('a source that diverged (an unclean election) is followed: the mirror truncates to where they agree', async (ctx) => {
  await mirror(ctx, 'diverge');
  ctx.source.produce('diverge', 0, 4, 'a'); // 0-3, epoch 0
  ctx.source.produce('diverge', 0, 4, 'a'); // 4-7, epoch 0
  await until(ctx, 'mirror at 8', () => endOf(ctx, 'diverge', 0) === 8);
  // The new leader lost 4-7 and writes other records there at epoch 1.
  ctx.source.truncateTo('diverge', 0, 4);
  ctx.source.produce('diverge', 0, 2, 'b');
  ctx.source.produce('diverge', 0, 3, 'b');
  await until(ctx, 'mirror equal to the source again', () => endOf(ctx, 'diverge', 0) === 9 && ctx.logs.getLog('diverge', 0)!.epochForOffset(8) === 1);
  assert.equal(await mirrored(ctx, 'diverge', 0), atSource(ctx, 'diverge', 0));
});

engine('a mirror behind a source that deleted its records restarts at the source log start', async (ctx) => {
  await mirror(ctx, 'range');
  ctx.source.produce('range', 0, 5);
  await until(ctx, 'mirror at 5', () => endOf(ctx, 'range', 0) === 5);
  // The mirror stops fetching (paused) while the source moves on and deletes all it had.
  await ctx.links.pauseMirrors('fake', ['range']);
  for (let i = 0; i < 4; i++) ctx.source.produce('range', 0, 5);
  ctx.source.deleteRecords('range', 0, 15);
  await ctx.links.resumeMirrors('fake', ['range']);
  await until(ctx, 'mirror caught up from 15', () => endOf(ctx, 'range', 0) === 25);
  assert.is(ctx.logs.getLog('range', 0)!.logStartOffset, 15);
  assert.equal(await mirrored(ctx, 'range', 0), atSource(ctx, 'range', 0));
});

engine('a leader move at the source: the mirror follows the new leader and its epoch', async (ctx) => {
  await mirror(ctx, 'moving');
  ctx.source.produce('moving', 0, 3);
  await until(ctx, 'mirror at 3', () => endOf(ctx, 'moving', 0) === 3);
  ctx.source.moveLeader('moving', 0, 2);
  ctx.source.produce('moving', 0, 3);
  await until(ctx, 'mirror at 6 from broker 2', () => endOf(ctx, 'moving', 0) === 6);
  const p = ctx.links.describeMirror('fake', 'moving').partitions[0]!;
  assert.equal([p.sourceLeaderId, p.sourceLeaderEpoch], [2, 1]);
  assert.is(ctx.logs.getLog('moving', 0)!.epochForOffset(5), 1);
  assert.equal(await mirrored(ctx, 'moving', 0), atSource(ctx, 'moving', 0));
});

engine('an unreachable source: the link says so, backs off, and carries on once it answers', async (ctx) => {
  await mirror(ctx, 'away');
  ctx.source.produce('away', 0, 2);
  await until(ctx, 'mirror at 2', () => endOf(ctx, 'away', 0) === 2);
  ctx.source.inject('metadata', { kind: 'error', message: 'connect ECONNREFUSED' }, 6);
  ctx.source.inject('fetch', { kind: 'error', message: 'read ECONNRESET' }, 6);
  ctx.source.produce('away', 0, 2);
  await until(ctx, 'the link unavailable', () => ctx.links.describeLink('fake').state === 'SOURCE_UNAVAILABLE', 1000);
  assert.match(ctx.links.describeLink('fake').lastError ?? '', /ECONNREFUSED/);
  const calls = ctx.source.calls.metadata;
  await ctx.clock.advance(300);
  // Backing off: not a call per fetch wait, but a few, doubling up to reconnect.backoff.max.ms.
  assert.ok(ctx.source.calls.metadata - calls <= 3, `${ctx.source.calls.metadata - calls} metadata calls in 300 ms`);
  await until(ctx, 'the link back and the mirror caught up', () => ctx.links.describeLink('fake').state === 'ACTIVE' && endOf(ctx, 'away', 0) === 4, 500);
  assert.equal(await mirrored(ctx, 'away', 0), atSource(ctx, 'away', 0));
});

engine('a source that answers garbage: nothing damaged lands, and mirroring resumes', async (ctx) => {
  await mirror(ctx, 'noise');
  ctx.source.produce('noise', 0, 3);
  await until(ctx, 'mirror at 3', () => endOf(ctx, 'noise', 0) === 3);
  // Batches damaged on the way (their CRC fails), then frames that do not decode at all.
  ctx.source.inject('fetch', { kind: 'corrupt' }, 3);
  ctx.source.produce('noise', 0, 3);
  const active = () => ctx.links.describeMirror('fake', 'noise').state === 'ACTIVE';
  await until(ctx, 'the damaged answers used up', () => ctx.source.pendingFaults('fetch') === 0 && endOf(ctx, 'noise', 0) === 6 && active(), 100, 1200);
  assert.equal(await mirrored(ctx, 'noise', 0), atSource(ctx, 'noise', 0));
  ctx.source.inject('fetch', { kind: 'garbage' }, 2);
  ctx.source.inject('epochEndOffsets', { kind: 'garbage' }, 1);
  ctx.source.produce('noise', 0, 3);
  await until(ctx, 'the undecodable answers used up', () => ctx.source.pendingFaults('fetch') + ctx.source.pendingFaults('epochEndOffsets') === 0 && endOf(ctx, 'noise', 0) === 9 && active(), 200);
  assert.equal(await mirrored(ctx, 'noise', 0), atSource(ctx, 'noise', 0));
});

engine('a slow source: a delayed answer holds only its own request', async (ctx) => {
  await mirror(ctx, 'slow');
  ctx.source.inject('fetch', { kind: 'delay', ms: 5000 });
  ctx.source.produce('slow', 0, 2);
  await ctx.clock.advance(1000);
  assert.is(endOf(ctx, 'slow', 0), 0, 'nothing before the delayed answer');
  await until(ctx, 'mirror at 2', () => endOf(ctx, 'slow', 0) === 2, 500);
  assert.equal(await mirrored(ctx, 'slow', 0), atSource(ctx, 'slow', 0));
});

engine('a failover is PENDING_STOPPED until it ends, and one a crash cut short ends at the next start', async (ctx) => {
  await mirror(ctx, 'standby');
  ctx.source.createTopic('cut-short', 1);
  await ctx.links.createMirror('fake', 'cut-short');
  ctx.source.produce('standby', 0, 3);
  ctx.source.produce('cut-short', 0, 4);
  await until(ctx, 'caught up', () => endOf(ctx, 'standby', 0) === 3 && endOf(ctx, 'cut-short', 0) === 4);
  // Seen between the stop's first durable step and its end.
  const seen = new Set<string>();
  let done = false;
  const stopping = ctx.links.stopMirrors('fake', ['standby'], 'failover').finally(() => (done = true));
  while (!done) {
    seen.add(ctx.links.describeMirror('fake', 'standby').state);
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(await stopping, [{ topic: 'standby', error: null }]);
  assert.ok(seen.has('PENDING_STOPPED'), [...seen].join());
  assert.is(ctx.links.describeMirror('fake', 'standby').state, 'STOPPED');

  // A crash after the stop was recorded, before it ended: the next start finishes it.
  const epochBefore = ctx.logs.getLog('cut-short', 0)!.epochForOffset(3);
  await ctx.links.close();
  const file = join(ctx.dir, LINK_STORE_FILE);
  const stored = JSON.parse(await readFile(file, 'utf8'));
  stored.links[0].mirrors.find((m: { topic: string }) => m.topic === 'cut-short').stopping = 'failover';
  await writeFile(file, JSON.stringify(stored));
  ctx.links = await LinkManager.open(ctx.dir, { logs: ctx.logs, logger: pino({ level: 'silent' }), registry: new Registry(), clock: ctx.clock, connect: () => ctx.source.connect() });
  assert.is(ctx.links.mirrorOf('cut-short'), undefined, 'an ordinary, writable topic');
  const d = ctx.links.describeMirror('fake', 'cut-short');
  assert.is(d.state, 'STOPPED');
  assert.match(d.reason!, /failed over .* at offsets 4/);
  const log = ctx.logs.getLog('cut-short', 0)!;
  assert.ok(log.leaderEpoch > epochBefore, 'a new leader epoch began');
});

engine.run();
