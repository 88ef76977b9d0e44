// outpost's own Kafka client connection, built on protocol/: the cluster link fetches through it,
// and the tests use it to send exact requests to outpost and to Apache Kafka alike. Requests may
// be pipelined; responses are matched to requests by correlation id, in order. A connection may
// run over TLS and be SASL-authenticated; when the broker limits the session's lifetime (KIP-368)
// the connection authenticates again before it ends, in place: requests made meanwhile wait for
// it, and nothing in flight is lost.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { api as apiByName, type Api } from '../../protocol/apis.js';
import { API_VERSIONS_KEY, FrameTooLarge, decodeResponse, encodeRequest } from '../../protocol/frames.js';
import type { ApiMessages, ApiName } from '../../protocol/messages/messages.js';
import type { Decoded } from '../../protocol/messages/types.js';
import { FrameReader } from './frame-reader.js';
import { authenticate } from './sasl/authenticate.js';
import type { SaslMechanism } from './sasl/mechanism.js';
import { describeTlsError, type ClientTls } from './tls-material.js';

interface Pending {
  api: Api;
  version: number;
  correlationId: number;
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
}

export interface ConnectionOptions {
  clientId?: string;
  /** largest response frame accepted */
  maxFrameBytes?: number;
  connectTimeoutMs?: number;
  /** TLS (tls-material.ts), for SSL and SASL_SSL */
  tls?: ClientTls;
  /** told each time the connection has authenticated again (KIP-368) */
  onReauthenticated?: () => void;
}

export class ConnectionClosed extends Error {}

/** The broker answered with TLS records: its listener expects TLS. */
class TlsAnswered extends Error {}

/** The fraction of a SASL session's lifetime after which it is renewed, as Kafka's client picks it. */
const reauthFraction = () => 0.85 + 0.1 * Math.random();

export class KafkaConnection {
  private nextCorrelationId = 1;
  private readonly pending: Pending[] = [];
  private closedWith: Error | null = null;
  /** the broker's version range per API key, once negotiate() ran */
  versions = new Map<number, { min: number; max: number }>();
  private sasl: SaslMechanism | null = null;
  /** when to authenticate again (ms since the epoch), or null: never */
  private reauthAt: number | null = null;
  /** a re-authentication under way: requests wait for it */
  private authGate: Promise<void> | null = null;

