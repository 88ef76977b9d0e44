// SASL/SCRAM-SHA-256 and -512's server side (RFC 5802, RFC 7677), as Kafka's ScramSaslServer
// serves it: client-first (user, nonce), server-first (nonce, salt, iterations), client-final
// (proof) checked against the stored credential, server-final (signature). An unknown user and a
// wrong password fail alike, with Kafka's generic answer.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { MIN_ITERATIONS, decodeSaslName, hmac, scramHash, xor, type ScramHash } from '../../client/sasl/scram-formulas.js';
import type { ScramCredential } from '../scram-credentials.js';
import { AuthenticationFailure, type ServerExchange } from './server-mechanism.js';

// gs2-header (no channel binding, optional authzid), then n=user,r=nonce and any extensions.
const CLIENT_FIRST = /^n,(?:a=([^,]*))?,(n=([^,]*),r=([^,]+)(?:,.*)?)$/s;
const CLIENT_FINAL = /^(c=[^,]*,r=([^,]+)(?:,.*)?),p=([A-Za-z0-9+/=]+)$/s;

export class ScramExchange implements ServerExchange {
  complete = false;
  authorizationId = '';
  readonly credentialExpiresAt = null;
  private readonly hash: ScramHash;
  private step = 0;
  private credential: ScramCredential | undefined;
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';

  constructor(private readonly mechanism: string, private readonly credentials: (user: string) => ScramCredential | undefined) {
    this.hash = scramHash(mechanism);
  }

  private generic(detail: string): AuthenticationFailure {
    return new AuthenticationFailure(null, `${this.mechanism}: ${detail}`);
  }

  evaluate(response: Buffer): Buffer {
    const text = response.toString('utf8');
    switch (this.step++) {
      case 0:
        return this.serverFirstMessage(text);
      case 1:
        return this.serverFinalMessage(text);
      default:
        throw this.generic('unexpected message after the exchange');
    }
  }

  private serverFirstMessage(clientFirst: string): Buffer {
    const m = CLIENT_FIRST.exec(clientFirst);
    if (!m) throw this.generic('malformed client-first message');
    const [, authzid, bare, name, clientNonce] = m;
    const user = decodeSaslName(name!);
    const cred = this.credentials(user);
    if (!cred) throw this.generic(`no credential for user ${JSON.stringify(user)}`);
    if (authzid && decodeSaslName(authzid) !== user) throw new AuthenticationFailure('Authentication failed: Client requested an authorization id that is different from username');
    if (cred.iterations < MIN_ITERATIONS) throw this.generic(`iterations ${cred.iterations} is less than the minimum ${MIN_ITERATIONS}`);
    this.authorizationId = user;
    this.credential = cred;
    this.clientFirstBare = bare!;
    this.nonce = clientNonce! + randomBytes(24).toString('base64url');
    this.serverFirst = `r=${this.nonce},s=${cred.salt.toString('base64')},i=${cred.iterations}`;
    return Buffer.from(this.serverFirst, 'utf8');
  }

  private serverFinalMessage(clientFinal: string): Buffer {
    const m = CLIENT_FINAL.exec(clientFinal);
    const cred = this.credential!;
    if (!m) throw this.generic('malformed client-final message');
    const [, withoutProof, finalNonce, proofText] = m;
    // Kafka checks that the nonce ends with the server's, not that it equals it: librdkafka sends
    // its own nonce again in front of the server's, and must be taken.
    if (!finalNonce!.endsWith(this.nonce)) throw this.generic('invalid client nonce in the final client message');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const proof = Buffer.from(proofText!, 'base64');
    const signature = hmac(this.hash, cred.storedKey, authMessage);
    const user = JSON.stringify(this.authorizationId);
    if (proof.length !== signature.length) throw this.generic(`invalid client proof for user ${user}`);
    const storedKey = createHash(this.hash).update(xor(proof, signature)).digest();
    if (!timingSafeEqual(storedKey, cred.storedKey)) throw this.generic(`invalid client proof (wrong password?) for user ${user}`);
    this.complete = true;
    return Buffer.from(`v=${hmac(this.hash, cred.serverKey, authMessage).toString('base64')}`, 'utf8');
  }
}
