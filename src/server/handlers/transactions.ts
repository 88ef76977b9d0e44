// The transaction APIs: AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and TxnOffsetCommit from
// transactional producers; DescribeTransactions and ListTransactions for `kafka-transactions`;
// WriteTxnMarkers, with which `kafka-transactions abort` ends a hanging transaction. The work is
// src/transactions/coordinator.ts's (and the group coordinator's, for offsets); here requests of
// each version are mapped onto it, authorized as Kafka authorizes them. Every refusal is logged
// with its reason.
import { errorCode, type ErrorName } from '../../../protocol/errors.js';
import { OFFSETS_TOPIC } from '../../groups/offsets-topic.js';
import type { TransactionCoordinator, TxnPartition } from '../../transactions/coordinator.js';
import { permits, refusal } from '../authorization.js';
import type { RequestContext } from '../connection.js';
import type { BrokerContext } from '../context.js';
import { defineHandler, type HandlerFactory } from './handler.js';

/** The coordinator, or the error to answer with while there is none. */
function txnCoordinator(b: BrokerContext): TransactionCoordinator | ErrorName {
  return b.transactions ?? 'COORDINATOR_NOT_AVAILABLE';
}

/** Logs a refused or failed transactional call (retries the client makes anyway at debug level). */
export function logRefusal(b: BrokerContext, ctx: RequestContext, api: string, transactionalId: string | null, error: ErrorName, reason: string): void {
  if (error === 'NONE') return;
  const entry = { api, transactionalId, client: ctx.header.clientId, error, reason };
  if (error === 'CONCURRENT_TRANSACTIONS' || error === 'COORDINATOR_LOAD_IN_PROGRESS') b.logger.debug(entry, 'transactional request refused');
  else b.logger.info(entry, 'transactional request refused');
}

/**
 * PRODUCER_FENCED is new in v2 of AddPartitionsToTxn, AddOffsetsToTxn and EndTxn (v4 of
 * InitProducerId): older clients are told INVALID_PRODUCER_EPOCH, as Kafka tells them.
 */
export function forVersion(error: ErrorName, version: number, fencedFrom: number): ErrorName {
  return error === 'PRODUCER_FENCED' && version < fencedFrom ? 'INVALID_PRODUCER_EPOCH' : error;
}

/** Why a partition cannot join a transaction, or null: it must exist and take a producer's writes. */
function partitionProblem(b: BrokerContext, p: TxnPartition): ErrorName | null {
  const partition = b.partitions.get(p.topic, p.partition);
  if (!partition) return 'UNKNOWN_TOPIC_OR_PARTITION';
  return partition.writeRefusal('produce', 'client')?.error ?? null;
}

interface TopicPartitions {
  name: string;
  partitions: number[];
}

/**
 * One transaction's AddPartitionsToTxn: authorization and partition errors first (the others get
 * OPERATION_NOT_ATTEMPTED, as in Kafka), then the coordinator's one answer for all.
 */
async function addPartitions(b: BrokerContext, ctx: RequestContext, txn: { transactionalId: string; producerId: number; producerEpoch: number; verifyOnly: boolean }, topics: TopicPartitions[]) {
  const results = (code: (topic: string, partition: number) => ErrorName) =>
    topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: errorCode(code(t.name, p)) })) }));
  const refuse = (error: ErrorName, reason: string) => {
    logRefusal(b, ctx, 'AddPartitionsToTxn', txn.transactionalId, error, reason);
    return results(() => error);
  };
  if (!permits(b, ctx, 'AddPartitionsToTxn.transactionalId', txn.transactionalId)) return refuse(refusal('AddPartitionsToTxn.transactionalId'), 'not authorized');
  const coordinator = txnCoordinator(b);
  if (typeof coordinator === 'string') return refuse(coordinator, 'the transaction coordinator is not loaded');
  const problems = new Map<string, ErrorName>();
  for (const t of topics) {
    const allowed = permits(b, ctx, 'AddPartitionsToTxn.topic', t.name);
    for (const p of t.partitions) {
      const problem = allowed ? partitionProblem(b, { topic: t.name, partition: p }) : refusal('AddPartitionsToTxn.topic');
      if (problem) problems.set(`${t.name}-${p}`, problem);
    }
  }
  if (problems.size > 0) {
    logRefusal(b, ctx, 'AddPartitionsToTxn', txn.transactionalId, [...problems.values()][0]!, `partitions refused: ${[...problems.keys()].join(', ')}`);
    return results((topic, p) => problems.get(`${topic}-${p}`) ?? 'OPERATION_NOT_ATTEMPTED');
  }
  const partitions = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  if (txn.verifyOnly) {
    // KIP-890's check from a partition leader: is each partition in the transaction already?
    return results((topic, partition) => coordinator.verify(txn.transactionalId, txn.producerId, txn.producerEpoch, { topic, partition }).error);
  }
  const r = await coordinator.addPartitions(txn.transactionalId, txn.producerId, txn.producerEpoch, partitions);
  if (r.error !== 'NONE') return refuse(forVersion(r.error, ctx.version, 2), r.reason);
  return results(() => 'NONE');
}

