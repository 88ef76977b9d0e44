// Kafka's rules for topic names: 1 to 249 characters of [a-zA-Z0-9._-], not "." or "..".
// '.' and '_' collide in metric names, so Kafka refuses a name that differs from an existing one
// only by them.

const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_NAME_LENGTH = 249;

/** Why a name is not a legal topic name (Kafka's wording), or null when it is. */
export function topicNameProblem(name: string | null): string | null {
  if (name === null || name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_NAME_LENGTH) return `Topic name is illegal, it can't be longer than ${MAX_NAME_LENGTH} characters, topic name: ${name}`;
  if (!LEGAL.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

export function collisionKey(name: string): string {
  return name.replace(/\./g, '_');
}
