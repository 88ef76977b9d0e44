// The group coordinator's state machine in virtual time: joins and the initial rebalance delay,
// assignment, session expiry, static membership, offset commit checks, reload from records,
// offset retention and the admin operations. Records go to memory, as the log would have them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { errorCode, errorName, type ErrorName } from '../../protocol/errors.js';
import type { JoinResponse, SyncResponse } from '../../src/groups/classic-group.js';
import { GroupCoordinator, type JoinRequest } from '../../src/groups/coordinator.js';
import { groupConfig, type GroupConfig } from '../../src/groups/group-config.js';
import { decodeCoordinatorRecord, type RawRecord } from '../../src/groups/coordinator-records.js';
import type { RecordSink } from '../../src/groups/offsets-topic.js';
import { ManualClock, settle } from '../support/manual-clock.js';

const logger = pino({ level: 'silent' });
const client = { clientId: 'client', clientHost: '/127.0.0.1' };

/** A ConsumerProtocolSubscription v0: the topics, no user data. */
function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  return Buffer.concat(parts);
}

class MemorySink implements RecordSink {
  readonly records: (RawRecord & { groupId: string })[] = [];
  failWith: ErrorName | null = null;
  async append(groupId: string, records: RawRecord[]): Promise<ErrorName | null> {
    await settle();
    if (this.failWith) return this.failWith;
    for (const r of records) this.records.push({ groupId, ...r });
    return null;
  }
  partitionFor(): number {
    return 0;
  }
}

interface Harness {
  clock: ManualClock;
  sink: MemorySink;
  c: GroupCoordinator;
}

function harness(overrides: Partial<GroupConfig> = {}, sink = new MemorySink(), clock = new ManualClock()): Harness {
  const config = { ...groupConfig({ 'group.min.session.timeout.ms': '1000' }), ...overrides };
  const c = new GroupCoordinator(config, sink, logger, clock);
  c.finishLoading();
  return { clock, sink, c };
}

function joinRequest(groupId: string, memberId: string, extra: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId, memberId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000, groupInstanceId: null, protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }], ...extra,
  };
}

/** A parked request whose answer a test can look at without awaiting it. */
function track<T>(p: Promise<T>): { done: () => boolean; value: () => T } {
  let result: { v: T } | null = null;
  void p.then((v) => (result = { v }));
  return { done: () => result !== null, value: () => result!.v };
}

const err = (r: { errorCode: number }) => errorName(r.errorCode);

/** Forms a stable group of `n` dynamic members; returns their ids (leader first) and the generation. */
async function formGroup(h: Harness, groupId: string, n: number, extra: Partial<JoinRequest> = {}): Promise<{ ids: string[]; generation: number }> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await h.c.joinGroup(joinRequest(groupId, '', extra), client, true);
    assert.is(err(r), 'MEMBER_ID_REQUIRED');
    ids.push(r.memberId);
  }
  const joins = ids.map((id) => track(h.c.joinGroup(joinRequest(groupId, id, extra), client, true)));
  await h.clock.advance(h.c.config.initialRebalanceDelayMs * (n + 1));
  const responses = joins.map((j) => j.value());
  const leader = responses[0]!.leader;
  const generation = responses[0]!.generationId;
  const syncs = responses.map((r) =>
    track(h.c.syncGroup({
      groupId, generationId: generation, memberId: r.memberId, groupInstanceId: extra.groupInstanceId ?? null, protocolType: 'consumer', protocolName: 'range',
      assignments: r.memberId === leader ? responses.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(m.memberId) })) : [],
    })),
  );
  await settle();
  await settle();
  for (const s of syncs) assert.is(err(s.value()), 'NONE');
  return { ids: [leader, ...ids.filter((id) => id !== leader)], generation };
}

const stateOf = (h: Harness, groupId: string) => h.c.describeGroups([groupId])[0]!.groupState;

