// `outpost serve`: load the settings, start the broker, stop it cleanly on SIGTERM / SIGINT.
import type { Command } from 'commander';
import { loadSettings, type SettingsFlags } from '../config/settings.js';
import { createLogger } from '../logger.js';
import { keepGcHeadroom } from './gc-headroom.js';

async function serve(flags: SettingsFlags): Promise<void> {
  const settings = await loadSettings(flags);
  const logger = createLogger();
  keepGcHeadroom();
  // Imported only now: the broker's module graph loads native compression addons, which
  // --help and a mistyped flag need not wait for (or fail on).
  const { startBroker } = await import('../server/broker.js');
  const broker = await startBroker(settings, { logger });
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'stopping');
    broker.close().then(
      () => process.exit(0),
      (err: Error) => {
        logger.error({ err }, 'clean stop failed');
        process.exit(1);
      },
    );
  };
  // `once`: a second Ctrl-C finds no handler and ends the process at once, for a stop that hangs.
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Adds `serve` to the program; made through program.command so it inherits exitOverride. */
export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the broker')
    .option('--listen <host:port>', 'address the Kafka listener binds (default 127.0.0.1:9092)')
    .option('--advertised-listener <host:port>', 'address told to clients in Metadata (default: --listen)')
    .option('--admin <host:port>', 'address of the admin HTTP listener: /health, /metrics (default 127.0.0.1:8090)')
    .option('--data-dir <dir>', 'where topics are stored (default ./data)')
    .option('--config <file>', 'YAML settings file; flags override it')
    .action((flags: SettingsFlags) => serve(flags));
}
