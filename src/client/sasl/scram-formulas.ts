// RFC 5802's SCRAM formulas and message syntax, shared by outpost's client (links) and its server
// (listeners) so that both sides compute the same keys the same way.
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';

export type ScramHash = 'sha256' | 'sha512';

/** Kafka's bounds on a credential's iteration count (ScramMechanism, ScramCredentialUtils). */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

export const scramHash = (mechanism: string): ScramHash => (mechanism === 'SCRAM-SHA-512' ? 'sha512' : 'sha256');

export function hmac(hash: ScramHash, key: Buffer, text: string | Buffer): Buffer {
  return createHmac(hash, key).update(text).digest();
}

/** Hi(password, salt, i): PBKDF2 with the mechanism's hash. */
export function saltedPassword(hash: ScramHash, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, hash === 'sha256' ? 32 : 64, hash);
}

/** What a server keeps of a password: StoredKey = H(ClientKey) and ServerKey. */
export function scramKeys(hash: ScramHash, salted: Buffer): { clientKey: Buffer; storedKey: Buffer; serverKey: Buffer } {
  const clientKey = hmac(hash, salted, 'Client Key');
  return { clientKey, storedKey: createHash(hash).update(clientKey).digest(), serverKey: hmac(hash, salted, 'Server Key') };
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** RFC 5802's saslname: '=' and ',' escaped, and back. */
export const encodeSaslName = (s: string) => s.replace(/=/g, '=3D').replace(/,/g, '=2C');
export const decodeSaslName = (s: string) => s.replace(/=2C/g, ',').replace(/=3D/g, '=');

/** A message's attributes, a=value,b=value (the first of each). */
export function scramAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1 && !out.has(part[0]!)) out.set(part[0]!, part.slice(2));
  }
  return out;
}
