// A hand-rolled Metadata v1 round trip, used only to tell when a freshly started Kafka is ready.
// Hand-rolled on purpose: the readiness check of the *reference* broker must not depend on
// outpost's own protocol code (which is what the reference is there to test), and spawning a
// Java admin tool per poll would cost a JVM start each time.
import { connect } from 'node:net';

/**
 * Resolves with the node ids of the live (unfenced) brokers in the Metadata v1 response of the
 * broker at host:port, or rejects (connection refused, reset, timeout). A KRaft broker only lists
 * brokers that the controller has unfenced, so a broker listing itself is ready for clients.
 */
export function liveBrokerIds(host: string, port: number, timeoutMs = 2000): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => socket.destroy(new Error('metadata probe timed out')), timeoutMs);
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, ids?: number[]) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(ids!);
    };
    socket.on('error', (e) => done(e));
    socket.on('close', () => done(new Error('connection closed before a metadata response')));
    socket.on('connect', () => socket.write(metadataV1Request()));
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      // size(4) correlation_id(4) brokers: count(4), then each node_id(4) host(2+n) port(4) rack(2+n, -1: null)
      const correlationId = buf.readInt32BE(4);
      if (correlationId !== 1) return done(new Error(`unexpected correlation id ${correlationId}`));
      const ids: number[] = [];
      let o = 12;
      for (let i = buf.readInt32BE(8); i > 0; i--) {
        ids.push(buf.readInt32BE(o));
        o += 4;
        o += 2 + buf.readInt16BE(o) + 4;
        o += 2 + Math.max(0, buf.readInt16BE(o));
      }
      done(null, ids);
    });
  });
}

function metadataV1Request(): Buffer {
  const clientId = Buffer.from('outpost-probe');
  // Request header v1: api_key, api_version, correlation_id, client_id; body: topics = null (all).
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4);
  let o = 0;
  o = body.writeInt16BE(3, o); // Metadata
  o = body.writeInt16BE(1, o);
  o = body.writeInt32BE(1, o);
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  body.writeInt32BE(-1, o);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}
