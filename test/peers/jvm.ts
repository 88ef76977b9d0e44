// javaTool(): runs a class from Kafka's jars (a tool such as TopicCommand, or one of our test
// clients) in a JVM tuned to start fast, since the tests start dozens of them on 2 cores.
import type { ChildProcess } from 'node:child_process';
import { run, spawnGuarded, type RunOptions, type RunResult } from './proc.js';
import { JAVA_HINT, toolsLog4j } from './libs.js';
import { JVM_LOG_TO_STDERR, toolArchive, toolClasspath } from './cds.js';

/**
 * JVM flags for short-lived tools: C1 only and the serial GC start a JVM noticeably faster.
 * Throughput tools (the *Performance classes) get STEADY_JVM_ARGS instead, since C1-only code
 * would make the client, not the broker, the bottleneck of a benchmark.
 */
export const QUICK_JVM_ARGS = ['-Xms32m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
export const STEADY_JVM_ARGS = ['-Xmx1g'];

function defaultJvmArgs(mainClass: string): string[] {
  return /Performance$|EndToEndLatency$/.test(mainClass) ? STEADY_JVM_ARGS : QUICK_JVM_ARGS;
}

export interface JavaToolOptions extends RunOptions {
  /** Replaces the default JVM flags (QUICK_JVM_ARGS, or STEADY_JVM_ARGS for perf tools). */
  jvmArgs?: string[];
  /** Extra classpath entries, placed after Kafka's jars and our test clients. */
  classpath?: string[];
}

/**
 * Runs `mainClass` (e.g. org.apache.kafka.tools.TopicCommand) with Kafka's jars and the test
 * clients of test/peers/java on the classpath. Default timeout 120 s; on a timeout the JVM is
 * killed and the result has code null and timedOut true.
 */
export async function javaTool(mainClass: string, args: string[], opts: JavaToolOptions = {}): Promise<RunResult> {
  return run('java', await javaArgs(mainClass, args, opts), { timeoutMs: 120_000, ...opts }, JAVA_HINT);
}

/** The JVM's command line for `mainClass`: flags, class-data sharing, logging, the classpath. */
async function javaArgs(mainClass: string, args: string[], opts: { jvmArgs?: string[]; classpath?: string[] }): Promise<string[]> {
  const cp = [...(await toolClasspath()), ...(opts.classpath ?? [])];
  const archive = await toolArchive();
  return [
    ...(opts.jvmArgs ?? defaultJvmArgs(mainClass)),
    ...JVM_LOG_TO_STDERR,
    ...(archive ? [`-XX:SharedArchiveFile=${archive}`] : []),
    `-Dlog4j2.configurationFile=${await toolsLog4j()}`,
    '-cp', cp.join(':'),
    mainClass, ...args,
  ];
}

/** A JVM left running: its process, what it printed so far, and its exit. */
export interface RunningJava {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `mainClass` as javaTool() runs it, but in the background, for a test that stops it
 * (SIGTERM) or kills it (SIGKILL) while it works.
 */
export async function spawnJava(mainClass: string, args: string[], opts: { jvmArgs?: string[] } = {}): Promise<RunningJava> {
  const child = spawnGuarded('java', await javaArgs(mainClass, args, opts), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}
