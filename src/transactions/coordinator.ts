// The transaction coordinator, Kafka's TransactionCoordinator and TransactionStateManager for one
// node: each transactional id's producer id, epoch and transaction, kept in __transaction_state
// (txn-records.ts) and rebuilt from it at start. A transaction moves Empty -> Ongoing (partitions
// added) -> PrepareCommit/PrepareAbort (the decision, written first) -> the COMMIT or ABORT
// markers in every partition of the transaction -> CompleteCommit/CompleteAbort. The markers are
// written before EndTxn is answered, so a producer's next transaction never waits on the last
// one's; markers that fail stay owed and are retried by the periodic check until written (the
// decision is already durable). The periodic check also aborts transactions open longer than
// their timeout, fencing the producer's epoch as Kafka does, and forgets ids idle longer than
// transactional.id.expiration.ms. Requests for one id run one at a time, in arrival order.
//
// Decided here, as Kafka's clients without transaction version 2 expect: EndTxn does not bump the
// epoch (EndTxn v5 and Produce v12's implicit AddPartitionsToTxn are not offered), so
// ApiVersions finalizes transaction.version at 0.
import type { Logger } from 'pino';
import type { ErrorName } from '../../protocol/errors.js';
import type { DescribeTransactionsResponse } from '../../protocol/messages/messages.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { BrokerConfigs } from '../config/broker-configs.js';
import { InternalTopic, appendErrorForClient } from '../log/internal-topic.js';
import type { LogManager } from '../log/log-manager.js';
import { transactionStateTopicConfigs, txnCoordinatorConfig } from './txn-config.js';
import { decodeTxnRecord, encodeTxnRecord, TXN_STATES, type TxnRecord, type TxnState } from './txn-records.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** Kafka's epoch limit: at Short.MAX_VALUE - 1 the id is exhausted and a new producer id is given. */
const MAX_EPOCH = 32767 - 1;
const NO_EPOCH = -1;
const NO_PRODUCER_ID = -1;

export interface TxnPartition {
  topic: string;
  partition: number;
}

/** Writes the markers of a transaction; resolves with the partitions it could not write yet. */
export interface MarkerWriter {
  write(m: { producerId: number; epoch: number; commit: boolean; coordinatorEpoch: number; partitions: TxnPartition[] }): Promise<TxnPartition[]>;
}

export interface TxnCoordinatorConfig {
  /** transaction.max.timeout.ms */
  maxTimeoutMs: number;
  /** transactional.id.expiration.ms */
  idExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortCheckIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  expireCheckIntervalMs: number;
}

interface TxnMetadata extends TxnRecord {
  transactionalId: string;
  /** the epoch before the last bump: a producer retrying InitProducerId with it gets the current one (KIP-360) */
  lastProducerEpoch: number;
  /** the producer id before the last rotation */
  previousProducerId: number;
  /** markers still owed for a decided transaction (PrepareCommit/PrepareAbort) */
  owedMarkers: TxnPartition[] | null;
}

/** What the coordinator needs of __transaction_state. */
export type StateTopic = Pick<InternalTopic, 'partitionFor' | 'append' | 'load'>;

export type Failure = { error: Exclude<ErrorName, 'NONE'>; reason: string };
export type Result<T> = ({ error: 'NONE' } & T) | Failure;

/** A DescribeTransactions entry, its error by name. */
export type DescribedTxn = Omit<DescribeTransactionsResponse.TransactionState, 'errorCode'> & { errorCode: ErrorName };

const key = (p: TxnPartition) => `${p.topic}\u0000${p.partition}`;

function partitionList(partitions: Map<string, Set<number>>): TxnPartition[] {
  return [...partitions].flatMap(([topic, ps]) => [...ps].map((partition) => ({ topic, partition })));
}

const fail = (error: Exclude<ErrorName, 'NONE'>, reason: string): Failure => ({ error, reason });

