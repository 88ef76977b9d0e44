// One Apache Kafka KRaft node run by the tests: its temp dir (server.properties, log dirs, the
// node's own log), `kafka-storage format`, and its JVM, which can be stopped and started again on
// the same ports, data and cluster id, as an operator restarts a broker.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { removeAtExit, spawnGuarded } from './proc.js';
import { liveBrokerIds } from './probe.js';
import { ensureFile, kafkaLibs, log4jConfig } from './libs.js';
import { JVM_LOG_TO_STDERR } from './cds.js';
import { javaTool } from './jvm.js';

export interface KafkaPeer {
  /** "127.0.0.1:PORT" of the PLAINTEXT listener. */
  bootstrap: string;
  /** The port of each extra listener (StartKafkaOptions.listeners), by name. */
  listenerPorts: Record<string, number>;
  host: string;
  port: number;
  /** The KRaft controller's listener (this node's own when it is the controller). */
  controllerPort: number;
  nodeId: number;
  /** The broker's log.dirs: partition directories such as `topic-0/` live here. */
  dataDir: string;
  /** The temp dir holding dataDir, server.properties and broker.log (removed by stop()). */
  workDir: string;
  /** The broker's own log (INFO), kept across restarts: the first place to look when something is off. */
  logFile: string;
  clusterId: string;
  /**
   * Kills the broker (SIGKILL, or SIGTERM with graceful: a controlled shutdown that flushes the
   * logs) and removes workDir unless keepData is set. Resolves with the JVM's exit code (null
   * when killed). Calling it again on a stopped broker only removes what keepData kept.
   */
  stop(opts?: { graceful?: boolean; keepData?: boolean }): Promise<number | null>;
  /**
   * Starts the broker again on the same ports and data (stopping it first, with SIGKILL unless
   * graceful, if it runs); resolves once it serves clients. Refused once workDir is removed.
   */
  restart(opts?: { graceful?: boolean }): Promise<void>;
}

export interface NodeSpec {
  nodeId: number;
  /** Also the cluster's KRaft controller (its only voter), listening on controllerPort. */
  controller: boolean;
  port: number;
  controllerPort: number;
  clusterId: string;
  /** Listeners besides PLAINTEXT and CONTROLLER (TLS and SASL ones), each on a port of its own. */
  listeners: ExtraListener[];
  /** Broker configs over the ones that place the node (roles, listeners, log.dirs). */
  configs: Record<string, string>;
  jvmArgs: string[];
  /** Flags for class-data sharing (cds.ts): an archive to map, or the ones that dump it. */
  cdsFlags: string[];
  /** How long a (re)start may take until the node serves clients. */
  timeoutMs: number;
}

/** A listener besides PLAINTEXT: its name, security protocol, advertised host and port. */
export interface ExtraListener {
  name: string;
  protocol: 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  /** advertised host (default 127.0.0.1): a certificate's name, such as localhost */
  host?: string;
  port: number;
}

interface Jvm {
  child: ChildProcess;
  /** resolves with the exit code (null when killed by a signal) */
  exit: Promise<number | null>;
  exited: boolean;
}

/** The node's listener was taken between picking a free port and the JVM binding it. */
export class PortTakenError extends Error {}

