// `outpost migrate`: the cutover runbook as one command, through the admin API (and, with --fence,
// the source itself). For a link and the mirrors and synced groups that patterns choose: check
// that offset sync covers the groups; wait until the mirrors are close to the source; have the
// producers stopped (the operator says so, or a DENY WRITE ACL at the source fences them); wait
// for lag 0; promote, which runs a last offset sync; then report where each topic ended, where
// each group will resume and which addresses the clients move to. What it did is kept in a state
// file while it runs, so that an interrupted run can be resumed (--resume) or undone (--rollback).
import { createInterface } from 'node:readline/promises';
import { readFile, rm } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, WILDCARD, WILDCARD_PRINCIPAL, type AclBinding } from '../common/acls.js';
import { linkConfigsProblem, resolveLinkSettings } from '../config/link-configs.js';
import { writeFileDurably } from '../log/durable-file.js';
import { KafkaSource } from '../link/kafka-source.js';
import { AdminClient, adminCommand, type AdminFlags } from './admin-client.js';
import { readConfigFile } from './config-args.js';
import { json, record, table } from './output.js';

interface MigrateFlags extends AdminFlags {
  link: string;
  topics?: string[];
  groups: string[];
  maxLag: string;
  timeoutMs: string;
  fence?: boolean;
  sourceBootstrapServer?: string;
  sourceCommandConfig?: string;
  producersStopped?: boolean;
  dryRun?: boolean;
  resume?: boolean;
  rollback?: boolean;
  stateFile?: string;
}

/** What a run has done so far, on disk while it runs. */
interface MigrationState {
  link: string;
  topics: string[];
  groups: string[];
  /** the ACLs put at the source to fence its producers (written before they are made) */
  fence: AclBinding[];
  startedAt: string;
}

interface Plan {
  link: string;
  /** mirror name -> source topic name, for the mirrors still to promote */
  topics: Map<string, string>;
  /** chosen topics promoted already (by an earlier, interrupted run) */
  promoted: string[];
  groups: string[];
  bootstrap: string;
}

const POLL_MS = 500;
const enc = encodeURIComponent;
const say = (text: string): void => void process.stderr.write(text);

/** A shell-style pattern (`*` any run of characters, `?` one) as a regular expression. */
function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

const isPattern = (p: string) => /[*?]/.test(p);
const splitList = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];

export function addMigrateCommand(program: Command): void {
  adminCommand(program, 'migrate', 'move clients from a source cluster to outpost: wait for the mirrors, fence or stop the producers, promote, report where each group resumes')
    .requiredOption('--link <name>', 'the cluster link of the mirrors')
    .option('--topics <patterns>', 'mirror topics to move, names or shell patterns (* and ?), comma-separated, repeatable (default with --resume: those of the interrupted run)', splitList)
    .option('--groups <patterns>', 'consumer groups that move with them (as named here), comma-separated, repeatable', splitList, [])
    .option('--max-lag <records>', 'the lag (records, all chosen mirrors together) to wait for before producers are stopped', '1000')
    .option('--timeout-ms <ms>', 'how long to wait for each step before giving up (and undoing the fence)', '600000')
    .option('--fence', 'fence the source topics\' producers with a DENY WRITE ACL for User:* at the source (removed again if the migration is abandoned)')
    .option('--source-bootstrap-server <servers>', 'where --fence reaches the source (default: the link\'s bootstrap servers)')
    .option('--source-command-config <file>', 'Kafka client properties for --fence (security.protocol, sasl.*, ssl.*): credentials allowed to alter ACLs')
    .option('--producers-stopped', 'the source topics\' producers are stopped already: do not ask (for scripts)')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--resume', 'go on with an interrupted run (its state file)')
    .option('--rollback', 'undo an interrupted run: remove its fence at the source (promoted topics stay promoted)')
    .option('--state-file <file>', 'where a run keeps what it did (default: ./outpost-migrate-<link>.json)')
    .action(async (flags: MigrateFlags) => {
      const client = AdminClient.from(flags);
      const stateFile = flags.stateFile ?? `outpost-migrate-${flags.link}.json`;
      const state = await readState(stateFile);
      if (flags.rollback) return rollback(flags, client, stateFile, state);
      if (state && !flags.resume && !flags.dryRun) {
        throw new Error(`a migration of link ${state.link} started at ${state.startedAt} was interrupted (${stateFile}): run again with --resume to go on, or --rollback to undo its fence`);
      }
      if (!state && flags.resume) throw new Error(`nothing to resume: ${stateFile} does not exist`);
      const topics = flags.topics ?? state?.topics;
      if (!topics || topics.length === 0) throw new Error('--topics is required: the mirror topics to move');
      const groups = flags.groups.length > 0 ? flags.groups : state?.groups ?? [];
      const maxLag = count('--max-lag', flags.maxLag);
      const timeoutMs = count('--timeout-ms', flags.timeoutMs);
      const plan = await makePlan(client, flags.link, topics, groups, timeoutMs);
      if (flags.dryRun) return printPlan(flags, plan, maxLag);
      const current: MigrationState = state ?? { link: flags.link, topics, groups, fence: [], startedAt: new Date().toISOString() };
      await writeState(stateFile, current);
      const onInterrupt = () => {
        say(`\ninterrupted: run again with --resume to go on, or --rollback to undo what was done (${stateFile})\n`);
        process.exit(130);
      };
      process.once('SIGINT', onInterrupt);
      try {
        await migrate(flags, client, plan, current, stateFile, { maxLag, timeoutMs });
      } finally {
        process.off('SIGINT', onInterrupt);
      }
      const report = await makeReport(client, plan, current);
      await rm(stateFile, { force: true });
      printReport(flags, report);
    });
}

