// Prometheus gauges of the cluster links (served on the admin listener's /metrics), read from the
// link manager at scrape time. Each broker has a registry of its own, so several brokers in one
// process (the tests) never report each other's links.
import { Gauge, type Registry } from 'prom-client';
import { hitRatio } from './read-through.js';
import type { LinkDescription, MirrorDescription } from './types.js';

interface LinkMetricsSource {
  listLinks(): LinkDescription[];
  listMirrors(): MirrorDescription[];
}

/** Registers the link gauges of `source` in `registry`. */
export function registerLinkMetrics(registry: Registry, source: LinkMetricsSource): void {
  const registers = [registry];
  const links = () => source.listLinks();
  new Gauge({
    registers,
    name: 'outpost_cluster_link_up',
    help: 'Whether the cluster link reaches its source cluster (1) or not (0: unavailable or failed)',
    labelNames: ['link'],
    collect() {
      this.reset();
      for (const l of links()) this.set({ link: l.name }, l.state === 'ACTIVE' ? 1 : 0);
    },
  });
  new Gauge({
    registers,
    name: 'outpost_cluster_link_bytes_per_second',
    help: 'Bytes of record batches mirrored per second over the last seconds',
    labelNames: ['link'],
    collect() {
      this.reset();
      for (const l of links()) this.set({ link: l.name }, l.bytesPerSec);
    },
  });
  new Gauge({
    registers,
    name: 'outpost_cluster_link_records_per_second',
    help: 'Records (offsets) mirrored per second over the last seconds',
    labelNames: ['link'],
    collect() {
      this.reset();
      for (const l of links()) this.set({ link: l.name }, l.recordsPerSec);
    },
  });
  new Gauge({
    registers,
    name: 'outpost_cluster_link_fetch_partitions',
    help: 'Mirrored partitions the link fetches from each source broker, all in one Fetch request to it',
    labelNames: ['link', 'broker'],
    collect() {
      this.reset();
      for (const l of links()) for (const f of l.fetchers) this.set({ link: l.name, broker: String(f.broker) }, f.partitions);
    },
  });
  new Gauge({
    registers,
    name: 'outpost_cluster_link_consumer_offset_sync_last_timestamp_ms',
    help: 'When consumer offset sync last completed a round (ms since the epoch; absent until it has)',
    labelNames: ['link'],
    collect() {
      this.reset();
      for (const l of links()) if (l.offsetSync.lastSyncMs !== null) this.set({ link: l.name }, l.offsetSync.lastSyncMs);
    },
  });
  new Gauge({
    registers,
    name: 'outpost_cluster_link_consumer_group_offsets_behind',
    help: 'Records between a source consumer group\'s committed offsets and those synced here (waiting for the mirror to catch up)',
    labelNames: ['link', 'group'],
    collect() {
      this.reset();
      for (const l of links()) for (const g of l.offsetSync.groups) if (g.synced) this.set({ link: l.name, group: g.group }, g.behind);
    },
  });
  for (const [key, what] of [['opened', 'opened'], ['authenticated', 'SASL-authenticated'], ['reauthenticated', 're-authenticated in place before their SASL session ended']] as const) {
    new Gauge({
      registers,
      name: `outpost_cluster_link_source_connections_${key}`,
      help: `Connections to the source cluster ${what} since the link last (re)started`,
      labelNames: ['link'],
      collect() {
        this.reset();
        for (const l of links()) this.set({ link: l.name }, l.connections[key]);
      },
    });
  }
  for (const [key, name, help] of [
    ['sourceFetches', 'source_fetches', 'Fetches of older mirror records from the source (reads below a mirror\'s local log start)'],
    ['sourceBytes', 'source_bytes', 'Bytes of older mirror records fetched from the source'],
    ['hits', 'cache_hits', 'Reads below a mirror\'s local log start served from the read-through cache'],
    ['misses', 'cache_misses', 'Reads below a mirror\'s local log start that had to ask the source'],
    ['bytesServed', 'bytes_served', 'Bytes of older mirror records served to clients through the link'],
    ['cachedBytes', 'cached_bytes', 'Bytes of older mirror records held in the read-through cache\'s memory now'],
    ['diskCachedBytes', 'disk_cached_bytes', 'Bytes of older mirror records held in the read-through cache\'s disk tier now'],
    ['diskHits', 'disk_hits', 'Chunks of older mirror records read back from the read-through cache\'s disk tier'],
  ] as const) {
    new Gauge({
      registers,
      name: `outpost_cluster_link_read_through_${name}`,
      help: `${help}, since the link last (re)started`,
      labelNames: ['link'],
      collect() {
        this.reset();
        for (const l of links()) this.set({ link: l.name }, l.readThrough[key]);
      },
    });
  }
  new Gauge({
    registers,
    name: 'outpost_cluster_link_read_through_cache_hit_ratio',
    help: 'Share of reads below a mirror\'s local log start served from the read-through cache, since the link last (re)started',
    labelNames: ['link'],
    collect() {
      this.reset();
      for (const l of links()) this.set({ link: l.name }, hitRatio(l.readThrough));
    },
  });
  new Gauge({
    registers,
    name: 'outpost_cluster_link_read_through_source_fetch_ms',
    help: 'How long the source took to answer a read-through fetch, over the last 256 (quantiles 0.5 and 0.99)',
    labelNames: ['link', 'quantile'],
    collect() {
      this.reset();
      for (const l of links()) {
        const { p50, p99 } = l.readThrough.sourceFetchMs;
        if (p50 < 0) continue;
        this.set({ link: l.name, quantile: '0.5' }, p50);
        this.set({ link: l.name, quantile: '0.99' }, p99);
      }
    },
  });
  new Gauge({
    registers,
    name: 'outpost_mirror_size_bytes',
    help: 'A mirror topic\'s size: the bytes of its segments here (local), and of the source topic (total: what local retention keeps a part of; absent until the source has said)',
    labelNames: ['link', 'topic', 'where'],
    collect() {
      this.reset();
      for (const m of source.listMirrors()) {
        this.set({ link: m.linkName, topic: m.topic, where: 'local' }, m.partitions.reduce((n, p) => n + p.localBytes, 0));
        if (m.partitions.every((p) => p.sourceBytes >= 0)) this.set({ link: m.linkName, topic: m.topic, where: 'total' }, m.partitions.reduce((n, p) => n + p.sourceBytes, 0));
      }
    },
  });
  new Gauge({
    registers,
    name: 'outpost_mirror_bytes_served',
    help: 'Bytes of a mirror topic\'s record batches served to clients since the broker started: from the copy here (local) or through the link (read_through)',
    labelNames: ['link', 'topic', 'from'],
    collect() {
      this.reset();
      for (const m of source.listMirrors()) {
        const sum = (k: 'local' | 'readThrough') => m.partitions.reduce((n, p) => n + p.bytesServed[k], 0);
        this.set({ link: m.linkName, topic: m.topic, from: 'local' }, sum('local'));
        this.set({ link: m.linkName, topic: m.topic, from: 'read_through' }, sum('readThrough'));
      }
    },
  });
  new Gauge({
    registers,
    name: 'outpost_mirror_partition_lag_records',
    help: "Offsets between the source partition's high watermark (as last fetched) and the mirror's log end",
    labelNames: ['link', 'topic', 'partition'],
    collect() {
      this.reset();
      for (const m of source.listMirrors()) for (const p of m.partitions) this.set({ link: m.linkName, topic: m.topic, partition: String(p.partition) }, p.lag);
    },
  });
}
