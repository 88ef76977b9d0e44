// Differential tests: each scenario is sent with outpost's own client to a real Apache Kafka 4.4.0
// and to outpost at the same API versions (the oldest both accept and the newest), and the two
// responses must be equal field by field once normalise() (test/support/differential.ts) has
// replaced what two brokers legitimately disagree on. Any other difference is a bug in outpost,
// or is named in a comment right where the scenario tolerates it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { api } from '../../protocol/apis.js';
import { decodeResponse, encodeRequest } from '../../protocol/frames.js';
import { CRC_OFFSET } from '../../protocol/records/batch.js';
import { Codec, type CodecId } from '../../protocol/records/compression.js';
import { buildBatch } from '../../protocol/records/records.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { javaClient, javaTool, kafkaTopics, startKafka, type KafkaPeer } from '../peers/kafka.js';
import { normalise, openSide, rawExchange, rawRequest, type Side } from '../support/differential.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

let kafka: KafkaPeer;
let outpost: TestBroker;
let sides: Side[];

const T0 = 1_700_000_000_000;

test.before(async () => {
  [kafka, outpost] = await Promise.all([startKafka(), startOutpost()]);
  sides = [await openSide('kafka', kafka.port), await openSide('outpost', outpost.port)];
});

test.after(async () => {
  for (const s of sides ?? []) s.conn.close();
  await Promise.all([kafka?.stop(), outpost?.destroy()]);
});

/** Runs `scenario` against Kafka, then outpost, and asserts the normalised outcomes are equal. */
async function same(label: string, scenario: (s: Side) => Promise<unknown>): Promise<unknown> {
  const want = normalise(await scenario(sides[0]!));
  const got = normalise(await scenario(sides[1]!));
  assert.equal(got, want, `${label}: outpost (actual) vs Kafka (expected)`);
  return want;
}

/** `count` records with keys, values, a header, and timestamps T0 + offset seconds. */
function batch(firstOffset: number, count: number, codec: CodecId = Codec.NONE, valueBytes = 0): Buffer {
  return buildBatch({
    codec,
    records: Array.from({ length: count }, (_, i) => ({
      key: Buffer.from(`k${firstOffset + i}`),
      value: Buffer.from(`v${firstOffset + i}`.padEnd(valueBytes, '.')),
      headers: [{ key: 'h', value: Buffer.from(String(firstOffset + i)) }],
      timestamp: T0 + (firstOffset + i) * 1000,
    })),
  });
}

const topicSpec = (name: string, numPartitions = 1, configs: Record<string, string> = {}, replicationFactor = 1) => ({
  name, numPartitions, replicationFactor, assignments: [] as { partitionIndex: number; brokerIds: number[] }[],
  configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
});

function createTopics(s: Side, version: number, topics: ReturnType<typeof topicSpec>[], validateOnly = false): Promise<any> {
  return s.conn.request('CreateTopics', version, { topics, timeoutMs: 10_000, validateOnly });
}

async function metadata(s: Side, version: number, names: string[] | null): Promise<any> {
  const topics = names === null ? (version === 0 ? [] : null) : names.map((name) => ({ topicId: ZERO_UUID, name }));
  return sortedMetadata(await s.conn.request('Metadata', version, { topics, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }));
}

/**
 * Kafka answers CreateTopics once its controller has the topic; its broker leads the partitions a
 * moment later (and its Metadata may show them before that): waits until each answers ListOffsets.
 */
