// Round trips of every request and response at every version the definitions give, with random
// field values, plus the edge cases of the encoding (unknown tags, nulls, bad lengths).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allApis, api } from '../../protocol/apis.js';
import { UNKNOWN_TAGS, compileStruct, inVersions, strictMessages } from '../../protocol/codec.js';
import { decodeRequestBody, decodeResponse, encodeRequest, encodeResponse, readRequestHeaderStart, skipTaggedFields } from '../../protocol/frames.js';
import { definitions } from '../../protocol/messages/definitions.js';
import type { FieldDefinition } from '../../protocol/messages/types.js';
import { ProtocolError, Reader } from '../../protocol/primitives.js';

let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

function randomScalar(type: string): any {
  switch (type) {
    case 'bool': return rand() < 0.5;
    case 'int8': return int(-128, 127);
    case 'int16': return int(-32768, 32767);
    case 'uint16': return int(0, 65535);
    case 'int32': return int(-(2 ** 31), 2 ** 31 - 1);
    case 'uint32': return int(0, 2 ** 32 - 1);
    case 'int64': return int(-(2 ** 52), 2 ** 52);
    case 'float64': return rand() * 1e6;
    case 'string': return 'é'.repeat(int(0, 3)) + Math.floor(rand() * 1e6).toString(36);
    case 'bytes': return Buffer.from([int(0, 255), int(0, 255)]);
    case 'uuid': return Buffer.from(Array.from({ length: 16 }, () => int(0, 255))).toString('base64url');
    case 'records': return Buffer.from('records-' + int(0, 1000));
  }
  throw new Error(type);
}

function randomStruct(fields: FieldDefinition[], version: number, depth = 0): any {
  const out: any = {};
  for (const f of fields) {
    if (!inVersions(f.v, version)) continue;
    if (inVersions(f.nv, version) && rand() < 0.2) {
      out[f.n] = null;
    } else if (f.t === 'struct') {
      out[f.n] = randomStruct(f.f!, version, depth + 1);
    } else if (f.t.startsWith('[]')) {
      const n = depth > 3 ? 0 : int(0, 2);
      out[f.n] = Array.from({ length: n }, () => (f.t === '[]struct' ? randomStruct(f.f!, version, depth + 1) : randomScalar(f.t.slice(2))));
    } else {
      out[f.n] = randomScalar(f.t);
    }
  }
  return out;
}

// Compare only the fields the version carries: decoding fills the others with defaults.
function strip(value: any, fields: FieldDefinition[], version: number): any {
  if (value === null) return null;
  const out: any = {};
  for (const f of fields) {
    if (!inVersions(f.v, version)) continue;
    const v = value[f.n];
    if (f.t === 'struct') out[f.n] = strip(v, f.f!, version);
    else if (f.t === '[]struct') out[f.n] = v === null ? null : v.map((e: any) => strip(e, f.f!, version));
    else out[f.n] = Buffer.isBuffer(v) ? v.toString('hex') : v;
  }
  return out;
}

const concat = (parts: Buffer[]) => Buffer.concat(parts);

