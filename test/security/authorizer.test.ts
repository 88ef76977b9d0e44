// StandardAuthorizer's decisions, rule by rule, on an ACL store in a temporary data dir.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AclStore, ACL_FILE } from '../../src/security/acl-store.js';
import { OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, type AclBinding } from '../../src/common/acls.js';
import { Authorizer } from '../../src/security/authorizer.js';

const acl = (over: Partial<AclBinding>): AclBinding => ({
  resourceType: RESOURCE_TYPES.TOPIC, resourceName: 'orders', patternType: PATTERN_TYPES.LITERAL,
  principal: 'User:alice', host: '*', operation: OPERATIONS.READ, permissionType: PERMISSIONS.ALLOW, ...over,
});
const alice = { principal: 'User:alice', host: '10.0.0.1' };
const bob = { principal: 'User:bob', host: '10.0.0.1' };

async function withStore(fn: (store: AclStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-acl-'));
  try {
    await fn(await AclStore.open(dir), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('implications, DENY over ALLOW, prefixes, wildcards and hosts', () =>
  withStore(async (store) => {
    await store.change([
      acl({}),
      acl({ resourceName: 'pay', patternType: PATTERN_TYPES.PREFIXED, operation: OPERATIONS.ALTER_CONFIGS }),
      acl({ resourceName: 'orders', operation: OPERATIONS.WRITE, permissionType: PERMISSIONS.DENY }),
      acl({ resourceName: '*', principal: 'User:*', operation: OPERATIONS.DESCRIBE, host: '10.0.0.9' }),
      acl({ resourceType: RESOURCE_TYPES.GROUP, resourceName: 'g', operation: OPERATIONS.ALL }),
    ]);
    const a = new Authorizer(store, new Set(), false);
    assert.ok(a.authorize(alice, 'READ', 'TOPIC', 'orders'));
    assert.ok(a.authorize(alice, 'DESCRIBE', 'TOPIC', 'orders'), 'READ implies DESCRIBE');
    assert.not.ok(a.authorize(alice, 'WRITE', 'TOPIC', 'orders'), 'DENY WRITE');
    assert.ok(a.authorize(alice, 'DESCRIBE_CONFIGS', 'TOPIC', 'payments'), 'ALTER_CONFIGS implies DESCRIBE_CONFIGS, by prefix');
    assert.not.ok(a.authorize(alice, 'DESCRIBE_CONFIGS', 'TOPIC', 'orders'));
    assert.not.ok(a.authorize(bob, 'DESCRIBE', 'TOPIC', 'orders'), 'the wildcard ACL is for another host');
    assert.ok(a.authorize({ principal: 'User:bob', host: '10.0.0.9' }, 'DESCRIBE', 'TOPIC', 'anything'));
    assert.ok(a.authorize(alice, 'DELETE', 'GROUP', 'g'), 'ALL');
    assert.not.ok(a.authorize(alice, 'READ', 'GROUP', 'g2'));
    assert.ok(a.authorizeAnyOfType(alice, 'ALTER_CONFIGS', 'TOPIC'));
    assert.not.ok(a.authorizeAnyOfType(bob, 'WRITE', 'TOPIC'));
    // A DENY of READ implies nothing: DESCRIBE stays allowed through READ's ALLOW.
    await store.change([acl({ operation: OPERATIONS.READ, permissionType: PERMISSIONS.DENY, resourceName: 'orders' })]);
    assert.not.ok(a.authorize(alice, 'READ', 'TOPIC', 'orders'));
  }));

test('super.users and allow.everyone.if.no.acl.found', () =>
  withStore(async (store) => {
    await store.change([acl({})]);
    assert.ok(new Authorizer(store, new Set(['User:bob']), false).authorize(bob, 'ALTER', 'CLUSTER', 'kafka-cluster'));
    const open = new Authorizer(store, new Set(), true);
    assert.ok(open.authorize(bob, 'WRITE', 'TOPIC', 'no-acls-here'), 'a resource without ACLs is open to all');
    assert.not.ok(open.authorize(bob, 'READ', 'TOPIC', 'orders'), 'one with ACLs is not');
    assert.not.ok(new Authorizer(store, new Set(), false).authorize(bob, 'WRITE', 'TOPIC', 'no-acls-here'));
  }));

test('the store: duplicates kept once, removals, and the file read back', () =>
  withStore(async (store, dir) => {
    await store.change([acl({}), acl({})]);
    await store.change([acl({ operation: OPERATIONS.WRITE })], [acl({})]);
    const again = await AclStore.open(dir);
    assert.equal(again.list(), [acl({ operation: OPERATIONS.WRITE })]);
    assert.match(await readFile(join(dir, ACL_FILE), 'utf8'), /"version": 1/);
  }));

test.run();
