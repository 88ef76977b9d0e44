// Which topic configs a mirror takes from its source topic, and how they merge with the mirror's
// own. The synced ones are those that say what the data is and how long it lives (cleanup policy,
// retention, size and timestamp rules, compaction settings): the source decides them, and a client
// cannot change them on the mirror. The rest (segment size and roll time, flush settings, index
// interval...) shape only how this broker stores its copy, and stay the mirror's own.
import { validateTopicConfigs } from '../config/topic-configs.js';

export const SYNCED_TOPIC_CONFIGS: readonly string[] = [
  'cleanup.policy',
  'compression.type',
  'max.message.bytes',
  'message.timestamp.type',
  'message.timestamp.before.max.ms',
  'message.timestamp.after.max.ms',
  'retention.ms',
  'retention.bytes',
  'delete.retention.ms',
  'min.compaction.lag.ms',
  'max.compaction.lag.ms',
  'min.cleanable.dirty.ratio',
];

const SYNCED = new Set(SYNCED_TOPIC_CONFIGS);

export function isSyncedConfig(name: string): boolean {
  return SYNCED.has(name);
}

/** The synced configs among a DescribeConfigs answer's entries (null values left out). */
export function syncedFromSource(entries: { name: string; value: string | null }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) if (SYNCED.has(e.name) && e.value !== null) out[e.name] = e.value;
  return out;
}

/**
 * The mirror's config overrides once `fromSource` is applied to `current`: its own (unsynced)
 * overrides kept, the synced ones replaced. Source values outpost would refuse (a config or a value
 * it does not know) are left out and reported through `skipped`, so one odd value never stops the
 * sync of the rest.
 */
export function mergeSyncedConfigs(
  current: Readonly<Record<string, string>>,
  fromSource: Readonly<Record<string, string>>,
): { configs: Record<string, string>; skipped: string[] } {
  const configs: Record<string, string> = {};
  for (const [k, v] of Object.entries(current)) if (!SYNCED.has(k)) configs[k] = v;
  const skipped: string[] = [];
  for (const [k, v] of Object.entries(fromSource)) {
    const problem = validateTopicConfigs({ [k]: v });
    if (problem) skipped.push(`${k}=${v} (${problem.message})`);
    else configs[k] = v;
  }
  const whole = validateTopicConfigs(configs);
  if (whole) {
    // The values are fine one by one but not together (compaction lags): keep what the mirror had.
    skipped.push(whole.message);
    for (const k of SYNCED_TOPIC_CONFIGS) {
      if (current[k] === undefined) delete configs[k];
      else configs[k] = current[k];
    }
  }
  return { configs, skipped };
}

export function sameConfigs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}
