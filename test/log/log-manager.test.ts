// LogManager: topics and their persistence, deletion, partitions, configs, the data directory's
// checkpoints and the clean-shutdown marker.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KafkaError } from '../../protocol/errors.js';
import { buildBatch } from '../../protocol/records/records.js';
import { LogManager } from '../../src/log/log-manager.js';
import type { TopicConfig } from '../../src/log/topic-config.js';
import { READ, batch, config, recordsIn, tempDir } from './support.js';

const NOW = 1_700_000_000_000;

/** A stand-in for src/config: a few Kafka names mapped onto Kafka's defaults, anything else refused. */
function resolveTopicConfig(overrides: Record<string, string>): TopicConfig {
  const out = config();
  for (const [name, value] of Object.entries(overrides)) {
    const n = Number(value);
    if (name === 'retention.ms') out.retentionMs = n;
    else if (name === 'segment.bytes') out.segmentBytes = n;
    else if (name === 'retention.bytes') out.retentionBytes = n;
    else if (name === 'message.timestamp.type') out.messageTimestampType = value as TopicConfig['messageTimestampType'];
    else if (name === 'cleanup.policy') Object.assign(out, { cleanupPolicy: value, minCleanableDirtyRatio: 0.01, minCompactionLagMs: 0 });
    else throw new Error(`Unknown topic config name: ${name}`);
  }
  return out;
}

async function withManager(fn: (dataDir: string, open: () => Promise<LogManager>) => Promise<void>): Promise<void> {
  const tmp = await tempDir();
  const opened: LogManager[] = [];
  const open = async () => {
    const m = await LogManager.open(tmp.path, { resolveTopicConfig, maxOpenFiles: 8 });
    opened.push(m);
    return m;
  };
  try {
    await fn(tmp.path, open);
  } finally {
    for (const m of opened) await m.close();
    await tmp.remove();
  }
}

async function rejects(p: Promise<unknown>, error: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, KafkaError);
    assert.is((e as KafkaError).error, error);
    return;
  }
  assert.unreachable(`expected ${error}`);
}

test('topics are created, listed, persisted and reloaded with their data', async () => {
  await withManager(async (dataDir, open) => {
    let m = await open();
    const info = await m.createTopic('orders', { partitions: 3, configs: { 'retention.ms': '60000' }, topicId: 'AAECAwQFBgcICQoLDA0ODw' });
    assert.equal(info, { name: 'orders', topicId: 'AAECAwQFBgcICQoLDA0ODw', partitions: 3, configs: { 'retention.ms': '60000' } });
    const generated = await m.createTopic('events', { partitions: 1 });
    assert.is(generated.topicId.length, 22);
    assert.equal(m.topics().map((t) => t.name).sort(), ['events', 'orders']);
    assert.is(m.topicById(generated.topicId)?.name, 'events');
    assert.is(m.topicConfig('orders')?.retentionMs, 60000);
    assert.is(m.getLog('orders', 3), undefined);
    assert.is(m.getLog('nope', 0), undefined);
    await m.getLog('orders', 2)!.appendAsLeader(batch(['x', 'y']), { leaderEpoch: 0, now: NOW });
    assert.is(await readFile(join(dataDir, 'orders-1', 'partition.metadata'), 'utf8'), 'version: 0\ntopic_id: AAECAwQFBgcICQoLDA0ODw\n');
    await m.close();
    assert.ok((await readdir(dataDir)).includes('.kafka_cleanshutdown'));

    m = await open();
    assert.not.ok((await readdir(dataDir)).includes('.kafka_cleanshutdown'), 'the marker goes as soon as the logs are loaded');
    assert.equal(m.topic('orders'), info);
    const log = m.getLog('orders', 2)!;
    assert.is(log.logEndOffset, 2);
    const r = await log.read(0, 1000, READ);
    assert.equal(recordsIn(r.ok ? r.chunks : []).map((x) => x.value), ['x', 'y']);
  });
});

test('topic creation refuses what Kafka refuses', async () => {
  await withManager(async (_dir, open) => {
    const m = await open();
    await m.createTopic('a.b', { partitions: 1 });
    await rejects(m.createTopic('a.b', { partitions: 1 }), 'TOPIC_ALREADY_EXISTS');
    await rejects(m.createTopic('a_b', { partitions: 1 }), 'INVALID_TOPIC_EXCEPTION');
    await rejects(m.createTopic('../evil', { partitions: 1 }), 'INVALID_TOPIC_EXCEPTION');
    await rejects(m.createTopic('..', { partitions: 1 }), 'INVALID_TOPIC_EXCEPTION');
    await rejects(m.createTopic('x'.repeat(250), { partitions: 1 }), 'INVALID_TOPIC_EXCEPTION');
    await rejects(m.createTopic('zero', { partitions: 0 }), 'INVALID_PARTITIONS');
    await rejects(m.createTopic('cfg', { partitions: 1, configs: { 'no.such.config': '1' } }), 'INVALID_CONFIG');
    assert.equal(m.topics().map((t) => t.name), ['a.b']);
  });
});

