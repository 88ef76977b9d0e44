// `<data-dir>/__outpost_links.json`: the cluster links and their mirror topics, written whole and
// atomically (temporary file, fsync, rename) on every change:
//
//   { "version": 1,
//     "links": [ { "name": "from-dc1", "linkId": "...", "bootstrapServers": "10.0.0.1:9092",
//                  "sourceClusterId": "...",           (only when the link was created with one)
//                  "sourceClusterIdSeen": "...",       (the id the source answered with first)
//                  "configs": { "topic.config.sync.ms": "5000" },
//                  "mirrors": [ { "topic": "orders", "localTopicId": "...", "sourceTopicId": "...",
//                                 "paused": false, "failed": null, "pending": null } ] } ] }
//
// `pending` holds the start offsets and configs of a mirror whose local topic is being made: a crash between
// recording the mirror and preparing its partitions is finished at the next start, so a mirror
// topic is never seen (or written to) as an ordinary topic.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileDurably } from '../log/durable-file.js';

export const LINK_STORE_FILE = '__outpost_links.json';
const VERSION = 1;

const storedMirror = z.object({
  topic: z.string(),
  localTopicId: z.string(),
  sourceTopicId: z.string().nullable(),
  paused: z.boolean(),
  /** why mirroring stopped for good (source topic deleted, recreated, shrunk), or null */
  failed: z.string().nullable(),
  /** a mirror being created: where its partitions start and the configs its local topic gets */
  pending: z.object({ startOffsets: z.array(z.number().int()), configs: z.record(z.string()) }).nullable(),
});

const storedLink = z.object({
  name: z.string(),
  linkId: z.string(),
  bootstrapServers: z.string(),
  sourceClusterId: z.string().optional(),
  sourceClusterIdSeen: z.string().nullable(),
  configs: z.record(z.string()),
  mirrors: z.array(storedMirror),
});

const store = z.object({ version: z.literal(VERSION), links: z.array(storedLink) });

export type StoredMirror = z.infer<typeof storedMirror>;
export type StoredLink = z.infer<typeof storedLink>;

export async function readLinkStore(dataDir: string): Promise<StoredLink[]> {
  let text: string;
  try {
    text = await readFile(join(dataDir, LINK_STORE_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const parsed = store.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${LINK_STORE_FILE}: unsupported or malformed content: ${parsed.error.issues[0]?.message ?? 'unknown problem'}`);
  return parsed.data.links;
}

export function writeLinkStore(dataDir: string, links: StoredLink[]): Promise<void> {
  const sorted = [...links].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return writeFileDurably(join(dataDir, LINK_STORE_FILE), JSON.stringify({ version: VERSION, links: sorted }, null, 2) + '\n');
}
