// Secrets at rest, keyed by password.encoder.secret (Kafka's broker config for the same job): each
// value is sealed with AES-256-GCM under a key derived from the secret with PBKDF2-HMAC-SHA512,
// with a random salt and nonce, and bound to where it belongs (a link's config name) so that a
// sealed value copied to another place does not open there. password.encoder.old.secret, when
// set, opens values sealed before the secret was changed; they are sealed again with the new one
// the next time the file is written.
import { createCipheriv, createDecipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const ITERATIONS = 4096;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const NONCE_BYTES = 12;

export class PasswordEncoder {
  private readonly salt = randomBytes(SALT_BYTES);
  private readonly key: Buffer;
  private readonly opened = new Map<string, Buffer>();

  constructor(private readonly secret: string, private readonly oldSecret: string | null = null) {
    if (secret === '') throw new Error('password.encoder.secret must not be empty');
    this.key = this.derive(secret, this.salt);
  }

  /** Seals `value`, bound to `place`. */
  encode(value: string, place: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(place, 'utf8'));
    const sealed = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return [VERSION, this.salt, nonce, cipher.getAuthTag(), sealed].map((p) => (typeof p === 'string' ? p : p.toString('base64'))).join(':');
  }

  /** Opens a value sealed for `place`; throws when neither secret opens it. */
  decode(encoded: string, place: string): string {
    const parts = encoded.split(':');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new Error('not a value sealed by outpost');
    const [salt, nonce, tag, sealed] = parts.slice(1).map((p) => Buffer.from(p, 'base64')) as [Buffer, Buffer, Buffer, Buffer];
    for (const secret of this.oldSecret === null ? [this.secret] : [this.secret, this.oldSecret]) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', this.keyFor(secret, salt), nonce);
        decipher.setAAD(Buffer.from(place, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(sealed), decipher.final()]).toString('utf8');
      } catch {
        // the other secret, if any
      }
    }
    throw new Error(`it does not open with password.encoder.secret${this.oldSecret === null ? '' : ' or password.encoder.old.secret'}`);
  }

  private keyFor(secret: string, salt: Buffer): Buffer {
    if (secret === this.secret && salt.equals(this.salt)) return this.key;
    const id = `${secret === this.secret ? 'new' : 'old'}:${salt.toString('base64')}`;
    let key = this.opened.get(id);
    if (!key) this.opened.set(id, (key = this.derive(secret, salt)));
    return key;
  }

  private derive(secret: string, salt: Buffer): Buffer {
    return pbkdf2Sync(Buffer.from(secret, 'utf8'), salt, ITERATIONS, KEY_BYTES, 'sha512');
  }
}
