// SASL/SCRAM-SHA-256 and -512 (RFC 5802, RFC 7677), the client side as Kafka's ScramSaslClient
// speaks it: client-first, server-first (nonce, salt, iterations), client-final with the proof,
// and the server's signature checked, so that a server that does not know the password is not
// taken for the source.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError, type SaslExchange, type SaslMechanism } from './mechanism.js';
import {
  MIN_ITERATIONS, encodeSaslName, hmac, saltedPassword, scramAttributes as attributes, scramHash, scramKeys, xor, type ScramHash,
} from './scram-formulas.js';

export class ScramMechanism implements SaslMechanism {
  readonly name: string;
  private readonly hash: ScramHash;
  /**
   * The salted password of the last salt and iteration count the server gave: a credential keeps
   * them, so re-authentications skip the PBKDF2 rounds that would block the event loop each time.
   */
  private salted: { salt: string; iterations: number; value: Buffer } | null = null;

  /** `nonce` makes each exchange's client nonce (random; fixed only to check RFC 7677's example). */
  constructor(bits: 256 | 512, private readonly username: string, private readonly password: string, private readonly nonce = () => randomBytes(24).toString('base64url')) {
    this.name = `SCRAM-SHA-${bits}`;
    this.hash = scramHash(this.name);
  }

  private saltedPassword(salt: string, iterations: number): Buffer {
    const s = this.salted;
    if (s && s.salt === salt && s.iterations === iterations) return s.value;
    const value = saltedPassword(this.hash, this.password, Buffer.from(salt, 'base64'), iterations);
    this.salted = { salt, iterations, value };
    return value;
  }

  async begin(): Promise<SaslExchange> {
    const hash = this.hash;
    const clientNonce = this.nonce();
    const clientFirstBare = `n=${encodeSaslName(this.username)},r=${clientNonce}`;
    let step = 0;
    let serverSignature: Buffer | null = null;
    return {
      respond: (challenge) => {
        switch (step++) {
          case 0:
            return Buffer.from(`n,,${clientFirstBare}`, 'utf8');
          case 1: {
            const serverFirst = challenge!.toString('utf8');
            const a = attributes(serverFirst);
            if (a.has('e')) throw new SaslAuthenticationError(`${this.name}: the server refused: ${a.get('e')}`);
            const nonce = a.get('r');
            const salt = a.get('s');
            const iterations = Number(a.get('i'));
            if (!nonce?.startsWith(clientNonce) || salt === undefined || !Number.isInteger(iterations)) {
              throw new SaslAuthenticationError(`${this.name}: the server's first message is malformed`);
            }
            if (iterations < MIN_ITERATIONS) throw new SaslAuthenticationError(`${this.name}: the server asks for ${iterations} iterations, fewer than ${MIN_ITERATIONS}`);
            const salted = this.saltedPassword(salt, iterations);
            const { clientKey, storedKey, serverKey } = scramKeys(hash, salted);
            const withoutProof = `c=biws,r=${nonce}`;
            const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
            const proof = xor(clientKey, hmac(hash, storedKey, authMessage));
            serverSignature = hmac(hash, serverKey, authMessage);
            return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
          }
          case 2: {
            const a = attributes(challenge!.toString('utf8'));
            if (a.has('e')) throw new SaslAuthenticationError(`${this.name}: the server refused: ${a.get('e')}`);
            const v = Buffer.from(a.get('v') ?? '', 'base64');
            if (v.length !== serverSignature!.length || !timingSafeEqual(v, serverSignature!)) {
              throw new SaslAuthenticationError(`${this.name}: the server's signature is wrong: it does not know the password, so it is not trusted`);
            }
            return null;
          }
          default:
            return null;
        }
      },
    };
  }
}
