// Starts an outpost broker inside the test process on free loopback ports and a fresh data dir.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseListeners } from '../../src/config/listeners.js';
import { plaintextListener, type DeclaredLink } from '../../src/config/settings.js';
import { startBroker, type RunningBroker } from '../../src/server/broker.js';

export interface TestBroker extends RunningBroker {
  bootstrap: string;
  dataDir: string;
  /** stops the broker and removes its data dir */
  destroy(): Promise<void>;
  /** stops and starts it again on the same data dir and port */
  restart(): Promise<TestBroker>;
}

export interface StartOutpostOptions {
  configs?: Record<string, string>;
  dataDir?: string;
  port?: number;
  links?: DeclaredLink[];
  /** collects every log line (JSON, debug level and up) instead of the usual OUTPOST_TEST_LOG */
  logLines?: string[];
}

export async function startOutpost(opts: StartOutpostOptions = {}): Promise<TestBroker> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'outpost-test-')));
  const configs: Record<string, string> = { 'auto.create.topics.enable': 'false', 'num.partitions': '1', ...opts.configs };
  const lines = opts.logLines;
  const logger = lines ? pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }) : pino({ level: process.env.OUTPOST_TEST_LOG ?? 'silent' });
  // Listeners named in configs (secured ones) are taken as given; otherwise one PLAINTEXT listener.
  const listeners = configs.listeners ? parseListeners(configs) : [plaintextListener({ host: '127.0.0.1', port: opts.port ?? 0 })];
  const running = await startBroker({ listeners, admin: { host: '127.0.0.1', port: 0 }, dataDir, configs, links: opts.links }, { logger });
  const self: TestBroker = {
    ...running,
    bootstrap: `127.0.0.1:${running.port}`,
    dataDir,
    async destroy() {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    },
    async restart() {
      await running.close();
      return startOutpost({ ...opts, dataDir, port: running.port });
    },
  };
  return self;
}
