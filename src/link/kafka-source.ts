// The source endpoint of a real Kafka cluster (Apache Kafka, Confluent, MSK, Redpanda, another
// outpost), reached with outpost's own client: each question is one request, sent as the link's
// consumer-side client sends it (replica id -1, the leader epoch the link believes current), and
// each answer is read per partition with the error's name.
import { errorName } from '../../protocol/errors.js';
import type { AclBinding, AclFilter } from '../common/acls.js';
import type { LinkSettings } from '../config/link-configs.js';
import { UnsupportedApi, sourceClientFor, type SourceClient } from './source-client.js';
import {
  refKey, type CommittedOffset, type ConfigEntry, type EpochAnswer, type FetchCall, type GroupApi, type GroupCall, type OffsetAnswer, type PartitionRef, type SourceEndpoint, type SourceMetadata,
} from './source-endpoint.js';

const CONSUMER_REPLICA_ID = -1;
const GROUP_KEY_TYPE = 0;
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
    return this.client.request(broker, 'Fetch', (v) => call.build(v), { extraMs: call.maxWaitMs, maxVersion: call.maxVersion, lane: call.lane });
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

  async listGroups(): Promise<string[]> {
    // Each broker lists the groups it coordinates: all of them are asked.
    if (this.client.brokerIds().length === 0) await this.client.metadata([]);
    const out = new Set<string>();
    for (const broker of this.client.brokerIds()) {
      const { body } = await this.client.request(broker, 'ListGroups', () => ({ statesFilter: [], typesFilter: [] }));
      if (body.errorCode !== 0) throw new Error(`source ListGroups on broker ${broker}: ${errorName(body.errorCode)}`);
      for (const g of body.groups) out.add(g.groupId);
    }
    return [...out];
  }

  async partitionSizes(broker: number, refs: { topic: string; partition: number }[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const topics = new Map<string, number[]>();
    for (const r of refs) topics.set(r.topic, [...(topics.get(r.topic) ?? []), r.partition]);
    try {
      const { body } = await this.client.request(broker, 'DescribeLogDirs', () => ({ topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) }));
      for (const dir of body.results) {
        if (dir.errorCode !== 0) continue;
        for (const t of dir.topics) for (const p of t.partitions) if (!p.isFutureKey) out.set(refKey(t.name, p.partitionIndex), p.partitionSize);
      }
    } catch (e) {
      if (!(e instanceof UnsupportedApi)) throw e;
    }
    return out;
  }

  async groupCoordinator(group: string): Promise<number> {
    const { version, body: found } = await this.client.request('any', 'FindCoordinator', (v) => (v >= 4 ? { key: '', keyType: GROUP_KEY_TYPE, coordinatorKeys: [group] } : { key: group, keyType: GROUP_KEY_TYPE, coordinatorKeys: [] }));
    const c = version >= 4 ? found.coordinators[0]! : { nodeId: found.nodeId, errorCode: found.errorCode };
    if (c.errorCode !== 0) throw new Error(`source FindCoordinator for group ${group}: ${errorName(c.errorCode)}`);
    if (this.client.broker(c.nodeId) === undefined) await this.client.metadata([]);
    return c.nodeId;
  }

  groupRequest<N extends GroupApi>(broker: number, lane: string, name: N, call: GroupCall<N>) {
    return this.client.request(broker, name, (v) => call.build(v), { lane, maxVersion: call.maxVersion, extraMs: call.extraMs });
  }

  closeLane(lane: string): void {
    this.client.closeLane(lane);
  }

  async committedOffsets(group: string): Promise<CommittedOffset[]> {
    const coordinator = await this.groupCoordinator(group);
    // Up to v9, which names topics (v10 names them by id).
    const { version: v, body } = await this.client.request(
      coordinator,
      'OffsetFetch',
      (ver) => (ver >= 8 ? { groupId: '', topics: null, groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }], requireStable: true } : { groupId: group, topics: null, groups: [], requireStable: true }),
      { maxVersion: 9 },
    );
    const answer = v >= 8 ? body.groups[0]! : { errorCode: body.errorCode, topics: body.topics };
    if (answer.errorCode !== 0) throw new Error(`source OffsetFetch for group ${group}: ${errorName(answer.errorCode)}`);
    const out: CommittedOffset[] = [];
    for (const t of answer.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0 || p.committedOffset < 0) continue;
        out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.metadata });
      }
    }
    return out;
  }

  async describeAcls(f: AclFilter): Promise<AclBinding[]> {
    const { body } = await this.client.request('any', 'DescribeAcls', () => ({
      resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType,
      principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permissionType,
    }));
    if (body.errorCode !== 0) throw new Error(`source DescribeAcls: ${errorName(body.errorCode)}${body.errorMessage ? ` (${body.errorMessage})` : ''}`);
    return body.resources.flatMap((r) => r.acls.map((a) => ({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, ...a })));
  }

  /** Creates ACLs at the source (an operator's tool, not the link, asks this: it needs ALTER on the cluster). */
  async createAcls(bindings: AclBinding[]): Promise<void> {
    if (bindings.length === 0) return;
    const { body } = await this.client.request('any', 'CreateAcls', () => ({
      creations: bindings.map((b) => ({ resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })),
    }));
    const failed = body.results.find((r) => r.errorCode !== 0);
    if (failed) throw new Error(`source CreateAcls: ${errorName(failed.errorCode)}${failed.errorMessage ? ` (${failed.errorMessage})` : ''}`);
  }

  /** Deletes exactly these ACLs at the source. */
  async deleteAcls(bindings: AclBinding[]): Promise<void> {
    if (bindings.length === 0) return;
    const { body } = await this.client.request('any', 'DeleteAcls', () => ({
      filters: bindings.map((b) => ({
        resourceTypeFilter: b.resourceType, resourceNameFilter: b.resourceName, patternTypeFilter: b.patternType,
        principalFilter: b.principal, hostFilter: b.host, operation: b.operation, permissionType: b.permissionType,
      })),
    }));
    const failed = body.filterResults.find((r) => r.errorCode !== 0);
    if (failed) throw new Error(`source DeleteAcls: ${errorName(failed.errorCode)}${failed.errorMessage ? ` (${failed.errorMessage})` : ''}`);
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
