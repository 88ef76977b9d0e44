// The group coordinator as the cluster links' consumer offset sync sees it (LocalGroups), and as
// the admin API's group lags read it (GroupOffsets): neither reaches into the coordinator itself.
import type { GroupOffsets } from '../admin/links-rest.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { LogManager } from '../log/log-manager.js';
import { refKey } from '../link/source-endpoint.js';
import type { LocalGroups } from '../link/types.js';

export function localGroups(coordinator: GroupCoordinator): LocalGroups {
  return {
    hasMembers: (group) => (coordinator.describeGroups([group])[0]?.members.length ?? 0) > 0,
    committed(group) {
      const out = new Map<string, number>();
      const r = coordinator.fetchOffsets(group, null);
      for (const t of r.topics) for (const p of t.partitions) if (p.committedOffset >= 0) out.set(refKey(t.name, p.partitionIndex), p.committedOffset);
      return out;
    },
    // As an admin commits (Kafka's AdminClient.alterConsumerGroupOffsets): no generation, which the
    // coordinator takes only while the group has no members.
    commit: (group, offsets) =>
      coordinator.commitOffsets({
        groupId: group,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        unknownGroupError: 'GROUP_ID_NOT_FOUND',
        partitions: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata })),
      }),
  };
}

export function groupOffsets(coordinator: GroupCoordinator, logs: LogManager): GroupOffsets {
  return {
    committed(group) {
      if (!coordinator.listGroups([], []).some((g) => g.groupId === group)) return null;
      const r = coordinator.fetchOffsets(group, null);
      return r.topics.flatMap((t) => t.partitions.filter((p) => p.committedOffset >= 0).map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset })));
    },
    logEndOffset: (topic, partition) => logs.getLog(topic, partition)?.logEndOffset ?? null,
  };
}