const addPartitionsToTxn = defineHandler('AddPartitionsToTxn', [0, 5], async (b, req, ctx) => {
  if (ctx.version <= 3) {
    const txn = { transactionalId: req.v3AndBelowTransactionalId!, producerId: req.v3AndBelowProducerId!, producerEpoch: req.v3AndBelowProducerEpoch!, verifyOnly: false };
    return { throttleTimeMs: 0, resultsByTopicV3AndBelow: await addPartitions(b, ctx, txn, req.v3AndBelowTopics ?? []) };
  }
  // v4+ come from brokers, batched by transaction.
  if (!permits(b, ctx, 'AddPartitionsToTxn.cluster')) {
    return { throttleTimeMs: 0, errorCode: errorCode(refusal('AddPartitionsToTxn.cluster')), resultsByTransaction: [] };
  }
  const resultsByTransaction = [];
  for (const t of req.transactions ?? []) {
    const txn = { transactionalId: t.transactionalId!, producerId: t.producerId!, producerEpoch: t.producerEpoch!, verifyOnly: t.verifyOnly ?? false };
    resultsByTransaction.push({ transactionalId: txn.transactionalId, topicResults: await addPartitions(b, ctx, txn, t.topics ?? []) });
  }
  return { throttleTimeMs: 0, errorCode: 0, resultsByTransaction };
});

const addOffsetsToTxn = defineHandler('AddOffsetsToTxn', [0, 4], async (b, req, ctx) => {
  const answer = (error: ErrorName, reason: string) => {
    logRefusal(b, ctx, 'AddOffsetsToTxn', req.transactionalId, error, reason);
    return { throttleTimeMs: 0, errorCode: errorCode(error) };
  };
  if (!permits(b, ctx, 'AddOffsetsToTxn.transactionalId', req.transactionalId)) return answer(refusal('AddOffsetsToTxn.transactionalId'), 'not authorized');
  if (!permits(b, ctx, 'AddOffsetsToTxn.group', req.groupId)) return answer(refusal('AddOffsetsToTxn.group'), `not authorized for group ${req.groupId}`);
  const coordinator = txnCoordinator(b);
  if (typeof coordinator === 'string' || !b.groups) return answer('COORDINATOR_NOT_AVAILABLE', 'a coordinator is not loaded');
  const partition = b.groups.partitionFor(req.groupId);
  const r = await coordinator.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [{ topic: OFFSETS_TOPIC, partition }]);
  return r.error === 'NONE' ? answer('NONE', '') : answer(forVersion(r.error, ctx.version, 2), r.reason);
});

/** The first EndTxn version of transaction version 2 (KIP-890): each end bumps the epoch. */
const EPOCH_BUMP_END_TXN_VERSION = 5;