function count(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} must be a whole number, not ${JSON.stringify(value)}`);
  return n;
}

// ---- the plan ----------------------------------------------------------------------------------

async function makePlan(client: AdminClient, link: string, topicPatterns: string[], groupPatterns: string[], timeoutMs: number): Promise<Plan> {
  const mirrors: any[] = (await client.cluster('GET', `/links/${enc(link)}/mirrors`)).data;
  const topics = new Map<string, string>();
  const promoted: string[] = [];
  for (const pattern of topicPatterns) {
    const re = globToRegExp(pattern);
    const chosen = mirrors.filter((m) => re.test(m.mirror_topic_name));
    if (chosen.length === 0) throw new Error(`--topics ${pattern}: link ${link} has no mirror topic ${isPattern(pattern) ? 'matching it' : 'of that name'}`);
    for (const m of chosen) {
      if (m.mirror_status === 'STOPPED') promoted.push(m.mirror_topic_name);
      else if (m.mirror_status === 'FAILED') throw new Error(`mirror topic ${m.mirror_topic_name} has failed (${m.mirror_status_reason}): it cannot be migrated; fail it over or leave it out`);
      else topics.set(m.mirror_topic_name, m.source_topic_name);
    }
  }
  const groups = groupPatterns.length === 0 ? [] : await coveredGroups(client, link, groupPatterns, timeoutMs);
  return { link, topics, promoted: [...new Set(promoted)], groups, bootstrap: await linkBootstrap(client, link) };
}

/** The source's bootstrap servers, as the link has them. */
async function linkBootstrap(client: AdminClient, link: string): Promise<string> {
  const configs: any[] = (await client.cluster('GET', `/links/${enc(link)}/configs`)).data;
  return configs.find((c) => c.name === 'bootstrap.servers')?.value ?? '';
}

/**
 * The groups the patterns choose among those the link's offset sync covers. A pattern that
 * matches none is an error once two sync rounds have ended since the question: a group whose
 * first commit at the source is newer than the last round is seen by the next one.
 */
async function coveredGroups(client: AdminClient, link: string, patterns: string[], timeoutMs: number): Promise<string[]> {
  const askedAt = Date.now();
  const deadline = askedAt + timeoutMs;
  let lastRound: number | null = null;
  let roundsSince = 0;
  for (;;) {
    const sync = (await client.cluster('GET', `/links/${enc(link)}`)).consumer_offset_sync;
    if (!sync?.enabled) throw new Error(`link ${link} does not sync consumer offsets: set consumer.offset.sync.enable=true (and consumer.offset.group.filters) so that the groups resume where they were`);
    if (sync.last_sync_ms !== null) {
      if (lastRound !== null && sync.last_sync_ms !== lastRound && sync.last_sync_ms > askedAt) roundsSince++;
      lastRound = sync.last_sync_ms;
      const seen: string[] = sync.groups.map((g: any) => g.group_id);
      const chosen = new Set<string>();
      const missing = patterns.filter((pattern) => {
        const matched = seen.filter((g) => globToRegExp(pattern).test(g));
        for (const g of matched) chosen.add(g);
        return matched.length === 0;
      });
      if (missing.length === 0) return [...chosen].sort();
      if (roundsSince >= 2 || Date.now() > deadline) {
        const pattern = missing[0]!;
        throw new Error(`--groups ${pattern}: the offset sync of link ${link} covers no ${isPattern(pattern) ? 'group matching it' : 'such group'} (consumer.offset.group.filters, and a commit at the source on a mirrored topic)`);
      }
    } else if (Date.now() > deadline) {
      throw new Error(`the offset sync of link ${link} has not run yet`);
    }
    await sleep(POLL_MS);
  }
}

function printPlan(flags: MigrateFlags, plan: Plan, maxLag: number): void {
  const steps = [
    `wait until the mirrors are within ${maxLag} records of the source`,
    flags.fence ? `fence the source topics: DENY WRITE for ${WILDCARD_PRINCIPAL} at ${flags.sourceBootstrapServer ?? plan.bootstrap}` : flags.producersStopped ? 'the producers are stopped (--producers-stopped)' : 'ask for the producers to be stopped',
    'wait for lag 0',
    'promote the mirrors, with a last consumer offset sync',
    'report the bootstrap servers, the last offset of each topic and where each group resumes',
  ];
  if (flags.output === 'json') {
    process.stdout.write(json({ link: plan.link, topics: [...plan.topics].map(([topic, source]) => ({ topic, source_topic: source })), promoted: plan.promoted, groups: plan.groups, steps }));
    return;
  }
  process.stdout.write(record([['Link', plan.link], ['Topics', [...plan.topics.keys()].join(', ') || '(none)'], ['Promoted already', plan.promoted.join(', ') || '(none)'], ['Groups', plan.groups.join(', ') || '(none)']]));
  process.stdout.write(`\nPlan:\n${steps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}\n`);
}

// ---- the run -----------------------------------------------------------------------------------

async function migrate(flags: MigrateFlags, client: AdminClient, plan: Plan, state: MigrationState, stateFile: string, limits: { maxLag: number; timeoutMs: number }): Promise<void> {
  const names = [...plan.topics.keys()];
  if (names.length === 0) return;
  await waitLag(client, plan.link, names, limits.maxLag, limits.timeoutMs, `within ${limits.maxLag} records`);
  if (flags.fence) {
    const source = await sourceClient(flags, plan.bootstrap);
    try {
      const fence = await fenceBindings(source, [...plan.topics.values()]);
      // Written down before it is made: a run cut short in between is still undone by --rollback.
      state.fence = mergeBindings(state.fence, fence);
      await writeState(stateFile, state);
      await source.createAcls(fence);
      say(`Fenced ${plan.topics.size} source topic(s): producers at the source are refused now.\n`);
    } finally {
      source.close();
    }
  } else if (!flags.producersStopped) {
    await confirmProducersStopped(plan);
  }
  try {
    await waitLag(client, plan.link, names, 0, limits.timeoutMs, 'at lag 0');
    await promote(client, plan.link, names, limits.timeoutMs);
  } catch (e) {
    // Abandoned before anything was promoted: the source takes writes again.
    if (state.fence.length > 0 && plan.promoted.length === 0 && !(await anyPromoted(client, plan.link, names))) {
      await unfence(flags, plan.bootstrap, state);
      await rm(stateFile, { force: true });
      say('The migration was abandoned: the fence at the source is removed.\n');
    }
    throw e;
  }
}

/** Waits until the chosen mirrors together lag the source by at most `bound`, with a progress bar on a terminal. */
async function waitLag(client: AdminClient, link: string, topics: string[], bound: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const bar = new cliProgress.SingleBar({ format: `mirrors ${what} |{bar}| lag {value} records`, hideCursor: false }, cliProgress.Presets.shades_classic);
  let started = false;
  try {
    for (;;) {
      let lag = 0;
      let known = true;
      for (const t of topics) {
        const m = await client.cluster('GET', `/links/${enc(link)}/mirrors/${enc(t)}`);
        if (m.mirror_status === 'FAILED' || m.mirror_status === 'PAUSED') throw new Error(`mirror topic ${t} is ${m.mirror_status}${m.mirror_status_reason ? `: ${m.mirror_status_reason}` : ''}`);
        for (const p of m.mirror_lags) {
          if (p.source_high_watermark < 0) known = false;
          lag += p.lag;
        }
      }
      if (!started) bar.start(Math.max(lag, 1), lag);
      started = true;
      bar.setTotal(Math.max(bar.getTotal(), lag, 1));
      bar.update(lag);
      if (known && lag <= bound) return;
      if (Date.now() > deadline) throw new Error(`the mirrors did not get ${what} within ${timeoutMs} ms (lag ${lag} records)`);
      await sleep(POLL_MS);
    }
  } finally {
    if (started) bar.stop();
  }
}

/** Promotes the mirrors; while one is refused for lag (producers just stopped), tries again until the time is up. */
async function promote(client: AdminClient, link: string, topics: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left = topics;
  for (;;) {
    const res = await client.cluster('POST', `/links/${enc(link)}/mirrors:promote`, { body: { mirror_topic_names: left } });
    const refused = res.data.filter((r: any) => r.error_message);
    for (const r of res.data) if (!r.error_message) say(`Promoted ${r.mirror_topic_name}.\n`);
    if (refused.length === 0) return;
    left = refused.map((r: any) => r.mirror_topic_name);
    if (Date.now() > deadline) throw new Error(`cannot promote ${refused.map((r: any) => `${r.mirror_topic_name} (${r.error_message})`).join('; ')}`);
    await sleep(POLL_MS);
  }
}

async function anyPromoted(client: AdminClient, link: string, topics: string[]): Promise<boolean> {
  for (const t of topics) if ((await client.cluster('GET', `/links/${enc(link)}/mirrors/${enc(t)}`)).mirror_status === 'STOPPED') return true;
  return false;
}

async function confirmProducersStopped(plan: Plan): Promise<void> {
  const sources = [...new Set(plan.topics.values())].join(', ');
  if (!process.stdin.isTTY) {
    throw new Error(`stop the producers of ${sources} at the source, then run again with --resume --producers-stopped (or use --fence)`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Stop the producers of ${sources} at the source now. Type "stopped" once they are (anything else aborts): `);
    if (answer.trim() !== 'stopped') throw new Error('aborted: the producers were not stopped');
  } finally {
    rl.close();
  }
}

