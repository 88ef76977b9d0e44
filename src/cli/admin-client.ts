// The CLI's way to a running outpost: its REST API on the admin listener. Every failure becomes an
// Error whose message is one line fit for the terminal.
import type { Command } from 'commander';
import { outputOption, type OutputFormat } from './output.js';

const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8090';

const TIMEOUT_MS = 30_000;

export interface RequestOptions {
  query?: Record<string, string | boolean | undefined>;
  body?: unknown;
}

export class AdminClient {
  private clusterId: Promise<string> | undefined;

  constructor(readonly url: string) {}

  /** --admin-url, else OUTPOST_ADMIN_URL, else the admin listener's default address. */
  static from(adminUrl: string | undefined): AdminClient {
    const url = adminUrl ?? process.env.OUTPOST_ADMIN_URL ?? DEFAULT_ADMIN_URL;
    if (!URL.canParse(url)) throw new Error(`invalid admin URL ${JSON.stringify(url)}: expected http://HOST:PORT`);
    return new AdminClient(url.replace(/\/+$/, ''));
  }

  /** A request under this broker's /kafka/v3/clusters/{cluster_id}; resolves with the parsed body (undefined on 204). */
  async cluster(method: string, path: string, opts: RequestOptions = {}): Promise<any> {
    this.clusterId ??= this.request('GET', '/kafka/v3/clusters').then((list) => list.data[0].cluster_id as string);
    return this.request(method, `/kafka/v3/clusters/${encodeURIComponent(await this.clusterId)}${path}`, opts);
  }

  private async request(method: string, path: string, opts: RequestOptions = {}): Promise<any> {
    const target = new URL(`${this.url}${path}`);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) target.searchParams.set(k, String(v));
    let res: Response;
    try {
      res = await fetch(target, {
        method,
        // Every write says it is JSON, with a body or without: the admin listener refuses others.
        headers: method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      // fetch's own message is "fetch failed"; what went wrong is in its cause.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new Error(`cannot reach outpost at ${this.url} (${why}): is it running? (set --admin-url or OUTPOST_ADMIN_URL)`);
    }
    if (res.status === 204) return undefined;
    const text = await res.text();
    let parsed: any;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${this.url} answered ${method} ${path} with HTTP ${res.status} and a body that is not JSON: is it outpost's admin listener?`);
    }
    if (!res.ok) throw new Error(typeof parsed?.message === 'string' ? parsed.message : `HTTP ${res.status} from ${method} ${path}`);
    return parsed;
  }
}

export interface AdminFlags {
  adminUrl?: string;
  output: OutputFormat;
}

/** A subcommand that talks to a running outpost: --admin-url, and -o unless it prints nothing worth parsing. */
export function adminCommand(parent: Command, nameAndArgs: string, description: string, opts: { output?: boolean } = {}): Command {
  const cmd = parent
    .command(nameAndArgs)
    .description(description)
    .option('--admin-url <url>', `outpost's admin listener (default: $OUTPOST_ADMIN_URL, else ${DEFAULT_ADMIN_URL})`);
  return opts.output === false ? cmd : cmd.addOption(outputOption());
}