test('new members are given an id, then join one generation after the initial rebalance delay', async () => {
  const h = harness({ initialRebalanceDelayMs: 3000 });
  const first = await h.c.joinGroup(joinRequest('g', ''), client, true);
  assert.is(err(first), 'MEMBER_ID_REQUIRED');
  assert.match(first.memberId, /^client-[0-9a-f-]{36}$/);
  const second = await h.c.joinGroup(joinRequest('g', ''), client, true);
  const a = track(h.c.joinGroup(joinRequest('g', first.memberId), client, true));
  const b = track(h.c.joinGroup(joinRequest('g', second.memberId), client, true));
  // The second member arrived during the first delay, which is therefore extended once.
  await h.clock.advance(5999);
  assert.not.ok(a.done() || b.done(), 'still in the initial delay');
  await h.clock.advance(1);
  const [ra, rb] = [a.value(), b.value()];
  assert.is(err(ra), 'NONE');
  assert.is(ra.generationId, 1);
  assert.is(rb.generationId, 1);
  assert.is(ra.leader, first.memberId);
  assert.is(ra.protocolName, 'range');
  assert.equal(ra.members.map((m) => m.memberId), [first.memberId, second.memberId]);
  assert.equal(rb.members, [], 'only the leader learns the members');
  assert.is(stateOf(h, 'g'), 'CompletingRebalance');
});

test('the leader\'s assignment is stored, then handed to every member, and the group is stable', async () => {
  const h = harness({ initialRebalanceDelayMs: 0 });
  const ids = [(await h.c.joinGroup(joinRequest('g', ''), client, true)).memberId, (await h.c.joinGroup(joinRequest('g', ''), client, true)).memberId];
  const joins = ids.map((id) => track(h.c.joinGroup(joinRequest('g', id), client, true)));
  await h.clock.advance(0);
  const gen = joins[0]!.value().generationId;
  const sync = (memberId: string, assignments: { memberId: string; assignment: Buffer }[]) =>
    track(h.c.syncGroup({ groupId: 'g', generationId: gen, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments }));
  const follower = sync(ids[1]!, []);
  await settle();
  assert.not.ok(follower.done(), 'the follower waits for the leader');
  const commitEarly = await h.c.commitOffsets({ groupId: 'g', generationId: gen, memberId: ids[1]!, groupInstanceId: null, retentionTimeMs: -1, unknownGroupError: 'GROUP_ID_NOT_FOUND', partitions: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] });
  assert.equal(commitEarly, ['REBALANCE_IN_PROGRESS']);
  const leader = sync(ids[0]!, [{ memberId: ids[0]!, assignment: Buffer.from('A') }, { memberId: ids[1]!, assignment: Buffer.from('B') }]);
  await settle();
  await settle();
  assert.equal((leader.value() as SyncResponse).assignment, Buffer.from('A'));
  assert.equal((follower.value() as SyncResponse).assignment, Buffer.from('B'));
  assert.is(follower.value().protocolName, 'range');
  assert.is(stateOf(h, 'g'), 'Stable');
  const described = h.c.describeGroups(['g'])[0]!;
  assert.equal(described.members.map((m) => m.memberAssignment.toString()), ['A', 'B']);
  assert.is(described.protocolData, 'range');
  const stored = decodeCoordinatorRecord(h.sink.records.at(-1)!.key, h.sink.records.at(-1)!.value);
  assert.is(stored?.type, 'group');
  if (stored?.type === 'group') {
    assert.is(stored.value!.generation, gen);
    assert.equal(stored.value!.members.map((m) => m.assignment.toString()), ['A', 'B']);
  }
});

test('a member that stops heartbeating is removed after its session timeout and the others rebalance', async () => {
  const h = harness({ initialRebalanceDelayMs: 0 });
  const { ids, generation } = await formGroup(h, 'g', 2);
  const [keep, silent] = ids as [string, string];
  const beat = () => h.c.heartbeat({ groupId: 'g', generationId: generation, memberId: keep, groupInstanceId: null });
  for (let t = 0; t < 9000; t += 3000) {
    await h.clock.advance(3000);
    assert.is(beat(), 'NONE');
  }
  await h.clock.advance(1500);
  assert.is(stateOf(h, 'g'), 'PreparingRebalance', 'the silent member is gone');
  assert.is(beat(), 'REBALANCE_IN_PROGRESS');
  const rejoin = await h.c.joinGroup(joinRequest('g', keep), client, true);
  assert.is(err(rejoin), 'NONE');
  assert.is(rejoin.generationId, generation + 1);
  assert.equal(rejoin.members.map((m) => m.memberId), [keep]);
  assert.is(h.c.heartbeat({ groupId: 'g', generationId: generation, memberId: silent, groupInstanceId: null }), 'UNKNOWN_MEMBER_ID');
});

