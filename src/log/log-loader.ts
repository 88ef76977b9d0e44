// Loading and recovery of one partition's log, as Kafka's LogLoader: the files of its directory
// become the segments, the leader-epoch cache, the log's start and end, and the producer state.
//
// Segments wholly below the log start offset are deleted (a deletion cut short); closed segments
// whose index files are missing or malformed get them rebuilt; the active segment is, unless the
// log was closed cleanly, read batch by batch and cut at the first partial, corrupt (CRC, length,
// magic) or out-of-order batch, keeping everything before it, with its indexes rebuilt on the
// way. Producer state, open transactions included, is loaded from the newest snapshot and brought
// up to date from the batch headers after it, whose ABORT markers give the transaction indexes
// what a crash kept from their files; a damaged transaction index is deleted and rebuilt the same
// way.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchHeader } from '../../protocol/records/batch.js';
import { ControlRecordType, controlRecordType } from '../../protocol/records/control.js';
import { unlinkIfPresent } from './durable-file.js';
import type { FileHandleCache } from './file-handles.js';
import { CLEANED_SUFFIX, INDEX_SUFFIX, LEADER_EPOCH_CHECKPOINT, LOG_SUFFIX, TEMP_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, parseOffsetFileName } from './file-names.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { LocalLog, batchBytes, floorIndex } from './local-log.js';
import { readSnapshot, type ProducerSnapshots } from './producer-snapshot.js';
import { ProducerStateTable, lastSequence, withBatch, withControlBatch, type ProducerEntry } from './producer-state.js';
import { runLimited } from './run-limited.js';
import { LogSegment, type BatchAt, type IndexCache } from './segment.js';
import type { AbortedTxn } from './transaction-index.js';

/** Bytes read at once when walking a segment to replay producer state. */
const REPLAY_CHUNK = 1 << 20;
const SEGMENT_LOAD_CONCURRENCY = 16;

export interface LoadOptions {
  files: FileHandleCache;
  indexCache: IndexCache;
  indexIntervalBytes: number;
  /** the log start offset as last checkpointed (none: where the segments begin) */
  logStartOffset: number | undefined;
  /** the log was closed cleanly: its active segment's summary can be trusted */
  cleanShutdown: boolean;
  warn: (message: string) => void;
  now: number;
}

export interface LoadedLog {
  local: LocalLog;
  epochs: LeaderEpochCache;
  logStartOffset: number;
  /** where the segments here begin: above logStartOffset when older records are kept elsewhere */
  localLogStartOffset: number;
  logEndOffset: number;
  /**
   * The checkpointed log start is past the recovered end (data that did not survive): the log
   * must be emptied and restarted at logStartOffset before anything else.
   */
  startPastEnd: boolean;
  /** replay producer state from a snapshot at or below this (a damaged transaction index) */
  replayTxnsFrom: number;
}

