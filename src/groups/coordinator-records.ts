// The records of the internal topic __consumer_offsets, in Kafka's own schemas (generated from
// its JSON into protocol/messages/coordinator-records.ts), so that the data is what Kafka's tools
// expect and a log copied from Kafka loads here. A key is an int16 record type and the key struct;
// a value, an int16 schema version and the struct that version describes:
//
//   key type 0 or 1      OffsetCommitKey    group, topic, partition (0 is the legacy type)
//   key type 2           GroupMetadataKey   group
//   OffsetCommitValue    v0-4 (Kafka 4 writes v3, or v1 when the commit carries an expiry time)
//   GroupMetadataValue   v0-4 (Kafka 4 writes v3)
//
// A null value is a tombstone: the key's offset, or the group, is gone.
import {
  GroupMetadataKeyDefinition, GroupMetadataValueDefinition, OffsetCommitKeyDefinition, OffsetCommitValueDefinition,
  type GroupMetadataValue as GroupMetadataValueMessage, type OffsetCommitKey as OffsetCommitKeyMessage,
  type OffsetCommitValue as OffsetCommitValueMessage,
} from '../../protocol/messages/coordinator-records.js';
import { decodeRecordKey, decodeRecordValue, encodeRecordKey, encodeRecordValue, recordKeyType } from '../../protocol/messages/record-codec.js';
import type { Decoded } from '../../protocol/messages/types.js';
import type { RawRecord } from '../log/internal-topic.js';

export type { RawRecord };

/** Kafka 4 writes LegacyOffsetCommitKey's type (0) no more, but reads it: the same fields. */
const LEGACY_OFFSET_COMMIT_KEY_TYPE = 0;
/** The value versions Kafka 4 writes: v3, or v1 when the commit carries an expiry time. */
const OFFSET_COMMIT_VALUE_VERSION = 3;
const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
const GROUP_METADATA_VALUE_VERSION = 3;

export type OffsetCommitKey = Decoded<OffsetCommitKeyMessage>;
/**
 * A commit as the coordinator keeps it: leaderEpoch -1 for none, expireTimestamp -1 for none
 * (retention applies; only OffsetCommit v2-4's retentionTimeMs sets one). The topic id of value
 * v4 is neither written nor used.
 */
export type OffsetCommitValue = Omit<Decoded<OffsetCommitValueMessage>, 'topicId'>;
export type GroupMetadataValue = Decoded<GroupMetadataValueMessage>;
export type GroupMemberRecord = GroupMetadataValue['members'][number];

export type CoordinatorRecord =
  | { type: 'offset'; key: OffsetCommitKey; value: OffsetCommitValue | null }
  | { type: 'group'; key: { group: string }; value: GroupMetadataValue | null };

export function encodeOffsetCommit(key: OffsetCommitKey, value: OffsetCommitValue | null): RawRecord {
  const valueVersion = value && value.expireTimestamp >= 0 ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY : OFFSET_COMMIT_VALUE_VERSION;
  return {
    key: encodeRecordKey(OffsetCommitKeyDefinition, key),
    value: value && encodeRecordValue(OffsetCommitValueDefinition, valueVersion, value),
  };
}

export function encodeGroupMetadata(group: string, value: GroupMetadataValue | null): RawRecord {
  return {
    key: encodeRecordKey(GroupMetadataKeyDefinition, { group }),
    value: value && encodeRecordValue(GroupMetadataValueDefinition, GROUP_METADATA_VALUE_VERSION, value),
  };
}

/**
 * Decodes one record of the topic; null for a key version outpost does not read (Kafka's newer
 * group types, transactions' markers), which it skips as Kafka skips what it does not know.
 */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): CoordinatorRecord | null {
  const { type, reader: r } = recordKeyType(key);
  if (type === OffsetCommitKeyDefinition.key || type === LEGACY_OFFSET_COMMIT_KEY_TYPE) {
    const k = decodeRecordKey<OffsetCommitKey>(OffsetCommitKeyDefinition, r);
    if (value === null) return { type: 'offset', key: k, value: null };
    const { topicId: _unused, ...v } = decodeRecordValue<Decoded<OffsetCommitValueMessage>>(OffsetCommitValueDefinition, value);
    return { type: 'offset', key: k, value: v };
  }
  if (type === GroupMetadataKeyDefinition.key) {
    const k = decodeRecordKey<{ group: string }>(GroupMetadataKeyDefinition, r);
    return { type: 'group', key: k, value: value && decodeRecordValue<GroupMetadataValue>(GroupMetadataValueDefinition, value) };
  }
  return null;
}