test('a member that does not rejoin within the rebalance timeout is left out of the next generation', async () => {
  const h = harness({ initialRebalanceDelayMs: 0 });
  const { ids, generation } = await formGroup(h, 'g', 2, { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 20_000 });
  // The leader rejoins (as it does to make the group reassign); the follower never does.
  const rejoin = track(h.c.joinGroup(joinRequest('g', ids[0]!, { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 20_000 }), client, true));
  await h.clock.advance(19_999);
  assert.not.ok(rejoin.done());
  await h.clock.advance(1);
  assert.is(rejoin.value().generationId, generation + 1);
  assert.equal(rejoin.value().members.map((m) => m.memberId), [ids[0]]);
  assert.is(h.c.describeGroups(['g'])[0]!.members.length, 1);
});

test('offset commits are checked against the member and its generation, as Kafka checks them', async () => {
  const h = harness({ initialRebalanceDelayMs: 0 });
  const { ids, generation } = await formGroup(h, 'g', 1);
  const commit = (o: { groupId?: string; generationId: number; memberId: string; groupInstanceId?: string | null; unknownGroupError?: 'GROUP_ID_NOT_FOUND' | 'ILLEGAL_GENERATION' }) =>
    h.c.commitOffsets({
      groupId: o.groupId ?? 'g', generationId: o.generationId, memberId: o.memberId, groupInstanceId: o.groupInstanceId ?? null, retentionTimeMs: -1,
      unknownGroupError: o.unknownGroupError ?? 'GROUP_ID_NOT_FOUND', partitions: [{ topic: 't', partition: 0, offset: 42, leaderEpoch: 3, metadata: 'm' }],
    });
  assert.equal(await commit({ generationId: generation, memberId: ids[0]! }), ['NONE']);
  assert.equal(await commit({ generationId: generation + 1, memberId: ids[0]! }), ['ILLEGAL_GENERATION']);
  assert.equal(await commit({ generationId: generation, memberId: 'stranger' }), ['UNKNOWN_MEMBER_ID']);
  assert.equal(await commit({ generationId: -1, memberId: '' }), ['UNKNOWN_MEMBER_ID'], 'no generation while the group has members');
  assert.equal(await commit({ generationId: generation, memberId: ids[0]!, groupInstanceId: 'someone' }), ['UNKNOWN_MEMBER_ID']);
  assert.equal(await commit({ groupId: 'nope', generationId: 3, memberId: 'm' }), ['GROUP_ID_NOT_FOUND']);
  assert.equal(await commit({ groupId: 'nope', generationId: 3, memberId: 'm', unknownGroupError: 'ILLEGAL_GENERATION' }), ['ILLEGAL_GENERATION']);
  // A consumer that assigns its own partitions commits without a generation into a simple group.
  assert.equal(await commit({ groupId: 'manual', generationId: -1, memberId: '' }), ['NONE']);
  assert.equal(h.c.listGroups([], []).find((g) => g.groupId === 'manual'), { groupId: 'manual', protocolType: '', groupState: 'Empty', groupType: 'classic' });
  const fetched = h.c.fetchOffsets('g', [{ name: 't', partitionIndexes: [0, 1] }]).topics[0]!.partitions;
  assert.equal(fetched, [
    { partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 3, metadata: 'm', errorCode: 0 },
    { partitionIndex: 1, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
  ]);
  const tooLarge = await h.c.commitOffsets({
    groupId: 'manual', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, unknownGroupError: 'GROUP_ID_NOT_FOUND',
    partitions: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: 'x'.repeat(4097) }, { topic: 't', partition: 1, offset: 1, leaderEpoch: -1, metadata: null }],
  });
  assert.equal(tooLarge, ['OFFSET_METADATA_TOO_LARGE', 'NONE']);
});

test('a commit is acknowledged only once its records are appended; a failed append fails it', async () => {
  const h = harness();
  h.sink.failWith = 'COORDINATOR_NOT_AVAILABLE';
  const r = await h.c.commitOffsets({ groupId: 'm', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, unknownGroupError: 'GROUP_ID_NOT_FOUND', partitions: [{ topic: 't', partition: 0, offset: 5, leaderEpoch: -1, metadata: null }] });
  assert.equal(r, ['COORDINATOR_NOT_AVAILABLE']);
  assert.equal(h.c.fetchOffsets('m', null).topics, [], 'nothing applied that is not in the log');
});

