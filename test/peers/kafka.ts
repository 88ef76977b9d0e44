// The real Apache Kafka that outpost is tested and benchmarked against: a one-node KRaft broker
// (combined broker+controller) in a temp dir, plus wrappers for the Java tools most tests use.
// The jars come from scripts/fetch-kafka.sh (Maven), which libs.ts runs on first use.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnGuarded, type RunResult } from './proc.js';
import { liveBrokerCount } from './probe.js';
import { ensureFile, kafkaLibs, log4jConfig } from './libs.js';
import { JVM_LOG_TO_STDERR, sharedArchive } from './cds.js';
import { javaTool, type JavaToolOptions } from './jvm.js';

export type { RunResult } from './proc.js';
export { kafkaLibs, repoRoot } from './libs.js';
export { javaTool, QUICK_JVM_ARGS, STEADY_JVM_ARGS, type JavaToolOptions } from './jvm.js';
export { javaClient, jsonLines } from './java-client.js';

// ---------------------------------------------------------------------------------------------
// The broker

export interface KafkaPeer {
  /** "127.0.0.1:PORT" of the PLAINTEXT listener. */
  bootstrap: string;
  host: string;
  port: number;
  controllerPort: number;
  /** The broker's log.dirs: partition directories such as `topic-0/` live here. */
  dataDir: string;
  /** The temp dir holding dataDir, server.properties and broker.log (removed by stop()). */
  workDir: string;
  /** The broker's own log (INFO): the first place to look when something is off. */
  logFile: string;
  clusterId: string;
  /**
   * Kills the broker (SIGKILL, or SIGTERM with graceful: a controlled shutdown that flushes the
   * logs) and removes workDir. Resolves with the JVM's exit code (null when killed). Idempotent.
   */
  stop(opts?: { graceful?: boolean }): Promise<number | null>;
}

export interface StartKafkaOptions {
  /** Broker configs, applied over the one-node test defaults below. */
  configs?: Record<string, string>;
  /** Replaces the default broker JVM flags. */
  jvmArgs?: string[];
  /** How long to wait for the broker to accept clients. */
  timeoutMs?: number;
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

function brokerConfig(port: number, controllerPort: number, dataDir: string, extra: Record<string, string>): string {
  const configs: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': dataDir,
    // One node: every internal topic must make do with one replica.
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    // Fewer internal partitions: each one is files and a load on the one broker, and tests
    // only need the protocol, not the spread.
    'offsets.topic.num.partitions': '4',
    'transaction.state.log.num.partitions': '4',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'false',
    'num.partitions': '1',
    ...extra,
  };
  return Object.entries(configs).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

/** Starts a fresh one-node Kafka on free 127.0.0.1 ports; resolves once it accepts clients. */
export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaPeer> {
  const started = Date.now();
  const archive = await brokerArchive(opts);
  const peer = await startWithRetry(opts, archive ? [`-XX:SharedArchiveFile=${archive}`] : []);
  startupTimes.push(Date.now() - started);
  return peer;
}

/** Milliseconds each startKafka() in this process took (format + JVM start + ready), for reports. */
export const startupTimes: number[] = [];

/** The broker's CDS archive (see cds.ts), trained by starting and gracefully stopping a broker. */
async function brokerArchive(opts: StartKafkaOptions): Promise<string | undefined> {
  return sharedArchive('broker', [join(await kafkaLibs(), '*')], async (dumpFlags) => {
    const peer = await startWithRetry({ timeoutMs: opts.timeoutMs }, dumpFlags);
    // The archive is written as the JVM exits through its shutdown hooks (SIGTERM, exit code
    // 143), not on SIGKILL: this stop must be graceful. sharedArchive() checks the file.
    await peer.stop({ graceful: true });
    return true;
  });
}

async function startWithRetry(opts: StartKafkaOptions, cdsFlags: string[]): Promise<KafkaPeer> {
  // Free ports are picked, then bound by the JVM a moment later: another process can take one in
  // between, so a bind failure is retried with new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts, cdsFlags);
    } catch (e) {
      if (attempt >= 3 || !(e instanceof PortTakenError)) throw e;
    }
  }
}

