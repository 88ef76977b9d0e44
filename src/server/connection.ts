// One client connection: frames in, requests handled one at a time in arrival order (as Kafka's
// broker does, so that a producer's pipelined batches are appended in the order it sent them),
// responses out in the same order. A malformed or unsupported request, a response that cannot be
// encoded, or any failure of a handler closes this connection only; everyone else keeps being
// served. The connection stops being read (Kafka mutes its channel) while its client has many
// requests queued, has not read the responses already sent, or the requests of all connections
// together hold more memory than allowed; and it is closed after connections.max.idle.ms of quiet.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { HostPort } from '../config/host-port.js';
import { SASL_HANDSHAKE, type ConnectionSession } from '../security/session.js';
import { apiByKey, type Api } from '../../protocol/apis.js';
import { API_VERSIONS_KEY, decodeRequestBody, encodeResponse, readRequestHeaderStart, skipTaggedFields, type RequestHeader } from '../../protocol/frames.js';
import { Reader } from '../../protocol/primitives.js';
import { FrameSplitter } from './frame-splitter.js';
import { FREE_BYTES, type RequestMemory } from './request-memory.js';

/** Requests read ahead of the one in hand before the connection stops being read. */
const MAX_QUEUED_REQUESTS = 16;
/** Response bytes the client has not read yet before its connection stops being read. */
const MAX_UNSENT_BYTES = 1024 * 1024;
/** Array elements one request may hold (see Reader.elements): far above any real client's. */
const MAX_REQUEST_ELEMENTS = 200_000;

export interface RequestContext {
  header: RequestHeader;
  version: number;
  clientHost: string;
  connectionId: number;
  /** the listener the request came in on: what Metadata and FindCoordinator answer with */
  listener: ListenerInfo;
  /** who the client is, and where its authentication stands */
  session: ConnectionSession;
  /** calls `listener` once, when the connection closes (at once if it has) */
  onClose(listener: () => void): void;
}

export interface ListenerInfo {
  name: string;
  /** port 0 until the listener is bound */
  advertised: HostPort;
  /** connection.failed.authentication.delay.ms: how long a failed authentication waits before its answer and close */
  failedAuthenticationDelayMs: number;
}

export interface Handler {
  api: Api;
  minVersion: number;
  maxVersion: number;
  /** The response body, or null when none is sent (acks=0 produce). */
  handle(body: unknown, ctx: RequestContext): Promise<unknown> | unknown;
}

export interface ConnectionOptions {
  handlers: Map<number, Handler>;
  maxFrameBytes: number;
  /** shared by every connection: queued.max.request.bytes */
  memory: RequestMemory;
  /** connections.max.idle.ms; 0 or less: never */
  idleMs: number;
  logger: Logger;
  /** what an unsupported ApiVersions version is answered with (v0 layout) */
  apiVersionsFallback: () => unknown;
  listener: ListenerInfo;
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
  private queuedBytes = 0;
  /** what this connection is charged in the shared request memory */
  private charged = 0;
  private paused = false;
  private cancelWait: (() => void) | undefined;
  private busy = false;
  private closed = false;
  /** settles when no request is being handled, for a graceful shutdown */
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => {};
  private readonly closeListeners: (() => void)[] = [];

