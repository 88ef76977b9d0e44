// The group coordinator's settings, from the broker configs by Kafka's names and defaults.
import { brokerNumber, type BrokerConfigs } from '../config/broker-configs.js';
import type { MemberTiming } from './consumer-groups.js';

export interface GroupConfig {
  /** group.min.session.timeout.ms */
  minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  initialRebalanceDelayMs: number;
  /** group.max.size */
  maxGroupSize: number;
  /** offsets.retention.minutes, in ms */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
  /** group.consumer.heartbeat.interval.ms and group.consumer.session.timeout.ms */
  consumerMembers: MemberTiming;
  /** how long a new member's parked JoinGroup may wait (Kafka's fixed 5 minutes) */
  newMemberJoinTimeoutMs: number;
}

const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60_000;

/** The coordinator's settings from the broker configs (Kafka's names and defaults). */
export function groupConfig(configs: BrokerConfigs): GroupConfig {
  return {
    minSessionTimeoutMs: brokerNumber(configs, 'group.min.session.timeout.ms'),
    maxSessionTimeoutMs: brokerNumber(configs, 'group.max.session.timeout.ms'),
    initialRebalanceDelayMs: brokerNumber(configs, 'group.initial.rebalance.delay.ms'),
    maxGroupSize: brokerNumber(configs, 'group.max.size'),
    offsetsRetentionMs: brokerNumber(configs, 'offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: brokerNumber(configs, 'offsets.retention.check.interval.ms'),
    offsetMetadataMaxBytes: brokerNumber(configs, 'offset.metadata.max.bytes'),
    consumerMembers: memberTiming(configs),
    newMemberJoinTimeoutMs: NEW_MEMBER_JOIN_TIMEOUT_MS,
  };
}

/**
 * group.consumer.heartbeat.interval.ms and group.consumer.session.timeout.ms, each within its
 * min and max and the interval below the timeout, as Kafka's GroupCoordinatorConfig requires.
 */
function memberTiming(configs: BrokerConfigs): MemberTiming {
  const within = (name: string) => {
    const value = brokerNumber(configs, `group.consumer.${name}`);
    const min = brokerNumber(configs, `group.consumer.min.${name}`);
    const max = brokerNumber(configs, `group.consumer.max.${name}`);
    if (value < min || value > max) throw new Error(`group.consumer.${name} (${value}) must lie within group.consumer.min.${name} (${min}) and group.consumer.max.${name} (${max})`);
    return value;
  };
  const heartbeatIntervalMs = within('heartbeat.interval.ms');
  const sessionTimeoutMs = within('session.timeout.ms');
  if (heartbeatIntervalMs >= sessionTimeoutMs) throw new Error(`group.consumer.heartbeat.interval.ms (${heartbeatIntervalMs}) must be less than group.consumer.session.timeout.ms (${sessionTimeoutMs})`);
  return { heartbeatIntervalMs, sessionTimeoutMs };
}

/** offsets.topic.num.partitions (Kafka's default 50): only read when the topic is created. */
export function offsetsTopicPartitions(configs: BrokerConfigs): number {
  return brokerNumber(configs, 'offsets.topic.num.partitions');
}

/** offsets.topic.segment.bytes (Kafka's default 100 MiB): only read when the topic is created. */
export function offsetsTopicSegmentBytes(configs: BrokerConfigs): number {
  return brokerNumber(configs, 'offsets.topic.segment.bytes');
}
