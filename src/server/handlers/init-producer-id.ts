import { errorCode } from '../../../protocol/errors.js';
import { defineHandler } from './handler.js';

// Without a transactional id Kafka hands out a fresh producer id with epoch 0 every time, even
// when the request names a previous id and epoch; so does outpost. Transactions need a
// transaction coordinator, which outpost does not have: a transactional id gets INVALID_REQUEST,
// which fails the producer at once instead of leaving it retrying a coordinator that never comes.
export const initProducerId = defineHandler('InitProducerId', [0, 5], async (b, req) => {
  if (req.transactionalId !== null) {
    return { throttleTimeMs: 0, errorCode: errorCode('INVALID_REQUEST'), producerId: -1, producerEpoch: -1 };
  }
  const producerId = await b.producerIds.allocate();
  return { throttleTimeMs: 0, errorCode: errorCode('NONE'), producerId, producerEpoch: 0 };
});
