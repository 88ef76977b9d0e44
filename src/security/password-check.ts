// Checks a user's password against what the broker knows of its users, for HTTP Basic on the
// admin listener: a SCRAM credential (the password salted and hashed as the client would, its
// StoredKey compared) or a PLAIN user of a listener's JAAS config. Failures are slow on purpose
// (the same delay as a failed Kafka authentication), and say nothing about which part was wrong.
import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { scramHash, scramKeys } from '../client/sasl/scram-formulas.js';
import type { ScramCredentialStore } from './scram-credentials.js';

const pbkdf2Async = promisify(pbkdf2);
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function passwordChecker(scram: ScramCredentialStore, plainUsers: ReadonlyMap<string, string>, failureDelayMs: number): (user: string, password: string) => Promise<boolean> {
  const check = async (user: string, password: string): Promise<boolean> => {
    const plain = plainUsers.get(user);
    if (plain !== undefined && timingSafeEqual(digest(plain), digest(password))) return true;
    for (const mechanism of ['SCRAM-SHA-512', 'SCRAM-SHA-256']) {
      const cred = scram.get(user, mechanism);
      if (!cred) continue;
      const hash = scramHash(mechanism);
      // Off the event loop: thousands of PBKDF2 rounds per request.
      const salted = await pbkdf2Async(Buffer.from(password, 'utf8'), cred.salt, cred.iterations, hash === 'sha256' ? 32 : 64, hash);
      if (timingSafeEqual(scramKeys(hash, salted).storedKey, cred.storedKey)) return true;
    }
    return false;
  };
  return async (user, password) => {
    if (await check(user, password)) return true;
    await new Promise((resolve) => setTimeout(resolve, failureDelayMs));
    return false;
  };
}
