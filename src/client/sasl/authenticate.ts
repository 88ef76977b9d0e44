// SASL authentication of a Kafka connection, as KIP-152 frames it: SaslHandshake names the
// mechanism, then SaslAuthenticate requests carry the mechanism's messages until it is done. The
// last answer may give a session lifetime (KIP-368), before whose end the connection must
// authenticate again.
import { errorName } from '../../../protocol/errors.js';
import type { ApiMessages, ApiName } from '../../../protocol/messages/messages.js';
import type { Decoded } from '../../../protocol/messages/types.js';
import { SaslAuthenticationError, type SaslMechanism } from './mechanism.js';

export interface SaslTransport {
  /** the highest version both sides speak, or undefined */
  version(name: ApiName): number | undefined;
  send<N extends ApiName>(name: N, version: number, body: ApiMessages[N]['request']): Promise<Decoded<ApiMessages[N]['response']>>;
}

/** Authenticates; resolves with the session lifetime in ms the server gave (0: none). */
export async function authenticate(conn: SaslTransport, mechanism: SaslMechanism, where: string): Promise<number> {
  const hv = conn.version('SaslHandshake');
  const av = conn.version('SaslAuthenticate');
  if (hv === undefined || hv < 1 || av === undefined) throw new SaslAuthenticationError(`${where} does not speak SASL authentication (SaslHandshake v1 and SaslAuthenticate): is it a SASL listener?`);
  const hs = await conn.send('SaslHandshake', hv, { mechanism: mechanism.name });
  if (hs.errorCode !== 0) {
    const error = errorName(hs.errorCode);
    if (error === 'UNSUPPORTED_SASL_MECHANISM') {
      throw new SaslAuthenticationError(`SASL authentication with ${mechanism.name} to ${where} failed: the listener does not enable ${mechanism.name}; it enables ${hs.mechanisms.join(', ') || 'none'}`);
    }
    throw new SaslAuthenticationError(`SASL authentication with ${mechanism.name} to ${where} failed: SaslHandshake: ${error}`);
  }
  const exchange = await mechanism.begin();
  let message = exchange.respond(null);
  let lifetime = 0;
  while (message !== null) {
    const res = await conn.send('SaslAuthenticate', av, { authBytes: message });
    if (res.errorCode !== 0) {
      throw new SaslAuthenticationError(`SASL authentication with ${mechanism.name} to ${where} failed: ${res.errorMessage ?? errorName(res.errorCode)}`);
    }
    lifetime = Number(res.sessionLifetimeMs ?? 0);
    try {
      message = exchange.respond(res.authBytes);
    } catch (e) {
      throw new SaslAuthenticationError(`SASL authentication with ${mechanism.name} to ${where} failed: ${(e as Error).message}`);
    }
  }
  return lifetime;
}
