// One Kafka listener: a TCP or TLS server on its address, whose connections each get a session
// that knows the listener's security (TLS principal, SASL mechanisms). Connections beyond
// max.connections (per IP) are refused at accept, before any TLS work is spent on them.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ListenerSpec } from '../config/listeners.js';
import { resolveListenerSecurity } from '../config/listeners.js';
import { describeHandshakeError, listenerTls, tlsPrincipal } from '../security/listener-tls.js';
import { ANONYMOUS } from '../security/principal.js';
import { jwksKeys } from '../security/sasl/oauthbearer-server.js';
import type { ScramCredentialStore } from '../security/scram-credentials.js';
import { ConnectionSession, type SaslServices } from '../security/session.js';
import type { ConnectionLimits } from './connection-limits.js';
import { Connection, type ConnectionOptions, type ListenerInfo } from './connection.js';

export interface ListenerDeps {
  configs: Readonly<Record<string, string>>;
  connection: Omit<ConnectionOptions, 'listener'>;
  limits: ConnectionLimits;
  /** every open connection of the broker, for shutdown */
  connections: Set<Connection>;
  scram: ScramCredentialStore;
  logger: Logger;
}

export interface KafkaListener {
  spec: ListenerSpec;
  info: ListenerInfo;
  /** the port bound */
  port: number;
  /**
   * The listener's TLS from these configs, checked (a store that cannot be read, a wrong
   * password): the problem, or how to put it in effect for new connections. Null for a listener
   * without TLS.
   */
  prepareTls(configs: Readonly<Record<string, string>>): { problem: string } | { apply(): void } | null;
  /** stops accepting; resolves once the server is closed (open connections are the broker's to close) */
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    };
    // An empty host binds every interface, as Kafka's listeners=PLAINTEXT://:9092 does.
    if (host === '') server.listen(port, done);
    else server.listen(port, host, done);
  });
}

export async function startKafkaListener(spec: ListenerSpec, deps: ListenerDeps): Promise<KafkaListener> {
  const { logger, limits, connections } = deps;
  const security = resolveListenerSecurity(deps.configs, spec);
  let tls = security.ssl ? listenerTls(security.ssl) : null;
  const sasl: SaslServices | null = security.sasl
    ? { sasl: security.sasl, scram: deps.scram, oauthKeys: security.sasl.oauth ? await jwksKeys(security.sasl.oauth) : null, now: Date.now }
    : null;
  const info: ListenerInfo = { name: spec.name, advertised: { ...spec.advertised }, failedAuthenticationDelayMs: security.failedAuthenticationDelayMs };
  const options: ConnectionOptions = { ...deps.connection, listener: info };
  const log = logger.child({ listener: spec.name });

  const serve = (socket: Socket, principal: string) => {
    log.debug({ client: socket.remoteAddress, principal }, 'connection accepted');
    const conn = new Connection(socket, options, new ConnectionSession(principal, sasl), security.sasl?.maxReceiveBytes ?? options.maxFrameBytes);
    connections.add(conn);
    socket.on('close', () => connections.delete(conn));
  };

  let lastRefusalLogged = 0;
  const admit = (socket: Socket): boolean => {
    const host = socket.remoteAddress ?? '';
    const refusal = limits.admit(host);
    if (refusal) {
      // Logged at most once a second: a flood of refused connections must not flood the log too.
      if (Date.now() - lastRefusalLogged > 1000) {
        lastRefusalLogged = Date.now();
        log.warn({ client: host }, `refusing connections: ${refusal}`);
      }
      socket.destroy();
      return false;
    }
    socket.on('close', () => limits.release(host));
    return true;
  };

  let server: Server;
  let tlsServer: ReturnType<typeof createTlsServer> | null = null;
  if (tls) {
    tlsServer = createTlsServer({ ...tls.options, handshakeTimeout: 10_000 });
    // 'connection' fires for the TCP socket, before the handshake: limits are applied there.
    tlsServer.on('connection', (socket: Socket) => void admit(socket));
    tlsServer.on('secureConnection', (socket: TLSSocket) => {
      const who = tlsPrincipal(socket, tls!);
      if ('problem' in who) {
        log.warn({ client: socket.remoteAddress }, `failed authentication: TLS client refused: ${who.problem}`);
        socket.destroy();
        return;
      }
      serve(socket, who.principal);
    });
    tlsServer.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      // The TLS socket has lost its address by now; the TCP socket under it still has it.
      const client = (socket as TLSSocket & { _parent?: Socket })._parent?.remoteAddress ?? socket.remoteAddress;
      log.warn({ client }, `failed authentication: TLS handshake failed: ${describeHandshakeError(err)}`);
    });
    server = tlsServer;
  } else {
    server = createServer((socket) => {
      if (admit(socket)) serve(socket, ANONYMOUS);
    });
  }
  // Listening only once connections are handled: one accepted before would go unread, its client
  // waiting for ever for the answer to its first request.
  const port = await listen(server, spec.bind.host, spec.bind.port);
  // An advertised port of 0 means "whatever was bound": used by tests that start on port 0.
  if (info.advertised.port === 0) info.advertised.port = port;
  const prepareTls = (configs: Readonly<Record<string, string>>) => {
    if (!tlsServer) return null;
    let next: ReturnType<typeof listenerTls>;
    try {
      next = listenerTls(resolveListenerSecurity(configs, spec).ssl!);
    } catch (e) {
      return { problem: (e as Error).message };
    }
    return {
      apply: () => {
        tlsServer!.setSecureContext(next.options);
        tls = next;
        log.info('TLS certificate reloaded: new connections get it');
      },
    };
  };
  return {
    spec,
    info,
    port,
    prepareTls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
