// `outpost mirror ...`: mirror topics on a running outpost, through its REST API, shaped like
// `confluent kafka mirror`.
import type { Command } from 'commander';
import { AdminClient, adminCommand, type AdminFlags } from './admin-client.js';
import { waitCaughtUp } from './mirror-sync.js';
import { json, record, resource, table } from './output.js';

interface LinkFlags extends AdminFlags {
  link: string;
}

const enc = encodeURIComponent;
const out = (text: string): void => void process.stdout.write(text);

const maxLag = (m: any) => Math.max(0, ...m.mirror_lags.map((p: any) => p.lag));
const fetchTime = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : 'never');

function describeMirror(m: any): string {
  const head = record([
    ['Link', m.link_name],
    ['Mirror Topic', m.mirror_topic_name],
    ['Source Topic', m.source_topic_name],
    ['Source Topic ID', m.source_topic_id],
    ['Status', m.mirror_status],
    ['Reason', m.mirror_status_reason],
  ]);
  const rows = m.mirror_lags.map((p: any) => [p.partition, p.source_high_watermark, p.log_start_offset, p.local_log_start_offset, p.log_end_offset, p.lag, p.local_bytes, p.source_bytes < 0 ? '-' : p.source_bytes, p.bytes_served_local, p.bytes_served_read_through, fetchTime(p.last_fetch_time_ms)]);
  return `${head}\n${table(['Partition', 'Source High Watermark', 'Log Start', 'Local Start', 'Mirror End Offset', 'Lag', 'Local Bytes', 'Total Bytes', 'Served Local', 'Served Read-Through', 'Last Fetch'], rows)}`;
}

function pauseOrResume(mirror: Command, action: 'pause' | 'resume', done: string): void {
  adminCommand(mirror, `${action} <topics...>`, `${action} mirror topics`)
    .requiredOption('--link <name>', 'the cluster link of the mirror topics')
    .action(async (topics: string[], flags: LinkFlags) => {
      const res = await AdminClient.from(flags).cluster('POST', `/links/${enc(flags.link)}/mirrors:${action}`, { body: { mirror_topic_names: topics } });
      if (flags.output === 'json') return out(json(res.data.map(resource)));
      for (const t of topics) out(`${done} mirror topic "${t}".\n`);
    });
}

