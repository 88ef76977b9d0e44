// `<data-dir>/__outpost_links.json`: the cluster links and their mirror topics, written whole and
// atomically (temporary file, fsync, rename) on every change:
//
//   { "version": 1,
//     "links": [ { "name": "from-dc1", "linkId": "...", "bootstrapServers": "10.0.0.1:9092",
//                  "sourceClusterId": "...",           (only when the link was created with one)
//                  "sourceClusterIdSeen": "...",       (the id the source answered with first)
//                  "configs": { "topic.config.sync.ms": "5000" },
//                  "mirrors": [ { "topic": "orders", "localTopicId": "...", "sourceTopicId": "...",
//                                 "sourceTopic": "...",  (only when the source's name differs)
//                                 "paused": false, "failed": null, "pending": null } ] } ] }
//
// Secrets among the configs (Kafka's PASSWORD type: sasl.jaas.config, ssl.*.password, ...) are
// written under "encryptedConfigs" instead, sealed with password.encoder.secret, when that is set;
// without it they are written in clear, and the file is readable by its owner only.
//
// `pending` holds the start offsets and configs of a mirror whose local topic is being made: a crash between
// recording the mirror and preparing its partitions is finished at the next start, so a mirror
// topic is never seen (or written to) as an ordinary topic.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isSensitiveLinkConfig } from '../config/link-configs.js';
import type { PasswordEncoder } from '../config/password-encoder.js';
import { writeFileDurably } from '../log/durable-file.js';

export const LINK_STORE_FILE = '__outpost_links.json';
const VERSION = 1;

const storedMirror = z.object({
  topic: z.string(),
  /** the source topic's name, when it is not the mirror's (a link with cluster.link.prefix) */
  sourceTopic: z.string().optional(),
  localTopicId: z.string(),
  sourceTopicId: z.string().nullable(),
  paused: z.boolean(),
  /** why mirroring stopped for good (source topic deleted, recreated, shrunk), or null */
  failed: z.string().nullable(),
  /**
   * a mirror being created: where its partitions' local copies start, where their logs start (the
   * source's log starts, read through the link below the local start; absent: the same) and the
   * configs its local topic gets
   */
  pending: z.object({ startOffsets: z.array(z.number().int()), logStartOffsets: z.array(z.number().int()).optional(), configs: z.record(z.string()) }).nullable(),
  /** a promote or failover under way (PENDING_STOPPED): a crash before it ends finishes it at the next start */
  stopping: z.enum(['promote', 'failover']).optional(),
});

/**
 * A mirror stopped by promote or failover: its topic is an ordinary one now; what it held at the
 * stop is kept for failback.
 */
const stoppedMirror = z.object({
  topic: z.string(),
  sourceTopic: z.string().optional(),
  localTopicId: z.string(),
  how: z.enum(['promote', 'failover']),
  stoppedAtMs: z.number().int(),
  /** each partition's log end offset at the stop */
  stopOffsets: z.array(z.number().int()),
});

const storedLink = z.object({
  name: z.string(),
  linkId: z.string(),
  bootstrapServers: z.string(),
  sourceClusterId: z.string().optional(),
  sourceClusterIdSeen: z.string().nullable(),
  configs: z.record(z.string()),
  mirrors: z.array(storedMirror),
  stoppedMirrors: z.array(stoppedMirror).default([]),
  /** the ACLs the link's ACL sync made here: the only ones it may delete again */
  syncedAcls: z.array(z.object({ resourceType: z.number().int(), resourceName: z.string(), patternType: z.number().int(), principal: z.string(), host: z.string(), operation: z.number().int(), permissionType: z.number().int() })).default([]),
});

/** A link as the file holds it: its secrets perhaps sealed. */
const fileLink = storedLink.extend({ encryptedConfigs: z.record(z.string()).optional() });

const store = z.object({ version: z.literal(VERSION), links: z.array(fileLink) });

export type StoredMirror = z.infer<typeof storedMirror>;
export type StoppedMirror = z.infer<typeof stoppedMirror>;
/** A link as the engine holds it: every config in clear. */
export type StoredLink = z.infer<typeof storedLink>;

/** Where a sealed config belongs: it opens only there. */
const place = (link: string, config: string) => `link ${link} config ${config}`;

/** Reads the links; sealed secrets are opened with `encoder` (an error names the one that does not open). */
export async function readLinkStore(dataDir: string, encoder: PasswordEncoder | null = null): Promise<StoredLink[]> {
  let text: string;
  try {
    text = await readFile(join(dataDir, LINK_STORE_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const parsed = store.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${LINK_STORE_FILE}: unsupported or malformed content: ${parsed.error.issues[0]?.message ?? 'unknown problem'}`);
  return parsed.data.links.map(({ encryptedConfigs, ...link }) => {
    const configs = { ...link.configs };
    for (const [name, sealed] of Object.entries(encryptedConfigs ?? {})) {
      if (!encoder) throw new Error(`${LINK_STORE_FILE}: cluster link ${link.name}'s secrets are encrypted, and password.encoder.secret is not set: set the secret they were encrypted with`);
      try {
        configs[name] = encoder.decode(sealed, place(link.name, name));
      } catch (e) {
        throw new Error(`${LINK_STORE_FILE}: cluster link ${link.name}'s ${name} cannot be decrypted: ${(e as Error).message}`);
      }
    }
    return { ...link, configs };
  });
}

export function writeLinkStore(dataDir: string, links: StoredLink[], encoder: PasswordEncoder | null = null): Promise<void> {
  const sorted = [...links].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const written = sorted.map((link) => {
    if (!encoder) return link;
    const configs: Record<string, string> = {};
    const encryptedConfigs: Record<string, string> = {};
    for (const [name, value] of Object.entries(link.configs)) {
      if (isSensitiveLinkConfig(name)) encryptedConfigs[name] = encoder.encode(value, place(link.name, name));
      else configs[name] = value;
    }
    return { ...link, configs, encryptedConfigs };
  });
  // Owner-only: without password.encoder.secret the file holds the links' secrets in clear.
  return writeFileDurably(join(dataDir, LINK_STORE_FILE), JSON.stringify({ version: VERSION, links: written }, null, 2) + '\n', 0o600);
}
