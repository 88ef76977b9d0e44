// MirrorMaker 2 in dedicated mode (org.apache.kafka.connect.mirror.MirrorMaker with an
// mm2.properties), the reference the cluster link is measured against. Its jars come from
// scripts/fetch-mm2.sh (connect-mirror 4.0.x from Maven); it runs in its own JVM with the flags
// Kafka's connect-mirror-maker.sh gives it.
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log4jConfig } from '../../test/peers/libs.js';
import { run, spawnGuarded } from '../../test/peers/proc.js';
import { repoRoot } from '../../test/peers/kafka.js';

let libsPromise: Promise<{ dir: string; version: string }> | undefined;

/** The dir of MirrorMaker 2's jars (fetched on first use) and the Connect release they are. */
export function mm2Libs(): Promise<{ dir: string; version: string }> {
  libsPromise ??= (async () => {
    const r = await run('bash', [join(repoRoot, 'scripts', 'fetch-mm2.sh')], { timeoutMs: 600_000 });
    const dir = r.stdout.trim().split('\n').pop() ?? '';
    if (r.code !== 0 || dir === '') throw new Error(`scripts/fetch-mm2.sh failed (code ${r.code}):\n${r.stderr}`);
    const version = readFileSync(join(dir, '.complete'), 'utf8').split(' ')[0]!;
    return { dir, version };
  })();
  return libsPromise;
}

// connect-mirror-maker.sh's heap, and kafka-run-class.sh's GC flags.
const MM2_JVM = ['-Xms256m', '-Xmx2g', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true'];

/** The aliases MM2 knows the clusters by: the replicated topic of `t` is `source.t`. */
export const SOURCE_ALIAS = 'source';

/**
 * The settings beyond MM2's defaults, printed with the results. Only data replication is measured:
 * heartbeats, checkpoints, offset syncs, group offset and ACL sync are off. The task's producer
 * writes with acks=1 (outpost's mirror is one node and waits for no replica either) in batches of
 * up to 64 KiB (the preload producer's size; Kafka's default 16 KiB costs MM2 throughput), with
 * Connect's other producer defaults (max.in.flight=1, which keeps order without idempotence;
 * linger.ms=5) and the consumer's defaults. `--mm2 k=v` adds to or overrides these.
 */
export const MM2_SETTINGS: Record<string, string> = {
  'tasks.max': '1',
  'emit.heartbeats.enabled': 'false',
  'emit.checkpoints.enabled': 'false',
  'emit.offset-syncs.enabled': 'false',
  'sync.group.offsets.enabled': 'false',
  'sync.topic.acls.enabled': 'false',
  'target.producer.acks': '1',
  'target.producer.batch.size': '65536',
};

function mm2Properties(source: string, target: string, topics: string[], overrides: Record<string, string>): string {
  const props: Record<string, string> = {
    clusters: `${SOURCE_ALIAS}, target`,
    [`${SOURCE_ALIAS}.bootstrap.servers`]: source,
    'target.bootstrap.servers': target,
    [`${SOURCE_ALIAS}->target.enabled`]: 'true',
    [`${SOURCE_ALIAS}->target.topics`]: topics.map((t) => t.replace(/[.]/g, '\\\\.')).join(','),
    [`target->${SOURCE_ALIAS}.enabled`]: 'false',
    // One broker per cluster: every topic MM2 makes, its own and Connect's, has one replica. (No
    // offset-syncs or checkpoints setting: MM2 refuses any while those features are off.)
    'replication.factor': '1',
    'heartbeats.topic.replication.factor': '1',
    'config.storage.replication.factor': '1',
    'offset.storage.replication.factor': '1',
    'status.storage.replication.factor': '1',
    ...MM2_SETTINGS,
    ...overrides,
  };
  return Object.entries(props).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n';
}

export interface MirrorMakerProcess {
  pid: number;
  /** The last lines of its log, for an error message. */
  logTail(lines?: number): string;
  exited(): boolean;
  /** Copies its whole log out of its work dir (which stop() removes) to `path`. */
  saveLog(path: string): void;
  /** SIGTERM, SIGKILL if it takes over 20 s; removes its work dir. Idempotent. */
  stop(): Promise<void>;
}

/** Starts MM2 replicating `topics` (exact names) from `source` to `target`; `overrides` go over MM2_SETTINGS. */
export async function startMirrorMaker(source: string, target: string, topics: string[], overrides: Record<string, string> = {}): Promise<MirrorMakerProcess> {
  const { dir: libs } = await mm2Libs();
  const workDir = mkdtempSync(join(tmpdir(), 'outpost-mm2-'));
  const props = join(workDir, 'mm2.properties');
  writeFileSync(props, mm2Properties(source, target, topics, overrides));
  // Kafka ships MM2 with INFO logging; AbstractConfig's dumps of every client's config are quieted.
  const log4j = join(workDir, 'log4j2.properties');
  writeFileSync(log4j, log4jConfig('SYSTEM_OUT', 'info', ['org.apache.kafka.common.config.AbstractConfig']));
  const logFile = join(workDir, 'mm2.log');
  const out = openSync(logFile, 'a');
  const child = spawnGuarded('java', [
    ...MM2_JVM,
    `-Dlog4j2.configurationFile=${log4j}`,
    // snappy/lz4/zstd unpack native libraries into the temp dir: keep them in workDir.
    `-Djava.io.tmpdir=${workDir}`,
    '-cp', join(libs, '*'),
    'org.apache.kafka.connect.mirror.MirrorMaker', props,
  ], { stdio: ['ignore', out, out] }, workDir);
  closeSync(out);
  let hasExited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { hasExited = true; resolve(); }));
  child.once('error', () => { hasExited = true; });
  if (child.pid === undefined) throw new Error('could not start java for MirrorMaker 2: is a JDK 17+ installed?');
  const logTail = (lines = 40) => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid,
    logTail,
    exited: () => hasExited,
    saveLog: (path) => copyFileSync(logFile, path),
    stop() {
      stopping ??= (async () => {
        if (!hasExited) {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
          await exit;
          clearTimeout(t);
        }
        rmSync(workDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
