// How long consumer groups take to reach a stable assignment: 50 kafkajs consumers in 10 groups
// (5 each) on one broker, all started at once, then one member of each group leaving. Measured on
// outpost and on Apache Kafka 4.4.0 with the same group configs, printed side by side.
//
//   npm run bench -- groups [--groups 10] [--members 5] [--partitions 20] [--delay-ms 3000] [--outpost-only]
//
// A group is stable when the broker describes it as Stable with all its members and the members'
// own latest assignments split the topic's partitions among them exactly. The time includes
// group.initial.rebalance.delay.ms (Kafka's default 3000 ms), which the first rebalance of a new
// group waits on purpose. Each broker runs alone, outpost as its own process (`outpost serve`).
import { freePort } from '../test/peers/kafka.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { repoRoot, startKafka } from '../test/peers/kafka.js';

interface Options {
  groups: number;
  members: number;
  partitions: number;
  delayMs: number;
  outpostOnly: boolean;
}

interface Broker {
  name: string;
  bootstrap: string;
  stop(): Promise<void>;
}

interface Figures {
  joinMs: number;
  leaveMs: number;
  /** GROUP_JOIN events seen by all consumers: one per member per generation it joined */
  joins: number;
}

const TOPIC = 'rebalance-bench';
const SESSION_TIMEOUT_MS = 10_000;
const REBALANCE_TIMEOUT_MS = 60_000;

function option(args: string[], name: string, dflt: number): number {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : dflt;
}


async function startOutpostBroker(delayMs: number): Promise<Broker> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-groups-bench-'));
  const config = join(dir, 'outpost.yaml');
  await writeFile(config, `data.dir: ./data\nconfigs:\n  group.initial.rebalance.delay.ms: ${delayMs}\n`);
  const [port, admin] = [await freePort(), await freePort()];
  const child: ChildProcess = spawn(process.execPath, [join(repoRoot, 'bin/outpost.js'), 'serve', '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--config', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, OUTPOST_LOG_LEVEL: 'warn' },
  });
  for (let i = 0; i < 200; i++) {
    if (await fetch(`http://127.0.0.1:${admin}/health`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: 'outpost',
    bootstrap: `127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function startKafkaBroker(delayMs: number): Promise<Broker> {
  const k = await startKafka({ configs: { 'group.initial.rebalance.delay.ms': String(delayMs) } });
  return { name: 'kafka', bootstrap: k.bootstrap, stop: async () => void (await k.stop()) };
}

interface Member {
  group: string;
  consumer: Consumer;
  /** partitions of the latest assignment */
  assigned: number[];
}

/** Whether every group is Stable with `size` members whose own assignments split all partitions. */
async function allStable(admin: Admin, members: Member[], groups: string[], size: number, partitions: number): Promise<boolean> {
  const { groups: described } = await admin.describeGroups(groups);
  if (!described.every((g) => g.state === 'Stable' && g.members.length === size)) return false;
  return groups.every((group) => {
    const assigned = members.filter((m) => m.group === group).flatMap((m) => m.assigned).sort((a, b) => a - b);
    return assigned.length === partitions && assigned.every((p, i) => p === i);
  });
}

async function waitStable(admin: Admin, members: Member[], groups: string[], size: number, partitions: number): Promise<number> {
  const started = Date.now();
  const deadline = started + 2 * REBALANCE_TIMEOUT_MS;
  while (!(await allStable(admin, members, groups, size, partitions))) {
    if (Date.now() > deadline) throw new Error(`groups not stable after ${Date.now() - started} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - started;
}

async function measure(broker: Broker, o: Options): Promise<Figures> {
  const kafka = new Kafka({ clientId: 'groups-bench', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: o.partitions }] });
  const groups = Array.from({ length: o.groups }, (_, g) => `bench-group-${g}`);
  let joins = 0;
  const members: Member[] = groups.flatMap((group) =>
    Array.from({ length: o.members }, () => {
      const consumer = kafka.consumer({ groupId: group, sessionTimeout: SESSION_TIMEOUT_MS, rebalanceTimeout: REBALANCE_TIMEOUT_MS, heartbeatInterval: 1000, maxWaitTimeInMs: 500 });
      const member: Member = { group, consumer, assigned: [] };
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        joins++;
        member.assigned = e.payload.memberAssignment[TOPIC] ?? [];
      });
      return member;
    }),
  );
  try {
    const started = Date.now();
    await Promise.all(members.map(async (m) => {
      await m.consumer.connect();
      await m.consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await m.consumer.run({ eachMessage: async () => {} });
    }));
    const joinMs = (Date.now() - started) + (await waitStable(admin, members, groups, o.members, o.partitions));

    // One member of each group leaves (LeaveGroup); the rest rebalance.
    const leaving = groups.map((g) => members.find((m) => m.group === g)!);
    const leftAt = Date.now();
    await Promise.all(leaving.map((m) => m.consumer.disconnect()));
    const staying = members.filter((m) => !leaving.includes(m));
    const leaveMs = (Date.now() - leftAt) + (await waitStable(admin, staying, groups, o.members - 1, o.partitions));
    return { joinMs, leaveMs, joins };
  } finally {
    await Promise.allSettled(members.map((m) => m.consumer.disconnect()));
    await admin.disconnect();
  }
}

function print(o: Options, results: [string, Figures][]): void {
  const consumers = o.groups * o.members;
  console.log(`${consumers} consumers in ${o.groups} groups (${o.members} each), ${o.partitions} partitions, group.initial.rebalance.delay.ms=${o.delayMs}, rebalance timeout ${REBALANCE_TIMEOUT_MS} ms`);
  console.log(`${'broker'.padEnd(10)}${'all join: stable in'.padEnd(22)}${'1 leaves each: stable in'.padEnd(27)}joins seen`);
  for (const [name, f] of results) {
    console.log(`${name.padEnd(10)}${`${f.joinMs} ms`.padEnd(22)}${`${f.leaveMs} ms`.padEnd(27)}${f.joins}`);
  }
  const outpost = results.find(([n]) => n === 'outpost')?.[1];
  const kafka = results.find(([n]) => n === 'kafka')?.[1];
  if (outpost && kafka) {
    console.log(`${'ratio'.padEnd(10)}${(outpost.joinMs / kafka.joinMs).toFixed(2).padEnd(22)}${(outpost.leaveMs / kafka.leaveMs).toFixed(2).padEnd(27)}(outpost/kafka)`);
  }
  const within = results.every(([, f]) => f.joinMs < REBALANCE_TIMEOUT_MS && f.leaveMs < REBALANCE_TIMEOUT_MS);
  console.log(`within the rebalance timeout: ${within ? 'yes' : 'NO'}`);
}

export async function runGroupsRebalance(args: string[]): Promise<void> {
  const o: Options = {
    groups: option(args, 'groups', 10),
    members: option(args, 'members', 5),
    partitions: option(args, 'partitions', 20),
    delayMs: option(args, 'delay-ms', 3000),
    outpostOnly: args.includes('--outpost-only'),
  };
  const results: [string, Figures][] = [];
  const starters = o.outpostOnly ? [startOutpostBroker] : [startOutpostBroker, startKafkaBroker];
  for (const start of starters) {
    const broker = await start(o.delayMs);
    try {
      results.push([broker.name, await measure(broker, o)]);
    } finally {
      await broker.stop();
    }
  }
  print(o, results);
}
