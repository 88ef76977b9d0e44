// Slow, greedy and hostile clients: each is bounded in what it can make the broker hold and
// cannot keep others from being served. The brokers run in this process, so the memory measured
// is theirs (the hostile senders here share one buffer and hold little of their own).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api } from '../../protocol/apis.js';
import { encodeRequest } from '../../protocol/frames.js';
import { buildBatch } from '../../protocol/records/records.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { lockDataDir } from '../../src/server/data-dir-lock.js';
import { spawnOutpost } from '../support/outpost-child.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

const MiB = 1024 * 1024;

async function open(b: TestBroker): Promise<KafkaConnection> {
  const c = await KafkaConnection.open('127.0.0.1', b.port);
  await c.negotiate();
  return c;
}

async function served(c: KafkaConnection, label: string): Promise<void> {
  const md = await c.request('Metadata', 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  assert.is(md.brokers.length, 1, `served: ${label}`);
}

function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function closedByPeer(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve();
    s.once('close', () => resolve());
  });
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createTopic(c: KafkaConnection, name: string): Promise<void> {
  const res = await c.request('CreateTopics', 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  assert.is(res.topics[0].errorCode, 0);
}

async function fill(c: KafkaConnection, topic: string, bytes: number): Promise<void> {
  const value = Buffer.alloc(500 * 1024, 7);
  for (let sent = 0; sent < bytes; sent += value.length) {
    const records = buildBatch({ records: [{ key: null, value }] });
    const r = await c.request('Produce', 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    assert.is(r.responses[0].partitionResponses[0].errorCode, 0);
  }
}

test('a Fetch asking for 2 GiB gets at most fetch.max.bytes', async () => {
  const b = await startOutpost({ configs: { 'fetch.max.bytes': String(MiB) } });
  const c = await open(b);
  await createTopic(c, 'big');
  await fill(c, 'big', 4 * MiB);
  const res = await c.request('Fetch', 12, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 2 ** 31 - 1, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'big', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 2 ** 31 - 1 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  const got = res.responses[0].partitions[0].records?.length ?? 0;
  assert.ok(got > 0 && got <= MiB, `answered ${got} bytes`);
  c.close();
  await b.destroy();
});

test('partly sent huge frames from many connections hold at most queued.max.request.bytes; others are served', async () => {
  const b = await startOutpost({ configs: { 'queued.max.request.bytes': String(16 * MiB) } });
  const witness = await open(b);
  const before = process.memoryUsage().rss;
  const payload = Buffer.alloc(40 * MiB); // one buffer, written to every socket: the senders hold no copies
  const hostile: Socket[] = [];
  for (let i = 0; i < 24; i++) {
    const s = await rawSocket(b.port);
    s.on('error', () => {});
    const size = Buffer.alloc(4);
    size.writeInt32BE(100 * MiB - 1);
    s.write(size);
    s.write(payload);
    hostile.push(s);
  }
  await settle(3000);
  await served(witness, 'while 24 connections each push a 100 MB frame');
  const grown = process.memoryUsage().rss - before;
  assert.ok(grown < 300 * MiB, `rss grew by ${grown >> 20} MiB`);
  for (const s of hostile) s.destroy();
  witness.close();
  await b.destroy();
});

test('a client that never reads its responses is bounded, and others are served', async () => {
  const b = await startOutpost();
  const c = await open(b);
  await createTopic(c, 'unread');
  await fill(c, 'unread', 2 * MiB);
  const before = process.memoryUsage().rss;
  // A raw socket that never reads: every response stays with the broker or in the kernel.
  const greedy = await rawSocket(b.port);
  greedy.pause();
  greedy.on('error', () => {});
  const fetch = {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 4 * MiB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'unread', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 4 * MiB }] }],
    forgottenTopicsData: [], rackId: '',
  };
  for (let i = 0; i < 400; i++) for (const part of encodeRequest(api('Fetch'), 12, { correlationId: i, clientId: 'greedy' }, fetch)) greedy.write(part);
  await settle(3000);
  await served(c, 'beside a client that reads nothing');
  const grown = process.memoryUsage().rss - before;
  assert.ok(grown < 200 * MiB, `rss grew by ${grown >> 20} MiB for 400 unread 2 MiB answers`);
  greedy.destroy();
  c.close();
  await b.destroy();
});

