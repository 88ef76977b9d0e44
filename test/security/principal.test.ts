import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PrincipalMapper } from '../../src/security/principal.js';

test('ssl.principal.mapping.rules as Kafka applies them', () => {
  const dn = 'CN=kafka-client-7,OU=Payments,O=Example,C=US';
  assert.is(new PrincipalMapper('DEFAULT').name(dn), dn);
  assert.is(new PrincipalMapper('RULE:^CN=(.*?),OU=(.*?),O=(.*?),C=(.*?)$/$1@$2/L,DEFAULT').name(dn), 'kafka-client-7@payments');
  assert.is(new PrincipalMapper('RULE:^CN=(.*?),OU=(.*?)(,.*)?$/$1/U').name(dn), 'KAFKA-CLIENT-7');
  // The first rule whose pattern matches the whole name applies; later ones are not tried.
  assert.is(new PrincipalMapper('RULE:^CN=admin,.*$/root/, RULE:^CN=([^,]+),.*$/$1/').name(dn), 'kafka-client-7');
  // A group the pattern does not have stays literal, as in Kafka.
  assert.is(new PrincipalMapper('RULE:^CN=([^,]+),.*$/$1-$2/').name(dn), 'kafka-client-7-$2');
  assert.throws(() => new PrincipalMapper('RULE:^CN=admin$/root/').name(dn), /No rules apply to CN=kafka-client-7/);
  assert.throws(() => new PrincipalMapper('RULE:broken'), /invalid rule/);
});

test.run();
