// The broker's listeners as Kafka names them: `listeners` (NAME://host:port,...), their
// `advertised.listeners`, `listener.security.protocol.map`, and the settings each listener takes
// under the `listener.name.<name>.` prefix, falling back to the unprefixed broker config. What a
// listener's TLS and SASL settings come to is resolved here, so that a bad one stops start-up with
// the config at fault named (never its value).
import { hostname } from 'node:os';
import type { SaslMechanismName, SecurityProtocol, SslSettings } from '../common/client-security.js';
import { brokerConfigKey } from './broker-configs.js';
import { checkConfigValue, toSafeNumber, type ConfigValue } from './config-def.js';
import type { HostPort } from './host-port.js';
import { parseJaasConfig } from './jaas.js';
import { resolveSslConfigs } from './link-configs.js';

export interface ListenerSpec {
  /** upper case, as Kafka normalises listener names */
  name: string;
  protocol: SecurityProtocol;
  /** host '' binds every interface */
  bind: HostPort;
  /** what Metadata tells clients of this listener; port 0 stands for the port bound */
  advertised: HostPort;
}

export type ClientAuth = 'none' | 'requested' | 'required';

export interface ListenerSsl {
  /** the keystore is the listener's certificate; the truststore checks client certificates */
  settings: SslSettings;
  clientAuth: ClientAuth;
  /** ssl.principal.mapping.rules, as written */
  principalMappingRules: string;
}

export interface OAuthValidation {
  /** a URL (http, https) or a file path (file: URL or plain path) holding the JWKS */
  jwksSource: string;
  audience: string[] | null;
  issuer: string | null;
  subClaim: string;
  scopeClaim: string;
  clockSkewSeconds: number;
  refreshMs: number;
}

export interface ListenerSasl {
  mechanisms: SaslMechanismName[];
  /** PLAIN's users and passwords, from the PlainLoginModule's user_<name> options */
  plainUsers: ReadonlyMap<string, string>;
  oauth: OAuthValidation | null;
  /** connections.max.reauth.ms; 0: sessions do not expire */
  maxReauthMs: number;
  /** sasl.server.max.receive.size: the largest frame read before authentication */
  maxReceiveBytes: number;
}

export interface ListenerSecurity {
  ssl: ListenerSsl | null;
  sasl: ListenerSasl | null;
  /** connection.failed.authentication.delay.ms */
  failedAuthenticationDelayMs: number;
}

const PROTOCOLS: SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS: SaslMechanismName[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];
const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';

/** The broker configs a listener may override with listener.name.<name>.<config>. */
export const LISTENER_SCOPED_CONFIGS: ReadonlySet<string> = new Set([
  'ssl.protocol', 'ssl.enabled.protocols', 'ssl.cipher.suites', 'ssl.endpoint.identification.algorithm',
  'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.password', 'ssl.key.password', 'ssl.keystore.key', 'ssl.keystore.certificate.chain',
  'ssl.truststore.type', 'ssl.truststore.location', 'ssl.truststore.password', 'ssl.truststore.certificates',
  'ssl.client.auth', 'ssl.principal.mapping.rules',
  'sasl.enabled.mechanisms', 'sasl.server.max.receive.size', 'connections.max.reauth.ms',
  'sasl.oauthbearer.jwks.endpoint.url', 'sasl.oauthbearer.expected.audience', 'sasl.oauthbearer.expected.issuer',
  'sasl.oauthbearer.sub.claim.name', 'sasl.oauthbearer.scope.claim.name', 'sasl.oauthbearer.clock.skew.buffer.seconds',
  'sasl.oauthbearer.jwks.endpoint.refresh.ms',
]);

/**
 * A listener's certificate and trust settings, which AlterConfigs may set on this broker's id at
 * run time (Kafka's per-broker dynamic SSL configs) to rotate certificates without a restart.
 */
