// `outpost link ...` and `outpost mirror ...` as a user runs them (the compiled bin/outpost.js),
// against an outpost in this process that mirrors from a second outpost, and once from a real
// Apache Kafka 4.4.0.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTopic, startKafka } from '../peers/kafka.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

const bin = fileURLToPath(new URL('../../../bin/outpost.js', import.meta.url));

let source: TestBroker;
let dest: TestBroker;
let adminUrl = '';
let dir = '';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

// Asynchronous: the outposts it talks to run in this process and must keep answering meanwhile.
function outpost(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** Runs with --admin-url of the destination; must succeed. */
async function ok(...args: string[]): Promise<string> {
  const r = await outpost([...args, '--admin-url', adminUrl]);
  assert.is(r.status, 0, `outpost ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Runs with --admin-url of the destination; must fail with one line on stderr. */
async function fails(...args: string[]): Promise<string> {
  const r = await outpost([...args, '--admin-url', adminUrl]);
  assert.is(r.status, 2, `outpost ${args.join(' ')} should fail: ${r.stdout}`);
  assert.is(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
  return r.stderr;
}

async function produce(bootstrap: string, topic: string, partitions: number, count: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'link-cli-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ partition: i % partitions, value: `record ${i}` })) });
  await producer.disconnect();
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outpost-link-cli-'));
  source = await startOutpost();
  dest = await startOutpost();
  adminUrl = `http://127.0.0.1:${dest.adminPort}`;
  const admin = new Kafka({ clientId: 'link-cli-test', brokers: [source.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }, { topic: 'audit', numPartitions: 1 }] });
  await admin.disconnect();
  await produce(source.bootstrap, 'orders', 3, 30);
});

test.after(async () => {
  await dest?.destroy();
  await source?.destroy();
  await rm(dir, { recursive: true, force: true });
});

