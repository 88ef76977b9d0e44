// Kafka's rules for topic names: 1 to 249 characters of [a-zA-Z0-9._-], not "." or "..".
// '.' and '_' collide in metric names, so Kafka refuses a name that differs from an existing one
// only by them.

const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_NAME_LENGTH = 249;

/**
 * Why a name is not a legal topic name, or null when it is. Kafka 4.4's controller answers
 * CreateTopics with the same wording as Topic.validate (invalidTopicName below).
 */
export function topicNameProblem(name: string | null): string | null {
  return invalidTopicName(name ?? '');
}

export function collisionKey(name: string): string {
  return name.replace(/\./g, '_');
}

/** Why Kafka's Topic.validate refuses a name, or null: the wording of CreateTopics, DescribeConfigs and AlterConfigs. */
export function invalidTopicName(name: string): string | null {
  let reason: string | null = null;
  if (name === '') reason = 'the empty string is not allowed';
  else if (name === '.' || name === '..') reason = `'${name}' is not allowed`;
  else if (name.length > MAX_NAME_LENGTH) reason = `the length of '${name}' is longer than the max allowed length ${MAX_NAME_LENGTH}`;
  else if (!LEGAL.test(name)) reason = `'${name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'`;
  return reason === null ? null : `Topic name is invalid: ${reason}`;
}
