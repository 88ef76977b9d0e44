// IncrementalAlterConfigs' operations applied to the configs a resource holds: a topic's
// overrides, or one dynamic broker layer. Kafka applies them in two places with slightly different
// rules (the controller for topics, the broker itself for BROKER resources: other error messages,
// other handling of empty list items) and outpost follows each, so that APPEND and SUBTRACT leave
// the same value behind as on Kafka.
import { boundedMessage, type ErrorName } from '../../protocol/errors.js';
import { brokerConfigKey } from '../config/broker-configs.js';
import { topicConfigKey } from '../config/topic-configs.js';

export const CONFIG_OP = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];

export interface ConfigOp {
  name: string;
  configOperation: number;
  /** null only for DELETE: the handler refuses null otherwise, as Kafka does */
  value: string | null;
}

export type Configs = Readonly<Record<string, string>>;

/** A resource's failure as Kafka reports it; `reply` is its errorMessage, null where Kafka sends none. */
export class ConfigError extends Error {
  readonly reply: string | null;
  constructor(readonly error: ErrorName, reply: string | null) {
    super(reply ?? error);
    this.reply = reply === null ? null : boundedMessage(reply);
  }
}

/** Java's String.split(","), which Kafka uses on list values: trailing empty items are dropped. */
export function splitList(text: string): string[] {
  const parts = text.split(',');
  if (parts.length === 1) return parts;
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * A topic's overrides after `ops`, as Kafka's controller computes them: APPEND and SUBTRACT work on
 * the override, else the topic config's default, and drop empty items. Values are checked later.
 */
export function applyTopicOps(current: Configs, ops: readonly ConfigOp[]): Record<string, string> {
  const next: Record<string, string> = { ...current };
  for (const op of ops) {
    switch (op.configOperation) {
      case CONFIG_OP.SET:
        next[op.name] = op.value!;
        break;
      case CONFIG_OP.DELETE:
        delete next[op.name];
        break;
      case CONFIG_OP.APPEND:
      case CONFIG_OP.SUBTRACT: {
        const key = topicConfigKey(op.name);
        const verb = OP_NAMES[op.configOperation];
        if (key?.type !== 'LIST') throw new ConfigError('INVALID_CONFIG', `Can't ${verb} to key ${op.name} because its type is not LIST.`);
        const items = splitList(next[op.name] ?? key.default).filter((s) => s !== '');
        for (const item of splitList(op.value!)) {
          const at = items.indexOf(item);
          if (op.configOperation === CONFIG_OP.APPEND && at === -1) items.push(item);
          if (op.configOperation === CONFIG_OP.SUBTRACT && at !== -1) items.splice(at, 1);
        }
        next[op.name] = items.join(',');
        break;
      }
      default:
        // Kafka's controller meets an operation id it has no name for as a null and fails
        // with an internal error, without a message.
        throw new ConfigError('UNKNOWN_SERVER_ERROR', null);
    }
  }
  return next;
}

/**
 * A dynamic broker layer after `ops`, as a Kafka broker computes it before forwarding the change:
 * every operation id is checked first; APPEND and SUBTRACT work on the layer's value, else the
 * config's default (not on what a lower layer holds).
 */
export function applyBrokerOps(current: Configs, ops: readonly ConfigOp[]): Record<string, string> {
  const unknown = ops.find((op) => OP_NAMES[op.configOperation] === undefined);
  if (unknown) throw new ConfigError('INVALID_REQUEST', `Unknown operations type ${unknown.configOperation}`);
  const next: Record<string, string> = { ...current };
  for (const op of ops) {
    if (op.configOperation === CONFIG_OP.SET) {
      next[op.name] = op.value!;
    } else if (op.configOperation === CONFIG_OP.DELETE) {
      delete next[op.name];
    } else {
      const key = brokerConfigKey(op.name);
      const verb = OP_NAMES[op.configOperation].toLowerCase();
      if (key?.type !== 'LIST') throw new ConfigError('INVALID_CONFIG', `Config value ${verb} is not allowed for config key: ${op.name}`);
      const old = next[op.name] ?? key.default ?? '';
      if (op.configOperation === CONFIG_OP.APPEND) {
        const items = old === '' ? [] : splitList(old);
        next[op.name] = [...items, ...splitList(op.value!).filter((s) => !items.includes(s))].join(',');
      } else {
        // Unlike APPEND, SUBTRACT keeps empty items of the old value; it removes one occurrence per item.
        const items = splitList(old);
        for (const item of splitList(op.value!)) {
          const at = items.indexOf(item);
          if (at !== -1) items.splice(at, 1);
        }
        next[op.name] = items.join(',');
      }
    }
  }
  return next;
}
