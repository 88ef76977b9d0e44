// How the transaction coordinator's markers reach the partitions of a transaction: appended to
// each partition's log as this node leads them all, and, in __consumer_offsets, handed to the
// group coordinator so the transaction's offsets take effect or are dropped.
import type { GroupCoordinator } from '../groups/coordinator.js';
import { OFFSETS_TOPIC } from '../groups/offsets-topic.js';
import type { MarkerWriter, TxnPartition } from '../transactions/coordinator.js';
import type { Logger } from 'pino';
import type { Partitions } from './partitions.js';

export function markerWriter(partitions: Partitions, groups: () => GroupCoordinator | undefined, logger: Logger): MarkerWriter {
  return {
    async write(m) {
      const left: TxnPartition[] = [];
      await Promise.all(m.partitions.map(async (p) => {
        const partition = partitions.get(p.topic, p.partition);
        // A topic deleted since it joined the transaction has nothing left to end.
        if (!partition) return;
        const refused = partition.writeRefusal('produce', 'coordinator');
        if (refused) {
          // A topic that became a mirror since: its log is its source's, and takes no marker of ours.
          logger.warn({ topic: p.topic, partition: p.partition, producerId: m.producerId, error: refused.error }, 'transaction marker not written: the partition takes no writes from here');
          return;
        }
        const r = await partition.log.appendMarker({ producerId: m.producerId, epoch: m.epoch, commit: m.commit, coordinatorEpoch: m.coordinatorEpoch, now: Date.now() });
        if (r.ok) {
          if (p.topic === OFFSETS_TOPIC) groups()?.completeTransaction(m.producerId, m.commit, p.partition);
          return;
        }
        if (r.error === 'INVALID_PRODUCER_EPOCH') {
          // A newer epoch wrote here already: that producer's transaction is not this one.
          logger.warn({ topic: p.topic, partition: p.partition, producerId: m.producerId, reason: r.reason }, 'transaction marker fenced');
          return;
        }
        logger.warn({ topic: p.topic, partition: p.partition, producerId: m.producerId, error: r.error, reason: r.reason }, 'transaction marker not written');
        left.push(p);
      }));
      return left;
    },
  };
}