test('a static member that comes back with a new id takes over its place without a rebalance', async () => {
  const h = harness({ initialRebalanceDelayMs: 0 });
  const a = track(h.c.joinGroup(joinRequest('s', '', { groupInstanceId: 'instance-a' }), client, true));
  await h.clock.advance(0);
  const joined = a.value();
  assert.is(err(joined), 'NONE', 'static members get no MEMBER_ID_REQUIRED');
  assert.match(joined.memberId, /^instance-a-/);
  const synced = await h.c.syncGroup({ groupId: 's', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: 'instance-a', protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: joined.memberId, assignment: Buffer.from('P') }] });
  assert.is(err(synced), 'NONE');
  const again = await h.c.joinGroup(joinRequest('s', '', { groupInstanceId: 'instance-a' }), client, true);
  assert.is(err(again), 'NONE');
  assert.is.not(again.memberId, joined.memberId);
  assert.is(again.generationId, joined.generationId, 'no new generation');
  assert.ok(again.skipAssignment, 'the leader keeps the current assignment');
  assert.is(stateOf(h, 's'), 'Stable');
  assert.is(h.c.heartbeat({ groupId: 's', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: 'instance-a' }), 'FENCED_INSTANCE_ID');
  const commit = await h.c.commitOffsets({ groupId: 's', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: 'instance-a', retentionTimeMs: -1, unknownGroupError: 'GROUP_ID_NOT_FOUND', partitions: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] });
  assert.equal(commit, ['FENCED_INSTANCE_ID']);
  const resync = await h.c.syncGroup({ groupId: 's', generationId: again.generationId, memberId: again.memberId, groupInstanceId: 'instance-a', protocolType: 'consumer', protocolName: 'range', assignments: [] });
  assert.equal(resync.assignment, Buffer.from('P'), 'the assignment carried over');
  const left = h.c.leaveGroup('s', [{ memberId: '', groupInstanceId: 'instance-a' }]);
  assert.equal(left.members.map((m) => m.errorCode), [0]);
  assert.is(stateOf(h, 's'), 'Empty');
});

test('LeaveGroup removes several members at once and reports unknown ones', async () => {
  const h = harness({ initialRebalanceDelayMs: 0 });
  const { ids } = await formGroup(h, 'g', 3);
  const r = h.c.leaveGroup('g', [{ memberId: ids[1]!, groupInstanceId: null }, { memberId: 'ghost', groupInstanceId: null }, { memberId: ids[2]!, groupInstanceId: null }]);
  assert.equal(r.members.map((m) => errorName(m.errorCode)), ['NONE', 'UNKNOWN_MEMBER_ID', 'NONE']);
  assert.is(stateOf(h, 'g'), 'PreparingRebalance');
  assert.equal(h.c.leaveGroup('missing', [{ memberId: 'x', groupInstanceId: null }]).members.map((m) => errorName(m.errorCode)), ['UNKNOWN_MEMBER_ID']);
});

test('the protocol is chosen among those every member supports, by the members\' preferences', async () => {
  const h = harness({ initialRebalanceDelayMs: 0 });
  const sub = subscription(['t']);
  const both = [{ name: 'range', metadata: sub }, { name: 'cooperative-sticky', metadata: sub }];
  const onlySticky = [{ name: 'cooperative-sticky', metadata: sub }];
  const a = await h.c.joinGroup(joinRequest('p', '', { protocols: both }), client, true);
  const b = await h.c.joinGroup(joinRequest('p', '', { protocols: onlySticky }), client, true);
  const ja = track(h.c.joinGroup(joinRequest('p', a.memberId, { protocols: both }), client, true));
  const jb = track(h.c.joinGroup(joinRequest('p', b.memberId, { protocols: onlySticky }), client, true));
  await h.clock.advance(0);
  assert.is(ja.value().protocolName, 'cooperative-sticky');
  assert.is(jb.value().protocolName, 'cooperative-sticky');
  const c = await h.c.joinGroup(joinRequest('p', '', { protocols: [{ name: 'roundrobin', metadata: sub }] }), client, true);
  assert.is(err(c), 'INCONSISTENT_GROUP_PROTOCOL');
  const d = await h.c.joinGroup(joinRequest('p', '', { protocolType: 'connect', protocols: onlySticky }), client, true);
  assert.is(err(d), 'INCONSISTENT_GROUP_PROTOCOL');
});