test('no server: one line and a non-zero exit', async () => {
  // A port just bound and released: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
  const r = await outpost(['link', 'list', '--admin-url', `http://127.0.0.1:${port}`]);
  assert.is(r.status, 2);
  assert.match(r.stderr, new RegExp(`^outpost: cannot reach outpost at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
  assert.is(r.stderr.split('\n').filter(Boolean).length, 1);
});

test('link create, list, describe (tables and -o json)', async () => {
  const props = join(dir, 'link.properties');
  await writeFile(props, '# link settings\nreplica.fetch.wait.max.ms=100\n');
  const created = await ok('link', 'create', 'src', '--source-bootstrap-server', source.bootstrap, '--source-cluster-id', source.clusterId, '--config-file', props, '--config', 'topic.config.sync.ms=2000');
  assert.is(created, 'Created cluster link "src".\n');

  const list = (await ok('link', 'list')).split('\n');
  assert.match(list[0]!, /^Name\s+Source Cluster\s+State\s+Mirrors\s+Error$/);
  assert.match(list[2]!, new RegExp(`^src\\s+${source.clusterId}\\s+\\w+\\s+0$`));
  const json = JSON.parse(await ok('link', 'list', '-o', 'json'));
  assert.is(json.length, 1);
  assert.is(json[0].link_name, 'src');
  assert.is(json[0].kind, undefined);

  const described = await ok('link', 'describe', 'src');
  assert.match(described, /^Name:\s+src$/m);
  assert.match(described, new RegExp(`^Source Cluster:\\s+${source.clusterId}$`, 'm'));
  assert.is(JSON.parse(await ok('link', 'describe', 'src', '-o', 'json')).source_cluster_id, source.clusterId);

  const configs = JSON.parse(await ok('link', 'configuration', 'list', 'src', '-o', 'json'));
  const value = (name: string) => configs.find((c: any) => c.name === name)?.value;
  assert.is(value('bootstrap.servers'), source.bootstrap);
  assert.is(value('replica.fetch.wait.max.ms'), '100');
  assert.is(value('topic.config.sync.ms'), '2000');
});

test('link errors: unknown link, duplicate, missing source, bad config, bad -o', async () => {
  assert.match(await fails('link', 'describe', 'nope'), /^outpost: .*nope/);
  assert.match(await fails('link', 'delete', 'nope'), /nope/);
  assert.match(await fails('link', 'create', 'src', '--source-bootstrap-server', source.bootstrap), /src/);
  assert.match(await fails('link', 'create', 'x'), /--source-bootstrap-server/);
  assert.match(await fails('link', 'create', 'x', '--source-bootstrap-server', source.bootstrap, '--config', 'no.such.config=1'), /no\.such\.config/);
  assert.match(await fails('link', 'create', 'x', '--source-bootstrap-server', source.bootstrap, '--source-api-key', 'k'), /--source-api-secret/);
  assert.match(await fails('link', 'list', '-o', 'yaml'), /yaml/);
});

test('link create --dry-run creates nothing; API keys are SASL/PLAIN over TLS, hidden', async () => {
  assert.match(await ok('link', 'create', 'dry', '--source-bootstrap-server', source.bootstrap, '--dry-run'), /would be created/);
  await fails('link', 'describe', 'dry');
  const keyed = ['link', 'create', 'keyed', '--source-bootstrap-server', source.bootstrap, '--source-api-key', 'KEY', '--source-api-secret', 'S"CRET'];
  // The source here is a PLAINTEXT listener: the TLS handshake fails, and says why.
  const refusal = await fails(...keyed);
  assert.match(refusal, /TLS to 127\.0\.0\.1:\d+ failed: the server closed the connection during the TLS handshake \(is it a PLAINTEXT or SASL_PLAINTEXT listener/);
  assert.not.match(refusal, /CRET/);
  const r = await outpost([...keyed, '--no-validate', '--admin-url', adminUrl]);
  assert.is(r.status, 0, r.stderr);
  const configs = JSON.parse(await ok('link', 'configuration', 'list', 'keyed', '-o', 'json'));
  assert.is(configs.find((c: any) => c.name === 'security.protocol').value, 'SASL_SSL');
  assert.is(configs.find((c: any) => c.name === 'sasl.mechanism').value, 'PLAIN');
  const jaas = configs.find((c: any) => c.name === 'sasl.jaas.config');
  assert.is(jaas.sensitive, true);
  assert.is(jaas.value, null);
  assert.match(await ok('link', 'configuration', 'list', 'keyed'), /^sasl\.jaas\.config\s+\[hidden\]\s+true\s+DYNAMIC_CLUSTER_LINK_CONFIG$/m);
  assert.is(await ok('link', 'delete', 'keyed'), 'Deleted cluster link "keyed".\n');
});

test('link configuration update', async () => {
  assert.is(await ok('link', 'configuration', 'update', 'src', '--config', 'replica.fetch.wait.max.ms=50'), 'Updated cluster link "src": replica.fetch.wait.max.ms.\n');
  const listed = await ok('link', 'configuration', 'list', 'src');
  assert.match(listed, /^Name\s+Value\s+Sensitive\s+Source$/m);
  assert.match(listed, /^replica\.fetch\.wait\.max\.ms\s+50\s+false\s+DYNAMIC_CLUSTER_LINK_CONFIG$/m);
  assert.match(listed, /^replica\.fetch\.min\.bytes\s+1\s+false\s+DEFAULT_CONFIG$/m);
  assert.match(await fails('link', 'configuration', 'update', 'src'), /--config/);
  assert.match(await fails('link', 'configuration', 'update', 'nope', '--config', 'replica.fetch.wait.max.ms=50'), /nope/);
});

test('mirror create --sync returns once the mirror has caught up', async () => {
  const out = await ok('mirror', 'create', 'orders', '--link', 'src', '--sync');
  assert.match(out, /^Created mirror topic "orders"; it has caught up/);
  const m = JSON.parse(await ok('mirror', 'describe', 'orders', '--link', 'src', '-o', 'json'));
  assert.equal(m.mirror_lags.map((p: any) => [p.partition, p.lag, p.log_end_offset]), [[0, 0, 10], [1, 0, 10], [2, 0, 10]]);
  const table = await ok('mirror', 'describe', 'orders', '--link', 'src');
  assert.match(table, /^Status:\s+ACTIVE$/m);
  assert.match(table, /^Partition\s+Source High Watermark\s+Log Start\s+Local Start\s+Mirror End Offset\s+Lag\s+Local Bytes\s+Total Bytes\s+Served Local\s+Served Read-Through\s+Last Fetch$/m);
  assert.match(table, /^2\s+10\s+0\s+0\s+10\s+0\s+\d+\s+(-|\d+)\s+\d+\s+\d+\s+\d{4}-/m);
});

test('mirror create (no --sync), list, and their errors', async () => {
  assert.is(await ok('mirror', 'create', 'audit', '--link', 'src'), 'Created mirror topic "audit".\n');
  const list = await ok('mirror', 'list');
  assert.match(list, /^Link\s+Mirror Topic\s+Partitions\s+Max Lag\s+Status$/m);
  assert.match(list, /^src\s+orders\s+3\s+0\s+ACTIVE$/m);
  assert.match(list, /^src\s+audit\s+1\s+\d+\s+\w+$/m);
  assert.equal(JSON.parse(await ok('mirror', 'list', '--link', 'src', '-o', 'json')).map((m: any) => m.mirror_topic_name).sort(), ['audit', 'orders']);
  assert.match(await fails('mirror', 'list', '--link', 'nope'), /nope/);
  assert.match(await fails('mirror', 'describe', 'nope', '--link', 'src'), /nope/);
  assert.match(await fails('mirror', 'create', 'orders', '--link', 'nope'), /nope/);
  assert.match(await fails('mirror', 'describe', 'orders'), /--link/);
});

test('mirror pause and resume', async () => {
  assert.is(await ok('mirror', 'pause', 'orders', 'audit', '--link', 'src'), 'Paused mirror topic "orders".\nPaused mirror topic "audit".\n');
  assert.is(JSON.parse(await ok('mirror', 'describe', 'orders', '--link', 'src', '-o', 'json')).mirror_status, 'PAUSED');
  assert.match(await fails('mirror', 'create', 'orders', '--link', 'src', '--sync'), /orders/);
  assert.match(await fails('mirror', 'resume', 'orders', 'nope', '--link', 'src'), /nope/);
  const resumed = JSON.parse(await ok('mirror', 'resume', 'orders', 'audit', '--link', 'src', '-o', 'json'));
  assert.equal(resumed.map((r: any) => r.mirror_topic_name), ['orders', 'audit']);
  assert.is(JSON.parse(await ok('mirror', 'describe', 'orders', '--link', 'src', '-o', 'json')).mirror_status, 'ACTIVE');
});

test('OUTPOST_ADMIN_URL names the server when --admin-url does not', async () => {
  const r = await outpost(['link', 'list', '-o', 'json'], { OUTPOST_ADMIN_URL: adminUrl });
  assert.is(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).map((l: any) => l.link_name), ['src']);
});

test('link delete: refused while the link has mirrors, unless --force', async () => {
  assert.match(await fails('link', 'delete', 'src'), /mirror topics/);
  assert.is(await ok('link', 'delete', 'src', '--force'), 'Deleted cluster link "src".\n');
  assert.match(await fails('link', 'describe', 'src'), /src/);
});

test('a real Kafka 4.4.0 source: link, mirror --sync, offsets as the source\'s', async () => {
  const kafka = await startKafka();
  try {
    await createTopic(kafka, 'events', 2);
    await produce(kafka.bootstrap, 'events', 2, 41);
    await ok('link', 'create', 'from-kafka', '--source-bootstrap-server', kafka.bootstrap, '--source-cluster-id', kafka.clusterId);
    assert.is(JSON.parse(await ok('link', 'describe', 'from-kafka', '-o', 'json')).source_cluster_id, kafka.clusterId);
    await ok('mirror', 'create', 'events', '--link', 'from-kafka', '--sync');
    const m = JSON.parse(await ok('mirror', 'describe', 'events', '--link', 'from-kafka', '-o', 'json'));
    assert.equal(m.mirror_lags.map((p: any) => [p.partition, p.lag, p.log_end_offset]), [[0, 0, 21], [1, 0, 20]]);
    assert.match(await fails('link', 'create', 'wrong-id', '--source-bootstrap-server', kafka.bootstrap, '--source-cluster-id', 'not-the-id'), /not-the-id|cluster id/i);
    await ok('link', 'delete', 'from-kafka', '--force');
  } finally {
    await kafka.stop();
  }
});

test.run();
