// The admin HTTP listener: GET /health for probes, GET /metrics for Prometheus, and cluster links
// under /kafka/v3 (links-rest.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import type { Registry } from 'prom-client';
import { sendJson } from './json.js';
import { linksRest, type LinksRestOptions } from './links-rest.js';

export interface AdminHttpOptions {
  host: string;
  /** 0 binds any free port; the bound one is returned */
  port: number;
  /** merged into /health's body; a `status` other than 'ok' (say 'stopping') answers 503 */
  health: () => Record<string, unknown>;
  /** the broker's own metrics */
  registry: Registry;
  /** serves the cluster-link REST API when given */
  links?: LinksRestOptions;
  /** HTTPS with these options */
  tls?: TlsOptions;
  /** HTTP Basic authentication of the REST API (/health and /metrics stay open) */
  authenticate?: (user: string, password: string) => Promise<boolean>;
  /**
   * Whether a user (null: not authenticated) from a host may read (GET) or change the links and
   * mirrors; absent, everyone may.
   */
  authorize?: (user: string | null, host: string, write: boolean) => boolean;
}

/** The user and password of an HTTP Basic Authorization header, or null. */
function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? null : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export interface AdminHttp {
  port: number;
  close(): Promise<void>;
}

export async function startAdminHttp(opts: AdminHttpOptions): Promise<AdminHttp> {
  const { registry } = opts;
  const rest = opts.links && linksRest(opts.links);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    if (rest && path.startsWith('/kafka/v3/')) {
      let user: string | null = null;
      if (opts.authenticate) {
        const creds = basicCredentials(req.headers.authorization);
        if (!creds || !(await opts.authenticate(creds.user, creds.password))) {
          return sendJson(res, 401, { error_code: 401, message: creds ? 'authentication failed: wrong user or password' : 'authentication required: HTTP Basic with a user of this broker' }, { 'www-authenticate': 'Basic realm="outpost", charset="UTF-8"' });
        }
        user = creds.user;
      }
      const write = req.method !== 'GET' && req.method !== 'HEAD';
      if (opts.authorize && !opts.authorize(user, (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''), write)) {
        return sendJson(res, 403, { error_code: 403, message: `not authorized: ${write ? 'changing links and mirrors needs ALTER' : 'reading links and mirrors needs DESCRIBE'} on the cluster` });
      }
      return rest(req, res, url);
    }
    if (path !== '/health' && path !== '/metrics') return sendJson(res, 404, { error: `no such endpoint: ${path}` });
    if (req.method !== 'GET') return sendJson(res, 405, { error: `${req.method} not allowed on ${path}` }, { allow: 'GET' });
    if (path === '/health') {
      const body = { status: 'ok', ...opts.health() };
      return sendJson(res, body.status === 'ok' ? 200 : 503, body);
    }
    const text = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(text);
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: Error) => {
      if (res.headersSent) res.destroy(err);
      else sendJson(res, 500, { status: 'error', error: err.message });
    });
  };
  const server: Server = opts.tls ? createHttpsServer(opts.tls, onRequest) : createServer(onRequest);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections from a scraper would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
