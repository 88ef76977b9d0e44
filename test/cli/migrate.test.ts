// `outpost migrate` as an operator runs it (the compiled bin/outpost.js), from a real Apache Kafka
// 4.4.0 source with StandardAuthorizer: a live Java producer is fenced off the source, the mirror
// is promoted, and the report's offsets are what the Java clients then do at outpost (the consumer
// group resumes exactly there, the producer continues after the last offset). A run that cannot
// finish removes its fence; an interrupted one is rolled back. Also the plan and bad input.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { createTopic, javaClient, javaTool, jsonLines, startKafka, type KafkaPeer } from '../peers/kafka.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { connectTo, highWatermarks, waitFor } from '../link/support.js';

const bin = fileURLToPath(new URL('../../../bin/outpost.js', import.meta.url));
const LINK = 'cutover';

interface Ctx {
  kafka: KafkaPeer;
  outpost: TestBroker;
  source: KafkaConnection;
  dir: string;
}

const test = suite<Ctx>('outpost migrate, from Kafka 4.4.0');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `until` (a line on stderr) interrupts it with SIGINT once it appears. */
function migrate(ctx: Ctx, args: string[], opts: { until?: RegExp } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'migrate', '--link', LINK, '--admin-url', `http://127.0.0.1:${ctx.outpost.adminPort}`, ...args], { cwd: ctx.dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (opts.until?.test(stderr)) child.kill('SIGINT');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The ACLs at the source for a topic, as kafka-acls would list them: [principal, operation, permission]. */
async function sourceAcls(ctx: Ctx, topic: string): Promise<[string, number, number][]> {
  const r = await ctx.source.request('DescribeAcls', 3, { resourceTypeFilter: 2, resourceNameFilter: topic, patternTypeFilter: 3, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
  return r.resources.flatMap((res: any) => res.acls.map((a: any) => [a.principal, a.operation, a.permissionType] as [string, number, number])).sort((x: [string, number, number], y: [string, number, number]) => x[1] - y[1] || x[2] - y[2]);
}

test.before(async (ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'outpost-migrate-'));
  [ctx.kafka, ctx.outpost] = await Promise.all([
    // ACLs enforced, everyone allowed where no ACL is found: a fence is what stops the producers.
    startKafka({ configs: { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'allow.everyone.if.no.acl.found': 'true' } }),
    startOutpost(),
  ]);
  await createTopic(ctx.kafka, 'orders', 3);
  await createTopic(ctx.kafka, 'held', 1);
  await ctx.outpost.links.createLink({
    name: LINK,
    bootstrapServers: ctx.kafka.bootstrap,
    configs: { 'consumer.offset.sync.enable': 'true', 'consumer.offset.sync.ms': '1000', 'consumer.offset.group.filters': '{"groupFilters":[{"name":"*","patternType":"LITERAL","filterType":"INCLUDE"}]}' },
  });
  for (const t of ['orders', 'held']) await ctx.outpost.links.createMirror(LINK, t);
  ctx.source = await connectTo(ctx.kafka.port);
});

test.after(async (ctx) => {
  ctx.source?.close();
  await ctx.outpost?.destroy();
  await ctx.kafka?.stop();
});

test('a run that cannot reach lag 0 removes its fence; an interrupted one is rolled back', async (ctx) => {
  // A transaction left open at the source: the mirror (read_committed) cannot reach its end.
  const signal = join(ctx.dir, 'end-held');
  const open = javaClient('ProduceRecords', ['--bootstrap', ctx.kafka.bootstrap, '--topic', 'held', '--count', '3', '--prop', 'transactional.id=held', '--txn', 'commit', '--end-txn-when', signal]);
  try {
    await waitFor('the open transaction', async () => (await highWatermarks(ctx.source, 'held'))[0]! >= 3);
    // ... and the mirror has heard of it (its lag counts the source's high watermark).
    await waitFor('the mirror to see the open transaction', () => ctx.outpost.links.describeMirror(LINK, 'held').partitions[0]!.lag >= 3);
    const abandoned = await migrate(ctx, ['--topics', 'held', '--fence', '--timeout-ms', '3000']);
    assert.is.not(abandoned.code, 0);
    assert.match(abandoned.stderr, /Fenced 1 source topic/);
    assert.match(abandoned.stderr, /did not get at lag 0 within 3000 ms/);
    assert.match(abandoned.stderr, /abandoned: the fence at the source is removed/);
    assert.equal(await sourceAcls(ctx, 'held'), []);
    assert.not.ok(existsSync(join(ctx.dir, `outpost-migrate-${LINK}.json`)));

    const interrupted = await migrate(ctx, ['--topics', 'held', '--fence'], { until: /Fenced/ });
    assert.match(interrupted.stderr, /interrupted: run again with --resume/);
    // DENY WRITE for everyone, and (nothing else guarding the topic) READ, DESCRIBE, DESCRIBE_CONFIGS allowed as before.
    assert.equal(await sourceAcls(ctx, 'held'), [['User:*', 3, 3], ['User:*', 4, 2], ['User:*', 8, 3], ['User:*', 10, 3]]);
    const again = await migrate(ctx, ['--topics', 'held']);
    assert.is(again.code, 2);
    assert.match(again.stderr, /was interrupted .*--resume to go on, or --rollback/);
    const rolled = await migrate(ctx, ['--rollback']);
    assert.is(rolled.code, 0, rolled.stderr);
    assert.match(rolled.stderr, /Removed the fence at the source \(4 ACLs\)/);
    assert.equal(await sourceAcls(ctx, 'held'), []);
    assert.is(ctx.outpost.links.describeMirror(LINK, 'held').state, 'ACTIVE', 'nothing was promoted');
  } finally {
    writeFileSync(signal, '');
    await open;
    rmSync(join(ctx.dir, `outpost-migrate-${LINK}.json`), { force: true });
  }
});

test('bad input: unknown topics and groups, no such link; the plan changes nothing', async (ctx) => {
  const none = await migrate(ctx, ['--topics', 'nope', '--dry-run']);
  assert.is(none.code, 2);
  assert.match(none.stderr, /--topics nope: link cutover has no mirror topic of that name/);
  const group = await migrate(ctx, ['--topics', 'ord*', '--groups', 'ghost', '--dry-run']);
  assert.is(group.code, 2);
  assert.match(group.stderr, /--groups ghost: the offset sync of link cutover covers no such group/);
  const link = await migrate(ctx, ['--topics', 'orders', '--dry-run', '--link', 'nowhere']);
  assert.is(link.code, 2);
  assert.match(link.stderr, /cluster link nowhere does not exist/);
  const plan = await migrate(ctx, ['--topics', 'ord*', '--dry-run', '-o', 'json']);
  assert.is(plan.code, 0, plan.stderr);
  const p = JSON.parse(plan.stdout);
  assert.equal(p.topics, [{ topic: 'orders', source_topic: 'orders' }]);
  assert.is(p.steps.length, 5);
  assert.is(ctx.outpost.links.describeMirror(LINK, 'orders').state, 'ACTIVE');
});

test('end to end: a live Java producer fenced and a Java consumer group moved; the report is what the clients then do', async (ctx) => {
  // The producer writes on throughout; the group reads some of it at the source and commits.
  const producer = javaTool('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', 'orders', '--num-records', '6000', '--throughput', '300', '--record-size', '100',
    '--producer-props', `bootstrap.servers=${ctx.kafka.bootstrap}`, 'acks=all', 'retries=0', 'delivery.timeout.ms=5000', 'request.timeout.ms=2000', 'linger.ms=5',
  ], { timeoutMs: 90_000 });
  await waitFor('records at the source', async () => (await highWatermarks(ctx.source, 'orders')).reduce((a, b) => a + b, 0) >= 600);
  const consumed = await javaClient('ConsumeRecords', ['--bootstrap', ctx.kafka.bootstrap, '--topic', 'orders', '--group', 'billing', '--max', '500', '--commit', 'true', '--timeout-ms', '30000']);
  assert.is(consumed.code, 0, consumed.stderr);
  const readAtSource = jsonLines<{ partition: number; offset: number }>(consumed.stdout);

  const run = await migrate(ctx, ['--topics', 'orders', '--groups', 'billing', '--fence', '--max-lag', '100000', '-o', 'json']);
  assert.is(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  const fenced = await producer;
  assert.match(fenced.stdout + fenced.stderr, /TopicAuthorizationException|Not authorized to access topics/, 'the producer was fenced at the source');

  // The topic ended where the source did; a producer at outpost continues after it.
  const sourceEnds = await highWatermarks(ctx.source, 'orders');
  assert.equal(report.topics, [{ topic: 'orders', partitions: sourceEnds.map((end, partition) => ({ partition, last_offset: end - 1 })) }]);
  assert.equal(report.fenced_at_source, ['orders']);
  assert.equal(report.bootstrap_servers, [{ listener: 'PLAINTEXT', security_protocol: 'PLAINTEXT', bootstrap: ctx.outpost.bootstrap }]);
  const more = await javaClient('ProduceRecords', ['--bootstrap', ctx.outpost.bootstrap, '--topic', 'orders', '--partition', '0', '--count', '2', '--value-prefix', 'after-']);
  assert.is(more.code, 0, more.stderr);
  assert.equal(jsonLines<{ offset: number }>(more.stdout).map((r) => r.offset), [sourceEnds[0]!, sourceEnds[0]! + 1]);

  // The group resumes at the offsets the report gives: right after what it read at the source.
  const resumeAt = new Map<number, number>(report.groups[0].partitions.map((p: any) => [p.partition, p.offset]));
  assert.is(report.groups[0].group, 'billing');
  for (const [partition, offset] of resumeAt) {
    // A partition it read nothing of was committed at its position: the log start, 0.
    const last = Math.max(-1, ...readAtSource.filter((r) => r.partition === partition).map((r) => r.offset));
    assert.is(offset, last + 1, `partition ${partition}: none read twice, none skipped`);
  }
  const resumed = await javaClient('ConsumeRecords', ['--bootstrap', ctx.outpost.bootstrap, '--topic', 'orders', '--group', 'billing', '--to-end', 'true', '--timeout-ms', '30000']);
  assert.is(resumed.code, 0, resumed.stderr);
  const firstRead = new Map<number, number>();
  for (const r of jsonLines<{ partition: number; offset: number }>(resumed.stdout)) if (!firstRead.has(r.partition)) firstRead.set(r.partition, r.offset);
  for (const [partition, offset] of resumeAt) if (offset < (partition === 0 ? sourceEnds[0]! + 2 : sourceEnds[partition]!)) assert.is(firstRead.get(partition), offset, `partition ${partition}`);
});

test.run();
