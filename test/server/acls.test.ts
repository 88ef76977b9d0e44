// ACLs, differentially: the same ACLs made with kafka-acls on a real Apache Kafka 4.4.0 running
// StandardAuthorizer and on outpost, then the same calls made as the same principals (SCRAM users
// made with kafka-configs on both) against both. The same calls succeed, the same errors come back, Metadata lists the same topics,
// and kafka-acls lists the same ACLs. ACLs survive a restart, and a produce to a mirror by a
// principal allowed to write is still refused as Kafka refuses a write to a read-only topic.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errorName } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { buildBatch } from '../../protocol/records/records.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { ScramMechanism } from '../../src/client/sasl/scram.js';
import { makeCerts, STORE_PASSWORD, type TestCerts } from '../peers/certs.js';
import { consoleProduce, createTopic, javaTool, startKafka, type KafkaPeer } from '../peers/kafka.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';
import { connectTo, highWatermarks, waitFor } from '../link/support.js';

const USERS = { admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret' } as const;
type User = keyof typeof USERS;
const TOPICS = ['orders', 'payments', 'public', 'secret'];

// Both brokers: a PLAINTEXT listener whose ANONYMOUS clients are super users (the tools, and
// Kafka's own inter-broker and controller traffic), and a SASL_PLAINTEXT one with SCRAM users.
const SECURITY = {
  'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'super.users': 'User:admin;User:ANONYMOUS',
  'listener.name.sasl.sasl.enabled.mechanisms': 'SCRAM-SHA-256',
  'listener.name.sasl.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
};

interface Broker {
  name: string;
  /** PLAINTEXT */
  bootstrap: string;
  saslPort: number;
}

interface Ctx {
  certs: TestCerts;
  kafka: KafkaPeer;
  outpost: TestBroker;
  sides: Broker[];
}

const test = suite<Ctx>('ACLs, against Kafka 4.4.0 with StandardAuthorizer');

test.before(async (ctx) => {
  ctx.certs = await makeCerts();
  [ctx.kafka, ctx.outpost] = await Promise.all([
    startKafka({ configs: SECURITY, listeners: [{ name: 'SASL', protocol: 'SASL_PLAINTEXT' }] }),
    startOutpost({
      configs: {
        ...SECURITY,
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL://127.0.0.1:0,SECURE://127.0.0.1:0',
        'advertised.listeners': 'SECURE://localhost:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT,SECURE:SASL_SSL',
        'listener.name.secure.sasl.enabled.mechanisms': 'SCRAM-SHA-256',
        'listener.name.secure.ssl.keystore.type': 'PKCS12',
        'listener.name.secure.ssl.keystore.location': ctx.certs.brokerP12,
        'listener.name.secure.ssl.keystore.password': STORE_PASSWORD,
      },
    }),
  ]);
  ctx.sides = [
    { name: 'kafka', bootstrap: ctx.kafka.bootstrap, saslPort: ctx.kafka.listenerPorts.SASL! },
    { name: 'outpost', bootstrap: ctx.outpost.bootstrap, saslPort: ctx.outpost.ports.SASL! },
  ];
  for (const side of ctx.sides) {
    for (const [user, password] of Object.entries(USERS)) {
      const r = await javaTool('org.apache.kafka.tools.ConfigCommand', ['--bootstrap-server', side.bootstrap, '--entity-type', 'users', '--entity-name', user, '--alter', '--add-config', `SCRAM-SHA-256=[password=${password}]`]);
      assert.is(r.code, 0, `${side.name}: kafka-configs for ${user}\n${r.stderr}`);
    }
    for (const t of TOPICS) await createTopic(side, t);
    for (const args of ACLS) {
      const r = await kafkaAcls(side, ['--add', ...args]);
      assert.is(r.code, 0, `${side.name}: kafka-acls --add ${args.join(' ')}\n${r.stderr}`);
    }
  }
});

test.after(async (ctx) => {
  await ctx.outpost?.destroy();
  await ctx.kafka?.stop();
});

const ACLS: string[][] = [
  ['--allow-principal', 'User:alice', '--operation', 'Read', '--topic', 'orders'],
  ['--allow-principal', 'User:alice', '--operation', 'Write', '--topic', 'pay', '--resource-pattern-type', 'prefixed'],
  ['--allow-principal', 'User:alice', '--operation', 'Read', '--topic', 'payments'],
  // DENY over ALLOW, for this host only; a DENY of READ does not deny DESCRIBE.
  ['--deny-principal', 'User:alice', '--deny-host', '127.0.0.1', '--operation', 'Read', '--topic', 'payments'],
  ['--allow-principal', 'User:alice', '--operation', 'Read', '--group', 'g1'],
  // Another host's ACL does not apply here.
  ['--allow-principal', 'User:alice', '--allow-host', '10.1.2.3', '--operation', 'All', '--topic', 'secret'],
  // Everyone may describe public.
  ['--allow-principal', 'User:*', '--operation', 'Describe', '--topic', 'public'],
  ['--allow-principal', 'User:bob', '--operation', 'AlterConfigs', '--topic', 'public'],
];

function kafkaAcls(side: { bootstrap: string }, args: string[]) {
  return javaTool('org.apache.kafka.tools.AclCommand', ['--bootstrap-server', side.bootstrap, ...args]);
}

async function as(side: Broker, user: User): Promise<KafkaConnection> {
  const c = await KafkaConnection.open('127.0.0.1', side.saslPort, { clientId: `acl-${user}` });
  await c.negotiate();
  await c.authenticate(new ScramMechanism(256, user, USERS[user]));
  return c;
}

/** Kafka's coordinators come up on first use: a call is retried while the answer says so. */
async function settled(call: () => Promise<number>): Promise<string> {
  for (let i = 0; ; i++) {
    const e = errorName(await call());
    if (i >= 50 || !['COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'NOT_COORDINATOR'].includes(e)) return e;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const batch = () => buildBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('v'), headers: [] }] });

/** The scenario: each call's outcome (an error name, or what was listed), as one principal. */
async function outcomes(side: Broker, user: User): Promise<Record<string, unknown>> {
  const c = await as(side, user);
  const out: Record<string, unknown> = {};
  try {
    const all = await c.request('Metadata', 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    out.metadataAll = all.topics.map((t) => t.name).filter((n) => !n!.startsWith('__')).sort();
    const named = await c.request('Metadata', 12, { topics: TOPICS.map((name) => ({ name, topicId: ZERO_UUID })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    out.metadataNamed = Object.fromEntries(named.topics.map((t) => [t.name, errorName(t.errorCode)]));
    // What the client may do, as Kafka reports it when asked (a bit per operation).
    const ops = await c.request('Metadata', 10, { topics: TOPICS.map((name) => ({ name, topicId: ZERO_UUID })), allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
    out.topicOperations = Object.fromEntries(ops.topics.map((t) => [t.name, t.topicAuthorizedOperations]));
    out.clusterOperations = ops.clusterAuthorizedOperations;
    out.describeClusterOperations = (await c.request('DescribeCluster', 1, { includeClusterAuthorizedOperations: true, endpointType: 1 })).clusterAuthorizedOperations;
    for (const topic of ['orders', 'payments']) {
      const p = await c.request('Produce', 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch() }] }] });
      out[`produce.${topic}`] = errorName(p.responses[0]!.partitionResponses[0]!.errorCode);
    }
    for (const topic of ['orders', 'payments', 'secret']) {
      const f = await c.request('Fetch', 12, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1 }] }],
        forgottenTopicsData: [], rackId: '',
      });
      out[`fetch.${topic}`] = errorName(f.responses[0]!.partitions[0]!.errorCode);
      const l = await c.request('ListOffsets', 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] });
      out[`listOffsets.${topic}`] = errorName(l.topics[0]!.partitions[0]!.errorCode);
    }
    for (const group of ['g1', 'g2']) {
      out[`findCoordinator.${group}`] = await settled(async () => (await c.request('FindCoordinator', 4, { key: '', keyType: 0, coordinatorKeys: [group] })).coordinators[0]!.errorCode);
    }
    const ct = await c.request('CreateTopics', 7, { topics: [{ name: `${user}-new`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: true });
    out.createTopics = errorName(ct.topics[0]!.errorCode);
    const dc = await c.request('DescribeConfigs', 4, { resources: ['orders', 'public'].map((resourceName) => ({ resourceType: 2, resourceName, configurationKeys: ['retention.ms'] })), includeSynonyms: false, includeDocumentation: false });
    out.describeConfigs = dc.results.map((r) => `${r.resourceName}:${errorName(r.errorCode)}`);
    const da = await c.request('DescribeAcls', 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
    out.describeAcls = errorName(da.errorCode);
    out.initProducerId = await settled(async () => (await c.request('InitProducerId', 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1, producerEpoch: -1 })).errorCode);
    const dt = await c.request('DeleteTopics', 6, { topics: [{ name: 'orders', topicId: ZERO_UUID }], timeoutMs: 5000 });
    out.deleteTopics = errorName(dt.responses[0]!.errorCode);
  } finally {
    c.close();
  }
  return out;
}

test('the same calls get the same answers from Kafka and outpost, as alice and as bob', async (ctx) => {
  for (const user of ['alice', 'bob'] as const) {
    const [kafka, outpost] = await Promise.all(ctx.sides.map((s) => outcomes(s, user)));
    assert.equal(outpost, kafka, `as ${user}`);
  }
});

/** kafka-acls --list, one line per ACL under its resource, sorted (the brokers order resources their own ways). */
async function listed(side: Broker): Promise<string[]> {
  const r = await kafkaAcls(side, ['--list']);
  assert.is(r.code, 0, r.stderr);
  const lines: string[] = [];
  let resource = '';
  for (const line of r.stdout.split('\n')) {
    const m = /^Current ACLs for resource `(.+)`:/.exec(line);
    if (m) resource = m[1]!;
    else if (line.trim().startsWith('(')) lines.push(`${resource} ${line.trim()}`);
  }
  return lines.sort();
}

test('kafka-acls lists the same ACLs, and removes them alike', async (ctx) => {
  const [kafka, outpost] = await Promise.all(ctx.sides.map(listed));
  assert.is(outpost.length, ACLS.length);
  assert.equal(outpost, kafka);
  for (const side of ctx.sides) {
    const r = await kafkaAcls(side, ['--remove', '--force', '--allow-principal', 'User:bob', '--operation', 'AlterConfigs', '--topic', 'public']);
    assert.is(r.code, 0, r.stderr);
  }
  const [kafkaAfter, outpostAfter] = await Promise.all(ctx.sides.map(listed));
  assert.is(outpostAfter.length, ACLS.length - 1);
  assert.equal(outpostAfter, kafkaAfter);
});

test('the Java console producer as alice: allowed where the ACLs say, TopicAuthorizationException elsewhere', async (ctx) => {
  const peer = { bootstrap: `127.0.0.1:${ctx.outpost.ports.SASL}` };
  const props = [
    '--command-property', 'security.protocol=SASL_PLAINTEXT', '--command-property', 'sasl.mechanism=SCRAM-SHA-256',
    '--command-property', `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="${USERS.alice}";`,
    '--command-property', 'delivery.timeout.ms=10000', '--command-property', 'request.timeout.ms=5000',
  ];
  const admin = await connectTo(ctx.outpost.port);
  const before = [await highWatermarks(admin, 'payments'), await highWatermarks(admin, 'orders')];
  const ok = await consoleProduce(peer, 'payments', ['from-java'], props);
  assert.is(ok.code, 0, ok.stderr);
  await consoleProduce(peer, 'orders', ['refused'], props);
  const after = [await highWatermarks(admin, 'payments'), await highWatermarks(admin, 'orders')];
  admin.close();
  assert.equal(after, [[before[0]![0]! + 1], before[1]], 'payments got the record; orders did not');
});

test('a mirror stays read-only to a principal allowed to write to it', async (ctx) => {
  const source = await startOutpost({ configs: { 'auto.create.topics.enable': 'true' } });
  try {
    const admin = await KafkaConnection.open('127.0.0.1', source.port);
    await admin.negotiate();
    await admin.request('CreateTopics', 7, { topics: [{ name: 'mirrored', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    admin.close();
    await ctx.outpost.links.createLink({ name: 'src', bootstrapServers: source.bootstrap, configs: {} });
    await ctx.outpost.links.createMirror('src', 'mirrored');
    const r = await kafkaAcls(ctx.sides[1]!, ['--add', '--allow-principal', 'User:alice', '--operation', 'Write', '--topic', 'mirrored']);
    assert.is(r.code, 0, r.stderr);
    const c = await as(ctx.sides[1]!, 'alice');
    const p = await c.request('Produce', 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'mirrored', partitionData: [{ index: 0, records: batch() }] }] });
    c.close();
    assert.is(errorName(p.responses[0]!.partitionResponses[0]!.errorCode), 'POLICY_VIOLATION');
    await kafkaAcls(ctx.sides[1]!, ['--remove', '--force', '--allow-principal', 'User:alice', '--operation', 'Write', '--topic', 'mirrored']);
  } finally {
    await source.destroy();
  }
});

test('kafka-acls over SASL_SSL as a SCRAM super user lists what it lists over PLAINTEXT', async (ctx) => {
  const props = join(ctx.certs.dir, 'admin.properties');
  writeFileSync(props, [
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-256',
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${USERS.admin}";`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${ctx.certs.caPem}`,
  ].join('\n') + '\n');
  const r = await kafkaAcls({ bootstrap: `localhost:${ctx.outpost.ports.SECURE}` }, ['--list', '--command-config', props]);
  assert.is(r.code, 0, r.stderr);
  const overTls = r.stdout.split('\n').filter((l) => l.trim().startsWith('(')).length;
  assert.is(overTls, (await listed(ctx.sides[1]!)).length);
});

test('ACL sync: a link copies the source\'s ACLs its filters choose', async (ctx) => {
  const standby = await startOutpost({ configs: { 'authorizer.class.name': SECURITY['authorizer.class.name'], 'super.users': 'User:ANONYMOUS' } });
  try {
    await standby.links.createLink({
      name: 'from-kafka',
      bootstrapServers: ctx.kafka.bootstrap,
      configs: {
        'acl.sync.enable': 'true',
        'acl.sync.ms': '500',
        'acl.filters': JSON.stringify({ aclFilters: [{ resourceFilter: { resourceType: 'topic', patternType: 'any' }, accessFilter: { principal: 'User:alice' } }] }),
      },
    });
    const kafkaTopicAcls = (await listed(ctx.sides[0]!)).filter((l) => l.includes('resourceType=TOPIC') && l.includes('principal=User:alice'));
    const conn = await connectTo(standby.port);
    const count = async () => (await conn.request('DescribeAcls', 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 })).resources.reduce((n, r) => n + r.acls.length, 0);
    await waitFor('the ACLs synced', async () => (await count()) === kafkaTopicAcls.length);
    conn.close();
    assert.equal(await listed({ name: 'standby', bootstrap: standby.bootstrap, saslPort: -1 }), kafkaTopicAcls);
  } finally {
    await standby.destroy();
  }
});

test('ACLs survive a restart', async (ctx) => {
  ctx.outpost = await ctx.outpost.restart();
  ctx.sides[1] = { name: 'outpost', bootstrap: ctx.outpost.bootstrap, saslPort: ctx.outpost.ports.SASL! };
  assert.is((await listed(ctx.sides[1])).length, ACLS.length - 1);
  const alice = await outcomes(ctx.sides[1], 'alice');
  assert.is(alice['produce.payments'], 'NONE');
  assert.is(alice['produce.orders'], 'TOPIC_AUTHORIZATION_FAILED');
});

test.run();
