// How the open-file limit is shared out: segment files the log keeps open, client connections,
// and a reserve for everything else.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConnectionLimits, segmentFileBudget } from '../../src/server/connection-limits.js';

test('the log keeps half of what the limit leaves open for segment files, within 1,024 and 16,384', () => {
  assert.is(segmentFileBudget(1024), 1024);
  assert.is(segmentFileBudget(4096), 1536);
  assert.is(segmentFileBudget(20_000), 9488);
  assert.is(segmentFileBudget(1_048_576), 16_384);
  assert.is(segmentFileBudget(null), 16_384);
});

test('client connections get what the segment files and the reserve leave, and never fewer than 16', () => {
  assert.is(new ConnectionLimits(Infinity, Infinity, 20_000).maxConnections, 20_000 - 1024 - 9488);
  assert.is(new ConnectionLimits(100, Infinity, 20_000).maxConnections, 100);
  assert.is(new ConnectionLimits(Infinity, Infinity, 1024).maxConnections, 16);
  assert.is(new ConnectionLimits(Infinity, Infinity, null).maxConnections, Infinity);
});

test('connections past max.connections.per.ip are refused with the reason; a release makes room again', () => {
  const limits = new ConnectionLimits(Infinity, 2, null);
  assert.is(limits.admit('10.0.0.1'), null);
  assert.is(limits.admit('10.0.0.1'), null);
  assert.match(limits.admit('10.0.0.1') ?? '', /10\.0\.0\.1 has 2 connections, max\.connections\.per\.ip/);
  assert.is(limits.admit('10.0.0.2'), null);
  limits.release('10.0.0.1');
  assert.is(limits.admit('10.0.0.1'), null);
});

test.run();
