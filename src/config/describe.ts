// The shape of a DescribeConfigs answer, shared by the TOPIC and BROKER describers.

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

export function isRequested(opts: DescribeOptions, name: string): boolean {
  return !opts.keys || opts.keys.length === 0 || opts.keys.includes(name);
}
