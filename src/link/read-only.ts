// What the request handlers refuse on a mirror topic, with POLICY_VIOLATION and these messages:
// its data comes only from its source topic, and so do its partition count and synced configs.
import { isSyncedConfig } from './topic-sync.js';
import type { LinkManagerApi } from './types.js';

export type MirrorChange = 'produce' | 'deleteRecords' | 'createPartitions';

const WHY: Record<MirrorChange, string> = {
  produce: 'it is read-only: produce to its source topic instead',
  deleteRecords: 'its log start follows its source topic: delete records there instead',
  createPartitions: 'its partition count follows its source topic: add partitions there instead',
};

/** Why `change` is refused on `topic`, or null when the topic is not a mirror. */
export function mirrorRefusal(links: LinkManagerApi | undefined, topic: string, change: MirrorChange): string | null {
  const mirror = links?.mirrorOf(topic);
  return mirror ? `Topic ${topic} is a mirror topic of cluster link ${mirror.linkName}: ${WHY[change]}` : null;
}

/** Why altering `configs` of `topic` is refused (some are synced from the source), or null. For AlterConfigs handlers. */
export function syncedConfigRefusal(links: LinkManagerApi | undefined, topic: string, configs: string[]): string | null {
  const mirror = links?.mirrorOf(topic);
  const synced = configs.filter(isSyncedConfig);
  if (!mirror || synced.length === 0) return null;
  return `Topic ${topic} is a mirror topic of cluster link ${mirror.linkName}: ${synced.join(', ')} ${synced.length > 1 ? 'are' : 'is'} synced from its source topic and cannot be altered here`;
}
