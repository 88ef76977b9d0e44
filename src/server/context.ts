// What every request handler may use: the broker's identity, where clients reach it, its logs
// and its shared state.
import type { Logger } from 'pino';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { LogManager } from '../log/log-manager.js';
import type { FetchSessions } from './fetch-sessions.js';
import type { ProducerIdAllocator } from './producer-ids.js';

export interface BrokerContext {
  nodeId: number;
  clusterId: string;
  /** the advertised listener: what Metadata tells clients to connect to */
  host: string;
  port: number;
  logs: LogManager;
  /** broker configs by Kafka name, as started (static) */
  brokerConfigs: Record<string, string>;
  producerIds: ProducerIdAllocator;
  fetchSessions: FetchSessions;
  /** the group coordinator; absent until it has loaded __consumer_offsets, and group APIs answer COORDINATOR_NOT_AVAILABLE */
  groups?: GroupCoordinator;
  logger: Logger;
  /** set once shutdown begins: long polls answer at once */
  stopping: boolean;
  /** registers a callback for the start of shutdown; returns its removal */
  onShutdown(listener: () => void): () => void;
}
