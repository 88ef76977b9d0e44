// Link configs given on the command line (`--config k=v,k=v`, repeatable) or in a properties file
// (`--config-file`: one k=v a line, # and ! comments), as `confluent kafka link` takes them.
import { readFile } from 'node:fs/promises';

/**
 * Parses `k=v,k=v`. A piece without '=' continues the previous value, so that
 * `bootstrap.servers=a:9092,b:9092` keeps both servers.
 */
function parseConfigPairs(text: string, into: Record<string, string> = {}): Record<string, string> {
  let last: string | undefined;
  for (const piece of text.split(',')) {
    const eq = piece.indexOf('=');
    if (eq > 0) {
      last = piece.slice(0, eq).trim();
      into[last] = piece.slice(eq + 1).trim();
    } else if (last !== undefined && eq < 0) {
      into[last] += `,${piece.trim()}`;
    } else {
      throw new Error(`invalid --config ${JSON.stringify(text)}: expected KEY=VALUE[,KEY=VALUE...]`);
    }
  }
  return into;
}

/** commander's collector for a repeatable --config. */
export const collectConfigs = (value: string, previous: Record<string, string> = {}) => parseConfigPairs(value, { ...previous });

export async function readConfigFile(path: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`config file ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith('!')) return;
    const eq = t.indexOf('=');
    if (eq <= 0) throw new Error(`config file ${path}: line ${i + 1}: expected KEY=VALUE`);
    out[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
  });
  return out;
}