test('join requests are checked: group id, session timeout, unknown member, group size', async () => {
  const h = harness({ initialRebalanceDelayMs: 0, maxGroupSize: 1 });
  assert.is(err(await h.c.joinGroup(joinRequest('', ''), client, true)), 'INVALID_GROUP_ID');
  assert.is(err(await h.c.joinGroup(joinRequest('g', '', { sessionTimeoutMs: 999 }), client, true)), 'INVALID_SESSION_TIMEOUT');
  assert.is(err(await h.c.joinGroup(joinRequest('g', '', { sessionTimeoutMs: 1_800_001 }), client, true)), 'INVALID_SESSION_TIMEOUT');
  assert.is(err(await h.c.joinGroup(joinRequest('nope', 'who'), client, true)), 'UNKNOWN_MEMBER_ID');
  await formGroup(h, 'g', 1);
  const extra = await h.c.joinGroup(joinRequest('g', ''), client, false);
  assert.is(err(extra), 'GROUP_MAX_SIZE_REACHED');
  // Before JoinGroup v4 a new member joins at once, without MEMBER_ID_REQUIRED.
  const old = track(h.c.joinGroup(joinRequest('v3', ''), client, false));
  await h.clock.advance(0);
  assert.is(err(old.value()), 'NONE');
});

test('groups and offsets come back from their records, members in their generation', async () => {
  const h = harness({ initialRebalanceDelayMs: 0 });
  const { ids, generation } = await formGroup(h, 'g', 2);
  const commit = (group: string, gen: number, memberId: string, offset: number) =>
    h.c.commitOffsets({ groupId: group, generationId: gen, memberId, groupInstanceId: null, retentionTimeMs: -1, unknownGroupError: 'GROUP_ID_NOT_FOUND', partitions: [{ topic: 't', partition: 0, offset, leaderEpoch: 7, metadata: `at ${offset}` }] });
  await commit('g', generation, ids[0]!, 10);
  await commit('g', generation, ids[0]!, 20);
  await commit('manual', -1, '', 5);
  await commit('gone', -1, '', 1);
  assert.equal(await h.c.deleteGroups(['gone']), [{ groupId: 'gone', errorCode: 0 }]);

  const clock = new ManualClock();
  const reloaded = new GroupCoordinator(h.c.config, new MemorySink(), logger, clock);
  for (const r of h.sink.records) reloaded.replay(r.key, r.value);
  reloaded.finishLoading();
  assert.equal(reloaded.fetchOffsets('g', null).topics, [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 20, committedLeaderEpoch: 7, metadata: 'at 20', errorCode: 0 }] }]);
  assert.is(reloaded.fetchOffsets('manual', null).topics[0]!.partitions[0]!.committedOffset, 5);
  assert.equal(reloaded.fetchOffsets('gone', null).topics, []);
  assert.equal(reloaded.listGroups([], []).map((g) => g.groupId).sort(), ['g', 'manual']);
  const described = reloaded.describeGroups(['g'])[0]!;
  assert.is(described.groupState, 'Stable');
  assert.equal(described.members.map((m) => m.memberId).sort(), [...ids].sort());
  // The members carry on in their generation; one that stays silent is expired as usual.
  assert.is(reloaded.heartbeat({ groupId: 'g', generationId: generation, memberId: ids[0]!, groupInstanceId: null }), 'NONE');
  await clock.advance(9000);
  assert.is(reloaded.heartbeat({ groupId: 'g', generationId: generation, memberId: ids[0]!, groupInstanceId: null }), 'NONE');
  await clock.advance(2000);
  assert.is(reloaded.describeGroups(['g'])[0]!.groupState, 'PreparingRebalance');
});

