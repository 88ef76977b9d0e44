// The `outpost` command line (bin/outpost.js runs this module). Every failure is one line on
// stderr and exit status 2, whether commander rejects the arguments or start-up fails.
import { Command, CommanderError } from 'commander';
import { addDemoCommand } from './demo.js';
import { addLinkCommands } from './link.js';
import { addMigrateCommand } from './migrate.js';
import { addMirrorCommands } from './mirror.js';
import { addScramCommands } from './scram.js';
import { addServeCommand } from './serve.js';

const program = new Command('outpost')
  .description('A Kafka-protocol broker that mirrors topics from a source cluster')
  .exitOverride();
addServeCommand(program);
addLinkCommands(program);
addMirrorCommands(program);
addMigrateCommand(program);
addScramCommands(program);
addDemoCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // commander has already printed its own message (or the help that was asked for).
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  process.stderr.write(`outpost: ${(err as Error).message}\n`);
  process.exit(2);
}