const endTxn = defineHandler('EndTxn', [0, 5], async (b, req, ctx) => {
  const answer = (error: ErrorName, reason: string) => {
    logRefusal(b, ctx, 'EndTxn', req.transactionalId, error, reason);
    return { throttleTimeMs: 0, errorCode: errorCode(error), producerId: -1, producerEpoch: -1 };
  };
  if (!permits(b, ctx, 'EndTxn.transactionalId', req.transactionalId)) return answer(refusal('EndTxn.transactionalId'), 'not authorized');
  const coordinator = txnCoordinator(b);
  if (typeof coordinator === 'string') return answer(coordinator, 'the transaction coordinator is not loaded');
  const r = await coordinator.endTransaction(req.transactionalId, req.producerId, req.producerEpoch, req.committed, ctx.version >= EPOCH_BUMP_END_TXN_VERSION);
  if (r.error !== 'NONE') return answer(forVersion(r.error, ctx.version, 2), r.reason);
  return { throttleTimeMs: 0, errorCode: 0, producerId: r.producerId, producerEpoch: r.epoch };
});

/** TxnOffsetCommit names topics by id from v6. */
const TXN_OFFSET_COMMIT_TOPIC_ID_VERSION = 6;
/** From v5 (transaction version 2) the group's partition joins the transaction with its first commit, without AddOffsetsToTxn. */
const TXN_OFFSET_COMMIT_IMPLICIT_ADD_VERSION = 5;

const txnOffsetCommit = defineHandler('TxnOffsetCommit', [0, 6], async (b, req, ctx) => {
  const byId = ctx.version >= TXN_OFFSET_COMMIT_TOPIC_ID_VERSION;
  const refOf = (t: { name: string; topicId: string }) => (byId ? { topicId: t.topicId } : { name: t.name });
  const all = (error: ErrorName, reason: string) => {
    logRefusal(b, ctx, 'TxnOffsetCommit', req.transactionalId, error, reason);
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ ...refOf(t), partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errorCode(error) })) })) };
  };
  if (!permits(b, ctx, 'TxnOffsetCommit.transactionalId', req.transactionalId)) return all(refusal('TxnOffsetCommit.transactionalId'), 'not authorized');
  if (!permits(b, ctx, 'TxnOffsetCommit.group', req.groupId)) return all(refusal('TxnOffsetCommit.group'), `not authorized for group ${req.groupId}`);
  const coordinator = txnCoordinator(b);
  const groups = b.groups;
  if (typeof coordinator === 'string' || !groups) return all('COORDINATOR_NOT_AVAILABLE', 'a coordinator is not loaded');
  const offsetsPartition = { topic: OFFSETS_TOPIC, partition: groups.partitionFor(req.groupId) };
  // The group's offsets partition must be in the transaction: added now (v5+), or by AddOffsetsToTxn before.
  const joined = ctx.version >= TXN_OFFSET_COMMIT_IMPLICIT_ADD_VERSION
    ? await coordinator.addPartitions(req.transactionalId, req.producerId, req.producerEpoch, [offsetsPartition])
    : coordinator.verify(req.transactionalId, req.producerId, req.producerEpoch, offsetsPartition);
  if (joined.error !== 'NONE') return all(joined.error, joined.reason);
  const answers = req.topics.map((t) => ({ ...refOf(t), partitions: [] as { partitionIndex: number; errorCode: number }[] }));
  const accepted: { at: number; topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }[] = [];
  req.topics.forEach((t, at) => {
    const name = byId ? b.logs.topicById(t.topicId)?.name : t.name;
    const allowed = name !== undefined && permits(b, ctx, 'TxnOffsetCommit.topic', name);
    for (const p of t.partitions) {
      const error: ErrorName | null = name === undefined ? 'UNKNOWN_TOPIC_ID' : !allowed ? refusal('TxnOffsetCommit.topic') : b.logs.getLog(name, p.partitionIndex) ? null : 'UNKNOWN_TOPIC_OR_PARTITION';
      if (error) answers[at]!.partitions.push({ partitionIndex: p.partitionIndex, errorCode: errorCode(error) });
      else accepted.push({ at, topic: name!, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata });
    }
  });
  if (accepted.length > 0) {
    const errors = await groups.commitOffsets(
      {
        groupId: req.groupId, generationId: req.generationIdOrMemberEpoch, memberId: req.memberId, groupInstanceId: req.groupInstanceId,
        retentionTimeMs: -1, unknownGroupError: 'ILLEGAL_GENERATION', partitions: accepted,
      },
      { producerId: req.producerId, producerEpoch: req.producerEpoch },
    );
    accepted.forEach((p, i) => answers[p.at]!.partitions.push({ partitionIndex: p.partition, errorCode: errorCode(errors[i]!) }));
    const failed = errors.find((e) => e !== 'NONE');
    if (failed) logRefusal(b, ctx, 'TxnOffsetCommit', req.transactionalId, failed, `group ${req.groupId} refused the offsets`);
  }
  return { throttleTimeMs: 0, topics: answers };
});

