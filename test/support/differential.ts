// Differential testing: the same request, sent with outpost's own client at the same API version to
// a real Apache Kafka and to outpost, and the two responses compared field by field once what must
// differ between two brokers has been normalised away (normalise() lists each such field).
import { connect } from 'node:net';
import { BatchHeader, iterateBatches } from '../../protocol/records/batch.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';

export interface Side {
  name: 'kafka' | 'outpost';
  port: number;
  conn: KafkaConnection;
}

export async function openSide(name: Side['name'], port: number): Promise<Side> {
  const conn = await KafkaConnection.open('127.0.0.1', port, { clientId: 'differential' });
  await conn.negotiate();
  return { name, port, conn };
}

/** Each record batch of a records field, with the header fields a reader of a diff needs. */
function describeRecords(records: Buffer | readonly Buffer[]): unknown[] {
  const buf = Buffer.isBuffer(records) ? records : Buffer.concat(records);
  const out: unknown[] = [];
  const it = iterateBatches(buf);
  for (let r = it.next(); ; r = it.next()) {
    if (r.done) {
      // A fetch response may end in a partial batch; its bytes are compared like the rest.
      if (r.value.pos < buf.length) out.push({ partial: buf.subarray(r.value.pos).toString('hex') });
      return out;
    }
    const h = new BatchHeader(buf, r.value.pos);
    out.push({ baseOffset: h.baseOffset, lastOffset: h.lastOffset, epoch: h.partitionLeaderEpoch, attributes: h.attributes, bytes: buf.subarray(h.pos, h.end).toString('hex') });
  }
}

/**
 * A response with the fields that legitimately differ between two brokers replaced by
 * placeholders (a placeholder still says whether the field was set):
 * - clusterId, topicId: each broker makes up its own (an empty cluster id and a zero topic id,
 *   which say "none", are kept);
 * - port: each broker listens on its own free port (both advertise 127.0.0.1 and node id 1);
 * - sessionId: fetch session ids are each broker's own (0, "no session", is kept);
 * - throttleTimeMs: quotas are not compared;
 * - logAppendTimeMs, when set: the brokers' clocks (every other timestamp comes from the test).
 * Record data is shown batch by batch, and compared byte for byte.
 */
export function normalise(value: unknown, key = ''): unknown {
  if (value === null || value === undefined) return value;
  if (Buffer.isBuffer(value) || (Array.isArray(value) && key === 'records')) return describeRecords(value as Buffer | Buffer[]);
  if (Array.isArray(value)) return value.map((v) => normalise(v));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalise(v, k);
    return out;
  }
  switch (key) {
    case 'clusterId':
      return value === '' ? value : '<cluster id>';
    case 'topicId':
      return value === ZERO_UUID ? value : '<topic id>';
    case 'port':
      return '<port>';
    case 'sessionId':
      return value === 0 ? 0 : '<session id>';
    case 'throttleTimeMs':
      return 0;
    case 'logAppendTimeMs':
      return (value as number) >= 0 ? '<append time>' : value;
    default:
      return value;
  }
}

/**
 * Writes one raw request frame on a fresh connection and reports what came back: the response
 * frame, or that the broker closed the connection without one.
 */
export function rawExchange(port: number, frame: Buffer, timeoutMs = 10_000): Promise<{ closed: true } | { closed: false; frame: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer and no close from port ${port} in ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (r: { closed: true } | { closed: false; frame: Buffer }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    socket.on('connect', () => socket.write(frame));
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) done({ closed: false, frame: buf.subarray(4, 4 + buf.readInt32BE(0)) });
    });
    socket.on('error', () => done({ closed: true }));
    socket.on('close', () => done({ closed: true }));
  });
}

/**
 * A request frame with the given body bytes: header v1, or v2 (an empty tagged-field section after
 * the client id) with `flexible`, as a client sends for versions it takes to be flexible.
 */
export function rawRequest(apiKey: number, apiVersion: number, correlationId: number, body: Buffer, flexible = false): Buffer {
  const clientId = Buffer.from('differential');
  const head = Buffer.alloc(4 + 2 + 2 + 4 + 2);
  const tags = Buffer.from(flexible ? [0] : []);
  head.writeInt32BE(head.length - 4 + clientId.length + tags.length + body.length, 0);
  head.writeInt16BE(apiKey, 4);
  head.writeInt16BE(apiVersion, 6);
  head.writeInt32BE(correlationId, 8);
  head.writeInt16BE(clientId.length, 12);
  return Buffer.concat([head, clientId, tags, body]);
}
