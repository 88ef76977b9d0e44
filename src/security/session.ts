// A connection's authentication, as Kafka's SaslServerAuthenticator keeps it: on a SASL listener
// only ApiVersions and SaslHandshake are served until a mechanism is chosen, then only
// SaslAuthenticate until the exchange completes; anything else closes the connection. Once
// authenticated, a client that spoke SaslAuthenticate v1+ may re-authenticate (KIP-368) with
// the same mechanism as the same principal, and must before its session expires when
// connections.max.reauth.ms (or its credential) sets a lifetime.
import { api } from '../../protocol/apis.js';
import type { SaslMechanismName } from '../common/client-security.js';
import type { ListenerSasl } from '../config/listeners.js';
import { userPrincipal } from './principal.js';
import { oauthBearerExchange } from './sasl/oauthbearer-server.js';
import { PlainExchange } from './sasl/plain-server.js';
import { ScramExchange } from './sasl/scram-server.js';
import { AuthenticationFailure, type ServerExchange } from './sasl/server-mechanism.js';
import type { ScramCredentialStore } from './scram-credentials.js';
import type { JWTVerifyGetKey } from 'jose';

const API_VERSIONS = api('ApiVersions').key;
export const SASL_HANDSHAKE = api('SaslHandshake').key;
const SASL_AUTHENTICATE = api('SaslAuthenticate').key;

/** What a listener's sessions share: its SASL settings and where credentials come from. */
export interface SaslServices {
  sasl: ListenerSasl;
  scram: ScramCredentialStore;
  /** the OAuth keys, when OAUTHBEARER is enabled */
  oauthKeys: JWTVerifyGetKey | null;
  now: () => number;
}

type State = 'handshake' | 'authenticate' | 'authenticated';

export interface HandshakeAnswer {
  error: 'NONE' | 'UNSUPPORTED_SASL_MECHANISM' | 'ILLEGAL_SASL_STATE';
  mechanisms: string[];
}

export interface AuthenticateAnswer {
  error: 'NONE' | 'SASL_AUTHENTICATION_FAILED' | 'ILLEGAL_SASL_STATE';
  message: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: number;
}

export class ConnectionSession {
  /** "User:<name>" */
  principal: string;
  /** set when the connection must close once its answer is sent (a failed authentication) */
  failed: string | null = null;
  private state: State;
  private mechanism: SaslMechanismName | null = null;
  private exchange: ServerExchange | null = null;
  private reauthenticating = false;
  /** the mechanism a re-authentication asked for, when it is not the session's */
  private badReauthMechanism: string | null = null;
  private clientSupportsReauth = false;
  /** when the session ends, ms since the epoch; null: never */
  private expiresAt: number | null = null;

  /** `principal`: the TLS certificate's (or ANONYMOUS); `sasl`: the listener's, when it is a SASL one. */
  constructor(principal: string, private readonly sasl: SaslServices | null) {
    this.principal = principal;
    this.state = sasl ? 'handshake' : 'authenticated';
  }

  get authenticated(): boolean {
    return this.state === 'authenticated';
  }

  get usesSasl(): boolean {
    return this.sasl !== null;
  }

  /** Whether a request of this API may be served now; if not, the connection is closed. */
  admits(apiKey: number): boolean {
    switch (this.state) {
      case 'handshake':
        return apiKey === API_VERSIONS || apiKey === SASL_HANDSHAKE;
      case 'authenticate':
        return apiKey === SASL_AUTHENTICATE;
      default:
        return true;
    }
  }

  /** Whether the session has outlived its lifetime (a request other than a re-authentication then closes it). */
  expired(): boolean {
    return this.state === 'authenticated' && this.expiresAt !== null && this.sasl!.now() > this.expiresAt;
  }

