#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in its own process, so that one file's
// crash or hang cannot take the others with it, and prints the totals as one closing line.
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

function runFile(file) {
  return new Promise((resolve) => {
    // Strict messages: the encoder refuses fields a message does not have (protocol/codec.ts).
    const env = { ...process.env, OUTPOST_STRICT_MESSAGES: '1' };
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

const files = find(root).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
let passed = 0, failed = 0, skipped = 0;
const failedFiles = [];
for (const file of files) {
  console.log(`\n# ${relative(root, file)}`);
  const r = await runFile(file);
  passed += r.passed; failed += r.failed; skipped += r.skipped;
  if (r.failed > 0) failedFiles.push(relative(root, file));
}
if (failedFiles.length) console.log(`\nfailed in: ${failedFiles.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || files.length === 0 ? 1 : 0);
