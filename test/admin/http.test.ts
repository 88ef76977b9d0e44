// The admin HTTP listener on a free loopback port.
import { Counter, Registry } from 'prom-client';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startAdminHttp, type AdminHttp } from '../../src/admin/http.js';

let status = 'ok';
let admin: AdminHttp;
const registry = new Registry();
new Counter({ name: 'outpost_test_requests_total', help: 'requests seen by the test', registers: [registry] }).inc(3);

const url = (path: string) => `http://127.0.0.1:${admin.port}${path}`;

test.before(async () => {
  admin = await startAdminHttp({ host: '127.0.0.1', port: 0, health: () => ({ status, topics: 2 }), registry });
});
test.after(() => admin.close());

test('GET /health answers 200 with the broker\'s fields while serving', async () => {
  const res = await fetch(url('/health'));
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(await res.json(), { status: 'ok', topics: 2 });
});

test('GET /health answers 503 once the broker reports another status', async () => {
  status = 'stopping';
  try {
    const res = await fetch(url('/health?verbose=1'));
    assert.is(res.status, 503);
    assert.equal(await res.json(), { status: 'stopping', topics: 2 });
  } finally {
    status = 'ok';
  }
});

test('GET /metrics is the registry in Prometheus text format', async () => {
  const res = await fetch(url('/metrics'));
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  assert.match(await res.text(), /^outpost_test_requests_total 3$/m);
});

test('other paths and methods', async () => {
  assert.is((await fetch(url('/nope'))).status, 404);
  const post = await fetch(url('/health'), { method: 'POST' });
  assert.is(post.status, 405);
  assert.is(post.headers.get('allow'), 'GET');
});

test('close() returns even with a keep-alive connection open', async () => {
  const other = await startAdminHttp({ host: '127.0.0.1', port: 0, health: () => ({}), registry: new Registry() });
  await fetch(`http://127.0.0.1:${other.port}/health`, { keepalive: true });
  await other.close();
});

test.run();
