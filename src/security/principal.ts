// Who a client is, as Kafka names it: "User:<name>". Without authentication, User:ANONYMOUS; over
// SASL, the authorization id; over TLS with a client certificate, the certificate's subject as an
// RFC 2253 distinguished name, shaped by ssl.principal.mapping.rules (Kafka's syntax:
// RULE:pattern/replacement/[LU], ..., DEFAULT; the first rule whose pattern matches the whole name
// applies, and a name no rule matches fails the connection).
import type { X509Certificate } from 'node:crypto';

export const ANONYMOUS = 'User:ANONYMOUS';

export const userPrincipal = (name: string) => `User:${name}`;

/**
 * A certificate's subject as Java's X500Principal.getName() writes it (RFC 2253): the most
 * specific part first. Node gives the parts in certificate order, one per line, already escaped.
 */
export function distinguishedName(cert: X509Certificate): string {
  return cert.subject.split('\n').filter((s) => s !== '').reverse().join(',');
}

interface Rule {
  pattern: RegExp | null; // null: DEFAULT
  replacement: string;
  lower: boolean;
  upper: boolean;
}

// Kafka's rule grammar: DEFAULT, or RULE:pattern/replacement/ with an optional L or U.
const RULE = /^(?:(DEFAULT)|RULE:((?:\\.|[^\\/])*)\/((?:\\.|[^\\/])*)\/([LU]?))$/;

/** Splits the rules at commas between rules (a comma inside a pattern is not a separator). */
function splitRules(text: string): string[] {
  const out: string[] = [];
  let rest = text.trim();
  const one = /^\s*(DEFAULT|RULE:(?:\\.|[^\\/])*\/(?:\\.|[^\\/])*\/[LU]?)\s*(?:,\s*|$)/;
  while (rest !== '') {
    const m = one.exec(rest);
    if (!m) throw new Error(`ssl.principal.mapping.rules: invalid rule: ${rest.split(',')[0]}`);
    out.push(m[1]!);
    rest = rest.slice(m[0].length);
  }
  return out;
}

/** Java's $n back references in replacements; a group the pattern does not have stays literal. */
function javaReplacement(replacement: string, groups: number): string {
  return replacement.replace(/\$(\d+)/g, (whole, n: string) => (Number(n) <= groups ? `$${n}` : `$$${n}`)).replace(/\\(.)/g, '$1');
}

export class PrincipalMapper {
  private readonly rules: Rule[];

  constructor(text: string) {
    this.rules = splitRules(text).map((r) => {
      const m = RULE.exec(r)!;
      if (m[1]) return { pattern: null, replacement: '', lower: false, upper: false };
      let pattern: RegExp;
      try {
        pattern = new RegExp(`^(?:${m[2]})$`);
      } catch (e) {
        throw new Error(`ssl.principal.mapping.rules: ${r}: ${(e as Error).message}`);
      }
      return { pattern, replacement: m[3]!, lower: m[4] === 'L', upper: m[4] === 'U' };
    });
  }

  /** The principal name of a distinguished name; throws when no rule applies. */
  name(dn: string): string {
    for (const r of this.rules) {
      if (!r.pattern) return dn;
      const m = r.pattern.exec(dn);
      if (!m) continue;
      const groups = m.length - 1;
      const out = dn.replace(r.pattern, javaReplacement(r.replacement, groups));
      return r.lower ? out.toLowerCase() : r.upper ? out.toUpperCase() : out;
    }
    throw new Error(`No rules apply to ${dn}`);
  }
}
