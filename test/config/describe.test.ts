// The order Kafka lists configs in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kafkaMapOrder } from '../../src/config/describe.js';

const names = (list: string[]) => kafkaMapOrder(list.map((name) => ({ name }))).map((e) => e.name);

test('a few names come out in the order a Kafka 4.4.0 broker answered them', () => {
  // DescribeConfigs of broker 1 with these five configurationKeys, in any order.
  const asked = ['log.retention.ms', 'log.retention.hours', 'log.cleanup.policy', 'log.segment.bytes', 'message.max.bytes'];
  const kafka = ['log.retention.hours', 'log.segment.bytes', 'log.retention.ms', 'message.max.bytes', 'log.cleanup.policy'];
  assert.equal(names(asked), kafka);
  assert.equal(names([...asked].reverse()), kafka);
  assert.equal(names(['log.cleanup.policy', 'log.segment.bytes']), ['log.segment.bytes', 'log.cleanup.policy']);
});

test.run();
