#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in its own process, so that one file's
// crash or hang cannot take the others with it, then a few files again against Kafka 3.9 (the
// compatibility run below), and prints the totals as one closing line.
// Usage: node scripts/test.js [substring ...]   (only files whose path contains one of them)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../dist/test/', import.meta.url).pathname;
const filters = process.argv.slice(2);
const perFileTimeoutMs = Number(process.env.OUTPOST_TEST_TIMEOUT_MS ?? 600_000);

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

function runFile(file, extraEnv = {}) {
  return new Promise((resolve) => {
    // Strict messages: the encoder refuses fields a message does not have (protocol/codec.ts).
    const env = { ...process.env, OUTPOST_STRICT_MESSAGES: '1', ...extraEnv };
    const child = spawn(process.execPath, ['--enable-source-maps', file], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => process.stderr.write(d));
    const timer = setTimeout(() => {
      process.stderr.write(`\n${relative(root, file)}: timed out after ${perFileTimeoutMs} ms\n`);
      child.kill('SIGKILL');
    }, perFileTimeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
      const num = (label) => [...plain.matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))].reduce((a, m) => a + Number(m[1]), 0);
      const total = num('Total'), passed = num('Passed'), skipped = num('Skipped');
      // A file that exits non-zero without reporting a failure (a crash, a timeout) counts as one.
      let failed = total - passed - skipped;
      if (code !== 0 && failed === 0) failed = 1;
      resolve({ passed, failed, skipped });
    });
  });
}

/**
 * The compatibility run: these files again with the Kafka 3.9 broker, clients and tools as peers
 * (many users' clusters are on 3.x): a 3.9 source for cluster links, 3.9 Java consumers in groups,
 * and 3.9 transactional producers, which know only transaction version 1.
 */
const COMPAT_VERSION = '3.9.1';
const COMPAT_FILES = ['link/mirror-kafka.test.js', 'server/groups-java.test.js', 'server/transactions-java.test.js'];

const files = find(root).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
const runs = [
  ...files.map((file) => ({ file, label: relative(root, file), env: {} })),
  ...files.filter((f) => COMPAT_FILES.includes(relative(root, f))).map((file) => ({
    file, label: `${relative(root, file)} (Kafka ${COMPAT_VERSION})`, env: { OUTPOST_KAFKA_VERSION: COMPAT_VERSION },
  })),
];
let passed = 0, failed = 0, skipped = 0;
const failedFiles = [];
for (const { file, label, env } of runs) {
  console.log(`\n# ${label}`);
  const r = await runFile(file, env);
  passed += r.passed; failed += r.failed; skipped += r.skipped;
  if (r.failed > 0) failedFiles.push(label);
}
if (failedFiles.length) console.log(`\nfailed in: ${failedFiles.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || files.length === 0 ? 1 : 0);