export async function loadLog(dir: string, opts: LoadOptions): Promise<LoadedLog> {
  const { warn, indexIntervalBytes: interval } = opts;
  const names = await readdir(dir);
  const bases = new Set<number>();
  const txnIndexed = new Set<number>();
  for (const name of names) {
    // Left by an interrupted write; it may be gone already if that write's process was still ending.
    if (name.endsWith(TEMP_SUFFIX) || name.endsWith(CLEANED_SUFFIX)) await unlinkIfPresent(join(dir, name));
    const base = parseOffsetFileName(name, LOG_SUFFIX);
    if (base !== null) bases.add(base);
  }
  for (const name of names) {
    const base = parseOffsetFileName(name, INDEX_SUFFIX) ?? parseOffsetFileName(name, TIME_INDEX_SUFFIX) ?? parseOffsetFileName(name, TXN_INDEX_SUFFIX);
    if (base === null) continue;
    // Index files whose segment is gone (a deletion cut short).
    if (!bases.has(base)) await unlinkIfPresent(join(dir, name));
    else if (name.endsWith(TXN_INDEX_SUFFIX)) txnIndexed.add(base);
  }

  const sorted = [...bases].sort((a, b) => a - b);
  const segments = await Promise.all(sorted.map((b) => LogSegment.open(dir, b, opts.files, opts.indexCache, opts.now)));
  if (segments.length === 0) segments.push(await LogSegment.create(dir, opts.logStartOffset ?? 0, opts.files, opts.indexCache, opts.now));
  // The log start checkpoint may lie below the first segment: the records between are kept
  // elsewhere (a mirror's source, read through), as Kafka's tiered storage keeps them remotely.
  const localLogStartOffset = Math.max(opts.logStartOffset ?? 0, segments[0]!.baseOffset);
  const logStartOffset = opts.logStartOffset ?? localLogStartOffset;
  // Segments wholly below the log start: their deletion was cut short.
  while (segments.length > 1 && segments[1]!.baseOffset <= localLogStartOffset) await segments.shift()!.delete();

  // A damaged transaction index is rebuilt by replaying producer state from a snapshot taken at
  // or before its segment: the transactions its markers end may have started in earlier ones.
  let replayTxnsFrom = Infinity;
  await runLimited(
    segments.filter((seg) => txnIndexed.has(seg.baseOffset)).map((seg) => async () => {
      const problem = await seg.checkTxnIndex();
      if (problem) {
        warn(`${dir}: rebuilding the transaction index of segment ${seg.baseOffset}: ${problem}`);
        replayTxnsFrom = Math.min(replayTxnsFrom, seg.baseOffset);
      }
    }),
    SEGMENT_LOAD_CONCURRENCY,
  );

  await runLimited(
    segments.slice(0, -1).map((seg) => async () => {
      const problem = await seg.loadSummary();
      if (problem) {
        warn(`${dir}: rebuilding the indexes of segment ${seg.baseOffset}: ${problem}`);
        await seg.rebuildIndexes(interval);
      }
    }),
    SEGMENT_LOAD_CONCURRENCY,
  );
  const active = segments.at(-1)!;

  const epochPath = join(dir, LEADER_EPOCH_CHECKPOINT);
  let epochsChanged = false;
  let epochs: LeaderEpochCache;
  try {
    epochs = await LeaderEpochCache.load(epochPath);
  } catch (e) {
    warn(`${dir}: ${LEADER_EPOCH_CHECKPOINT} is unreadable (${(e as Error).message}); starting it afresh`);
    epochs = LeaderEpochCache.empty(epochPath);
    epochsChanged = true;
  }

  let end: number | null = null;
  if (opts.cleanShutdown && (await active.loadSummary()) === null) {
    await active.makeActive(interval);
    end = (await active.loadActiveTail())?.nextOffset ?? null;
  }
  if (end === null) {
    const r = await active.scan({
      validate: true,
      indexIntervalBytes: interval,
      onBatch: (h) => {
        epochsChanged = epochs.assign(h.partitionLeaderEpoch, h.baseOffset) || epochsChanged;
      },
    });
    if (r.problem) warn(`${dir}: recovery cut segment ${active.baseOffset} at position ${r.validEnd}: ${r.problem}`);
    await active.sync();
    end = r.nextOffset;
  }
  // Entries of markers lost with a torn tail; the producer-state replay adds those the active
  // segment's file never got.
  await active.truncateTxnsTo(end);

  const local = new LocalLog(dir, segments, opts.files, opts.indexCache);
  if (logStartOffset > end) {
    warn(`${dir}: log start offset ${logStartOffset} is past the recovered end ${end}; emptying the log`);
    return { local, epochs, logStartOffset, localLogStartOffset, logEndOffset: end, startPastEnd: true, replayTxnsFrom };
  }
  epochsChanged = epochs.truncateFromEnd(end) || epochsChanged;
  epochsChanged = epochs.truncateFromStart(logStartOffset) || epochsChanged;
  if (epochsChanged) await epochs.persist();
  return { local, epochs, logStartOffset, localLogStartOffset, logEndOffset: end, startPastEnd: false, replayTxnsFrom };
}

