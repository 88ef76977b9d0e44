// A SASL mechanism as outpost's listeners serve it: a fresh exchange per authentication (and per
// re-authentication), fed the client's messages in turn until it is complete or fails.

export interface ServerExchange {
  /** The answer to the client's next message; throws AuthenticationFailure. */
  evaluate(response: Buffer): Promise<Buffer> | Buffer;
  /** set once the client is authenticated */
  readonly complete: boolean;
  /** who the client authenticated as (after completion) */
  readonly authorizationId: string;
  /** when the credential itself expires (an OAuth token), ms since the epoch; null if never */
  readonly credentialExpiresAt: number | null;
}

/**
 * A failed authentication. `toClient` is what the client is told, as Kafka tells it (its
 * SaslAuthenticationException messages); null for Kafka's generic "invalid credentials" answer,
 * which says nothing about whether the user exists. `detail` goes to the log, never a secret.
 */
export class AuthenticationFailure extends Error {
  constructor(readonly toClient: string | null, detail: string = toClient ?? 'authentication failed') {
    super(detail);
  }
}
