// CreateAcls, DescribeAcls and DeleteAcls, as a Kafka broker with StandardAuthorizer answers them
// (what kafka-acls sends): new ACLs checked with Kafka's messages, filters matched as Kafka's
// ResourcePatternFilter and AccessControlEntryFilter match, every change persisted before the answer.
import { errorCode } from '../../../protocol/errors.js';
import { filterMatches, filterProblem, newAclProblem, type AclBinding, type AclFilter } from '../../common/acls.js';
import { permits, refusal } from '../authorization.js';
import { defineHandler } from './handler.js';

const NO_AUTHORIZER = 'No Authorizer is configured.';

const filterOf = (f: { resourceTypeFilter: number; resourceNameFilter: string | null; patternTypeFilter: number; principalFilter: string | null; hostFilter: string | null; operation: number; permissionType: number }): AclFilter => ({
  resourceType: f.resourceTypeFilter, resourceName: f.resourceNameFilter, patternType: f.patternTypeFilter,
  principal: f.principalFilter, host: f.hostFilter, operation: f.operation, permissionType: f.permissionType,
});

export const describeAcls = defineHandler('DescribeAcls', [1, 3], (b, req, ctx) => {
  const fail = (error: 'SECURITY_DISABLED' | 'CLUSTER_AUTHORIZATION_FAILED' | 'INVALID_REQUEST', message: string | null) => ({ throttleTimeMs: 0, errorCode: errorCode(error), errorMessage: message, resources: [] });
  if (!b.authorizer) return fail('SECURITY_DISABLED', NO_AUTHORIZER);
  if (!permits(b, ctx, 'DescribeAcls.cluster')) return fail(refusal('DescribeAcls.cluster') as 'CLUSTER_AUTHORIZATION_FAILED', null);
  const filter = filterOf(req);
  const problem = filterProblem(filter);
  if (problem) return fail('INVALID_REQUEST', problem);
  // Grouped by resource pattern, as Kafka answers.
  const groups = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: { principal: string; host: string; operation: number; permissionType: number }[] }>();
  for (const a of b.authorizer.store.list()) {
    if (!filterMatches(filter, a)) continue;
    const key = `${a.resourceType}\0${a.patternType}\0${a.resourceName}`;
    if (!groups.has(key)) groups.set(key, { resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, acls: [] });
    groups.get(key)!.acls.push({ principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType });
  }
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, resources: [...groups.values()] };
});

export const createAcls = defineHandler('CreateAcls', [1, 3], async (b, req, ctx) => {
  const all = (error: 'SECURITY_DISABLED' | 'CLUSTER_AUTHORIZATION_FAILED', message: string | null) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode: errorCode(error), errorMessage: message })) });
  if (!b.authorizer) return all('SECURITY_DISABLED', NO_AUTHORIZER);
  if (!permits(b, ctx, 'CreateAcls.cluster')) return all('CLUSTER_AUTHORIZATION_FAILED', null);
  const results: { errorCode: number; errorMessage: string | null }[] = [];
  const add: AclBinding[] = [];
  for (const c of req.creations) {
    const acl: AclBinding = { resourceType: c.resourceType, resourceName: c.resourceName, patternType: c.resourcePatternType, principal: c.principal, host: c.host, operation: c.operation, permissionType: c.permissionType };
    const problem = newAclProblem(acl);
    if (problem) {
      results.push({ errorCode: errorCode('INVALID_REQUEST'), errorMessage: problem });
      continue;
    }
    add.push(acl);
    results.push({ errorCode: 0, errorMessage: null });
  }
  await b.authorizer.store.change(add);
  if (add.length > 0) b.logger.info({ principal: ctx.session.principal, created: add.length }, 'ACLs created');
  return { throttleTimeMs: 0, results };
});

export const deleteAcls = defineHandler('DeleteAcls', [1, 3], async (b, req, ctx) => {
  const all = (error: 'SECURITY_DISABLED' | 'CLUSTER_AUTHORIZATION_FAILED', message: string | null) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode: errorCode(error), errorMessage: message, matchingAcls: [] })) });
  if (!b.authorizer) return all('SECURITY_DISABLED', NO_AUTHORIZER);
  if (!permits(b, ctx, 'DeleteAcls.cluster')) return all('CLUSTER_AUTHORIZATION_FAILED', null);
  const acls = b.authorizer.store.list();
  const remove: AclBinding[] = [];
  const filterResults = req.filters.map((f) => {
    const filter = filterOf(f);
    const problem = filterProblem(filter);
    if (problem) return { errorCode: errorCode('INVALID_REQUEST'), errorMessage: problem, matchingAcls: [] };
    const matching = acls.filter((a) => filterMatches(filter, a));
    remove.push(...matching);
    return { errorCode: 0, errorMessage: null, matchingAcls: matching.map((a) => ({ errorCode: 0, errorMessage: null, ...a })) };
  });
  await b.authorizer.store.change([], remove);
  if (remove.length > 0) b.logger.info({ principal: ctx.session.principal, deleted: remove.length }, 'ACLs deleted');
  return { throttleTimeMs: 0, filterResults };
});
