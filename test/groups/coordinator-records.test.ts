// __consumer_offsets records in Kafka's schemas, byte for byte, and Kafka's group → partition map.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCoordinatorRecord, encodeGroupMetadata, encodeOffsetCommit } from '../../src/groups/coordinator-records.js';
import { partitionForGroup } from '../../src/groups/offsets-topic.js';

test('an offset commit is key v1 (group, topic, partition) and value v3, as Kafka 4 writes them', () => {
  const r = encodeOffsetCommit({ group: 'g', topic: 't', partition: 2 }, { offset: 300, leaderEpoch: 5, metadata: 'md', commitTimestamp: 1000, expireTimestamp: -1 });
  assert.is(r.key.toString('hex'), '0001' + '000167' + '000174' + '00000002');
  assert.is(r.value!.toString('hex'), '0003' + '000000000000012c' + '00000005' + '00026d64' + '00000000000003e8');
  const back = decodeCoordinatorRecord(r.key, r.value);
  assert.equal(back, { type: 'offset', key: { group: 'g', topic: 't', partition: 2 }, value: { offset: 300, leaderEpoch: 5, metadata: 'md', commitTimestamp: 1000, expireTimestamp: -1 } });
});

test('a commit with its own retention is written as value v1, which carries the expiry', () => {
  const r = encodeOffsetCommit({ group: 'g', topic: 't', partition: 0 }, { offset: 1, leaderEpoch: -1, metadata: '', commitTimestamp: 10, expireTimestamp: 70 });
  assert.is(r.value!.readInt16BE(0), 1);
  const back = decodeCoordinatorRecord(r.key, r.value);
  assert.is(back?.type === 'offset' && back.value?.expireTimestamp, 70);
  assert.is(back?.type === 'offset' && back.value?.leaderEpoch, -1, 'v1 has no leader epoch');
});

test('group metadata is key v2 and value v3 with members; a null value is a tombstone', () => {
  const value = {
    protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm-1', currentStateTimestamp: 1234,
    members: [{ memberId: 'm-1', groupInstanceId: 'i', clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeout: 300000, sessionTimeout: 45000, subscription: Buffer.from([1, 2]), assignment: Buffer.from([3]) }],
  };
  const r = encodeGroupMetadata('grp', value);
  assert.is(r.key.toString('hex'), '0002' + '0003677270');
  assert.is(r.value!.readInt16BE(0), 3);
  assert.equal(decodeCoordinatorRecord(r.key, r.value), { type: 'group', key: { group: 'grp' }, value });
  const tombstone = encodeGroupMetadata('grp', null);
  assert.is(tombstone.value, null);
  assert.equal(decodeCoordinatorRecord(tombstone.key, null), { type: 'group', key: { group: 'grp' }, value: null });
});

test('record types outpost does not read are skipped', () => {
  // Key version 3 is KIP-848's ConsumerGroupMetadataKey.
  assert.is(decodeCoordinatorRecord(Buffer.from('0003000167', 'hex'), Buffer.from('0000', 'hex')), null);
});

test('a group maps to the partition Kafka maps it to (Java String.hashCode)', () => {
  // Values computed with Java's own String.hashCode and Kafka's Utils.abs.
  assert.is(partitionForGroup('test-group', 50), 12);
  assert.is(partitionForGroup('my-group', 50), 12);
  assert.is(partitionForGroup('my-group', 4), 2);
  assert.is(partitionForGroup('', 50), 0);
  assert.is(partitionForGroup('polygenelubricants', 50), 0, 'hashCode is Integer.MIN_VALUE');
  assert.is(partitionForGroup('groupé', 50), 6);
});

test.run();
