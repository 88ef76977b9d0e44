// Random and mutated frames thrown at a running broker: it never crashes, and a client on another
// connection is served correctly throughout. Bounded in count; seeded, so a failure reproduces.
// The structure-aware run here is the short one; `npm run bench -- fuzz` runs a million frames.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { allApis } from '../../protocol/apis.js';
import { encodeRequest } from '../../protocol/frames.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { fuzz, Witness } from '../support/fuzz-runner.js';
import { startOutpost, type TestBroker } from '../support/outpost.js';

let seed = Number(process.env.FUZZ_SEED ?? 20261124);
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const int = (n: number) => Math.floor(rand() * n);

let broker: TestBroker;
let witness: KafkaConnection;

test.before(async () => {
  broker = await startOutpost({ configs: { 'socket.request.max.bytes': String(1024 * 1024) } });
  witness = await KafkaConnection.open('127.0.0.1', broker.port);
  await witness.negotiate();
  const res = await witness.request('CreateTopics', 7, { topics: [{ name: 'fuzz', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
  assert.is(res.topics[0].errorCode, 0);
});

test.after(async () => {
  witness.close();
  await broker.destroy();
});

/** Sends bytes on a fresh connection; resolves when the broker closes it or after a short while. */
function throwAt(bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: broker.port });
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const timer = setTimeout(done, 200);
    s.on('error', done);
    s.on('close', done);
    s.on('data', () => {});
    s.on('connect', () => s.write(bytes));
  });
}

function validFrame(): Buffer {
  const apis = allApis().filter((a) => a.maxVersion >= a.minVersion);
  const a = apis[int(apis.length)]!;
  const v = a.minVersion + int(a.maxVersion - a.minVersion + 1);
  return Buffer.concat(encodeRequest(a, v, { correlationId: int(1000), clientId: 'fuzz' }, a.request(v).make()));
}

function mutate(frame: Buffer): Buffer {
  const out = Buffer.from(frame);
  switch (int(4)) {
    case 0: // flip bytes, keeping the size prefix so the broker reads the whole frame
      for (let i = 0; i < 1 + int(8); i++) out[4 + int(Math.max(1, out.length - 4))] = int(256);
      return out;
    case 1: // truncate the body but claim the original size in a shorter frame
      return Buffer.concat([Buffer.from([0, 0, 0, Math.max(0, out.length - 4 - 3)]), out.subarray(4, out.length - 3)]);
    case 2: // lie about the size
      out.writeInt32BE(int(2) ? -1 - int(100) : 0x7fffffff, 0);
      return out;
    default: // append garbage inside the frame
      return Buffer.concat([(() => { const b = Buffer.alloc(4); b.writeInt32BE(out.length - 4 + 5); return b; })(), out.subarray(4), Buffer.from([1, 2, 3, 4, 5])]);
  }
}

async function witnessStillServed(i: number): Promise<void> {
  const md = await witness.request('Metadata', 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'fuzz' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  assert.is(md.topics[0].errorCode, 0, `witness after case ${i}`);
}

test('random bytes, random frames and mutated valid frames never take the broker down', async () => {
  for (let i = 0; i < 300; i++) {
    let bytes: Buffer;
    const kind = int(3);
    if (kind === 0) bytes = Buffer.from(Array.from({ length: 1 + int(64) }, () => int(256)));
    else if (kind === 1) {
      const body = Buffer.from(Array.from({ length: int(64) }, () => int(256)));
      const head = Buffer.alloc(4);
      head.writeInt32BE(body.length);
      bytes = Buffer.concat([head, body]);
    } else bytes = mutate(validFrame());
    await throwAt(bytes);
    if (i % 25 === 0) await witnessStillServed(i);
  }
  await witnessStillServed(300);
});

test('structure-aware requests of every API and version: no crash, the witness undisturbed, its data whole after a restart', async () => {
  const w = await Witness.start(broker.port, 'fuzz-witness');
  const frames = Number(process.env.FUZZ_FRAMES ?? 4000);
  const run = await fuzz({ port: broker.port, frames, seed: Number(process.env.FUZZ_SEED ?? 20261202) });
  const report = await w.stop();
  assert.is(run.sent, frames);
  assert.equal(report.disturbances, [], 'the witness was never disturbed');
  assert.ok(report.produced > 0);
  witness.close();
  broker = await broker.restart();
  witness = await KafkaConnection.open('127.0.0.1', broker.port);
  await witness.negotiate();
  assert.equal(await w.missingAfter(broker.port), [], 'every acknowledged witness record read back after the restart');
});

test('an oversized frame closes only its own connection', async () => {
  const head = Buffer.alloc(4);
  head.writeInt32BE(2 * 1024 * 1024);
  await throwAt(Buffer.concat([head, Buffer.alloc(100)]));
  await witnessStillServed(-1);
});

test('an unknown API key or version closes the connection; ApiVersions answers UNSUPPORTED_VERSION with its list', async () => {
  const conn = await KafkaConnection.open('127.0.0.1', broker.port);
  const res = await conn.request('ApiVersions', 4, {}).catch((e) => e);
  assert.is(res.errorCode, 0);
  conn.close();
  // ApiVersions v99: answered in v0 layout with error 35 and the supported list.
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: broker.port });
    const chunks: Buffer[] = [];
    s.on('data', (d) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) { s.destroy(); resolve(all); }
    });
    s.on('error', reject);
    const body = Buffer.alloc(4 + 2 + 2 + 4 + 2);
    body.writeInt32BE(10, 0); body.writeInt16BE(18, 4); body.writeInt16BE(99, 6); body.writeInt32BE(5, 8); body.writeInt16BE(-1, 12);
    s.on('connect', () => s.write(body));
  });
  assert.is(raw.readInt32BE(4), 5, 'correlation id');
  assert.is(raw.readInt16BE(8), 35, 'UNSUPPORTED_VERSION');
  assert.ok(raw.readInt32BE(10) > 5, 'lists its APIs');
  await witnessStillServed(-2);
});

test.run();