/**
 * Producer state as of the log end: the newest readable snapshot at or below it (and at or below
 * `replayFrom`), then the batches after it. The ABORT markers replayed give their segments'
 * transaction indexes the entries they lack (those not written before a crash, or all of them
 * when the index was rebuilt or the snapshots predate transaction tracking).
 */
export async function loadProducerState(
  local: LocalLog,
  producers: ProducerStateTable,
  snapshots: ProducerSnapshots,
  opts: { logEndOffset: number; replayFrom: number; indexIntervalBytes: number; warn: (message: string) => void },
): Promise<void> {
  const end = opts.logEndOffset;
  const all = await snapshots.offsets();
  for (const s of all) if (s > end) await snapshots.remove(s);
  producers.clear();
  const segments = local.segments;
  let from = segments[0]!.baseOffset;
  for (const s of all.filter((o) => o <= Math.min(end, opts.replayFrom)).reverse()) {
    try {
      producers.load(await readSnapshot(snapshots.path(s)));
      from = s;
      break;
    } catch (e) {
      opts.warn(`${local.dir}: discarding producer snapshot ${s}: ${(e as Error).message}`);
      await snapshots.remove(s);
    }
  }
  if (from >= end) return;
  const interval = opts.indexIntervalBytes;
  for (let i = Math.max(0, floorIndex(segments, from)); i < segments.length; i++) {
    const seg = segments[i]!;
    const start = seg.baseOffset <= from ? (await seg.indexes(interval)).offsets.lookup(from).position : 0;
    const aborted: AbortedTxn[] = [];
    for await (const b of seg.walk(start, seg.size, { whole: false, chunk: REPLAY_CHUNK })) {
      const h = new BatchHeader(b.buf, b.at);
      if (h.baseOffset < from || h.producerId < 0) continue;
      const controlType = h.isControl ? await replayedControlType(local.dir, seg, b, opts.warn) : null;
      const txn = controlType === ControlRecordType.ABORT ? producers.abortedBy(h.producerId, h.baseOffset) : null;
      if (txn) aborted.push(txn);
      producers.set(replayed(producers.get(h.producerId), h, controlType));
    }
    if (aborted.length > 0) await seg.mergeAbortedTxns(aborted, interval);
  }
}

/**
 * The type of a control batch met by the replay. The log took the batch once, so one whose
 * record does not read now is damage that recovery did not see (it checks CRCs of the active
 * segment only): it counts as no marker, leaving the producer's transaction open.
 */
async function replayedControlType(dir: string, seg: LogSegment, b: BatchAt, warn: (message: string) => void): Promise<number | null> {
  const bytes = b.at + b.size <= b.buf.length ? batchBytes(b) : await seg.read(b.pos, b.size);
  try {
    return controlRecordType(bytes);
  } catch (e) {
    warn(`${dir}: control batch at position ${b.pos} of segment ${seg.baseOffset} does not read: ${(e as Error).message}`);
    return null;
  }
}

/**
 * A producer's entry after a batch already accepted elsewhere (the source cluster, or this log
 * before a restart); `controlType` is a control batch's type, which says whether it ends the
 * producer's transaction.
 */
export function replayed(current: ProducerEntry | undefined, h: BatchHeader, controlType: number | null): ProducerEntry {
  if (h.isControl) {
    const endsTxn = controlType === ControlRecordType.COMMIT || controlType === ControlRecordType.ABORT;
    return withControlBatch(current, h.producerId, h.producerEpoch, h.maxTimestamp, endsTxn);
  }
  return withBatch(current, h.producerId, h.producerEpoch, {
    firstSeq: h.baseSequence, lastSeq: lastSequence(h.baseSequence, h.lastOffsetDelta), firstOffset: h.baseOffset, lastOffset: h.lastOffset, timestamp: h.maxTimestamp,
  }, h.isTransactional);
}
