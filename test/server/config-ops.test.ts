// IncrementalAlterConfigs' operations on a topic's overrides and on a dynamic broker layer. The
// expected values are what a Kafka 4.4.0 broker stored for the same operations.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_OP, ConfigError, applyBrokerOps, applyTopicOps, splitList, type ConfigOp } from '../../src/server/config-ops.js';

const { SET, DELETE, APPEND, SUBTRACT } = CONFIG_OP;
const op = (name: string, configOperation: number, value: string | null = null): ConfigOp => ({ name, configOperation, value });

function failure(fn: () => unknown): [string, string | null] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [err.error, err.reply];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('lists split as Java splits them: trailing empty items go, a lone empty string stays', () => {
  assert.equal(splitList('a,b'), ['a', 'b']);
  assert.equal(splitList('a,,b,,'), ['a', '', 'b']);
  assert.equal(splitList(','), []);
  assert.equal(splitList(''), ['']);
  assert.equal(splitList(' a, b'), [' a', ' b']);
});

test('topic: SET and DELETE; APPEND and SUBTRACT start from the override, else the default', () => {
  assert.equal(applyTopicOps({ 'retention.ms': '1' }, [op('segment.ms', SET, '100'), op('retention.ms', DELETE)]), { 'segment.ms': '100' });
  assert.equal(applyTopicOps({}, [op('cleanup.policy', APPEND, 'compact')]), { 'cleanup.policy': 'delete,compact' });
  assert.equal(applyTopicOps({ 'cleanup.policy': 'compact' }, [op('cleanup.policy', APPEND, 'compact,delete,delete')]), { 'cleanup.policy': 'compact,delete' });
  assert.equal(applyTopicOps({}, [op('cleanup.policy', SUBTRACT, 'delete,compact')]), { 'cleanup.policy': '' });
  assert.equal(applyTopicOps({ 'cleanup.policy': 'compact,,delete' }, [op('cleanup.policy', SUBTRACT, 'delete')]), { 'cleanup.policy': 'compact' });
  assert.equal(applyTopicOps({}, [op('leader.replication.throttled.replicas', APPEND, '0:1,0:2')]), { 'leader.replication.throttled.replicas': '0:1,0:2' });
  // Deleting what is not there is no error; values are checked later.
  assert.equal(applyTopicOps({}, [op('no.such.config', DELETE), op('retention.ms', SET, 'x')]), { 'retention.ms': 'x' });
});

test('topic: list operations on other types, and unknown operations, fail as on Kafka\'s controller', () => {
  assert.equal(failure(() => applyTopicOps({}, [op('retention.ms', APPEND, '1')])), ['INVALID_CONFIG', "Can't APPEND to key retention.ms because its type is not LIST."]);
  assert.equal(failure(() => applyTopicOps({}, [op('no.such.config', SUBTRACT, '1')])), ['INVALID_CONFIG', "Can't SUBTRACT to key no.such.config because its type is not LIST."]);
  assert.equal(failure(() => applyTopicOps({}, [op('retention.ms', 7, '1')])), ['UNKNOWN_SERVER_ERROR', null]);
});

test('broker: operations apply to the layer, list operations start from the layer else the default', () => {
  assert.equal(applyBrokerOps({ 'log.retention.ms': '5' }, [op('log.retention.ms', DELETE), op('log.segment.bytes', SET, '2097152')]), { 'log.segment.bytes': '2097152' });
  assert.equal(applyBrokerOps({}, [op('log.cleanup.policy', APPEND, 'compact,compact')]), { 'log.cleanup.policy': 'delete,compact,compact' });
  assert.equal(applyBrokerOps({ 'log.cleanup.policy': 'compact' }, [op('log.cleanup.policy', APPEND, 'delete')]), { 'log.cleanup.policy': 'compact,delete' });
  // SUBTRACT keeps the empty items of the old value and takes one occurrence per item.
  assert.equal(applyBrokerOps({ 'log.cleanup.policy': 'delete,,delete,compact' }, [op('log.cleanup.policy', SUBTRACT, 'delete')]), { 'log.cleanup.policy': ',delete,compact' });
  assert.equal(applyBrokerOps({}, [op('log.cleanup.policy', SUBTRACT, 'delete')]), { 'log.cleanup.policy': '' });
});

test('broker: operation ids are checked before any is applied; list operations only on LIST configs', () => {
  assert.equal(failure(() => applyBrokerOps({}, [op('log.retention.ms', APPEND, '1'), op('log.retention.ms', 9, '1')])), ['INVALID_REQUEST', 'Unknown operations type 9']);
  assert.equal(failure(() => applyBrokerOps({}, [op('log.retention.ms', APPEND, '1')])), ['INVALID_CONFIG', 'Config value append is not allowed for config key: log.retention.ms']);
  assert.equal(failure(() => applyBrokerOps({}, [op('log.retention.ms', SUBTRACT, '1')])), ['INVALID_CONFIG', 'Config value subtract is not allowed for config key: log.retention.ms']);
});

test.run();
