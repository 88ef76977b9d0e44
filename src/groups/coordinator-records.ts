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
import type { Decoded, RecordDefinition } from '../../protocol/messages/types.js';
import { compileStruct, inVersions } from '../../protocol/codec.js';
import { ProtocolError, Reader, Writer } from '../../protocol/primitives.js';

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

/** A record as stored: key and value bytes (value null for a tombstone). */
export interface RawRecord {
  key: Buffer;
  value: Buffer | null;
}

/** A key: its record type, then the key struct at version 0 (Kafka's only key version). */
function encodeKey(def: RecordDefinition, key: object): Buffer {
  return encodeWith(def, def.key, 0, key);
}

/** A value: its schema version, then the struct at that version. */
function encodeValue(def: RecordDefinition, version: number, value: object): Buffer {
  return encodeWith(def, version, version, value);
}

function encodeWith(def: RecordDefinition, prefix: number, version: number, value: object): Buffer {
  const codec = compileStruct(def.fields, version, inVersions(def.flexible, version), def.name);
  const w = new Writer(2 + codec.size(value, { spliced: 0 }));
  w.int16(prefix);
  codec.write(w, value);
  return w.finish()[0]!;
}

export function encodeOffsetCommit(key: OffsetCommitKey, value: OffsetCommitValue | null): RawRecord {
  const valueVersion = value && value.expireTimestamp >= 0 ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY : OFFSET_COMMIT_VALUE_VERSION;
  return {
    key: encodeKey(OffsetCommitKeyDefinition, key),
    value: value && encodeValue(OffsetCommitValueDefinition, valueVersion, value),
  };
}

export function encodeGroupMetadata(group: string, value: GroupMetadataValue | null): RawRecord {
  return {
    key: encodeKey(GroupMetadataKeyDefinition, { group }),
    value: value && encodeValue(GroupMetadataValueDefinition, GROUP_METADATA_VALUE_VERSION, value),
  };
}

function decodeValue<T>(def: RecordDefinition, buf: Buffer): T {
  const r = new Reader(buf);
  const version = r.int16();
  if (!inVersions(def.valid, version)) throw new ProtocolError(`${def.name} has unknown version ${version}`);
  return compileStruct(def.fields, version, inVersions(def.flexible, version), def.name).read(r) as T;
}

/**
 * Decodes one record of the topic; null for a key version outpost does not read (Kafka's newer
 * group types, transactions' markers), which it skips as Kafka skips what it does not know.
 */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): CoordinatorRecord | null {
  const r = new Reader(key);
  const type = r.int16();
  if (type === OffsetCommitKeyDefinition.key || type === LEGACY_OFFSET_COMMIT_KEY_TYPE) {
    const k = compileStruct(OffsetCommitKeyDefinition.fields, 0, false).read(r) as OffsetCommitKey;
    if (value === null) return { type: 'offset', key: k, value: null };
    const { topicId: _unused, ...v } = decodeValue<Decoded<OffsetCommitValueMessage>>(OffsetCommitValueDefinition, value);
    return { type: 'offset', key: k, value: v };
  }
  if (type === GroupMetadataKeyDefinition.key) {
    const k = compileStruct(GroupMetadataKeyDefinition.fields, 0, false).read(r) as { group: string };
    return { type: 'group', key: k, value: value && decodeValue<GroupMetadataValue>(GroupMetadataValueDefinition, value) };
  }
  return null;
}
