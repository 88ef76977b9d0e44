// sasl.jaas.config as Kafka's JaasConfig reads it, and its errors, which never quote the text.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseJaasConfig } from '../../src/config/jaas.js';

test('a login module, a flag, quoted and bare options', () => {
  const e = parseJaasConfig(' org.apache.kafka.common.security.plain.PlainLoginModule  REQUIRED\n username="a \\"b\\" c" password=p.q-r_s extension_x="1";  ');
  assert.is(e.loginModule, 'org.apache.kafka.common.security.plain.PlainLoginModule');
  assert.equal(e.options, { username: 'a "b" c', password: 'p.q-r_s', extension_x: '1' });
});

test('malformed entries say what is wrong without the text', () => {
  const cases: [string, RegExp][] = [
    ['M required a="secret"', /ended by ';'/],
    ['M maybe;', /control flag/],
    ['M required a;', /option a has no value/],
    ['M required a="unclosed;', /not closed/],
    ['M required; N required;', /exactly one login module entry, not 2/],
    ['', /exactly one/],
  ];
  for (const [text, problem] of cases) {
    const err = (() => { try { parseJaasConfig(text); return null; } catch (e) { return e as Error; } })();
    assert.ok(err, text);
    assert.match(err!.message, problem);
    assert.not.match(err!.message, /secret/);
  }
});

test.run();