test('max.connections and max.connections.per.ip refuse connections past them; the admitted are served', async () => {
  for (const configs of [{ 'max.connections': '20' }, { 'max.connections.per.ip': '20' }] as Record<string, string>[]) {
    const b = await startOutpost({ configs });
    const witness = await open(b);
    const sockets: Socket[] = [];
    for (let i = 0; i < 40; i++) {
      const s = await rawSocket(b.port);
      s.on('error', () => {});
      sockets.push(s);
    }
    await settle(500);
    const open_ = sockets.filter((s) => !s.destroyed).length;
    assert.is(open_, 19, `${JSON.stringify(configs)}: the witness and 19 more are admitted`);
    await served(witness, JSON.stringify(configs));
    const health = await fetch(`http://127.0.0.1:${b.adminPort}/health`);
    assert.is(health.status, 200);
    for (const s of sockets) s.destroy();
    await settle(200);
    const again = await open(b);
    await served(again, 'once the others left');
    again.close();
    witness.close();
    await b.destroy();
  }
});

test('connections.max.idle.ms closes idle connections, not ones in a long poll', async () => {
  const b = await startOutpost({ configs: { 'connections.max.idle.ms': '1000' } });
  const c = await open(b);
  await createTopic(c, 'poll');
  const idle = await rawSocket(b.port);
  const polling = await open(b);
  const poll = polling.request('Fetch', 12, {
    replicaId: -1, maxWaitMs: 2500, minBytes: 1, maxBytes: MiB, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'poll', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: MiB }] }],
    forgottenTopicsData: [], rackId: '',
  });
  await closedByPeer(idle);
  const answered = await poll;
  assert.is(answered.responses[0].partitions[0].errorCode, 0, 'the long poll was answered, not cut off');
  polling.close();
  c.close();
  await b.destroy();
});

test('a link created without validation to a source that never answers returns at once, and so does the stop', async () => {
  // A "broker" that accepts connections and never says a word.
  const sockets = new Set<Socket>();
  const silent: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const port = (silent.address() as { port: number }).port;
  const b = await startOutpost();
  const started = Date.now();
  const res = await fetch(`http://127.0.0.1:${b.adminPort}/kafka/v3/clusters/${b.clusterId}/links?link_name=silent&validate_link=false`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ configs: [{ name: 'bootstrap.servers', value: `127.0.0.1:${port}` }, { name: 'request.timeout.ms', value: '120000' }] }),
  });
  assert.is(res.status, 204, await res.text());
  assert.ok(Date.now() - started < 60_000, 'the creation did not wait for the source');
  // Deleted at once after its creation, while its first connection is still being made.
  await b.links.createLink({ name: 'brief', bootstrapServers: `127.0.0.1:${port}`, configs: { 'request.timeout.ms': '120000' } }, { probe: false });
  const deleting = Date.now();
  await b.links.deleteLink('brief', { force: true });
  assert.ok(Date.now() - deleting < 60_000, 'the deletion did not wait for the source');
  // A validating creation waits on the source; a stop must not wait with it.
  const probing = b.links.createLink({ name: 'probing', bootstrapServers: `127.0.0.1:${port}`, configs: { 'request.timeout.ms': '120000' } }).catch((e) => e);
  await settle(300);
  const stopping = Date.now();
  await b.destroy();
  assert.ok(Date.now() - stopping < 60_000, 'the stop did not wait for the source');
  await probing;
  for (const s of sockets) s.destroy();
  silent.close();
});

test('one broker per data directory: refused while another process has it, taken over once that one is killed', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-lock-'));
  const child = await spawnOutpost(dataDir);
  const err = await lockDataDir(dataDir, 300).catch((e) => e);
  assert.instance(err, Error);
  assert.match(err.message, new RegExp(`in use by process ${child.child.pid}`));
  child.child.kill('SIGKILL');
  await child.exited;
  const b = await startOutpost({ dataDir });
  const inProcess = await startOutpost({ dataDir }).catch((e) => e);
  assert.instance(inProcess, Error, 'a second broker in one process is refused too');
  await b.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

test.run();