const RELOADABLE_CONFIGS: ReadonlySet<string> = new Set([
  'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.password', 'ssl.key.password', 'ssl.keystore.key', 'ssl.keystore.certificate.chain',
  'ssl.truststore.type', 'ssl.truststore.location', 'ssl.truststore.password', 'ssl.truststore.certificates',
]);

export function isReloadableListenerConfig(name: string): boolean {
  const split = splitListenerConfig(name);
  return split !== null && split.mechanism === undefined && RELOADABLE_CONFIGS.has(split.config);
}

/** Kafka's prefix of a listener's own configs: the name in lower case. */
export function listenerPrefix(listenerName: string): string {
  return `listener.name.${listenerName.toLowerCase()}.`;
}

/**
 * What a listener-prefixed name means: the listener and the config it overrides, or, for
 * listener.name.<l>.<mechanism>.sasl.jaas.config, the mechanism the JAAS entry is for.
 */
export function splitListenerConfig(name: string): { listener: string; config: string; mechanism?: string } | null {
  const m = /^listener\.name\.([^.]+)\.(.+)$/.exec(name);
  if (!m) return null;
  const [, listener, rest] = m;
  const jaas = /^([a-z0-9-]+)\.sasl\.jaas\.config$/.exec(rest!);
  if (jaas) return { listener: listener!, config: 'sasl.jaas.config', mechanism: jaas[1]!.toUpperCase() };
  return { listener: listener!, config: rest! };
}

/** A broker config's raw value (set, else its default). */
function raw(configs: Readonly<Record<string, string>>, name: string): string | null {
  return configs[name] ?? brokerConfigKey(name)?.default ?? null;
}

function parsed(name: string, text: string | null): ConfigValue | null {
  if (text === null) return null;
  const checked = checkConfigValue(brokerConfigKey(name)!, text);
  if ('problem' in checked) throw new Error(`${name}: ${checked.problem.reason}`);
  return checked.value;
}

function parseEndpoints(config: string, text: string): { name: string; hp: HostPort }[] {
  const out: { name: string; hp: HostPort }[] = [];
  for (const entry of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([A-Za-z0-9_]+):\/\/(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]*)):(\d{1,5})$/.exec(entry);
    if (!m || Number(m[4]) > 65535) throw new Error(`${config}: ${JSON.stringify(entry)} is not NAME://host:port`);
    const name = m[1]!.toUpperCase();
    if (out.some((e) => e.name === name)) throw new Error(`${config}: the listener name ${name} is given twice`);
    out.push({ name, hp: { host: m[2] ?? m[3] ?? '', port: Number(m[4]) } });
  }
  return out;
}

function protocolMap(text: string): Map<string, SecurityProtocol> {
  const out = new Map<string, SecurityProtocol>();
  for (const entry of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [name, protocol] = entry.split(':').map((s) => s.trim().toUpperCase());
    if (!name || !protocol || !PROTOCOLS.includes(protocol as SecurityProtocol)) {
      throw new Error(`listener.security.protocol.map: ${JSON.stringify(entry)} is not NAME:PROTOCOL with a protocol of ${PROTOCOLS.join(', ')}`);
    }
    out.set(name, protocol as SecurityProtocol);
  }
  return out;
}

/** The listeners of `listeners`, `advertised.listeners` and `listener.security.protocol.map`. */
export function parseListeners(configs: Readonly<Record<string, string>>): ListenerSpec[] {
  const bound = parseEndpoints('listeners', raw(configs, 'listeners') ?? '');
  if (bound.length === 0) throw new Error('listeners: at least one listener is needed');
  const ports = new Set<number>();
  for (const b of bound) {
    if (b.hp.port !== 0 && ports.has(b.hp.port)) throw new Error(`listeners: port ${b.hp.port} is given to two listeners`);
    ports.add(b.hp.port);
  }
  const protocols = protocolMap(raw(configs, 'listener.security.protocol.map') ?? '');
  const advertisedText = raw(configs, 'advertised.listeners');
  const advertised = advertisedText === null ? [] : parseEndpoints('advertised.listeners', advertisedText);
  for (const a of advertised) {
    if (!bound.some((b) => b.name === a.name)) throw new Error(`advertised.listeners: ${a.name} is not one of the listeners (${bound.map((b) => b.name).join(', ')})`);
  }
  return bound.map((b) => {
    const protocol = protocols.get(b.name);
    if (!protocol) throw new Error(`listeners: no security protocol for the listener ${b.name}: name it in listener.security.protocol.map`);
    const adv = advertised.find((a) => a.name === b.name)?.hp ?? { host: b.hp.host === '' ? hostname() : b.hp.host, port: b.hp.port };
    if (adv.host === '0.0.0.0' || adv.host === '::') {
      throw new Error(`advertised.listeners: ${b.name} would advertise the non-routable address ${adv.host}: give a routable host in advertised.listeners`);
    }
    return { name: b.name, protocol, bind: b.hp, advertised: adv };
  });
}

