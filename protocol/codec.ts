// Encoders and decoders derived from the message definitions: each (message, version) is compiled
// once into a tree of small closures. Encoding takes two passes, size then write, into one buffer;
// `records` fields are spliced in by reference (see Writer.splice), and decoding leaves them as
// views into the received frame.
import type { FieldDefinition } from './messages/types.js';
import { ProtocolError, Reader, Writer, ZERO_UUID, lengthSize, stringSize, uvarintSize } from './primitives.js';

/** Record data as carried in a message: one buffer, several (read from several places), or null. */
export type RecordsValue = Buffer | readonly Buffer[] | null;

/** Unknown tagged fields of a decoded struct, kept so that what we decode we can re-encode. */
export const UNKNOWN_TAGS = '_unknownTags';

/**
 * With OUTPOST_STRICT_MESSAGES=1 (the test runner sets it) the encoder refuses a key that the
 * message does not have, in any version: a misspelled field would otherwise go out as its default.
 * Off in production, where the check would cost a key walk per struct.
 */
let strict = globalThis.process?.env?.OUTPOST_STRICT_MESSAGES === '1';

/** Turns the strict key check on or off for this process (see above). */
export function strictMessages(on: boolean): void {
  strict = on;
}

export interface SizeContext {
  /** bytes of spliced record data, which the Writer does not hold */
  spliced: number;
}

interface TypeCodec {
  size(v: any, ctx: SizeContext): number;
  write(w: Writer, v: any): void;
  read(r: Reader): any;
}

export interface StructCodec extends TypeCodec {
  /** a value with every field at its default, for building messages */
  make(): any;
}

export function parseVersions(spec: string): [number, number] {
  if (spec === 'none') return [1, 0];
  if (spec.endsWith('+')) return [Number(spec.slice(0, -1)), Infinity];
  const [lo, hi] = spec.split('-');
  return [Number(lo), Number(hi ?? lo)];
}

export function inVersions(spec: string | undefined, version: number): boolean {
  if (spec === undefined) return false;
  const [lo, hi] = parseVersions(spec);
  return version >= lo && version <= hi;
}

const FIXED: Record<string, { size: number; read: (r: Reader) => any; write: (w: Writer, v: any) => void }> = {
  bool: { size: 1, read: (r) => r.bool(), write: (w, v) => w.bool(v) },
  int8: { size: 1, read: (r) => r.int8(), write: (w, v) => w.int8(v) },
  int16: { size: 2, read: (r) => r.int16(), write: (w, v) => w.int16(v) },
  uint16: { size: 2, read: (r) => r.uint16(), write: (w, v) => w.uint16(v) },
  int32: { size: 4, read: (r) => r.int32(), write: (w, v) => w.int32(v) },
  uint32: { size: 4, read: (r) => r.uint32(), write: (w, v) => w.uint32(v) },
  int64: { size: 8, read: (r) => r.int64(), write: (w, v) => w.int64(v) },
  float64: { size: 8, read: (r) => r.float64(), write: (w, v) => w.float64(v) },
  uuid: { size: 16, read: (r) => r.uuid(), write: (w, v) => w.uuid(v) },
};

function recordsSize(v: RecordsValue): number {
  if (v === null || v === undefined) return -1;
  if (Buffer.isBuffer(v)) return v.length;
  let n = 0;
  for (const b of v) n += b.length;
  return n;
}

function scalarCodec(type: string, compact: boolean, nullable: boolean, where: string): TypeCodec {
  const fixed = FIXED[type];
  if (fixed) return { size: () => fixed.size, read: fixed.read, write: fixed.write };
  const nullCheck = (v: unknown) => {
    if (v === null && !nullable) throw new ProtocolError(`${where} is not nullable in this version`);
  };
  switch (type) {
    case 'string':
      return {
        size: (v) => stringSize(v, compact),
        write: (w, v) => { nullCheck(v); w.string(v, compact); },
        read: (r) => { const s = r.string(compact); nullCheck(s); return s; },
      };
    case 'bytes':
      return {
        size: (v) => (v === null ? lengthSize(-1, compact) : lengthSize(v.length, compact) + v.length),
        write: (w, v) => { nullCheck(v); w.bytes(v, compact); },
        read: (r) => { const b = r.bytes(compact); nullCheck(b); return b; },
      };
    case 'records':
      return {
        size: (v, ctx) => {
          const n = recordsSize(v);
          if (n < 0) return lengthSize(-1, compact);
          ctx.spliced += n;
          return lengthSize(n, compact) + n;
        },
        write: (w, v) => {
          const n = recordsSize(v);
          w.length(n, compact);
          if (n > 0) w.splice(v);
        },
        read: (r) => r.bytes(compact),
      };
  }
  throw new ProtocolError(`unknown type ${type} at ${where}`);
}