export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  /** the tail of each id's queue of requests */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly timers: unknown[] = [];
  private closed = false;

  private topic: Promise<StateTopic> | null = null;

  constructor(
    private readonly openTopic: () => Promise<StateTopic>,
    private readonly markers: MarkerWriter,
    private readonly allocateProducerId: () => Promise<number>,
    private readonly config: TxnCoordinatorConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * Opens __transaction_state on the broker's log (creating it with
   * transaction.state.log.num.partitions partitions), rebuilds every id from it, finishes the
   * transactions a stop left decided but not completed, and starts the periodic checks.
   */
  static async open(deps: { logs: LogManager; brokerConfigs: BrokerConfigs; markers: MarkerWriter; allocateProducerId: () => Promise<number>; logger: Logger }): Promise<TransactionCoordinator> {
    const t = transactionStateTopicConfigs(deps.brokerConfigs);
    // Made at the first transactional id, as Kafka makes it: a broker without transactions lists no such topic.
    const openTopic = () => InternalTopic.open(deps.logs, TRANSACTION_STATE_TOPIC, t.partitions, t.configs, deps.logger);
    const coordinator = new TransactionCoordinator(openTopic, deps.markers, deps.allocateProducerId, txnCoordinatorConfig(deps.brokerConfigs), systemClock, deps.logger);
    if (deps.logs.topic(TRANSACTION_STATE_TOPIC)) {
      const started = Date.now();
      const topic = await coordinator.stateTopic();
      const records = await topic.load({ record: (k, v) => coordinator.replay(k, v) });
      deps.logger.info({ records, transactionalIds: coordinator.txns.size, ms: Date.now() - started }, 'loaded transactional ids');
    }
    coordinator.start();
    return coordinator;
  }

  // ---- loading ---------------------------------------------------------------------------------

  /** Applies one record of __transaction_state, in log order. */
  replay(k: Buffer, v: Buffer | null): void {
    const r = decodeTxnRecord(k, v);
    if (!r) return;
    if (!r.value) {
      this.txns.delete(r.transactionalId);
      return;
    }
    const before = this.txns.get(r.transactionalId);
    this.txns.set(r.transactionalId, {
      ...r.value, transactionalId: r.transactionalId,
      lastProducerEpoch: before && before.producerId === r.value.producerId && before.producerEpoch !== r.value.producerEpoch ? before.producerEpoch : before?.lastProducerEpoch ?? NO_EPOCH,
      previousProducerId: before && before.producerId !== r.value.producerId ? before.producerId : before?.previousProducerId ?? NO_PRODUCER_ID,
      owedMarkers: null,
    });
  }

  /**
   * After the load: transactions decided but not completed before the stop get their markers now
   * (in the background), and the periodic checks start.
   */
  start(): void {
    for (const t of this.txns.values()) {
      if (t.state === 'PrepareCommit' || t.state === 'PrepareAbort') {
        t.owedMarkers = partitionList(t.partitions);
        void this.serialized(t.transactionalId, () => this.completeOwed(t));
      }
    }
    this.every(this.config.abortCheckIntervalMs, () => this.abortTimedOut());
    this.every(this.config.expireCheckIntervalMs, () => this.expireIds());
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.length = 0;
  }

  private every(ms: number, fn: () => Promise<unknown>): void {
    const slot = this.timers.length;
    const tick = () => {
      if (this.closed) return;
      void fn().catch((e: unknown) => this.logger.error({ err: e }, 'a transaction coordinator check failed')).finally(() => {
        if (!this.closed) this.timers[slot] = this.clock.setTimeout(tick, ms);
      });
    };
    this.timers.push(this.clock.setTimeout(tick, ms));
  }

  // ---- the APIs ------------------------------------------------------------------------------

  /**
   * InitProducerId with a transactional id: a new id gets a producer id at epoch 0; a known one
   * has its epoch bumped, which fences the producers of older epochs, and its open transaction
   * aborted (CONCURRENT_TRANSACTIONS until that is done: the client retries). `expected` is the
   * producer id and epoch a producer recovering from an error names (KIP-360).
   */
  initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; epoch: number } | null): Promise<Result<{ producerId: number; epoch: number }>> {
    if (transactionalId === '') return Promise.resolve(fail('INVALID_REQUEST', 'the transactional id is empty'));
    if (timeoutMs <= 0 || timeoutMs > this.config.maxTimeoutMs) {
      return Promise.resolve(fail('INVALID_TRANSACTION_TIMEOUT', `transaction timeout ${timeoutMs} ms is not in (0, transaction.max.timeout.ms ${this.config.maxTimeoutMs}]`));
    }
    return this.serialized(transactionalId, async (): Promise<Result<{ producerId: number; epoch: number }>> => {
      const now = this.clock.now();
      let t = this.txns.get(transactionalId);
      if (!t) {
        const producerId = await this.allocateProducerId();
        const created: TxnMetadata = {
          transactionalId, producerId, producerEpoch: 0, lastProducerEpoch: NO_EPOCH, previousProducerId: NO_PRODUCER_ID, timeoutMs, state: 'Empty',
          partitions: new Map(), updateTimestamp: now, startTimestamp: -1, owedMarkers: null,
        };
        const error = await this.persist(created);
        if (error) return error;
        this.txns.set(transactionalId, created);
        return { error: 'NONE', producerId, epoch: 0 };
      }
      if (expected && expected.producerId !== NO_PRODUCER_ID && expected.producerId !== t.producerId && !(expected.producerId === t.previousProducerId && expected.epoch >= MAX_EPOCH)) {
        return fail('PRODUCER_FENCED', `producer ${expected.producerId} is not the current producer ${t.producerId} of ${transactionalId}`);
      }
      switch (t.state) {
        case 'PrepareCommit':
        case 'PrepareAbort':
        case 'PrepareEpochFence':
          return fail('CONCURRENT_TRANSACTIONS', `the last transaction of ${transactionalId} is completing`);
        case 'Ongoing': {
          // Abort it with the epoch fenced; once its markers are written the new epoch follows.
          const aborted = await this.end(t, false, true);
          if (aborted.error !== 'NONE') return aborted;
          t = this.txns.get(transactionalId)!;
          if (t.state !== 'CompleteAbort') return fail('CONCURRENT_TRANSACTIONS', `the open transaction of ${transactionalId} is being aborted`);
          break;
        }
        case 'Dead':
          return fail('CONCURRENT_TRANSACTIONS', `${transactionalId} is being removed`);
        default:
          break;
      }
      if (expected && expected.epoch !== NO_EPOCH && expected.producerId === t.producerId && expected.epoch !== t.producerEpoch) {
        // A retry of an InitProducerId whose answer was lost: the epoch it already caused.
        if (expected.epoch === t.lastProducerEpoch) return { error: 'NONE', producerId: t.producerId, epoch: t.producerEpoch };
        return fail('PRODUCER_FENCED', `epoch ${expected.epoch} of producer ${t.producerId} is not its current ${t.producerEpoch}`);
      }
      const rotate = t.producerEpoch >= MAX_EPOCH;
      const next: TxnMetadata = {
        ...t, producerId: rotate ? await this.allocateProducerId() : t.producerId, producerEpoch: rotate ? 0 : t.producerEpoch + 1,
        lastProducerEpoch: rotate ? NO_EPOCH : t.producerEpoch, previousProducerId: rotate ? t.producerId : t.previousProducerId,
        timeoutMs, state: 'Empty', partitions: new Map(), updateTimestamp: now, startTimestamp: -1,
      };
      const error = await this.persist(next);
      if (error) return error;
      this.txns.set(transactionalId, next);
      return { error: 'NONE', producerId: next.producerId, epoch: next.producerEpoch };
    });
  }

  /**
   * AddPartitionsToTxn (and AddOffsetsToTxn, whose partition is the group's in
   * __consumer_offsets): the partitions join the producer's transaction, which begins if none is
   * open. One error for all of them, or NONE.
   */
  addPartitions(transactionalId: string, producerId: number, epoch: number, partitions: TxnPartition[]): Promise<Result<object>> {
    if (transactionalId === '') return Promise.resolve(fail('INVALID_REQUEST', 'the transactional id is empty'));
    return this.serialized(transactionalId, async (): Promise<Result<object>> => {
      const t = this.txns.get(transactionalId);
      const invalid = this.checkProducer(t, transactionalId, producerId, epoch);
      if (invalid) return invalid;
      if (t!.state === 'PrepareCommit' || t!.state === 'PrepareAbort' || t!.state === 'PrepareEpochFence' || t!.state === 'Dead') {
        return fail('CONCURRENT_TRANSACTIONS', `the last transaction of ${transactionalId} is completing`);
      }
      const txn = t!;
      const fresh = partitions.filter((p) => !txn.partitions.get(p.topic)?.has(p.partition));
      if (txn.state === 'Ongoing' && fresh.length === 0) return { error: 'NONE' };
      const merged = new Map([...txn.partitions].map(([topic, ps]) => [topic, new Set(ps)]));
      for (const p of fresh) {
        const set = merged.get(p.topic);
        if (set) set.add(p.partition);
        else merged.set(p.topic, new Set([p.partition]));
      }
      const now = this.clock.now();
      const next: TxnMetadata = { ...txn, state: 'Ongoing', partitions: merged, updateTimestamp: now, startTimestamp: txn.state === 'Ongoing' ? txn.startTimestamp : now };
      const error = await this.persist(next);
      if (error) return error;
      this.txns.set(transactionalId, next);
      return { error: 'NONE' };
    });
  }

  /**
   * EndTxn: the transaction's decision, its markers, then its completion. Under transaction
   * version 2 (EndTxn v5, `bumpEpoch`) every end bumps the producer's epoch, the markers carry the
   * new one, and the answer gives it to the producer; a retry with the epoch before the bump is
   * answered again, and aborting with no transaction open just bumps the epoch.
   */
  endTransaction(transactionalId: string, producerId: number, epoch: number, commit: boolean, bumpEpoch = false): Promise<Result<{ producerId: number; epoch: number }>> {
    if (transactionalId === '') return Promise.resolve(fail('INVALID_REQUEST', 'the transactional id is empty'));
    return this.serialized(transactionalId, async (): Promise<Result<{ producerId: number; epoch: number }>> => {
      const t = this.txns.get(transactionalId);
      const wanted = commit ? 'commit' : 'abort';
      const completed = t?.state === 'CompleteCommit' || t?.state === 'CompleteAbort';
      const current = () => {
        const now = this.txns.get(transactionalId)!;
        return { error: 'NONE' as const, producerId: now.producerId, epoch: now.producerEpoch };
      };
      // The retry of an end that bumped the epoch (transaction version 2) names the epoch before it.
      const retry = bumpEpoch && t !== undefined && completed && t.producerId === producerId && epoch === t.lastProducerEpoch && epoch === t.producerEpoch - 1;
      if (retry) {
        if ((t!.state === 'CompleteCommit') === commit) return current();
        return fail('INVALID_TXN_STATE', `cannot ${wanted}: the last transaction of ${transactionalId} ended in ${t!.state}`);
      }
      const invalid = this.checkProducer(t, transactionalId, producerId, epoch);
      if (invalid) return invalid;
      const txn = t!;
      switch (txn.state) {
        case 'Ongoing': {
          const ended = await this.end(txn, commit, bumpEpoch);
          if (ended.error !== 'NONE') return ended;
          const after = this.txns.get(transactionalId)!;
          if (bumpEpoch && after.producerEpoch >= MAX_EPOCH && (after.state === 'CompleteCommit' || after.state === 'CompleteAbort')) {
            // The epochs of this producer id are used up: the next transaction has a new id.
            const rotated: TxnMetadata = { ...after, producerId: await this.allocateProducerId(), producerEpoch: 0, lastProducerEpoch: NO_EPOCH, previousProducerId: after.producerId };
            const error = await this.persist(rotated);
            if (error) return error;
            this.txns.set(transactionalId, rotated);
          }
          return current();
        }
        case 'CompleteCommit':
        case 'CompleteAbort':
        case 'Empty':
          if (bumpEpoch && !commit) {
            // Transaction version 2 lets a producer abort with nothing open: its epoch moves on.
            const next = this.bumped({ ...txn, state: 'CompleteAbort', partitions: new Map(), updateTimestamp: this.clock.now() });
            const error = await this.persist(next);
            if (error) return error;
            this.txns.set(transactionalId, next);
            return current();
          }
          // A retry of the EndTxn that ended it is answered again; the other outcome cannot be had.
          if (txn.state !== 'Empty' && (txn.state === 'CompleteCommit') === commit) return current();
          return fail('INVALID_TXN_STATE', `cannot ${wanted}: ${transactionalId} has no transaction open (${txn.state})`);
        case 'PrepareCommit':
        case 'PrepareAbort':
          if ((txn.state === 'PrepareCommit') === commit) return fail('CONCURRENT_TRANSACTIONS', `the ${wanted} of ${transactionalId} is completing`);
          return fail('INVALID_TXN_STATE', `cannot ${wanted}: ${transactionalId} is in ${txn.state}`);
        default:
          return fail('INVALID_TXN_STATE', `cannot ${wanted}: ${transactionalId} is in ${txn.state}`);
      }
    });
  }

  /**
   * Whether a transactional batch of `producerId` at `epoch` may go to the partition: it must be
   * in the producer's open transaction (KIP-890's verification, answered here without a request,
   * as this node is the coordinator of every id).
   */
  verify(transactionalId: string | null, producerId: number, epoch: number, p: TxnPartition): Result<object> {
    if (transactionalId === null) return fail('INVALID_TXN_STATE', 'a transactional batch needs the request\'s transactional id');
    const t = this.txns.get(transactionalId);
    const invalid = this.checkProducer(t, transactionalId, producerId, epoch);
    // A batch or offset commit of an older epoch is told so as Produce and TxnOffsetCommit tell it.
    if (invalid) return invalid.error === 'PRODUCER_FENCED' ? fail('INVALID_PRODUCER_EPOCH', invalid.reason) : invalid;
    if (t!.state !== 'Ongoing' || !t!.partitions.get(p.topic)?.has(p.partition)) {
      return fail('INVALID_TXN_STATE', `${p.topic}-${p.partition} is not in the open transaction of ${transactionalId}`);
    }
    return { error: 'NONE' };
  }

  /** DescribeTransactions: each id's state, or TRANSACTIONAL_ID_NOT_FOUND. */
  describe(ids: string[]): DescribedTxn[] {
    return ids.map((transactionalId) => {
      const t = this.txns.get(transactionalId);
      if (!t) {
        return { errorCode: 'TRANSACTIONAL_ID_NOT_FOUND', transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] };
      }
      return {
        errorCode: 'NONE', transactionalId, transactionState: t.state, transactionTimeoutMs: t.timeoutMs, transactionStartTimeMs: t.startTimestamp,
        producerId: t.producerId, producerEpoch: t.producerEpoch,
        topics: [...t.partitions].map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) })),
      };
    });
  }

  /**
   * ListTransactions: the ids in any of `states` (all when empty) whose producer is one of
   * `producerIds` (all when empty), open longer than `durationMs` (-1: any), matching `pattern`.
   */
  list(filters: { states: string[]; producerIds: number[]; durationMs: number; pattern: RegExp | null }): { unknownStates: string[]; transactions: { transactionalId: string; producerId: number; transactionState: string }[] } {
    const known = new Set<string>(TXN_STATES);
    const unknownStates = filters.states.filter((s) => !known.has(s));
    const now = this.clock.now();
    const transactions = [...this.txns.values()]
      .filter((t) => filters.states.length === 0 || filters.states.includes(t.state))
      .filter((t) => filters.producerIds.length === 0 || filters.producerIds.includes(t.producerId))
      .filter((t) => filters.durationMs < 0 || (t.startTimestamp >= 0 && now - t.startTimestamp > filters.durationMs))
      .filter((t) => filters.pattern === null || filters.pattern.test(t.transactionalId))
      .map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, transactionState: t.state }));
    return { unknownStates, transactions };
  }

  // ---- inside ----------------------------------------------------------------------------------

  private checkProducer(t: TxnMetadata | undefined, transactionalId: string, producerId: number, epoch: number): Failure | null {
    if (!t || t.producerId !== producerId) return fail('INVALID_PRODUCER_ID_MAPPING', `producer ${producerId} is not that of ${transactionalId}`);
    if (epoch !== t.producerEpoch) return fail('PRODUCER_FENCED', `epoch ${epoch} of producer ${producerId} is older than ${transactionalId}'s current ${t.producerEpoch}`);
    return null;
  }

  /**
   * Ends `t`'s open transaction: the decision is written, then the markers, then the completion.
   * `bump` moves the epoch on first: to fence the producer (a timed-out transaction, a new producer
   * taking the id over) or as transaction version 2 ends every transaction. The markers carry the
   * new epoch, so the old one can write no more to the partitions.
   */
  private async end(t: TxnMetadata, commit: boolean, bump: boolean): Promise<Result<object>> {
    const base: TxnMetadata = { ...t, state: commit ? 'PrepareCommit' : 'PrepareAbort', updateTimestamp: this.clock.now() };
    const prepared = bump && t.producerEpoch < MAX_EPOCH ? this.bumped(base) : base;
    const error = await this.persist(prepared);
    if (error) return error;
    prepared.owedMarkers = partitionList(prepared.partitions);
    this.txns.set(t.transactionalId, prepared);
    await this.completeOwed(prepared);
    return { error: 'NONE' };
  }

  /** `t` with its epoch moved on by one (the old one kept for a retry that names it). */
  private bumped(t: TxnMetadata): TxnMetadata {
    return { ...t, producerEpoch: t.producerEpoch + 1, lastProducerEpoch: t.producerEpoch };
  }

  /** Writes the markers `t` owes; once all are written, its completion. */
  private async completeOwed(t: TxnMetadata): Promise<void> {
    const commit = t.state === 'PrepareCommit';
    const owed = t.owedMarkers ?? [];
    const left = owed.length === 0 ? [] : await this.markers.write({ producerId: t.producerId, epoch: t.producerEpoch, commit, coordinatorEpoch: 0, partitions: owed });
    if (left.length > 0) {
      t.owedMarkers = left;
      this.logger.warn({ transactionalId: t.transactionalId, partitions: left.map(key).map((k) => k.replace('\u0000', '-')) }, 'transaction markers not written yet; retrying');
      return;
    }
    const done: TxnMetadata = { ...t, state: commit ? 'CompleteCommit' : 'CompleteAbort', partitions: new Map(), updateTimestamp: this.clock.now(), owedMarkers: null };
    const error = await this.persist(done);
    if (error) {
      // The markers are written; the completion is retried with them (none owed).
      t.owedMarkers = [];
      return;
    }
    this.txns.set(t.transactionalId, done);
  }

  private async abortTimedOut(): Promise<void> {
    const now = this.clock.now();
    for (const t of [...this.txns.values()]) {
      if ((t.state === 'PrepareCommit' || t.state === 'PrepareAbort') && t.owedMarkers) {
        await this.serialized(t.transactionalId, () => this.completeOwed(this.txns.get(t.transactionalId) ?? t));
      } else if (t.state === 'Ongoing' && now - t.startTimestamp > t.timeoutMs) {
        await this.serialized(t.transactionalId, async () => {
          const current = this.txns.get(t.transactionalId);
          if (current?.state !== 'Ongoing' || now - current.startTimestamp <= current.timeoutMs) return;
          this.logger.info({ transactionalId: t.transactionalId, producerId: current.producerId, timeoutMs: current.timeoutMs }, 'aborting a transaction open longer than its timeout');
          await this.end(current, false, true);
        });
      }
    }
  }

  private async expireIds(): Promise<void> {
    const now = this.clock.now();
    for (const t of [...this.txns.values()]) {
      if (!(t.state === 'Empty' || t.state === 'CompleteCommit' || t.state === 'CompleteAbort')) continue;
      if (now - t.updateTimestamp < this.config.idExpirationMs) continue;
      await this.serialized(t.transactionalId, async () => {
        const current = this.txns.get(t.transactionalId);
        if (current !== t) return;
        const topic = await this.stateTopic();
        const error = await topic.append(topic.partitionFor(t.transactionalId), [encodeTxnRecord(t.transactionalId, null)]);
        if (error) return;
        this.txns.delete(t.transactionalId);
        this.logger.info({ transactionalId: t.transactionalId }, 'transactional id expired');
      });
    }
  }

  /** Writes `t`'s state to __transaction_state: the client's error if that failed, else null. */
  private async persist(t: TxnMetadata): Promise<Failure | null> {
    let topic: StateTopic;
    try {
      topic = await this.stateTopic();
    } catch (e) {
      this.topic = null; // tried again at the next change
      return fail('COORDINATOR_NOT_AVAILABLE', `${TRANSACTION_STATE_TOPIC} could not be made: ${(e as Error).message}`);
    }
    const error = await topic.append(topic.partitionFor(t.transactionalId), [encodeTxnRecord(t.transactionalId, t)]);
    if (!error) return null;
    return fail(appendErrorForClient(error, 'UNKNOWN_SERVER_ERROR'), `writing the state of ${t.transactionalId} failed: ${error}`);
  }

  private stateTopic(): Promise<StateTopic> {
    return (this.topic ??= this.openTopic());
  }

  /** Runs `fn` after every earlier request for the same id. */
  private serialized<T>(transactionalId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.queues.get(transactionalId) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.then(() => undefined, () => undefined);
    this.queues.set(transactionalId, tail);
    void tail.then(() => {
      if (this.queues.get(transactionalId) === tail) this.queues.delete(transactionalId);
    });
    return run;
  }
}
