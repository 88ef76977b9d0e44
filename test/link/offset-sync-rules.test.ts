// Consumer offset sync's rules, in virtual time against the fake source, with the broker's groups
// stood in for by a map that records every commit: an offset past the mirror's end waits for the
// mirror; unchanged offsets are not written again; a group with members here is left alone; the
// metadata goes with the offset. (The real-client behaviour is in offset-sync.test.ts.)
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { refKey, type CommittedOffset } from '../../src/link/source-endpoint.js';
import type { LocalGroups } from '../../src/link/types.js';
import { advanceUntil } from '../support/manual-clock.js';
import { closeEngine, openEngine, type Engine } from './engine-harness.js';

interface Ctx extends Engine {
  committed: Map<string, Map<string, { offset: number; metadata: string | null }>>;
  commits: { group: string; offsets: CommittedOffset[] }[];
  withMembers: Set<string>;
}

const test = suite<Ctx>('consumer offset sync rules');

test.before.each(async (ctx) => {
  ctx.committed = new Map();
  ctx.commits = [];
  ctx.withMembers = new Set();
  const groups: LocalGroups = {
    hasMembers: (g) => ctx.withMembers.has(g),
    committed: (g) => new Map([...(ctx.committed.get(g) ?? [])].map(([k, v]) => [k, v.offset])),
    commit: async (g, offsets) => {
      ctx.commits.push({ group: g, offsets });
      const m = ctx.committed.get(g) ?? new Map();
      for (const o of offsets) m.set(refKey(o.topic, o.partition), { offset: o.offset, metadata: o.metadata });
      ctx.committed.set(g, m);
      return offsets.map(() => 'NONE');
    },
  };
  Object.assign(ctx, await openEngine('outpost-offset-sync-', { groups: () => groups }));
  ctx.source.createTopic('orders', 1);
  ctx.source.produce('orders', 0, 5);
  await ctx.links.createLink({
    name: 'fake',
    bootstrapServers: 'fake-1:9092',
    configs: { 'consumer.offset.sync.enable': 'true', 'consumer.offset.sync.ms': '1000', 'consumer.offset.group.filters': '{"groupFilters":[{"name":"*","patternType":"LITERAL","filterType":"INCLUDE"}]}' },
  });
  await ctx.links.createMirror('fake', 'orders');
  await until(ctx, 'mirror at 5', () => ctx.logs.getLog('orders', 0)!.highWatermark === 5);
});

test.after.each((ctx) => closeEngine(ctx));

function until(ctx: Ctx, what: string, cond: () => boolean, stepMs = 100, steps = 600): Promise<void> {
  return advanceUntil(ctx.clock, what, cond, stepMs, steps);
}

/** Lets `rounds` sync intervals pass. */
async function rounds(ctx: Ctx, n: number): Promise<void> {
  for (let i = 0; i < n * 10; i++) {
    await ctx.clock.advance(100);
    await new Promise((r) => setTimeout(r, 1));
  }
}

const at = (ctx: Ctx, group: string) => ctx.committed.get(group)?.get(refKey('orders', 0));

test('an offset past the mirror\'s end waits for the mirror; the metadata goes with it', async (ctx) => {
  await ctx.links.pauseMirrors('fake', ['orders']);
  ctx.source.produce('orders', 0, 5); // the source has 10, the mirror 5
  ctx.source.groups.set('app', [{ topic: 'orders', partition: 0, offset: 8, leaderEpoch: 0, metadata: 'where-i-was' }]);
  await rounds(ctx, 3);
  assert.is(at(ctx, 'app'), undefined, 'not placed past the mirror\'s end');
  const behind = ctx.links.describeLink('fake').offsetSync.groups.find((g) => g.group === 'app');
  assert.equal(behind, { group: 'app', behind: 8, synced: true });
  await ctx.links.resumeMirrors('fake', ['orders']);
  await until(ctx, 'synced once the mirror has it', () => at(ctx, 'app')?.offset === 8);
  assert.is(at(ctx, 'app')!.metadata, 'where-i-was');
  await rounds(ctx, 1);
  assert.equal(ctx.links.describeLink('fake').offsetSync.groups.find((g) => g.group === 'app'), { group: 'app', behind: 0, synced: true });
});

test('unchanged offsets are not written again; a new one is', async (ctx) => {
  ctx.source.groups.set('app', [{ topic: 'orders', partition: 0, offset: 3, leaderEpoch: 0, metadata: null }]);
  await until(ctx, 'synced', () => at(ctx, 'app')?.offset === 3);
  const commits = ctx.commits.length;
  await rounds(ctx, 3);
  assert.is(ctx.commits.length, commits, 'no rewrite of the same offset');
  ctx.source.groups.set('app', [{ topic: 'orders', partition: 0, offset: 4, leaderEpoch: 0, metadata: null }]);
  await until(ctx, 'the new offset synced', () => at(ctx, 'app')?.offset === 4);
});

test('a group with members here is left alone; offsets of topics not mirrored are not copied', async (ctx) => {
  ctx.withMembers.add('live');
  ctx.source.groups.set('live', [{ topic: 'orders', partition: 0, offset: 2, leaderEpoch: 0, metadata: null }]);
  ctx.source.groups.set('other', [{ topic: 'not-mirrored', partition: 0, offset: 2, leaderEpoch: 0, metadata: null }]);
  await rounds(ctx, 3);
  assert.equal(ctx.commits.filter((c) => c.group === 'live' || c.group === 'other'), []);
  assert.equal(ctx.links.describeLink('fake').offsetSync.groups.find((g) => g.group === 'live'), { group: 'live', behind: 0, synced: false });
  ctx.withMembers.delete('live');
  await until(ctx, 'synced once its members left', () => at(ctx, 'live')?.offset === 2);
});

test.run();
