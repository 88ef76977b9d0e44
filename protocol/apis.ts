// The APIs by key and name, their version ranges, and the codecs of each version's request and
// response bodies, compiled on first use.
import { compileStruct, inVersions, parseVersions, type StructCodec } from './codec.js';
import { definitions } from './messages/definitions.js';
import type { ApiDefinition } from './messages/types.js';

export interface Api {
  key: number;
  name: string;
  /** every version the definitions describe (the broker may serve fewer) */
  minVersion: number;
  maxVersion: number;
  isFlexible(version: number): boolean;
  request(version: number): StructCodec;
  response(version: number): StructCodec;
}

function build(def: ApiDefinition): Api {
  const [min, definedMax] = parseVersions(def.valid);
  const maxVersion = def.unstableLatest ? definedMax - 1 : definedMax;
  const isFlexible = (version: number) => inVersions(def.flexible, version);
  const check = (version: number) => {
    if (version < min || version > maxVersion) throw new RangeError(`${def.name} v${version} is not defined`);
  };
  return {
    key: def.key,
    name: def.name,
    minVersion: min,
    maxVersion,
    isFlexible,
    request(version) {
      check(version);
      return compileStruct(def.request, version, isFlexible(version), `${def.name}Request`);
    },
    response(version) {
      check(version);
      return compileStruct(def.response, version, isFlexible(version), `${def.name}Response`);
    },
  };
}

const byKey = new Map<number, Api>();
const byName = new Map<string, Api>();
for (const def of definitions) {
  const api = build(def);
  byKey.set(api.key, api);
  byName.set(api.name, api);
}

export function apiByKey(key: number): Api | undefined {
  return byKey.get(key);
}

export function api(name: string): Api {
  const a = byName.get(name);
  if (!a) throw new Error(`unknown API ${name}`);
  return a;
}

export function allApis(): Api[] {
  return [...byKey.values()];
}
