#!/usr/bin/env node
// Regenerates, from Apache Kafka's JSON message definitions:
//   protocol/messages/definitions.ts          the requests and responses, one field per line
//   protocol/messages/messages.ts             a TypeScript interface per request and response
//   protocol/messages/coordinator-records.ts  the records of the internal topics (definitions and
//                                              interfaces), which the coordinators write
// Only facts are carried over: API keys, names, field names, types, version ranges, tags, defaults
// and each field's `about` text (as its doc comment). The output is committed, so neither the
// broker nor its tests read the JSON files, and a protocol upgrade is a reviewable diff.
//
// The inputs are the definition directories of a Kafka release, as published inside its jars on
// Maven Central (the messages in kafka-clients, the internal records in the coordinators' jars):
//   for j in kafka-clients kafka-group-coordinator kafka-transaction-coordinator; do
//     unzip -o -q ~/.m2/repository/org/apache/kafka/$j/4.4.0/$j-4.4.0.jar 'common/message/*.json' -d /tmp/k
//   done
//   node scripts/extract-messages.js /tmp/k/common/message
// (`bash scripts/fetch-kafka.sh` puts those jars in its libs directory too.)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: node scripts/extract-messages.js DIR...   (directories of Kafka *.json message definitions)');
  process.exit(2);
}
const outDir = new URL('../protocol/messages/', import.meta.url).pathname;

/** The internal-topic records generated, by Kafka's name. */
const COORDINATOR_RECORDS = ['OffsetCommitKey', 'OffsetCommitValue', 'GroupMetadataKey', 'GroupMetadataValue', 'TransactionLogKey', 'TransactionLogValue'];

const parse = (path) => JSON.parse(readFileSync(path, 'utf8').replace(/^\s*\/\/.*$/gm, ''));

const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'int64', 'uint32', 'float64', 'string', 'bytes', 'uuid', 'records']);

function parseVersions(spec) {
  if (spec === undefined || spec === 'none') return [1, 0];
  if (spec.endsWith('+')) return [Number(spec.slice(0, -1)), Infinity];
  const [lo, hi] = spec.split('-');
  return [Number(lo), Number(hi ?? lo)];
}

const camel = (s) => s.charAt(0).toLowerCase() + s.slice(1);

/** A message file: its definition fields (the compact form codec.ts compiles) and its TS types. */
function convert(m) {
  const structs = new Map();
  const collect = (fields) => {
    for (const f of fields ?? []) {
      if (f.fields) {
        structs.set(f.type.replace(/^\[\]/, ''), f.fields);
        collect(f.fields);
      }
    }
  };
  for (const s of m.commonStructs ?? []) structs.set(s.name, s.fields);
  for (const s of m.commonStructs ?? []) collect(s.fields);
  collect(m.fields);

  const field = (f) => {
    const isArray = f.type.startsWith('[]');
    const elem = isArray ? f.type.slice(2) : f.type;
    const out = { n: camel(f.name), t: PRIMITIVES.has(elem) ? f.type : (isArray ? '[]struct' : 'struct'), v: f.versions ?? f.taggedVersions };
    if (f.nullableVersions) out.nv = f.nullableVersions;
    if (f.taggedVersions) { out.tv = f.taggedVersions; out.tag = Number(f.tag); }
    if (f.default !== undefined) out.d = String(f.default).trim();
    if (!PRIMITIVES.has(elem)) {
      const sub = f.fields ?? structs.get(elem);
      if (!sub) throw new Error(`${m.name}: no struct ${elem} for ${f.name}`);
      out.f = sub.map(field);
      out.struct = elem;
    }
    out.about = f.about;
    return out;
  };
  return (m.fields ?? []).map(field);
}

// ---- definitions, one field per line ----

function printFields(fields, indent) {
  const lines = [];
  for (const f of fields) {
    const { about: _about, struct: _struct, f: sub, ...plain } = f;
    if (!sub) {
      lines.push(`${indent}${JSON.stringify(plain)},`);
      continue;
    }
    lines.push(`${indent}${JSON.stringify(plain).slice(0, -1)},"f":[`);
    lines.push(...printFields(sub, indent + '  '));
    lines.push(`${indent}]},`);
  }
  return lines;
}

// ---- TypeScript interfaces ----

function docComment(text, indent) {
  if (!text) return [];
  const clean = String(text).replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim();
  return [`${indent}/** ${clean} */`];
}

/** Whether `spec` covers every version in [lo, hi]. */
function covers(spec, lo, hi) {
  const [a, b] = parseVersions(spec);
  return a <= lo && b >= hi;
}

/**
 * Interfaces for one message: the top level named `name`, its structs inside a namespace of the
 * same name. A field is optional when some version of the message lacks it, when it is tagged, or
 * when the definition gives it a default: encoding fills in what is left out with its default,
 * decoding fills in every field (see `Decoded` in types.ts).
 */
