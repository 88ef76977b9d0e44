// __consumer_offsets, the group coordinator's internal topic (src/log/internal-topic.ts): created at
// start-up, read back whole to rebuild the coordinator's state, appended to for every commit and
// group change, and transactional offset commits in their producer's transaction.
import type { Logger } from 'pino';
import type { ErrorName } from '../../protocol/errors.js';
import { InternalTopic, appendErrorForClient, partitionForKey, type LoadHandlers, type RawRecord } from '../log/internal-topic.js';
import type { LogManager } from '../log/log-manager.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Kafka's configs for the topic: compacted by key, its segments offsets.topic.segment.bytes. */
const topicConfigs = (segmentBytes: number) => ({ 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': String(segmentBytes) });

/** Kafka's partitionFor(groupId). */
export function partitionForGroup(groupId: string, partitions: number): number {
  return partitionForKey(groupId, partitions);
}
/** Where the coordinator's records go: one append per change, resolved once it is in the log. */
export interface RecordSink {
  /**
   * Appends the records as one batch to the group's partition, in the producer's transaction
   * when `txn` is given; the error if that failed.
   */
  append(groupId: string, records: RawRecord[], txn?: { producerId: number; producerEpoch: number }): Promise<ErrorName | null>;
  /** the partition that holds the group's records */
  partitionFor(groupId: string): number;
}

export class OffsetsTopic implements RecordSink {
  private constructor(private readonly topic: InternalTopic) {}

  /**
   * Creates the topic with `partitions` partitions (offsets.topic.num.partitions) unless it
   * exists; an existing topic keeps its count, which is what the group-to-partition map must use.
   */
  static async open(logs: LogManager, partitions: number, logger: Logger, segmentBytes: number): Promise<OffsetsTopic> {
    return new OffsetsTopic(await InternalTopic.open(logs, OFFSETS_TOPIC, partitions, topicConfigs(segmentBytes), logger));
  }

  get partitions(): number {
    return this.topic.partitions;
  }

  partitionFor(groupId: string): number {
    return this.topic.partitionFor(groupId);
  }

  load(handlers: LoadHandlers): Promise<number> {
    return this.topic.load(handlers);
  }

  async append(groupId: string, records: RawRecord[], txn?: { producerId: number; producerEpoch: number }): Promise<ErrorName | null> {
    const error = await this.topic.append(this.partitionFor(groupId), records, txn);
    return error && appendErrorForClient(error, 'INVALID_COMMIT_OFFSET_SIZE');
  }
}
