// Cluster links from Apache Kafka 4.4.0 through the source's failures. A one-node source killed
// (and, separately, stopped gracefully) and restarted on the same port and data: the link and its
// mirror say SOURCE_UNAVAILABLE and why, the mirror keeps serving, and once Kafka is back they
// turn ACTIVE by themselves and catch up. A two-broker source with replicated partitions: the link
// fetches from each broker the partitions it leads, follows leadership moved by a reassignment and
// a preferred election and failed over from a killed broker, and fetches from that broker again
// once it is back. Every time the mirror ends byte-identical to the source at the same offsets.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Producer } from 'kafkajs';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import {
  electPreferredLeaders, kafkaTopics, reassignPartitions, startKafka, startKafkaCluster, type KafkaCluster, type KafkaPeer,
} from '../peers/kafka.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { LeaderReader, produceRounds, sameAsSource, sourceProducer, SteadyProducer } from './kafka-source.js';
import { connectTo, fetchBatches, mirrored, waitFor } from './support.js';

const LINK = 'failover';

/** GET on the admin listener's cluster-link REST API, under the broker's cluster. */
async function rest(outpost: TestBroker, path: string): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${outpost.adminPort}/kafka/v3/clusters/${outpost.clusterId}${path}`);
  assert.is(res.status, 200, `GET ${path}`);
  return res.json();
}

/** The link's partitions per source broker, as /metrics tells them. */
async function fetchersOnMetrics(outpost: TestBroker): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${outpost.adminPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const [, labels, value] of text.matchAll(/^outpost_cluster_link_fetch_partitions\{([^}]*)\} (\d+)$/gm)) {
    if (!labels!.includes(`link="${LINK}"`)) continue;
    out[/broker="(\d+)"/.exec(labels!)![1]!] = Number(value);
  }
  return out;
}

/**
 * Creates `topic` with the replicas listed per partition (the first is its preferred leader); a
 * leader may fail over to any in-sync replica, never to one that is behind.
 */
async function createReplicatedTopic(source: { bootstrap: string }, topic: string, assignment: number[][]): Promise<void> {
  const r = await kafkaTopics(source, ['--create', '--topic', topic, '--replica-assignment', assignment.map((rs) => rs.join(':')).join(','),
    '--config', 'min.insync.replicas=1', '--config', 'unclean.leader.election.enable=false']);
  assert.is(r.code, 0, r.stderr);
}

// ---------------------------------------------------------------------------------------------
// A one-node source that goes away and comes back

interface RestartCtx {
  kafka: KafkaPeer;
  outpost: TestBroker;
  source: LeaderReader;
  mirror: KafkaConnection;
  producer?: Producer;
}

const restart = suite<RestartCtx>('cluster links: a Kafka source that restarts');
const STEADY = 'steady';

restart.before(async (ctx) => {
  [ctx.kafka, ctx.outpost] = await Promise.all([startKafka(), startOutpost()]);
  ctx.source = new LeaderReader([ctx.kafka]);
  ctx.mirror = await connectTo(ctx.outpost.port);
});

restart.after(async (ctx) => {
  await ctx.producer?.disconnect().catch(() => undefined);
  ctx.source?.close();
  ctx.mirror?.close();
  await ctx.outpost?.destroy();
  await ctx.kafka?.stop();
});

/** Produces `rounds` rounds with a producer connected for the occasion (the broker may have restarted since). */
async function produceToSingle(ctx: RestartCtx, rounds: number, tag: string): Promise<void> {
  ctx.producer = sourceProducer(ctx.kafka.bootstrap);
  await ctx.producer.connect();
  await produceRounds(ctx.producer, STEADY, 2, rounds, tag);
  await ctx.producer.disconnect();
  ctx.producer = undefined;
}

restart('a mirror of a one-node Kafka follows it', async (ctx) => {
  await createReplicatedTopic(ctx.kafka, STEADY, [[1], [1]]);
  await produceToSingle(ctx, 5, 'first');
  await ctx.outpost.links.createLink({ name: LINK, bootstrapServers: ctx.kafka.bootstrap, sourceClusterId: ctx.kafka.clusterId, configs: {} });
  await ctx.outpost.links.createMirror(LINK, STEADY);
  await mirrored(ctx.outpost.links, LINK, STEADY, await ctx.source.ends(STEADY));
  assert.is(ctx.outpost.links.describeMirror(LINK, STEADY).state, 'ACTIVE');
  await sameAsSource(ctx.source, ctx.mirror, STEADY, 2);
});

/** Stops Kafka, checks what the link and the mirror say meanwhile, restarts it and checks the catch-up. */
async function outage(ctx: RestartCtx, graceful: boolean): Promise<void> {
  const held = await Promise.all([0, 1].map((p) => ctx.source.batches(STEADY, p)));
  const before = await ctx.source.ends(STEADY);
  const code = await ctx.kafka.stop({ graceful, keepData: true });
  // A JVM ends with 143 after SIGTERM; SIGKILL leaves no exit code.
  assert.is(code, graceful ? 143 : null);
  const stopped = Date.now();

  const link = await waitFor('the link to see Kafka gone', () => {
    const l = ctx.outpost.links.describeLink(LINK);
    return l.state === 'SOURCE_UNAVAILABLE' && l;
  });
  const noticed = Date.now() - stopped;
  assert.match(link.lastError ?? '', `cannot reach the source cluster at ${ctx.kafka.bootstrap}`);
  const mirror = await waitFor('the mirror SOURCE_UNAVAILABLE', () => {
    const m = ctx.outpost.links.describeMirror(LINK, STEADY);
    return m.state === 'SOURCE_UNAVAILABLE' && m;
  });
  assert.match(mirror.reason ?? '', /cannot reach the source cluster/);
  assert.ok(mirror.partitions.every((p) => p.state === 'SOURCE_UNAVAILABLE' && p.error), 'every partition says why');
  const linkRest = await rest(ctx.outpost, `/links/${LINK}`);
  assert.is(linkRest.link_state, 'SOURCE_UNAVAILABLE');
  assert.match(linkRest.link_error_message, /cannot reach the source cluster/);
  const mirrorRest = await rest(ctx.outpost, `/links/${LINK}/mirrors/${STEADY}`);
  assert.is(mirrorRest.mirror_status, 'SOURCE_UNAVAILABLE');
  assert.match(mirrorRest.mirror_status_reason, /cannot reach the source cluster/);
  // Consumers of the mirror still read everything it had.
  for (const p of [0, 1]) {
    const got = await fetchBatches(ctx.mirror, STEADY, p);
    assert.is(got.length, held[p]!.length);
    got.forEach((b, i) => assert.ok(b.equals(held[p]![i]!), `${STEADY}-${p}: batch ${i} while Kafka is down`));
  }

  await ctx.kafka.restart();
  const back = Date.now();
  await waitFor('the link ACTIVE again', () => ctx.outpost.links.describeLink(LINK).state === 'ACTIVE');
  await produceToSingle(ctx, 4, graceful ? 'after-graceful' : 'after-kill');
  const ends = await ctx.source.ends(STEADY);
  // At least: a retried produce may have landed twice, which the mirror must then copy too.
  ends.forEach((e, p) => assert.ok(e >= before[p]! + 4, `${STEADY}-${p}: Kafka kept its records and took the new ones`));
  await mirrored(ctx.outpost.links, LINK, STEADY, ends);
  await waitFor('the mirror ACTIVE again', () => ctx.outpost.links.describeMirror(LINK, STEADY).state === 'ACTIVE');
  assert.is((await rest(ctx.outpost, `/links/${LINK}/mirrors/${STEADY}`)).mirror_status, 'ACTIVE');
  console.log(`  ${graceful ? 'graceful stop' : 'SIGKILL'}: the link noticed in ${noticed} ms; the mirror caught up ${Date.now() - back} ms after Kafka was back`);
  await sameAsSource(ctx.source, ctx.mirror, STEADY, 2);
}

restart('Kafka killed: SOURCE_UNAVAILABLE with the reason while the mirror serves; restarted: ACTIVE and caught up', async (ctx) => {
  await outage(ctx, false);
});

restart('Kafka stopped gracefully: the same, and the mirror goes on from where it was', async (ctx) => {
  await outage(ctx, true);
});

restart.run();

// ---------------------------------------------------------------------------------------------
// A two-broker source whose partition leaders move

interface MoveCtx {
  cluster: KafkaCluster;
  outpost: TestBroker;
  source: LeaderReader;
  mirror: KafkaConnection;
  producer: Producer;
}

const moves = suite<MoveCtx>('cluster links: leader changes at a two-broker Kafka source');
const MOVING = 'moving';
const PARTITIONS = 4;

moves.before(async (ctx) => {
  [ctx.cluster, ctx.outpost] = await Promise.all([startKafkaCluster(2), startOutpost()]);
  ctx.source = new LeaderReader(ctx.cluster.nodes);
  ctx.mirror = await connectTo(ctx.outpost.port);
  ctx.producer = sourceProducer(ctx.cluster.bootstrap);
});

moves.after(async (ctx) => {
  await ctx.producer?.disconnect().catch(() => undefined);
  ctx.source?.close();
  ctx.mirror?.close();
  await ctx.outpost?.destroy();
  await ctx.cluster?.stop();
});

/** Waits until the link fetches each partition from the leader, at the epoch, the source names now. */
async function linkFollows(ctx: MoveCtx, leaders: number[]): Promise<void> {
  await waitFor(`the source's leaders to be ${leaders}`, async () => (await ctx.source.leaders(MOVING)).every((l, p) => l.leaderId === leaders[p]));
  const source = await ctx.source.leaders(MOVING);
  await waitFor(`the link to fetch from the leaders ${leaders}`, () =>
    ctx.outpost.links.describeMirror(LINK, MOVING).partitions.every((p) => p.sourceLeaderId === source[p.partition]!.leaderId && p.sourceLeaderEpoch === source[p.partition]!.leaderEpoch));
}

