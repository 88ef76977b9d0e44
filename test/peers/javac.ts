// Compiles the Java sources in test/peers/java/ (test clients, CDS training) against Kafka's jars
// into one jar, once per source hash, so editing a .java file recompiles it and nothing stale is
// ever run. A jar and not a classes dir: the JVM's class-data sharing (cds.ts) refuses a
// classpath holding a non-empty directory.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './proc.js';
import { JAVA_HINT, kafkaLibs, repoRoot } from './libs.js';

let classesPromise: Promise<string> | undefined;

/** Compiles test/peers/java/*.java if needed and returns the path of their jar. */
export function javaClassesJar(): Promise<string> {
  classesPromise ??= (async () => {
    const libs = await kafkaLibs();
    const srcDir = join(repoRoot, 'test', 'peers', 'java');
    const sources = readdirSync(srcDir).filter((f) => f.endsWith('.java')).sort();
    const hash = createHash('sha256').update(libs);
    for (const f of sources) hash.update(f).update(readFileSync(join(srcDir, f)));
    const root = join(libs, '..', 'java-classes');
    const jar = join(root, `${hash.digest('hex').slice(0, 16)}.jar`);
    if (existsSync(jar)) return jar;
    mkdirSync(root, { recursive: true });
    // Build in a private dir and rename the jar into place: test files running in parallel
    // processes must never see a half-written jar.
    const tmp = mkdtempSync(join(root, 'tmp-'));
    try {
      const classes = join(tmp, 'classes');
      const javac = await run('javac', ['-nowarn', '-encoding', 'UTF-8', '-d', classes, '-cp', join(libs, '*'), ...sources.map((f) => join(srcDir, f))],
        { timeoutMs: 180_000 }, JAVA_HINT);
      if (javac.code !== 0) throw new Error(`javac of test/peers/java failed (code ${javac.code}):\n${javac.stdout}\n${javac.stderr}`);
      const packed = await run('jar', ['--create', '--file', join(tmp, 'out.jar'), '-C', classes, '.'], { timeoutMs: 60_000 }, JAVA_HINT);
      if (packed.code !== 0) throw new Error(`jar of test/peers/java failed (code ${packed.code}):\n${packed.stderr}`);
      renameSync(join(tmp, 'out.jar'), jar);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return jar;
  })();
  return classesPromise;
}
