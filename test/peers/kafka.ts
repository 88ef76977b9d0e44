// The real Apache Kafka that outpost is tested and benchmarked against: a one-node KRaft broker
// (combined broker+controller) in a temp dir, or a small cluster of them (node 1 the controller
// and a broker, the others brokers only), plus wrappers for the Java tools most tests use. The
// jars come from scripts/fetch-kafka.sh (Maven), which libs.ts runs on first use.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from './proc.js';
import { kafkaLibs } from './libs.js';
import { sharedArchive } from './cds.js';
import { javaTool, type JavaToolOptions } from './jvm.js';
import { createNode, PortTakenError, type ExtraListener, type KafkaNode, type KafkaPeer } from './kafka-node.js';
import { liveBrokerIds } from './probe.js';

export type { RunResult } from './proc.js';
export type { KafkaPeer } from './kafka-node.js';
export { kafkaLibs, repoRoot } from './libs.js';
export { javaTool, QUICK_JVM_ARGS, STEADY_JVM_ARGS, type JavaToolOptions } from './jvm.js';
export { javaClient, jsonLines } from './java-client.js';

// ---------------------------------------------------------------------------------------------
// The broker

export interface StartKafkaOptions {
  /** Broker configs, applied over the test defaults below. */
  configs?: Record<string, string>;
  /** Replaces the default broker JVM flags. */
  jvmArgs?: string[];
  /** How long to wait for a broker to accept clients (at start and at each restart). */
  timeoutMs?: number;
  /** Listeners besides PLAINTEXT, each on a free port (see KafkaPeer.listenerPorts). */
  listeners?: Omit<ExtraListener, 'port'>[];
}

/**
 * Broker JVM flags: a small heap so a broker fits beside outpost and the clients on 2 cores, and
 * G1 with Kafka's own pause target. No C1-only flag here: benchmarks measure this broker.
 */
export const BROKER_JVM_ARGS = ['-Xms512m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true'];

/** A free loopback port (for a broker, an admin listener, a test process). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A random Kafka Uuid in its base64url form; one starting with '-' would read as a CLI flag. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The test defaults. */
const TEST_CONFIGS: Record<string, string> = {
  // Every internal topic makes do with one replica.
  'offsets.topic.replication.factor': '1',
  'transaction.state.log.replication.factor': '1',
  'transaction.state.log.min.isr': '1',
  'share.coordinator.state.topic.replication.factor': '1',
  'share.coordinator.state.topic.min.isr': '1',
  // Fewer internal partitions: each one is files and a load on the broker, and tests only need
  // the protocol, not the spread.
  'offsets.topic.num.partitions': '4',
  'transaction.state.log.num.partitions': '4',
  'group.initial.rebalance.delay.ms': '0',
  'auto.create.topics.enable': 'false',
  'num.partitions': '1',
  // A restarted broker is unfenced only once the controller has fenced its previous incarnation
  // at the end of that one's session, and a killed broker's partitions get new leaders only then:
  // 4 s instead of Kafka's 9, heartbeats often enough to keep a loaded broker's session alive.
  'broker.session.timeout.ms': '4000',
  'broker.heartbeat.interval.ms': '500',
  // Leadership moves only when a test moves it, never by Kafka's periodic preferred election.
  'auto.leader.rebalance.enable': 'false',
};

/** Starts a fresh one-node Kafka on free 127.0.0.1 ports; resolves once it accepts clients. */
export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaPeer> {
  const started = Date.now();
  const cdsFlags = await brokerCdsFlags(opts);
  const [peer] = await startNodesWithRetry(1, { ...TEST_CONFIGS, ...opts.configs }, opts, cdsFlags);
  startupTimes.push(Date.now() - started);
  return peer!;
}

/** Milliseconds each startKafka() in this process took (format + JVM start + ready), for reports. */
export const startupTimes: number[] = [];

export interface KafkaCluster {
  /** Every broker's "127.0.0.1:PORT", comma-separated. */
  bootstrap: string;
  clusterId: string;
  /**
   * The nodes by position: nodes[i] has node id i + 1. Node 1 is the cluster's only controller
   * (and a broker): stopping it stops the cluster's leader elections, so stop or restart others.
   */
  nodes: KafkaPeer[];
  /** The node with id `nodeId`. */
  node(nodeId: number): KafkaPeer;
  /** Stops every node (SIGKILL) and removes their dirs. */
  stop(): Promise<void>;
}