  handshake(mechanism: string): HandshakeAnswer {
    const sasl = this.sasl;
    if (!sasl) return { error: 'ILLEGAL_SASL_STATE', mechanisms: [] };
    const enabled = sasl.sasl.mechanisms;
    if (this.state === 'authenticated') {
      // Kafka re-authenticates only a client that has shown it can (SaslAuthenticate v1+).
      if (!this.clientSupportsReauth) return { error: 'ILLEGAL_SASL_STATE', mechanisms: enabled };
      this.reauthenticating = true;
      this.badReauthMechanism = mechanism === this.mechanism ? null : mechanism;
    }
    if (!enabled.includes(mechanism as SaslMechanismName)) {
      this.failed = `the client asked for the SASL mechanism ${mechanism}, which this listener does not enable (${enabled.join(', ')})`;
      return { error: 'UNSUPPORTED_SASL_MECHANISM', mechanisms: enabled };
    }
    this.mechanism = mechanism as SaslMechanismName;
    this.exchange = this.badReauthMechanism === null ? this.newExchange(this.mechanism) : null;
    this.state = 'authenticate';
    return { error: 'NONE', mechanisms: enabled };
  }

  private newExchange(mechanism: SaslMechanismName): ServerExchange {
    const s = this.sasl!;
    switch (mechanism) {
      case 'PLAIN':
        return new PlainExchange(s.sasl.plainUsers);
      case 'SCRAM-SHA-256':
      case 'SCRAM-SHA-512':
        return new ScramExchange(mechanism, (user) => s.scram.get(user, mechanism));
      case 'OAUTHBEARER':
        return oauthBearerExchange(s.sasl.oauth!, s.oauthKeys!);
    }
  }

  async authenticate(authBytes: Buffer, version: number): Promise<AuthenticateAnswer> {
    const none = Buffer.alloc(0);
    if (this.state !== 'authenticate') {
      return { error: 'ILLEGAL_SASL_STATE', message: 'SaslAuthenticate request received after successful authentication', authBytes: none, sessionLifetimeMs: 0 };
    }
    if (version > 0) this.clientSupportsReauth = true;
    const what = this.reauthenticating ? 're-authentication' : 'authentication';
    try {
      if (this.badReauthMechanism !== null) {
        throw new AuthenticationFailure(`SASL mechanism '${this.badReauthMechanism}' requested by client is not supported for re-authentication of mechanism '${this.mechanism}'`);
      }
      const exchange = this.exchange!;
      const answer = await exchange.evaluate(authBytes);
      if (!exchange.complete) return { error: 'NONE', message: null, authBytes: answer, sessionLifetimeMs: 0 };
      const principal = userPrincipal(exchange.authorizationId);
      if (this.reauthenticating && principal !== this.principal) {
        throw new AuthenticationFailure(`Cannot change principals during re-authentication from ${this.principal.replace(':', '.')}: ${principal.replace(':', '.')}`);
      }
      this.principal = principal;
      this.state = 'authenticated';
      this.reauthenticating = false;
      const lifetime = this.sessionLifetime(exchange.credentialExpiresAt);
      this.expiresAt = lifetime > 0 ? this.sasl!.now() + lifetime : null;
      return { error: 'NONE', message: null, authBytes: answer, sessionLifetimeMs: lifetime };
    } catch (e) {
      if (!(e instanceof AuthenticationFailure)) throw e;
      const message = e.toClient ?? `Authentication failed during ${what} due to invalid credentials with SASL mechanism ${this.mechanism}`;
      this.failed = `${what} with ${this.mechanism} failed: ${e.message}`;
      return { error: 'SASL_AUTHENTICATION_FAILED', message, authBytes: none, sessionLifetimeMs: 0 };
    }
  }

  /** Kafka's rule: the smaller of connections.max.reauth.ms and the credential's remaining life. */
  private sessionLifetime(credentialExpiresAt: number | null): number {
    const max = this.sasl!.sasl.maxReauthMs;
    const left = credentialExpiresAt === null ? null : Math.max(0, credentialExpiresAt - this.sasl!.now());
    if (left === null) return max > 0 ? max : 0;
    return max > 0 ? Math.min(left, max) : left;
  }
}

