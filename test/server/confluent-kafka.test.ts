// confluent-kafka-python (librdkafka 2.16, as PyPI bundles it) against outpost: admin calls
// (create, list every topic, describe), an idempotent producer, a consumer group, a regular
// expression subscription, and transactions with offsets sent in them. librdkafka from 2.3 on sends its all-topics Metadata request with bytes
// after the body, which outpost must ignore as Kafka does for list_topics() and regex
// subscriptions to work at all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { confluentKafka } from '../peers/confluent-kafka.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

let broker: TestBroker;

test.before(async () => {
  broker = await startOutpost();
});

test.after(async () => {
  await broker?.destroy();
});

test('admin: create topics, list every topic, describe', async () => {
  const r = await confluentKafka('confluent_peer.py', broker.bootstrap, ['admin', 'ck-a', 'rx-one', 'rx-two']);
  assert.equal(r, {
    created: { 'ck-a': 'created', 'rx-one': 'created', 'rx-two': 'created' },
    listed: ['ck-a', 'rx-one', 'rx-two'],
    partitions: { 'ck-a': 3, 'rx-one': 3, 'rx-two': 3 },
    brokers: [1],
    described: { 'ck-a': 3, 'rx-one': 3, 'rx-two': 3 },
  });
  const again = (await confluentKafka('confluent_peer.py', broker.bootstrap, ['admin', 'ck-a'])) as { created: Record<string, string> };
  assert.equal(again.created, { 'ck-a': 'TOPIC_ALREADY_EXISTS' });
});

test('an idempotent producer, then a consumer group reads it all and commits', async () => {
  const produced = await confluentKafka('confluent_peer.py', broker.bootstrap, ['produce', 'ck-a', '300']);
  assert.equal(produced, { delivered: 300, errors: [], unflushed: 0, dense: true });
  const consumed = (await confluentKafka('confluent_peer.py', broker.bootstrap, ['consume', 'ck-a', 'ck-group', '300'])) as Record<string, unknown>;
  assert.equal(consumed.values, Array.from({ length: 300 }, (_, i) => `v${i}`));
  assert.equal(consumed.assignment, [['ck-a', 0], ['ck-a', 1], ['ck-a', 2]]);
  assert.is(consumed.committed, 300);
});

test('a regular expression subscription is assigned every matching topic', async () => {
  for (const topic of ['rx-one', 'rx-two']) {
    assert.equal(await confluentKafka('confluent_peer.py', broker.bootstrap, ['produce', topic, '10']), { delivered: 10, errors: [], unflushed: 0, dense: true });
  }
  const consumed = (await confluentKafka('confluent_peer.py', broker.bootstrap, ['regex', '^rx-.*', 'rx-group', '20'])) as Record<string, unknown>;
  assert.equal(consumed.topics, ['rx-one', 'rx-two']);
  assert.is((consumed.values as string[]).length, 20);
  assert.equal(consumed.assignment, [0, 1, 2].flatMap((p) => [['rx-one', p], ['rx-two', p]]).sort());
});

test('transactions: a committed one is read, an aborted one is not; offsets sent in them follow their outcome', async () => {
  await confluentKafka('confluent_peer.py', broker.bootstrap, ['admin', 'ck-txn']);
  const r = (await confluentKafka('confluent_peer.py', broker.bootstrap, ['transactions', 'ck-txn', 'ck-txn-group'])) as Record<string, unknown>;
  const committed = [...Array.from({ length: 30 }, (_, i) => `commit-${i}`), ...Array.from({ length: 10 }, (_, i) => `commit-${50 + i}`)];
  assert.equal(r.values, committed);
  // The last committed transaction's offsets, not the aborted one's.
  assert.equal(r.committed, [60, 60, 60]);
});

test.run();