// ---- the fence ---------------------------------------------------------------------------------

/** A client of the source with --source-command-config's settings, at --source-bootstrap-server or the link's servers. */
async function sourceClient(flags: MigrateFlags, linkServers: string): Promise<KafkaSource> {
  const configs = flags.sourceCommandConfig ? await readConfigFile(flags.sourceCommandConfig) : {};
  delete configs['bootstrap.servers'];
  const problem = linkConfigsProblem(configs);
  if (problem) throw new Error(`--source-command-config: ${problem}`);
  const bootstrap = flags.sourceBootstrapServer ?? linkServers;
  if (!bootstrap) throw new Error('--source-bootstrap-server is required: the link names no bootstrap servers');
  return new KafkaSource(bootstrap, resolveLinkSettings('outpost-migrate', configs));
}

const binding = (topic: string, operation: number, permissionType: number): AclBinding => ({
  resourceType: RESOURCE_TYPES.TOPIC, resourceName: topic, patternType: PATTERN_TYPES.LITERAL, principal: WILDCARD_PRINCIPAL, host: WILDCARD, operation, permissionType,
});

/**
 * DENY WRITE for everyone on each source topic. A topic no ACL guards yet is open to everyone (the
 * source lets everyone in where no ACL is found: allow.everyone.if.no.acl.found, which Kafka does
 * not describe) or to super users alone (whom no ACL fences). A first ACL there would refuse its
 * readers too, the link among them: such a topic also gets ALLOW READ, DESCRIBE and
 * DESCRIBE_CONFIGS for everyone, what everyone had.
 */
