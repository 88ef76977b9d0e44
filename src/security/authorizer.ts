// Kafka's StandardAuthorizer, as it decides: super users may do anything; otherwise the ACLs of the
// resource (LITERAL by name, the LITERAL wildcard "*", PREFIXED by a prefix of the name) for the
// principal or User:*, from the client's host or "*", are looked at. A DENY wins over any ALLOW;
// an ALLOW of READ, WRITE, DELETE or ALTER implies DESCRIBE, and one of ALTER_CONFIGS implies
// DESCRIBE_CONFIGS (a DENY implies nothing); ALL matches every operation. A resource with no ACL
// at all is allowed only with allow.everyone.if.no.acl.found. The ACLs live in an AclStore.
import { OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, WILDCARD, WILDCARD_PRINCIPAL, type AclBinding, type Operation, type ResourceType } from '../common/acls.js';
import type { AclStore } from './acl-store.js';

const IMPLIES_DESCRIBE: number[] = [OPERATIONS.DESCRIBE, OPERATIONS.READ, OPERATIONS.WRITE, OPERATIONS.DELETE, OPERATIONS.ALTER];
const IMPLIES_DESCRIBE_CONFIGS: number[] = [OPERATIONS.DESCRIBE_CONFIGS, OPERATIONS.ALTER_CONFIGS];

/** Who is asking, from where. */
export interface Requester {
  principal: string;
  /** the client's address, as Kafka compares it with an ACL's host */
  host: string;
}

export class Authorizer {
  constructor(
    readonly store: AclStore,
    private readonly superUsers: ReadonlySet<string>,
    private readonly allowIfNoAcl: boolean,
  ) {}

  authorize(who: Requester, operation: Operation, type: ResourceType, name: string): boolean {
    if (this.superUsers.has(who.principal)) return true;
    const op = OPERATIONS[operation];
    let allow = false;
    let resourceHasAcls = false;
    for (const acl of this.store.list()) {
      if (acl.resourceType !== RESOURCE_TYPES[type] || !patternCovers(acl, name)) continue;
      resourceHasAcls = true;
      const result = decision(acl, who, op);
      if (result === 'deny') return false;
      if (result === 'allow') allow = true;
    }
    return allow || (!resourceHasAcls && this.allowIfNoAcl);
  }

  /**
   * Whether the requester may do `operation` on some resource of the type (Kafka's
   * authorizeByResourceType, used where any topic to write to suffices): an ALLOW for it exists,
   * and no DENY covers every name.
   */
  authorizeAnyOfType(who: Requester, operation: Operation, type: ResourceType): boolean {
    if (this.superUsers.has(who.principal)) return true;
    const op = OPERATIONS[operation];
    const acls = this.store.list().filter((a) => a.resourceType === RESOURCE_TYPES[type]);
    const denyAll = acls.some((a) => decision(a, who, op) === 'deny' && ((a.patternType === PATTERN_TYPES.LITERAL && a.resourceName === WILDCARD) || (a.patternType === PATTERN_TYPES.PREFIXED && a.resourceName === '')));
    if (denyAll) return false;
    return acls.some((a) => decision(a, who, op) === 'allow') || (acls.length === 0 && this.allowIfNoAcl);
  }
}

function patternCovers(acl: AclBinding, name: string): boolean {
  if (acl.patternType === PATTERN_TYPES.LITERAL) return acl.resourceName === name || acl.resourceName === WILDCARD;
  return acl.patternType === PATTERN_TYPES.PREFIXED && name.startsWith(acl.resourceName);
}

function decision(acl: AclBinding, who: Requester, op: number): 'allow' | 'deny' | null {
  if (acl.principal !== who.principal && acl.principal !== WILDCARD_PRINCIPAL) return null;
  if (acl.host !== WILDCARD && acl.host !== who.host) return null;
  const allow = acl.permissionType === PERMISSIONS.ALLOW;
  if (acl.operation !== OPERATIONS.ALL) {
    if (allow && op === OPERATIONS.DESCRIBE) {
      if (!IMPLIES_DESCRIBE.includes(acl.operation)) return null;
    } else if (allow && op === OPERATIONS.DESCRIBE_CONFIGS) {
      if (!IMPLIES_DESCRIBE_CONFIGS.includes(acl.operation)) return null;
    } else if (acl.operation !== op) {
      return null;
    }
  }
  return allow ? 'allow' : 'deny';
}
