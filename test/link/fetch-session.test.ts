// The fetching side of KIP-227 fetch sessions: what each request carries, and how session errors
// and version changes start over. (test/link/mirror-kafka.test.ts runs it against Apache Kafka.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCode } from '../../protocol/errors.js';
import { FetchSessionClient, type FetchPosition } from '../../src/link/fetch-session.js';

const at = (fetchOffset: number, partition = 0): FetchPosition => ({
  topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partition, fetchOffset, currentLeaderEpoch: 3, lastFetchedEpoch: 2, maxBytes: 100,
});

test('a full request opens the session; then only changes travel, and dropped partitions are forgotten', () => {
  const s = new FetchSessionClient();
  const first = s.build([at(5, 0), at(7, 1)], 13);
  assert.equal([first.full, first.sessionId, first.sessionEpoch], [true, 0, 0]);
  assert.equal(first.topics, [{ topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [
    { partition: 0, currentLeaderEpoch: 3, fetchOffset: 5, lastFetchedEpoch: 2, logStartOffset: -1, partitionMaxBytes: 100 },
    { partition: 1, currentLeaderEpoch: 3, fetchOffset: 7, lastFetchedEpoch: 2, logStartOffset: -1, partitionMaxBytes: 100 },
  ] }]);
  assert.is(s.onResponse(first, 0, 42), null);

  const second = s.build([at(6, 0), at(7, 1)], 13);
  assert.equal([second.full, second.sessionId, second.sessionEpoch], [false, 42, 1]);
  assert.equal(second.topics[0].partitions.map((p: any) => [p.partition, p.fetchOffset]), [[0, 6]]);
  assert.equal(second.forgottenTopicsData, []);
  s.onResponse(second, 0, 42);

  const third = s.build([at(6, 0)], 13);
  assert.equal([third.sessionEpoch, third.topics], [2, []]);
  assert.equal(third.forgottenTopicsData, [{ topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [1] }]);
});

test('session errors and lost responses start over with a full request', () => {
  const s = new FetchSessionClient();
  s.onResponse(s.build([at(1)], 13), 0, 42);
  const bad = s.build([at(2)], 13);
  assert.is(s.onResponse(bad, errorCode('INVALID_FETCH_SESSION_EPOCH'), 0), 'INVALID_FETCH_SESSION_EPOCH');
  const retry = s.build([at(2)], 13);
  assert.equal([retry.full, retry.sessionId, retry.sessionEpoch], [true, 42, 0], 'the full request replaces session 42');
  s.onResponse(retry, errorCode('FETCH_SESSION_ID_NOT_FOUND'), 0);
  assert.equal([s.build([at(2)], 13).sessionId], [0]);

  s.onResponse(s.build([at(2)], 13), 0, 43);
  s.reset();
  assert.is(s.build([at(2)], 13).full, true);
});

test('a broker without free session slots, or before Fetch v7, gets full requests every time', () => {
  const s = new FetchSessionClient();
  s.onResponse(s.build([at(1)], 13), 0, 0);
  assert.is(s.build([at(1)], 13).full, true);
  const old = new FetchSessionClient();
  const r = old.build([at(1)], 6);
  assert.equal([r.full, r.sessionEpoch], [true, -1]);
  old.onResponse(r, 0, 0);
  assert.equal(old.build([at(1)], 6).topics.length, 1);
});

test('partitions are named by topic id from Fetch v13, by name before; a change of naming starts over', () => {
  const s = new FetchSessionClient();
  s.onResponse(s.build([at(1)], 13), 0, 42);
  const byName = s.build([at(1)], 12);
  assert.is(byName.full, true);
});

test.run();
