// The CLI's way to a running outpost: its REST API on the admin listener. Every failure becomes an
// Error whose message is one line fit for the terminal.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Command } from 'commander';
import { outputOption, type OutputFormat } from './output.js';

const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8090';

const TIMEOUT_MS = 30_000;

export interface RequestOptions {
  query?: Record<string, string | boolean | undefined>;
  body?: unknown;
}

/** How the CLI reaches the admin listener: where, trusting which CA, as whom. */
export interface AdminConnection {
  adminUrl?: string;
  adminCaFile?: string;
  adminUser?: string;
  adminPassword?: string;
}

interface HttpAnswer {
  status: number;
  text: string;
}

export class AdminClient {
  private clusterId: Promise<string> | undefined;

  constructor(readonly url: string, private readonly ca?: Buffer, private readonly authorization?: string) {}

  /**
   * Each of --admin-url, --admin-ca-file, --admin-user and --admin-password, else its environment
   * variable (OUTPOST_ADMIN_URL, _CA_FILE, _USER, _PASSWORD: a password need not be typed on a
   * command line), else the default: the admin listener's address, no CA, no user.
   */
  static from(flags: AdminConnection): AdminClient {
    const env = process.env;
    const url = flags.adminUrl ?? env.OUTPOST_ADMIN_URL ?? DEFAULT_ADMIN_URL;
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new Error(`invalid admin URL ${JSON.stringify(url)}: expected http://HOST:PORT or https://HOST:PORT`);
    const caFile = flags.adminCaFile ?? env.OUTPOST_ADMIN_CA_FILE;
    let ca: Buffer | undefined;
    if (caFile) {
      try {
        ca = readFileSync(caFile);
      } catch (e) {
        throw new Error(`--admin-ca-file ${caFile} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    const user = flags.adminUser ?? env.OUTPOST_ADMIN_USER;
    const password = flags.adminPassword ?? env.OUTPOST_ADMIN_PASSWORD;
    if ((user === undefined) !== (password === undefined)) throw new Error('the admin user and password go together: give both (--admin-user and --admin-password, or OUTPOST_ADMIN_USER and OUTPOST_ADMIN_PASSWORD)');
    const authorization = user === undefined ? undefined : `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
    return new AdminClient(url.replace(/\/+$/, ''), ca, authorization);
  }

  /** One HTTP(S) exchange; node's own client, as fetch cannot be given a CA. */
  private send(method: string, target: URL, body: string | undefined): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    // Every write says it is JSON, with a body or without: the admin listener refuses others.
    if (method !== 'GET' && method !== 'DELETE') headers['content-type'] = 'application/json';
    if (this.authorization) headers.authorization = this.authorization;
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(target, { method, headers, timeout: TIMEOUT_MS, ...(this.ca ? { ca: this.ca } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer in ${TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A request under this broker's /kafka/v3/clusters/{cluster_id}; resolves with the parsed body (undefined on 204). */
  async cluster(method: string, path: string, opts: RequestOptions = {}): Promise<any> {
    this.clusterId ??= this.request('GET', '/kafka/v3/clusters').then((list) => list.data[0].cluster_id as string);
    return this.request(method, `/kafka/v3/clusters/${encodeURIComponent(await this.clusterId)}${path}`, opts);
  }

  private async request(method: string, path: string, opts: RequestOptions = {}): Promise<any> {
    const target = new URL(`${this.url}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) target.searchParams.set(k, String(v));
    let res: HttpAnswer;
    try {
      res = await this.send(method, target, opts.body === undefined ? undefined : JSON.stringify(opts.body));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const tls = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(e.code ?? '') ? ' (a CA the CLI does not trust? set --admin-ca-file or OUTPOST_ADMIN_CA_FILE)' : '';
      throw new Error(`cannot reach outpost at ${this.url} (${e.code ?? e.message})${tls}: is it running? (set --admin-url or OUTPOST_ADMIN_URL)`);
    }
    if (res.status === 204) return undefined;
    if (res.status === 401) throw new Error(`${this.url} asks for a user and password${this.authorization ? ', and refused the ones given' : ''}: set --admin-user and --admin-password (or OUTPOST_ADMIN_USER and OUTPOST_ADMIN_PASSWORD)`);
    const text = res.text;
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${this.url} answered ${method} ${path} with HTTP ${res.status} and a body that is not JSON: is it outpost's admin listener?`);
    }
    if (res.status < 200 || res.status > 299) throw new Error(typeof parsed?.message === 'string' ? parsed.message : `HTTP ${res.status} from ${method} ${path}`);
    return parsed;
  }
}

export interface AdminFlags extends AdminConnection {
  output: OutputFormat;
}

/** A subcommand that talks to a running outpost: --admin-url, and -o unless it prints nothing worth parsing. */
export function adminCommand(parent: Command, nameAndArgs: string, description: string, opts: { output?: boolean } = {}): Command {
  const cmd = parent
    .command(nameAndArgs)
    .description(description)
    .option('--admin-url <url>', `outpost's admin listener, http or https (default: $OUTPOST_ADMIN_URL, else ${DEFAULT_ADMIN_URL})`)
    .option('--admin-ca-file <file>', 'PEM CA certificates to trust for an https admin listener (default: $OUTPOST_ADMIN_CA_FILE)')
    .option('--admin-user <user>', 'user for HTTP Basic authentication (default: $OUTPOST_ADMIN_USER)')
    .option('--admin-password <password>', 'its password (default: $OUTPOST_ADMIN_PASSWORD, which keeps it off the command line)');
  return opts.output === false ? cmd : cmd.addOption(outputOption());
}
