// confluent-kafka-python (PyPI), the client that bundles a current librdkafka (as its Go and .NET
// siblings do): newer than Debian's kcat, and the one that sends Metadata requests with bytes to
// spare. It is installed once into a virtualenv in the tests' cache; a machine without python3 or
// without the package registry fails these tests rather than skipping them.
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { run, type RunResult } from './proc.js';

/** The release the suite runs against: the newest on PyPI when it was last moved. */
export const CONFLUENT_KAFKA_VERSION = '2.16.1';

const HINT = 'install Python 3.8+ with venv (Debian: apt-get install -y python3 python3-venv)';
const scripts = new URL('../../../test/peers/python/', import.meta.url).pathname;

let ready: Promise<string> | undefined;

/** The virtualenv's python, created and filled on first use. */
function python(): Promise<string> {
  ready ??= (async () => {
    const cache = process.env.OUTPOST_CACHE ?? join(homedir(), '.cache', 'kafka-outpost');
    const venv = join(cache, `confluent-kafka-${CONFLUENT_KAFKA_VERSION}`);
    const bin = join(venv, 'bin', 'python');
    const marker = join(venv, '.complete');
    if (existsSync(marker)) return bin;
    mkdirSync(cache, { recursive: true });
    const steps: [string, string[]][] = [
      ['python3', ['-m', 'venv', '--clear', venv]],
      [bin, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `confluent-kafka==${CONFLUENT_KAFKA_VERSION}`]],
      [bin, ['-c', `import pathlib, confluent_kafka; pathlib.Path(${JSON.stringify(marker)}).write_text(confluent_kafka.version()[0])`]],
    ];
    for (const [cmd, args] of steps) {
      const r = await run(cmd, args, { timeoutMs: 300_000 }, HINT);
      if (r.code !== 0) throw new Error(`installing confluent-kafka ${CONFLUENT_KAFKA_VERSION} failed (${cmd} ${args.join(' ')}):\n${r.stdout}\n${r.stderr}`);
    }
    return bin;
  })();
  return ready;
}

/**
 * Runs test/peers/python/`script` with confluent-kafka against `bootstrap`; the script prints one
 * JSON document, which is returned parsed (a failing script throws with its output). `config` is
 * added to every client's settings.
 */
export async function confluentKafka(script: string, bootstrap: string, args: string[] = [], timeoutMs = 120_000, config: Record<string, string> = {}): Promise<unknown> {
  const env = { ...process.env, PEER_CONFIG: JSON.stringify(config) };
  const r: RunResult = await run(await python(), [join(scripts, script), bootstrap, ...args], { timeoutMs, env }, HINT);
  if (r.code !== 0) throw new Error(`${script} failed (code ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}
