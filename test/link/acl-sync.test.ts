// ACL sync's rules in virtual time against the fake source, with the broker's own ACL store: the
// source's ACLs the filters match are made here, those the sync made are deleted once the source
// drops them, and ACLs made here by hand are never deleted, even one the source also had.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, sameBinding, type AclBinding } from '../../src/common/acls.js';
import { resolveTopicConfig } from '../../src/config/topic-configs.js';
import { LinkManager } from '../../src/link/link-manager.js';
import { LogManager } from '../../src/log/log-manager.js';
import { AclStore } from '../../src/security/acl-store.js';
import { advanceUntil, ManualClock } from '../support/manual-clock.js';
import { FakeSource } from './fake-source.js';

interface Ctx {
  dir: string;
  clock: ManualClock;
  source: FakeSource;
  logs: LogManager;
  links: LinkManager;
  store: AclStore;
}

const test = suite<Ctx>('ACL sync rules');

const acl = (over: Partial<AclBinding>): AclBinding => ({
  resourceType: RESOURCE_TYPES.TOPIC, resourceName: 'orders', patternType: PATTERN_TYPES.LITERAL,
  principal: 'User:alice', host: '*', operation: OPERATIONS.READ, permissionType: PERMISSIONS.ALLOW, ...over,
});
const has = (ctx: Ctx, a: AclBinding) => ctx.store.list().some((b) => sameBinding(a, b));

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'outpost-acl-sync-'));
  ctx.clock = new ManualClock();
  ctx.source = new FakeSource(ctx.clock);
  ctx.store = await AclStore.open(ctx.dir);
  const logger = pino({ level: 'silent' });
  ctx.logs = await LogManager.open(ctx.dir, { resolveTopicConfig: (o) => resolveTopicConfig(o, {}), logger });
  ctx.links = await LinkManager.open(ctx.dir, { logs: ctx.logs, logger, registry: new Registry(), clock: ctx.clock, connect: () => ctx.source.connect(), acls: () => ctx.store });
  ctx.links.start();
});

test.after.each(async (ctx) => {
  await ctx.links.close();
  await ctx.logs.close();
  await rm(ctx.dir, { recursive: true, force: true });
});

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
