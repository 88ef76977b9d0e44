// Produce: each partition's record batches are validated and appended as the bytes that came off
// the socket (offsets and the leader epoch are stamped in place). Nothing is decoded.
import { errorCode, type ErrorName } from '../../../protocol/errors.js';
import { ZERO_UUID } from '../../../protocol/primitives.js';
import { ATTRIBUTES_OFFSET, BATCH_HEADER_SIZE, BatchHeader, COMPRESSION_CODEC_MASK, CURRENT_MAGIC, MAGIC_OFFSET, TRANSACTIONAL_FLAG_MASK } from '../../../protocol/records/batch.js';
import { Codec } from '../../../protocol/records/compression.js';
import { permits, refusal } from '../authorization.js';
import { CloseConnection, type RequestContext } from '../connection.js';
import type { BrokerContext } from '../context.js';
import type { Partition } from '../partitions.js';
import { defineHandler, type ResponseOf } from './handler.js';
import { logRefusal } from './transactions.js';

const ACKS = new Set([-1, 0, 1]);
/** The first Produce version that may carry zstd batches (KIP-110). */
const ZSTD_MIN_VERSION = 7;

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
}

// Kafka sends an error message only with per-record errors (its RecordValidationException), which
// outpost, checking batches and not records, never has: its failures go out without one, but for
// the refusals of the partition layer (a mirror topic, the internal topic).
function failed(index: number, error: ErrorName, message: string | null = null): PartitionResult {
  return { index, errorCode: errorCode(error), baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage: message };
}

/** Kafka's checks of a partition's records before the log sees them (ProduceRequest.validateRecords). */
function recordsProblem(records: Buffer | null, version: number): ErrorName | null {
  if (records === null || records.length === 0) return 'INVALID_RECORD';
  const magic = records.length > MAGIC_OFFSET ? records.readInt8(MAGIC_OFFSET) : -1;
  if (magic !== CURRENT_MAGIC || records.length < ATTRIBUTES_OFFSET + 2) return null; // the log refuses it, as Kafka's does
  const codec = records.readInt16BE(ATTRIBUTES_OFFSET) & COMPRESSION_CODEC_MASK;
  return version < ZSTD_MIN_VERSION && codec === Codec.ZSTD ? 'UNSUPPORTED_COMPRESSION_TYPE' : null;
}

function isTransactional(records: Buffer): boolean {
  return records.length >= BATCH_HEADER_SIZE && (records.readInt16BE(ATTRIBUTES_OFFSET) & TRANSACTIONAL_FLAG_MASK) !== 0;
}

/** From v12 (transaction version 2) a transactional batch adds its partition to the transaction itself. */
const IMPLICIT_ADD_VERSION = 12;

/**
 * Why a transactional batch may not be appended, or null (as for any other batch): its partition
 * must be in its producer's open transaction, which from v12 the batch itself puts it in (KIP-890;
 * before, AddPartitionsToTxn did, and this is Kafka's verification of it).
 */
async function transactionProblem(b: BrokerContext, ctx: RequestContext, transactionalId: string | null, partition: Partition, records: Buffer): Promise<ErrorName | null> {
  const h = new BatchHeader(records, 0);
  if (!b.transactions) return 'COORDINATOR_NOT_AVAILABLE';
  const p = { topic: partition.topic, partition: partition.index };
  const v = ctx.version >= IMPLICIT_ADD_VERSION && transactionalId !== null
    ? await b.transactions.addPartitions(transactionalId, h.producerId, h.producerEpoch, [p])
    : b.transactions.verify(transactionalId, h.producerId, h.producerEpoch, p);
  if (v.error === 'NONE') return null;
  logRefusal(b, ctx, 'Produce', transactionalId, v.error, v.reason);
  // A producer told its epoch is fenced here learns it as Produce has always said it.
  return v.error === 'PRODUCER_FENCED' ? 'INVALID_PRODUCER_EPOCH' : v.error;
}

