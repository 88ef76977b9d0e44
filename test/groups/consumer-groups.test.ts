// The consumer protocol's group state (KIP-848) in virtual time: a partition moves to a new member
// only after its owner has revoked it, epochs fence a stale member, a silent member is removed at
// its session timeout, and the range assignor gives contiguous ranges. The Java consumer runs the
// same protocol against outpost in test/server/groups-java.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConsumerGroups, DEFAULT_MEMBER_TIMING, type HeartbeatRequest } from '../../src/groups/consumer-groups.js';
import { ManualClock } from '../support/manual-clock.js';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const client = { clientId: 'c', clientHost: '/127.0.0.1' };

function setup(partitions = 4) {
  const clock = new ManualClock();
  const groups = new ConsumerGroups(clock, (name) => (name === 't' ? { topicId: TOPIC_ID, partitions } : undefined), () => ['t'], { info: () => undefined });
  const beat = (memberId: string, memberEpoch: number, owned: number[] | null, extra: Partial<HeartbeatRequest> = {}) =>
    groups.heartbeat({
      groupId: 'g', memberId, memberEpoch, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: memberEpoch === 0 ? ['t'] : null, subscribedTopicRegex: null, serverAssignor: null,
      ownedTopicPartitions: owned === null ? null : [{ topicId: TOPIC_ID, partitions: owned }], ...extra,
    }, client, 1);
  return { clock, groups, beat };
}

const partitionsOf = (r: ReturnType<ReturnType<typeof setup>['beat']>) => (r.error === 'NONE' && 'assignment' in r ? (r.assignment ?? []).flatMap((t) => t.partitions) : null);
const epochOf = (r: ReturnType<ReturnType<typeof setup>['beat']>) => (r.error === 'NONE' && 'memberEpoch' in r ? r.memberEpoch : null);

test('a joining member gets a partition only once its owner has revoked it', () => {
  const { beat } = setup();
  const a1 = beat('a', 0, []);
  assert.equal(partitionsOf(a1), [0, 1, 2, 3]);
  const ea = epochOf(a1)!;
  const b1 = beat('b', 0, []);
  // b's share is still a's: b gets nothing yet, at the new epoch.
  assert.equal(partitionsOf(b1), []);
  const eb = epochOf(b1)!;
  // a is told to give two up; its epoch stays until it has.
  const a2 = beat('a', ea, [0, 1, 2, 3]);
  assert.is(epochOf(a2), ea);
  const kept = partitionsOf(a2)!;
  assert.is(kept.length, 2);
  // Still owning them: nothing moves.
  assert.equal(partitionsOf(beat('b', eb, [])), []);
  const a3 = beat('a', ea, kept);
  assert.ok(epochOf(a3)! > ea, 'a moves to the new epoch once it has revoked');
  const b2 = partitionsOf(beat('b', eb, []))!;
  assert.equal([...kept, ...b2].sort(), [0, 1, 2, 3], 'b now has the other two');
});

test('a stale epoch is fenced; an unknown member is told so; a leave hands everything back', () => {
  const { beat } = setup();
  const ea = epochOf(beat('a', 0, []))!;
  const eb = epochOf(beat('b', 0, []))!;
  assert.is(beat('a', ea + 5, null).error, 'FENCED_MEMBER_EPOCH');
  assert.is(beat('nobody', 3, null).error, 'UNKNOWN_MEMBER_ID');
  assert.is(epochOf(beat('b', -1, null)), -1);
  // a keeps owning everything: no revocation needed, and it is back to all four at a new epoch.
  const a = beat('a', ea, [0, 1, 2, 3]);
  assert.equal(partitionsOf(a), [0, 1, 2, 3]);
  assert.ok(epochOf(a)! > eb);
});

test('a member that stops heartbeating is removed at its session timeout', async () => {
  const { clock, groups, beat } = setup();
  const ea = epochOf(beat('a', 0, []))!;
  beat('b', 0, []);
  await clock.advance(DEFAULT_MEMBER_TIMING.sessionTimeoutMs - 1000);
  beat('a', ea, [0, 1, 2, 3]);
  await clock.advance(2000);
  const d = groups.describe(['g'])[0]!;
  assert.equal(d.members.map((m) => m.memberId), ['a'], 'b timed out; a heartbeated');
});

test('the range assignor gives contiguous ranges; commits are checked against the member epoch', () => {
  const { groups, beat } = setup(5);
  const ea = epochOf(beat('a', 0, [], { serverAssignor: 'range' }))!;
  assert.equal(partitionsOf(beat('a', ea, [0, 1, 2, 3, 4])), [0, 1, 2, 3, 4]);
  const eb = epochOf(beat('b', 0, [], { serverAssignor: 'range' }))!;
  beat('a', ea, [0, 1, 2, 3, 4]);
  const a = beat('a', ea, [0, 1, 2]);
  assert.equal(partitionsOf(a), [0, 1, 2]);
  assert.equal(partitionsOf(beat('b', eb, [])), [3, 4]);
  assert.is(groups.validateCommit('g', 'a', epochOf(a)!), null);
  assert.is(groups.validateCommit('g', 'a', epochOf(a)! + 1), 'STALE_MEMBER_EPOCH');
  assert.is(groups.validateCommit('g', 'zed', 1), 'UNKNOWN_MEMBER_ID');
  assert.is(groups.validateCommit('g', '', -1), 'UNKNOWN_MEMBER_ID', 'no admin commit while the group has members');
  assert.is(beat('a', 0, [], { serverAssignor: 'sticky' }).error, 'UNSUPPORTED_ASSIGNOR');
  // DeleteGroups: not while it has members; once they have left, it goes.
  assert.not.ok(groups.delete('g'));
  beat('a', -1, null);
  beat('b', -1, null);
  assert.ok(groups.delete('g'));
  assert.not.ok(groups.has('g'));
});

test.run();
