// The SASL mechanisms' messages, checked against RFC 7677's SCRAM-SHA-256 example and against
// servers that answer wrongly. (Against Kafka itself: test/link/mirror-secure.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OAuthBearerMechanism } from '../../src/client/sasl/oauthbearer.js';
import { PlainMechanism } from '../../src/client/sasl/plain.js';
import { ScramMechanism } from '../../src/client/sasl/scram.js';

const text = (b: Buffer | null) => b?.toString('utf8') ?? null;

test('SCRAM-SHA-256 sends RFC 7677\'s messages and accepts its server signature', async () => {
  const ex = await new ScramMechanism(256, 'user', 'pencil', () => 'rOprNGfwEbeRWgbNEkqO').begin();
  assert.is(text(ex.respond(null)), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
  assert.is(text(ex.respond(Buffer.from(serverFirst))), 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
  assert.is(ex.respond(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')), null);
});

test('SCRAM refuses a server that does not know the password, a foreign nonce, few iterations, an error', async () => {
  const serverFirst = Buffer.from('r=abcXYZ,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
  const begin = () => new ScramMechanism(512, 'u=,x', 'p', () => 'abc').begin();
  let ex = await begin();
  assert.is(text(ex.respond(null)), 'n,,n=u=3D=2Cx,r=abc', 'the user name is escaped');
  ex.respond(serverFirst);
  assert.throws(() => ex.respond(Buffer.from('v=AAAA')), /signature is wrong/);
  ex = await begin();
  ex.respond(null);
  assert.throws(() => ex.respond(Buffer.from('r=zzz,s=AAAA,i=4096')), /malformed/);
  ex = await begin();
  ex.respond(null);
  assert.throws(() => ex.respond(Buffer.from('r=abc1,s=AAAA,i=1000')), /1000 iterations, fewer than 4096/);
  ex = await begin();
  ex.respond(null);
  assert.throws(() => ex.respond(Buffer.from('e=unknown-user')), /refused: unknown-user/);
});

test('PLAIN is one message; OAUTHBEARER carries the token and extensions, and answers an error challenge with ^A', async () => {
  const plain = await new PlainMechanism('key', 'secret').begin();
  assert.is(text(plain.respond(null)), '\0key\0secret');
  assert.is(plain.respond(Buffer.alloc(0)), null);

  const now = Date.UTC(2026, 0, 1);
  const mech = new OAuthBearerMechanism({ kind: 'unsecured', claims: { sub: 'alice' }, lifetimeSeconds: 60 }, { traceId: 't1' }, () => now);
  const ex = await mech.begin();
  const first = text(ex.respond(null))!;
  const m = /^n,,\x01auth=Bearer ([^.]+)\.([^.]+)\.\x01traceId=t1\x01\x01$/.exec(first);
  assert.ok(m, first);
  assert.equal(JSON.parse(Buffer.from(m![1]!, 'base64url').toString()), { alg: 'none' });
  assert.equal(JSON.parse(Buffer.from(m![2]!, 'base64url').toString()), { sub: 'alice', iat: now / 1000, exp: now / 1000 + 60 });
  assert.equal([...ex.respond(Buffer.from('{"status":"invalid_token"}'))!], [1]);
  const ok = await mech.begin();
  ok.respond(null);
  assert.is(ok.respond(Buffer.alloc(0)), null);
});

test.run();
