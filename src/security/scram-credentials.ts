// SCRAM credentials, as a Kafka broker keeps them: per user and mechanism the salt, the iteration
// count, StoredKey and ServerKey, never the password (nor the salted password, from which a client
// proof could be made). `<data-dir>/__outpost_scram_credentials.json`, written whole and atomically
// on every change, readable by its owner only:
//
//   { "version": 1, "users": { "alice": { "SCRAM-SHA-512": { "salt": "...", "iterations": 8192,
//                                                          "storedKey": "...", "serverKey": "..." } } } }
import { join } from 'node:path';
import { z } from 'zod';
import { scramHash, scramKeys } from '../client/sasl/scram-formulas.js';
import { readFileIfPresent, writeFileDurably } from '../log/durable-file.js';

export const SCRAM_CREDENTIALS_FILE = '__outpost_scram_credentials.json';

/** AlterUserScramCredentials' mechanism numbers (Kafka's ScramMechanism types). */
export const SCRAM_MECHANISMS = new Map<number, string>([
  [1, 'SCRAM-SHA-256'],
  [2, 'SCRAM-SHA-512'],
]);
export const scramMechanismType = (name: string) => [...SCRAM_MECHANISMS].find(([, n]) => n === name)?.[0] ?? 0;

export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const stored = z.object({ salt: z.string(), iterations: z.number().int(), storedKey: z.string(), serverKey: z.string() }).strict();
const fileSchema = z.object({ version: z.literal(1), users: z.record(z.record(stored)) }).strict();

export class ScramCredentialStore {
  private constructor(private readonly path: string, private users: Map<string, Map<string, ScramCredential>>) {}

  static async open(dataDir: string): Promise<ScramCredentialStore> {
    const path = join(dataDir, SCRAM_CREDENTIALS_FILE);
    const text = await readFileIfPresent(path);
    const users = new Map<string, Map<string, ScramCredential>>();
    if (text !== null) {
      let doc;
      try {
        doc = fileSchema.parse(JSON.parse(text));
      } catch (e) {
        throw new Error(`${path} cannot be read: ${(e as Error).message.split('\n')[0]}`);
      }
      for (const [user, mechs] of Object.entries(doc.users)) {
        const m = new Map<string, ScramCredential>();
        for (const [mech, c] of Object.entries(mechs)) {
          m.set(mech, { salt: Buffer.from(c.salt, 'base64'), iterations: c.iterations, storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64') });
        }
        users.set(user, m);
      }
    }
    return new ScramCredentialStore(path, users);
  }

  get(user: string, mechanism: string): ScramCredential | undefined {
    return this.users.get(user)?.get(mechanism);
  }

  has(user: string): boolean {
    return this.users.has(user);
  }

  /** Every user with a credential, with the mechanisms and iteration counts (never the keys). */
  describe(): Map<string, { mechanism: string; iterations: number }[]> {
    const out = new Map<string, { mechanism: string; iterations: number }[]>();
    for (const [user, mechs] of this.users) out.set(user, [...mechs].map(([mechanism, c]) => ({ mechanism, iterations: c.iterations })));
    return out;
  }

  /**
   * Applies a batch of changes and persists it once: an upsertion carries the salted password,
   * as AlterUserScramCredentials does (the client salts), of which only the keys are kept.
   */
  async apply(changes: ({ user: string; mechanism: string; delete: true } | { user: string; mechanism: string; salt: Buffer; iterations: number; saltedPassword: Buffer })[]): Promise<void> {
    if (changes.length === 0) return;
    const next = new Map([...this.users].map(([u, m]) => [u, new Map(m)]));
    for (const c of changes) {
      if ('delete' in c) {
        next.get(c.user)?.delete(c.mechanism);
        if (next.get(c.user)?.size === 0) next.delete(c.user);
        continue;
      }
      const { storedKey, serverKey } = scramKeys(scramHash(c.mechanism), c.saltedPassword);
      if (!next.has(c.user)) next.set(c.user, new Map());
      next.get(c.user)!.set(c.mechanism, { salt: c.salt, iterations: c.iterations, storedKey, serverKey });
    }
    const doc = {
      version: 1,
      users: Object.fromEntries(
        [...next].map(([u, m]) => [u, Object.fromEntries([...m].map(([mech, c]) => [mech, { salt: c.salt.toString('base64'), iterations: c.iterations, storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64') }]))]),
      ),
    };
    await writeFileDurably(this.path, JSON.stringify(doc, null, 2) + '\n', 0o600);
    this.users = next;
  }
}
