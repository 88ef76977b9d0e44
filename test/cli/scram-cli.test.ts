// `outpost scram add`: the first SCRAM users of a SASL-only outpost, written into its data
// directory before it starts (as kafka-storage --add-scram seeds Kafka's); kcat then authenticates
// as them. The password never comes from the command line, and a running broker's directory is refused.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kcat } from '../peers/kcat.js';
import { startOutpost } from '../support/outpost.js';

const bin = fileURLToPath(new URL('../../../bin/outpost.js', import.meta.url));

function outpost(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...opts.env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(opts.input ?? '');
  });
}

const SCRAM_LISTENER = {
  listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
  'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'SCRAM-SHA-512,SCRAM-SHA-256',
};

const kcatAs = (bootstrap: string, mechanism: string, user: string, password: string) =>
  kcat(['-b', bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`, '-L', '-m', '5']);

test('users added before the start authenticate; the password comes from the environment or stdin', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-scram-cli-'));
  try {
    const env = await outpost(['scram', 'add', 'alice', '--data-dir', dir], { env: { OUTPOST_SCRAM_PASSWORD: 'alice-secret' } });
    assert.is(env.code, 0, env.stderr);
    const stdin = await outpost(['scram', 'add', 'bob', '--data-dir', dir, '--mechanism', 'SCRAM-SHA-256', '--iterations', '8192'], { input: 'bob-secret\n' });
    assert.is(stdin.code, 0, stdin.stderr);
    const stored = await readFile(join(dir, '__outpost_scram_credentials.json'), 'utf8');
    assert.not.match(stored, /alice-secret|bob-secret/);
    const broker = await startOutpost({ dataDir: dir, configs: SCRAM_LISTENER });
    try {
      assert.is((await kcatAs(broker.bootstrap, 'SCRAM-SHA-512', 'alice', 'alice-secret')).code, 0);
      assert.is((await kcatAs(broker.bootstrap, 'SCRAM-SHA-256', 'bob', 'bob-secret')).code, 0);
      assert.is.not((await kcatAs(broker.bootstrap, 'SCRAM-SHA-512', 'alice', 'wrong')).code, 0);
      // The directory is in use now: the command refuses it.
      const busy = await outpost(['scram', 'add', 'carol', '--data-dir', dir], { env: { OUTPOST_SCRAM_PASSWORD: 'x' } });
      assert.is(busy.code, 2);
      assert.match(busy.stderr, /is in use by/);
    } finally {
      await broker.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad input is refused with a reason', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-scram-cli-'));
  try {
    const empty = await outpost(['scram', 'add', 'alice', '--data-dir', dir], { input: '\n' });
    assert.match(empty.stderr, /the password must not be empty/);
    const few = await outpost(['scram', 'add', 'alice', '--data-dir', dir, '--iterations', '100'], { env: { OUTPOST_SCRAM_PASSWORD: 'x' } });
    assert.match(few.stderr, /--iterations 100: expected a whole number from 4096 to 16384/);
    const mech = await outpost(['scram', 'add', 'alice', '--data-dir', dir, '--mechanism', 'PLAIN'], { env: { OUTPOST_SCRAM_PASSWORD: 'x' } });
    assert.match(mech.stderr, /--mechanism PLAIN: expected SCRAM-SHA-256 or SCRAM-SHA-512/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
