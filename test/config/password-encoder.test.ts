// Secrets sealed with password.encoder.secret: they open with it (or the old one), at their place only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PasswordEncoder } from '../../src/config/password-encoder.js';

test('a sealed value opens with its secret at its place, and nowhere else', () => {
  const enc = new PasswordEncoder('s3cret');
  const sealed = enc.encode('hunter2', 'link a config x');
  assert.not.ok(sealed.includes('hunter2'));
  assert.is.not(enc.encode('hunter2', 'link a config x'), sealed, 'a fresh nonce each time');
  assert.is(enc.decode(sealed, 'link a config x'), 'hunter2');
  assert.is(new PasswordEncoder('s3cret').decode(sealed, 'link a config x'), 'hunter2', 'another process, the same secret');
  assert.throws(() => enc.decode(sealed, 'link b config x'), /does not open with password\.encoder\.secret/);
  assert.throws(() => new PasswordEncoder('other').decode(sealed, 'link a config x'), /does not open/);
  assert.throws(() => enc.decode('plain text', 'link a config x'), /not a value sealed by outpost/);
  assert.throws(() => new PasswordEncoder(''), /must not be empty/);
});

test('after a change of secret, the old one still opens what it sealed', () => {
  const sealed = new PasswordEncoder('old').encode('v', 'p');
  assert.is(new PasswordEncoder('new', 'old').decode(sealed, 'p'), 'v');
  assert.throws(() => new PasswordEncoder('new').decode(sealed, 'p'), /does not open/);
});

test.run();
