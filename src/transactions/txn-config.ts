// The transaction coordinator's settings, from the broker configs by Kafka's names and defaults.
import { brokerNumber, type BrokerConfigs } from '../config/broker-configs.js';
import type { TxnCoordinatorConfig } from './coordinator.js';

export function txnCoordinatorConfig(configs: BrokerConfigs): TxnCoordinatorConfig {
  return {
    maxTimeoutMs: brokerNumber(configs, 'transaction.max.timeout.ms'),
    idExpirationMs: brokerNumber(configs, 'transactional.id.expiration.ms'),
    abortCheckIntervalMs: brokerNumber(configs, 'transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    expireCheckIntervalMs: brokerNumber(configs, 'transaction.remove.expired.transaction.cleanup.interval.ms'),
  };
}

/** Kafka's configs for __transaction_state, made at start-up when missing. */
export function transactionStateTopicConfigs(configs: BrokerConfigs): { partitions: number; configs: Record<string, string> } {
  return {
    partitions: brokerNumber(configs, 'transaction.state.log.num.partitions'),
    configs: { 'cleanup.policy': 'compact', 'compression.type': 'uncompressed', 'segment.bytes': String(brokerNumber(configs, 'transaction.state.log.segment.bytes')) },
  };
}
