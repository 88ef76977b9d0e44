// Consumer groups with kafkajs 2.2.4: members split a topic's partitions and nothing is read
// twice; a killed member's partitions go to the survivor after its session timeout; committed
// offsets (and their metadata) survive a restart of outpost and consumption resumes right after.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { startOutpost, type TestBroker } from '../support/outpost.js';

/** Short timeouts, so that rebalances and session expiry take seconds, not Kafka's defaults. */
const CONFIGS = { 'group.min.session.timeout.ms': '1000', 'group.initial.rebalance.delay.ms': '300', 'offsets.topic.num.partitions': '4' };

let broker: TestBroker;
const kafka = () => new Kafka({ clientId: 'groups-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });

test.before(async () => {
  broker = await startOutpost({ configs: CONFIGS });
});

test.after(async () => {
  await broker.destroy();
});

async function waitFor(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface MemberEvent {
  event: 'join' | 'message';
  memberId?: string;
  assignment?: Record<string, number[]>;
  partition?: number;
  offset?: string;
}

/** A group member in a child process (test/support/group-member.ts), killable without a goodbye. */
function spawnMember(groupId: string, topic: string, sessionTimeoutMs: number) {
  const script = fileURLToPath(new URL('../support/group-member.js', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [script, broker.bootstrap, groupId, topic, String(sessionTimeoutMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const events: MemberEvent[] = [];
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    events,
    /** partitions of `topic` in the member's latest assignment */
    assigned: () => [...events].reverse().find((e) => e.event === 'join')?.assignment?.[topic] ?? [],
    messages: () => events.filter((e) => e.event === 'message'),
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function createTopic(name: string, partitions: number): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }] });
  } finally {
    await admin.disconnect();
  }
}

async function produce(topic: string, partitions: number, count: number, tag: string): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ partition: i % partitions, value: `${tag}-${i}` })) });
  } finally {
    await producer.disconnect();
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

async function listTopics(): Promise<string[]> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

test('two members of a group split the partitions, and no record is read twice', async () => {
  // As on Kafka, the internal topic shows once a group has looked for its coordinator.
  assert.not.ok((await listTopics()).includes('__consumer_offsets'));
  await createTopic('split', 4);
  const a = spawnMember('split-group', 'split', 6000);
  const b = spawnMember('split-group', 'split', 6000);
  try {
    await waitFor('a split assignment', () => a.assigned().length > 0 && b.assigned().length > 0 && sorted([...a.assigned(), ...b.assigned()]).join() === '0,1,2,3');
    const admin = kafka().admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups(['split-group']);
      assert.is(groups[0]!.state, 'Stable');
      assert.is(groups[0]!.protocolType, 'consumer');
      assert.is(groups[0]!.members.length, 2);
      assert.is(groups[0]!.members[0]!.clientHost, '/127.0.0.1');
      assert.ok((await admin.listGroups()).groups.some((g) => g.groupId === 'split-group' && g.protocolType === 'consumer'));
    } finally {
      await admin.disconnect();
    }
    assert.ok((await listTopics()).includes('__consumer_offsets'));
    await produce('split', 4, 40, 'split');
    await waitFor('all 40 records', () => a.messages().length + b.messages().length >= 40);
    await new Promise((r) => setTimeout(r, 500));
    const all = [...a.messages(), ...b.messages()];
    assert.is(all.length, 40, 'each record exactly once');
    assert.is(new Set(all.map((m) => `${m.partition}:${m.offset}`)).size, 40);
    for (const m of a.messages()) assert.ok(a.assigned().includes(m.partition!), 'a read only its own partitions');
    for (const m of b.messages()) assert.ok(b.assigned().includes(m.partition!), 'b read only its own partitions');
  } finally {
    await Promise.all([a.kill(), b.kill()]);
  }
});

test('a killed member\'s partitions go to the survivor after the session timeout', async () => {
  await createTopic('failover', 4);
  const sessionTimeoutMs = 3000;
  const survivor = spawnMember('failover-group', 'failover', sessionTimeoutMs);
  const victim = spawnMember('failover-group', 'failover', sessionTimeoutMs);
  try {
    await waitFor('a split assignment', () => survivor.assigned().length > 0 && victim.assigned().length > 0);
    const killedAt = Date.now();
    await victim.kill();
    await waitFor('the survivor to take every partition', () => survivor.assigned().length === 4, 30_000);
    const tookMs = Date.now() - killedAt;
    // No LeaveGroup was sent: only the coordinator's session expiry can have freed the partitions.
    assert.ok(tookMs >= sessionTimeoutMs - 1000, `takeover after ${tookMs} ms, before the session timeout`);
    await produce('failover', 4, 20, 'after');
    await waitFor('the 20 records produced after the kill', () => survivor.messages().length >= 20);
    assert.equal(sorted([...new Set(survivor.messages().map((m) => m.partition!))]), [0, 1, 2, 3]);
  } finally {
    await Promise.all([survivor.kill(), victim.kill()]);
  }
});

test('committed offsets survive a restart of outpost, and consumption resumes right after them', async () => {
  await createTopic('resume', 2);
  await produce('resume', 2, 30, 'r');
  const first = kafka().consumer({ groupId: 'resume-group', sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  await first.connect();
  await first.subscribe({ topic: 'resume', fromBeginning: true });
  let read = 0;
  await first.run({ autoCommit: false, eachMessage: async () => void read++ });
  await waitFor('the first 30 records', () => read >= 30);
  await first.commitOffsets([
    { topic: 'resume', partition: 0, offset: '7', metadata: 'checkpoint-0' },
    { topic: 'resume', partition: 1, offset: '11', metadata: null },
  ]);
  await first.disconnect();

  broker = await broker.restart();

  const admin = kafka().admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: 'resume-group', topics: ['resume'] });
    // kafkajs reports the empty metadata Kafka keeps for a null one as null.
    assert.equal(offsets!.partitions.map((p) => [p.partition, p.offset, p.metadata]).sort(), [[0, '7', 'checkpoint-0'], [1, '11', null]]);
  } finally {
    await admin.disconnect();
  }
  const second = kafka().consumer({ groupId: 'resume-group', sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  const seen: { partition: number; offset: number }[] = [];
  await second.connect();
  await second.subscribe({ topic: 'resume', fromBeginning: true });
  await second.run({ eachMessage: async ({ partition, message }) => void seen.push({ partition, offset: Number(message.offset) }) });
  try {
    await waitFor('the 12 records after the commits', () => seen.length >= 12);
    await new Promise((r) => setTimeout(r, 500));
    const offsetsOf = (p: number) => seen.filter((s) => s.partition === p).map((s) => s.offset);
    assert.equal(offsetsOf(0), [7, 8, 9, 10, 11, 12, 13, 14]);
    assert.equal(offsetsOf(1), [11, 12, 13, 14]);
  } finally {
    await second.disconnect();
  }
});

test.run();
