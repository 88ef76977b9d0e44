import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chosenByFilters, parseNameFilters } from '../../src/config/group-filters.js';
import { linkConfigsProblem, resolveLinkSettings } from '../../src/config/link-configs.js';

test("Confluent's group filters: INCLUDE and no EXCLUDE; * matches all; an empty list chooses nothing", () => {
  const f = parseNameFilters('consumer.offset.group.filters', 'groupFilters', JSON.stringify({ groupFilters: [
    { name: '*', patternType: 'LITERAL', filterType: 'INCLUDE' },
    { name: 'test-', patternType: 'PREFIXED', filterType: 'EXCLUDE' },
    { name: 'test-keep', patternType: 'LITERAL', filterType: 'INCLUDE' },
  ] }));
  assert.ok(chosenByFilters(f, 'orders-app'));
  assert.not.ok(chosenByFilters(f, 'test-a'));
  assert.not.ok(chosenByFilters(f, 'test-keep'), 'an EXCLUDE wins');
  const prefixed = parseNameFilters('x', 'groupFilters', '{"groupFilters":[{"name":"app-","patternType":"PREFIXED"}]}');
  assert.ok(chosenByFilters(prefixed, 'app-1'));
  assert.not.ok(chosenByFilters(prefixed, 'other'));
  assert.not.ok(chosenByFilters([], 'any'));
});

test('bad filters are refused with the field named', () => {
  const problem = (text: string) => linkConfigsProblem({ 'consumer.offset.group.filters': text });
  assert.match(problem('{')!, /^consumer.offset.group.filters is not valid JSON/);
  assert.match(problem('[]')!, /must be a JSON object with a "groupFilters" list/);
  assert.match(problem('{"groupFilters":{}}')!, /"groupFilters" must be a list/);
  assert.match(problem('{"groupFilters":[{"patternType":"LITERAL"}]}')!, /groupFilters\[0\]\.name must be a non-empty string/);
  assert.match(problem('{"groupFilters":[{"name":"a","patternType":"REGEX"}]}')!, /groupFilters\[0\]\.patternType must be LITERAL or PREFIXED, not "REGEX"/);
  assert.match(problem('{"groupFilters":[{"name":"a","filterType":"ALLOW"}]}')!, /groupFilters\[0\]\.filterType must be INCLUDE or EXCLUDE/);
  assert.is(linkConfigsProblem({ 'consumer.offset.sync.enable': 'true', 'consumer.offset.group.filters': '{"groupFilters":[]}' }), null);
  assert.match(linkConfigsProblem({ 'auto.create.mirror.topics.filters': '{"groupFilters":[]}' })!, /auto.create.mirror.topics.filters: "topicFilters" must be a list/);
  const s = resolveLinkSettings('l', { 'consumer.offset.sync.enable': 'true', 'consumer.offset.sync.ms': '1000' });
  assert.equal(s.offsetSync, { enabled: true, intervalMs: 1000, filters: [] });
});

test('consumer.group.coordination: local by default; source takes every group unless filtered', () => {
  assert.is(resolveLinkSettings('l', {}).groupsAtSource, null);
  assert.equal(resolveLinkSettings('l', { 'consumer.group.coordination': 'SOURCE' }).groupsAtSource, [{ name: '*', patternType: 'LITERAL', filterType: 'INCLUDE' }]);
  const filtered = resolveLinkSettings('l', { 'consumer.group.coordination': 'source', 'consumer.group.coordination.group.filters': '{"groupFilters":[{"name":"edge-","patternType":"PREFIXED"}]}' });
  assert.ok(chosenByFilters(filtered.groupsAtSource!, 'edge-a'));
  assert.not.ok(chosenByFilters(filtered.groupsAtSource!, 'other'));
  assert.match(linkConfigsProblem({ 'consumer.group.coordination': 'remote' })!, /Invalid value remote for configuration consumer.group.coordination: String must be one of: local, source/);
  assert.match(linkConfigsProblem({ 'consumer.group.coordination.group.filters': '{"groupFilters":[{"name":""}]}' })!, /consumer.group.coordination.group.filters: groupFilters\[0\]\.name/);
});

test.run();
