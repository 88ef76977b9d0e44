// SASL/PLAIN (RFC 4616): one message, authzid NUL authcid NUL password. Sent in clear, so links use
// it over TLS (SASL_SSL), as Confluent Cloud's API keys are.
import type { SaslExchange, SaslMechanism } from './mechanism.js';

export class PlainMechanism implements SaslMechanism {
  readonly name = 'PLAIN';

  constructor(private readonly username: string, private readonly password: string) {}

  async begin(): Promise<SaslExchange> {
    let sent = false;
    return {
      respond: () => {
        if (sent) return null;
        sent = true;
        return Buffer.from(`\0${this.username}\0${this.password}`, 'utf8');
      },
    };
  }
}
