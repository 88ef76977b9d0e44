// The byte layout of an internal topic's records (__consumer_offsets, __transaction_state): a key
// is an int16 record type and the key struct at version 0; a value, an int16 schema version and
// the struct that version describes.
import { compileStruct, inVersions } from '../codec.js';
import { ProtocolError, Reader, Writer } from '../primitives.js';
import type { RecordDefinition } from './types.js';

/** A key: its record type, then the key struct at version 0 (Kafka's only key version). */
export function encodeRecordKey(def: RecordDefinition, key: object): Buffer {
  return encodeWith(def, def.key, 0, key);
}

/** A value: its schema version, then the struct at that version. */
export function encodeRecordValue(def: RecordDefinition, version: number, value: object): Buffer {
  return encodeWith(def, version, version, value);
}

function encodeWith(def: RecordDefinition, prefix: number, version: number, value: object): Buffer {
  const codec = compileStruct(def.fields, version, inVersions(def.flexible, version), def.name);
  const w = new Writer(2 + codec.size(value, { spliced: 0 }));
  w.int16(prefix);
  codec.write(w, value);
  return w.finish()[0]!;
}

/** The record type a key starts with, and a reader positioned at its struct. */
export function recordKeyType(key: Buffer): { type: number; reader: Reader } {
  const reader = new Reader(key);
  return { type: reader.int16(), reader };
}

/** The key struct after its record type. */
export function decodeRecordKey<T>(def: RecordDefinition, reader: Reader): T {
  return compileStruct(def.fields, 0, false).read(reader) as T;
}

/** A value: its version checked against the definition's, then the struct. */
export function decodeRecordValue<T>(def: RecordDefinition, buf: Buffer): T {
  const r = new Reader(buf);
  const version = r.int16();
  if (!inVersions(def.valid, version)) throw new ProtocolError(`${def.name} has unknown version ${version}`);
  return compileStruct(def.fields, version, inVersions(def.flexible, version), def.name).read(r) as T;
}
