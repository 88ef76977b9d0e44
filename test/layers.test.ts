// The layers of the tree, checked on every import of protocol/ and src/: each folder may import
// only the folders below it, so that the wire format knows nothing of the broker and a lower part
// of the broker never reaches up into a higher one.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = resolve(new URL('../../', import.meta.url).pathname);

/** What each part may import besides itself (and node:, packages). */
const ALLOWED: Record<string, string[]> = {
  'protocol': [],
  'src/common': [],
  'src/log': ['protocol', 'src/common'],
  'src/config': ['protocol', 'src/common', 'src/log'],
  'src/client': ['protocol', 'src/common'],
  'src/groups': ['protocol', 'src/common', 'src/log', 'src/config'],
  'src/transactions': ['protocol', 'src/common', 'src/log', 'src/config'],
  'src/link': ['protocol', 'src/common', 'src/log', 'src/config', 'src/client'],
  'src/admin': ['protocol', 'src/common', 'src/config', 'src/link'],
  'src/security': ['protocol', 'src/common', 'src/log', 'src/config', 'src/client'],
  'src/logger.ts': [],
  'src/server': ['protocol', 'src/common', 'src/log', 'src/config', 'src/client', 'src/groups', 'src/transactions', 'src/link', 'src/admin', 'src/security', 'src/logger.ts'],
  'src/cli': ['protocol', 'src/common', 'src/log', 'src/config', 'src/client', 'src/groups', 'src/transactions', 'src/link', 'src/admin', 'src/security', 'src/logger.ts', 'src/server'],
};

function partOf(file: string): string {
  const rel = relative(root, file);
  const part = Object.keys(ALLOWED).find((p) => rel === p || rel.startsWith(`${p}/`));
  if (!part) throw new Error(`${rel} is in no layer: add its folder to ALLOWED`);
  return part;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

test('every import of protocol/ and src/ goes down the layers', () => {
  const wrong: string[] = [];
  for (const file of [...sources(join(root, 'protocol')), ...sources(join(root, 'src'))]) {
    const from = partOf(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) {
      const target = resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'));
      const to = partOf(target);
      if (to !== from && !ALLOWED[from]!.includes(to)) wrong.push(`${relative(root, file)} imports ${relative(root, target)}`);
    }
  }
  assert.equal(wrong, []);
});

test.run();
