// The admin listener's security: HTTPS from the same ssl.* settings as the Kafka listeners, under
// the `admin.` prefix (admin.ssl.keystore.location, ...), and HTTP Basic authentication against the
// broker's users (admin.authentication.method=BASIC). A listener reachable beyond this machine
// without authentication is refused unless admin.authentication.method=NONE says so explicitly.
import { isIP } from 'node:net';
import type { SslSettings } from '../common/client-security.js';
import { brokerConfigKey } from './broker-configs.js';
import { checkConfigValue } from './config-def.js';
import type { HostPort } from './host-port.js';
import { resolveSslConfigs } from './link-configs.js';

export interface AdminSecurity {
  /** HTTPS when set: the keystore is the listener's certificate */
  ssl: SslSettings | null;
  basicAuth: boolean;
}

const PREFIX = 'admin.';
/** The ssl.* settings the admin listener takes under admin. */
const ADMIN_SSL = new Set([
  'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.password', 'ssl.key.password', 'ssl.keystore.key', 'ssl.keystore.certificate.chain',
  'ssl.enabled.protocols', 'ssl.cipher.suites',
]);
const METHODS = ['NONE', 'BASIC'];

/** Checks one admin.* setting; what is wrong, or null (undefined: not an admin setting). */
export function checkAdminConfig(name: string, text: string): string | null | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  const rest = name.slice(PREFIX.length);
  if (rest === 'authentication.method') return METHODS.includes(text.toUpperCase()) ? null : `invalid value: expected ${METHODS.join(' or ')}`;
  if (!ADMIN_SSL.has(rest)) return `not an admin listener setting (those: admin.authentication.method, ${[...ADMIN_SSL].map((n) => PREFIX + n).join(', ')})`;
  const checked = checkConfigValue(brokerConfigKey(rest)!, text);
  return 'problem' in checked ? `invalid value: ${checked.problem.reason}` : null;
}

/** Whether an admin setting holds a secret. */
export function isSensitiveAdminConfig(name: string): boolean {
  return name.startsWith(PREFIX) && brokerConfigKey(name.slice(PREFIX.length))?.type === 'PASSWORD';
}

const isLoopback = (host: string) => host === 'localhost' || (isIP(host) !== 0 && (host.startsWith('127.') || host === '::1'));

/** What the admin listener's settings come to; throws naming the setting at fault. */
export function resolveAdminSecurity(configs: Readonly<Record<string, string>>, admin: HostPort): AdminSecurity {
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(configs)) if (k.startsWith(`${PREFIX}ssl.`)) own[k.slice(PREFIX.length)] = v;
  let ssl: SslSettings | null = null;
  if (Object.keys(own).length > 0) {
    try {
      ssl = resolveSslConfigs(own);
    } catch (e) {
      throw new Error(`admin listener: ${(e as Error).message.replace(/\bssl\./g, 'admin.ssl.')}`);
    }
    if (!ssl.keystore && !ssl.inlineKey) throw new Error('admin listener: HTTPS needs its certificate: set admin.ssl.keystore.location (or admin.ssl.keystore.key and admin.ssl.keystore.certificate.chain)');
  }
  const method = configs['admin.authentication.method']?.toUpperCase();
  if (method === undefined && !isLoopback(admin.host)) {
    throw new Error(`the admin listener ${admin.host}:${admin.port} would be reachable beyond this machine without authentication: set admin.authentication.method=BASIC (or NONE, to allow it explicitly)`);
  }
  return { ssl, basicAuth: method === 'BASIC' };
}
