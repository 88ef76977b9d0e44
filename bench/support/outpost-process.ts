// outpost as the benchmarks run it: its own process, exactly as `outpost serve` runs it, on a
// fresh data dir, with a small client for the cluster-link REST API on its admin listener.
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnGuarded } from '../../test/peers/proc.js';
import { freePort, repoRoot } from '../../test/peers/kafka.js';

export interface OutpostProcess {
  bootstrap: string;
  port: number;
  adminUrl: string;
  pid: number;
  /** The last lines of its log (warnings and errors only), for an error message. */
  logTail(lines?: number): string;
  /** SIGTERM (a clean stop), SIGKILL if that takes over 20 s; removes the data dir unless `keepData`. Idempotent. */
  stop(opts?: { keepData?: boolean; kill?: boolean }): Promise<void>;
  /** where its settings, log and data dir are: give it to a new start to restart on the same data */
  workDir: string;
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `configs` are broker configs (written to a settings file); `listeners`, when given, are listeners
 * besides the PLAINTEXT one that `bootstrap` names (NAME://host:port, with their protocols in
 * configs' listener.security.protocol.map).
 */
export async function startOutpostProcess(opts: { configs?: Record<string, string>; listeners?: string[]; workDir?: string; ports?: [number, number]; startTimeoutMs?: number } = {}): Promise<OutpostProcess> {
  const workDir = opts.workDir ?? (await mkdtemp(join(tmpdir(), 'outpost-mirror-bench-')));
  const logFile = join(workDir, 'outpost.log');
  const [port, admin] = opts.ports ?? [await freePort(), await freePort()];
  const configs = { ...opts.configs };
  if (opts.listeners) configs.listeners = [`PLAINTEXT://127.0.0.1:${port}`, ...opts.listeners].join(',');
  const settingsFile = join(workDir, 'outpost.yaml');
  const entries = Object.entries(configs);
  if (entries.length > 0) writeFileSync(settingsFile, `configs:\n${entries.map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`).join('')}`);
  // Its log goes to a file, not a pipe we would have to drain; warn keeps the log's own cost out
  // of the CPU figures.
  const out = openSync(logFile, 'a');
  // OUTPOST_BENCH_NODE_ARGS adds node flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
  const nodeArgs = process.env.OUTPOST_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawnGuarded(process.execPath, [
    ...nodeArgs, join(repoRoot, 'bin/outpost.js'), 'serve', ...(entries.length > 0 ? ['--config', settingsFile] : []),
    ...(opts.listeners ? [] : ['--listen', `127.0.0.1:${port}`]), '--admin', `127.0.0.1:${admin}`, '--data-dir', join(workDir, 'data'),
  ], { stdio: ['ignore', out, out], env: { ...process.env, OUTPOST_LOG_LEVEL: 'warn' } }, workDir);
  closeSync(out);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  const logTail = (lines = 30) => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  let stopping: Promise<void> | undefined;
  const stop = (how: { keepData?: boolean; kill?: boolean } = {}) => {
    stopping ??= (async () => {
      if (!exited) {
        child.kill(how.kill ? 'SIGKILL' : 'SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exit;
        clearTimeout(t);
      }
      if (!how.keepData) await rm(workDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const adminUrl = `http://127.0.0.1:${admin}`;
  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exited) {
      const tail = logTail();
      await stop();
      throw new Error(`outpost exited during start-up; its log:\n${tail}`);
    }
    if (await fetch(`${adminUrl}/health`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) {
      const tail = logTail();
      await stop();
      throw new Error(`outpost did not answer /health within ${startTimeoutMs / 1000} s; its log:\n${tail}`);
    }
    await sleep(100);
  }
  return { bootstrap: `127.0.0.1:${port}`, port, adminUrl, pid: child.pid!, logTail, stop, workDir };
}

/** The cluster-link REST API (Confluent's v3 shape) of one outpost. */
export class LinksApi {
  private clusterId?: string;

  constructor(private readonly adminUrl: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${this.adminUrl}${path}`, {
      method,
      headers: method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.trim()}`);
    return text === '' ? undefined : JSON.parse(text);
  }

  private async cluster(method: string, path: string, body?: unknown): Promise<any> {
    this.clusterId ??= (await this.call('GET', '/kafka/v3/clusters')).data[0].cluster_id as string;
    return this.call(method, `/kafka/v3/clusters/${encodeURIComponent(this.clusterId)}${path}`, body);
  }

  createLink(name: string, sourceBootstrap: string, configs: Record<string, string> = {}): Promise<void> {
    const entries = Object.entries({ 'bootstrap.servers': sourceBootstrap, ...configs }).map(([k, value]) => ({ name: k, value }));
    return this.cluster('POST', `/links?link_name=${encodeURIComponent(name)}`, { configs: entries });
  }

  createMirror(link: string, topic: string): Promise<void> {
    return this.cluster('POST', `/links/${encodeURIComponent(link)}/mirrors`, { source_topic_name: topic });
  }

  /** The mirror's status (ACTIVE, FAILED, ...) and why, as the REST API reports it. */
  async mirrorStatus(link: string, topic: string): Promise<{ status: string; reason: string | null }> {
    const m = await this.cluster('GET', `/links/${encodeURIComponent(link)}/mirrors/${encodeURIComponent(topic)}`);
    return { status: m.mirror_status, reason: m.mirror_status_reason ?? null };
  }

  /** Every mirror of the link as the REST API describes it. */
  async mirrors(link: string): Promise<any[]> {
    return (await this.cluster('GET', `/links/${encodeURIComponent(link)}/mirrors`)).data;
  }

  /** The link as the REST API describes it. */
  link(name: string): Promise<any> {
    return this.cluster('GET', `/links/${encodeURIComponent(name)}`);
  }
}
