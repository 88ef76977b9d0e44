// Kafka's ACLs as data: resource types, pattern types, operations and permissions with their wire
// codes; a new ACL's checks (Kafka's messages); and how a filter (DescribeAcls, DeleteAcls)
// matches a binding, as Kafka's ResourcePatternFilter and AccessControlEntryFilter do.

export const RESOURCE_TYPES = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PATTERN_TYPES = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const OPERATIONS = {
  UNKNOWN: 0, ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12, CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14, TWO_PHASE_COMMIT: 15,
} as const;
export const PERMISSIONS = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

export type ResourceType = Exclude<keyof typeof RESOURCE_TYPES, 'UNKNOWN' | 'ANY'>;
export type Operation = Exclude<keyof typeof OPERATIONS, 'UNKNOWN' | 'ANY'>;

export const WILDCARD = '*';
export const CLUSTER_NAME = 'kafka-cluster';
export const WILDCARD_PRINCIPAL = 'User:*';

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export type AclFilter = {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
};

const nameOf = (codes: Record<string, number>, code: number) => Object.keys(codes).find((k) => codes[k] === code) ?? String(code);
export const resourceTypeName = (code: number) => nameOf(RESOURCE_TYPES, code);
export const operationName = (code: number) => nameOf(OPERATIONS, code);

const known = (codes: Record<string, number>, code: number) => Object.values(codes).includes(code);

/** What is wrong with an ACL to be created, in Kafka's words (INVALID_REQUEST), or null. */
export function newAclProblem(b: AclBinding): string | null {
  if (!known(RESOURCE_TYPES, b.resourceType) || b.resourceType <= RESOURCE_TYPES.ANY) return `Invalid resourceType ${resourceTypeName(b.resourceType)}`;
  if (b.patternType !== PATTERN_TYPES.LITERAL && b.patternType !== PATTERN_TYPES.PREFIXED) return `Invalid patternType ${nameOf(PATTERN_TYPES, b.patternType)}`;
  if (!known(OPERATIONS, b.operation) || b.operation <= OPERATIONS.ANY) return `Invalid operation ${operationName(b.operation)}`;
  if (b.permissionType !== PERMISSIONS.DENY && b.permissionType !== PERMISSIONS.ALLOW) return `Invalid permissionType ${nameOf(PERMISSIONS, b.permissionType)}`;
  if (b.resourceName === '') return 'Resource name should not be empty';
  if (b.resourceType === RESOURCE_TYPES.CLUSTER && b.resourceName !== CLUSTER_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  if (!b.principal.includes(':')) return `Could not parse principal from \`${b.principal}\` (no colon is present separating the principal type from the principal name)`;
  return null;
}

/** What is wrong with a filter, in Kafka's words, or null. */
export function filterProblem(f: AclFilter): string | null {
  if (!known(RESOURCE_TYPES, f.resourceType) || f.resourceType === RESOURCE_TYPES.UNKNOWN || !known(PATTERN_TYPES, f.patternType) || f.patternType === PATTERN_TYPES.UNKNOWN) return 'Unknown patternFilter.';
  if (!known(OPERATIONS, f.operation) || f.operation === OPERATIONS.UNKNOWN || !known(PERMISSIONS, f.permissionType) || f.permissionType === PERMISSIONS.UNKNOWN) return 'Unknown entryFilter.';
  return null;
}

export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== RESOURCE_TYPES.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== PATTERN_TYPES.ANY && f.patternType !== PATTERN_TYPES.MATCH && f.patternType !== b.patternType) return false;
  if (f.resourceName !== null) {
    if (f.patternType === PATTERN_TYPES.ANY || f.patternType === b.patternType) {
      if (f.resourceName !== b.resourceName) return false;
    } else if (b.patternType === PATTERN_TYPES.LITERAL) {
      if (f.resourceName !== b.resourceName && b.resourceName !== WILDCARD) return false;
    } else if (!f.resourceName.startsWith(b.resourceName)) {
      return false;
    }
  }
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== OPERATIONS.ANY && f.operation !== b.operation) return false;
  return f.permissionType === PERMISSIONS.ANY || f.permissionType === b.permissionType;
}

export const sameBinding = (a: AclBinding, b: AclBinding) =>
  a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.patternType === b.patternType &&
  a.principal === b.principal && a.host === b.host && a.operation === b.operation && a.permissionType === b.permissionType;
