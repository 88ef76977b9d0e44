// offsets.retention.minutes, as Kafka's classic groups apply it: which of a group's committed
// offsets have expired, and whether that leaves the group without any.
import type { ClassicGroup } from './classic-group.js';
import type { TopicOffsets } from './offset-store.js';

export interface Expiry {
  expired: { topic: string; partition: number }[];
  /** no offset of the group is left once the expired ones are gone */
  allExpired: boolean;
}

/**
 * Offsets of topics the group consumes never expire. The others expire `retentionMs` after their
 * commit, or, for a group with a protocol that is empty, after it became empty; an offset committed
 * with its own retention (OffsetCommit v2-4) expires at the time it was given. A group whose members
 * consume but whose subscriptions are unknown keeps everything.
 */
export function expiredOffsets(group: ClassicGroup, topics: TopicOffsets[], now: number, retentionMs: number): Expiry {
  const expired: Expiry['expired'] = [];
  let allExpired = true;
  for (const t of topics) {
    if (group.isSubscribedToTopic(t.topic)) {
      allExpired = false;
      continue;
    }
    for (const [partition, committed] of t.partitions) {
      const base = group.offsetExpiryBase(committed.commitTimestamp);
      const isExpired = base !== null && (committed.expireTimestamp >= 0 ? now >= committed.expireTimestamp : now - base >= retentionMs);
      if (isExpired) expired.push({ topic: t.topic, partition });
      else allExpired = false;
    }
  }
  return { expired, allExpired };
}