class PortTakenError extends Error {}

async function startOnce(opts: StartKafkaOptions, cdsFlags: string[]): Promise<KafkaPeer> {
  const libs = await kafkaLibs();
  const workDir = mkdtempSync(join(tmpdir(), 'outpost-kafka-'));
  const dataDir = join(workDir, 'data');
  const logFile = join(workDir, 'broker.log');
  const [port, controllerPort] = [await freePort(), await freePort()];
  const id = clusterId();
  const props = join(workDir, 'server.properties');
  writeFileSync(props, brokerConfig(port, controllerPort, dataDir, opts.configs ?? {}));
  // Broker logs INFO to its own file (not a pipe, which could fill and stall the broker);
  // the per-request and state-change loggers are too chatty to be useful at INFO.
  const brokerLog4j = ensureFile(join(libs, '..', 'config', 'broker-log4j2.properties'),
    log4jConfig('SYSTEM_OUT', 'info', ['kafka.request.logger', 'state.change.logger', 'org.apache.kafka.common.config.AbstractConfig']));

  const cleanup = () => rmSync(workDir, { recursive: true, force: true });
  const format = await javaTool('kafka.tools.StorageTool', ['format', '--cluster-id', id, '--config', props, '--standalone']);
  if (format.code !== 0) {
    cleanup();
    throw new Error(`kafka storage format failed (code ${format.code}):\n${format.stdout}\n${format.stderr}`);
  }

  const out = openSync(logFile, 'a');
  const child = spawnGuarded('java', [
    ...(opts.jvmArgs ?? BROKER_JVM_ARGS),
    ...JVM_LOG_TO_STDERR,
    ...cdsFlags,
    `-Dlog4j2.configurationFile=${brokerLog4j}`,
    `-Dkafka.logs.dir=${workDir}`,
    // snappy-java and lz4-java unpack their native libraries into the temp dir and only delete
    // them on a normal exit: keep them in workDir, which stop() removes even after a SIGKILL.
    `-Djava.io.tmpdir=${workDir}`,
    '-cp', join(libs, '*'),
    'kafka.Kafka', props,
  ], { stdio: ['ignore', out, out] }, workDir);
  closeSync(out);
  // A test that forgets stop() must still end: the 'exit' hook in proc.ts kills the JVM then.
  child.unref();

  let exited = false;
  const exitPromise = new Promise<number | null>((resolve) => child.once('exit', (code) => { exited = true; resolve(code); }));
  child.once('error', () => { exited = true; });

  let stopping: Promise<number | null> | undefined;
  const stop = (s: { graceful?: boolean } = {}) => {
    stopping ??= (async () => {
      // Keep the event loop alive until the JVM is really gone, so workDir can be removed.
      child.ref();
      let t: NodeJS.Timeout | undefined;
      if (!exited) {
        child.kill(s.graceful ? 'SIGTERM' : 'SIGKILL');
        if (s.graceful) t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      }
      const code = await exitPromise;
      clearTimeout(t);
      cleanup();
      return code;
    })();
    return stopping;
  };

  try {
    await waitReady(child, () => exited, port, logFile, opts.timeoutMs ?? 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { bootstrap: `127.0.0.1:${port}`, host: '127.0.0.1', port, controllerPort, dataDir, workDir, logFile, clusterId: id, stop };
}

async function waitReady(child: ChildProcess, exited: () => boolean, port: number, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (exited()) {
      const log = readLog(logFile);
      if (/Address already in use/.test(log)) throw new PortTakenError(`port taken: ${port}`);
      throw new Error(`Kafka exited during start-up (code ${child.exitCode}); log tail:\n${tail(log)}`);
    }
    try {
      if ((await liveBrokerCount('127.0.0.1', port)) >= 1) return;
      last = new Error('broker is up but not yet unfenced');
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Kafka not ready after ${timeoutMs} ms (${String(last)}); log tail:\n${tail(readLog(logFile))}`);
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
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
 * ['--property', 'parse.key=true', '--property', 'key.separator=:'] for keys, or
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
