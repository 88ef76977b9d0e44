// A SASL mechanism as outpost's client speaks it: a fresh exchange per authentication (the first
// one and every re-authentication), each answering the server's challenges in turn.

export interface SaslExchange {
  /**
   * The next message for the server, given its last one (null before the first); null once the
   * exchange is complete. Throws when the server's message is wrong (a bad SCRAM signature).
   */
  respond(challenge: Buffer | null): Buffer | null;
}

export interface SaslMechanism {
  /** the mechanism's name, as SaslHandshake sends it */
  readonly name: string;
  /** Starts an exchange; may first fetch what it needs (an OAuth token). */
  begin(): Promise<SaslExchange>;
}

/** Authentication failed: wrong credentials, an unsupported mechanism, a bad answer from the server. */
export class SaslAuthenticationError extends Error {}
