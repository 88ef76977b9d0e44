// The transaction coordinator's state machine in virtual time, beside the real-client tests
// (test/server/transactions-*.test.ts): epochs and fencing, the states of EndTxn under both
// transaction versions, markers owed after a failure and retried, timeouts, id expiration, and
// a reload from the records it wrote. __transaction_state is kept in memory, as the log would have it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import type { ErrorName } from '../../protocol/errors.js';
import type { LoadHandlers, RawRecord } from '../../src/log/internal-topic.js';
import { TransactionCoordinator, type MarkerWriter, type StateTopic, type TxnCoordinatorConfig, type TxnPartition } from '../../src/transactions/coordinator.js';
import { decodeTxnRecord } from '../../src/transactions/txn-records.js';
import { ManualClock, settle } from '../support/manual-clock.js';

const logger = pino({ level: 'silent' });
const CONFIG: TxnCoordinatorConfig = { maxTimeoutMs: 900_000, idExpirationMs: 3_600_000, abortCheckIntervalMs: 1000, expireCheckIntervalMs: 60_000 };
const T0: TxnPartition = { topic: 't', partition: 0 };
const T1: TxnPartition = { topic: 't', partition: 1 };

class MemoryTopic implements StateTopic {
  readonly records: RawRecord[] = [];
  failWith: ErrorName | null = null;
  partitionFor(): number {
    return 0;
  }
  async append(_partition: number, records: RawRecord[]): Promise<ErrorName | null> {
    await settle();
    if (this.failWith) return this.failWith;
    this.records.push(...records);
    return null;
  }
  async load(handlers: LoadHandlers): Promise<number> {
    for (const r of this.records) handlers.record(r.key, r.value, { partition: 0, transactionalProducerId: -1 });
    return this.records.length;
  }
  /** The states written, in order, for one id. */
  states(id: string): string[] {
    return this.records.map((r) => decodeTxnRecord(r.key, r.value)).filter((r) => r?.transactionalId === id).map((r) => r!.value?.state ?? 'tombstone');
  }
}

class Markers implements MarkerWriter {
  readonly written: { producerId: number; epoch: number; commit: boolean; partitions: string[] }[] = [];
  failing = new Set<string>();
  async write(m: Parameters<MarkerWriter['write']>[0]): Promise<TxnPartition[]> {
    await settle();
    const ok = m.partitions.filter((p) => !this.failing.has(`${p.topic}-${p.partition}`));
    if (ok.length) this.written.push({ producerId: m.producerId, epoch: m.epoch, commit: m.commit, partitions: ok.map((p) => `${p.topic}-${p.partition}`) });
    return m.partitions.filter((p) => this.failing.has(`${p.topic}-${p.partition}`));
  }
}

/** Lets the coordinator's chains of writes (each a turn of the event loop here) run to their end. */
async function drain(): Promise<void> {
  for (let i = 0; i < 20; i++) await settle();
}

function harness(topic = new MemoryTopic()) {
  const clock = new ManualClock();
  const markers = new Markers();
  let nextId = 100;
  const c = new TransactionCoordinator(async () => topic, markers, async () => nextId++, CONFIG, clock, logger);
  return { c, clock, markers, topic };
}

async function init(c: TransactionCoordinator, id: string, timeoutMs = 60_000) {
  const r = await c.initProducerId(id, timeoutMs, null);
  if (r.error !== 'NONE') throw new Error(`InitProducerId: ${r.error}`);
  return r;
}

test('InitProducerId: a new id starts at epoch 0; taking it up again fences the old epoch', async () => {
  const { c } = harness();
  const a = await init(c, 'app');
  assert.equal([a.producerId, a.epoch], [100, 0]);
  const b = await init(c, 'app');
  assert.equal([b.producerId, b.epoch], [100, 1]);
  const fenced = await c.addPartitions('app', 100, 0, [T0]);
  assert.is(fenced.error, 'PRODUCER_FENCED');
  assert.is((await c.initProducerId('', 1000, null)).error, 'INVALID_REQUEST');
  assert.is((await c.initProducerId('app', 900_001, null)).error, 'INVALID_TRANSACTION_TIMEOUT');
  assert.is((await c.initProducerId('app', 1000, { producerId: 7, epoch: 0 })).error, 'PRODUCER_FENCED', 'another producer id');
  // A retry of the InitProducerId whose answer was lost names the epoch before: it gets the current one.
  const retried = await c.initProducerId('app', 60_000, { producerId: 100, epoch: 0 });
  assert.equal(retried.error === 'NONE' && [retried.producerId, retried.epoch], [100, 1]);
});

