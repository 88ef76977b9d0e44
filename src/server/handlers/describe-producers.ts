// DescribeProducers (KIP-664): each partition's active producers as its producer state has them,
// what `kafka-transactions describe-producers` shows. READ on the topic, as in Kafka.
import { errorCode, type ErrorName } from '../../../protocol/errors.js';
import { permits, refusal } from '../authorization.js';
import { defineHandler } from './handler.js';

export const describeProducers = defineHandler('DescribeProducers', [0, 0], (b, req, ctx) => {
  const topics = req.topics.map((t) => {
    const allowed = permits(b, ctx, 'DescribeProducers.topic', t.name);
    const partitions = t.partitionIndexes.map((partitionIndex) => {
      const none = (error: ErrorName) => ({ partitionIndex, errorCode: errorCode(error), errorMessage: null, activeProducers: [] });
      if (!allowed) return none(refusal('DescribeProducers.topic'));
      const log = b.logs.getLog(t.name, partitionIndex);
      if (!log) return none('UNKNOWN_TOPIC_OR_PARTITION');
      const activeProducers = log.activeProducers().map((p) => ({
        producerId: p.producerId,
        producerEpoch: p.epoch,
        lastSequence: p.batches.at(-1)?.lastSeq ?? -1,
        lastTimestamp: p.lastTimestamp,
        // The epoch of the coordinator that wrote the last marker: not kept by outpost.
        coordinatorEpoch: -1,
        currentTxnStartOffset: p.currentTxnFirstOffset,
      }));
      return { partitionIndex, errorCode: 0, errorMessage: null, activeProducers };
    });
    return { name: t.name, partitions };
  });
  return { throttleTimeMs: 0, topics };
});
