// The source endpoint of a real Kafka cluster (Apache Kafka, Confluent, MSK, Redpanda, another
// outpost), reached with outpost's own client: each question is one request, sent as the link's
// consumer-side client sends it (replica id -1, the leader epoch the link believes current), and
// each answer is read per partition with the error's name.
import { errorName } from '../../protocol/errors.js';
import type { LinkSettings } from '../config/link-configs.js';
import { UnsupportedApi, sourceClientFor, type SourceClient } from './source-client.js';
import {
  refKey, type ConfigEntry, type EpochAnswer, type FetchCall, type OffsetAnswer, type PartitionRef, type SourceEndpoint, type SourceMetadata,
} from './source-endpoint.js';

const CONSUMER_REPLICA_ID = -1;
const TOPIC_RESOURCE = 2;

function byTopic<R extends PartitionRef, T>(refs: R[], entry: (r: R) => T): { name: string; partitions: T[] }[] {
  const topics = new Map<string, T[]>();
  for (const r of refs) {
    let list = topics.get(r.topic);
    if (!list) topics.set(r.topic, (list = []));
    list.push(entry(r));
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
}

export class KafkaSource implements SourceEndpoint {
  private readonly client: SourceClient;

  constructor(bootstrapServers: string, settings: LinkSettings) {
    this.client = sourceClientFor(bootstrapServers, settings);
  }

  metadata(topics: string[] | null): Promise<SourceMetadata> {
    return this.client.metadata(topics);
  }

  fetch(broker: number, call: FetchCall) {
    return this.client.request(broker, 'Fetch', (v) => call.build(v), { extraMs: call.maxWaitMs, maxVersion: call.maxVersion });
  }

  async listOffsets(broker: number, refs: PartitionRef[], timestamp: number, isolation: number): Promise<Map<string, OffsetAnswer>> {
    const { body } = await this.client.request(broker, 'ListOffsets', () => ({
      replicaId: CONSUMER_REPLICA_ID,
      isolationLevel: isolation,
      topics: byTopic(refs, (r) => ({ partitionIndex: r.partition, currentLeaderEpoch: r.leaderEpoch, timestamp })),
      timeoutMs: 30_000,
    }));
    const out = new Map<string, OffsetAnswer>();
    for (const t of body.topics) {
      for (const p of t.partitions) out.set(refKey(t.name, p.partitionIndex), { error: errorName(p.errorCode), offset: p.offset });
    }
    return out;
  }

  async epochEndOffsets(broker: number, refs: (PartitionRef & { epoch: number })[]): Promise<Map<string, EpochAnswer>> {
    const { body } = await this.client.request(broker, 'OffsetForLeaderEpoch', () => ({
      replicaId: CONSUMER_REPLICA_ID,
      topics: byTopic(refs, (r) => ({ partition: r.partition, currentLeaderEpoch: r.leaderEpoch, leaderEpoch: r.epoch })).map((t) => ({ topic: t.name, partitions: t.partitions })),
    }));
    const out = new Map<string, EpochAnswer>();
    for (const t of body.topics) {
      for (const p of t.partitions) out.set(refKey(t.topic, p.partition), { error: errorName(p.errorCode), leaderEpoch: p.leaderEpoch, endOffset: p.endOffset });
    }
    return out;
  }

  async topicConfigs(topics: string[], names: readonly string[]): Promise<Map<string, ConfigEntry[]>> {
    const out = new Map<string, ConfigEntry[]>();
    try {
      const { body } = await this.client.request('any', 'DescribeConfigs', () => ({
        resources: topics.map((name) => ({ resourceType: TOPIC_RESOURCE, resourceName: name, configurationKeys: [...names] })),
        includeSynonyms: false,
        includeDocumentation: false,
      }));
      for (const r of body.results) if (r.errorCode === 0) out.set(r.resourceName, r.configs.map((c) => ({ name: c.name, value: c.value })));
    } catch (e) {
      if (!(e instanceof UnsupportedApi)) throw e;
    }
    return out;
  }

  connectionCounts() {
    return { ...this.client.counts };
  }

  brokerAddress(broker: number) {
    return this.client.broker(broker);
  }

  close(): void {
    this.client.close();
  }
}
