// Where Kafka's jars live (fetched through scripts/fetch-kafka.sh on first use) and the small
// config files written beside them, shared by every module that starts a JVM.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './proc.js';

/** The repository root: the nearest dir above this file (in dist/test/peers/) with our scripts. */
export const repoRoot = (() => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'scripts', 'fetch-kafka.sh'))) return dir;
  }
  throw new Error('cannot find the repository root (scripts/fetch-kafka.sh) above ' + import.meta.url);
})();

export const JAVA_HINT = 'install a JDK 17+ (Debian: apt-get install -y openjdk-17-jdk-headless)';

let libsPromise: Promise<string> | undefined;

/**
 * The directory holding Kafka's jars (fetched on first call; instant once cached). Rejects with
 * fetch-kafka.sh's message when java/mvn are missing or Maven cannot resolve Kafka.
 */
export function kafkaLibs(): Promise<string> {
  libsPromise ??= (async () => {
    const r = await run('bash', [join(repoRoot, 'scripts', 'fetch-kafka.sh')], { timeoutMs: 600_000 });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    if (r.code !== 0 || last === '') throw new Error(`scripts/fetch-kafka.sh failed (code ${r.code}):\n${r.stderr}`);
    return last;
  })();
  return libsPromise;
}

/** The Kafka release the peers run (OUTPOST_KAFKA_VERSION, else fetch-kafka.sh's default), from its cache dir's name. */
export async function kafkaVersion(): Promise<string> {
  return basename(dirname(await kafkaLibs())).replace(/^kafka-/, '');
}

/** Writes `content` to `path` unless it already holds exactly that (safe across processes). */
export function ensureFile(path: string, content: string): string {
  try {
    if (readFileSync(path, 'utf8') === content) return path;
  } catch {
    // missing: written below
  }
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  // rename is atomic, so a concurrent reader never sees half a file.
  renameSync(tmp, path);
  return path;
}

/** A log4j2 properties config: one console appender; `quiet` loggers are held to WARN. */
export function log4jConfig(target: 'SYSTEM_OUT' | 'SYSTEM_ERR', level: string, quiet: string[] = []): string {
  return [
    'status = warn',
    'appender.main.type = Console',
    'appender.main.name = MAIN',
    `appender.main.target = ${target}`,
    'appender.main.layout.type = PatternLayout',
    'appender.main.layout.pattern = [%d] %p %m (%c)%n',
    `rootLogger.level = ${level}`,
    'rootLogger.appenderRef.main.ref = MAIN',
    ...quiet.flatMap((name, i) => [`logger.q${i}.name = ${name}`, `logger.q${i}.level = warn`]),
    '',
  ].join('\n');
}

/** Tools log warnings and errors only, to stderr, so stdout is just the tool's own output. */
export async function toolsLog4j(): Promise<string> {
  return ensureFile(join(await kafkaLibs(), '..', 'config', 'tools-log4j2.properties'), log4jConfig('SYSTEM_ERR', 'warn'));
}
