// Which configs a mirror takes from its source, and how they merge with its own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mergeSyncedConfigs, syncedFromSource } from '../../src/link/topic-sync.js';

test('only the synced configs are taken from a DescribeConfigs answer', () => {
  const entries = [
    { name: 'retention.ms', value: '1000' },
    { name: 'segment.bytes', value: '2048' },
    { name: 'cleanup.policy', value: 'compact' },
    { name: 'max.message.bytes', value: null },
  ];
  assert.equal(syncedFromSource(entries), { 'retention.ms': '1000', 'cleanup.policy': 'compact' });
});

test("the mirror keeps its own configs and takes the source's synced ones, dropping those it lost", () => {
  const current = { 'segment.ms': '60000', 'retention.ms': '5', 'retention.bytes': '100' };
  const { configs, skipped } = mergeSyncedConfigs(current, { 'retention.ms': '1000', 'cleanup.policy': 'compact' });
  assert.equal(configs, { 'segment.ms': '60000', 'retention.ms': '1000', 'cleanup.policy': 'compact' });
  assert.equal(skipped, []);
});

test('a source value outpost refuses is left out, the rest still synced', () => {
  const { configs, skipped } = mergeSyncedConfigs({}, { 'compression.type': 'brotli', 'retention.ms': '1000' });
  assert.equal(configs, { 'retention.ms': '1000' });
  assert.is(skipped.length, 1);
  assert.match(skipped[0]!, /compression\.type=brotli/);
});

test('values that conflict together leave the synced configs as they were', () => {
  const current = { 'min.compaction.lag.ms': '10', 'segment.ms': '60000' };
  const { configs, skipped } = mergeSyncedConfigs(current, { 'min.compaction.lag.ms': '500', 'max.compaction.lag.ms': '100' });
  assert.equal(configs, current);
  assert.match(skipped[0]!, /min\.compaction\.lag\.ms/);
});

test.run();