async function untilLed(s: Side, names: string[]): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const md = await metadata(s, 12, names);
    const partitions = md.topics.flatMap((t: any) => t.partitions.map((p: any) => ({ name: t.name, partitionIndex: p.partitionIndex })));
    const led = md.topics.every((t: any) => t.errorCode === 0) && partitions.length > 0 &&
      (await Promise.all(partitions.map(async (p: any) => (await listOffsets(s, 10, p.name, p.partitionIndex, -1)).topics[0].partitions[0].errorCode === 0))).every(Boolean);
    if (led) return;
    if (Date.now() > deadline) throw new Error(`${s.name}: topics ${names.join(', ')} are not led: ${JSON.stringify(md.topics)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const byName = (a: { name: string | null }, b: { name: string | null }) => String(a.name).localeCompare(String(b.name));

/**
 * Kafka lists topics, and partitions within a topic, in the order of the hash maps it builds the
 * response from (Produce, DeleteTopics, Metadata): that order carries no meaning, so it is
 * compared sorted.
 */
function sortedMetadata(md: any): any {
  md.topics.sort(byName);
  for (const t of md.topics) t.partitions.sort((a: any, b: any) => a.partitionIndex - b.partitionIndex);
  return md;
}

function sortedProduce(res: any): any {
  res.responses.sort(byName);
  for (const t of res.responses) t.partitionResponses.sort((a: any, b: any) => a.index - b.index);
  return res;
}

/** Creates topics on both sides (asserting success) and waits for them to be led. */
async function setUp(topics: ReturnType<typeof topicSpec>[]): Promise<void> {
  for (const s of sides) {
    const res = await createTopics(s, 7, topics);
    for (const t of res.topics) assert.is(t.errorCode, 0, `${s.name}: creating ${t.name}: ${t.errorMessage}`);
    await untilLed(s, topics.map((t) => t.name));
  }
}

async function produce(s: Side, version: number, topic: string, partitions: { index: number; records: Buffer | null }[], acks = -1): Promise<any> {
  return sortedProduce(await s.conn.request('Produce', version, { transactionalId: null, acks, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: partitions }] }));
}

async function topicId(s: Side, name: string): Promise<string> {
  const md = await metadata(s, 12, [name]);
  return md.topics[0].topicId;
}

interface FetchPartition { partition: number; fetchOffset: number; partitionMaxBytes?: number; currentLeaderEpoch?: number }

async function fetch(s: Side, version: number, topic: string, partitions: FetchPartition[], o: { minBytes?: number; maxWaitMs?: number; sessionId?: number; sessionEpoch?: number; maxBytes?: number; id?: string } = {}): Promise<any> {
  const t = { topic, topicId: version >= 13 ? o.id ?? (await topicId(s, topic)) : ZERO_UUID, partitions: partitions.map((p) => ({
    partition: p.partition, currentLeaderEpoch: p.currentLeaderEpoch ?? -1, fetchOffset: p.fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1,
    partitionMaxBytes: p.partitionMaxBytes ?? 1 << 20,
  })) };
  return s.conn.request('Fetch', version, {
    replicaId: -1, maxWaitMs: o.maxWaitMs ?? 0, minBytes: o.minBytes ?? 0, maxBytes: o.maxBytes ?? 50 << 20, isolationLevel: 0,
    sessionId: o.sessionId ?? 0, sessionEpoch: o.sessionEpoch ?? -1, topics: partitions.length ? [t] : [], forgottenTopicsData: [], rackId: '',
  });
}

function listOffsets(s: Side, version: number, topic: string, partitionIndex: number, timestamp: number, currentLeaderEpoch = -1): Promise<any> {
  return s.conn.request('ListOffsets', version, { replicaId: -1, isolationLevel: 0, timeoutMs: 10_000, topics: [{ name: topic, partitions: [{ partitionIndex, currentLeaderEpoch, timestamp }] }] });
}

/** A well-formed Produce v2 request: v2's body is v3's without its leading transactional id. */
function produceV2(): Buffer {
  const body = { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: 'produce-v12', partitionData: [{ index: 0, records: batch(0, 1) }] }] };
  const v3 = Buffer.concat(encodeRequest(api('Produce'), 3, { correlationId: 8, clientId: 'differential' }, body));
  const headerEnd = 4 + 2 + 2 + 4 + 2 + v3.readInt16BE(12);
  const v2 = Buffer.concat([v3.subarray(0, headerEnd), v3.subarray(headerEnd + 2)]);
  v2.writeInt32BE(v2.length - 4, 0);
  v2.writeInt16BE(2, 6);
  return v2;
}

// -----------------------------------------------------------------------------------------------

test('ApiVersions: every API outpost serves, at exactly the versions Kafka 4.4 serves', async () => {
  const [k, o] = sides.map((s) => s.conn.versions);
  for (const [key, range] of o!) assert.equal(range, k!.get(key), `API key ${key}`);
});

test('ApiVersions: the features outpost implements are finalized at Kafka 4.4\'s levels', async () => {
  const OURS = ['group.version', 'transaction.version'];
  await same('v4 features', async (s) => {
    const r = await s.conn.request('ApiVersions', 4, { clientSoftwareName: 'differential', clientSoftwareVersion: '1' });
    const pick = (fs: { name: string }[]) => fs.filter((f) => OURS.includes(f.name)).sort((a, b) => a.name.localeCompare(b.name));
    return { supported: pick(r.supportedFeatures), finalized: pick(r.finalizedFeatures), epochSet: r.finalizedFeaturesEpoch >= 0 };
  });
  // kafka-features describe reads them from ApiVersions; the epochs are each broker's own.
  await same('kafka-features describe', async (s) => {
    const r = await javaTool('org.apache.kafka.tools.FeatureCommand', ['--bootstrap-server', `127.0.0.1:${s.port}`, 'describe']);
    assert.is(r.code, 0, r.stderr);
    return r.stdout.split('\n').filter((l) => OURS.some((f) => l.startsWith(`Feature: ${f} `))).map((l) => l.replace(/\s+Epoch: \d+/, '').replace(/\s+/g, ' ').trim());
  });
});

test('CreateTopics v2 and v7: created, exists, bad names, bad counts, duplicates, bad configs, validateOnly', async () => {
  for (const v of [2, 7]) {
    await same(`v${v} a first topic`, (s) => createTopics(s, v, [topicSpec(`exists-v${v}`), topicSpec(`a.b-v${v}`)]));
    await same(`v${v} each case`, (s) => createTopics(s, v, [
      topicSpec(`made-v${v}`, 2, { 'retention.ms': '3600000', 'cleanup.policy': 'compact' }),
      topicSpec(`defaults-v${v}`, -1, {}, -1),
      topicSpec(`exists-v${v}`),
      topicSpec(`a_b-v${v}`),
      topicSpec('bad name!'),
      topicSpec(''),
      topicSpec('..'),
      topicSpec('x'.repeat(250)),
      topicSpec(`zero-v${v}`, 0),
      topicSpec(`minus-two-v${v}`, -2),
      topicSpec(`rf0-v${v}`, 1, {}, 0),
      topicSpec(`rf3-v${v}`, 1, {}, 3),
      topicSpec(`bad-value-v${v}`, 1, { 'retention.ms': 'soon' }),
      topicSpec(`bad-range-v${v}`, 1, { 'min.cleanable.dirty.ratio': '2' }),
      topicSpec(`unknown-config-v${v}`, 1, { 'no.such.config': '1' }),
      topicSpec(`twice-v${v}`),
      topicSpec(`twice-v${v}`),
    ]));
    const assigned = (name: string, assignments: { partitionIndex: number; brokerIds: number[] }[], numPartitions = -1) =>
      ({ ...topicSpec(name, numPartitions, {}, -1), assignments });
    await same(`v${v} manual assignments`, (s) => createTopics(s, v, [
      assigned(`assigned-v${v}`, [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 1, brokerIds: [1] }]),
      assigned(`unknown-broker-v${v}`, [{ partitionIndex: 0, brokerIds: [4] }]),
      assigned(`gap-v${v}`, [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 2, brokerIds: [1] }]),
      assigned(`twice-on-one-v${v}`, [{ partitionIndex: 0, brokerIds: [1, 1] }]),
      assigned(`no-replicas-v${v}`, [{ partitionIndex: 0, brokerIds: [] }]),
      assigned(`both-v${v}`, [{ partitionIndex: 0, brokerIds: [1] }], 1),
      { ...assigned(`with-rf-v${v}`, [{ partitionIndex: 0, brokerIds: [1] }]), replicationFactor: 1 },
      { ...assigned(`with-both-v${v}`, [{ partitionIndex: 0, brokerIds: [1] }], 1), replicationFactor: 1 },
      assigned(`one-twice-v${v}`, [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 0, brokerIds: [1] }]),
    ]));
    await same(`v${v} validateOnly`, (s) => createTopics(s, v, [topicSpec(`validated-v${v}`, 3), topicSpec(`exists-v${v}`)], true));
    await same(`v${v} validateOnly created nothing`, (s) => metadata(s, 12, [`validated-v${v}`]));
  }
});

test('Metadata v0, v12 and v13: named topics, unknown and invalid names, all topics, by topic id', async () => {
  await setUp([topicSpec('meta', 3)]);
  for (const v of [0, 12, 13]) {
    await same(`v${v} named`, (s) => metadata(s, v, ['meta', 'no-such-topic', 'bad name!']));
    await same(`v${v} all`, (s) => metadata(s, v, null));
  }
  await same('v12 by an unknown topic id', async (s) => s.conn.request('Metadata', 12, { topics: [{ topicId: randomBytes(16).toString('base64url'), name: null }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
});

test('DescribeTopicPartitions v0: named and all topics, a partition limit, a cursor', async () => {
  await setUp([topicSpec('dtp-a', 2), topicSpec('dtp-b', 3), topicSpec('dtp-c', 1)]);
  const describe = (s: Side, names: string[], responsePartitionLimit = 2000, cursor: { topicName: string; partitionIndex: number } | null = null) =>
    s.conn.request('DescribeTopicPartitions', 0, { topics: names.map((name) => ({ name })), responsePartitionLimit, cursor });
  await same('named', (s) => describe(s, ['dtp-b', 'dtp-a', 'no-such-topic', 'bad name!', 'dtp-a']));
  await same('all', (s) => describe(s, []));
  await same('a limit', (s) => describe(s, ['dtp-c', 'dtp-b', 'dtp-a'], 3));
  await same('a limit at a topic boundary', (s) => describe(s, ['dtp-c', 'dtp-b', 'dtp-a'], 2));
  await same('from a cursor', (s) => describe(s, ['dtp-c', 'dtp-b', 'dtp-a'], 3, { topicName: 'dtp-b', partitionIndex: 1 }));
  await same('from a cursor on a topic not asked for', (s) => describe(s, ['dtp-c', 'dtp-a'], 3, { topicName: 'dtp-b', partitionIndex: 1 }));
  await same('from a cursor past the partitions', (s) => describe(s, ['dtp-c', 'dtp-b'], 3, { topicName: 'dtp-b', partitionIndex: 7 }));
});

test('Produce v3 and v12: offsets, unknown topic and partition, too large, corrupt, bad acks', async () => {
  for (const v of [3, 12]) {
    const topic = `produce-v${v}`;
    await setUp([topicSpec(topic, 2), topicSpec(`small-v${v}`, 1, { 'max.message.bytes': '300' })]);
    // A few outcomes are also checked outright, so that both brokers failing alike cannot pass.
    const first: any = await same(`v${v} first`, (s) => produce(s, v, topic, [{ index: 0, records: batch(0, 3) }]));
    assert.is(first.responses[0].partitionResponses[0].errorCode, 0);
    await same(`v${v} two partitions, two codecs`, (s) => produce(s, v, topic, [{ index: 0, records: batch(3, 2, Codec.GZIP) }, { index: 1, records: batch(0, 4, Codec.ZSTD) }]));
    await same(`v${v} one more`, (s) => produce(s, v, topic, [{ index: 0, records: batch(5, 1, Codec.LZ4) }]));
    await same(`v${v} unknown partition beside a good one`, (s) => produce(s, v, topic, [{ index: 0, records: batch(6, 1) }, { index: 7, records: batch(0, 1) }]));
    await same(`v${v} unknown topic`, (s) => produce(s, v, 'no-such-topic', [{ index: 0, records: batch(0, 1) }]));
    await same(`v${v} larger than max.message.bytes`, (s) => produce(s, v, `small-v${v}`, [{ index: 0, records: batch(0, 1, Codec.NONE, 400) }]));
    await same(`v${v} within max.message.bytes`, (s) => produce(s, v, `small-v${v}`, [{ index: 0, records: batch(0, 1, Codec.NONE, 100) }]));
    const corrupt = batch(0, 2);
    corrupt.writeUInt32BE((corrupt.readUInt32BE(CRC_OFFSET) ^ 1) >>> 0, CRC_OFFSET);
    await same(`v${v} corrupt CRC`, (s) => produce(s, v, topic, [{ index: 1, records: corrupt }]));
    await same(`v${v} acks=2`, (s) => produce(s, v, topic, [{ index: 1, records: batch(4, 1) }, { index: 6, records: batch(0, 1) }], 2));
    await same(`v${v} no batch`, (s) => produce(s, v, topic, [{ index: 1, records: Buffer.alloc(0) }]));
    await same(`v${v} two batches for one partition`, (s) => produce(s, v, topic, [{ index: 1, records: Buffer.concat([batch(4, 1), batch(5, 1)]) }]));
    await same(`v${v} several topics`, (s) => s.conn.request('Produce', v, { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [
      { name: 'no-such-topic', partitionData: [{ index: 0, records: batch(0, 1) }] },
      { name: topic, partitionData: [{ index: 1, records: batch(4, 1) }, { index: 0, records: batch(7, 1) }] },
    ] }).then(sortedProduce));
    await same(`v${v} what was stored`, (s) => fetch(s, 12, topic, [{ partition: 0, fetchOffset: 0 }, { partition: 1, fetchOffset: 0 }]));
  }
  // acks=0 gets no answer; a failure closes the connection instead, so that the producer
  // refreshes its metadata. A good produce leaves the connection open.
  const acks0 = await same('acks=0', async (s) => {
    const conn = await KafkaConnection.open('127.0.0.1', s.port);
    conn.sendOnly('Produce', 12, { transactionalId: null, acks: 0, timeoutMs: 10_000, topicData: [{ name: 'produce-v12', partitionData: [{ index: 0, records: batch(8, 1) }] }] });
    const open = await conn.request('ApiVersions', 3, {}).then(() => true, () => false);
    conn.sendOnly('Produce', 12, { transactionalId: null, acks: 0, timeoutMs: 10_000, topicData: [{ name: 'produce-v12', partitionData: [{ index: 9, records: batch(8, 1) }] }] });
    const closed = await conn.request('ApiVersions', 3, {}).then(() => false, () => true);
    conn.close();
    return { open, closed };
  });
  assert.equal(acks0, { open: true, closed: true });
});

test('Fetch v4 and v18: records, out of range, unknown topic, min bytes with nothing, a first batch over the partition limit', async () => {
  await setUp([topicSpec('fetch', 2)]);
  const codecs: CodecId[] = [Codec.NONE, Codec.GZIP, Codec.SNAPPY, Codec.LZ4, Codec.ZSTD];
  for (const s of sides) {
    for (const [i, codec] of codecs.entries()) {
      const r = await produce(s, 12, 'fetch', [{ index: 0, records: batch(i * 3, 3, codec, 100) }]);
      assert.is(r.responses[0].partitionResponses[0].errorCode, 0);
    }
  }
  for (const v of [4, 18]) {
    const all: any = await same(`v${v} everything`, (s) => fetch(s, v, 'fetch', [{ partition: 0, fetchOffset: 0 }, { partition: 1, fetchOffset: 0 }]));
    assert.equal(all.responses[0].partitions[0].records.map((b: any) => b.attributes & 7), codecs);
    await same(`v${v} from the middle of a batch`, (s) => fetch(s, v, 'fetch', [{ partition: 0, fetchOffset: 7 }]));
    await same(`v${v} at the end`, (s) => fetch(s, v, 'fetch', [{ partition: 0, fetchOffset: 15 }]));
    await same(`v${v} out of range`, (s) => fetch(s, v, 'fetch', [{ partition: 0, fetchOffset: 16 }]));
    await same(`v${v} unknown partition`, (s) => fetch(s, v, 'fetch', [{ partition: 9, fetchOffset: 0 }]));
    await same(`v${v} min bytes, nothing arrives`, (s) => fetch(s, v, 'fetch', [{ partition: 1, fetchOffset: 0 }], { minBytes: 1, maxWaitMs: 50 }));
    await same(`v${v} partition limit below the first batch`, (s) => fetch(s, v, 'fetch', [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 10 }]));
    await same(`v${v} response limit below the first batch`, (s) => fetch(s, v, 'fetch', [{ partition: 0, fetchOffset: 3 }], { maxBytes: 10 }));
    await same(`v${v} current leader epoch ahead`, (s) => fetch(s, v, 'fetch', [{ partition: 0, fetchOffset: 0, currentLeaderEpoch: 5 }]));
  }
  await same('v4 unknown topic', (s) => fetch(s, 4, 'no-such-topic', [{ partition: 0, fetchOffset: 0 }]));
  const unknownId = randomBytes(16).toString('base64url');
  await same('v18 unknown topic id', (s) => fetch(s, 18, 'no-such-topic', [{ partition: 0, fetchOffset: 0 }], { id: unknownId }));
});

test('Fetch sessions v7 and v18: full, incremental, bad epoch, unknown session', async () => {
  await setUp([topicSpec('sessions', 2)]);
  for (const v of [7, 18]) {
    const ids = new Map<Side, number>();
    const parts = [{ partition: 0, fetchOffset: 0 }, { partition: 1, fetchOffset: 0 }];
    await same(`v${v} full`, async (s) => {
      const r = await fetch(s, v, 'sessions', parts, { sessionId: 0, sessionEpoch: 0 });
      ids.set(s, r.sessionId);
      return r;
    });
    await same(`v${v} incremental, nothing new`, (s) => fetch(s, v, 'sessions', [], { sessionId: ids.get(s)!, sessionEpoch: 1 }));
    await same(`v${v} produce`, (s) => produce(s, 12, 'sessions', [{ index: 1, records: batch(0, 2) }]));
    const news: any = await same(`v${v} incremental, one partition has news`, (s) => fetch(s, v, 'sessions', [], { sessionId: ids.get(s)!, sessionEpoch: 2 }));
    assert.equal(news.responses[0].partitions.map((p: any) => [p.partitionIndex, p.records.length > 0]), [[1, true]]);
    await same(`v${v} incremental, a position moves`, (s) => fetch(s, v, 'sessions', [{ partition: 1, fetchOffset: 2 }], { sessionId: ids.get(s)!, sessionEpoch: 3 }));
    await same(`v${v} a bad epoch`, (s) => fetch(s, v, 'sessions', [], { sessionId: ids.get(s)!, sessionEpoch: 9 }));
    await same(`v${v} an unknown session`, (s) => fetch(s, v, 'sessions', [], { sessionId: 0x7ffffff0, sessionEpoch: 1 }));
    await same(`v${v} close the session`, (s) => fetch(s, v, 'sessions', parts, { sessionId: ids.get(s)!, sessionEpoch: -1 }));
  }
});

test('ListOffsets v1 and v11: earliest, latest, by timestamp, max timestamp, tiered, unknown partition', async () => {
  await setUp([topicSpec('offsets')]);
  for (const s of sides) {
    // Out of order timestamps, so that the max timestamp is not the last record's.
    await produce(s, 12, 'offsets', [{ index: 0, records: batch(0, 4) }]);
    await produce(s, 12, 'offsets', [{ index: 0, records: buildBatch({ records: [{ value: Buffer.from('late'), timestamp: T0 + 100_000 }, { value: Buffer.from('early'), timestamp: T0 + 1 }] }) }]);
  }
  for (const v of [1, 11]) {
    for (const [what, ts] of [['earliest', -2], ['latest', -1], ['at a record', T0 + 2000], ['between records', T0 + 2500], ['after all', T0 + 1_000_000], ['before all', T0 - 5]] as const) {
      await same(`v${v} ${what}`, (s) => listOffsets(s, v, 'offsets', 0, ts));
    }
    await same(`v${v} unknown partition`, (s) => listOffsets(s, v, 'offsets', 4, -1));
    await same(`v${v} unknown topic`, (s) => listOffsets(s, v, 'no-such-topic', 0, -1));
  }
  await same('v10 max timestamp', (s) => listOffsets(s, 10, 'offsets', 0, -3));
  // Without tiered storage: the local start is the start, and nothing is tiered or pending upload.
  for (const [what, ts] of [['earliest local', -4], ['latest tiered', -5], ['earliest pending upload', -6], ['an unknown special timestamp', -7]] as const) {
    await same(`v11 ${what}`, (s) => listOffsets(s, 11, 'offsets', 0, ts));
  }
  await same('v10 earliest pending upload, which v11 brought', (s) => listOffsets(s, 10, 'offsets', 0, -6));
  await same('v1 an unknown special timestamp', (s) => listOffsets(s, 1, 'offsets', 0, -7));
  await same('v10 current leader epoch ahead', (s) => listOffsets(s, 10, 'offsets', 0, -1, 3));
});

test('OffsetForLeaderEpoch v2 and v4', async () => {
  await setUp([topicSpec('epochs')]);
  for (const s of sides) await produce(s, 12, 'epochs', [{ index: 0, records: batch(0, 3) }]);
  for (const v of [2, 4]) {
    await same(`v${v}`, (s) => s.conn.request('OffsetForLeaderEpoch', v, { replicaId: -1, topics: [
      { topic: 'epochs', partitions: [
        { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 },
        { partition: 3, currentLeaderEpoch: -1, leaderEpoch: 0 },
      ] },
      { topic: 'no-such-topic', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
    ] }));
    await same(`v${v} a later epoch`, (s) => s.conn.request('OffsetForLeaderEpoch', v, { replicaId: -1, topics: [{ topic: 'epochs', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 4 }] }] }));
    await same(`v${v} current epoch ahead`, (s) => s.conn.request('OffsetForLeaderEpoch', v, { replicaId: -1, topics: [{ topic: 'epochs', partitions: [{ partition: 0, currentLeaderEpoch: 2, leaderEpoch: 0 }] }] }));
  }
});

test('DeleteRecords v0 and v2: below the high watermark, beyond it, -1, unknown partition', async () => {
  for (const v of [0, 2]) {
    const topic = `delete-records-v${v}`;
    await setUp([topicSpec(topic)]);
    for (const s of sides) await produce(s, 12, topic, [{ index: 0, records: batch(0, 5) }]);
    const del = (s: Side, partitionIndex: number, offset: number) =>
      s.conn.request('DeleteRecords', v, { topics: [{ name: topic, partitions: [{ partitionIndex, offset }] }], timeoutMs: 10_000 });
    const before2: any = await same(`v${v} before 2`, (s) => del(s, 0, 2));
    assert.is(before2.topics[0].partitions[0].lowWatermark, 2);
    await same(`v${v} log start moved`, (s) => listOffsets(s, 10, topic, 0, -2));
    await same(`v${v} beyond the high watermark`, (s) => del(s, 0, 6));
    await same(`v${v} backwards`, (s) => del(s, 0, 1));
    await same(`v${v} to the high watermark`, (s) => del(s, 0, -1));
    await same(`v${v} unknown partition`, (s) => del(s, 2, 0));
    await same(`v${v} fetch below the log start`, (s) => fetch(s, 12, topic, [{ partition: 0, fetchOffset: 0 }]));
  }
});

test('CreatePartitions v0 and v3: grow, shrink, same count, unknown topic, assignments', async () => {
  for (const v of [0, 3]) {
    const topic = `grow-v${v}`;
    await setUp([topicSpec(topic)]);
    const grow = (s: Side, count: number, assignments: { brokerIds: number[] }[] | null = null, name = topic, validateOnly = false) =>
      s.conn.request('CreatePartitions', v, { topics: [{ name, count, assignments }], timeoutMs: 10_000, validateOnly });
    await same(`v${v} validate only`, (s) => grow(s, 5, null, topic, true));
    await same(`v${v} grow to 3`, (s) => grow(s, 3));
    await same(`v${v} shrink to 2`, (s) => grow(s, 2));
    await same(`v${v} stay at 3`, (s) => grow(s, 3));
    await same(`v${v} wrong number of assignments`, (s) => grow(s, 5, [{ brokerIds: [1] }]));
    await same(`v${v} an unknown broker`, (s) => grow(s, 4, [{ brokerIds: [7] }]));
    await same(`v${v} unknown topic`, (s) => grow(s, 2, null, 'no-such-topic'));
    for (const s of sides) await untilLed(s, [topic]);
    await same(`v${v} what metadata says`, (s) => metadata(s, 12, [topic]));
  }
});

test('DeleteTopics v1 and v6: by name, unknown, duplicates, by id', async () => {
  await setUp(['doomed-v1', 'doomed-v6', 'doomed-by-id', 'twice-v1', 'twice-v6', 'twice-by-id'].map((name) => topicSpec(name)));
  const deleted = (res: any) => {
    res.responses.sort(byName);
    return res;
  };
  await same('v1', async (s) => deleted(await s.conn.request('DeleteTopics', 1, { topicNames: ['doomed-v1', 'no-such-topic', 'twice-v1', 'twice-v1'], timeoutMs: 10_000 })));
  await same('v6 by name', async (s) => deleted(await s.conn.request('DeleteTopics', 6, { topics: ['doomed-v6', 'no-such-topic', 'twice-v6', 'twice-v6'].map((name) => ({ name, topicId: ZERO_UUID })), timeoutMs: 10_000 })));
  const unknownId = randomBytes(16).toString('base64url');
  await same('v6 by id', async (s) => {
    const [doomed, twice] = [await topicId(s, 'doomed-by-id'), await topicId(s, 'twice-by-id')];
    const topics = [doomed, unknownId, twice, twice, ZERO_UUID].map((id) => ({ name: null as string | null, topicId: id }));
    topics.push({ name: 'doomed-by-id', topicId: doomed });
    const res = await s.conn.request('DeleteTopics', 6, { topics, timeoutMs: 10_000 });
    // By id, results carry no name: sorted by error and then by which id they name.
    const which = new Map([[doomed, 'doomed'], [twice, 'twice'], [unknownId, 'unknown'], [ZERO_UUID, 'zero']]);
    return res.responses.map((r: any) => ({ ...r, topicId: which.get(r.topicId) ?? r.topicId }))
      .sort((a: any, b: any) => a.topicId.localeCompare(b.topicId) || a.errorCode - b.errorCode);
  });
  await same('gone', (s) => metadata(s, 12, ['doomed-v1', 'doomed-v6', 'doomed-by-id', 'twice-v1', 'twice-v6', 'twice-by-id']));
});

test('DescribeCluster v0, v1 and v2', async () => {
  for (const v of [0, 1, 2]) {
    await same(`v${v}`, (s) => s.conn.request('DescribeCluster', v, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false }));
  }
  await same('v2 controllers', (s) => s.conn.request('DescribeCluster', 2, { includeClusterAuthorizedOperations: false, endpointType: 2, includeFencedBrokers: false }));
  await same('v2 an unknown endpoint type', (s) => s.conn.request('DescribeCluster', 2, { includeClusterAuthorizedOperations: false, endpointType: 3, includeFencedBrokers: false }));
});

test('Kafka 4.4 versions: Produce v13 and the offset APIs v10 by topic id, ApiVersions v5 targets, DeleteGroups v3, DescribeLogDirs v5', async () => {
  await setUp([topicSpec('by-id', 2)]);
  const unknownId = 'AAAAAAAAAAAAAAAAAAAAAB';
  const idOf = async (s: Side, name: string): Promise<string> => (await metadata(s, 12, [name])).topics[0].topicId;
  const produceById = async (s: Side, topicId: string, index: number, records: Buffer) =>
    s.conn.request('Produce', 13, { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ topicId, partitionData: [{ index, records }] }] });
  const produced: any = await same('Produce v13 by id', async (s) => produceById(s, await idOf(s, 'by-id'), 1, batch(0, 3)));
  assert.is(produced.responses[0].partitionResponses[0].baseOffset, 0);
  await same('Produce v13 an unknown partition', async (s) => produceById(s, await idOf(s, 'by-id'), 5, batch(0, 1)));
  await same('Produce v13 an unknown id', (s) => produceById(s, unknownId, 0, batch(0, 1)));
  await same('what v13 stored', (s) => fetch(s, 18, 'by-id', [{ partition: 1, fetchOffset: 0 }]));

  // ApiVersions v5: a client may name the cluster and node it means to reach.
  await same('ApiVersions v5 targets', async (s) => {
    const md = await s.conn.request('Metadata', 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const ask = async (clusterId: string | null, nodeId: number) => {
      const r = await s.conn.request('ApiVersions', 5, { clientSoftwareName: 'differential', clientSoftwareVersion: '1', clusterId, nodeId });
      return { errorCode: r.errorCode, apis: r.apiKeys.length > 0 };
    };
    return [await ask(md.clusterId, md.controllerId), await ask('another-cluster', 1), await ask(md.clusterId, 9), await ask(null, 1), await ask(md.clusterId, -1), await ask(null, -1)];
  });

  // The group coordinator comes up a moment after the first FindCoordinator on Kafka.
  for (const s of sides) {
    for (let i = 0; ; i++) {
      const r = await s.conn.request('FindCoordinator', 4, { keyType: 0, coordinatorKeys: ['by-id-group'] });
      if (r.coordinators[0]!.errorCode === 0) break;
      if (i > 150) throw new Error(`${s.name}: no group coordinator`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const commit = async (s: Side, topicId: string, partitionIndex: number, committedOffset: number) => {
    for (let i = 0; ; i++) {
      const r = await s.conn.request('OffsetCommit', 10, {
        groupId: 'by-id-group', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null,
        topics: [{ topicId, partitions: [{ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: 'm' }] }],
      });
      // Kafka's coordinator may still be taking up its partition (COORDINATOR_LOAD_IN_PROGRESS,
      // NOT_COORDINATOR for a moment after FindCoordinator found it): clients retry both.
      const code = r.topics[0]?.partitions[0]?.errorCode;
      if ((code !== 14 && code !== 16) || i > 100) return r;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  await same('OffsetCommit v10 by id', async (s) => commit(s, await idOf(s, 'by-id'), 1, 2));
  await same('OffsetCommit v10 an unknown partition', async (s) => commit(s, await idOf(s, 'by-id'), 7, 2));
  await same('OffsetCommit v10 an unknown id', (s) => commit(s, unknownId, 0, 2));
  const fetchOffsets = (s: Side, version: number, topics: { name?: string; topicId?: string; partitionIndexes: number[] }[] | null) =>
    s.conn.request('OffsetFetch', version, { groups: [{ groupId: 'by-id-group', memberId: null, memberEpoch: -1, topics }], requireStable: false });
  await same('OffsetFetch v10 by id', async (s) => fetchOffsets(s, 10, [{ topicId: await idOf(s, 'by-id'), partitionIndexes: [0, 1] }, { topicId: unknownId, partitionIndexes: [0] }]));
  await same('OffsetFetch v10 every topic', (s) => fetchOffsets(s, 10, null));
  await same('OffsetFetch v9 by name', (s) => fetchOffsets(s, 9, [{ name: 'by-id', partitionIndexes: [1] }]));

  await same('DeleteGroups v3', (s) => s.conn.request('DeleteGroups', 3, { groupsNames: ['by-id-group', 'no-such-group'] })
    .then((r) => ({ ...r, results: [...r.results].sort((a, b) => a.groupId.localeCompare(b.groupId)) })));
  await same('DescribeLogDirs v5', async (s) => {
    const r = await s.conn.request('DescribeLogDirs', 5, { topics: [{ topic: 'by-id', partitions: [0, 1] }] });
    // Each broker has its own directory and disk; the shape and the flags are compared.
    // Kafka lists partitions in its own map's order: compared sorted.
    return r.results.map((d) => ({ errorCode: d.errorCode, isCordoned: d.isCordoned, sized: d.totalBytes > 0 && d.usableBytes > 0, topics: d.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => [p.partitionIndex, p.offsetLag, p.isFutureKey]).sort() })) }));
  });
});

test('unsupported versions: ApiVersions v99 gets UNSUPPORTED_VERSION, an unsupported Produce closes the connection', async () => {
  await same('ApiVersions v99', async (s) => {
    // A header v2, as a client sends for an ApiVersions version newer than it knows the broker has.
    const r = await rawExchange(s.port, rawRequest(18, 99, 7, Buffer.from([0, 0, 0]), true));
    assert.is(r.closed, false, `${s.name} answers`);
    const { correlationId, body } = decodeResponse(api('ApiVersions'), 0, (r as { frame: Buffer }).frame);
    // Kafka lists every API it has; outpost, only those it serves (checked above against Kafka's).
    return { correlationId, errorCode: body.errorCode, apiVersions: body.apiKeys.find((k: any) => k.apiKey === 18) };
  });
  // Kafka 4.4 advertises Produce v0-v2 but refuses them: a well-formed v2 request closes the
  // connection like a version it never heard of.
  await same('Produce v2', (s) => rawExchange(s.port, produceV2()));
  for (const version of [14, 99]) {
    await same(`Produce v${version}`, (s) => rawExchange(s.port, rawRequest(0, version, 8, Buffer.alloc(16))));
  }
});

test('DescribeProducers: an idempotent Java producer\'s state, as kafka-transactions describe-producers shows it', async () => {
  await same('describe-producers', async (s) => {
    const bootstrap = `127.0.0.1:${s.port}`;
    const created = await kafkaTopics({ bootstrap }, ['--create', '--topic', 'producers', '--partitions', '1', '--replication-factor', '1']);
    assert.is(created.code, 0, created.stderr);
    const produced = await javaClient('ProduceRecords', ['--bootstrap', bootstrap, '--topic', 'producers', '--count', '10', '--prop', 'enable.idempotence=true', '--prop', 'acks=all']);
    assert.is(produced.code, 0, produced.stderr);
    const r = await javaTool('org.apache.kafka.tools.TransactionsCommand', ['--bootstrap-server', bootstrap, 'describe-producers', '--topic', 'producers', '--partition', '0']);
    assert.is(r.code, 0, r.stderr);
    // ProducerId ProducerEpoch LatestCoordinatorEpoch LastSequence LastTimestamp CurrentTransactionStartOffset:
    // the id and time differ from broker to broker; the rest must not.
    return r.stdout.trim().split('\n').slice(1).map((line) => {
      const [id, epoch, coordinatorEpoch, lastSequence, , txnStart] = line.trim().split(/\s+/);
      return { validId: Number(id) >= 0, epoch, coordinatorEpoch, lastSequence, txnStart };
    });
  });
  // A partition that does not exist is refused by name.
  await same('describe-producers of no such partition', async (s) => {
    const r = await s.conn.request('DescribeProducers', 0, { topics: [{ name: 'producers', partitionIndexes: [5] }] });
    return r.topics[0].partitions[0].errorCode;
  });
});

test.run();
