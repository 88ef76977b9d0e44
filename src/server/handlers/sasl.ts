// SaslHandshake and SaslAuthenticate: the connection's session (src/security/session.ts) does the
// work; on a listener without SASL both are answered ILLEGAL_SASL_STATE, as Kafka answers them.
import { errorCode } from '../../../protocol/errors.js';
import { defineHandler } from './handler.js';

// v0 (SASL tokens sent bare, without SaslAuthenticate) is left out: every current client uses v1.
export const saslHandshake = defineHandler('SaslHandshake', [1, 1], (_b, req, ctx) => {
  const answer = ctx.session.handshake(req.mechanism);
  return { errorCode: errorCode(answer.error), mechanisms: answer.mechanisms };
});

export const saslAuthenticate = defineHandler('SaslAuthenticate', [0, 2], async (_b, req, ctx) => {
  const answer = await ctx.session.authenticate(req.authBytes, ctx.version);
  return { errorCode: errorCode(answer.error), errorMessage: answer.message, authBytes: answer.authBytes, sessionLifetimeMs: answer.sessionLifetimeMs };
});
