// The broker configs AlterConfigs sets at run time (Kafka's dynamic broker configs): one layer for
// the cluster default resource "" and one per broker id. Kafka keeps them in its metadata log, so
// they outlive a restart; outpost keeps them in one file of the data dir, replaced atomically on
// every change and read back at start-up:
//
//   <data-dir>/dynamic-broker-configs.json
//   { "version": 1, "clusterDefault": { "log.retention.ms": "5000" }, "brokers": { "1": { ... } } }
//
// Values are stored as given (Kafka too), and checked with validateBrokerConfigChanges first.
import { join } from 'node:path';
import { BrokerConfigLayers, brokerNumber, validateBrokerConfigChanges } from '../config/broker-configs.js';
import { checkListenerConfig, isReloadableListenerConfig } from '../config/listeners.js';
import { readFileIfPresent, writeFileDurably } from '../log/durable-file.js';

export const DYNAMIC_CONFIGS_FILE = 'dynamic-broker-configs.json';
const VERSION = 1;
/**
 * What a data dir without the file starts with: a Kafka 4.4 cluster is formatted with
 * min.insync.replicas as a cluster-wide dynamic config (the eligible leader replicas of KIP-966
 * need it set), which DescribeConfigs then reports; AlterConfigs may remove it like any other.
 */
const FORMATTED_CLUSTER_DEFAULT: Readonly<Record<string, string>> = { 'min.insync.replicas': '1' };

/** Which dynamic layer: the cluster default ("") or this broker's own id. */
export type DynamicLayer = 'clusterDefault' | 'broker';

interface Stored {
  clusterDefault: Record<string, string>;
  /** by broker id; only this node's is used, the others are kept as found */
  brokers: Record<string, Record<string, string>>;
}

export class DynamicBrokerConfigs {
  private current: BrokerConfigLayers;

  private constructor(
    private readonly path: string,
    private readonly nodeId: string,
    private readonly staticConfigs: Readonly<Record<string, string>>,
    private stored: Stored,
  ) {
    this.current = this.build();
  }

  /**
   * Reads the file (none: the configs of a freshly formatted cluster). An entry that no longer passes the checks, say
   * after an upgrade, is left out with a warning rather than stopping the broker: Kafka also
   * starts with the dynamic configs it cannot apply ignored.
   */
  static async load(dataDir: string, staticConfigs: Readonly<Record<string, string>>, warn: (message: string) => void): Promise<DynamicBrokerConfigs> {
    const path = join(dataDir, DYNAMIC_CONFIGS_FILE);
    const stored: Stored = { clusterDefault: { ...FORMATTED_CLUSTER_DEFAULT }, brokers: {} };
    const text = await readFileIfPresent(path);
    if (text !== null) {
      const parsed = JSON.parse(text) as { version?: unknown; clusterDefault?: unknown; brokers?: unknown };
      if (parsed.version !== VERSION || !isStringMap(parsed.clusterDefault) || !isRecord(parsed.brokers) || !Object.values(parsed.brokers).every(isStringMap)) {
        throw new Error(`${path}: unsupported or malformed content`);
      }
      stored.clusterDefault = usable(parsed.clusterDefault, 'the cluster default', warn);
      for (const [id, layer] of Object.entries(parsed.brokers as Record<string, Record<string, string>>)) {
        stored.brokers[id] = usable(layer, `broker ${id}`, warn);
      }
    }
    return new DynamicBrokerConfigs(path, String(brokerNumber(staticConfigs, 'node.id')), staticConfigs, stored);
  }

  /** Static, cluster default and this broker's configs, as the config describers and resolvers take them. */
  get layers(): BrokerConfigLayers {
    return this.current;
  }

  layer(which: DynamicLayer): Readonly<Record<string, string>> {
    return which === 'clusterDefault' ? this.stored.clusterDefault : this.stored.brokers[this.nodeId] ?? {};
  }

  /**
   * Replaces one layer: written to disk first, then in effect. Callers check the configs and run
   * one change at a time (each reads the layer it replaces).
   */
  async replace(which: DynamicLayer, configs: Readonly<Record<string, string>>): Promise<void> {
    const next: Stored = which === 'clusterDefault'
      ? { ...this.stored, clusterDefault: { ...configs } }
      : { ...this.stored, brokers: { ...this.stored.brokers, [this.nodeId]: { ...configs } } };
    // Owner-only: a listener's keystore password may be among them (a certificate rotated at run time).
    await writeFileDurably(this.path, JSON.stringify({ version: VERSION, ...next }, null, 2) + '\n', 0o600);
    this.stored = next;
    this.current = this.build();
  }

  private build(): BrokerConfigLayers {
    return new BrokerConfigLayers(this.staticConfigs, this.stored.clusterDefault, this.layer('broker'));
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringMap(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
}

function usable(layer: Record<string, string>, what: string, warn: (message: string) => void): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(layer)) {
    const problem = isReloadableListenerConfig(name) ? checkListenerConfig(name, value) : validateBrokerConfigChanges({ [name]: value });
    if (problem) warn(`ignoring the dynamic config ${name}=${value} of ${what}: ${problem}`);
    else out[name] = value;
  }
  return out;
}
