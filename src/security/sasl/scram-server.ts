// SASL/SCRAM-SHA-256 and -512's server side (RFC 5802, RFC 7677), as Kafka's ScramSaslServer
// serves it: client-first (user, nonce), server-first (nonce, salt, iterations), client-final
// (proof) checked against the stored credential, server-final (signature). An unknown user and a
// wrong password fail alike, with Kafka's generic answer.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { MIN_ITERATIONS, decodeSaslName, hmac, scramHash, xor } from '../../client/sasl/scram-formulas.js';
import type { ScramCredential } from '../scram-credentials.js';
import { AuthenticationFailure, type ServerExchange } from './server-mechanism.js';

// gs2-header (no channel binding, optional authzid), then n=user,r=nonce and any extensions.
const CLIENT_FIRST = /^n,(?:a=([^,]*))?,(n=([^,]*),r=([^,]+)(?:,.*)?)$/s;
const CLIENT_FINAL = /^(c=[^,]*,r=([^,]+)(?:,.*)?),p=([A-Za-z0-9+/=]+)$/s;

export function scramExchange(mechanism: string, credential: (user: string) => ScramCredential | undefined): ServerExchange {
  const hash = scramHash(mechanism);
  let step = 0;
  let user = '';
  let done = false;
  let cred: ScramCredential | undefined;
  let clientFirstBare = '';
  let serverFirst = '';
  let nonce = '';
  const generic = (detail: string) => new AuthenticationFailure(null, `${mechanism}: ${detail}`);
  return {
    get complete() {
      return done;
    },
    get authorizationId() {
      return user;
    },
    credentialExpiresAt: null,
    evaluate(response) {
      const text = response.toString('utf8');
      switch (step++) {
        case 0: {
          const m = CLIENT_FIRST.exec(text);
          if (!m) throw generic('malformed client-first message');
          const [, authzid, bare, name, clientNonce] = m;
          user = decodeSaslName(name!);
          cred = credential(user);
          if (!cred) throw generic(`no credential for user ${JSON.stringify(user)}`);
          if (authzid && decodeSaslName(authzid) !== user) throw new AuthenticationFailure('Authentication failed: Client requested an authorization id that is different from username');
          if (cred.iterations < MIN_ITERATIONS) throw generic(`iterations ${cred.iterations} is less than the minimum ${MIN_ITERATIONS}`);
          clientFirstBare = bare!;
          nonce = clientNonce! + randomBytes(24).toString('base64url');
          serverFirst = `r=${nonce},s=${cred.salt.toString('base64')},i=${cred.iterations}`;
          return Buffer.from(serverFirst, 'utf8');
        }
        case 1: {
          const m = CLIENT_FINAL.exec(text);
          if (!m || !cred) throw generic('malformed client-final message');
          const [, withoutProof, finalNonce, proofText] = m;
          // Kafka checks that the nonce ends with the server's, not that it equals it: librdkafka
          // sends its own nonce again in front of the server's, and must be taken.
          if (!finalNonce!.endsWith(nonce)) throw generic('invalid client nonce in the final client message');
          const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
          const proof = Buffer.from(proofText!, 'base64');
          const signature = hmac(hash, cred.storedKey, authMessage);
          if (proof.length !== signature.length) throw generic(`invalid client proof for user ${JSON.stringify(user)}`);
          const storedKey = createHash(hash).update(xor(proof, signature)).digest();
          if (!timingSafeEqual(storedKey, cred.storedKey)) throw generic(`invalid client proof (wrong password?) for user ${JSON.stringify(user)}`);
          done = true;
          return Buffer.from(`v=${hmac(hash, cred.serverKey, authMessage).toString('base64')}`, 'utf8');
        }
        default:
          throw generic('unexpected message after the exchange');
      }
    },
  };
}
