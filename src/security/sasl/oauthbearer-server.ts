// SASL/OAUTHBEARER's server side (RFC 7628), as Kafka's OAuthBearerSaslServer with its JWT
// validator: the client's bearer token must be a JWT signed by a key of the JWKS (fetched from
// sasl.oauthbearer.jwks.endpoint.url and cached, or read from a file), not expired, with the
// expected audience and issuer if configured; the principal is its sub claim (or the one
// configured). A bad token is answered with RFC 7628's JSON error, and the exchange then fails.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { OAuthValidation } from '../../config/listeners.js';
import { AuthenticationFailure, type ServerExchange } from './server-mechanism.js';

const INITIAL = /^n,(?:a=([^,]*))?,\x01((?:[A-Za-z]+=[^\x01]*\x01)*)\x01$/s;
const INVALID_TOKEN = '{"status":"invalid_token"}';

/** The keys tokens are checked against: a remote JWKS (cached) or a file's, read once. */
export async function jwksKeys(v: OAuthValidation): Promise<JWTVerifyGetKey> {
  const src = v.jwksSource;
  if (/^https?:\/\//.test(src)) return createRemoteJWKSet(new URL(src), { cacheMaxAge: v.refreshMs, cooldownDuration: Math.min(30_000, v.refreshMs) });
  const path = src.startsWith('file:') ? fileURLToPath(src) : src;
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`sasl.oauthbearer.jwks.endpoint.url ${path} cannot be read as a JWKS: ${(e as Error).message}`);
  }
  return createLocalJWKSet(doc as Parameters<typeof createLocalJWKSet>[0]);
}

export function oauthBearerExchange(v: OAuthValidation, keys: JWTVerifyGetKey): ServerExchange {
  let principal = '';
  let expiresAt: number | null = null;
  let done = false;
  let failure: string | null = null;
  return {
    get complete() {
      return done;
    },
    get authorizationId() {
      return principal;
    },
    get credentialExpiresAt() {
      return expiresAt;
    },
    async evaluate(response) {
      // ^A after our error: the client asks the exchange to end with the reason.
      if (response.length === 1 && response[0] === 1 && failure !== null) throw new AuthenticationFailure(INVALID_TOKEN, `OAUTHBEARER: ${failure}`);
      const m = INITIAL.exec(response.toString('utf8'));
      if (!m) throw new AuthenticationFailure(null, 'OAUTHBEARER: malformed client message');
      const pairs = new Map(m[2]!.split('\x01').filter((s) => s !== '').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      const auth = /^Bearer (.+)$/.exec(pairs.get('auth') ?? '');
      if (!auth) throw new AuthenticationFailure(null, 'OAUTHBEARER: no bearer token in the client message');
      try {
        const { payload } = await jwtVerify(auth[1]!, keys, {
          ...(v.audience ? { audience: v.audience } : {}),
          ...(v.issuer ? { issuer: v.issuer } : {}),
          clockTolerance: v.clockSkewSeconds,
          requiredClaims: ['exp', v.subClaim],
        });
        const sub = payload[v.subClaim];
        if (typeof sub !== 'string' || sub === '') throw new Error(`the ${v.subClaim} claim is not a non-empty string`);
        const authzid = m[1] ?? '';
        if (authzid !== '' && authzid !== sub) {
          throw new AuthenticationFailure(`Authentication failed: Client requested an authorization id (${authzid}) that is different from the token's principal name (${sub})`);
        }
        principal = sub;
        expiresAt = (payload.exp as number) * 1000;
        done = true;
        return Buffer.alloc(0);
      } catch (e) {
        if (e instanceof AuthenticationFailure) throw e;
        failure = e instanceof errors.JOSEError ? `${e.code}: ${e.message}` : (e as Error).message;
        return Buffer.from(INVALID_TOKEN, 'utf8');
      }
    },
  };
}
