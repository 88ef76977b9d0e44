// AppCDS archives (the JVM's class-data sharing) for the JVMs the tests start: each is made once
// per machine by a training run and then mapped by every later JVM of its kind. That roughly
// halves a tool's start-up (about 1.4 s -> 0.7 s for kafka-topics here) and takes about 1 s off
// a broker's (3.4 s -> 2.5 s); the tests start dozens of such JVMs on 2 cores, so this is the
// cheapest large saving in the suite. Everything degrades to a plain JVM start when an archive
// cannot be made or used.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { run } from './proc.js';
import { kafkaLibs, toolsLog4j } from './libs.js';
import { javaClassesJar } from './javac.js';

/**
 * JVM unified logging goes to stdout by default; tests read tools' stdout, so any JVM warning
 * (e.g. "archive could not be mapped") is sent to stderr instead.
 */
export const JVM_LOG_TO_STDERR = ['-Xlog:disable', '-Xlog:all=warning:stderr'];

/** The classpath every tool JVM gets. Archive and run must share it (extra entries may follow). */
export async function toolClasspath(): Promise<string[]> {
  return [join(await kafkaLibs(), '*'), await javaClassesJar()];
}

/** Identifies the JDK, so an upgraded JDK (whose archives would not map) gets a new archive. */
function javaIdentity(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const java = join(dir, 'java');
    if (existsSync(java)) {
      const real = realpathSync(java);
      return `${real}@${statSync(real).mtimeMs}`;
    }
  }
  return 'java-not-on-path';
}

const archives = new Map<string, Promise<string | undefined>>();

/**
 * The path of the archive `name` for a JVM with classpath `cp`, made first by `train` (which
 * must run a JVM with the given -XX:ArchiveClassesAtExit flags to a normal exit) if needed.
 * Undefined when OUTPOST_NO_CDS is set or training failed: the JVM then starts without it.
 */
export function sharedArchive(name: string, cp: string[], train: (dumpFlags: string[]) => Promise<boolean>): Promise<string | undefined> {
  const key = createHash('sha256').update(name).update(cp.join('\n')).update(javaIdentity()).digest('hex').slice(0, 16);
  let p = archives.get(key);
  if (!p) {
    p = (async () => {
      if (process.env.OUTPOST_NO_CDS) return undefined;
      const dir = join(await kafkaLibs(), '..', 'cds');
      const archive = join(dir, `${name}-${key}.jsa`);
      if (existsSync(archive)) return archive;
      mkdirSync(dir, { recursive: true });
      // Dumped under a private name and renamed into place: parallel test files may race here.
      const tmp = `${archive}.${process.pid}.tmp`;
      // The dump lists every class it skips: noise, not a problem.
      const ok = await train([...JVM_LOG_TO_STDERR, '-Xlog:cds*=off:stderr', `-XX:ArchiveClassesAtExit=${tmp}`]).catch(() => false);
      if (ok && existsSync(tmp)) {
        renameSync(tmp, archive);
        return archive;
      }
      rmSync(tmp, { force: true });
      process.stderr.write(`test/peers: no ${name} CDS archive could be made; those JVMs start without it\n`);
      return undefined;
    })();
    archives.set(key, p);
  }
  return p;
}

/** The archive for tool and test-client JVMs, trained by java/CdsTraining.java. */
export async function toolArchive(): Promise<string | undefined> {
  const cp = await toolClasspath();
  return sharedArchive('tools', cp, async (dumpFlags) => {
    const r = await run('java', [
      '-Xms32m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', ...dumpFlags,
      `-Dlog4j2.configurationFile=${await toolsLog4j()}`,
      '-cp', cp.join(':'), 'CdsTraining',
    ], { timeoutMs: 60_000 });
    return r.code === 0;
  });
}
