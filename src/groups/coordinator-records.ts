// The records of the internal topic __consumer_offsets, in Kafka's own schemas, so that the data
// is what Kafka's tools expect and a log copied from Kafka loads here. Each key and value is an
// int16 schema version followed by the struct that version describes:
//
//   key version 0 or 1   OffsetCommitKey    group, topic, partition
//   key version 2        GroupMetadataKey   group
//   OffsetCommitValue    v0-4 (Kafka 4 writes v3, or v1 when the commit carries an expiry time)
//   GroupMetadataValue   v0-4 (Kafka 4 writes v3)
//
// A null value is a tombstone: the key's offset, or the group, is gone.
import { compileStruct } from '../../protocol/codec.js';
import type { FieldDefinition } from '../../protocol/messages/types.js';
import { ProtocolError, Reader, Writer } from '../../protocol/primitives.js';

const OFFSET_COMMIT_KEY_FIELDS: FieldDefinition[] = [
  { n: 'group', t: 'string', v: '0+' },
  { n: 'topic', t: 'string', v: '0+' },
  { n: 'partition', t: 'int32', v: '0+' },
];

const GROUP_METADATA_KEY_FIELDS: FieldDefinition[] = [{ n: 'group', t: 'string', v: '0+' }];

const OFFSET_COMMIT_VALUE_FIELDS: FieldDefinition[] = [
  { n: 'offset', t: 'int64', v: '0+' },
  { n: 'leaderEpoch', t: 'int32', v: '3+', d: '-1' },
  { n: 'metadata', t: 'string', v: '0+' },
  { n: 'commitTimestamp', t: 'int64', v: '0+' },
  { n: 'expireTimestamp', t: 'int64', v: '1', d: '-1' },
];

const GROUP_METADATA_VALUE_FIELDS: FieldDefinition[] = [
  { n: 'protocolType', t: 'string', v: '0+' },
  { n: 'generation', t: 'int32', v: '0+' },
  { n: 'protocol', t: 'string', v: '0+', nv: '0+' },
  { n: 'leader', t: 'string', v: '0+', nv: '0+' },
  { n: 'currentStateTimestamp', t: 'int64', v: '2+', d: '-1' },
  {
    n: 'members', t: '[]struct', v: '0+', f: [
      { n: 'memberId', t: 'string', v: '0+' },
      { n: 'groupInstanceId', t: 'string', v: '3+', nv: '3+', d: 'null' },
      { n: 'clientId', t: 'string', v: '0+' },
      { n: 'clientHost', t: 'string', v: '0+' },
      { n: 'rebalanceTimeout', t: 'int32', v: '1+' },
      { n: 'sessionTimeout', t: 'int32', v: '0+' },
      { n: 'subscription', t: 'bytes', v: '0+' },
      { n: 'assignment', t: 'bytes', v: '0+' },
    ],
  },
];

const OFFSET_COMMIT_KEY_VERSION = 1;
const LEGACY_OFFSET_COMMIT_KEY_VERSION = 0;
const GROUP_METADATA_KEY_VERSION = 2;
const OFFSET_COMMIT_VALUE_VERSION = 3;
const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
const GROUP_METADATA_VALUE_VERSION = 3;
const MAX_VALUE_VERSION = 4;
/** The first version of both value schemas to be flexible (tagged fields). */
const FIRST_FLEXIBLE_VALUE_VERSION = 4;

export interface OffsetCommitKey {
  group: string;
  topic: string;
  partition: number;
}

export interface OffsetCommitValue {
  offset: number;
  /** -1: none */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** -1: none (retention applies); set only by OffsetCommit v2-4's retentionTimeMs */
  expireTimestamp: number;
}

export interface GroupMemberRecord {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  /** the member's metadata for the group's chosen protocol */
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** when the group entered its current state, -1 if unknown */
  currentStateTimestamp: number;
  members: GroupMemberRecord[];
}

export type CoordinatorRecord =
  | { type: 'offset'; key: OffsetCommitKey; value: OffsetCommitValue | null }
  | { type: 'group'; key: { group: string }; value: GroupMetadataValue | null };

/** A record as stored: key and value bytes (value null for a tombstone). */
export interface RawRecord {
  key: Buffer;
  value: Buffer | null;
}

function encodeVersioned(fields: FieldDefinition[], version: number, flexible: boolean, value: object): Buffer {
  const codec = compileStruct(fields, version, flexible);
  const w = new Writer(2 + codec.size(value, { spliced: 0 }));
  w.int16(version);
  codec.write(w, value);
  return w.finish()[0]!;
}

export function encodeOffsetCommit(key: OffsetCommitKey, value: OffsetCommitValue | null): RawRecord {
  const valueVersion = value && value.expireTimestamp >= 0 ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY : OFFSET_COMMIT_VALUE_VERSION;
  return {
    key: encodeVersioned(OFFSET_COMMIT_KEY_FIELDS, OFFSET_COMMIT_KEY_VERSION, false, key),
    value: value && encodeVersioned(OFFSET_COMMIT_VALUE_FIELDS, valueVersion, false, value),
  };
}

export function encodeGroupMetadata(group: string, value: GroupMetadataValue | null): RawRecord {
  return {
    key: encodeVersioned(GROUP_METADATA_KEY_FIELDS, GROUP_METADATA_KEY_VERSION, false, { group }),
    value: value && encodeVersioned(GROUP_METADATA_VALUE_FIELDS, GROUP_METADATA_VALUE_VERSION, false, value),
  };
}

function decodeValue(fields: FieldDefinition[], buf: Buffer, what: string): any {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0 || version > MAX_VALUE_VERSION) throw new ProtocolError(`${what} has unknown version ${version}`);
  return compileStruct(fields, version, version >= FIRST_FLEXIBLE_VALUE_VERSION).read(r);
}

/**
 * Decodes one record of the topic; null for a key version outpost does not read (Kafka's newer
 * group types, transactions' markers), which it skips as Kafka skips what it does not know.
 */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): CoordinatorRecord | null {
  const r = new Reader(key);
  const version = r.int16();
  if (version === OFFSET_COMMIT_KEY_VERSION || version === LEGACY_OFFSET_COMMIT_KEY_VERSION) {
    const k = compileStruct(OFFSET_COMMIT_KEY_FIELDS, 0, false).read(r) as OffsetCommitKey;
    const v = value && (decodeValue(OFFSET_COMMIT_VALUE_FIELDS, value, 'OffsetCommitValue') as OffsetCommitValue);
    return { type: 'offset', key: k, value: v };
  }
  if (version === GROUP_METADATA_KEY_VERSION) {
    const k = compileStruct(GROUP_METADATA_KEY_FIELDS, 0, false).read(r) as { group: string };
    const v = value && (decodeValue(GROUP_METADATA_VALUE_FIELDS, value, 'GroupMetadataValue') as GroupMetadataValue);
    return { type: 'group', key: k, value: v };
  }
  return null;
}
