// Kafka's rules for topic names: 1 to 249 characters of [a-zA-Z0-9._-], not "." or "..", which
// also keep `<topic>-<partition>` a safe directory name. '.' and '_' collide in metric names, so
// Kafka refuses a name that differs from an existing one only by them. And topic ids as Kafka
// makes them.
import { randomBytes } from 'node:crypto';
import { ZERO_UUID } from '../../protocol/primitives.js';

const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_NAME_LENGTH = 249;

/**
 * Why Kafka's Topic.validate refuses a name, or null when it is legal: the wording of
 * CreateTopics, DescribeConfigs and AlterConfigs on Kafka 4.4.
 */
export function topicNameProblem(name: string): string | null {
  let reason: string | null = null;
  if (name === '') reason = 'the empty string is not allowed';
  else if (name === '.' || name === '..') reason = `'${name}' is not allowed`;
  else if (name.length > MAX_NAME_LENGTH) reason = `the length of '${name}' is longer than the max allowed length ${MAX_NAME_LENGTH}`;
  else if (!LEGAL.test(name)) reason = `'${name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'`;
  return reason === null ? null : `Topic name is invalid: ${reason}`;
}

/** Two names with the same key may not both exist. */
export function collisionKey(name: string): string {
  return name.replace(/\./g, '_');
}

/** A random topic id as Kafka prints one; like Kafka, never one whose text starts with '-'. */
export function newTopicId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-') && id !== ZERO_UUID) return id;
  }
}
