// Debian's kcat (librdkafka): the non-Java client the tests talk to both brokers with. librdkafka
// differs from the Java client in the API versions it picks and how it batches and compresses,
// which is exactly what a Kafka-protocol broker must cope with.
import { run, type RunOptions, type RunResult } from './proc.js';

export type { RunResult } from './proc.js';

const KCAT_HINT = 'install it (Debian: apt-get install -y kcat); .ci/run does so';

/** Runs kcat with `args`; e.g. kcat(['-b', peer.bootstrap, '-L']). Input goes to stdin. */
export function kcat(args: string[], opts: Pick<RunOptions, 'input' | 'timeoutMs' | 'env'> = {}): Promise<RunResult> {
  return run('kcat', args, { timeoutMs: 30_000, ...opts }, KCAT_HINT);
}
