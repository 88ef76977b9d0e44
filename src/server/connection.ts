// One client connection: frames in, requests handled one at a time in arrival order (as Kafka's
// broker does, so that a producer's pipelined batches are appended in the order it sent them),
// responses out in the same order. A malformed or unsupported request closes this connection
// only; everyone else keeps being served.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { apiByKey, type Api } from '../../protocol/apis.js';
import { API_VERSIONS_KEY, decodeRequestBody, encodeResponse, readRequestHeaderStart, skipTaggedFields, type RequestHeader } from '../../protocol/frames.js';
import { Reader } from '../../protocol/primitives.js';
import { FrameSplitter } from './frame-splitter.js';

export interface RequestContext {
  header: RequestHeader;
  version: number;
  clientHost: string;
  connectionId: number;
}

export interface Handler {
  api: Api;
  minVersion: number;
  maxVersion: number;
  /** The response body, or null when none is sent (acks=0 produce). */
  handle(body: any, ctx: RequestContext): Promise<any> | any;
}

export interface ConnectionOptions {
  handlers: Map<number, Handler>;
  maxFrameBytes: number;
  logger: Logger;
  /** what an unsupported ApiVersions version is answered with (v0 layout) */
  apiVersionsFallback: () => any;
}

/**
 * Thrown by a handler to drop the connection without an answer: Kafka does so when an acks=0
 * produce fails, the only way to tell such a producer to refresh its metadata.
 */
export class CloseConnection extends Error {}

let nextConnectionId = 1;

export class Connection {
  readonly id = nextConnectionId++;
  private readonly splitter: FrameSplitter;
  private readonly queue: Buffer[] = [];
  private busy = false;
  private closed = false;
  /** settles when no request is being handled, for a graceful shutdown */
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};

  constructor(private readonly socket: Socket, private readonly opts: ConnectionOptions) {
    this.splitter = new FrameSplitter(opts.maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => opts.logger.debug({ conn: this.id, err: err.message }, 'connection error'));
    socket.on('close', () => {
      this.closed = true;
      this.queue.length = 0;
    });
  }

  get clientHost(): string {
    return this.socket.remoteAddress ?? '';
  }

  /** Waits for the request in hand (if any) to be answered. */
  drained(): Promise<void> {
    return this.idle;
  }

  close(reason?: string): void {
    if (this.closed) return;
    if (reason) this.opts.logger.warn({ conn: this.id, client: this.clientHost }, reason);
    this.closed = true;
    this.queue.length = 0;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (err) {
      return this.close(`closing connection: ${(err as Error).message}`);
    }
    if (frames.length === 0) return;
    this.queue.push(...frames);
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    this.idle = new Promise((resolve) => (this.markIdle = resolve));
    try {
      while (this.queue.length > 0 && !this.closed) {
        await this.handleFrame(this.queue.shift()!);
      }
    } finally {
      this.busy = false;
      this.markIdle();
    }
  }

  private async handleFrame(frame: Buffer): Promise<void> {
    const r = new Reader(frame);
    let header: RequestHeader;
    try {
      header = readRequestHeaderStart(r);
    } catch (err) {
      return this.close(`closing connection: malformed request header: ${(err as Error).message}`);
    }
    const { apiKey, apiVersion } = header;
    const handler = this.opts.handlers.get(apiKey);
    if (!handler || apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === API_VERSIONS_KEY) return this.rejectApiVersions(header);
      const name = apiByKey(apiKey)?.name ?? `key ${apiKey}`;
      return this.close(`closing connection: unsupported request ${name} v${apiVersion} from ${header.clientId}`);
    }
    const api = handler.api;
    let body: any;
    try {
      if (api.isFlexible(apiVersion)) skipTaggedFields(r);
      body = decodeRequestBody(api, apiVersion, r);
    } catch (err) {
      return this.close(`closing connection: malformed ${api.name} v${apiVersion} request: ${(err as Error).message}`);
    }
    let response: any;
    try {
      response = await handler.handle(body, { header, version: apiVersion, clientHost: this.clientHost, connectionId: this.id });
    } catch (err) {
      if (err instanceof CloseConnection) {
        this.opts.logger.debug({ conn: this.id, client: this.clientHost }, err.message);
        return this.close();
      }
      this.opts.logger.error({ err, api: api.name, version: apiVersion }, 'request handler failed');
      return this.close();
    }
    if (response === null || this.closed) return;
    this.send(encodeResponse(api, apiVersion, header.correlationId, response));
  }

  /** Kafka answers an ApiVersions version it does not know with v0 and its own version list. */
  private rejectApiVersions(header: RequestHeader): void {
    const api = apiByKey(API_VERSIONS_KEY)!;
    this.send(encodeResponse(api, 0, header.correlationId, this.opts.apiVersionsFallback()));
  }

  private send(parts: Buffer[]): void {
    if (this.closed) return;
    this.socket.cork();
    for (const p of parts) this.socket.write(p);
    this.socket.uncork();
  }
}