function arrayCodec(elem: TypeCodec, compact: boolean, nullable: boolean, where: string): TypeCodec {
  return {
    size(v, ctx) {
      if (v === null) return lengthSize(-1, compact);
      let n = lengthSize(v.length, compact);
      for (const e of v) n += elem.size(e, ctx);
      return n;
    },
    write(w, v) {
      if (v === null) {
        if (!nullable) throw new ProtocolError(`${where} is not nullable in this version`);
        return w.length(-1, compact);
      }
      w.length(v.length, compact);
      for (const e of v) elem.write(w, e);
    },
    read(r) {
      const n = r.length(compact);
      if (n < 0) {
        if (!nullable) throw new ProtocolError(`${where} is not nullable in this version`);
        return null;
      }
      r.takeElements(n, where);
      const out = new Array(n);
      for (let i = 0; i < n; i++) out[i] = elem.read(r);
      return out;
    },
  };
}

function defaultOf(f: FieldDefinition, version: number, flexible: boolean): () => any {
  const d = f.d;
  if (d === 'null') return () => null;
  if (f.t === 'struct') {
    const sub = compileStruct(f.f!, version, flexible, f.n);
    return () => sub.make();
  }
  if (f.t.startsWith('[]')) return () => [];
  switch (f.t) {
    case 'bool': { const b = d === 'true'; return () => b; }
    case 'string': { const s = d ?? ''; return () => s; }
    case 'uuid': return () => ZERO_UUID;
    case 'bytes': return () => Buffer.alloc(0);
    case 'records': return () => null;
    default: { const n = d === undefined ? 0 : Number(d); return () => n; }
  }
}

function isDefault(v: any, f: FieldDefinition): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (f.t === 'struct') return false;
  if (Buffer.isBuffer(v)) return v.length === 0;
  const d = f.d;
  if (f.t === 'bool') return v === (d === 'true');
  if (f.t === 'string') return v === (d ?? '');
  if (f.t === 'uuid') return v === ZERO_UUID;
  return v === (d === undefined ? 0 : Number(d));
}

interface CompiledField {
  name: string;
  codec: TypeCodec;
  make: () => any;
  tag?: number;
  /** whether a tagged field's value is its default, and so is left out */
  skip?: (v: any) => boolean;
}

function fieldCodec(f: FieldDefinition, version: number, flexible: boolean, where: string): TypeCodec {
  const nullable = inVersions(f.nv, version);
  const path = `${where}.${f.n}`;
  if (f.t === 'struct') {
    const sub = compileStruct(f.f!, version, flexible, path);
    if (!nullable) return sub;
    return {
      size: (v, ctx) => (v === null ? 1 : 1 + sub.size(v, ctx)),
      write: (w, v) => { w.int8(v === null ? -1 : 1); if (v !== null) sub.write(w, v); },
      read: (r) => (r.int8() < 0 ? null : sub.read(r)),
    };
  }
  if (f.t === '[]struct') return arrayCodec(compileStruct(f.f!, version, flexible, path), flexible, nullable, path);
  if (f.t.startsWith('[]')) return arrayCodec(scalarCodec(f.t.slice(2), flexible, false, path), flexible, nullable, path);
  return scalarCodec(f.t, flexible, nullable, path);
}

/** A field left out of a value being encoded takes its default; an explicit null stays null. */
function fieldValue(v: any, f: CompiledField): any {
  const fv = v[f.name];
  return fv === undefined ? f.make() : fv;
}