test('a transaction: partitions added, committed with markers to each, then completed; a retry is answered again', async () => {
  const { c, markers, topic } = harness();
  const { producerId, epoch } = await init(c, 'app');
  assert.is((await c.addPartitions('app', producerId, epoch, [T0])).error, 'NONE');
  assert.is((await c.addPartitions('app', producerId, epoch, [T0, T1])).error, 'NONE');
  assert.is(c.verify('app', producerId, epoch, T1).error, 'NONE');
  assert.is(c.verify('app', producerId, epoch, { topic: 't', partition: 2 }).error, 'INVALID_TXN_STATE');
  assert.is(c.verify(null, producerId, epoch, T0).error, 'INVALID_TXN_STATE');
  const ended = await c.endTransaction('app', producerId, epoch, true);
  assert.equal(ended.error === 'NONE' && [ended.producerId, ended.epoch], [producerId, epoch], 'transaction version 1 keeps the epoch');
  assert.equal(markers.written, [{ producerId, epoch, commit: true, partitions: ['t-0', 't-1'] }]);
  assert.equal(topic.states('app'), ['Empty', 'Ongoing', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
  assert.is((await c.endTransaction('app', producerId, epoch, true)).error, 'NONE', 'a retried commit');
  assert.is((await c.endTransaction('app', producerId, epoch, false)).error, 'INVALID_TXN_STATE', 'the other outcome');
  assert.is(c.verify('app', producerId, epoch, T0).error, 'INVALID_TXN_STATE', 'no transaction open any more');
  assert.is((await c.endTransaction('app', producerId + 1, epoch, true)).error, 'INVALID_PRODUCER_ID_MAPPING');
  assert.equal(c.describe(['app', 'nobody']).map((d) => [d.errorCode, d.transactionState]), [['NONE', 'CompleteCommit'], ['TRANSACTIONAL_ID_NOT_FOUND', '']]);
});

test('transaction version 2: each end bumps the epoch, markers carry the new one, a retry with the old one is answered', async () => {
  const { c, markers } = harness();
  const { producerId } = await init(c, 'app');
  await c.addPartitions('app', producerId, 0, [T0]);
  const ended = await c.endTransaction('app', producerId, 0, false, true);
  assert.equal(ended.error === 'NONE' && ended.epoch, 1);
  assert.equal(markers.written.at(-1), { producerId, epoch: 1, commit: false, partitions: ['t-0'] });
  const retry = await c.endTransaction('app', producerId, 0, false, true);
  assert.equal(retry.error === 'NONE' && retry.epoch, 1);
  assert.is((await c.endTransaction('app', producerId, 0, true, true)).error, 'INVALID_TXN_STATE');
  // An abort with nothing open just moves the epoch on.
  const empty = await c.endTransaction('app', producerId, 1, false, true);
  assert.equal(empty.error === 'NONE' && empty.epoch, 2);
  assert.is(markers.written.length, 1);
});

test('a new producer aborts the open transaction of the old one and fences it', async () => {
  const { c, markers } = harness();
  const old = await init(c, 'app');
  await c.addPartitions('app', old.producerId, old.epoch, [T0]);
  const next = await init(c, 'app');
  // Abort with the epoch fenced (1), then the new producer's own bump (2).
  assert.equal(markers.written, [{ producerId: old.producerId, epoch: 1, commit: false, partitions: ['t-0'] }]);
  assert.is(next.epoch, 2);
  assert.is((await c.endTransaction('app', old.producerId, old.epoch, true)).error, 'PRODUCER_FENCED');
});

test('a transaction open past its timeout is aborted with its producer fenced', async () => {
  const { c, clock, markers } = harness();
  c.start();
  const { producerId, epoch } = await init(c, 'slow', 5000);
  await c.addPartitions('slow', producerId, epoch, [T0]);
  await clock.advance(4000);
  assert.is(markers.written.length, 0);
  await clock.advance(3000);
  await drain();
  assert.equal(markers.written, [{ producerId, epoch: epoch + 1, commit: false, partitions: ['t-0'] }]);
  assert.is(c.describe(['slow'])[0]!.transactionState, 'CompleteAbort');
  assert.is((await c.endTransaction('slow', producerId, epoch, true)).error, 'PRODUCER_FENCED');
  c.close();
});

test('markers that cannot be written yet stay owed and are retried; the id waits in PrepareCommit meanwhile', async () => {
  const { c, clock, markers } = harness();
  c.start();
  const { producerId, epoch } = await init(c, 'app');
  await c.addPartitions('app', producerId, epoch, [T0, T1]);
  markers.failing.add('t-1');
  assert.is((await c.endTransaction('app', producerId, epoch, true)).error, 'NONE', 'the decision is durable');
  assert.is(c.describe(['app'])[0]!.transactionState, 'PrepareCommit');
  assert.is((await c.addPartitions('app', producerId, epoch, [T0])).error, 'CONCURRENT_TRANSACTIONS');
  markers.failing.clear();
  await clock.advance(1000);
  await drain();
  assert.is(c.describe(['app'])[0]!.transactionState, 'CompleteCommit');
  assert.equal(markers.written.map((m) => m.partitions), [['t-0'], ['t-1']]);
  c.close();
});

test('state is rebuilt from its records; a transaction decided but not completed is completed at start', async () => {
  const topic = new MemoryTopic();
  const first = harness(topic);
  const { producerId, epoch } = await init(first.c, 'app');
  await first.c.addPartitions('app', producerId, epoch, [T0]);
  first.markers.failing.add('t-0');
  await first.c.endTransaction('app', producerId, epoch, false);
  await init(first.c, 'other');

  const second = harness(topic);
  await topic.load({ record: (k, v) => second.c.replay(k, v) });
  assert.equal(second.c.describe(['app', 'other']).map((d) => d.transactionState), ['PrepareAbort', 'Empty']);
  second.c.start();
  await drain();
  assert.equal(second.markers.written, [{ producerId, epoch, commit: false, partitions: ['t-0'] }]);
  assert.is(second.c.describe(['app'])[0]!.transactionState, 'CompleteAbort');
  const again = await init(second.c, 'app');
  assert.equal([again.producerId, again.epoch], [producerId, epoch + 1]);
  second.c.close();
});

test('a failed write of the state leaves it as it was; idle ids expire with a tombstone', async () => {
  const { c, clock, topic } = harness();
  c.start();
  const { producerId, epoch } = await init(c, 'app');
  topic.failWith = 'KAFKA_STORAGE_ERROR';
  assert.is((await c.addPartitions('app', producerId, epoch, [T0])).error, 'NOT_COORDINATOR');
  assert.is(c.describe(['app'])[0]!.transactionState, 'Empty');
  topic.failWith = null;
  await clock.advance(CONFIG.idExpirationMs + CONFIG.expireCheckIntervalMs);
  await drain();
  assert.is(c.describe(['app'])[0]!.errorCode, 'TRANSACTIONAL_ID_NOT_FOUND');
  assert.equal(topic.states('app'), ['Empty', 'tombstone']);
  assert.equal(c.list({ states: [], producerIds: [], durationMs: -1, pattern: null }).transactions, []);
  c.close();
});

test('ListTransactions filters by state, producer, duration and id pattern', async () => {
  const { c, clock } = harness();
  const a = await init(c, 'orders-1');
  await init(c, 'payments-1');
  await c.addPartitions('orders-1', a.producerId, a.epoch, [T0]);
  await clock.advance(10_000);
  const ids = (f: Partial<Parameters<TransactionCoordinator['list']>[0]>) =>
    c.list({ states: [], producerIds: [], durationMs: -1, pattern: null, ...f }).transactions.map((t) => t.transactionalId).sort();
  assert.equal(ids({}), ['orders-1', 'payments-1']);
  assert.equal(ids({ states: ['Ongoing'] }), ['orders-1']);
  assert.equal(ids({ producerIds: [a.producerId] }), ['orders-1']);
  assert.equal(ids({ durationMs: 5000 }), ['orders-1']);
  assert.equal(ids({ durationMs: 20_000 }), []);
  assert.equal(ids({ pattern: /^pay.*$/ }), ['payments-1']);
  assert.equal(c.list({ states: ['Bogus'], producerIds: [], durationMs: -1, pattern: null }).unknownStates, ['Bogus']);
});

test.run();
