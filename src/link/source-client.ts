// The link's client of the source cluster, on outpost's own protocol layer: two connections per
// source broker, one for fetches and one for the rest (opened on demand, version-negotiated,
// reopened after a failure), Metadata from
// whichever broker answers (known brokers first, then the bootstrap servers), and a deadline on
// every request so that a source that stops answering is noticed and its connection dropped.
import { errorName } from '../../protocol/errors.js';
import type { ApiMessages, ApiName } from '../../protocol/messages/messages.js';
import type { Decoded } from '../../protocol/messages/types.js';
import { ZERO_UUID } from '../../protocol/primitives.js';
import type { SourceSecurity } from '../common/client-security.js';
import { ConnectionClosed, KafkaConnection } from '../client/kafka-connection.js';
import { SaslAuthenticationError, type SaslMechanism } from '../client/sasl/mechanism.js';
import { tlsOptions, tlsOptionsFor, type ClientTls } from '../client/tls-material.js';
import { parseBootstrapServers, type HostPort } from '../config/host-port.js';
import type { LinkSettings } from '../config/link-configs.js';
import { saslMechanism } from './sasl-mechanisms.js';
import type { SourceMetadata, SourceTopic } from './source-endpoint.js';
import { LinkError } from './types.js';

export interface SourceClientOptions {
  clientId: string;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  security: SourceSecurity;
}

/** What the client's connections have done, for the link's metrics. */
export interface ConnectionCounts {
  opened: number;
  authenticated: number;
  reauthenticated: number;
}

export interface Response<N extends ApiName> {
  version: number;
  body: Decoded<ApiMessages[N]['response']>;
}

/** Makes a request's body for the version negotiated with the source broker. */
export type BuildRequest<N extends ApiName> = (version: number) => ApiMessages[N]['request'];

export interface RequestOptions {
  /** lengthens the deadline, for long polls */
  extraMs?: number;
  /** caps the version (Fetch by topic name when a topic id is unknown) */
  maxVersion?: number;
  /**
   * a connection of its own to the broker, beside the shared ones: read-through fetches beside
   * the long polls, a client's forwarded group requests beside everyone else's
   */
  lane?: string;
}

/** A source broker ("node") by id, or whichever broker answers Metadata. */
export type Target = number | 'any';

/**
 * A broker answers one request of a connection at a time, so a Fetch that waits for data (up to
 * replica.fetch.wait.max.ms) would hold up every other request behind it: fetches get a connection
 * of their own to each broker, as the Java consumer gives its coordinator one.
 */
const fetchKey = (nodeId: number) => `fetch from node ${nodeId}`;

export class SourceClient {
  private brokers = new Map<number, HostPort>();
  private readonly conns = new Map<string, Promise<KafkaConnection>>();
  private closed = false;
  /** every connection opened and not dropped yet, negotiated or not */
  private readonly live = new Set<KafkaConnection>();
  /** connections that have answered a request after ApiVersions (and SASL) */
  private readonly answered = new WeakSet<KafkaConnection>();
  /** loaded when the first connection is made, and again after a failure to load */
  private tls: ClientTls | null = null;
  /** one per client, so that an OAuth token serves every connection until it is refreshed */
  private readonly sasl: SaslMechanism | null;
  readonly counts: ConnectionCounts = { opened: 0, authenticated: 0, reauthenticated: 0 };

  constructor(private readonly bootstrap: HostPort[], private readonly opts: SourceClientOptions) {
    this.sasl = opts.security.sasl ? saslMechanism(opts.security.sasl) : null;
  }

  /** The source brokers' ids, as the last Metadata gave them. */
  brokerIds(): number[] {
    return [...this.brokers.keys()];
  }

  /** The source broker `nodeId`'s address as the last Metadata gave it. */
  broker(nodeId: number): HostPort | undefined {
    return this.brokers.get(nodeId);
  }

