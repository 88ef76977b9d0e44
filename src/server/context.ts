// What every request handler may use: the broker's identity, where clients reach it, its logs
// and its shared state.
import type { Logger } from 'pino';
import type { BrokerConfigs } from '../config/broker-configs.js';
import type { GroupCoordinator } from '../groups/coordinator.js';
import type { LinkManagerApi } from '../link/types.js';
import type { LogManager } from '../log/log-manager.js';
import type { DynamicBrokerConfigs } from './dynamic-configs.js';
import type { FetchSessions } from './fetch-sessions.js';
import type { Partitions } from './partitions.js';
import type { Authorizer } from '../security/authorizer.js';
import type { ScramCredentialStore } from '../security/scram-credentials.js';
import type { TransactionCoordinator } from '../transactions/coordinator.js';
import type { ProducerIdAllocator } from './producer-ids.js';

/**
 * Prepares the TLS listeners' certificates from this broker's dynamic layer (over the static
 * configs): what is wrong with them, or how to put them in effect for new connections.
 */
export interface ListenerTlsReloader {
  prepare(brokerLayer: Readonly<Record<string, string>>): { problem: string } | { apply(): void };
}

export interface BrokerContext {
  nodeId: number;
  clusterId: string;
  logs: LogManager;
  /** the partitions as requests see them: role, fencing, who may write */
  partitions: Partitions;
  /** broker configs by Kafka name: the static ones under those AlterConfigs set (read with brokerNumber etc.) */
  readonly brokerConfigs: BrokerConfigs;
  /** the dynamic layers of brokerConfigs, which AlterConfigs replaces */
  dynamicConfigs: DynamicBrokerConfigs;
  producerIds: ProducerIdAllocator;
  /** the SCRAM users listeners authenticate against */
  scram: ScramCredentialStore;
  /** the TLS listeners' certificates, reloadable from a new dynamic broker layer */
  listenerTls: ListenerTlsReloader;
  /** the ACLs, when authorizer.class.name names StandardAuthorizer; absent, everything is permitted */
  authorizer?: Authorizer;
  fetchSessions: FetchSessions;
  /** the group coordinator; absent until it has loaded __consumer_offsets, and group APIs answer COORDINATOR_NOT_AVAILABLE */
  groups?: GroupCoordinator;
  /** the transaction coordinator; absent until it has loaded __transaction_state (its APIs answer COORDINATOR_NOT_AVAILABLE) */
  transactions?: TransactionCoordinator;
  /** the cluster links; a topic they mirror is read-only to clients (absent in a broker without them) */
  links?: LinkManagerApi;
  logger: Logger;
  /** set once shutdown begins: long polls answer at once */
  stopping: boolean;
  /** registers a callback for the start of shutdown; returns its removal */
  onShutdown(listener: () => void): () => void;
}