test('every request and response round-trips at every version', () => {
  let checked = 0;
  for (const def of definitions) {
    const a = api(def.name);
    for (let v = a.minVersion; v <= a.maxVersion; v++) {
      for (let round = 0; round < 3; round++) {
        const req = randomStruct(def.request, v);
        const frame = concat(encodeRequest(a, v, { correlationId: 7, clientId: 'c' }, req));
        assert.is(frame.readInt32BE(0), frame.length - 4, `${def.name} v${v} size prefix`);
        const r = new Reader(frame, 4);
        const h = readRequestHeaderStart(r);
        assert.equal([h.apiKey, h.apiVersion, h.correlationId, h.clientId], [a.key, v, 7, 'c']);
        if (a.isFlexible(v)) skipTaggedFields(r);
        const back = decodeRequestBody(a, v, r) as any;
        assert.equal(strip(back, def.request, v), strip(req, def.request, v), `${def.name}Request v${v}`);

        const res = randomStruct(def.response, v);
        const rframe = concat(encodeResponse(a, v, 9, res));
        const decoded = decodeResponse(a, v, rframe.subarray(4));
        assert.is(decoded.correlationId, 9);
        assert.equal(strip(decoded.body, def.response, v), strip(res, def.response, v), `${def.name}Response v${v}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 500, `checked ${checked}`);
});

test('records are spliced by reference, not copied', () => {
  const produce = api('Produce');
  const records = Buffer.from('the-batch-bytes');
  const body = { transactionalId: null, acks: 1, timeoutMs: 100, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] };
  const parts = encodeRequest(produce, 9, { correlationId: 1, clientId: null }, body);
  assert.ok(parts.includes(records), 'the caller buffer is one of the frame pieces');
  const frame = Buffer.concat(parts);
  const r = new Reader(frame, 4);
  readRequestHeaderStart(r);
  skipTaggedFields(r);
  const back = decodeRequestBody(produce, 9, r) as any;
  const got: Buffer = back.topicData[0].partitionData[0].records;
  assert.is(got.buffer, frame.buffer, 'decoded records are a view into the frame');
  assert.is(got.toString(), 'the-batch-bytes');
});

test('unknown tagged fields survive a decode and re-encode', () => {
  const fetch = api('Fetch');
  const codec = fetch.response(12);
  const body = codec.make();
  body[UNKNOWN_TAGS] = [[5, Buffer.from([1, 2, 3])], [99, Buffer.from('x')]];
  const frame = Buffer.concat(encodeResponse(fetch, 12, 1, body));
  const back = decodeResponse(fetch, 12, frame.subarray(4)).body;
  assert.equal(back[UNKNOWN_TAGS], [[5, Buffer.from([1, 2, 3])], [99, Buffer.from('x')]]);
  const again = Buffer.concat(encodeResponse(fetch, 12, 1, back));
  assert.ok(again.equals(frame));
});

test('known tagged fields are written only when they differ from the default', () => {
  const meta = api('Produce').response(10);
  const body = meta.make();
  body.responses = [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 5, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null }] }];
  const plain = Buffer.concat(encodeResponse(api('Produce'), 10, 1, body));
  body.responses[0].partitionResponses[0].currentLeader = { leaderId: 1, leaderEpoch: 3 };
  const tagged = Buffer.concat(encodeResponse(api('Produce'), 10, 1, body));
  assert.ok(tagged.length > plain.length);
  const back = decodeResponse(api('Produce'), 10, tagged.subarray(4)).body;
  assert.equal(back.responses[0].partitionResponses[0].currentLeader, { leaderId: 1, leaderEpoch: 3 });
  const noTag = decodeResponse(api('Produce'), 10, plain.subarray(4)).body;
  assert.equal(noTag.responses[0].partitionResponses[0].currentLeader, { leaderId: -1, leaderEpoch: -1 });
});

test('fields absent from a version decode as their defaults', () => {
  const a = api('ListOffsets');
  const req = { replicaId: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1 }] }] };
  const frame = Buffer.concat(encodeRequest(a, 1, { correlationId: 1, clientId: 'x' }, req));
  const r = new Reader(frame, 4);
  readRequestHeaderStart(r);
  const back = decodeRequestBody(a, 1, r) as any;
  assert.is(back.isolationLevel, 0);
  assert.is(back.topics[0].partitions[0].currentLeaderEpoch, -1);
});

test('malformed input is a ProtocolError, never a hang or a huge allocation', () => {
  const a = api('Metadata');
  const codec = a.request(12);
  // An array length of two billion with four bytes left.
  const lying = Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  assert.throws(() => compileStruct(definitions.find((d) => d.name === 'Metadata')!.request, 4, false).read(new Reader(lying)), (e: unknown) => e instanceof ProtocolError);
  assert.throws(() => codec.read(new Reader(Buffer.from([0x05]))), (e: unknown) => e instanceof ProtocolError);
});

test('bytes after a well-formed request body are ignored, as by Kafka', () => {
  const a = api('Metadata');
  const body = { topics: null, allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false };
  const frame = Buffer.concat(encodeRequest(a, 12, { correlationId: 1, clientId: null }, body));
  const r = new Reader(Buffer.concat([frame, Buffer.from([1, 2])]), 4);
  readRequestHeaderStart(r);
  skipTaggedFields(r);
  const got = decodeRequestBody(a, 12, r) as typeof body;
  assert.equal({ topics: got.topics, allowAutoTopicCreation: got.allowAutoTopicCreation }, { topics: null, allowAutoTopicCreation: true });
});

test('every API with a request also has a response definition', () => {
  for (const a of allApis()) {
    if (a.maxVersion < a.minVersion) continue; // only an unstable version so far
    assert.ok(a.response(a.minVersion), a.name);
  }
});

test.run();

test('in strict mode the encoder refuses a field the message does not have', () => {
  strictMessages(true);
  try {
    const codec = api('Metadata').response(12);
    const good = { throttleTimeMs: 0, brokers: [], clusterId: null, controllerId: 1, topics: [] };
    assert.ok(codec.size(good, { spliced: 0 }) > 0);
    // A field of another version is known; a misspelling, at any depth, is not.
    assert.ok(codec.size({ ...good, errorCode: 0 }, { spliced: 0 }) > 0);
    assert.throws(() => codec.size({ ...good, controllerID: 1 }, { spliced: 0 }), (e: Error) => e instanceof ProtocolError && /has no field controllerID/.test(e.message));
    const topic = { errorCode: 0, name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [], isrNodes: [], offlineReplica: [] }], topicAuthorizedOperations: 0 };
    assert.throws(() => codec.size({ ...good, topics: [topic] }, { spliced: 0 }), /partitions has no field offlineReplica/);
  } finally {
    strictMessages(false);
  }
});
