import { errorCode } from '../../../protocol/errors.js';
import { permits, permitsAny, refusal } from '../authorization.js';
import { defineHandler } from './handler.js';
import { forVersion, logRefusal } from './transactions.js';

// Without a transactional id Kafka hands out a fresh producer id with epoch 0 every time, even
// when the request names a previous id and epoch; so does outpost. With one, the transaction
// coordinator gives the id's producer id and its next epoch (fencing older ones).
export const initProducerId = defineHandler('InitProducerId', [0, 5], async (b, req, ctx) => {
  const refused = (rule: 'InitProducerId.transactionalId' | 'InitProducerId.idempotent') => ({ throttleTimeMs: 0, errorCode: errorCode(refusal(rule)), producerId: -1, producerEpoch: -1 });
  if (req.transactionalId !== null && !permits(b, ctx, 'InitProducerId.transactionalId', req.transactionalId)) return refused('InitProducerId.transactionalId');
  // An idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic.
  if (req.transactionalId === null && !permits(b, ctx, 'InitProducerId.idempotent') && !permitsAny(b, ctx, 'InitProducerId.anyTopic')) return refused('InitProducerId.idempotent');
  if (req.transactionalId !== null) {
    const failed = (error: 'COORDINATOR_NOT_AVAILABLE') => ({ throttleTimeMs: 0, errorCode: errorCode(error), producerId: -1, producerEpoch: -1 });
    if (!b.transactions) return failed('COORDINATOR_NOT_AVAILABLE');
    // v3+ name the producer id and epoch a producer recovering from an error had (KIP-360).
    const expected = ctx.version >= 3 && req.producerId >= 0 ? { producerId: req.producerId, epoch: req.producerEpoch } : null;
    const r = await b.transactions.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
    if (r.error !== 'NONE') {
      logRefusal(b, ctx, 'InitProducerId', req.transactionalId, r.error, r.reason);
      return { throttleTimeMs: 0, errorCode: errorCode(forVersion(r.error, ctx.version, 4)), producerId: -1, producerEpoch: -1 };
    }
    return { throttleTimeMs: 0, errorCode: 0, producerId: r.producerId, producerEpoch: r.epoch };
  }
  const producerId = await b.producerIds.allocate();
  return { throttleTimeMs: 0, errorCode: errorCode('NONE'), producerId, producerEpoch: 0 };
});