  constructor(private readonly socket: Socket, private readonly opts: ConnectionOptions, private readonly session: ConnectionSession, saslMaxReceiveBytes: number) {
    // Until a SASL client has authenticated, frames are held to sasl.server.max.receive.size.
    this.splitter = new FrameSplitter(session.authenticated ? opts.maxFrameBytes : saslMaxReceiveBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('drain', () => this.updateFlow());
    socket.on('error', (err) => opts.logger.debug({ conn: this.id, err: err.message }, 'connection error'));
    socket.on('close', () => this.release());
    if (opts.idleMs > 0) {
      socket.setTimeout(opts.idleMs);
      socket.on('timeout', () => {
        // A request in hand (a long poll, a rebalance) is not idleness: wait for the next quiet spell.
        if (this.busy) return socket.setTimeout(opts.idleMs);
        opts.logger.debug({ conn: this.id, client: this.clientHost }, `closing connection idle for ${opts.idleMs} ms`);
        this.close();
      });
    }
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
    this.release();
    this.socket.destroy();
  }

  private onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  private release(): void {
    if (!this.closed) for (const listener of this.closeListeners.splice(0)) listener();
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.cancelWait?.();
    this.cancelWait = undefined;
    this.opts.memory.recharge(this.charged, 0);
    this.charged = 0;
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (err) {
      // A TLS record (handshake 0x16, version 3.x) where a Kafka frame was expected.
      if (chunk[0] === 0x16 && chunk[1] === 0x03 && this.splitter.pendingBytes === 0) {
        return this.close(`closing connection: a TLS client on the ${this.opts.listener.name} listener, which does not speak TLS (set the client's security.protocol to match)`);
      }
      if (!this.session.authenticated) return this.close(`closing connection on listener ${this.opts.listener.name}: failing SASL authentication due to invalid receive size: ${(err as Error).message}`);
      return this.close(`closing connection: ${(err as Error).message}`);
    }
    for (const f of frames) {
      this.queue.push(f);
      this.queuedBytes += f.length;
    }
    this.updateFlow();
    if (frames.length > 0 && !this.busy) void this.drain();
  }

  /** Charges what the connection holds and reads on only while its client and the memory allow. */
  private updateFlow(): void {
    if (this.closed) return;
    const charge = Math.max(0, this.splitter.pendingBytes + this.queuedBytes - FREE_BYTES);
    if (charge !== this.charged) {
      this.opts.memory.recharge(this.charged, charge);
      this.charged = charge;
    }
    const memoryFull = charge > 0 && !this.opts.memory.mayGrow(charge);
    const backlog = this.queue.length >= MAX_QUEUED_REQUESTS || this.socket.writableLength > MAX_UNSENT_BYTES;
    if (memoryFull && !this.cancelWait) {
      this.cancelWait = this.opts.memory.whenReleased(() => {
        this.cancelWait = undefined;
        this.updateFlow();
      });
    }
    const pause = memoryFull || backlog;
    if (pause !== this.paused) {
      this.paused = pause;
      if (pause) this.socket.pause();
      else this.socket.resume();
    }
  }

  private async drain(): Promise<void> {
    this.busy = true;
    this.idle = new Promise((resolve) => (this.markIdle = resolve));
    try {
      while (this.queue.length > 0 && !this.closed) {
        // The next request waits until the client has read most of what it was sent: a client
        // that never reads gets one response, not one per request it pipelined.
        if (this.socket.writableLength > MAX_UNSENT_BYTES) {
          await this.sent();
          continue;
        }
        const frame = this.queue.shift()!;
        try {
          await this.handleFrame(frame);
        } catch (err) {
          // The last resort: whatever a request made fail, only its own connection pays.
          this.opts.logger.error({ conn: this.id, client: this.clientHost, err }, 'request failed');
          this.close();
        }
        if (this.closed) break; // its accounting went with it
        this.queuedBytes -= frame.length;
        this.updateFlow();
      }
    } finally {
      this.busy = false;
      this.markIdle();
    }
  }

  /** Resolves once the socket's unsent bytes have gone out (or the connection is gone). */
  private sent(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
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
    const session = this.session;
    if (session.expired() && apiKey !== SASL_HANDSHAKE) {
      return this.close(`closing connection on listener ${this.opts.listener.name}: the SASL session of ${session.principal} has expired and the client did not re-authenticate (connections.max.reauth.ms)`);
    }
    if (!session.admits(apiKey)) {
      const name = apiByKey(apiKey)?.name ?? `key ${apiKey}`;
      return this.failAuthentication(`unexpected ${name} request during SASL ${session.authenticated ? 're-authentication' : 'authentication'} (until a client has authenticated, only ApiVersions, SaslHandshake and SaslAuthenticate are served)`);
    }
    const handler = this.opts.handlers.get(apiKey);
    if (!handler || apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === API_VERSIONS_KEY) return this.rejectApiVersions(header);
      const name = apiByKey(apiKey)?.name ?? `key ${apiKey}`;
      return this.close(`closing connection: unsupported request ${name} v${apiVersion} from ${header.clientId}`);
    }
    const api = handler.api;
    let body: unknown;
    try {
      r.elements = { left: MAX_REQUEST_ELEMENTS };
      if (api.isFlexible(apiVersion)) skipTaggedFields(r);
      body = decodeRequestBody(api, apiVersion, r);
    } catch (err) {
      return this.close(`closing connection: malformed ${api.name} v${apiVersion} request: ${(err as Error).message}`);
    }
    let response: unknown;
    try {
      response = await handler.handle(body, { header, version: apiVersion, clientHost: this.clientHost, connectionId: this.id, listener: this.opts.listener, session, onClose: (l) => this.onClose(l) });
    } catch (err) {
      if (err instanceof CloseConnection) {
        this.opts.logger.debug({ conn: this.id, client: this.clientHost }, err.message);
        return this.close();
      }
      this.opts.logger.error({ err, api: api.name, version: apiVersion }, 'request handler failed');
      return this.close();
    }
    if (response === null || this.closed) return;
    let frameOut: Buffer[];
    try {
      frameOut = encodeResponse(api, apiVersion, header.correlationId, response);
    } catch (err) {
      // A value the version cannot carry (a null where none is allowed, a string too long for its
      // length field): the client cannot be answered, so, as Kafka does, it loses its connection.
      return this.close(`closing connection: cannot encode the ${api.name} v${apiVersion} response: ${(err as Error).message}`);
    }
    if (session.failed !== null) return this.failAuthentication(session.failed, frameOut);
    this.send(frameOut);
    if (session.authenticated && this.splitter.maxFrameBytes !== this.opts.maxFrameBytes) {
      this.splitter.maxFrameBytes = this.opts.maxFrameBytes;
      this.opts.logger.debug({ conn: this.id, client: this.clientHost, listener: this.opts.listener.name, principal: session.principal }, 'authenticated');
    }
  }

  /**
   * A failed authentication: logged with the client's address (never a credential), then, after
   * connection.failed.authentication.delay.ms (which slows down password guessing), the answer
   * if there is one, and the connection closed.
   */
  private async failAuthentication(reason: string, answer?: Buffer[]): Promise<void> {
    this.opts.logger.warn({ conn: this.id, client: this.clientHost, listener: this.opts.listener.name }, `failed authentication: ${reason}`);
    this.socket.pause();
    const delay = this.opts.listener.failedAuthenticationDelayMs;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (this.closed) return;
    if (answer) this.send(answer);
    this.release();
    // Half-closed so the answer reaches the client; cut off if it does not close its side.
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 5000).unref();
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
