// Typed config keys as Kafka's ConfigDef handles them: how a string value is parsed for its type,
// how it is validated, and how the parsed value is written back. Clients compare error messages
// and DescribeConfigs values with a real broker's, so both follow Kafka's wording and formatting.

/** Kafka's config types; the ids are DescribeConfigs' configType (v3+). */
export const CONFIG_TYPE_IDS = {
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;

export type ConfigType = keyof typeof CONFIG_TYPE_IDS;

/**
 * A parsed value: BOOLEAN boolean, STRING/CLASS/PASSWORD string, INT/SHORT/DOUBLE number,
 * LONG bigint (Kafka's longs go past 2^53, e.g. Long.MAX_VALUE as "never"), LIST string[].
 */
export type ConfigValue = boolean | string | number | bigint | string[];

/** What is wrong with a value: `shown` is the value as Kafka prints it in the message. */
export interface Problem {
  shown: string;
  reason: string;
}

/** Checks a parsed value; `type` is the key's, for printing the value as Kafka does. */
export type Validator = (value: ConfigValue, type: ConfigType) => Problem | null;

export interface ConfigKey {
  name: string;
  type: ConfigType;
  /** the default as Kafka writes it, or null where there is none */
  default: string | null;
  validator?: Validator;
}

/** Kafka's INVALID_CONFIG / ConfigException wording. */
export function invalidValueMessage(name: string, problem: Problem): string {
  return `Invalid value ${problem.shown} for configuration ${name}: ${problem.reason}`;
}

const INTEGER = /^[+-]?\d+$/;
// Java's Double.parseDouble grammar without hex floats: sign, NaN/Infinity, digits with optional
// fraction and exponent, and the f/d suffixes Java tolerates.
const DOUBLE = /^[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)$/;
const INT_RANGES = {
  SHORT: [-(2n ** 15n), 2n ** 15n - 1n],
  INT: [-(2n ** 31n), 2n ** 31n - 1n],
  LONG: [-(2n ** 63n), 2n ** 63n - 1n],
} as const;

function parseInteger(type: 'SHORT' | 'INT' | 'LONG', text: string): bigint | null {
  if (!INTEGER.test(text)) return null;
  const n = BigInt(text);
  const [min, max] = INT_RANGES[type];
  return n < min || n > max ? null : n;
}

/** Parses a string the way ConfigDef.parseType does (values are trimmed first). */
export function parseConfigValue(type: ConfigType, raw: string): { value: ConfigValue } | { problem: Problem } {
  const text = raw.trim();
  const notA = (): { problem: Problem } => ({ problem: { shown: raw, reason: `Not a number of type ${type}` } });
  switch (type) {
    case 'BOOLEAN': {
      const lower = text.toLowerCase();
      if (lower === 'true' || lower === 'false') return { value: lower === 'true' };
      return { problem: { shown: raw, reason: 'Expected value to be either true or false' } };
    }
    case 'SHORT':
    case 'INT': {
      const n = parseInteger(type, text);
      return n === null ? notA() : { value: Number(n) };
    }
    case 'LONG': {
      const n = parseInteger(type, text);
      return n === null ? notA() : { value: n };
    }
    case 'DOUBLE':
      return DOUBLE.test(text) ? { value: Number(text.replace(/[fFdD]$/, '')) } : notA();
    case 'LIST':
      return { value: text === '' ? [] : text.split(/\s*,\s*/) };
    case 'STRING':
    case 'CLASS':
    case 'PASSWORD':
      return { value: text };
  }
}

/** Java's Double.toString, which Kafka uses to print DOUBLE values: 1 is "1.0", 1e-5 is "1.0E-5". */
function javaDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = x.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/** ConfigDef.convertToString: how a parsed value is written in DescribeConfigs. */
export function formatConfigValue(type: ConfigType, value: ConfigValue): string {
  if (Array.isArray(value)) return value.join(',');
  if (type === 'DOUBLE' && typeof value === 'number') return javaDouble(value);
  return String(value);
}

/** A LONG as a JS number: past 2^53 Kafka's longs mean "never", so MAX_SAFE_INTEGER serves. */
export function toSafeNumber(value: number | bigint): number {
  if (typeof value === 'number') return value;
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

/** Parses and validates; a problem names the value as Kafka would. */
export function checkConfigValue(key: ConfigKey, raw: string): { value: ConfigValue } | { problem: Problem } {
  const parsed = parseConfigValue(key.type, raw);
  if ('problem' in parsed) return parsed;
  const problem = key.validator?.(parsed.value, key.type);
  return problem ? { problem } : parsed;
}

// Validators, each worded as the Kafka validator of the same kind.

/** ConfigDef.Range (Kafka compares as doubles, and so do we). */
export function between(min: number | null, max: number | null): Validator {
  return (value, type) => {
    const n = Number(value);
    if (min !== null && n < min) return { shown: formatConfigValue(type, value), reason: `Value must be at least ${min}` };
    if (max !== null && n > max) return { shown: formatConfigValue(type, value), reason: `Value must be no more than ${max}` };
    return null;
  };
}

export const atLeast = (min: number): Validator => between(min, null);

/** ConfigDef.ValidString: exact, case-sensitive match. */
export function oneOf(...allowed: string[]): Validator {
  return (value) =>
    allowed.includes(value as string) ? null : { shown: String(value), reason: `String must be one of: ${allowed.join(', ')}` };
}

/** ConfigDef.ValidList: every element must be allowed; the message names the offending element. */
export function listOf(...allowed: string[]): Validator {
  const element = oneOf(...allowed);
  return (value, type) => {
    for (const item of value as string[]) {
      const problem = element(item, type);
      if (problem) return problem;
    }
    return null;
  };
}

/** Kafka's compression.gzip.level check: a range, or exactly one sentinel. */
export function betweenOrEqual(min: number, max: number, sentinel: number): Validator {
  return (value, type) =>
    value === sentinel || ((value as number) >= min && (value as number) <= max)
      ? null
      : { shown: formatConfigValue(type, value), reason: `Value must be between ${min} and ${max} or equal to ${sentinel}` };
}

/** Kafka's check of *.replication.throttled.replicas: '*' or partition:broker pairs. */
export function throttledReplicas(name: string): Validator {
  return (value) => {
    const items = value as string[];
    const ok = items.every((s) => /^(\d+:\d+)?$/.test(s.trim())) || items.join('').trim() === '*';
    return ok
      ? null
      : {
          shown: `[${items.join(', ')}]`,
          reason: `${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`,
        };
  };
}
