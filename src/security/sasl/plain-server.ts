// SASL/PLAIN's server side (RFC 4616): authzid NUL authcid NUL password, checked against the users
// of the listener's PlainLoginModule JAAS config, with Kafka's PlainSaslServer answers.
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthenticationFailure, type ServerExchange } from './server-mechanism.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class PlainExchange implements ServerExchange {
  complete = false;
  authorizationId = '';
  readonly credentialExpiresAt = null;

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  evaluate(response: Buffer): Buffer {
    const tokens = response.toString('utf8').split('\0');
    if (tokens.length !== 3) throw new AuthenticationFailure(`Invalid SASL/PLAIN response: expected 3 tokens, got ${tokens.length}`);
    const [authzid, username, password] = tokens as [string, string, string];
    if (username === '') throw new AuthenticationFailure('Authentication failed: username not specified');
    if (password === '') throw new AuthenticationFailure('Authentication failed: password not specified');
    const expected = this.users.get(username);
    // Compared as digests: the time taken says nothing about the password's length or prefix.
    if (expected === undefined || !timingSafeEqual(digest(expected), digest(password))) {
      throw new AuthenticationFailure('Authentication failed: Invalid username or password', `PLAIN: invalid username or password for ${JSON.stringify(username)}`);
    }
    if (authzid !== '' && authzid !== username) throw new AuthenticationFailure('Authentication failed: Client requested an authorization id that is different from username');
    this.authorizationId = username;
    this.complete = true;
    return Buffer.alloc(0);
  }
}