/** A listener's view of the broker configs: its listener.name.<name>.* overrides over the rest. */
export function listenerConfigs(configs: Readonly<Record<string, string>>, listenerName: string): Record<string, string> {
  const prefix = listenerPrefix(listenerName);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(configs)) if (!k.startsWith('listener.name.')) out[k] = v;
  for (const [k, v] of Object.entries(configs)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** What a listener's TLS and SASL come to; throws naming the config at fault. */
export function resolveListenerSecurity(configs: Readonly<Record<string, string>>, spec: ListenerSpec): ListenerSecurity {
  const own = listenerConfigs(configs, spec.name);
  const where = (what: string) => `listener ${spec.name}: ${what}`;
  try {
    const tls = spec.protocol === 'SSL' || spec.protocol === 'SASL_SSL';
    const sasl = spec.protocol === 'SASL_PLAINTEXT' || spec.protocol === 'SASL_SSL';
    return {
      ssl: tls ? listenerSsl(own) : null,
      sasl: sasl ? listenerSasl(configs, own, spec.name) : null,
      failedAuthenticationDelayMs: parsed('connection.failed.authentication.delay.ms', raw(configs, 'connection.failed.authentication.delay.ms')) as number,
    };
  } catch (e) {
    throw new Error(where((e as Error).message));
  }
}

function listenerSsl(own: Record<string, string>): ListenerSsl {
  const settings = resolveSslConfigs(own);
  if (!settings.keystore && !settings.inlineKey) {
    throw new Error('a TLS listener needs its certificate: set ssl.keystore.location (or ssl.keystore.key and ssl.keystore.certificate.chain)');
  }
  const clientAuth = String(parsed('ssl.client.auth', raw(own, 'ssl.client.auth'))) as ClientAuth;
  if (clientAuth !== 'none' && !settings.truststore && !settings.trustedCertificates) {
    throw new Error(`ssl.client.auth=${clientAuth} needs the CAs that sign client certificates: set ssl.truststore.location (or ssl.truststore.certificates)`);
  }
  return { settings, clientAuth, principalMappingRules: raw(own, 'ssl.principal.mapping.rules') ?? 'DEFAULT' };
}

function listenerSasl(configs: Readonly<Record<string, string>>, own: Record<string, string>, listenerName: string): ListenerSasl {
  const names = parsed('sasl.enabled.mechanisms', raw(own, 'sasl.enabled.mechanisms')) as string[];
  if (names.length === 0) throw new Error('sasl.enabled.mechanisms is empty');
  for (const n of names) {
    if (n === 'GSSAPI') {
      throw new Error(`sasl.enabled.mechanisms ${own['sasl.enabled.mechanisms'] === undefined ? "is not set, and Kafka's default, GSSAPI (Kerberos), " : 'names GSSAPI (Kerberos), which '}is not supported: set it to PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER`);
    }
    if (!MECHANISMS.includes(n as SaslMechanismName)) throw new Error(`sasl.enabled.mechanisms: ${n} is not supported (outpost serves ${MECHANISMS.join(', ')})`);
  }
  const mechanisms = names as SaslMechanismName[];
  const plainUsers = new Map<string, string>();
  if (mechanisms.includes('PLAIN')) {
    const jaasName = `${listenerPrefix(listenerName)}plain.sasl.jaas.config`;
    const text = configs[jaasName];
    if (text === undefined) throw new Error(`PLAIN needs its users: set ${jaasName} to ${PLAIN_LOGIN_MODULE} required user_<name>="<password>" ...;`);
    let entry;
    try {
      entry = parseJaasConfig(text);
    } catch (e) {
      throw new Error(`${jaasName} cannot be read: ${(e as Error).message}`);
    }
    if (entry.loginModule !== PLAIN_LOGIN_MODULE) throw new Error(`${jaasName} names the login module ${entry.loginModule}, but PLAIN takes ${PLAIN_LOGIN_MODULE}`);
    for (const [k, v] of Object.entries(entry.options)) if (k.startsWith('user_') && k.length > 5) plainUsers.set(k.slice(5), v);
  }
  let oauth: OAuthValidation | null = null;
  if (mechanisms.includes('OAUTHBEARER')) {
    const jwks = raw(own, 'sasl.oauthbearer.jwks.endpoint.url');
    if (jwks === null || jwks === '') throw new Error('OAUTHBEARER needs the keys tokens are signed with: set sasl.oauthbearer.jwks.endpoint.url (a URL or a file)');
    const issuer = raw(own, 'sasl.oauthbearer.expected.issuer');
    oauth = {
      jwksSource: jwks,
      audience: (parsed('sasl.oauthbearer.expected.audience', raw(own, 'sasl.oauthbearer.expected.audience')) as string[] | null) ?? null,
      issuer: issuer === '' ? null : issuer,
      subClaim: raw(own, 'sasl.oauthbearer.sub.claim.name')!,
      scopeClaim: raw(own, 'sasl.oauthbearer.scope.claim.name')!,
      clockSkewSeconds: parsed('sasl.oauthbearer.clock.skew.buffer.seconds', raw(own, 'sasl.oauthbearer.clock.skew.buffer.seconds')) as number,
      refreshMs: toSafeNumber(parsed('sasl.oauthbearer.jwks.endpoint.refresh.ms', raw(own, 'sasl.oauthbearer.jwks.endpoint.refresh.ms')) as bigint),
    };
  }
  return {
    mechanisms,
    plainUsers,
    oauth,
    maxReauthMs: toSafeNumber(parsed('connections.max.reauth.ms', raw(own, 'connections.max.reauth.ms')) as bigint),
    maxReceiveBytes: parsed('sasl.server.max.receive.size', raw(own, 'sasl.server.max.receive.size')) as number,
  };
}

/** Checks one listener.name.<name>.<config> setting; what is wrong with it, or null. */
export function checkListenerConfig(name: string, text: string): string | null {
  const split = splitListenerConfig(name);
  if (!split) return 'not a broker config outpost knows';
  if (split.config === 'sasl.jaas.config') {
    if (!MECHANISMS.includes(split.mechanism as SaslMechanismName)) return `${split.mechanism} is not a SASL mechanism outpost serves (${MECHANISMS.join(', ')})`;
    return null;
  }
  if (!LISTENER_SCOPED_CONFIGS.has(split.config)) {
    return `${split.config} cannot be set per listener (those that can: ${[...LISTENER_SCOPED_CONFIGS].join(', ')}, and <mechanism>.sasl.jaas.config)`;
  }
  const checked = checkConfigValue(brokerConfigKey(split.config)!, text);
  return 'problem' in checked ? `invalid value: ${checked.problem.reason}` : null;
}

/** The listener.name.<name>.* settings that name no listener: most likely a typo in the name. */
export function strayListenerConfigs(configs: Readonly<Record<string, string>>, listeners: ListenerSpec[]): string[] {
  const names = new Set(listeners.map((l) => l.name.toLowerCase()));
  return Object.keys(configs).filter((k) => {
    const split = splitListenerConfig(k);
    return split !== null && !names.has(split.listener);
  });
}