/** The partition count per broker that `leaders` makes. */
function load(leaders: number[]): { broker: number; partitions: number; sessions: number }[] {
  const per = new Map<number, number>();
  for (const l of leaders) per.set(l, (per.get(l) ?? 0) + 1);
  return [...per].sort(([a], [b]) => a - b).map(([broker, partitions]) => ({ broker, partitions, sessions: 1 }));
}

/** Produces round after round while `until` runs and for `more` rounds after it, then stops. */
async function produceThrough(ctx: MoveCtx, tag: string, until: () => Promise<void>, more = 20): Promise<SteadyProducer> {
  const steady = new SteadyProducer(ctx.producer, MOVING, PARTITIONS, tag);
  try {
    await waitFor('a first few rounds', () => steady.rounds >= 5);
    await until();
    const at = steady.rounds;
    await waitFor(`${more} more rounds`, () => steady.rounds >= at + more);
  } finally {
    await steady.stop();
  }
  return steady;
}

/** The mirror caught up with the source, ACTIVE, fetching per `leaders`, and identical to the source. */
async function settled(ctx: MoveCtx, leaders: number[]): Promise<number[][]> {
  await linkFollows(ctx, leaders);
  await mirrored(ctx.outpost.links, LINK, MOVING, await ctx.source.ends(MOVING));
  await waitFor('the mirror ACTIVE', () => ctx.outpost.links.describeMirror(LINK, MOVING).state === 'ACTIVE');
  assert.equal(ctx.outpost.links.describeLink(LINK).fetchers, load(leaders));
  assert.is(ctx.outpost.links.describeLink(LINK).state, 'ACTIVE');
  return sameAsSource(ctx.source, ctx.mirror, MOVING, PARTITIONS);
}

