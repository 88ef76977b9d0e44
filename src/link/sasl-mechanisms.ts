// The SASL mechanism a link's settings name, made from outpost's client mechanisms.
import type { SaslSettings } from '../common/client-security.js';
import type { SaslMechanism } from '../client/sasl/mechanism.js';
import { OAuthBearerMechanism } from '../client/sasl/oauthbearer.js';
import { PlainMechanism } from '../client/sasl/plain.js';
import { ScramMechanism } from '../client/sasl/scram.js';

export function saslMechanism(s: SaslSettings): SaslMechanism {
  switch (s.mechanism) {
    case 'PLAIN':
      return new PlainMechanism(s.username, s.password);
    case 'SCRAM-SHA-256':
      return new ScramMechanism(256, s.username, s.password);
    case 'SCRAM-SHA-512':
      return new ScramMechanism(512, s.username, s.password);
    case 'OAUTHBEARER':
      return new OAuthBearerMechanism(s.token, s.extensions);
  }
}