async function fenceBindings(source: KafkaSource, topics: string[]): Promise<AclBinding[]> {
  const out = topics.map((t) => binding(t, OPERATIONS.WRITE, PERMISSIONS.DENY));
  for (const t of topics) {
    const existing = await source.describeAcls({ resourceType: RESOURCE_TYPES.TOPIC, resourceName: t, patternType: PATTERN_TYPES.MATCH, principal: null, host: null, operation: OPERATIONS.ANY, permissionType: PERMISSIONS.ANY });
    if (existing.length > 0) continue;
    for (const op of [OPERATIONS.READ, OPERATIONS.DESCRIBE, OPERATIONS.DESCRIBE_CONFIGS]) out.push(binding(t, op, PERMISSIONS.ALLOW));
  }
  return out;
}

function mergeBindings(a: AclBinding[], b: AclBinding[]): AclBinding[] {
  const key = (x: AclBinding) => JSON.stringify([x.resourceType, x.resourceName, x.patternType, x.principal, x.host, x.operation, x.permissionType]);
  return [...new Map([...a, ...b].map((x) => [key(x), x])).values()];
}

async function unfence(flags: MigrateFlags, linkServers: string, state: MigrationState): Promise<void> {
  const source = await sourceClient(flags, linkServers);
  try {
    await source.deleteAcls(state.fence);
  } finally {
    source.close();
  }
}

