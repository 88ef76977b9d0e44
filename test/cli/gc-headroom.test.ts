// The growing factor that keeps room for held buffers between full collections.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { growingPercent } from '../../src/cli/gc-headroom.js';

const MB = 1 << 20;

test('a small live heap gets 64 MB of room above it before the next full collection', () => {
  assert.is(growingPercent(16 * MB), 400);
  assert.is(growingPercent(32 * MB), 200);
  for (const live of [3, 17, 40, 63]) {
    const limit = live * MB * (1 + growingPercent(live * MB) / 100);
    assert.ok(limit >= live * MB + 64 * MB && limit < live * MB + 65 * MB, `live ${live} MB: next collection at ${(limit / MB).toFixed(1)} MB`);
  }
});

test('a heap of 64 MB or more is left to V8, and a tiny one is not given an unbounded factor', () => {
  assert.is(growingPercent(64 * MB), 0);
  assert.is(growingPercent(500 * MB), 0);
  assert.is(growingPercent(0), 6400);
});

test.run();