const cache = new WeakMap<FieldDefinition[], Map<string, StructCodec>>();

export function compileStruct(fields: FieldDefinition[], version: number, flexible: boolean, where = ''): StructCodec {
  let byVersion = cache.get(fields);
  if (!byVersion) cache.set(fields, (byVersion = new Map()));
  const key = `${version}:${flexible}`;
  const hit = byVersion.get(key);
  if (hit) return hit;

  const regular: CompiledField[] = [];
  const tagged: CompiledField[] = [];
  const absent: { name: string; make: () => any }[] = [];
  for (const f of fields) {
    const make = defaultOf(f, version, flexible);
    if (!inVersions(f.v, version)) {
      absent.push({ name: f.n, make });
      continue;
    }
    const codec = fieldCodec(f, version, flexible, where);
    if (flexible && inVersions(f.tv, version)) {
      tagged.push({ name: f.n, codec, make, tag: f.tag!, skip: (v) => isDefault(v, f) });
    } else {
      regular.push({ name: f.n, codec, make });
    }
  }
  tagged.sort((a, b) => a.tag! - b.tag!);
  const all = [...regular, ...tagged, ...absent];
  const known = new Set<string>([...all.map((f) => f.name), UNKNOWN_TAGS]);
  const checkKeys = (v: any) => {
    for (const k of Object.keys(v)) if (!known.has(k)) throw new ProtocolError(`${where || 'message'} has no field ${k}`);
  };

  const make = () => {
    const o: any = {};
    for (const f of all) o[f.name] = f.make();
    return o;
  };

  // Tagged fields are written in ascending tag order, merged with the unknown ones we kept.
  const taggedEntries = (v: any): [number, CompiledField | Buffer, any][] => {
    const out: [number, CompiledField | Buffer, any][] = [];
    for (const f of tagged) {
      const fv = v[f.name];
      if (!f.skip!(fv)) out.push([f.tag!, f, fv]);
    }
    const unknown: [number, Buffer][] | undefined = v[UNKNOWN_TAGS];
    if (unknown) {
      for (const [tag, data] of unknown) out.push([tag, data, undefined]);
      out.sort((a, b) => a[0] - b[0]);
    }
    return out;
  };

  const codec: StructCodec = {
    make,
    size(v, ctx) {
      if (strict) checkKeys(v);
      let n = 0;
      for (const f of regular) n += f.codec.size(fieldValue(v, f), ctx);
      if (flexible) {
        const entries = taggedEntries(v);
        n += uvarintSize(entries.length);
        for (const [tag, f, fv] of entries) {
          const inner = Buffer.isBuffer(f) ? f.length : f.codec.size(fv, ctx);
          n += uvarintSize(tag) + uvarintSize(inner) + inner;
        }
      }
      return n;
    },
    write(w, v) {
      for (const f of regular) f.codec.write(w, fieldValue(v, f));
      if (flexible) {
        const entries = taggedEntries(v);
        w.uvarint(entries.length);
        for (const [tag, f, fv] of entries) {
          w.uvarint(tag);
          if (Buffer.isBuffer(f)) {
            w.uvarint(f.length);
            w.raw(f);
          } else {
            w.uvarint(f.codec.size(fv, { spliced: 0 }));
            f.codec.write(w, fv);
          }
        }
      }
    },
    read(r) {
      const o: any = {};
      for (const f of regular) o[f.name] = f.codec.read(r);
      for (const f of tagged) o[f.name] = f.make();
      for (const f of absent) o[f.name] = f.make();
      if (flexible) {
        const count = r.uvarint();
        let unknown: [number, Buffer][] | undefined;
        for (let i = 0; i < count; i++) {
          const tag = r.uvarint();
          const size = r.uvarint();
          const f = tagged.find((t) => t.tag === tag);
          if (f) {
            o[f.name] = f.codec.read(r.sub(size));
          } else {
            (unknown ??= []).push([tag, Buffer.from(r.raw(size))]);
          }
        }
        if (unknown) o[UNKNOWN_TAGS] = unknown;
      }
      return o;
    },
  };
  byVersion.set(key, codec);
  return codec;
}
