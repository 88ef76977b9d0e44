// The broker's identity on disk: Kafka's meta.properties in the data dir, holding the cluster id
// (made once, at the first start) and the node id. A data dir that belongs to another node id is
// refused rather than silently served under a new identity.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileDurably } from '../log/durable-file.js';

export interface Identity {
  clusterId: string;
  nodeId: number;
  directoryId: string;
}

function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    if (eq > 0) out.set(t.slice(0, eq).trim(), t.slice(eq + 1).trim());
  }
  return out;
}

export async function loadIdentity(dataDir: string, nodeId: number): Promise<Identity> {
  const path = `${dataDir}/meta.properties`;
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    const p = parseProperties(text);
    const stored = Number(p.get('node.id'));
    if (stored !== nodeId) throw new Error(`${path} belongs to node.id ${stored}, not ${nodeId}`);
    return { clusterId: p.get('cluster.id')!, nodeId, directoryId: p.get('directory.id') ?? randomBytes(16).toString('base64url') };
  }
  const identity = { clusterId: randomBytes(16).toString('base64url'), nodeId, directoryId: randomBytes(16).toString('base64url') };
  await writeFileDurably(path, `#\n#Written by kafka-outpost\nversion=1\ncluster.id=${identity.clusterId}\nnode.id=${nodeId}\ndirectory.id=${identity.directoryId}\n`);
  return identity;
}
