// Cluster links and mirror topics on the admin listener, in the shape of Confluent's REST API v3
// (/kafka/v3/clusters/{cluster_id}/links/...), so that scripts and tools written for it work
// against outpost. Resources carry Confluent's fields (kind, metadata.self, snake_case names) plus
// a few of outpost's own where Confluent has no field for what outpost knows (rates, offsets).
// Every answer other than 2xx is {error_code: <the HTTP status>, message}.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { isSensitiveLinkConfig } from '../config/link-configs.js';
import { hitRatio } from '../link/read-through.js';
import { LinkError, type LinkDescription, type LinkManagerApi, type MirrorDescription, type MirrorPartitionStatus } from '../link/types.js';
import { HttpError, readJsonBody, sendJson } from './json.js';

export interface LinksRestOptions {
  /** this broker's cluster id: the only {cluster_id} served */
  clusterId: string;
  links: LinkManagerApi;
  /** the broker as clients reach it: its id and each listener's advertised address */
  broker?: { nodeId: number; listeners(): AdvertisedListener[] };
  /** the consumer groups here, for their lag resources */
  groups?: GroupOffsets;
}

export interface AdvertisedListener {
  name: string;
  securityProtocol: string;
  host: string;
  port: number;
}

export interface GroupOffsets {
  /** the group's committed offsets; null: no such group */
  committed(group: string): { topic: string; partition: number; offset: number }[] | null;
  /** the partition's log end offset; null: no such partition */
  logEndOffset(topic: string, partition: number): number | null;
}

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** the absolute URL of /kafka/v3, and of this cluster under it, for metadata.self */
  root: string;
  base: string;
}

type Handler = (call: Call) => Promise<void>;

const enc = encodeURIComponent;

// ---------------------------------------------------------------------------------------------
// Request bodies, as Confluent's API takes them

const configEntry = z.object({ name: z.string().min(1), value: z.string() });

const createLinkBody = z.object({
  source_cluster_id: z.string().min(1).optional(),
  // Source-initiated and bidirectional links have the destination (or remote) dial in: not supported.
  destination_cluster_id: z.null({ invalid_type_error: 'source-initiated links are not supported' }).optional(),
  remote_cluster_id: z.null({ invalid_type_error: 'bidirectional links are not supported' }).optional(),
  configs: z.array(configEntry).default([]),
});

const alterConfigsBody = z.object({
  data: z
    .array(
      z
        .object({ name: z.string().min(1), value: z.string().nullable().optional(), operation: z.enum(['SET', 'DELETE', 'set', 'delete']).optional() })
        .refine((e) => e.operation?.toUpperCase() === 'DELETE' || typeof e.value === 'string', { message: 'a value is required to SET', path: ['value'] }),
    )
    .min(1),
});

const createMirrorBody = z.object({
  source_topic_name: z.string().min(1),
  mirror_topic_name: z.string().min(1).optional(),
  // Accepted and ignored: outpost is one node, and Confluent's CLI sends 3 unless told otherwise.
  replication_factor: z.number().int().optional(),
  configs: z.array(configEntry).default([]),
});

const alterMirrorsBody = z.object({ mirror_topic_names: z.array(z.string().min(1)).min(1) });
/** reverse-and-start: the topics, and (outpost's) the peer outpost's admin listener and its link back here. */
const reverseBody = alterMirrorsBody.extend({
  peer: z.object({
    admin_url: z.string().url(),
    link_name: z.string().min(1),
    user: z.string().optional(),
    password: z.string().optional(),
  }).refine((p) => (p.user === undefined) === (p.password === undefined), { message: 'user and password go together' }),
});
/** promote and failover also take a pattern (Confluent's mirror_topic_name_pattern: a regular expression). */
const stopMirrorsBody = z
  .object({ mirror_topic_names: z.array(z.string().min(1)).min(1).optional(), mirror_topic_name_pattern: z.string().min(1).optional() })
  .refine((b) => (b.mirror_topic_names === undefined) !== (b.mirror_topic_name_pattern === undefined), { message: 'give mirror_topic_names or mirror_topic_name_pattern (one of them)' });

async function body<T>(req: IncomingMessage, schema: z.ZodType<T, z.ZodTypeDef, unknown>): Promise<T> {
  const parsed = schema.safeParse((await readJsonBody(req)) ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new HttpError(400, `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`);
}

function boolParam(url: URL, name: string, fallback: boolean): boolean {
  const v = url.searchParams.get(name);
  if (v === null) return fallback;
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw new HttpError(400, `${name}: expected true or false, got ${JSON.stringify(v)}`);
}

function configMap(entries: { name: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.name, e.value]));
}