function printInterfaces(name, fields, valid, about) {
  const [lo, hiRaw] = parseVersions(valid);
  const hi = hiRaw === Infinity ? lo : hiRaw;
  const nested = new Map();
  const typeOf = (f) => {
    const nullable = f.nv !== undefined && f.nv !== 'none';
    let t;
    const elem = f.t.replace(/^\[\]/, '');
    switch (elem) {
      case 'bool': t = 'boolean'; break;
      case 'string': case 'uuid': t = 'string'; break;
      case 'bytes': t = 'Buffer'; break;
      case 'records': return 'RecordsValue';
      case 'struct': t = `${name}.${f.struct}`; break;
      default: t = 'number';
    }
    if (f.t.startsWith('[]')) t = `${t}[]`;
    return nullable ? `${t} | null` : t;
  };
  const body = (fields, indent) => {
    const lines = [];
    for (const f of fields) {
      if (f.f) {
        const prior = nested.get(f.struct);
        if (!prior) nested.set(f.struct, f);
      }
      const optional = !covers(f.v, lo, hi) || f.tv !== undefined || f.d !== undefined;
      lines.push(...docComment(f.about, indent));
      lines.push(`${indent}${f.n}${optional ? '?' : ''}: ${typeOf(f)};`);
    }
    return lines;
  };
  const out = [...docComment(about, ''), `export interface ${name} {`, ...body(fields, '  '), '}'];
  const structLines = [];
  const done = new Set();
  // Structs are found while printing their parents, so walk until no new one appears.
  for (;;) {
    const next = [...nested.entries()].find(([n]) => !done.has(n));
    if (!next) break;
    const [sname, f] = next;
    done.add(sname);
    structLines.push(`  export interface ${sname} {`, ...body(f.f, '    '), '  }');
  }
  if (structLines.length) out.push(`export namespace ${name} {`, ...structLines, '}');
  return out;
}

// ---- read the inputs ----

const apis = new Map();
const records = new Map();
for (const dir of dirs) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const m = parse(join(dir, file));
    if (m.type === 'request' || m.type === 'response') {
      const name = m.name.replace(/(Request|Response)$/, '');
      const api = apis.get(m.apiKey) ?? { key: m.apiKey, name };
      api[m.type] = convert(m);
      if (m.type === 'request') {
        api.valid = m.validVersions;
        api.flexible = m.flexibleVersions ?? 'none';
        if (m.latestVersionUnstable) api.unstableLatest = true;
      }
      apis.set(m.apiKey, api);
    } else if (COORDINATOR_RECORDS.includes(m.name)) {
      records.set(m.name, { name: m.name, key: m.apiKey, valid: m.validVersions, flexible: m.flexibleVersions ?? 'none', fields: convert(m) });
    }
  }
}
const missing = COORDINATOR_RECORDS.filter((n) => !records.has(n));
if (missing.length) throw new Error(`not found in ${dirs.join(', ')}: ${missing.join(', ')}`);
const sorted = [...apis.values()].sort((a, b) => a.key - b.key);

// ---- write definitions.ts ----

const defLines = [
  '// Generated by scripts/extract-messages.js; do not edit by hand.',
  '// Field keys: n name, t type, v versions, nv nullable versions, tv tagged versions, tag, d default, f sub-fields.',
  "import type { ApiDefinition } from './types.js';",
  '',
  'export const definitions: ApiDefinition[] = [',
];
for (const a of sorted) {
  defLines.push('  {');
  defLines.push(`    "key":${a.key},"name":${JSON.stringify(a.name)},"valid":${JSON.stringify(a.valid)},"flexible":${JSON.stringify(a.flexible)},${a.unstableLatest ? '"unstableLatest":true,' : ''}`);
  defLines.push('    "request":[', ...printFields(a.request, '      '), '    ],');
  defLines.push('    "response":[', ...printFields(a.response, '      '), '    ],');
  defLines.push('  },');
}
defLines.push('];', '');
writeFileSync(join(outDir, 'definitions.ts'), defLines.join('\n'));

// ---- write messages.ts ----

const msgLines = [
  '// Generated by scripts/extract-messages.js; do not edit by hand.',
  '// One interface per request and response; the doc comments are the definitions\' `about` texts.',
  "import type { RecordsValue } from '../codec.js';",
  '',
];
for (const a of sorted) {
  msgLines.push(...printInterfaces(`${a.name}Request`, a.request, a.valid), '');
  msgLines.push(...printInterfaces(`${a.name}Response`, a.response, a.valid), '');
}
msgLines.push('/** Each API\'s request and response types, by API name. */', 'export interface ApiMessages {');
for (const a of sorted) msgLines.push(`  ${a.name}: { request: ${a.name}Request; response: ${a.name}Response };`);
msgLines.push('}', '', 'export type ApiName = keyof ApiMessages;', '');
writeFileSync(join(outDir, 'messages.ts'), msgLines.join('\n'));

// ---- write coordinator-records.ts ----

const recLines = [
  '// Generated by scripts/extract-messages.js; do not edit by hand.',
  '// The records of the internal topics, as Kafka defines them: `key` is the record type that',
  '// prefixes a key (Kafka writes it where older releases wrote a key schema version).',
  "import type { RecordDefinition } from './types.js';",
  '',
];
for (const name of COORDINATOR_RECORDS) {
  const r = records.get(name);
  recLines.push(`export const ${name}Definition: RecordDefinition = {`);
  recLines.push(`  "key":${r.key},"name":${JSON.stringify(name)},"valid":${JSON.stringify(r.valid)},"flexible":${JSON.stringify(r.flexible)},`);
  recLines.push('  "fields":[', ...printFields(r.fields, '    '), '  ],', '};', '');
}
for (const name of COORDINATOR_RECORDS) {
  const r = records.get(name);
  recLines.push(...printInterfaces(name, r.fields, r.valid).map((l) => l.replace(/: RecordsValue;/, ': Buffer | null;')), '');
}
writeFileSync(join(outDir, 'coordinator-records.ts'), recLines.join('\n'));

console.log(`wrote ${apis.size} APIs and ${records.size} internal records to ${outDir}`);
