// The two phases measured of each replicator, the same way for both: catching up with a preloaded
// topic, then the end-to-end latency of a steady trickle of new records.
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import { javaTool } from '../../test/peers/kafka.js';
import { connect, endOffset, LatencyProbe } from './wire.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CatchUpWatch {
  /** the destination, and the topic there that fills up (the mirror, or MM2's replicated topic) */
  conn: KafkaConnection;
  topic: string;
  /** the source's end offset: caught up once the destination's end offset reaches it */
  want: number;
  /** Date.now() when the mirror was created (outpost) or MM2 was started */
  startedAt: number;
  deadlineMs: number;
  /** CPU seconds so far of each counted process, sampled at the first record and at the end */
  cpu: () => Promise<number[]>;
  /** throws when the replicator has failed (a FAILED mirror, an exited JVM); called about once a second */
  check: () => Promise<void>;
}

export interface CatchUp {
  /** from creation (start-up included) to caught up */
  totalS: number;
  /** from the first record readable at the destination to caught up: the copy itself */
  copyS: number;
  cpuAtFirst: number[];
  cpuAtEnd: number[];
}

// Polled every 50 ms: fine enough for copies of many seconds, cheap enough not to be a load.
const POLL_MS = 50;
// A copy that makes no progress for this long has stalled; better a clear error than the deadline.
const STALL_MS = 60_000;

export async function watchCatchUp(w: CatchUpWatch): Promise<CatchUp> {
  let firstAt: number | undefined;
  let cpuAtFirst: number[] = [];
  let last = -1;
  let lastMovedAt = Date.now();
  let lastCheckAt = 0;
  for (;;) {
    const end = (await endOffset(w.conn, w.topic)) ?? 0;
    const now = Date.now();
    if (end > 0 && firstAt === undefined) {
      firstAt = now;
      cpuAtFirst = await w.cpu();
    }
    if (end >= w.want) {
      const cpuAtEnd = await w.cpu();
      return { totalS: (now - w.startedAt) / 1000, copyS: (now - firstAt!) / 1000, cpuAtFirst, cpuAtEnd };
    }
    if (end !== last) [last, lastMovedAt] = [end, now];
    if (now - lastCheckAt >= 1000) {
      lastCheckAt = now;
      await w.check();
    }
    if (now - lastMovedAt > STALL_MS) throw new Error(`${w.topic} stalled at ${end} of ${w.want} records for ${STALL_MS / 1000} s`);
    if (now > w.deadlineMs) throw new Error(`${w.topic} had ${end} of ${w.want} records when the time ran out`);
    await sleep(POLL_MS);
  }
}

export interface LatencyRun {
  source: string;
  sourceTopic: string;
  dest: KafkaConnection;
  destTopic: string;
  rate: number;
  seconds: number;
  cpu: () => Promise<number[]>;
  check: () => Promise<void>;
}

export interface Latency {
  /** produced at the source -> readable at the destination, ms */
  p50: number;
  p99: number;
  max: number;
  /** produced -> readable at the source itself: the floor under any replicator's figures */
  sourceP50: number;
  sourceP99: number;
  /** readable at the source -> readable at the destination, per record: what the replicator adds */
  hopP50: number;
  hopP99: number;
  /**
   * The same between two readers of the source itself: what the hop is when nothing crosses over
   * (the source answering one fetcher before another, this process's own scheduling). A hop
   * percentile closer to it than its resolution says nothing about the replicator.
   */
  noiseP99: number;
  /** records measured (after the warm-up), and the count the producer sent in all */
  measured: number;
  sent: number;
  cpuBefore: number[];
  cpuAfter: number[];
  windowS: number;
}

// The producer JVM's first second (connecting, warming up) is not what is measured.
const WARM_UP_MS = 1000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * The crossing time of each record: its arrival at the destination probe minus its arrival at the
 * source probe. Both read one partition from offset 0, so the i-th record of one is the i-th of
 * the other; their timestamps, which both replicators keep, must agree.
 */
function hops(source: LatencyProbe, dest: LatencyProbe, from: number): number[] {
  const out: number[] = [];
  const n = Math.min(source.count, dest.count);
  for (let i = 0; i < n; i++) {
    if (source.timestamps[i] !== dest.timestamps[i]) {
      throw new Error(`record ${i} has timestamp ${source.timestamps[i]} at the source but ${dest.timestamps[i]} at the destination`);
    }
    if (dest.timestamps[i]! >= from) out.push(dest.arrivals[i]! - source.arrivals[i]!);
  }
  return out.sort((a, b) => a - b);
}

const round1 = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Produces `rate` 1 KiB records a second for `seconds` at the source (Kafka's ProducerPerformance,
 * acks=1, linger.ms=0 so that no record waits in the producer for a batch to fill) while one probe
 * reads them at the destination and two at the source.
 */
export async function measureLatency(l: LatencyRun): Promise<Latency> {
  const sourceConn = await connect(l.source);
  const atSource = new LatencyProbe(sourceConn, l.sourceTopic);
  const controlConn = await connect(l.source);
  const control = new LatencyProbe(controlConn, l.sourceTopic);
  const probe = new LatencyProbe(l.dest, l.destTopic);
  try {
    const sent = l.rate * l.seconds;
    const cpuBefore = await l.cpu();
    const started = Date.now();
    const producer = javaTool('org.apache.kafka.tools.ProducerPerformance', [
      '--topic', l.sourceTopic, '--num-records', String(sent), '--record-size', '1024', '--throughput', String(l.rate),
      '--producer-props', `bootstrap.servers=${l.source}`, 'acks=1', 'linger.ms=0',
    ], { timeoutMs: l.seconds * 1000 + 120_000 });
    const r = await Promise.race([producer, probe.failed(), atSource.failed(), control.failed()]);
    if (r.code !== 0) throw new Error(`the latency producer failed (code ${r.code}${r.timedOut ? ', timed out' : ''}):\n${r.stderr.slice(-2000)}`);
    // The last records are on their way: give them up to 30 s to arrive.
    for (const until = Date.now() + 30_000; probe.count < sent && Date.now() < until; ) {
      await l.check();
      await Promise.race([sleep(100), probe.failed()]);
    }
    const cpuAfter = await l.cpu();
    const windowS = (Date.now() - started) / 1000;
    await probe.stop();
    await atSource.stop();
    await control.stop();
    if (probe.count < sent) throw new Error(`only ${probe.count} of the ${sent} records produced reached ${l.destTopic} within 30 s of the last one`);
    if (atSource.count < sent) throw new Error(`the source probe read only ${atSource.count} of the ${sent} records produced`);
    const from = probe.timestamps[0]! + WARM_UP_MS;
    const measured = (p: LatencyProbe) => p.latenciesMs.filter((_, i) => p.timestamps[i]! >= from).sort((a, b) => a - b);
    const lat = measured(probe);
    const floor = measured(atSource);
    const hop = hops(atSource, probe, from);
    const noise = hops(atSource, control, from);
    if (lat.length === 0) throw new Error('no record to measure after the warm-up: raise --seconds');
    return {
      p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.at(-1)!,
      sourceP50: percentile(floor, 50), sourceP99: percentile(floor, 99),
      hopP50: round1(percentile(hop, 50)), hopP99: round1(percentile(hop, 99)),
      noiseP99: round1(percentile(noise, 99)),
      measured: lat.length, sent, cpuBefore, cpuAfter, windowS,
    };
  } finally {
    await probe.stop().catch(() => {});
    await atSource.stop().catch(() => {});
    await control.stop().catch(() => {});
    sourceConn.close();
    controlConn.close();
  }
}
