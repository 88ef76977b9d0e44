// `outpost link ...`: cluster links on a running outpost, through its REST API, shaped like
// `confluent kafka link`.
import type { Command } from 'commander';
import { AdminClient, adminCommand, type AdminFlags } from './admin-client.js';
import { collectConfigs, readConfigFile } from './config-args.js';
import { json, record, resource, table } from './output.js';

interface CreateFlags extends AdminFlags {
  sourceBootstrapServer?: string;
  sourceClusterId?: string;
  sourceApiKey?: string;
  sourceApiSecret?: string;
  config?: Record<string, string>;
  configFile?: string;
  dryRun?: boolean;
  validate: boolean;
}

const enc = encodeURIComponent;
const out = (text: string): void => void process.stdout.write(text);

/** JAAS quotes its option values; a quote or backslash inside one is escaped. */
const jaasQuote = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** The link's configs from the file, then --config, then the dedicated flags, each over the one before. */
async function linkConfigs(flags: CreateFlags): Promise<Record<string, string>> {
  const configs = { ...(flags.configFile === undefined ? {} : await readConfigFile(flags.configFile)), ...flags.config };
  if (flags.sourceBootstrapServer !== undefined) configs['bootstrap.servers'] = flags.sourceBootstrapServer;
  if ((flags.sourceApiKey === undefined) !== (flags.sourceApiSecret === undefined)) {
    throw new Error('--source-api-key and --source-api-secret go together');
  }
  if (flags.sourceApiKey !== undefined) {
    // An API key and secret are SASL/PLAIN credentials, which Confluent's clusters take over TLS.
    configs['security.protocol'] ??= 'SASL_SSL';
    configs['sasl.mechanism'] = 'PLAIN';
    configs['sasl.jaas.config'] =
      `org.apache.kafka.common.security.plain.PlainLoginModule required username=${jaasQuote(flags.sourceApiKey)} password=${jaasQuote(flags.sourceApiSecret!)};`;
  }
  if (!configs['bootstrap.servers']) throw new Error('the source cluster is unknown: give --source-bootstrap-server (or bootstrap.servers in --config or --config-file)');
  return configs;
}

function describeLink(l: any): string {
  return record([
    ['Name', l.link_name],
    ['Link ID', l.link_id],
    ['Source Cluster', l.source_cluster_id],
    ['State', l.link_state],
    ['Error', l.link_error_message],
    ['Mirror Topics', l.topic_names.join(', ')],
    ['Fetch Rate', `${Math.round(l.records_per_sec)} records/s, ${Math.round(l.bytes_per_sec)} bytes/s`],
    ['Consumer Offset Sync', offsetSyncLine(l.consumer_offset_sync)],
    ['Read-Through', readThroughLine(l.read_through)],
  ]);
}

function readThroughLine(r: { source_fetches: number; bytes_served: number; cache_hit_ratio: number; cached_bytes: number; source_fetch_ms_p50: number; source_fetch_ms_p99: number }): string {
  if (r.source_fetches === 0) return 'nothing read through yet';
  const latency = r.source_fetch_ms_p50 < 0 ? '' : `, source fetch p50 ${r.source_fetch_ms_p50} ms p99 ${r.source_fetch_ms_p99} ms`;
  return `${r.bytes_served} bytes served, ${r.source_fetches} source fetches, cache hit ratio ${r.cache_hit_ratio.toFixed(2)} (${r.cached_bytes} bytes cached)${latency}`;
}

function offsetSyncLine(s: { enabled: boolean; last_sync_ms: number | null; groups: { group_id: string; offsets_behind: number; synced: boolean }[] }): string {
  if (!s.enabled) return 'off';
  if (s.last_sync_ms === null) return 'on, not run yet';
  const groups = s.groups.map((g) => (g.synced ? `${g.group_id} (${g.offsets_behind} behind)` : `${g.group_id} (has members here: left alone)`));
  return `last ${new Date(s.last_sync_ms).toISOString()}; ${groups.length} group(s)${groups.length > 0 ? `: ${groups.join(', ')}` : ''}`;
}

