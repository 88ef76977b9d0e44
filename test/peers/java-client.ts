// The Java test clients of test/peers/java/ (ProduceRecords, ConsumeRecords): the real Kafka
// client library driven by a generic command line, for tests that need what the console tools
// cannot do (idempotent or transactional producers, exact offsets, JSON output).
import type { RunResult } from './proc.js';
import { javaTool, type JavaToolOptions } from './jvm.js';

/**
 * Runs one of the Java test clients (compiled on first use, see javac.ts), e.g.
 *   javaClient('ProduceRecords', ['--bootstrap', b, '--topic', 't', '--count', '10', '--prop', 'acks=all'])
 *   javaClient('ConsumeRecords', ['--bootstrap', b, '--topic', 't', '--to-end', 'true'])
 * Each prints one JSON object per record on stdout; the .java files list every option.
 */
export function javaClient(className: string, args: string[], opts: JavaToolOptions = {}): Promise<RunResult> {
  return javaTool(className, args, opts);
}

/** Parses a test client's stdout: one JSON object per non-empty line. */
export function jsonLines<T = Record<string, unknown>>(stdout: string): T[] {
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
}