  /**
   * Sends `name` at the highest version both sides speak (`build` makes the body for it) and
   * resolves with the response. A failure to connect or to answer in time rejects, and the
   * connection is dropped for the next call to redo.
   */
  async request<N extends ApiName>(target: Target, name: N, build: BuildRequest<N>, opts: RequestOptions = {}): Promise<Response<N>> {
    if (target === 'any') return this.onAnyBroker((conn) => this.send(conn, name, build, opts));
    const address = this.brokers.get(target);
    if (!address) throw new Error(`source broker ${target} is not in the cluster metadata`);
    const shared = name === 'Fetch' ? fetchKey(target) : `node ${target}`;
    const key = opts.lane ? `${opts.lane} ${shared}` : shared;
    return this.send(await this.connect(key, address), name, build, opts);
  }

  /** Metadata for `topics` (null: every topic), from any broker; learns the brokers on the way. */
  async metadata(topics: string[] | null): Promise<SourceMetadata> {
    const { body } = await this.request('any', 'Metadata', () => ({
      topics: topics === null ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    }));
    if (body.errorCode) throw new Error(`source Metadata failed: ${errorName(body.errorCode)}`);
    const brokers = new Map<number, HostPort>(body.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }]));
    for (const [id, old] of this.brokers) {
      const now = brokers.get(id);
      if (!now || now.host !== old.host || now.port !== old.port) {
        for (const key of this.conns.keys()) if (key === `node ${id}` || key.endsWith(` node ${id}`)) this.drop(key);
      }
    }
    this.brokers = brokers;
    const out = new Map<string, SourceTopic>();
    for (const t of body.topics) {
      // Asked for by name, every topic is answered by name.
      if (t.name === null) continue;
      out.set(t.name, {
        name: t.name,
        error: errorName(t.errorCode),
        topicId: t.topicId ?? ZERO_UUID,
        partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, error: errorName(p.errorCode), leaderId: p.leaderId, leaderEpoch: p.leaderEpoch ?? -1 })),
      });
    }
    return { clusterId: body.clusterId ?? null, topics: out };
  }

  /** Closes the connections of `lane` (to every broker). */
  closeLane(lane: string): void {
    for (const key of [...this.conns.keys()]) if (key.startsWith(`${lane} `)) this.drop(key);
  }

  close(): void {
    this.closed = true;
    for (const key of [...this.conns.keys()]) this.drop(key);
    // Also the connections still negotiating, whose promises the drops above wait behind: a source
    // that accepted a connection and never answers must not hold a stop for a request timeout.
    for (const conn of this.live) conn.close();
    this.live.clear();
  }

  private async onAnyBroker<T>(fn: (conn: KafkaConnection) => Promise<T>): Promise<T> {
    const candidates: [string, HostPort][] = [
      ...[...this.brokers].map(([id, a]): [string, HostPort] => [`node ${id}`, a]),
      ...this.bootstrap.map((a): [string, HostPort] => [`bootstrap ${a.host}:${a.port}`, a]),
    ];
    // A broker already connected answers first: no connection attempt to a dead one on the way.
    candidates.sort(([a], [b]) => Number(this.conns.has(b)) - Number(this.conns.has(a)));
    let last: unknown = new Error('no source broker to ask');
    for (const [key, address] of candidates) {
      try {
        return await fn(await this.connect(key, address));
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  private connect(key: string, address: HostPort): Promise<KafkaConnection> {
    if (this.closed) return Promise.reject(new Error('the link is stopping'));
    const open = this.conns.get(key);
    if (open) {
      return open.then((conn) => {
        if (!conn.closed) return conn;
        this.live.delete(conn);
        if (this.conns.get(key) === open) this.conns.delete(key);
        return this.connect(key, address);
      });
    }
    const opening = (async () => {
      const { ssl } = this.opts.security;
      // A store file that cannot be read fails this connection, and the next one reads it again.
      if (ssl) this.tls ??= tlsOptions(ssl);
      const conn = await KafkaConnection.open(address.host, address.port, {
        clientId: this.opts.clientId,
        connectTimeoutMs: this.opts.connectTimeoutMs,
        ...(this.tls ? { tls: tlsOptionsFor(this.tls, address.host) } : {}),
        onReauthenticated: () => this.counts.reauthenticated++,
      });
      this.counts.opened++;
      // Closed while connecting: the negotiation below would wait on a source that may never answer.
      if (this.closed) {
        conn.close();
        throw new Error('the link is stopping');
      }
      this.live.add(conn);
      try {
        await deadline(conn.negotiate(), this.opts.requestTimeoutMs, () => conn.close(), `ApiVersions to ${address.host}:${address.port}`).catch((e: Error) => {
          throw e instanceof ConnectionClosed && !this.opts.security.ssl
            ? new Error(`${address.host}:${address.port} closed the connection at once: if its listener uses TLS, set security.protocol to SSL or SASL_SSL`)
            : e;
        });
        if (this.sasl) {
          await deadline(conn.authenticate(this.sasl), this.opts.requestTimeoutMs, () => conn.close(), `SASL authentication to ${address.host}:${address.port}`);
          this.counts.authenticated++;
        }
      } catch (e) {
        conn.close();
        this.live.delete(conn);
        throw e;
      }
      if (this.closed) conn.close();
      return conn;
    })();
    this.conns.set(key, opening);
    opening.catch(() => {
      if (this.conns.get(key) === opening) this.conns.delete(key);
    });
    return opening;
  }

  private send<N extends ApiName>(conn: KafkaConnection, name: N, build: BuildRequest<N>, opts: RequestOptions): Promise<Response<N>> {
    const version = Math.min(supported(conn, name), opts.maxVersion ?? Infinity);
    const pending = conn.request(name, version, build(version)).then(
      (body) => {
        this.answered.add(conn);
        return { version, body };
      },
      (e: Error) => {
        // A SASL listener closes a connection whose first request after ApiVersions is not SASL.
        if (e instanceof ConnectionClosed && !this.sasl && !this.answered.has(conn)) {
          throw new Error(`${e.message} at its first request: if the source's listener requires SASL, set security.protocol to SASL_PLAINTEXT or SASL_SSL, with sasl.mechanism and sasl.jaas.config`);
        }
        throw e;
      },
    );
    return deadline(pending, this.opts.requestTimeoutMs + (opts.extraMs ?? 0), () => conn.close(), name);
  }

  private drop(key: string): void {
    const conn = this.conns.get(key);
    this.conns.delete(key);
    conn?.then((c) => {
      c.close();
      this.live.delete(c);
    }, () => undefined);
  }
}

/** A link's client of its source, as its settings say: the one place a source client is made. */
export function sourceClientFor(bootstrapServers: string, settings: LinkSettings): SourceClient {
  const bootstrap = parseBootstrapServers(bootstrapServers);
  if ('problem' in bootstrap) throw new LinkError('INVALID', bootstrap.problem);
  return new SourceClient(bootstrap, { clientId: settings.clientId, requestTimeoutMs: settings.requestTimeoutMs, connectTimeoutMs: settings.connectTimeoutMs, security: settings.security });
}

/** Why the source could not be used, for a link's state: reached or not, or not authenticated. */
export function sourceFailure(bootstrapServers: string, e: unknown): string {
  const what = e instanceof SaslAuthenticationError ? 'cannot authenticate to' : 'cannot reach';
  return `${what} the source cluster at ${bootstrapServers}: ${(e as Error).message}`;
}

/** The source broker does not speak the API at any version outpost does. */
export class UnsupportedApi extends Error {}

function supported(conn: KafkaConnection, name: ApiName): number {
  const v = conn.version(name);
  if (v === undefined) throw new UnsupportedApi(`the source broker does not support ${name} at any version outpost speaks`);
  return v;
}

/** `p`, or a rejection after `ms` (calling `onTimeout` first, which closes the connection). */
function deadline<T>(p: Promise<T>, ms: number, onTimeout: () => void, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what} to the source timed out after ${ms} ms`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
