// ACL sync's rules in virtual time against the fake source, with the broker's own ACL store: the
// source's ACLs the filters match are made here, those the sync made are deleted once the source
// drops them, and ACLs made here by hand are never deleted, even one the source also had.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, sameBinding, type AclBinding } from '../../src/common/acls.js';
import { AclStore } from '../../src/security/acl-store.js';
import { advanceUntil } from '../support/manual-clock.js';
import { closeEngine, openEngine, type Engine } from './engine-harness.js';

interface Ctx extends Engine {
  store: AclStore;
}

const test = suite<Ctx>('ACL sync rules');

const acl = (over: Partial<AclBinding>): AclBinding => ({
  resourceType: RESOURCE_TYPES.TOPIC, resourceName: 'orders', patternType: PATTERN_TYPES.LITERAL,
  principal: 'User:alice', host: '*', operation: OPERATIONS.READ, permissionType: PERMISSIONS.ALLOW, ...over,
});
const has = (ctx: Ctx, a: AclBinding) => ctx.store.list().some((b) => sameBinding(a, b));

test.before.each(async (ctx) => {
  // The links reach the store only when a task runs, by then opened in the engine's data dir.
  Object.assign(ctx, await openEngine('outpost-acl-sync-', { acls: () => ctx.store }));
  ctx.store = await AclStore.open(ctx.dir);
});

test.after.each((ctx) => closeEngine(ctx));

test('the filters choose; what the sync made goes with the source; hand-made ACLs stay', async (ctx) => {
  const synced = acl({});
  const otherType = acl({ resourceType: RESOURCE_TYPES.GROUP, resourceName: 'g' });
  const alsoByHand = acl({ resourceName: 'payments', operation: OPERATIONS.WRITE });
  const byHand = acl({ resourceName: 'local-only', principal: 'User:bob' });
  await ctx.store.change([alsoByHand, byHand]);
  ctx.source.acls = [synced, otherType, alsoByHand];
  await ctx.links.createLink({
    name: 'fake',
    bootstrapServers: 'fake-1:9092',
    configs: { 'acl.sync.enable': 'true', 'acl.sync.ms': '1000', 'acl.filters': JSON.stringify({ aclFilters: [{ resourceFilter: { resourceType: 'topic', patternType: 'any' }, accessFilter: {} }] }) },
  });
  await advanceUntil(ctx.clock, 'the topic ACL synced', () => has(ctx, synced));
  assert.not.ok(has(ctx, otherType), 'a group ACL is not chosen by a topic filter');
  ctx.source.acls = [otherType];
  await advanceUntil(ctx.clock, 'the synced ACL removed with the source\'s', () => !has(ctx, synced));
  assert.ok(has(ctx, alsoByHand), 'made here by hand before the sync: never deleted by it');
  assert.ok(has(ctx, byHand));
});

test('bad filters name the field', async (ctx) => {
  const r = await ctx.links.createLink({ name: 'bad', bootstrapServers: 'fake-1:9092', configs: { 'acl.filters': '{"aclFilters":[{"resourceFilter":{"resourceType":"table"}}]}' } }).catch((e: Error) => e.message);
  assert.match(String(r), /acl.filters: aclFilters\[0\]\.resourceFilter\.resourceType must be one of any, topic, group/);
});

test.run();