async function appendPartition(b: BrokerContext, partition: Partition, records: Buffer, now: number, acks: number): Promise<PartitionResult> {
  const { topic, index } = partition;
  // This node is the whole in-sync replica set: acks=all cannot be met if it must be more.
  const minIsr = b.logs.topicConfig(topic)?.minInsyncReplicas ?? 1;
  if (acks === -1 && minIsr > 1) {
    b.logger.debug({ topic, partition: index, minIsr }, 'produce refused: the in-sync replicas are fewer than min.insync.replicas');
    return failed(index, 'NOT_ENOUGH_REPLICAS');
  }
  const r = await partition.append(records, now);
  if (!r.ok) {
    b.logger.debug({ topic, partition: index, error: r.error, reason: r.reason }, 'produce refused');
    // Errors of single records go back with them, and the reason, as Kafka's RecordValidationException.
    if (r.recordErrors) return { ...failed(index, r.error, r.reason), recordErrors: r.recordErrors };
    return failed(index, r.error);
  }
  return { index: index, errorCode: 0, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTime, logStartOffset: r.logStartOffset, recordErrors: [], errorMessage: null };
}

/** Produce names topics by id from v13 (KIP-516). */
const FIRST_TOPIC_ID_VERSION = 13;

export const produce = defineHandler('Produce', [3, 13], async (b, req, ctx) => {
  const now = Date.now();
  const responses: ResponseOf<'Produce'>['responses'] = [];
  const acksOk = ACKS.has(req.acks);
  const byId = ctx.version >= FIRST_TOPIC_ID_VERSION;
  // A transactional producer's id is authorized first: without it, nothing of the request is.
  const txnRefused = req.transactionalId !== null && !permits(b, ctx, 'Produce.transactionalId', req.transactionalId);
  for (const t of req.topicData) {
    const partitionResponses: PartitionResult[] = [];
    const name = byId ? b.logs.topicById(t.topicId)?.name : t.name;
    if (name === undefined) {
      // Kafka answers an unknown id with the zero id, every partition UNKNOWN_TOPIC_ID.
      for (const p of t.partitionData) partitionResponses.push(failed(p.index, 'UNKNOWN_TOPIC_ID'));
      responses.push({ topicId: ZERO_UUID, partitionResponses });
      continue;
    }
    // Kafka authorizes before it looks the topic up: an unknown topic one may not write to is unauthorized.
    const unauthorized: ErrorName | null = txnRefused ? refusal('Produce.transactionalId') : permits(b, ctx, 'Produce.topic', name) ? null : refusal('Produce.topic');
    if (unauthorized) {
      for (const p of t.partitionData) partitionResponses.push(failed(p.index, unauthorized));
      responses.push(byId ? { topicId: t.topicId, partitionResponses } : { name, partitionResponses });
      continue;
    }
    for (const p of t.partitionData) {
      const partition = b.partitions.get(name, p.index);
      // Kafka's order: an unknown partition, then bad records, then bad acks, then who may write.
      const problem = !partition ? 'UNKNOWN_TOPIC_OR_PARTITION' : recordsProblem(p.records, ctx.version) ?? (acksOk ? null : 'INVALID_REQUIRED_ACKS');
      const refusal = partition?.writeRefusal('produce', 'client');
      if (problem || !partition) partitionResponses.push(failed(p.index, problem!));
      else if (refusal) partitionResponses.push(failed(p.index, refusal.error, refusal.message));
      else {
        // recordsProblem found records there
        const txnProblem = isTransactional(p.records!) ? await transactionProblem(b, ctx, req.transactionalId, partition, p.records!) : null;
        partitionResponses.push(txnProblem ? failed(p.index, txnProblem) : await appendPartition(b, partition, p.records!, now, req.acks));
      }
    }
    responses.push(byId ? { topicId: t.topicId, partitionResponses } : { name, partitionResponses });
  }
  if (req.acks !== 0) return { responses, throttleTimeMs: 0 };
  if (responses.some((t) => t.partitionResponses.some((p) => p.errorCode !== 0))) throw new CloseConnection('closing the connection after a failed acks=0 produce');
  return null;
});