test('offsets expire offsets.retention.minutes after the commit, or after the group became empty', async () => {
  const h = harness({ initialRebalanceDelayMs: 0, offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
  const part = (topic: string, offset: number) => ({ topic, partition: 0, offset, leaderEpoch: -1, metadata: null });
  await h.c.commitOffsets({ groupId: 'manual', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, unknownGroupError: 'GROUP_ID_NOT_FOUND', partitions: [part('t', 1)] });
  const { ids, generation } = await formGroup(h, 'g', 1);
  await h.c.commitOffsets({ groupId: 'g', generationId: generation, memberId: ids[0]!, groupInstanceId: null, retentionTimeMs: -1, unknownGroupError: 'GROUP_ID_NOT_FOUND', partitions: [part('t', 1), part('other', 2)] });
  for (let i = 0; i < 7; i++) {
    await h.clock.advance(9000);
    h.c.heartbeat({ groupId: 'g', generationId: generation, memberId: ids[0]!, groupInstanceId: null });
  }
  // 63 s on: the simple group's offset and the stable group's offset of a topic it does not consume are gone.
  assert.equal(h.c.listGroups([], []).map((g) => g.groupId), ['g'], 'the simple group went with its last offset');
  assert.equal(h.c.fetchOffsets('g', null).topics.map((t) => t.name), ['t']);
  h.c.leaveGroup('g', [{ memberId: ids[0]!, groupInstanceId: null }]);
  assert.is(stateOf(h, 'g'), 'Empty');
  await h.clock.advance(50_000);
  assert.equal(h.c.fetchOffsets('g', null).topics.map((t) => t.name), ['t'], 'kept: empty for less than the retention');
  await h.clock.advance(20_000);
  assert.equal(h.c.fetchOffsets('g', null).topics, []);
  assert.is(stateOf(h, 'g'), 'Dead', 'the empty group went with its offsets');
  const tombstones = h.sink.records.filter((r) => r.value === null).map((r) => decodeCoordinatorRecord(r.key, null)!.type);
  assert.equal(tombstones.sort(), ['group', 'group', 'offset', 'offset', 'offset']);
});

test('DeleteGroups deletes only empty groups; OffsetDelete spares the topics a group consumes', async () => {
  const h = harness({ initialRebalanceDelayMs: 0 });
  const { ids, generation } = await formGroup(h, 'g', 1);
  await h.c.commitOffsets({ groupId: 'g', generationId: generation, memberId: ids[0]!, groupInstanceId: null, retentionTimeMs: -1, unknownGroupError: 'GROUP_ID_NOT_FOUND', partitions: [{ topic: 't', partition: 0, offset: 3, leaderEpoch: -1, metadata: null }, { topic: 'old', partition: 0, offset: 9, leaderEpoch: -1, metadata: null }] });
  assert.equal((await h.c.deleteGroups(['g', 'missing'])).map((r) => errorName(r.errorCode)), ['NON_EMPTY_GROUP', 'GROUP_ID_NOT_FOUND']);
  const deleted = await h.c.deleteOffsets('g', [{ name: 't', partitions: [0] }, { name: 'old', partitions: [0] }]);
  assert.equal(deleted.topics.map((t) => errorName(t.partitions[0]!.errorCode)), ['GROUP_SUBSCRIBED_TO_TOPIC', 'NONE']);
  assert.equal(h.c.fetchOffsets('g', null).topics.map((t) => t.name), ['t']);
  assert.is((await h.c.deleteOffsets('missing', [])).error, 'GROUP_ID_NOT_FOUND');
  h.c.leaveGroup('g', [{ memberId: ids[0]!, groupInstanceId: null }]);
  assert.equal(await h.c.deleteGroups(['g']), [{ groupId: 'g', errorCode: 0 }]);
  assert.equal(h.c.fetchOffsets('g', null).topics, []);
  assert.is(stateOf(h, 'g'), 'Dead');
});

test('ListGroups filters by state and by type, ignoring case', async () => {
  const h = harness({ initialRebalanceDelayMs: 0 });
  await formGroup(h, 'stable', 1);
  await h.c.commitOffsets({ groupId: 'manual', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, unknownGroupError: 'GROUP_ID_NOT_FOUND', partitions: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] });
  assert.equal(h.c.listGroups(['STABLE'], []).map((g) => g.groupId), ['stable']);
  assert.equal(h.c.listGroups(['empty'], ['Classic']).map((g) => g.groupId), ['manual']);
  assert.equal(h.c.listGroups([], ['consumer']), []);
});

test('close() answers parked requests so that the broker can drain its connections', async () => {
  const h = harness({ initialRebalanceDelayMs: 5000 });
  const id = (await h.c.joinGroup(joinRequest('g', ''), client, true)).memberId;
  const parked = track(h.c.joinGroup(joinRequest('g', id), client, true));
  await settle();
  h.c.close();
  await settle();
  assert.is(err(parked.value() as JoinResponse), 'NOT_COORDINATOR');
  assert.is(h.c.heartbeat({ groupId: 'g', generationId: 0, memberId: id, groupInstanceId: null }), 'NOT_COORDINATOR');
  assert.is(errorCode('NOT_COORDINATOR'), 16);
});

test.run();
