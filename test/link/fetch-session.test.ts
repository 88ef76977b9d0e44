// The fetching side of KIP-227 fetch sessions: what each request carries, and how session errors
// and version changes start over. (test/link/mirror-kafka.test.ts runs it against Apache Kafka.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode } from '../../protocol/errors.js';
import { FetchSessionClient, type FetchPosition } from '../../src/link/fetch-session.js';

const ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const at = (fetchOffset: number, partition = 0): FetchPosition => ({
  topic: 't', topicId: ID, partition, fetchOffset, currentLeaderEpoch: 3, lastFetchedEpoch: 2, maxBytes: 100,
});
const offsets = (req: { topics: { partitions: any[] }[] }) => req.topics.flatMap((t) => t.partitions.map((p: any) => [p.partition, p.fetchOffset]));

test('a full request opens the session; then only changes travel, and dropped partitions are forgotten', () => {
  const s = new FetchSessionClient();
  const p0 = at(5, 0);
  const p1 = at(7, 1);
  s.want(p0, 13);
  s.want(p1, 13);
  const first = s.build(13);
  assert.equal([first.full, first.sessionId, first.sessionEpoch], [true, 0, 0]);
  assert.equal(first.topics, [{ topic: 't', topicId: ID, partitions: [
    { partition: 0, currentLeaderEpoch: 3, fetchOffset: 5, lastFetchedEpoch: 2, logStartOffset: -1, partitionMaxBytes: 100 },
    { partition: 1, currentLeaderEpoch: 3, fetchOffset: 7, lastFetchedEpoch: 2, logStartOffset: -1, partitionMaxBytes: 100 },
  ] }]);
  assert.is(s.onResponse(first, 0, 42), null);

  p0.fetchOffset = 6;
  s.want(p0, 13);
  s.want(p1, 13);
  const second = s.build(13);
  assert.equal([second.full, second.sessionId, second.sessionEpoch], [false, 42, 1]);
  assert.equal(offsets(second), [[0, 6]], 'only the partition that moved');
  assert.equal(second.forgottenTopicsData, []);
  s.onResponse(second, 0, 42);

  const idle = s.build(13);
  assert.equal([idle.sessionEpoch, idle.topics, idle.forgottenTopicsData], [2, [], []], 'nothing moved, nothing travels');
  s.onResponse(idle, 0, 42);

  s.drop(p1, 13);
  const third = s.build(13);
  assert.equal([third.sessionEpoch, third.topics], [3, []]);
  assert.equal(third.forgottenTopicsData, [{ topic: 't', topicId: ID, partitions: [1] }]);
  assert.is(s.requested(`${ID}:1`), undefined, 'an answer about a dropped partition is not matched');
  assert.is(s.requested(`${ID}:0`)?.pos, p0);
  s.onResponse(third, 0, 42);
  assert.equal(s.build(13).forgottenTopicsData, [], 'forgotten once');
});

test('a position not answered is sent again; a change back to what the broker holds is not sent', () => {
  const s = new FetchSessionClient();
  const p = at(5);
  s.want(p, 13);
  s.onResponse(s.build(13), 0, 42);
  p.fetchOffset = 6;
  s.want(p, 13);
  const unanswered = s.build(13);
  assert.equal(offsets(unanswered), [[0, 6]]);
  // No answer came (the request is built again, at the same epoch): it still says 6.
  assert.equal(offsets(s.build(13)), [[0, 6]]);
  p.fetchOffset = 5;
  s.want(p, 13);
  assert.equal(s.build(13).topics, [], 'the broker holds 5 already');
  p.currentLeaderEpoch = 4;
  s.want(p, 13);
  const epoch = s.build(13);
  assert.equal(epoch.topics[0]!.partitions.map((x: any) => x.currentLeaderEpoch), [4]);
  assert.is(s.requested(`${ID}:0`)?.sentLeaderEpoch, 4, 'answers are about the epoch sent');
});

test('a partition dropped while a request carrying it was out is forgotten after it', () => {
  const s = new FetchSessionClient();
  const p0 = at(1, 0);
  const p1 = at(1, 1);
  s.want(p0, 13);
  s.onResponse(s.build(13), 0, 42);
  s.want(p1, 13);
  const adding = s.build(13);
  assert.equal(offsets(adding), [[1, 1]]);
  s.drop(p1, 13);
  s.onResponse(adding, 0, 42);
  assert.equal(s.build(13).forgottenTopicsData, [{ topic: 't', topicId: ID, partitions: [1] }]);
});

test('another position under the same key is not dropped by the old one', () => {
  const s = new FetchSessionClient();
  const old = at(1);
  const made = at(0);
  s.want(old, 13);
  s.want(made, 13);
  s.drop(old, 13);
  assert.is(s.size, 1);
  assert.equal(offsets(s.build(13)), [[0, 0]]);
});

test('session errors and lost responses start over with a full request', () => {
  const s = new FetchSessionClient();
  const p = at(1);
  s.want(p, 13);
  s.onResponse(s.build(13), 0, 42);
  p.fetchOffset = 2;
  s.want(p, 13);
  const bad = s.build(13);
  assert.is(s.onResponse(bad, errorCode('INVALID_FETCH_SESSION_EPOCH'), 0), 'INVALID_FETCH_SESSION_EPOCH');
  const retry = s.build(13);
  assert.equal([retry.full, retry.sessionId, retry.sessionEpoch], [true, 42, 0], 'the full request replaces session 42');
  assert.equal(offsets(retry), [[0, 2]]);
  s.onResponse(retry, errorCode('FETCH_SESSION_ID_NOT_FOUND'), 0);
  assert.equal([s.build(13).sessionId], [0]);

  s.onResponse(s.build(13), 0, 43);
  s.reset();
  const full = s.build(13);
  assert.is(full.full, true);
  assert.equal(offsets(full), [[0, 2]], 'every wanted partition again');
});

test('a broker without free session slots, or before Fetch v7, gets full requests every time', () => {
  const s = new FetchSessionClient();
  s.want(at(1), 13);
  s.onResponse(s.build(13), 0, 0);
  assert.is(s.build(13).full, true);
  const old = new FetchSessionClient();
  old.want(at(1), 6);
  const r = old.build(6);
  assert.equal([r.full, r.sessionEpoch], [true, -1]);
  old.onResponse(r, 0, 0);
  assert.equal(old.build(6).topics.length, 1);
});

test('partitions are named by topic id from Fetch v13, by name before; a change of naming starts over', () => {
  const s = new FetchSessionClient();
  s.want(at(1), 13);
  s.onResponse(s.build(13), 0, 42);
  const byName = s.build(12);
  assert.is(byName.full, true);
  assert.equal(offsets(byName), [[0, 1]], 'the wanted partition, named anew');
  assert.is(s.requested('t:0')?.fetchOffset, 1);
});

test.run();
