// Confluent's acl.filters for a cluster link's ACL sync:
//
//   {"aclFilters":[{"resourceFilter":{"resourceType":"topic","patternType":"prefixed","name":"orders-"},
//                   "accessFilter":{"principal":"User:alice","host":"*","operation":"any","permissionType":"any"}}]}
//
// Each is a Kafka ACL binding filter (as DescribeAcls takes it): a missing name, principal or host
// matches any; types, operations and permissions are Kafka's names in any case. A bad document is
// refused with the field at fault named.
import { OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, type AclFilter } from '../common/acls.js';

function code(codes: Record<string, number>, value: unknown, at: string, fallback: string): number {
  const name = value === undefined ? fallback : String(value).toUpperCase();
  const c = codes[name];
  if (c === undefined || c === 0) throw new Error(`${at} must be one of ${Object.keys(codes).filter((k) => k !== 'UNKNOWN').join(', ').toLowerCase()}, not ${JSON.stringify(value)}`);
  return c;
}

function optionalString(value: unknown, at: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new Error(`${at} must be a string`);
  return value;
}

export function parseAclFilters(config: string, text: string): AclFilter[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${config} is not valid JSON: ${(e as Error).message}`);
  }
  const list = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).aclFilters : undefined;
  if (!Array.isArray(list)) throw new Error(`${config} must be a JSON object with an "aclFilters" list`);
  return list.map((f, i) => {
    const at = `${config}: aclFilters[${i}]`;
    if (typeof f !== 'object' || f === null) throw new Error(`${at} must be an object with resourceFilter and accessFilter`);
    const r = ((f as Record<string, unknown>).resourceFilter ?? {}) as Record<string, unknown>;
    const a = ((f as Record<string, unknown>).accessFilter ?? {}) as Record<string, unknown>;
    return {
      resourceType: code(RESOURCE_TYPES, r.resourceType, `${at}.resourceFilter.resourceType`, 'ANY'),
      resourceName: optionalString(r.name, `${at}.resourceFilter.name`),
      patternType: code(PATTERN_TYPES, r.patternType, `${at}.resourceFilter.patternType`, 'ANY'),
      principal: optionalString(a.principal, `${at}.accessFilter.principal`),
      host: optionalString(a.host, `${at}.accessFilter.host`),
      operation: code(OPERATIONS, a.operation, `${at}.accessFilter.operation`, 'ANY'),
      permissionType: code(PERMISSIONS, a.permissionType, `${at}.accessFilter.permissionType`, 'ANY'),
    };
  });
}
