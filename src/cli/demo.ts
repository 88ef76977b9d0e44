// `outpost demo`: cluster linking end to end on one machine. A destination outpost (and, unless
// --source-bootstrap-server names a real cluster, a source outpost) starts in this process on free
// loopback ports with temp data dirs; a link joins them, a topic is mirrored, records are produced
// to the source at a steady rate, and the mirror's offsets, lag and rate are redrawn in place until
// Ctrl-C, which stops everything and removes the data dirs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import pino from 'pino';
import { plaintextListener } from '../config/settings.js';
import type { RunningBroker } from '../server/broker.js';
import { AdminClient } from './admin-client.js';
import { table } from './output.js';

interface DemoFlags {
  sourceBootstrapServer?: string;
  topic?: string;
  rate: string;
}

const LINK = 'demo';
const DEMO_TOPIC = 'outpost-demo';
const PARTITIONS = 3;
const REFRESH_MS = 1000;
const PRODUCE_TICK_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function demo(flags: DemoFlags): Promise<void> {
  const rate = Number(flags.rate);
  if (!Number.isInteger(rate) || rate < 0) throw new Error(`invalid --rate ${JSON.stringify(flags.rate)}: expected records per second, 0 or more`);
  // Imported only now, as serve does: the broker's module graph loads native addons.
  const { startBroker } = await import('../server/broker.js');
  const { Kafka, logLevel } = await import('kafkajs');
  // The brokers' own logs would tear the display: silent unless asked for, and then on stderr.
  const logger = pino({ level: process.env.OUTPOST_LOG_LEVEL ?? 'silent' }, pino.destination(2));

  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  const startOutpost = async (role: string): Promise<RunningBroker> => {
    const dataDir = await mkdtemp(join(tmpdir(), `outpost-demo-${role}-`));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const broker = await startBroker({ listeners: [plaintextListener({ host: '127.0.0.1', port: 0 })], admin: { host: '127.0.0.1', port: 0 }, dataDir, configs: {} }, { logger });
    cleanups.push(() => broker.close());
    return broker;
  };

  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  // `once`, as in serve: a second Ctrl-C ends the process at once, should stopping hang.
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  try {
    const source = flags.sourceBootstrapServer ?? `127.0.0.1:${(await startOutpost('source')).port}`;
    const destination = await startOutpost('destination');
    // A topic the user named on their own cluster is only read; otherwise the demo makes its own.
    const topic = flags.topic ?? DEMO_TOPIC;
    const produce = flags.sourceBootstrapServer === undefined || flags.topic === undefined;

    const kafka = new Kafka({ clientId: 'outpost-demo', brokers: source.split(','), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    if (produce) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
      } finally {
        await admin.disconnect();
      }
      await producer.connect();
      cleanups.push(() => producer.disconnect());
    }

    const client = new AdminClient(`http://127.0.0.1:${destination.adminPort}`);
    await client.cluster('POST', '/links', { query: { link_name: LINK }, body: { configs: [{ name: 'bootstrap.servers', value: source }] } });
    await client.cluster('POST', `/links/${LINK}/mirrors`, { body: { source_topic_name: topic } });

    const out = process.stdout;
    out.write(
      `outpost demo: mirroring topic "${topic}" from ${source}${flags.sourceBootstrapServer ? '' : ' (a source outpost)'} ` +
        `to the outpost at 127.0.0.1:${destination.port}, over cluster link "${LINK}".\n` +
        `  Explore from another terminal: OUTPOST_ADMIN_URL=${client.url} outpost mirror describe ${topic} --link ${LINK}\n` +
        `  Read the mirror with any Kafka client at 127.0.0.1:${destination.port}.  Ctrl-C stops the demo.\n\n`,
    );

    let produced = 0;
    let produceError: Error | undefined;
    const producing = (async () => {
      // Sends in ticks, each awaited, so that a slow source slows the demo instead of piling up sends.
      const perTick = rate * (PRODUCE_TICK_MS / 1000);
      let owed = 0;
      while (produce && !stopping && rate > 0) {
        owed += perTick;
        const n = Math.floor(owed);
        owed -= n;
        if (n > 0) {
          const messages = Array.from({ length: n }, (_, i) => ({ value: `demo record ${produced + i} at ${new Date().toISOString()}` }));
          await producer.send({ topic, messages });
          produced += n;
        }
        await sleep(PRODUCE_TICK_MS);
      }
    })().catch((err: Error) => {
      produceError = err;
      stop();
    });

    let previous: { at: number; mirrored: number } | undefined;
    let drawn = 0;
    while (!stopping) {
      const m = await client.cluster('GET', `/links/${LINK}/mirrors/${encodeURIComponent(topic)}`);
      const now = Date.now();
      const mirrored = m.mirror_lags.reduce((n: number, p: any) => n + p.log_end_offset, 0);
      const perSec = previous ? ((mirrored - previous.mirrored) * 1000) / (now - previous.at) : 0;
      previous = { at: now, mirrored };
      const rows = m.mirror_lags.map((p: any) => [p.partition, Math.max(0, p.source_high_watermark), p.log_end_offset, p.lag]);
      const sum = (i: number) => rows.reduce((n: number, r: number[]) => n + r[i]!, 0);
      const frame =
        `${new Date(now).toISOString()}  mirror ${m.mirror_status}  mirrored ${Math.round(perSec)} records/s` +
        `${produce ? `  produced ${produced} records` : ''}\n` +
        table(['partition', 'source end', 'mirror end', 'lag'], [...rows, ['total', sum(1), sum(2), sum(3)]]);
      // On a terminal the frame replaces the last one; into a pipe or file, frames follow each other.
      if (out.isTTY && drawn > 0) out.write(`\x1b[${drawn}F\x1b[J`);
      out.write(out.isTTY ? frame : `${frame}\n`);
      drawn = frame.split('\n').length - 1;
      for (let waited = 0; waited < REFRESH_MS && !stopping; waited += 100) await sleep(100);
    }
    await producing;
    if (produceError) throw new Error(`producing to ${source} failed: ${produceError.message}`);
    out.write('\nstopping the demo...\n');
  } finally {
    await cleanup();
  }
}

export function addDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('watch a mirror follow its source: a source and a destination outpost in this process, linked, until Ctrl-C')
    .option('--source-bootstrap-server <host:port>', 'mirror from this Kafka cluster instead of a source outpost')
    .option('--topic <name>', `the source topic to mirror (default: ${DEMO_TOPIC}, created at the source and produced to)`)
    .option('--rate <records/s>', 'records produced to the demo topic per second', '200')
    .action(async (flags: DemoFlags) => {
      await demo(flags);
      // kafkajs and the brokers may leave timers behind; the demo is over.
      process.exit(0);
    });
}
