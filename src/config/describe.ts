// The shape of a DescribeConfigs answer, shared by the TOPIC and BROKER describers.
import { javaStringHash } from '../common/java-string-hash.js';

/** DescribeConfigs' configSource / synonym source ids. */
export const CONFIG_SOURCE = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

/** One entry of DescribeConfigs' configs, named as the message's fields. */
export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
  /** CONFIG_TYPE_IDS */
  configType: number;
  documentation: null;
  synonyms: ConfigSynonym[];
}

export interface DescribeOptions {
  includeSynonyms: boolean;
  /** the request's configurationKeys: null or empty asks for every config */
  keys?: readonly string[] | null;
}

/** PASSWORD, in CONFIG_TYPE_IDS: a secret, whose value is never answered. */
const PASSWORD_TYPE = 9;

/** One described entry; its source is its first synonym's, or the default. A secret is told as null. */
export function describedConfig(name: string, value: string | null, type: number, readOnly: boolean, synonyms: ConfigSynonym[], includeSynonyms: boolean): DescribedConfig {
  const secret = type === PASSWORD_TYPE;
  if (secret) synonyms = synonyms.map((s) => ({ ...s, value: null }));
  return {
    name,
    value: secret ? null : value,
    readOnly,
    configSource: synonyms[0]?.source ?? CONFIG_SOURCE.DEFAULT_CONFIG,
    isSensitive: secret,
    configType: type,
    documentation: null,
    synonyms: includeSynonyms ? synonyms : [],
  };
}

export function isRequested(opts: DescribeOptions, name: string): boolean {
  return !opts.keys || opts.keys.length === 0 || opts.keys.includes(name);
}

/**
 * The order Kafka lists a map of configs in: it iterates a Scala mutable HashMap, by bucket (the
 * key's String hash, spread, masked to the table size) and within a bucket by hash. The table
 * grows with the entries, so a map of a few entries (configurationKeys asked for, or the cluster
 * default's dynamic configs) comes out in another order than a full listing of the same names.
 */
export function kafkaMapOrder<T extends { name: string }>(entries: readonly T[]): T[] {
  // Starts at 16 buckets and doubles once three quarters are used.
  let buckets = 16;
  while (entries.length >= buckets * 0.75) buckets *= 2;
  const keyed = entries.map((e) => {
    const h = javaStringHash(e.name);
    return { e, h: h ^ (h >>> 16) };
  });
  keyed.sort((a, b) => (a.h & (buckets - 1)) - (b.h & (buckets - 1)) || a.h - b.h);
  return keyed.map((k) => k.e);
}

