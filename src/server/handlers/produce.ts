// Produce: each partition's record batches are validated and appended as the bytes that came off
// the socket (offsets and the leader epoch are stamped in place). Nothing is decoded.
import { errorCode, type ErrorName } from '../../../protocol/errors.js';
import { mirrorRefusal } from '../../link/read-only.js';
import type { BrokerContext } from '../context.js';
import { defineHandler } from './handler.js';

const ACKS = new Set([-1, 0, 1]);

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
}

function failed(index: number, error: ErrorName, message: string | null = null): PartitionResult {
  return { index, errorCode: errorCode(error), baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage: message };
}

async function appendPartition(b: BrokerContext, topic: string, p: any, now: number): Promise<PartitionResult> {
  const log = b.logs.getLog(topic, p.index);
  if (!log) return failed(p.index, 'UNKNOWN_TOPIC_OR_PARTITION');
  if (p.records === null || p.records.length === 0) return failed(p.index, 'INVALID_RECORD', 'Produce request has no record batches');
  const r = await log.appendAsLeader(p.records, { leaderEpoch: log.leaderEpoch, now });
  if (!r.ok) return failed(p.index, r.error, r.reason);
  return { index: p.index, errorCode: 0, baseOffset: r.baseOffset, logAppendTimeMs: r.logAppendTime, logStartOffset: r.logStartOffset, recordErrors: [], errorMessage: null };
}

export const produce = defineHandler('Produce', [3, 12], async (b, req) => {
  const now = Date.now();
  const responses = [];
  const acksOk = ACKS.has(req.acks);
  for (const t of req.topicData) {
    const partitionResponses = [];
    const exists = b.logs.topic(t.name) !== undefined;
    // A mirror topic's data comes only from its source: nothing a producer sends may land.
    const refusal = exists ? mirrorRefusal(b.links, t.name, 'produce') : null;
    for (const p of t.partitionData) {
      if (!acksOk) partitionResponses.push(failed(p.index, 'INVALID_REQUIRED_ACKS'));
      else if (!exists) partitionResponses.push(failed(p.index, 'UNKNOWN_TOPIC_OR_PARTITION'));
      else if (refusal) partitionResponses.push(failed(p.index, 'POLICY_VIOLATION', refusal));
      else partitionResponses.push(await appendPartition(b, t.name, p, now));
    }
    responses.push({ name: t.name, partitionResponses });
  }
  if (req.acks === 0) return null;
  return { responses, throttleTimeMs: 0 };
});