test('a deleted topic is gone, stays gone, and a new topic of the same name starts empty', async () => {
  await withManager(async (dataDir, open) => {
    let m = await open();
    await m.createTopic('t', { partitions: 2 });
    const old = m.getLog('t', 0)!;
    await old.appendAsLeader(batch(['old']), { leaderEpoch: 0, now: NOW });
    await m.deleteTopic('t');
    assert.is(m.getLog('t', 0), undefined);
    assert.is(m.topic('t'), undefined);
    const r = await old.appendAsLeader(batch(['late']), { leaderEpoch: 0, now: NOW });
    assert.is(!r.ok && r.error, 'NOT_LEADER_OR_FOLLOWER');
    await rejects(m.deleteTopic('t'), 'UNKNOWN_TOPIC_OR_PARTITION');
    await m.close();
    const left = (await readdir(dataDir)).filter((n) => n.startsWith('t-'));
    assert.equal(left, [], `left: ${left}`);
    m = await open();
    assert.is(m.topic('t'), undefined);
    await m.createTopic('t', { partitions: 1 });
    assert.is(m.getLog('t', 0)!.logEndOffset, 0);
  });
});

test('a topic re-created under a deleted one\'s name never sees the old files through the caches', async () => {
  await withManager(async (_dir, open) => {
    let m = await open();
    const fill = async (prefix: string, n: number) => {
      const log = m.getLog('t', 0)!;
      for (let i = 0; i < n; i++) await log.appendAsLeader(batch([`${prefix}${i}`, `${prefix}${i}+`]), { leaderEpoch: 0, now: NOW });
      for (let i = 0; i < 2 * n; i += 3) await log.read(i, 1, READ);
    };
    const check = async () => {
      const log = m.getLog('t', 0)!;
      assert.is(log.logEndOffset, 12);
      for (let i = 0; i < 12; i++) {
        const r = await log.read(i, 1, READ);
        const got = recordsIn(r.ok ? r.chunks : []).find((x) => x.offset === i);
        assert.is(got?.value, `new${Math.floor(i / 2)}${i % 2 ? '+' : ''}`, `offset ${i}`);
      }
    };
    // Few enough segments that all their handles are still cached when the topic goes.
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '300' } });
    await fill('old', 6);
    await m.deleteTopic('t');
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '300' } });
    await fill('new', 6);
    await check();
    await m.close();
    m = await open();
    await check();
  });
});

test('start-up removes -delete directories and sets aside directories no topic explains', async () => {
  await withManager(async (dataDir, open) => {
    let m = await open();
    await m.createTopic('kept', { partitions: 1 });
    await m.close();
    await mkdir(join(dataDir, 'gone-0.0123abcd-delete'));
    await mkdir(join(dataDir, 'unknown-0'));
    await writeFile(join(dataDir, 'unknown-0', '00000000000000000000.log'), '');
    // A directory of an earlier topic with the same name but another id.
    await mkdir(join(dataDir, 'kept-1'));
    m = await open();
    const names = await readdir(dataDir);
    assert.not.ok(names.includes('gone-0.0123abcd-delete'));
    assert.not.ok(names.includes('unknown-0'));
    assert.ok(names.some((n) => n.startsWith('unknown-0.') && n.endsWith('-stray')));
    assert.ok(names.some((n) => n.startsWith('kept-1.') && n.endsWith('-stray')));
    assert.ok(names.includes('kept-0'));
    assert.is(m.topics().length, 1);
  });
});

test('partitions are added, and configs altered, persistently', async () => {
  await withManager(async (_dir, open) => {
    let m = await open();
    await m.createTopic('t', { partitions: 1 });
    await m.createPartitions('t', 3);
    await rejects(m.createPartitions('t', 3), 'INVALID_PARTITIONS');
    await rejects(m.createPartitions('missing', 3), 'UNKNOWN_TOPIC_OR_PARTITION');
    assert.ok(m.getLog('t', 2));
    await m.alterTopicConfigs('t', { 'message.timestamp.type': 'LogAppendTime' });
    await rejects(m.alterTopicConfigs('t', { bogus: '1' }), 'INVALID_CONFIG');
    const r = await m.getLog('t', 1)!.appendAsLeader(batch(['a']), { leaderEpoch: 0, now: NOW });
    assert.is(r.ok && r.logAppendTime, NOW);
    await m.close();
    m = await open();
    assert.equal(m.topic('t'), { name: 't', topicId: m.topic('t')!.topicId, partitions: 3, configs: { 'message.timestamp.type': 'LogAppendTime' } });
    assert.is(m.getLog('t', 2)!.topicConfig.messageTimestampType, 'LogAppendTime');
  });
});