export function addMirrorCommands(program: Command): void {
  const mirror = program.command('mirror').description('manage mirror topics: read-only copies of source topics, kept up to date by a cluster link');

  adminCommand(mirror, 'create <topic>', 'create a mirror of a source topic (under the same name, or the link\'s cluster.link.prefix and the source\'s name)')
    .requiredOption('--link <name>', 'the cluster link to the source')
    .option('--source-topic <name>', 'the source topic, when its name is not the mirror\'s (a link with cluster.link.prefix)')
    .option('--sync', 'wait until the mirror has caught up with the source (lag 0 on every partition)')
    .action(async (topic: string, flags: LinkFlags & { sync?: boolean; sourceTopic?: string }) => {
      const client = AdminClient.from(flags);
      await client.cluster('POST', `/links/${enc(flags.link)}/mirrors`, { body: { source_topic_name: flags.sourceTopic ?? topic, mirror_topic_name: topic } });
      const m = flags.sync ? await waitCaughtUp(client, flags.link, topic) : await client.cluster('GET', `/links/${enc(flags.link)}/mirrors/${enc(topic)}`);
      if (flags.output === 'json') return out(json(resource(m)));
      out(flags.sync ? `Created mirror topic "${topic}"; it has caught up with its source (${m.num_partitions} partitions, lag 0).\n` : `Created mirror topic "${topic}".\n`);
    });

  adminCommand(mirror, 'list', 'list mirror topics')
    .option('--link <name>', 'only those of this cluster link')
    .action(async (flags: AdminFlags & { link?: string }) => {
      const mirrors: any[] = (await AdminClient.from(flags).cluster('GET', `/links/${enc(flags.link ?? '-')}/mirrors`)).data;
      if (flags.output === 'json') return out(json(mirrors.map(resource)));
      out(table(['Link', 'Mirror Topic', 'Partitions', 'Max Lag', 'Status'], mirrors.map((m) => [m.link_name, m.mirror_topic_name, m.num_partitions, maxLag(m), m.mirror_status])));
    });

  adminCommand(mirror, 'describe <topic>', 'describe a mirror topic, partition by partition')
    .requiredOption('--link <name>', 'the cluster link of the mirror topic')
    .action(async (topic: string, flags: LinkFlags) => {
      const m = await AdminClient.from(flags).cluster('GET', `/links/${enc(flags.link)}/mirrors/${enc(topic)}`);
      out(flags.output === 'json' ? json(resource(m)) : describeMirror(m));
    });

  pauseOrResume(mirror, 'pause', 'Paused');
  pauseOrResume(mirror, 'resume', 'Resumed');
  promoteOrFailover(mirror, 'promote', 'make mirror topics ordinary writable topics, once they hold everything their source has committed');
  promoteOrFailover(mirror, 'failover', 'make mirror topics writable now, at what they hold (the source is lost)');

  adminCommand(mirror, 'truncate-and-restore <topics...>', 'failback: make topics here mirrors of the link\'s source again, cutting what the source never got')
    .requiredOption('--link <name>', 'the cluster link to the topics\' new primary')
    .option('--dry-run', 'say what would be cut, change nothing')
    .action(async (topics: string[], flags: LinkFlags & { dryRun?: boolean }) => {
      const res = await AdminClient.from(flags).cluster('POST', `/links/${enc(flags.link)}/mirrors:truncate-and-restore`, { query: { validate_only: flags.dryRun }, body: { mirror_topic_names: topics } });
      if (flags.output === 'json') return out(json(res.data.map(resource)));
      if (printRestored(res.data, flags.dryRun ?? false) > 0) process.exitCode = 1;
    });

  adminCommand(mirror, 'reverse-and-start <topics...>', 'swap roles with the source (another outpost): promote these caught-up mirrors here, and have the source restore its topics as mirrors of them')
    .requiredOption('--link <name>', 'the cluster link of the mirror topics here')
    .requiredOption('--peer-admin-url <url>', 'the source outpost\'s admin listener, as this outpost reaches it')
    .requiredOption('--peer-link <name>', 'the source outpost\'s cluster link to this one')
    .option('--peer-admin-user <user>', 'its HTTP Basic user (default: as for this outpost)')
    .option('--peer-admin-password <password>', 'its password (default: as for this outpost)')
    .action(async (topics: string[], flags: LinkFlags & { peerAdminUrl: string; peerLink: string; peerAdminUser?: string; peerAdminPassword?: string }) => {
      const user = flags.peerAdminUser ?? flags.adminUser ?? process.env.OUTPOST_ADMIN_USER;
      const password = flags.peerAdminPassword ?? flags.adminPassword ?? process.env.OUTPOST_ADMIN_PASSWORD;
      const peer = { admin_url: flags.peerAdminUrl, link_name: flags.peerLink, ...(user !== undefined && password !== undefined ? { user, password } : {}) };
      const res = await AdminClient.from(flags).cluster('POST', `/links/${enc(flags.link)}/mirrors:reverse-and-start`, { body: { mirror_topic_names: topics, peer } });
      if (flags.output === 'json') return out(json(res.data.map(resource)));
      let refused = 0;
      for (const r of res.data) {
        if (r.error_message) {
          refused++;
          process.stderr.write(`Cannot reverse "${r.mirror_topic_name}": ${r.error_message}\n`);
          continue;
        }
        const cut = r.messages_truncated.reduce((n: number, p: any) => n + p.messages_truncated, 0);
        out(`Reversed "${r.mirror_topic_name}": it is writable here, and the peer mirrors it (${cut} record(s) cut there).\n`);
      }
      if (refused > 0) process.exitCode = 1;
    });
}

/** Prints truncate-and-restore answers; returns how many were refused. */
function printRestored(data: any[], dryRun: boolean): number {
  let refused = 0;
  for (const r of data) {
    if (r.error_message) {
      refused++;
      out(`Cannot restore "${r.mirror_topic_name}": ${r.error_message}\n`);
      continue;
    }
    const cut = r.messages_truncated.reduce((n: number, p: any) => n + p.messages_truncated, 0);
    const detail = r.messages_truncated.filter((p: any) => p.messages_truncated > 0).map((p: any) => `partition ${p.partition_id}: ${p.messages_truncated} from offset ${p.offset_truncated_to}`).join(', ');
    out(`${dryRun ? 'Would restore' : 'Restored'} "${r.mirror_topic_name}" as a mirror, ${dryRun ? 'cutting' : 'cut'} ${cut} record(s)${detail ? ` (${detail})` : ''}.\n`);
  }
  return refused;
}

function promoteOrFailover(mirror: Command, how: 'promote' | 'failover', description: string): void {
  adminCommand(mirror, `${how} <topics...>`, description)
    .requiredOption('--link <name>', 'the cluster link of the mirror topics')
    .option('--dry-run', 'check only: say what would be refused, change nothing')
    .action(async (topics: string[], flags: LinkFlags & { dryRun?: boolean }) => {
      const res = await AdminClient.from(flags).cluster('POST', `/links/${enc(flags.link)}/mirrors:${how}`, { query: { validate_only: flags.dryRun }, body: { mirror_topic_names: topics } });
      if (flags.output === 'json') return out(json(res.data.map(resource)));
      let refused = 0;
      for (const r of res.data) {
        if (r.error_message) {
          refused++;
          out(`${how === 'promote' ? 'Cannot promote' : 'Cannot fail over'} "${r.mirror_topic_name}": ${r.error_message}\n`);
        } else {
          out(`${flags.dryRun ? 'Would' : 'Did'} ${how} mirror topic "${r.mirror_topic_name}"${flags.dryRun ? '' : ': it is writable now'}.\n`);
        }
      }
      if (refused > 0) process.exitCode = 1;
    });
}
