// `outpost scram add`: a SCRAM credential written into a data directory while no broker runs on
// it, as Kafka's `kafka-storage format --add-scram` seeds the first users: a SASL-only outpost
// otherwise has nobody who could add one. The password comes from OUTPOST_SCRAM_PASSWORD or the
// first line of standard input, never from the command line.
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { MAX_ITERATIONS, MIN_ITERATIONS, saltedPassword, scramHash } from '../client/sasl/scram-formulas.js';
import { ScramCredentialStore } from '../security/scram-credentials.js';
import { lockDataDir } from '../server/data-dir-lock.js';

async function readPassword(): Promise<string> {
  const fromEnv = process.env.OUTPOST_SCRAM_PASSWORD;
  if (fromEnv !== undefined) return fromEnv;
  if (process.stdin.isTTY) throw new Error('give the password in OUTPOST_SCRAM_PASSWORD or on standard input (it is never taken from the command line)');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0]!;
}

export function addScramCommands(program: Command): void {
  const scram = program.command('scram').description('SCRAM credentials of a stopped broker\'s data directory (a running one takes kafka-configs)');
  scram
    .command('add <user>')
    .description('add or replace a SCRAM credential (the password from OUTPOST_SCRAM_PASSWORD or standard input)')
    .requiredOption('--data-dir <dir>', 'the broker\'s data directory')
    .option('--mechanism <name>', 'SCRAM-SHA-256 or SCRAM-SHA-512', 'SCRAM-SHA-512')
    .option('--iterations <n>', `between ${MIN_ITERATIONS} and ${MAX_ITERATIONS}`, String(MIN_ITERATIONS))
    .action(async (user: string, flags: { dataDir: string; mechanism: string; iterations: string }) => {
      const mechanism = flags.mechanism.toUpperCase();
      if (mechanism !== 'SCRAM-SHA-256' && mechanism !== 'SCRAM-SHA-512') throw new Error(`--mechanism ${flags.mechanism}: expected SCRAM-SHA-256 or SCRAM-SHA-512`);
      const iterations = Number(flags.iterations);
      if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) throw new Error(`--iterations ${flags.iterations}: expected a whole number from ${MIN_ITERATIONS} to ${MAX_ITERATIONS}`);
      if (user === '') throw new Error('the user name must not be empty');
      const password = await readPassword();
      if (password === '') throw new Error('the password must not be empty');
      const dataDir = resolve(flags.dataDir);
      await mkdir(dataDir, { recursive: true });
      // Not while a broker runs on it: the broker would not see the change, and might overwrite it.
      const unlock = await lockDataDir(dataDir, 0);
      try {
        const store = await ScramCredentialStore.open(dataDir);
        const salt = randomBytes(32);
        await store.apply([{ user, mechanism, salt, iterations, saltedPassword: saltedPassword(scramHash(mechanism), password, salt, iterations) }]);
      } finally {
        await unlock();
      }
      process.stdout.write(`Added the ${mechanism} credential of user "${user}" to ${dataDir}.\n`);
    });
}
