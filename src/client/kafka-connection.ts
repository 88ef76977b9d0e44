// outpost's own Kafka client connection, built on protocol/: the cluster link fetches through it,
// and the tests use it to send exact requests to outpost and to Apache Kafka alike. Requests may
// be pipelined; responses are matched to requests by correlation id, in order.
import { connect, type Socket } from 'node:net';
import { api as apiByName, type Api } from '../../protocol/apis.js';
import { API_VERSIONS_KEY, decodeResponse, encodeRequest } from '../../protocol/frames.js';
import type { ApiMessages, ApiName } from '../../protocol/messages/messages.js';
import type { Decoded } from '../../protocol/messages/types.js';
import { FrameReader } from './frame-reader.js';

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
}

export class ConnectionClosed extends Error {}

export class KafkaConnection {
  private nextCorrelationId = 1;
  private readonly pending: Pending[] = [];
  private closedWith: Error | null = null;
  /** the broker's version range per API key, once negotiate() ran */
  versions = new Map<number, { min: number; max: number }>();

  private constructor(private readonly socket: Socket, private readonly opts: ConnectionOptions) {
    socket.on('close', () => this.fail(new ConnectionClosed('connection closed by the broker')));
    socket.on('error', (err) => this.fail(err));
  }

  static open(host: string, port: number, opts: ConnectionOptions = {}): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      // The socket reads into the reader's buffers; 'connect' (which makes conn) comes before any read.
      let conn: KafkaConnection | undefined;
      const reader = new FrameReader(opts.maxFrameBytes ?? 256 * 1024 * 1024, (frame) => conn!.onFrame(frame));
      const socket = connect({ host, port, onread: { buffer: () => reader.target(), callback: (n, buf) => conn!.onRead(reader, n, buf as Buffer) } });
      const timer = setTimeout(() => socket.destroy(new Error(`connect to ${host}:${port} timed out`)), opts.connectTimeoutMs ?? 10_000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        conn = new KafkaConnection(socket, opts);
        resolve(conn);
      });
    });
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
    return this.send(apiByName(name), version, body, true) as Promise<Decoded<ApiMessages[N]['response']>>;
  }

  /** Sends a request that gets no response (acks=0 produce). */
  sendOnly<N extends ApiName>(name: N, version: number, body: ApiMessages[N]['request']): void {
    void this.send(apiByName(name), version, body, false);
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
  private onRead(reader: FrameReader, n: number, buf: Buffer): boolean {
    try {
      reader.read(n, buf);
    } catch (err) {
      this.socket.destroy();
      this.fail(err as Error);
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