// ---------------------------------------------------------------------------------------------
// Resources, as Confluent's API returns them

/** Another outpost's admin API, as reverse-and-start asks it. */
class PeerAdmin {
  private clusterId: string | undefined;
  private readonly authorization: string | undefined;

  constructor(private readonly url: string, user?: string, password?: string) {
    this.authorization = user === undefined ? undefined : `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
  }

  async call(method: string, path: string, json?: unknown): Promise<any> {
    this.clusterId ??= (await this.exchange('GET', '/kafka/v3/clusters')).data[0].cluster_id;
    return this.exchange(method, `/kafka/v3/clusters/${enc(this.clusterId!)}${path}`, json);
  }

  private async exchange(method: string, path: string, json?: unknown): Promise<any> {
    let res: Response;
    try {
      res = await fetch(`${this.url.replace(/\/+$/, '')}${path}`, {
        method,
        headers: { ...(json === undefined ? {} : { 'content-type': 'application/json' }), ...(this.authorization ? { authorization: this.authorization } : {}) },
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      throw new HttpError(502, `peer.admin_url: cannot reach the peer outpost (${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message})`);
    }
    const text = await res.text();
    let parsed: any;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new HttpError(502, `peer.admin_url: the peer answered ${method} ${path} with HTTP ${res.status} and a body that is not JSON`);
    }
    if (!res.ok) throw new HttpError(502, `the peer outpost refused ${method} ${path}: ${parsed?.message ?? `HTTP ${res.status}`}`);
    return parsed;
  }
}

/** Confluent's mirror_topic_name_pattern: a regular expression the whole name matches. */
function patternOf(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    throw new HttpError(400, `mirror_topic_name_pattern: not a regular expression: ${(e as Error).message}`);
  }
}

function list(kind: string, self: string, data: unknown[]) {
  return { kind, metadata: { self, next: null }, data };
}

function mirrorLag(p: MirrorPartitionStatus) {
  return {
    partition: p.partition,
    lag: p.lag,
    // The last source offset copied (source and mirror offsets are the same).
    last_source_fetch_offset: p.localLogEndOffset - 1,
    // outpost's: both ends of the lag (-1: the source's not known yet), and when the source was
    // last fetched from (-1: never)
    source_high_watermark: p.sourceHighWatermark,
    log_end_offset: p.localLogEndOffset,
    last_fetch_time_ms: p.lastFetchTimeMs,
    // outpost's: where the records begin (the source's log start) and where the copy here begins
    // (above it when local.retention.* deleted older records, which are read through), and its size
    log_start_offset: p.logStartOffset,
    local_log_start_offset: p.localLogStartOffset,
    local_bytes: p.localBytes,
    // outpost's: the source partition's size, the mirror's total (-1: not known)
    source_bytes: p.sourceBytes,
    // outpost's: bytes served to clients from the copy here and through the link
    bytes_served_local: p.bytesServed.local,
    bytes_served_read_through: p.bytesServed.readThrough,
    // outpost's: a stopped mirror's log end offset at the stop
    ...(p.stopOffset !== undefined ? { stop_offset: p.stopOffset } : {}),
  };
}

function mirrorData(call: Call, m: MirrorDescription) {
  return {
    kind: 'KafkaMirrorData',
    metadata: { self: `${call.base}/links/${enc(m.linkName)}/mirrors/${enc(m.topic)}` },
    link_name: m.linkName,
    mirror_topic_name: m.topic,
    source_topic_name: m.sourceTopic,
    num_partitions: m.partitions.length,
    mirror_lags: m.partitions.map(mirrorLag),
    mirror_status: m.state,
    mirror_topic_error: m.reason === null ? 'NO_ERROR' : 'UNKNOWN_ERROR',
    // outpost's: why the mirror is in its state, in words
    mirror_status_reason: m.reason,
    source_topic_id: m.sourceTopicId,
  };
}

// ---------------------------------------------------------------------------------------------
// Routes

const STATUS: Record<LinkError['code'], number> = {
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  INVALID: 400,
  // The source did not answer, or not as expected: the gateway's error, not the request's form.
  SOURCE: 502,
};

/** The handler for every path under /kafka/v3. */
export function linksRest(opts: LinksRestOptions): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const { links, clusterId } = opts;

  const routes: { path: string[]; methods: Record<string, Handler> }[] = [
    {
      path: ['clusters'],
      methods: {
        GET: async (c) => sendJson(c.res, 200, list('KafkaClusterList', `${c.root}/clusters`, [clusterData(c)])),
      },
    },
    { path: ['clusters', ':cluster_id'], methods: { GET: async (c) => sendJson(c.res, 200, clusterData(c)) } },
    {
      path: ['clusters', ':cluster_id', 'brokers'],
      methods: { GET: async (c) => sendJson(c.res, 200, list('KafkaBrokerList', `${c.base}/brokers`, opts.broker ? [brokerData(c, opts.broker)] : [])) },
    },
    {
      path: ['clusters', ':cluster_id', 'consumer-groups', ':consumer_group_id', 'lags'],
      methods: {
        GET: async (c) => {
          const group = c.params.consumer_group_id!;
          const committed = opts.groups?.committed(group) ?? null;
          if (committed === null) throw new HttpError(404, `consumer group ${group} does not exist`);
          const lags = committed.map((o) => lagData(c, group, o));
          sendJson(c.res, 200, list('KafkaConsumerLagList', `${c.base}/consumer-groups/${enc(group)}/lags`, lags));
        },
      },
    },
    {
      path: ['clusters', ':cluster_id', 'links'],
      methods: {
        GET: async (c) => sendJson(c.res, 200, list('KafkaLinkDataList', `${c.base}/links`, links.listLinks().map((d) => linkData(c, d)))),
        POST: async (c) => {
          const name = c.url.searchParams.get('link_name');
          if (name === null) throw new HttpError(400, 'link_name: required query parameter');
          const validateOnly = boolParam(c.url, 'validate_only', false);
          const validateLink = boolParam(c.url, 'validate_link', true);
          const b = await body(c.req, createLinkBody);
          const { 'bootstrap.servers': bootstrapServers, ...configs } = configMap(b.configs);
          if (!bootstrapServers) throw new HttpError(400, 'configs: bootstrap.servers is required');
          const spec = { name, bootstrapServers, sourceClusterId: b.source_cluster_id, configs };
          // The engine makes a link whose source cannot be reached yet (it keeps trying); Confluent's
          // validate_link, on by default, refuses one instead. A dry run answers what a real one would.
          if (validateOnly || validateLink) {
            const checked = await links.createLink(spec, { validateOnly: true });
            if (validateLink && checked.lastError !== null) throw new HttpError(STATUS.SOURCE, `${checked.lastError} (validate_link=false creates the link anyway)`);
          }
          // Without validate_link the source is not waited for: it may never answer.
          if (!validateOnly) await links.createLink(spec, { probe: validateLink });
          noContent(c.res);
        },
      },
    },
    {
      path: ['clusters', ':cluster_id', 'links', ':link_name'],
      methods: {
        GET: async (c) => sendJson(c.res, 200, linkData(c, links.describeLink(c.params.link_name!))),
        DELETE: async (c) => {
          await links.deleteLink(c.params.link_name!, { force: boolParam(c.url, 'force', false) });
          noContent(c.res);
        },
      },
    },
    {
      path: ['clusters', ':cluster_id', 'links', ':link_name', 'configs'],
      methods: {
        GET: async (c) => {
          const name = c.params.link_name!;
          const link = links.describeLink(name);
          // linkConfigs() has every config with its effective value; the link's own were set on it.
          const configs: Record<string, string> = { 'bootstrap.servers': link.bootstrapServers, ...links.linkConfigs(name) };
          const data = Object.keys(configs)
            .sort()
            .map((k) => configData(c, name, k, configs[k]!, k === 'bootstrap.servers' || k in link.configs));
          sendJson(c.res, 200, list('KafkaLinkConfigDataList', `${c.base}/links/${enc(name)}/configs`, data));
        },
      },
    },
    {
      path: ['clusters', ':cluster_id', 'links', ':link_name', 'configs:alter'],
      methods: {
        PUT: async (c) => {
          const b = await body(c.req, alterConfigsBody);
          const set: Record<string, string> = {};
          const remove: string[] = [];
          for (const e of b.data) {
            if (e.operation?.toUpperCase() === 'DELETE') remove.push(e.name);
            else set[e.name] = e.value!;
          }
          await links.alterLinkConfigs(c.params.link_name!, set, remove);
          noContent(c.res);
        },
      },
    },
    {
      path: ['clusters', ':cluster_id', 'links', ':link_name', 'mirrors'],
      methods: {
        GET: async (c) => {
          const name = c.params.link_name!;
          // "-" stands for every link, as in Confluent's API.
          const mirrors = links.listMirrors(name === '-' ? undefined : name);
          sendJson(c.res, 200, list('KafkaMirrorDataList', `${c.base}/links/${enc(name)}/mirrors`, mirrors.map((m) => mirrorData(c, m))));
        },
        POST: async (c) => {
          const name = c.params.link_name!;
          const b = await body(c.req, createMirrorBody);
          // Unnamed, the mirror takes the source's name after the link's cluster.link.prefix.
          const topic = b.mirror_topic_name ?? (links.linkConfigs(name)['cluster.link.prefix'] ?? '') + b.source_topic_name;
          await links.createMirror(name, topic, { configs: configMap(b.configs), sourceTopic: b.source_topic_name });
          noContent(c.res);
        },
      },
    },
    {
      path: ['clusters', ':cluster_id', 'links', ':link_name', 'mirrors', ':mirror_topic_name'],
      methods: {
        GET: async (c) => sendJson(c.res, 200, mirrorData(c, links.describeMirror(c.params.link_name!, c.params.mirror_topic_name!))),
      },
    },
    { path: ['clusters', ':cluster_id', 'links', ':link_name', 'mirrors:pause'], methods: { POST: (c) => alterMirrors(c, 'pause') } },
    { path: ['clusters', ':cluster_id', 'links', ':link_name', 'mirrors:resume'], methods: { POST: (c) => alterMirrors(c, 'resume') } },
    { path: ['clusters', ':cluster_id', 'links', ':link_name', 'mirrors:promote'], methods: { POST: (c) => stopMirrors(c, 'promote') } },
    { path: ['clusters', ':cluster_id', 'links', ':link_name', 'mirrors:failover'], methods: { POST: (c) => stopMirrors(c, 'failover') } },
    { path: ['clusters', ':cluster_id', 'links', ':link_name', 'mirrors:truncate-and-restore'], methods: { POST: (c) => restoreMirrors(c) } },
    { path: ['clusters', ':cluster_id', 'links', ':link_name', 'mirrors:reverse-and-start'], methods: { POST: (c) => reverseMirrors(c) } },
  ];

  function clusterData(c: Call) {
    return { kind: 'KafkaCluster', metadata: { self: c.base }, cluster_id: clusterId };
  }

  function brokerData(c: Call, b: NonNullable<LinksRestOptions['broker']>) {
    const listeners = b.listeners();
    return {
      kind: 'KafkaBroker',
      metadata: { self: `${c.base}/brokers/${b.nodeId}` },
      cluster_id: clusterId,
      broker_id: b.nodeId,
      host: listeners[0]?.host ?? null,
      port: listeners[0]?.port ?? null,
      rack: null,
      // outpost's: every listener clients may bootstrap from, as advertised
      listeners: listeners.map((l) => ({ name: l.name, security_protocol: l.securityProtocol, host: l.host, port: l.port })),
    };
  }

  /** One partition of a group's lag, Confluent's KafkaConsumerLag (no member fields: outpost's groups answer for their offsets). */
  function lagData(c: Call, group: string, o: { topic: string; partition: number; offset: number }) {
    const end = opts.groups?.logEndOffset(o.topic, o.partition) ?? null;
    return {
      kind: 'KafkaConsumerLag',
      metadata: { self: `${c.base}/consumer-groups/${enc(group)}/lags/${enc(o.topic)}/partitions/${o.partition}` },
      cluster_id: clusterId,
      consumer_group_id: group,
      topic_name: o.topic,
      partition_id: o.partition,
      current_offset: o.offset,
      log_end_offset: end,
      lag: end === null ? null : Math.max(0, end - o.offset),
      consumer_id: '',
      instance_id: null,
      client_id: '',
    };
  }

  function linkData(c: Call, d: LinkDescription) {
    return {
      kind: 'KafkaLinkData',
      metadata: { self: `${c.base}/links/${enc(d.name)}` },
      cluster_id: clusterId,
      source_cluster_id: d.sourceClusterIdSeen ?? d.sourceClusterId ?? null,
      destination_cluster_id: null,
      link_name: d.name,
      link_id: d.linkId,
      cluster_link_id: d.linkId,
      topic_names: links.listMirrors(d.name).map((m) => m.topic),
      link_state: d.state,
      link_error: d.lastError === null ? 'NO_ERROR' : 'UNKNOWN_ERROR',
      link_error_message: d.lastError,
      // outpost's: what the link fetches from the source, averaged over its last seconds
      bytes_per_sec: d.bytesPerSec,
      records_per_sec: d.recordsPerSec,
      // outpost's: the link's connections to the source since it last (re)started
      source_connections: d.connections,
      // outpost's: reads of the mirrors' older records (deleted here by local.retention.*) through the link
      read_through: {
        source_fetches: d.readThrough.sourceFetches,
        source_bytes: d.readThrough.sourceBytes,
        cache_hits: d.readThrough.hits,
        cache_misses: d.readThrough.misses,
        cache_hit_ratio: hitRatio(d.readThrough),
        cached_bytes: d.readThrough.cachedBytes,
        disk_cached_bytes: d.readThrough.diskCachedBytes,
        disk_hits: d.readThrough.diskHits,
        bytes_served: d.readThrough.bytesServed,
        source_fetch_ms_p50: d.readThrough.sourceFetchMs.p50,
        source_fetch_ms_p99: d.readThrough.sourceFetchMs.p99,
      },
      // outpost's: consumer offset sync, when it last ran and how far each group trails the source
      consumer_offset_sync: {
        enabled: d.offsetSync.enabled,
        last_sync_ms: d.offsetSync.lastSyncMs,
        groups: d.offsetSync.groups.map((g) => ({ group_id: g.group, offsets_behind: g.behind, synced: g.synced })),
      },
    };
  }

  function configData(c: Call, linkName: string, name: string, value: string, set: boolean) {
    const sensitive = isSensitiveLinkConfig(name);
    return {
      kind: 'KafkaLinkConfigData',
      metadata: { self: `${c.base}/links/${enc(linkName)}/configs/${enc(name)}` },
      cluster_id: clusterId,
      link_name: linkName,
      name,
      value: sensitive ? null : value,
      read_only: false,
      sensitive,
      is_sensitive: sensitive,
      source: set ? 'DYNAMIC_CLUSTER_LINK_CONFIG' : 'DEFAULT_CONFIG',
      synonyms: [],
    };
  }

  // Every named topic is checked before any is changed: one unknown name changes nothing.
  async function alterMirrors(c: Call, action: 'pause' | 'resume'): Promise<void> {
    const name = c.params.link_name!;
    const { mirror_topic_names: topics } = await body(c.req, alterMirrorsBody);
    for (const t of topics) links.describeMirror(name, t);
    await (action === 'pause' ? links.pauseMirrors(name, topics) : links.resumeMirrors(name, topics));
    sendAltered(c, name, topics.map((topic) => ({ topic, error: null, mirror_lags: links.describeMirror(name, topic).partitions.map(mirrorLag) })));
  }

  // Each mirror is answered on its own: one refused (lag, say) does not hold back the others.
  async function stopMirrors(c: Call, how: 'promote' | 'failover'): Promise<void> {
    const name = c.params.link_name!;
    const b = await body(c.req, stopMirrorsBody);
    let topics: string[];
    if (b.mirror_topic_names) {
      topics = b.mirror_topic_names;
      for (const t of topics) links.describeMirror(name, t);
    } else {
      const re = patternOf(b.mirror_topic_name_pattern!);
      topics = links.listMirrors(name).filter((m) => m.state !== 'STOPPED').map((m) => m.topic).filter((t) => re.test(t));
    }
    const lagsBefore = new Map(topics.map((t) => [t, links.describeMirror(name, t).partitions.map(mirrorLag)]));
    const results = await links.stopMirrors(name, topics, how, { validateOnly: boolParam(c.url, 'validate_only', false) });
    sendAltered(c, name, results.map((r) => ({ ...r, mirror_lags: lagsBefore.get(r.topic) ?? [] })));
  }

  /** The answer of the mirrors:<action> calls: per topic its error, and what the action adds. */
  function sendAltered(c: Call, link: string, results: ({ topic: string; error: string | null } & Record<string, unknown>)[]): void {
    const data = results.map(({ topic, error, ...more }) => ({
      kind: 'AlterMirrorsData',
      metadata: { self: `${c.base}/links/${enc(link)}/mirrors/${enc(topic)}` },
      mirror_topic_name: topic,
      error_code: error === null ? null : 400,
      error_message: error,
      ...more,
    }));
    sendJson(c.res, 200, list('KafkaAlterMirrorsDataList', `${c.base}/links/${enc(link)}/mirrors`, data));
  }

  /** Failback: ordinary topics here become mirrors of the link's source again, cut back to where they agree with it. */
  async function restoreMirrors(c: Call): Promise<void> {
    const name = c.params.link_name!;
    // The topics are ordinary ones here, not the link's: they are named, not matched.
    const { mirror_topic_names: topics } = await body(c.req, alterMirrorsBody);
    links.describeLink(name);
    const results = await links.restoreMirrors(name, topics, { validateOnly: boolParam(c.url, 'validate_only', false) });
    sendAltered(c, name, results.map(({ topic, error, truncated }) => ({
      topic,
      error,
      messages_truncated: truncated.map((t) => ({ partition_id: t.partition, offset_truncated_to: t.truncatedTo, messages_truncated: t.messages })),
      mirror_lags: [],
    })));
  }

  /**
   * Swaps roles with the source, another outpost: the mirrors here are promoted (refused unless
   * caught up), then the peer's admin API restores its topics as mirrors of them. Confluent does
   * the second half through a bidirectional link; outpost is told the peer's admin listener.
   */
  async function reverseMirrors(c: Call): Promise<void> {
    const name = c.params.link_name!;
    const { mirror_topic_names: topics, peer } = await body(c.req, reverseBody);
    for (const t of topics) links.describeMirror(name, t);
    const peerApi = new PeerAdmin(peer.admin_url, peer.user, peer.password);
    // Reached before anything changes: a peer that cannot be asked stops the call here.
    await peerApi.call('GET', `/links/${enc(peer.link_name)}`);
    const promoted = await links.stopMirrors(name, topics, 'promote');
    const done = promoted.filter((r) => r.error === null).map((r) => r.topic);
    const restored = done.length === 0 ? [] : (await peerApi.call('POST', `/links/${enc(peer.link_name)}/mirrors:truncate-and-restore`, { mirror_topic_names: done })).data;
    sendAltered(c, name, promoted.map((r) => {
      if (r.error !== null) return { topic: r.topic, error: r.error, messages_truncated: [], mirror_lags: [] };
      const atPeer = restored.find((x: any) => x.mirror_topic_name === r.topic);
      const peerError = atPeer?.error_message ?? (atPeer ? null : 'the peer did not answer for it');
      return { topic: r.topic, error: peerError === null ? null : `promoted here, but the peer could not restore it: ${peerError}`, messages_truncated: atPeer?.messages_truncated ?? [], mirror_lags: [] };
    }));
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const segments = url.pathname.split('/').slice(3).map(decodeSegment);
    for (const r of routes) {
      const params = match(r.path, segments);
      if (!params) continue;
      const asked = params.cluster_id ?? clusterId;
      if (asked !== clusterId) throw new HttpError(404, `cluster ${asked} not found: this broker's cluster id is ${clusterId}`);
      const handler = r.methods[req.method ?? 'GET'];
      if (!handler) throw new HttpError(405, `${req.method} not allowed on ${url.pathname}`, { allow: Object.keys(r.methods).join(', ') });
      // A write must say it is JSON: a web page can make a browser send a form or text/plain POST to
      // a loopback outpost without asking, but not an application/json one (that needs a CORS
      // preflight, which is never granted here).
      if (WRITES.has(req.method ?? '') && !/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
        throw new HttpError(415, `${req.method} requests must carry Content-Type: application/json`);
      }
      // Paths only: an absolute URL would be built from the Host header, which the client chooses.
      const root = '/kafka/v3';
      return handler({ req, res, url, params, root, base: `${root}/clusters/${enc(clusterId)}` });
    }
    throw new HttpError(404, `no such endpoint: ${url.pathname}`);
  }

  return async (req, res, url) => {
    try {
      await route(req, res, url);
    } catch (err) {
      if (res.headersSent) throw err;
      const e =
        err instanceof HttpError ? err : err instanceof LinkError ? new HttpError(STATUS[err.code], err.message) : new HttpError(500, (err as Error).message);
      sendJson(res, e.status, { error_code: e.status, message: e.message }, e.headers);
    }
  };
}

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, `malformed path segment ${JSON.stringify(s)}`);
  }
}

function match(pattern: string[], segments: string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i]!.startsWith(':')) params[pattern[i]!.slice(1)] = segments[i]!;
    else if (pattern[i] !== segments[i]) return null;
  }
  return params;
}

function noContent(res: ServerResponse): void {
  res.writeHead(204);
  res.end();
}