const describeTransactions = defineHandler('DescribeTransactions', [0, 0], (b, req, ctx) => {
  const coordinator = txnCoordinator(b);
  const transactionStates = req.transactionalIds.map((id) => {
    const none = (error: ErrorName) => ({ errorCode: errorCode(error), transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] });
    if (!permits(b, ctx, 'DescribeTransactions.transactionalId', id)) return none(refusal('DescribeTransactions.transactionalId'));
    if (typeof coordinator === 'string') return none(coordinator);
    const d = coordinator.describe([id])[0]!;
    return { ...d, errorCode: errorCode(d.errorCode) };
  });
  return { throttleTimeMs: 0, transactionStates };
});

const listTransactions = defineHandler('ListTransactions', [0, 2], (b, req, ctx) => {
  const coordinator = txnCoordinator(b);
  if (typeof coordinator === 'string') return { throttleTimeMs: 0, errorCode: errorCode(coordinator), unknownStateFilters: [], transactionStates: [] };
  let pattern: RegExp | null = null;
  if (req.transactionalIdPattern) {
    try {
      pattern = new RegExp(`^(?:${req.transactionalIdPattern})$`);
    } catch (e) {
      return { throttleTimeMs: 0, errorCode: errorCode('INVALID_REGULAR_EXPRESSION'), unknownStateFilters: [], transactionStates: [] };
    }
  }
  const r = coordinator.list({ states: req.stateFilters, producerIds: req.producerIdFilters, durationMs: req.durationFilter, pattern });
  const transactionStates = r.transactions.filter((t) => permits(b, ctx, 'ListTransactions.transactionalId', t.transactionalId));
  return { throttleTimeMs: 0, errorCode: 0, unknownStateFilters: r.unknownStates, transactionStates };
});

/**
 * WriteTxnMarkers, which a coordinator sends to a partition's leader: here, what
 * `kafka-transactions abort` sends to end a hanging transaction in a partition.
 */
const writeTxnMarkers = defineHandler('WriteTxnMarkers', [1, 2], async (b, req, ctx) => {
  const allowed = permits(b, ctx, 'WriteTxnMarkers.cluster');
  const markers = await Promise.all(req.markers.map(async (m) => {
    const topics = await Promise.all(m.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(t.partitionIndexes.map(async (partitionIndex) => {
        const done = (error: ErrorName) => ({ partitionIndex, errorCode: errorCode(error) });
        if (!allowed) return done(refusal('WriteTxnMarkers.cluster'));
        const partition = b.partitions.get(t.name, partitionIndex);
        if (!partition) return done('UNKNOWN_TOPIC_OR_PARTITION');
        const refused = partition.writeRefusal('produce', 'coordinator');
        if (refused) return done(refused.error);
        const r = await partition.log.appendMarker({ producerId: m.producerId, epoch: m.producerEpoch, commit: m.transactionResult, coordinatorEpoch: m.coordinatorEpoch, now: Date.now() });
        if (!r.ok) {
          logRefusal(b, ctx, 'WriteTxnMarkers', null, r.error, `${t.name}-${partitionIndex}: ${r.reason}`);
          return done(r.error);
        }
        if (t.name === OFFSETS_TOPIC) b.groups?.completeTransaction(m.producerId, m.transactionResult, partitionIndex);
        return done('NONE');
      })),
    })));
    return { producerId: m.producerId, topics };
  }));
  return { markers };
});

export const transactionHandlers: HandlerFactory[] = [addPartitionsToTxn, addOffsetsToTxn, endTxn, txnOffsetCommit, describeTransactions, listTransactions, writeTxnMarkers];
