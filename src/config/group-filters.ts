// Confluent's consumer.offset.group.filters (and the same shape for topics):
//
//   {"groupFilters":[{"name":"*","patternType":"LITERAL","filterType":"INCLUDE"},
//                    {"name":"test-","patternType":"PREFIXED","filterType":"EXCLUDE"}]}
//
// A name is chosen when an INCLUDE matches it and no EXCLUDE does; "*" with LITERAL matches every
// name; an empty list chooses nothing. A bad document is refused with the field at fault named.

export interface NameFilter {
  name: string;
  patternType: 'LITERAL' | 'PREFIXED';
  filterType: 'INCLUDE' | 'EXCLUDE';
}

/** Parses `text` (the JSON of config `config`, whose list is under `listKey`); throws naming the field. */
export function parseNameFilters(config: string, listKey: string, text: string): NameFilter[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${config} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`${config} must be a JSON object with a "${listKey}" list`);
  const list = (doc as Record<string, unknown>)[listKey];
  if (!Array.isArray(list)) throw new Error(`${config}: "${listKey}" must be a list of filters`);
  return list.map((f, i) => {
    const at = `${config}: ${listKey}[${i}]`;
    if (typeof f !== 'object' || f === null) throw new Error(`${at} must be an object with name, patternType and filterType`);
    const { name, patternType = 'LITERAL', filterType = 'INCLUDE' } = f as Record<string, unknown>;
    if (typeof name !== 'string' || name === '') throw new Error(`${at}.name must be a non-empty string`);
    const pattern = String(patternType).toUpperCase();
    if (pattern !== 'LITERAL' && pattern !== 'PREFIXED') throw new Error(`${at}.patternType must be LITERAL or PREFIXED, not ${JSON.stringify(patternType)}`);
    const filter = String(filterType).toUpperCase();
    if (filter !== 'INCLUDE' && filter !== 'EXCLUDE') throw new Error(`${at}.filterType must be INCLUDE or EXCLUDE, not ${JSON.stringify(filterType)}`);
    return { name, patternType: pattern, filterType: filter } as NameFilter;
  });
}

function matches(f: NameFilter, name: string): boolean {
  if (f.patternType === 'PREFIXED') return name.startsWith(f.name);
  return f.name === '*' || f.name === name;
}

export function chosenByFilters(filters: readonly NameFilter[], name: string): boolean {
  return filters.some((f) => f.filterType === 'INCLUDE' && matches(f, name)) && !filters.some((f) => f.filterType === 'EXCLUDE' && matches(f, name));
}
