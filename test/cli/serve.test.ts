// `outpost serve` as a user runs it: bad flags and settings stop start-up with one line on stderr
// and exit status 2. Runs the compiled bin/outpost.js, so it needs a build first.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const bin = fileURLToPath(new URL('../../../bin/outpost.js', import.meta.url));

function outpost(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a bad --listen', () => {
  const r = outpost('serve', '--listen', 'nope');
  assert.is(r.status, 2);
  assert.is(r.stderr, 'outpost: invalid --listen "nope": expected HOST:PORT\n');
});

test('a bad value in the config file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-cli-'));
  try {
    const path = join(dir, 'outpost.yaml');
    await writeFile(path, 'configs:\n  num.partitions: 0\n');
    const r = outpost('serve', '--config', path);
    assert.is(r.status, 2);
    assert.is(r.stderr, `outpost: config file ${path}: configs.num.partitions: invalid value "0": Value must be at least 1\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('commander\'s own errors exit 2 too', () => {
  const unknownOption = outpost('serve', '--lisen', '127.0.0.1:9092');
  assert.is(unknownOption.status, 2);
  assert.is(unknownOption.stderr.trim(), "error: unknown option '--lisen'\n(Did you mean --listen?)");
  const missingValue = outpost('serve', '--listen');
  assert.is(missingValue.status, 2);
  assert.is(missingValue.stderr.trim(), "error: option '--listen <host:port>' argument missing");
  assert.is(outpost('nosuchcommand').status, 2);
});

test('--help exits 0 and lists serve\'s flags', () => {
  const r = outpost('serve', '--help');
  assert.is(r.status, 0);
  for (const flag of ['--listen', '--advertised-listener', '--admin', '--data-dir', '--config']) assert.ok(r.stdout.includes(flag), flag);
});

test('a bad OUTPOST_LOG_LEVEL', () => {
  const r = spawnSync(process.execPath, [bin, 'serve', '--listen', '127.0.0.1:0'], { encoding: 'utf8', env: { ...process.env, OUTPOST_LOG_LEVEL: 'loud' } });
  assert.is(r.status, 2);
  assert.is(r.stderr, 'outpost: invalid OUTPOST_LOG_LEVEL "loud": expected one of fatal, error, warn, info, debug, trace, silent\n');
});

test.run();
