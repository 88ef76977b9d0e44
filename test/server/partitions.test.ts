// The partition layer's rules: each role, and who may change what in it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LinkManagerApi } from '../../src/link/types.js';
import type { LogManager } from '../../src/log/log-manager.js';
import { Partitions, epochFencing } from '../../src/server/partitions.js';

// Only mirrorOf is asked of the links here.
const links = { mirrorOf: (topic: string) => (topic === 'mirrored' ? { linkName: 'east' } : undefined) } as unknown as LinkManagerApi;
const partitions = new Partitions({} as LogManager, () => links);

test('roles: the coordinator\'s topic, a link\'s mirror, the rest local', () => {
  assert.equal(['__consumer_offsets', 'mirrored', 'orders'].map((t) => partitions.role(t)), ['internal', 'mirror', 'local']);
  assert.is(new Partitions({} as LogManager, () => undefined).role('mirrored'), 'local');
});

test('a mirror is written by its link alone; clients are told why where the API has a message', () => {
  assert.equal(partitions.writeRefusal('mirrored', 'produce', 'client'), {
    error: 'POLICY_VIOLATION', message: 'Topic mirrored is a mirror topic of cluster link east: it is read-only: produce to its source topic instead',
  });
  assert.equal(partitions.writeRefusal('mirrored', 'deleteRecords', 'client'), { error: 'POLICY_VIOLATION', message: null });
  assert.match(partitions.writeRefusal('mirrored', 'createPartitions', 'client')?.message ?? '', /partition count follows its source topic/);
  assert.is(partitions.writeRefusal('mirrored', 'produce', 'replication'), null);
  assert.match(partitions.configRefusal('mirrored', ['retention.ms', 'segment.bytes']) ?? '', /retention\.ms is synced from its source topic/);
  assert.is(partitions.configRefusal('mirrored', ['segment.bytes']), null);
});

test('the internal topic is the coordinator\'s: clients may neither produce nor delete records there', () => {
  assert.equal(partitions.writeRefusal('__consumer_offsets', 'produce', 'client'), { error: 'INVALID_TOPIC_EXCEPTION', message: 'Cannot append to internal topic __consumer_offsets' });
  assert.equal(partitions.writeRefusal('__consumer_offsets', 'deleteRecords', 'client'), { error: 'INVALID_TOPIC_EXCEPTION', message: null });
  assert.is(partitions.writeRefusal('__consumer_offsets', 'produce', 'coordinator'), null);
  assert.is(partitions.writeRefusal('orders', 'produce', 'client'), null);
});

test('leader-epoch fencing as Kafka fences a request that names one', () => {
  assert.equal([epochFencing(-1, 5), epochFencing(5, 5), epochFencing(4, 5), epochFencing(6, 5)], [null, null, 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH']);
});

test.run();