test('deleteRecordsBefore survives a restart, clean or not, through log-start-offset-checkpoint', async () => {
  await withManager(async (dataDir, open) => {
    let m = await open();
    await m.createTopic('t', { partitions: 2 });
    const log = m.getLog('t', 1)!;
    for (let i = 0; i < 10; i++) await log.appendAsLeader(batch([`v${i}`]), { leaderEpoch: 0, now: NOW });
    assert.equal(await log.deleteRecordsBefore(4), { ok: true, logStartOffset: 4 });
    assert.is(await readFile(join(dataDir, 'log-start-offset-checkpoint'), 'utf8'), '0\n2\nt 0 0\nt 1 4\n');
    // Not closed: a crash right after DeleteRecords answered.
    m = await open();
    assert.is(m.getLog('t', 1)!.logStartOffset, 4);
    const r = await m.getLog('t', 1)!.read(3, 100, READ);
    assert.is(!r.ok && r.error, 'OFFSET_OUT_OF_RANGE');
  });
});

test('retention runs for every log and advances their log start offsets', async () => {
  await withManager(async (_dir, open) => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '300', 'retention.ms': '1000' } });
    const log = m.getLog('t', 0)!;
    for (let i = 0; i < 20; i++) await log.appendAsLeader(batch([`v${i}`], { timestamp: NOW + i }), { leaderEpoch: 0, now: NOW });
    assert.is(await m.applyRetention(NOW), 0);
    assert.ok((await m.applyRetention(NOW + 5000)) > 0);
    assert.is(log.logStartOffset, 20);
    await m.flushIfNeeded(NOW);
    m.start();
  });
});

test('open segment files stay within maxOpenFiles while reading many segments', async () => {
  await withManager(async (_dir, open) => {
    const m = await open();
    await m.createTopic('t', { partitions: 2, configs: { 'segment.bytes': '200' } });
    for (const p of [0, 1]) {
      const log = m.getLog('t', p)!;
      for (let i = 0; i < 40; i++) await log.appendAsLeader(batch([`v${i}`]), { leaderEpoch: 0, now: NOW });
      assert.ok(log.segmentCount > 8);
    }
    const files = (m as unknown as { files: { openCount: number; maxOpen: number } }).files;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 40; i++) {
        for (const p of [0, 1]) {
          const r = await m.getLog('t', p)!.read(i, 1000, READ);
          assert.ok(r.ok && recordsIn(r.chunks).some((x) => x.value === `v${i}`));
          assert.ok(files.openCount <= files.maxOpen, `${files.openCount} open`);
        }
      }
    }
    // Concurrent reads of many segments: handles in use may briefly exceed the bound, then close.
    await Promise.all(Array.from({ length: 40 }, (_, i) => m.getLog('t', i % 2)!.read(i, 1000, READ)));
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(files.openCount <= files.maxOpen, `${files.openCount} open after the burst`);
  });
});

test('where each compacted log\'s last clean ended is checkpointed (cleaner-offset-checkpoint) and read back at start', async () => {
  await withManager(async (dataDir, open) => {
    let m = await open();
    await m.createTopic('table', { partitions: 1, configs: { 'cleanup.policy': 'compact', 'segment.bytes': '300' } });
    const log = m.getLog('table', 0)!;
    for (let i = 0; i < 40; i++) {
      const r = await log.appendAsLeader(buildBatch({ records: [{ key: Buffer.from(`k${i % 4}`), value: Buffer.from(`v${i}`), timestamp: NOW }], now: NOW }), { leaderEpoch: 0, now: NOW });
      assert.ok(r.ok);
    }
    assert.ok((await m.compact(NOW)) > 0);
    const cleanedTo = log.cleanedOffset;
    assert.ok(cleanedTo > 0);
    assert.match(await readFile(join(dataDir, 'cleaner-offset-checkpoint'), 'utf8'), new RegExp(`^0\n1\ntable 0 ${cleanedTo}\n`));
    await m.close();
    m = await open();
    assert.is(m.getLog('table', 0)!.cleanedOffset, cleanedTo);
    // Nothing new is dirty: the first pass after the restart has nothing to read.
    assert.is(await m.compact(NOW), 0);
  });
});

test.run();