  private constructor(private readonly socket: Socket, private readonly opts: ConnectionOptions, private readonly where: string) {
    socket.on('close', () => this.fail(new ConnectionClosed('connection closed by the broker')));
    // After the handshake, only TLS alerts (a client certificate refused, under TLS 1.3) are TLS's doing.
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(opts.tls && err.code?.startsWith('ERR_SSL') ? new Error(describeTlsError(err, where, opts.tls)) : err));
  }

  static open(host: string, port: number, opts: ConnectionOptions = {}): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      // The socket reads into the reader's buffers; 'connect' (which makes conn) comes before any read.
      let conn: KafkaConnection | undefined;
      const where = `${host}:${port}`;
      const reader = new FrameReader(opts.maxFrameBytes ?? 256 * 1024 * 1024, (frame) => conn!.onFrame(frame));
      // TLS decrypts into buffers of its own, which are handed to the reader as they come.
      const socket = opts.tls
        ? tlsConnect({ ...opts.tls.options, host, port })
        : connect({ host, port, onread: { buffer: () => reader.target(), callback: (n, buf) => conn!.onRead(reader, n, buf as Buffer) } });
      const timeoutMs = opts.connectTimeoutMs ?? 10_000;
      const timedOut = new Error(`connect to ${where} timed out after ${timeoutMs} ms${opts.tls ? ' (including the TLS handshake)' : ''}`);
      const timer = setTimeout(() => socket.destroy(timedOut), timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(opts.tls && err !== timedOut ? new Error(describeTlsError(err, where, opts.tls)) : err);
      });
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        conn = new KafkaConnection(socket, opts, where);
        if (opts.tls) socket.on('data', (chunk: Buffer) => conn!.onRead(reader, chunk.length, chunk, true));
        resolve(conn);
      });
    });
  }

  /**
   * Authenticates with `mechanism` (after negotiate()); when the broker gives the session a
   * lifetime, the connection authenticates again at 85 to 95% of it, before its next request.
   */
  async authenticate(mechanism: SaslMechanism): Promise<void> {
    this.sasl = mechanism;
    await this.authenticateNow();
  }

  private async authenticateNow(): Promise<void> {
    const started = Date.now();
    const lifetime = await authenticate({ version: (n) => this.version(n), send: (n, v, b) => this.send(apiByName(n), v, b, true) as never }, this.sasl!, this.where);
    this.reauthAt = lifetime > 0 ? started + lifetime * reauthFraction() : null;
  }

  /** Requests wait behind a re-authentication that is due or under way. */
  private gate(): Promise<void> | null {
    if (this.authGate) return this.authGate;
    if (this.reauthAt === null || Date.now() < this.reauthAt || this.closedWith) return null;
    this.reauthAt = null;
    this.authGate = this.authenticateNow().then(
      () => {
        this.authGate = null;
        this.opts.onReauthenticated?.();
      },
      (err: Error) => {
        this.authGate = null;
        this.socket.destroy();
        this.fail(err);
        throw err;
      },
    );
    return this.authGate;
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** Sends ApiVersions and remembers the broker's ranges. */
  async negotiate(): Promise<Map<number, { min: number; max: number }>> {
    const res = await this.request('ApiVersions', 3, { clientSoftwareName: 'kafka-outpost', clientSoftwareVersion: '0.1.0' });
    if (res.errorCode !== 0) throw new Error(`ApiVersions failed with error code ${res.errorCode}`);
    this.versions = new Map(res.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
    return this.versions;
  }

  /** The highest version both sides speak, or undefined. */
  version(name: ApiName): number | undefined {
    const a = apiByName(name);
    const theirs = this.versions.get(a.key);
    if (!theirs) return undefined;
    const v = Math.min(theirs.max, a.maxVersion);
    return v >= Math.max(theirs.min, a.minVersion) ? v : undefined;
  }

  /** Sends a request; resolves with the decoded response body. */
  request<N extends ApiName>(name: N, version: number, body: ApiMessages[N]['request']): Promise<Decoded<ApiMessages[N]['response']>> {
    const gate = this.gate();
    const send = () => this.send(apiByName(name), version, body, true) as Promise<Decoded<ApiMessages[N]['response']>>;
    return gate ? gate.then(send) : send();
  }

  /** Sends a request that gets no response (acks=0 produce). */
  sendOnly<N extends ApiName>(name: N, version: number, body: ApiMessages[N]['request']): void {
    const gate = this.gate();
    const send = () => void this.send(apiByName(name), version, body, false);
    if (gate) gate.then(send, () => undefined);
    else send();
  }

  /** Writes raw bytes (fuzzing and malformed-input tests). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
    this.fail(new ConnectionClosed('connection closed'));
  }

  private send(api: Api, version: number, body: unknown, expectResponse: boolean): Promise<unknown> | undefined {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const correlationId = this.nextCorrelationId++;
    const parts = encodeRequest(api, version, { correlationId, clientId: this.opts.clientId ?? 'kafka-outpost' }, body);
    const done = expectResponse
      ? new Promise((resolve, reject) => this.pending.push({ api, version, correlationId, resolve, reject }))
      : undefined;
    this.socket.cork();
    for (const p of parts) this.socket.write(p);
    this.socket.uncork();
    return done;
  }

  /** Returns false, which stops the socket reading, once the connection has failed. */
  private onRead(reader: FrameReader, n: number, buf: Buffer, chunk = false): boolean {
    try {
      if (chunk) reader.push(buf, n);
      else reader.read(n, buf);
    } catch (err) {
      this.socket.destroy();
      this.fail(err instanceof FrameTooLarge && isTlsRecord(err.size) ? new TlsAnswered(`${this.where} answered with TLS: its listener expects security.protocol SSL or SASL_SSL`) : (err as Error));
    }
    return this.closedWith === null;
  }

  private onFrame(frame: Buffer): void {
    if (this.closedWith) return;
    const next = this.pending.shift();
    if (!next) {
      this.socket.destroy();
      return this.fail(new Error('response without a request'));
    }
    try {
      // An ApiVersions version the broker does not know is answered in v0.
      const version = next.api.key === API_VERSIONS_KEY && frame.length >= 6 && frame.readInt16BE(4) === 35 ? 0 : next.version;
      const { correlationId, body } = decodeResponse(next.api, version, frame);
      if (correlationId !== next.correlationId) throw new Error(`correlation id ${correlationId}, expected ${next.correlationId}`);
      next.resolve(body);
    } catch (err) {
      next.reject(err as Error);
      this.socket.destroy();
      this.fail(err as Error);
    }
  }

  private fail(err: Error): void {
    if (!this.closedWith) this.closedWith = err;
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}

/** A "frame size" that is the start of a TLS record (an alert or a handshake, TLS 1.x). */
function isTlsRecord(size: number): boolean {
  const type = size >>> 24;
  return (type === 0x15 || type === 0x16) && ((size >>> 16) & 0xff) === 3;
}
