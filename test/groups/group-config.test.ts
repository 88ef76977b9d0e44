// The group coordinator's settings from broker configs: KIP-848 member timing within its bounds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { groupConfig } from '../../src/groups/group-config.js';

test("Kafka's defaults: heartbeats every 5 s, members removed after 45 s of silence", () => {
  assert.equal(groupConfig({}).consumerMembers, { heartbeatIntervalMs: 5000, sessionTimeoutMs: 45_000 });
});

test('an interval or timeout outside its min and max, or an interval not below the timeout, is refused with both names', () => {
  assert.throws(() => groupConfig({ 'group.consumer.heartbeat.interval.ms': '500' }), /group\.consumer\.heartbeat\.interval\.ms \(500\) must lie within group\.consumer\.min\.heartbeat\.interval\.ms \(5000\)/);
  assert.throws(() => groupConfig({ 'group.consumer.session.timeout.ms': '90000' }), /group\.consumer\.max\.session\.timeout\.ms \(60000\)/);
  assert.throws(
    () => groupConfig({ 'group.consumer.heartbeat.interval.ms': '10000', 'group.consumer.session.timeout.ms': '10000', 'group.consumer.min.session.timeout.ms': '1000' }),
    /must be less than group\.consumer\.session\.timeout\.ms \(10000\)/,
  );
  const quick = groupConfig({ 'group.consumer.heartbeat.interval.ms': '500', 'group.consumer.min.heartbeat.interval.ms': '500' });
  assert.equal(quick.consumerMembers, { heartbeatIntervalMs: 500, sessionTimeoutMs: 45_000 });
});

test.run();