/**
 * Starts a fresh Kafka cluster of `brokers` nodes on free 127.0.0.1 ports, one JVM each; resolves
 * once every broker is live in every broker's metadata, so topics with `brokers` replicas can be
 * created at once.
 */
export async function startKafkaCluster(brokers: number, opts: StartKafkaOptions = {}): Promise<KafkaCluster> {
  const cdsFlags = await brokerCdsFlags(opts);
  const nodes = await startNodesWithRetry(brokers, { ...TEST_CONFIGS, ...opts.configs }, opts, cdsFlags);
  const cluster: KafkaCluster = {
    bootstrap: nodes.map((n) => n.bootstrap).join(','),
    clusterId: nodes[0]!.clusterId,
    nodes,
    node: (id) => {
      const n = nodes[id - 1];
      if (!n) throw new Error(`the cluster has no node ${id}`);
      return n;
    },
    stop: async () => void (await Promise.all(nodes.map((n) => n.stop()))),
  };
  try {
    await allBrokersLive(nodes, opts.timeoutMs ?? 60_000);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}

/** Waits until each node's metadata lists every node as a live broker. */
async function allBrokersLive(nodes: KafkaPeer[], timeoutMs: number): Promise<void> {
  const ids = nodes.map((n) => n.nodeId);
  const deadline = Date.now() + timeoutMs;
  for (const n of nodes) {
    for (;;) {
      const seen = await liveBrokerIds(n.host, n.port).catch(() => [] as number[]);
      if (ids.every((id) => seen.includes(id))) break;
      if (Date.now() > deadline) throw new Error(`Kafka node ${n.nodeId} lists the brokers [${seen}], not all of [${ids}], after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The flags that map the broker's CDS archive (see cds.ts), made first by a training start. */
async function brokerCdsFlags(opts: StartKafkaOptions): Promise<string[]> {
  const archive = await sharedArchive('broker', [join(await kafkaLibs(), '*')], async (dumpFlags) => {
    const [peer] = await startNodesWithRetry(1, TEST_CONFIGS, { timeoutMs: opts.timeoutMs }, dumpFlags);
    // The archive is written as the JVM exits through its shutdown hooks (SIGTERM, exit code
    // 143), not on SIGKILL: this stop must be graceful. sharedArchive() checks the file.
    await peer!.stop({ graceful: true });
    return true;
  });
  return archive ? [`-XX:SharedArchiveFile=${archive}`] : [];
}

/**
 * Formats and starts `count` nodes of a new cluster (node 1 its controller), all at once. Free
 * ports are picked, then bound by the JVMs a moment later: another process can take one in
 * between, so a bind failure starts over with new ports.
 */
async function startNodesWithRetry(count: number, configs: Record<string, string>, opts: StartKafkaOptions, cdsFlags: string[]): Promise<KafkaNode[]> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    const extra = opts.listeners ?? [];
    while (ports.length <= count * (1 + extra.length)) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    const id = clusterId();
    const nodes: KafkaNode[] = [];
    try {
      for (let i = 0; i < count; i++) {
        nodes.push(await createNode({
          nodeId: i + 1,
          controller: i === 0,
          port: ports[i + 1]!,
          controllerPort: ports[0]!,
          listeners: extra.map((l, j) => ({ ...l, port: ports[count + 1 + i * extra.length + j]! })),
          clusterId: id,
          configs,
          jvmArgs: opts.jvmArgs ?? BROKER_JVM_ARGS,
          cdsFlags,
          timeoutMs: opts.timeoutMs ?? 60_000,
        }));
      }
      // Brokers wait for the controller by themselves: starting together saves a JVM start-up.
      const started = await Promise.allSettled(nodes.map((n) => n.start()));
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      return nodes;
    } catch (e) {
      await Promise.all(nodes.map((n) => n.stop()));
      if (attempt >= 3 || !(e instanceof PortTakenError)) throw e;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Convenience wrappers for the tools the tests use most

/** kafka-topics.sh: e.g. kafkaTopics(peer, ['--create', '--topic', 't', '--partitions', '3']). */
export function kafkaTopics(peer: { bootstrap: string }, args: string[], opts: JavaToolOptions = {}): Promise<RunResult> {
  return javaTool('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', peer.bootstrap, ...args], opts);
}

/** Creates a topic (replication factor 1) and throws with the tool's output if that fails. */
export async function createTopic(peer: { bootstrap: string }, topic: string, partitions = 1, configs: Record<string, string> = {}): Promise<void> {
  const args = ['--create', '--topic', topic, '--partitions', String(partitions), '--replication-factor', '1'];
  for (const [k, v] of Object.entries(configs)) args.push('--config', `${k}=${v}`);
  const r = await kafkaTopics(peer, args);
  if (r.code !== 0) throw new Error(`creating topic ${topic} failed (code ${r.code}):\n${r.stdout}\n${r.stderr}`);
}

/**
 * kafka-console-producer.sh: sends each line of `lines` as one record (stdin). Pass e.g.
 * ['--reader-property', 'parse.key=true', '--reader-property', 'key.separator=:'] for keys, or
 * ['--producer-property', 'compression.type=zstd'].
 */
export function consoleProduce(peer: { bootstrap: string }, topic: string, lines: string[], args: string[] = [], opts: JavaToolOptions = {}): Promise<RunResult> {
  const input = lines.map((l) => `${l}\n`).join('');
  return javaTool('org.apache.kafka.tools.ConsoleProducer', ['--bootstrap-server', peer.bootstrap, '--topic', topic, ...args], { input, ...opts });
}

/**
 * kafka-console-consumer.sh from the beginning: stops after `maxMessages` records, or after
 * `idleMs` with no new record (the tool's --timeout-ms), whichever comes first.
 */
export function consoleConsume(
  peer: { bootstrap: string },
  topic: string,
  o: { maxMessages?: number; idleMs?: number; args?: string[] } & JavaToolOptions = {},
): Promise<RunResult> {
  const { maxMessages, idleMs = 10_000, args = [], ...opts } = o;
  const toolArgs = ['--bootstrap-server', peer.bootstrap, '--topic', topic, '--from-beginning', '--timeout-ms', String(idleMs)];
  if (maxMessages !== undefined) toolArgs.push('--max-messages', String(maxMessages));
  return javaTool('org.apache.kafka.tools.consumer.ConsoleConsumer', [...toolArgs, ...args], opts);
}

/**
 * kafka-reassign-partitions --execute: gives partitions of `topic` new replica lists, keyed by
 * partition (the first replica is the partition's preferred leader). Reordering the replicas of a
 * partition moves no data and is complete at once; a move to other brokers copies in the background.
 */
export function reassignPartitions(peer: { bootstrap: string }, topic: string, replicas: Record<number, number[]>): Promise<RunResult> {
  const partitions = Object.entries(replicas).map(([p, r]) => ({ topic, partition: Number(p), replicas: r }));
  return withJsonFile({ version: 1, partitions }, (file) =>
    javaTool('org.apache.kafka.tools.reassign.ReassignPartitionsCommand', ['--bootstrap-server', peer.bootstrap, '--reassignment-json-file', file, '--execute']));
}

/**
 * kafka-leader-election --election-type PREFERRED: makes each listed partition's preferred replica
 * its leader; that fails for a partition whose preferred replica is not in sync.
 */
export function electPreferredLeaders(peer: { bootstrap: string }, topic: string, partitions: number[]): Promise<RunResult> {
  return withJsonFile({ partitions: partitions.map((partition) => ({ topic, partition })) }, (file) =>
    javaTool('org.apache.kafka.tools.LeaderElectionCommand', ['--bootstrap-server', peer.bootstrap, '--election-type', 'PREFERRED', '--path-to-json-file', file]));
}

/** Runs `fn` with a temp file holding `content` as JSON (the form those tools take their input in). */
async function withJsonFile<T>(content: unknown, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-tool-'));
  try {
    const file = join(dir, 'input.json');
    writeFileSync(file, JSON.stringify(content));
    return await fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
