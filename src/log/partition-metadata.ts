// partition.metadata, which Kafka keeps in each partition directory so that a directory left from
// a deleted topic is never mistaken for a new topic of the same name:
//   version: 0
//   topic_id: <topic id, base64url without padding as Kafka prints a Uuid>
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from './durable-file.js';
import { PARTITION_METADATA } from './file-names.js';

export async function readPartitionTopicId(dir: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(join(dir, PARTITION_METADATA), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const [version, topicId] = text.split('\n');
  if (version?.trim() !== 'version: 0' || !topicId?.startsWith('topic_id: ')) {
    throw new Error(`malformed ${join(dir, PARTITION_METADATA)}`);
  }
  return topicId.slice('topic_id: '.length).trim();
}

export function writePartitionTopicId(dir: string, topicId: string): Promise<void> {
  return writeFileDurably(join(dir, PARTITION_METADATA), `version: 0\ntopic_id: ${topicId}\n`);
}
