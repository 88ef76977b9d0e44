// Helpers for cluster-link tests whose Apache Kafka source changes under them: reading each
// partition from whichever broker leads it now, a producer that keeps producing through leader
// changes, and the comparison of a mirror with its source.
import * as assert from 'uvu/assert';
import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import { BatchHeader } from '../../protocol/records/batch.js';
import type { KafkaConnection } from '../../src/client/kafka-connection.js';
import type { KafkaPeer } from '../peers/kafka.js';
import { connectTo, describeTopic, epochEnd, fetchBatches, partitionLeaders, sameBatches, type PartitionLeader } from './support.js';

/** A Kafka source of one or more brokers, read as a consumer must: each partition from its leader. */
export class LeaderReader {
  private readonly conns = new Map<number, KafkaConnection>();

  constructor(private readonly nodes: KafkaPeer[]) {}

  /** The topic's partitions as the first broker that answers sees them. */
  async leaders(topic: string): Promise<PartitionLeader[]> {
    let last: unknown;
    for (const n of this.nodes) {
      try {
        return await partitionLeaders(await this.conn(n.nodeId), topic);
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  /** The high watermark of each partition, from its leader. */
  async ends(topic: string): Promise<number[]> {
    const leaders = await this.leaders(topic);
    return Promise.all(leaders.map(async (l, p) => (await describeTopic(await this.conn(l.leaderId), topic)).partitions[p]!.highWatermark));
  }

  /** The partition's batches from its log start to its high watermark, from its leader. */
  async batches(topic: string, partition: number): Promise<Buffer[]> {
    return fetchBatches(await this.leaderConn(topic, partition), topic, partition);
  }

  async epochEnd(topic: string, partition: number, epoch: number): Promise<[number, number]> {
    return epochEnd(await this.leaderConn(topic, partition), topic, partition, epoch);
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
  }

  private async leaderConn(topic: string, partition: number): Promise<KafkaConnection> {
    const leader = (await this.leaders(topic))[partition]!.leaderId;
    if (leader < 0) throw new Error(`${topic}-${partition} has no leader`);
    return this.conn(leader);
  }

  /** A connection to the node, opened again after the broker went away. */
  private async conn(nodeId: number): Promise<KafkaConnection> {
    const open = this.conns.get(nodeId);
    if (open && !open.closed) return open;
    const node = this.nodes.find((n) => n.nodeId === nodeId);
    if (!node) throw new Error(`no source node ${nodeId}`);
    const conn = await connectTo(node.port);
    this.conns.set(nodeId, conn);
    return conn;
  }
}

/** A kafkajs producer (acks=all) with retries long enough to ride out a broker being fenced. */
export function sourceProducer(bootstrap: string): Producer {
  const kafka = new Kafka({
    clientId: 'failover-test',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  return kafka.producer({ maxInFlightRequests: 1, allowAutoTopicCreation: false });
}

/** One produce request per round, with a record for every partition, alternating codecs. */
export async function produceRounds(producer: Producer, topic: string, partitions: number, rounds: number, tag: string): Promise<void> {
  for (let r = 0; r < rounds; r++) await producer.send(round(topic, partitions, r, tag));
}

function round(topic: string, partitions: number, r: number, tag: string) {
  const messages = [];
  for (let p = 0; p < partitions; p++) messages.push({ partition: p, key: `${tag}-${r}`, value: `${tag} round ${r} partition ${p}` });
  return { topic, acks: -1, compression: r % 2 === 0 ? CompressionTypes.None : CompressionTypes.GZIP, messages };
}

/**
 * Produces round after round until stopped, through leader changes. A round that fails even
 * after the client's retries is counted and the next one tried: what reached the source is what
 * the mirror must match, so a lost round proves nothing either way.
 */
export class SteadyProducer {
  rounds = 0;
  failed = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(producer: Producer, topic: string, partitions: number, tag: string) {
    this.done = (async () => {
      for (let r = 0; this.running; r++) {
        try {
          await producer.send(round(topic, partitions, r, tag));
          this.rounds++;
        } catch {
          this.failed++;
        }
      }
    })();
  }

  stop(): Promise<void> {
    this.running = false;
    return this.done;
  }
}

/**
 * The mirror holds exactly the source's batches, byte for byte at the same offsets and so with the
 * source's leader epochs, with no gap between batches; its leader-epoch history (OffsetForLeaderEpoch)
 * agrees with the source's for every epoch among them. Returns each partition's epochs in order.
 */
export async function sameAsSource(source: LeaderReader, mirror: KafkaConnection, topic: string, partitions: number): Promise<number[][]> {
  const epochs: number[][] = [];
  const batches = await sameBatches(source, mirror, topic, partitions);
  for (let p = 0; p < partitions; p++) {
    const headers = batches[p]!.map((b) => new BatchHeader(b, 0));
    headers.slice(1).forEach((h, i) => assert.is(h.baseOffset, headers[i]!.nextOffset, `${topic}-${p}: a gap or overlap before offset ${h.baseOffset}`));
    const seen = [...new Set(headers.map((h) => h.partitionLeaderEpoch))];
    for (const e of seen) assert.equal(await epochEnd(mirror, topic, p, e), await source.epochEnd(topic, p, e), `${topic}-${p}: the end of epoch ${e}`);
    epochs.push(seen);
  }
  return epochs;
}
