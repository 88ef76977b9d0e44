// Structure-aware request fuzzing: requests for every API and version, built from the message
// definitions with values chosen at the edges of their types (nulls, empty and maximal strings,
// huge and negative counts and integers, unknown tagged fields), then, for some, mutated as bytes
// (bit flips, truncation, padding, a wrong size, a wrong version). Seeded: a failure reproduces
// from its seed. Names are made of characters no witness topic or group uses, so that the
// requests can create, delete and alter what they like without touching the witness's data.
import { allApis, type Api } from '../../protocol/apis.js';
import { definitions } from '../../protocol/messages/definitions.js';
import type { FieldDefinition } from '../../protocol/messages/types.js';
import { inVersions } from '../../protocol/codec.js';
import { encodeRequest } from '../../protocol/frames.js';
import { buildBatch } from '../../protocol/records/records.js';

const INT_EDGES: Record<string, number[]> = {
  int8: [0, 1, -1, 127, -128],
  int16: [0, 1, -1, 32767, -32768],
  uint16: [0, 1, 65535],
  int32: [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 10_001],
  uint32: [0, 1, 2 ** 32 - 1],
  int64: [0, 1, -1, -2, -3, 2 ** 63, -(2 ** 63), 2 ** 53, Date.now(), 2 ** 31],
};

export class RequestFuzzer {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** xorshift32: fast, and the same sequence for the same seed everywhere. */
  private next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 2 ** 32;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  private chance(p: number): boolean {
    return this.next() < p;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  /** A name of fuzz characters ('~' never appears in a legal topic name; '#' prefixes groups). */
  private name(): string {
    const r = this.int(10);
    if (r === 0) return '';
    if (r === 1) return 'z'.repeat(this.pick([249, 250, 255, 1000]));
    if (r === 2) return `fz~${this.int(1000)}`;
    return `fz${this.int(200)}`;
  }

  private value(f: FieldDefinition, version: number, flexible: boolean, depth: number): unknown {
    if (inVersions(f.nv, version) && this.chance(0.1)) return null;
    if (f.t === 'struct') return this.struct(f.f!, version, flexible, depth + 1);
    if (f.t.startsWith('[]')) {
      // Long arrays only at the top: nested ones would multiply into millions of elements.
      const n = depth === 0 && this.chance(0.05) ? this.pick([100, 1000, 5000]) : this.int(depth > 2 ? 2 : 4);
      const elem: FieldDefinition = { ...f, t: f.t.slice(2), nv: undefined };
      return Array.from({ length: n }, () => (f.t === '[]struct' ? this.struct(f.f!, version, flexible, depth + 1) : this.value(elem, version, flexible, depth + 1)));
    }
    switch (f.t) {
      case 'bool':
        return this.chance(0.5);
      case 'string':
        if (this.chance(0.05)) return 's'.repeat(flexible ? this.pick([32767, 40000]) : 32767);
        return this.name();
      case 'uuid':
        return this.chance(0.5) ? 'AAAAAAAAAAAAAAAAAAAAAA' : Buffer.from(Array.from({ length: 16 }, () => this.int(256))).toString('base64url');
      case 'bytes':
        return Buffer.from(Array.from({ length: this.int(32) }, () => this.int(256)));
      case 'records':
        return this.records();
      case 'float64':
        return this.pick([0, -1, 1e308, Number.NaN]);
      default: {
        const edges = INT_EDGES[f.t] ?? [0];
        if (this.chance(0.6)) return this.pick(edges);
        const bits = f.t === 'int8' ? 7 : f.t === 'int16' ? 15 : f.t === 'int64' ? 40 : 31;
        return this.int(2 ** bits) * (this.chance(0.3) ? -1 : 1);
      }
    }
  }

  private records(): Buffer {
    const r = this.int(4);
    if (r === 0) return Buffer.from(Array.from({ length: this.int(80) }, () => this.int(256)));
    const timestamp = this.pick([Date.now(), 2 ** 63, -1, 0, Date.now() + 86_400_000]);
    const batch = buildBatch({ records: [{ key: null, value: Buffer.from('fuzz'), timestamp }] });
    if (r === 1) batch[this.int(batch.length)] = this.int(256);
    return batch;
  }

  private struct(fields: FieldDefinition[], version: number, flexible: boolean, depth: number): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const f of fields) if (inVersions(f.v, version)) o[f.n] = this.value(f, version, flexible, depth);
    // Unknown tagged fields, which a broker must skip.
    if (flexible && this.chance(0.05)) o._unknownTags = [[1000 + this.int(100), Buffer.from([1, 2, 3])]];
    return o;
  }

  /** One request frame, size prefix included; some valid, some mutated. */
  frame(correlationId: number): Buffer {
    const apis = allApis();
    for (;;) {
      const a = this.pick(apis);
      const def = definitions.find((d) => d.key === a.key)!;
      const version = this.chance(0.03) ? a.maxVersion + 1 + this.int(3) : a.minVersion + this.int(a.maxVersion - a.minVersion + 1);
      const known = Math.min(Math.max(version, a.minVersion), a.maxVersion);
      const flexible = a.isFlexible(known);
      let parts: Buffer[];
      try {
        parts = encodeRequest(a, known, { correlationId, clientId: this.chance(0.02) ? 'c'.repeat(32767) : 'fuzz' }, this.struct(def.request, known, flexible, 0));
      } catch {
        continue; // a value the encoder will not write (a null where none may be): choose again
      }
      const frame = Buffer.concat(parts);
      if (version !== known) frame.writeInt16BE(version, 6);
      return this.chance(0.3) ? this.mutate(frame, a) : frame;
    }
  }

  private mutate(frame: Buffer, a: Api): Buffer {
    const out = Buffer.from(frame);
    switch (this.int(6)) {
      case 0: // flip bytes after the size prefix
        for (let i = 0; i < 1 + this.int(6); i++) out[4 + this.int(Math.max(1, out.length - 4))] = this.int(256);
        return out;
      case 1: { // cut the body short, the size saying so
        const cut = out.subarray(0, 4 + this.int(out.length - 4));
        const copy = Buffer.from(cut);
        copy.writeInt32BE(copy.length - 4, 0);
        return copy;
      }
      case 2: { // trailing garbage, the size saying so
        const copy = Buffer.concat([out, Buffer.from(Array.from({ length: 1 + this.int(16) }, () => this.int(256)))]);
        copy.writeInt32BE(copy.length - 4, 0);
        return copy;
      }
      case 3: // a length or count field made huge: four 0xff or 0x7f bytes somewhere in the body
        if (out.length > 16) out.writeInt32BE(this.chance(0.5) ? 0x7fffffff : -2, 12 + this.int(out.length - 16));
        return out;
      case 4: // another API's key
        out.writeInt16BE(this.pick([a.key + 1, -1, 999, 18]), 4);
        return out;
      default: // the size lies
        out.writeInt32BE(this.pick([out.length, out.length - 5, 0x7fffffff, -1, 0]), 0);
        return out;
    }
  }
}
