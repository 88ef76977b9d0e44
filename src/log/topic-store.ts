// `<data-dir>/__outpost_topics.json`: the topics this broker hosts, the one record of which
// partition directories should exist. Written whole and atomically on every change:
//
//   { "version": 1,
//     "topics": [ { "name": "orders", "topicId": "<base64url uuid>", "partitions": 3,
//                   "configs": { "retention.ms": "86400000" } } ] }
//
// `configs` holds only the overrides, by Kafka's config names, as given to CreateTopics or
// AlterConfigs; defaults are applied when the file is loaded, so changed defaults take effect.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from './durable-file.js';

export const TOPIC_STORE_FILE = '__outpost_topics.json';
const VERSION = 1;

export interface TopicInfo {
  name: string;
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

export async function readTopicStore(dataDir: string): Promise<TopicInfo[]> {
  let text: string;
  try {
    text = await readFile(join(dataDir, TOPIC_STORE_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const parsed = JSON.parse(text) as { version?: unknown; topics?: unknown };
  if (parsed.version !== VERSION || !Array.isArray(parsed.topics)) throw new Error(`${TOPIC_STORE_FILE}: unsupported content (version ${String(parsed.version)})`);
  return parsed.topics.map((t: Partial<TopicInfo>) => {
    if (typeof t.name !== 'string' || typeof t.topicId !== 'string' || !Number.isInteger(t.partitions) || typeof t.configs !== 'object' || t.configs === null) {
      throw new Error(`${TOPIC_STORE_FILE}: malformed topic entry ${JSON.stringify(t)}`);
    }
    return { name: t.name, topicId: t.topicId, partitions: t.partitions!, configs: { ...t.configs } };
  });
}

export function writeTopicStore(dataDir: string, topics: Iterable<TopicInfo>): Promise<void> {
  const content = { version: VERSION, topics: [...topics].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
  return writeFileDurably(join(dataDir, TOPIC_STORE_FILE), JSON.stringify(content, null, 2) + '\n');
}