export function addLinkCommands(program: Command): void {
  const link = program.command('link').description('manage cluster links: connections to the source clusters that mirror topics come from');

  adminCommand(link, 'create <name>', 'create a cluster link to a source cluster')
    .option('--source-bootstrap-server <host:port>', "the source cluster's bootstrap servers, comma-separated")
    .option('--source-cluster-id <id>', "the source's cluster id: the link refuses a source with another")
    .option('--source-api-key <key>', 'API key for the source: SASL/PLAIN credentials, over TLS (SASL_SSL) unless --config sets security.protocol')
    .option('--source-api-secret <secret>', 'API secret for --source-api-key')
    .option('--config <k=v,...>', 'link configs, comma-separated; repeatable', collectConfigs)
    .option('--config-file <file>', 'a properties file of link configs, one k=v a line')
    .option('--dry-run', 'check the request (and the source) without creating the link')
    .option('--no-validate', "create the link even if the source cannot be reached now (it keeps trying)")
    .action(async (name: string, flags: CreateFlags) => {
      const client = AdminClient.from(flags);
      const configs = await linkConfigs(flags);
      await client.cluster('POST', '/links', {
        query: { link_name: name, validate_only: flags.dryRun, validate_link: flags.validate },
        body: { source_cluster_id: flags.sourceClusterId, configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) },
      });
      if (flags.dryRun) return out(flags.output === 'json' ? json({ link_name: name, valid: true }) : `Cluster link "${name}" would be created.\n`);
      if (flags.output === 'json') return out(json(resource(await client.cluster('GET', `/links/${enc(name)}`))));
      out(`Created cluster link "${name}".\n`);
    });

  adminCommand(link, 'list', 'list cluster links').action(async (flags: AdminFlags) => {
    const links: any[] = (await AdminClient.from(flags).cluster('GET', '/links')).data;
    if (flags.output === 'json') return out(json(links.map(resource)));
    out(table(['Name', 'Source Cluster', 'State', 'Mirrors', 'Error'], links.map((l) => [l.link_name, l.source_cluster_id, l.link_state, l.topic_names.length, l.link_error_message])));
  });

  adminCommand(link, 'describe <name>', 'describe a cluster link').action(async (name: string, flags: AdminFlags) => {
    const l = await AdminClient.from(flags).cluster('GET', `/links/${enc(name)}`);
    out(flags.output === 'json' ? json(resource(l)) : describeLink(l));
  });

  adminCommand(link, 'delete <name>', 'delete a cluster link', { output: false })
    .option('--force', 'delete it even with mirror topics: they stop mirroring and stay as ordinary, writable topics')
    .action(async (name: string, flags: AdminFlags & { force?: boolean }) => {
      await AdminClient.from(flags).cluster('DELETE', `/links/${enc(name)}`, { query: { force: flags.force } });
      out(`Deleted cluster link "${name}".\n`);
    });

  const configuration = link.command('configuration').description("a cluster link's configs");

  adminCommand(configuration, 'list <name>', "list a cluster link's configs").action(async (name: string, flags: AdminFlags) => {
    const configs: any[] = (await AdminClient.from(flags).cluster('GET', `/links/${enc(name)}/configs`)).data;
    if (flags.output === 'json') return out(json(configs.map(resource)));
    out(table(['Name', 'Value', 'Sensitive', 'Source'], configs.map((c) => [c.name, c.sensitive ? '[hidden]' : c.value, c.sensitive, c.source])));
  });

  adminCommand(configuration, 'update <name>', "set configs of a cluster link", { output: false })
    .option('--config <k=v,...>', 'configs to set, comma-separated; repeatable', collectConfigs)
    .option('--config-file <file>', 'a properties file of configs to set, one k=v a line')
    .action(async (name: string, flags: AdminFlags & { config?: Record<string, string>; configFile?: string }) => {
      const configs = { ...(flags.configFile === undefined ? {} : await readConfigFile(flags.configFile)), ...flags.config };
      if (Object.keys(configs).length === 0) throw new Error('nothing to update: give --config or --config-file');
      const data = Object.entries(configs).map(([k, v]) => ({ name: k, value: v, operation: 'SET' }));
      await AdminClient.from(flags).cluster('PUT', `/links/${enc(name)}/configs:alter`, { body: { data } });
      out(`Updated cluster link "${name}": ${Object.keys(configs).join(', ')}.\n`);
    });
}
