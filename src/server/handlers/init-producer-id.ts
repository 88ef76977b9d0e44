import { errorCode } from '../../../protocol/errors.js';
import { permits, permitsAny, refusal } from '../authorization.js';
import { defineHandler } from './handler.js';

// Without a transactional id Kafka hands out a fresh producer id with epoch 0 every time, even
// when the request names a previous id and epoch; so does outpost. Transactions need a
// transaction coordinator, which outpost does not have: a transactional id gets INVALID_REQUEST,
// which fails the producer at once instead of leaving it retrying a coordinator that never comes.
export const initProducerId = defineHandler('InitProducerId', [0, 5], async (b, req, ctx) => {
  const refused = (rule: 'InitProducerId.transactionalId' | 'InitProducerId.idempotent') => ({ throttleTimeMs: 0, errorCode: errorCode(refusal(rule)), producerId: -1, producerEpoch: -1 });
  if (req.transactionalId !== null && !permits(b, ctx, 'InitProducerId.transactionalId', req.transactionalId)) return refused('InitProducerId.transactionalId');
  // An idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic.
  if (req.transactionalId === null && !permits(b, ctx, 'InitProducerId.idempotent') && !permitsAny(b, ctx, 'InitProducerId.anyTopic')) return refused('InitProducerId.idempotent');
  if (req.transactionalId !== null) {
    return { throttleTimeMs: 0, errorCode: errorCode('INVALID_REQUEST'), producerId: -1, producerEpoch: -1 };
  }
  const producerId = await b.producerIds.allocate();
  return { throttleTimeMs: 0, errorCode: errorCode('NONE'), producerId, producerEpoch: 0 };
});
