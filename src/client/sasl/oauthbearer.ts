// SASL/OAUTHBEARER (RFC 7628) as Kafka's client speaks it: the client's first message carries a
// bearer token (and any SASL extensions); an error challenge is answered with ^A so that the
// server ends the exchange with its reason. Tokens come from the OAuth server's token endpoint with
// the client-credentials grant (as Kafka's OAuthBearerLoginCallbackHandler gets them), kept until
// sasl.login.refresh.window.factor of their lifetime has passed, or are made here unsigned from
// the JAAS unsecuredLogin* options, as Kafka's default login handler makes them for tests.
import { decodeJwt } from 'jose';
import type { OAuthTokenSource } from '../../common/client-security.js';
import { SaslAuthenticationError, type SaslExchange, type SaslMechanism } from './mechanism.js';

interface Token {
  value: string;
  /** when to get a new one, ms since the epoch */
  refreshAt: number;
}

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');

export class OAuthBearerMechanism implements SaslMechanism {
  readonly name = 'OAUTHBEARER';
  private token: Token | null = null;
  private fetching: Promise<Token> | null = null;

  constructor(private readonly source: OAuthTokenSource, private readonly extensions: Record<string, string>, private readonly now: () => number = Date.now) {}

  async begin(): Promise<SaslExchange> {
    const token = await this.currentToken();
    let step = 0;
    const ext = Object.entries(this.extensions).map(([k, v]) => `${k}=${v}\x01`).join('');
    return {
      respond: (challenge) => {
        switch (step++) {
          case 0:
            return Buffer.from(`n,,\x01auth=Bearer ${token}\x01${ext}\x01`, 'utf8');
          case 1:
            // A challenge is the server's error (RFC 7628 3.2.2): ^A asks it to fail with its reason.
            return challenge !== null && challenge.length > 0 ? Buffer.from([1]) : null;
          default:
            return null;
        }
      },
    };
  }

  private async currentToken(): Promise<string> {
    if (this.token && this.now() < this.token.refreshAt) return this.token.value;
    this.fetching ??= this.newToken().finally(() => (this.fetching = null));
    this.token = await this.fetching;
    return this.token.value;
  }

  private async newToken(): Promise<Token> {
    const s = this.source;
    const nowMs = this.now();
    if (s.kind === 'unsecured') {
      const iat = Math.floor(nowMs / 1000);
      const value = `${b64url({ alg: 'none' })}.${b64url({ ...s.claims, iat, exp: iat + s.lifetimeSeconds })}.`;
      return { value, refreshAt: nowMs + s.lifetimeSeconds * 800 };
    }
    const enc = (x: string) => (s.urlencodeHeader ? encodeURIComponent(x) : x);
    const form = new URLSearchParams({ grant_type: 'client_credentials', ...(s.scope !== null ? { scope: s.scope } : {}) });
    let res: Response;
    try {
      res = await fetch(s.url, {
        method: 'POST',
        headers: {
          'Authorization': `Basic ${Buffer.from(`${enc(s.clientId)}:${enc(s.clientSecret)}`, 'utf8').toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
          'Accept': 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(s.timeoutMs),
      });
    } catch (e) {
      throw new SaslAuthenticationError(`OAUTHBEARER: the token endpoint ${s.url} cannot be reached: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      // The OAuth server's error code (RFC 6749 5.2) says what is wrong; its body may say more.
      let error = '';
      try {
        const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
        error = [body.error, body.error_description].filter((x) => typeof x === 'string').join(': ');
      } catch {
        // not JSON: the status says enough
      }
      throw new SaslAuthenticationError(`OAUTHBEARER: the token endpoint ${s.url} answered HTTP ${res.status}${error ? ` (${error})` : ''}`);
    }
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text);
    } catch {
      throw new SaslAuthenticationError(`OAUTHBEARER: the token endpoint ${s.url} did not answer JSON`);
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') throw new SaslAuthenticationError(`OAUTHBEARER: the token endpoint ${s.url} gave no access_token`);
    const value = body.access_token;
    let expiresAt: number;
    let issuedAt = nowMs;
    try {
      const claims = decodeJwt(value);
      if (typeof claims.exp !== 'number') throw new Error('no exp claim');
      expiresAt = claims.exp * 1000;
      if (typeof claims.iat === 'number') issuedAt = claims.iat * 1000;
    } catch (e) {
      // Kafka's client takes only JWTs whose expiry it can read; so does outpost.
      throw new SaslAuthenticationError(`OAUTHBEARER: the access token from ${s.url} is not a JWT with an expiry (${(e as Error).message})`);
    }
    if (expiresAt <= nowMs) throw new SaslAuthenticationError(`OAUTHBEARER: the access token from ${s.url} has already expired`);
    return { value, refreshAt: issuedAt + (expiresAt - issuedAt) * s.refreshWindowFactor };
  }
}