function nodeConfig(spec: NodeSpec, dataDir: string): string {
  const listeners = [`PLAINTEXT://127.0.0.1:${spec.port}`, ...spec.listeners.map((l) => `${l.name}://127.0.0.1:${l.port}`)];
  const advertised = [`PLAINTEXT://127.0.0.1:${spec.port}`, ...spec.listeners.map((l) => `${l.name}://${l.host ?? '127.0.0.1'}:${l.port}`)];
  const protocols = ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', ...spec.listeners.map((l) => `${l.name}:${l.protocol}`)];
  if (spec.controller) listeners.push(`CONTROLLER://127.0.0.1:${spec.controllerPort}`);
  const configs: Record<string, string> = {
    'process.roles': spec.controller ? 'broker,controller' : 'broker',
    'node.id': String(spec.nodeId),
    'controller.quorum.bootstrap.servers': `127.0.0.1:${spec.controllerPort}`,
    listeners: listeners.join(','),
    'advertised.listeners': advertised.join(','),
    // A broker-only node needs the controller's listener name too, to reach the quorum.
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': protocols.join(','),
    'log.dirs': dataDir,
    ...spec.configs,
  };
  return Object.entries(configs).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

export class KafkaNode implements KafkaPeer {
  readonly host = '127.0.0.1';
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly logFile: string;
  private readonly props: string;
  private jvm: Jvm | null = null;
  private lastCode: number | null = null;
  private removed = false;
  private readonly keepUntilExit: () => void;

  constructor(private readonly spec: NodeSpec, readonly workDir: string) {
    this.bootstrap = `127.0.0.1:${spec.port}`;
    this.dataDir = join(workDir, 'data');
    this.logFile = join(workDir, 'broker.log');
    this.props = join(workDir, 'server.properties');
    this.keepUntilExit = removeAtExit(workDir);
  }

  get port(): number {
    return this.spec.port;
  }

  get listenerPorts(): Record<string, number> {
    return Object.fromEntries(this.spec.listeners.map((l) => [l.name, l.port]));
  }

  get controllerPort(): number {
    return this.spec.controllerPort;
  }

  get nodeId(): number {
    return this.spec.nodeId;
  }

  get clusterId(): string {
    return this.spec.clusterId;
  }

  /** Writes server.properties and formats the log dirs with the cluster id. */
  async format(): Promise<void> {
    writeFileSync(this.props, nodeConfig(this.spec, this.dataDir));
    // The one controller bootstraps the quorum with itself as its voter; brokers only join it.
    const args = ['format', '--cluster-id', this.spec.clusterId, '--config', this.props, ...(this.spec.controller ? ['--standalone'] : [])];
    const r = await javaTool('kafka.tools.StorageTool', args);
    if (r.code !== 0) throw new Error(`kafka storage format of node ${this.nodeId} failed (code ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }

  /** Starts the JVM and resolves once the node serves clients; a failed start leaves it stopped. */
  async start(): Promise<void> {
    const libs = await kafkaLibs();
    // Broker logs INFO to its own file (not a pipe, which could fill and stall the broker);
    // the per-request and state-change loggers are too chatty to be useful at INFO.
    const brokerLog4j = ensureFile(join(libs, '..', 'config', 'broker-log4j2.properties'),
      log4jConfig('SYSTEM_OUT', 'info', ['kafka.request.logger', 'state.change.logger', 'org.apache.kafka.common.config.AbstractConfig']));
    const out = openSync(this.logFile, 'a');
    const child = spawnGuarded('java', [
      ...this.spec.jvmArgs,
      ...JVM_LOG_TO_STDERR,
      ...this.spec.cdsFlags,
      `-Dlog4j2.configurationFile=${brokerLog4j}`,
      `-Dkafka.logs.dir=${this.workDir}`,
      // snappy-java and lz4-java unpack their native libraries into the temp dir and only delete
      // them on a normal exit: keep them in workDir, which stop() removes even after a SIGKILL.
      `-Djava.io.tmpdir=${this.workDir}`,
      '-cp', join(libs, '*'),
      'kafka.Kafka', this.props,
    ], { stdio: ['ignore', out, out] }, this.workDir);
    closeSync(out);
    // A test that forgets stop() must still end: the 'exit' hook in proc.ts kills the JVM then.
    child.unref();
    const jvm: Jvm = {
      child,
      exited: false,
      // A JVM that could not be spawned at all reports 'error', and maybe never 'exit'.
      exit: new Promise((resolve) => {
        const done = (code: number | null) => {
          jvm.exited = true;
          resolve(code);
        };
        child.once('exit', done);
        child.once('error', () => done(null));
      }),
    };
    this.jvm = jvm;
    try {
      await this.waitReady(jvm);
    } catch (e) {
      await this.stop({ keepData: true });
      throw e;
    }
  }

  async stop(opts: { graceful?: boolean; keepData?: boolean } = {}): Promise<number | null> {
    const jvm = this.jvm;
    if (jvm) {
      // Keep the event loop alive until the JVM is really gone, so workDir can be removed.
      jvm.child.ref();
      let t: NodeJS.Timeout | undefined;
      if (!jvm.exited) {
        jvm.child.kill(opts.graceful ? 'SIGTERM' : 'SIGKILL');
        if (opts.graceful) t = setTimeout(() => jvm.child.kill('SIGKILL'), 30_000);
      }
      this.lastCode = await jvm.exit;
      clearTimeout(t);
      if (this.jvm === jvm) this.jvm = null;
    }
    if (!opts.keepData && !this.removed) {
      this.removed = true;
      rmSync(this.workDir, { recursive: true, force: true });
      this.keepUntilExit();
    }
    return this.lastCode;
  }

  async restart(opts: { graceful?: boolean } = {}): Promise<void> {
    if (this.removed) throw new Error(`Kafka node ${this.nodeId} was stopped without keepData: it cannot restart`);
    await this.stop({ ...opts, keepData: true });
    await this.start();
  }

  private async waitReady(jvm: Jvm): Promise<void> {
    const deadline = Date.now() + this.spec.timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      if (jvm.exited) {
        const log = readLog(this.logFile);
        if (/Address already in use/.test(log)) throw new PortTakenError(`port taken: ${this.port} or ${this.controllerPort}`);
        throw new Error(`Kafka node ${this.nodeId} exited during start-up (code ${jvm.child.exitCode}); log tail:\n${tail(log)}`);
      }
      try {
        if ((await liveBrokerIds(this.host, this.port)).includes(this.nodeId)) return;
        last = new Error('broker is up but not yet unfenced');
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Kafka node ${this.nodeId} not ready after ${this.spec.timeoutMs} ms (${String(last)}); log tail:\n${tail(readLog(this.logFile))}`);
  }
}

/** Makes the node's temp dir and formats it; the node is not started. */
export async function createNode(spec: NodeSpec): Promise<KafkaNode> {
  const node = new KafkaNode(spec, mkdtempSync(join(tmpdir(), 'outpost-kafka-')));
  try {
    await node.format();
  } catch (e) {
    await node.stop();
    throw e;
  }
  return node;
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
