// The link engine in virtual time, as the fake-source tests run it: a fresh data dir, a manual
// clock, a fake source, the log manager and the link manager (started), and their teardown.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { resolveTopicConfig } from '../../src/config/topic-configs.js';
import { LinkManager, type LinkManagerOptions } from '../../src/link/link-manager.js';
import { LogManager } from '../../src/log/log-manager.js';
import { ManualClock } from '../support/manual-clock.js';
import { FakeSource } from './fake-source.js';

export interface Engine {
  dir: string;
  clock: ManualClock;
  source: FakeSource;
  logs: LogManager;
  links: LinkManager;
}

/** Opens an engine whose data dir is named with `prefix`; `deps` are the broker's parts the links may reach. */
export async function openEngine(prefix: string, deps: Pick<LinkManagerOptions, 'groups' | 'acls'> = {}): Promise<Engine> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const clock = new ManualClock();
  const source = new FakeSource(clock);
  const logger = pino({ level: 'silent' });
  const logs = await LogManager.open(dir, { resolveTopicConfig: (o) => resolveTopicConfig(o, {}), logger });
  const links = await LinkManager.open(dir, { logs, logger, registry: new Registry(), clock, connect: () => source.connect(), ...deps });
  links.start();
  return { dir, clock, source, logs, links };
}

export async function closeEngine(e: Engine): Promise<void> {
  await e.links.close();
  await e.logs.close();
  await rm(e.dir, { recursive: true, force: true });
}