moves('the link fetches from each source broker the partitions it leads', async (ctx) => {
  await createReplicatedTopic(ctx.cluster, MOVING, [[1, 2], [2, 1], [1, 2], [2, 1]]);
  await ctx.producer.connect();
  await produceRounds(ctx.producer, MOVING, PARTITIONS, 6, 'first');
  await ctx.outpost.links.createLink({ name: LINK, bootstrapServers: ctx.cluster.bootstrap, sourceClusterId: ctx.cluster.clusterId, configs: {} });
  await ctx.outpost.links.createMirror(LINK, MOVING);
  await settled(ctx, [1, 2, 1, 2]);
  assert.equal(await fetchersOnMetrics(ctx.outpost), { 1: 2, 2: 2 }, 'one fetcher per source broker, each with the partitions that broker leads');
});

moves('leaders moved by a reassignment and a preferred election while producing: the link follows, nothing lost or doubled', async (ctx) => {
  const steady = await produceThrough(ctx, 'moving', async () => {
    const r = await reassignPartitions(ctx.cluster, MOVING, { 0: [2, 1], 1: [1, 2], 3: [1, 2] });
    assert.is(r.code, 0, r.stdout + r.stderr);
    const e = await electPreferredLeaders(ctx.cluster, MOVING, [0, 1, 3]);
    assert.is(e.code, 0, e.stdout + e.stderr);
    await linkFollows(ctx, [2, 1, 1, 1]);
  });
  const epochs = await settled(ctx, [2, 1, 1, 1]);
  assert.equal(await fetchersOnMetrics(ctx.outpost), { 1: 3, 2: 1 });
  for (const p of [0, 1, 3]) assert.ok(epochs[p]!.length >= 2, `${MOVING}-${p}: batches of the old and the new leader's epochs (${epochs[p]})`);
  console.log(`  ${steady.rounds} rounds produced through the move (${steady.failed} failed at the client)`);
});

moves('a killed broker: its partitions fail over, the link follows them and the mirror catches up', async (ctx) => {
  const started = Date.now();
  const steady = await produceThrough(ctx, 'failover', async () => {
    assert.is(await ctx.cluster.node(2).stop({ keepData: true }), null);
    await linkFollows(ctx, [1, 1, 1, 1]);
  });
  const epochs = await settled(ctx, [1, 1, 1, 1]);
  assert.equal(await fetchersOnMetrics(ctx.outpost), { 1: 4 }, 'the killed broker has no fetcher left');
  assert.ok(epochs[0]!.length >= 3, `${MOVING}-0: the failover's epoch too (${epochs[0]})`);
  console.log(`  failed over and caught up ${Date.now() - started} ms after the kill; ${steady.rounds} rounds produced (${steady.failed} failed at the client)`);
});

moves('the broker back and its preferred leadership restored: the link fetches from it again', async (ctx) => {
  await ctx.cluster.node(2).restart();
  await waitFor('broker 2 back in every ISR', async () => (await ctx.source.leaders(MOVING)).every((l) => l.isr.includes(2)));
  await produceThrough(ctx, 'restored', async () => {
    const e = await electPreferredLeaders(ctx.cluster, MOVING, [0]);
    assert.is(e.code, 0, e.stdout + e.stderr);
    await linkFollows(ctx, [2, 1, 1, 1]);
  });
  await settled(ctx, [2, 1, 1, 1]);
  assert.equal(await fetchersOnMetrics(ctx.outpost), { 1: 3, 2: 1 });
});

moves.run();