async function rollback(flags: MigrateFlags, client: AdminClient, stateFile: string, state: MigrationState | null): Promise<void> {
  if (!state) throw new Error(`nothing to roll back: ${stateFile} does not exist`);
  const mirrors: any[] = (await client.cluster('GET', `/links/${enc(state.link)}/mirrors`)).data;
  const chosen = mirrors.filter((m) => state.topics.some((p) => globToRegExp(p).test(m.mirror_topic_name)));
  const promoted = chosen.filter((m) => m.mirror_status === 'STOPPED').map((m) => m.mirror_topic_name);
  if (state.fence.length > 0) {
    await unfence(flags, await linkBootstrap(client, state.link), state);
    say(`Removed the fence at the source (${state.fence.length} ACLs).\n`);
  }
  await rm(stateFile, { force: true });
  if (promoted.length > 0) say(`Promoted already, and writable here (they stay so): ${promoted.join(', ')}.\n`);
  say('Rolled back.\n');
}

// ---- the report --------------------------------------------------------------------------------

interface Report {
  link: string;
  bootstrap_servers: { listener: string; security_protocol: string; bootstrap: string }[];
  topics: { topic: string; partitions: { partition: number; last_offset: number }[] }[];
  groups: { group: string; partitions: { topic: string; partition: number; offset: number }[] }[];
  fenced_at_source: string[];
}

async function makeReport(client: AdminClient, plan: Plan, state: MigrationState): Promise<Report> {
  const brokers: any[] = (await client.cluster('GET', '/brokers')).data;
  const listeners = brokers.flatMap((b) => b.listeners ?? []);
  const names = [...plan.topics.keys(), ...plan.promoted];
  const topics = [];
  for (const t of names) {
    const m = await client.cluster('GET', `/links/${enc(plan.link)}/mirrors/${enc(t)}`);
    topics.push({ topic: t, partitions: m.mirror_lags.map((p: any) => ({ partition: p.partition, last_offset: (p.stop_offset ?? p.log_end_offset) - 1 })) });
  }
  const groups = [];
  for (const g of plan.groups) {
    const lags: any[] = (await client.cluster('GET', `/consumer-groups/${enc(g)}/lags`)).data;
    groups.push({
      group: g,
      partitions: lags.filter((l) => names.includes(l.topic_name)).map((l) => ({ topic: l.topic_name, partition: l.partition_id, offset: l.current_offset })).sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1)),
    });
  }
  return {
    link: plan.link,
    bootstrap_servers: [...new Set(listeners.map((l: any) => l.name))].map((name) => ({
      listener: name,
      security_protocol: listeners.find((l: any) => l.name === name).security_protocol,
      bootstrap: listeners.filter((l: any) => l.name === name).map((l: any) => `${l.host}:${l.port}`).join(','),
    })),
    topics,
    groups,
    fenced_at_source: [...new Set(state.fence.filter((b) => b.permissionType === PERMISSIONS.DENY).map((b) => b.resourceName))],
  };
}

function printReport(flags: MigrateFlags, r: Report): void {
  if (flags.output === 'json') return void process.stdout.write(json(r));
  const out = (text: string) => process.stdout.write(text);
  out(`Migrated ${r.topics.length} topic(s) of link ${r.link}: they are ordinary, writable topics here now.\n\nMove the clients to:\n`);
  out(table(['Listener', 'Security Protocol', 'bootstrap.servers'], r.bootstrap_servers.map((b) => [b.listener, b.security_protocol, b.bootstrap])));
  out('\nTopics (producers continue after the last offset):\n');
  out(table(['Topic', 'Partition', 'Last Offset'], r.topics.flatMap((t) => t.partitions.map((p) => [t.topic, p.partition, p.last_offset]))));
  if (r.groups.length > 0) {
    out('\nConsumer groups resume at:\n');
    out(table(['Group', 'Topic', 'Partition', 'Offset'], r.groups.flatMap((g) => g.partitions.map((p) => [g.group, p.topic, p.partition, p.offset]))));
  }
  if (r.fenced_at_source.length > 0) out(`\nThe source topics ${r.fenced_at_source.join(', ')} stay fenced (DENY WRITE for ${WILDCARD_PRINCIPAL}) at the source.\n`);
}

// ---- the state file ----------------------------------------------------------------------------

async function readState(file: string): Promise<MigrationState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as MigrationState;
  } catch {
    throw new Error(`${file} is not a migration's state (not JSON): remove it if no migration is under way`);
  }
}

function writeState(file: string, state: MigrationState): Promise<void> {
  return writeFileDurably(file, json(state), 0o600);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
