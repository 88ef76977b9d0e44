// librdkafka's balanced consumer (kcat -G) against outpost as its group coordinator: it reads
// every record once, commits where it stopped, and a second run of the group reads nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { kcat } from '../peers/kcat.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

let broker: TestBroker;

test.before(async () => {
  broker = await startOutpost({ configs: { 'group.min.session.timeout.ms': '1000', 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '4' } });
});

test.after(async () => {
  await broker.destroy();
});

/** One run of the group: from the committed offsets (or the beginning), until every partition's end. */
function consumeGroup(group: string, topic: string) {
  return kcat(['-b', broker.bootstrap, '-G', group, '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000', '-e', '-q', '-f', '%p:%o:%s\\n', topic], { timeoutMs: 30_000 });
}

test('a balanced consumer reads every record once and resumes from its commits', async () => {
  const kafka = new Kafka({ clientId: 'kcat-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    await admin.createTopics({ topics: [{ topic: 'kcat-group', numPartitions: 3 }] });
    await producer.send({ topic: 'kcat-group', messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `v${i}` })) });

    const first = await consumeGroup('kcat', 'kcat-group');
    assert.is(first.code, 0, first.stderr);
    const lines = first.stdout.split('\n').filter((l) => l !== '');
    assert.is(lines.length, 30);
    assert.is(new Set(lines).size, 30, 'no record twice');
    assert.equal(lines.map((l) => l.split(':')[2]).sort(), Array.from({ length: 30 }, (_, i) => `v${i}`).sort());

    const [committed] = await admin.fetchOffsets({ groupId: 'kcat', topics: ['kcat-group'] });
    assert.equal(committed!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '10'], [1, '10'], [2, '10']]);

    const second = await consumeGroup('kcat', 'kcat-group');
    assert.is(second.code, 0, second.stderr);
    assert.is(second.stdout, '', 'everything was read and committed already');
  } finally {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
});

test.run();
