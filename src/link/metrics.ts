// Prometheus gauges of the cluster links (served on the admin listener's /metrics), read from the
// link managers at scrape time. They are registered once per process; a test process may run
// several brokers, so every open manager is read.
import { Gauge } from 'prom-client';
import type { LinkDescription, MirrorDescription } from './types.js';

interface LinkMetricsSource {
  listLinks(): LinkDescription[];
  listMirrors(): MirrorDescription[];
}

const sources = new Set<LinkMetricsSource>();
let registered = false;

function links(): LinkDescription[] {
  return [...sources].flatMap((s) => s.listLinks());
}

function register(): void {
  new Gauge({
    name: 'outpost_cluster_link_up',
    help: 'Whether the cluster link reaches its source cluster (1) or not (0: unavailable or failed)',
    labelNames: ['link'],
    collect() {
      this.reset();
      for (const l of links()) this.set({ link: l.name }, l.state === 'ACTIVE' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'outpost_cluster_link_bytes_per_second',
    help: 'Bytes of record batches mirrored per second over the last seconds',
    labelNames: ['link'],
    collect() {
      this.reset();
      for (const l of links()) this.set({ link: l.name }, l.bytesPerSec);
    },
  });
  new Gauge({
    name: 'outpost_cluster_link_records_per_second',
    help: 'Records (offsets) mirrored per second over the last seconds',
    labelNames: ['link'],
    collect() {
      this.reset();
      for (const l of links()) this.set({ link: l.name }, l.recordsPerSec);
    },
  });
  new Gauge({
    name: 'outpost_cluster_link_fetch_partitions',
    help: 'Mirrored partitions the link fetches from each source broker, all in one Fetch request to it',
    labelNames: ['link', 'broker'],
    collect() {
      this.reset();
      for (const l of links()) for (const f of l.fetchers) this.set({ link: l.name, broker: String(f.broker) }, f.partitions);
    },
  });
  new Gauge({
    name: 'outpost_mirror_partition_lag_records',
    help: "Offsets between the source partition's high watermark (as last fetched) and the mirror's log end",
    labelNames: ['link', 'topic', 'partition'],
    collect() {
      this.reset();
      for (const s of sources) {
        for (const m of s.listMirrors()) for (const p of m.partitions) this.set({ link: m.linkName, topic: m.topic, partition: String(p.partition) }, p.lag);
      }
    },
  });
  registered = true;
}

/** Reads `source` at every scrape until the returned function is called. */
export function trackLinkMetrics(source: LinkMetricsSource): () => void {
  if (!registered) register();
  sources.add(source);
  return () => sources.delete(source);
}
