// The server's settings: built-in defaults, then the YAML file named by --config, then flags.
// Anything wrong stops start-up with a SettingsError naming the flag or the file and key.
//
// The file (every key optional):
//
//   listen: 127.0.0.1:9092            # HOST:PORT of one PLAINTEXT listener (shorthand, or configs.listeners)
//   advertised.listener: kafka.example:9092   # HOST:PORT told to its clients; default: listen
//   admin: 127.0.0.1:8090             # HOST:PORT of the admin HTTP listener (/health, /metrics)
//   data.dir: ./data                  # relative to the file's own directory
//   tail.cache.bytes: 268435456       # recent batches kept in memory for consumers, all partitions together
//   configs:                          # broker configs by Kafka name (see broker-configs.ts)
//     num.partitions: 3
//     listeners: PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093   # see listeners.ts
//     listener.name.sasl_ssl.ssl.keystore.location: /etc/outpost/broker.p12
//     log.retention.hours: 72
//   links:                            # cluster links created at start-up unless they exist
//     - name: from-prod
//       bootstrap.servers: kafka-1:9092,kafka-2:9092
//       source.cluster.id: MkU3OEVBNTcwNTJENDM2Qg   # optional: refuse any other source
//       configs:                      # link configs (see src/link/link-configs.ts)
//         mirror.start.offset.spec: latest
//       mirrors: [orders, payments]   # topics mirrored unless they already are
//
// An IPv6 host is written in brackets: [::1]:9092. Port 0 binds any free port.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { checkAdminConfig, resolveAdminSecurity } from './admin-security.js';
import { checkStaticBrokerConfig } from './broker-configs.js';
import { parseHostPort, type HostPort } from './host-port.js';
import { linkSpecProblem, type LinkSpec } from './link-spec.js';
import { checkListenerConfig, parseListeners, resolveListenerSecurity, strayListenerConfigs, type ListenerSpec } from './listeners.js';

export interface Settings {
  /** the Kafka listeners, in the order configured (the first is the one logged and returned as port) */
  listeners: ListenerSpec[];
  admin: HostPort;
  /** absolute */
  dataDir: string;
  /** recent batches kept in memory for the consumers at the tail, all partitions together (default: the log manager's) */
  tailCacheBytes?: number;
  /** static broker configs by Kafka name, as written (checked, not normalised); always has node.id */
  configs: Record<string, string>;
  /** links (and their mirrors) the file declares; absent when it declares none */
  links?: DeclaredLink[];
}

export interface DeclaredLink extends LinkSpec {
  mirrors: string[];
}

/** `serve`'s options, as commander hands them over. */
export interface SettingsFlags {
  listen?: string;
  advertisedListener?: string;
  admin?: string;
  dataDir?: string;
  config?: string;
}

export class SettingsError extends Error {}

const DEFAULT_LISTEN: HostPort = { host: '127.0.0.1', port: 9092 };

/** The one PLAINTEXT listener --listen and --advertised-listener stand for. */
export function plaintextListener(bind: HostPort, advertised: HostPort = bind): ListenerSpec {
  return { name: 'PLAINTEXT', protocol: 'PLAINTEXT', bind, advertised };
}
const DEFAULT_ADMIN: HostPort = { host: '127.0.0.1', port: 8090 };

const scalar = z.union([z.string(), z.number(), z.bigint(), z.boolean()], {
  errorMap: () => ({ message: 'expected a string, number or boolean' }),
});
const hostPortText = z.string({ invalid_type_error: 'expected HOST:PORT' });
const nonEmpty = z.string().min(1, 'must not be empty');
const linkSchema = z
  .object({
    name: nonEmpty,
    'bootstrap.servers': nonEmpty,
    'source.cluster.id': nonEmpty.optional(),
    configs: z.record(scalar).optional(),
    mirrors: z.array(nonEmpty).optional(),
  })
  .strict();
const fileSchema = z
  .object({
    listen: hostPortText.optional(),
    'advertised.listener': hostPortText.optional(),
    admin: hostPortText.optional(),
    'data.dir': z.string({ invalid_type_error: 'expected a directory' }).min(1, 'must not be empty').optional(),
    'tail.cache.bytes': z
      .union([z.number(), z.bigint()], { errorMap: () => ({ message: 'expected a number of bytes' }) })
      .refine((n) => n >= 0 && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(Number(n)), 'expected a whole number of bytes, 0 or more')
      .optional(),
    configs: z.record(scalar).optional(),
    links: z
      .array(linkSchema)
      .superRefine((links, ctx) => {
        const seen = new Set<string>();
        links.forEach((l, i) => {
          if (seen.has(l.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `a second link named ${JSON.stringify(l.name)}` });
          seen.add(l.name);
        });
      })
      .optional(),
  })
  .strict();

type SettingsFile = z.infer<typeof fileSchema>;

async function readSettingsFile(path: string): Promise<SettingsFile> {
  const fail = (what: string) => new SettingsError(`config file ${path}: ${what}`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'no such file' : (err as Error).message);
  }
  let doc: unknown;
  try {
    // Longs such as 9223372036854775807 must reach the config checks digit for digit.
    doc = parseYaml(text, { intAsBigInt: true });
  } catch (err) {
    throw fail((err as Error).message.split('\n')[0].replace(/:$/, ''));
  }
  const parsed = fileSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fail(`${issue.path.length > 0 ? issue.path.join('.') : 'top level'}: ${issue.message}`);
  }
  return parsed.data;
}

function hostPort(text: string, where: string): HostPort {
  const hp = parseHostPort(text);
  if (!hp) throw new SettingsError(`${where} ${JSON.stringify(text)}: expected HOST:PORT`);
  return hp;
}

export async function loadSettings(flags: SettingsFlags): Promise<Settings> {
  const file = flags.config === undefined ? {} : await readSettingsFile(flags.config);
  const fileKey = (key: string) => `config file ${flags.config}: ${key}:`;

  const configs: Record<string, string> = {};
  for (const [name, value] of Object.entries(file.configs ?? {})) {
    const raw = String(value);
    const adminProblem = checkAdminConfig(name, raw);
    const problem = adminProblem !== undefined ? adminProblem : name.startsWith('listener.name.') ? checkListenerConfig(name, raw) : checkStaticBrokerConfig(name, raw);
    if (problem) throw new SettingsError(`${fileKey(`configs.${name}`)} ${problem}`);
    configs[name] = raw;
  }
  // Kafka will not start without node.id; outpost, a single node, takes 1. Kept with the static
  // configs so that DescribeConfigs reports it the way Kafka does.
  configs['node.id'] ??= '1';

  // A flag beats the file's key, which beats the default.
  const address = (flag: string, flagValue: string | undefined, key: string, fileValue: string | undefined) => {
    if (flagValue !== undefined) return hostPort(flagValue, `invalid ${flag}`);
    if (fileValue !== undefined) return hostPort(fileValue, `${fileKey(key)} invalid`);
    return undefined;
  };
  const shorthand = [flags.listen, file.listen, flags.advertisedListener, file['advertised.listener']].some((v) => v !== undefined);
  let listeners: ListenerSpec[];
  if (configs.listeners !== undefined || configs['advertised.listeners'] !== undefined) {
    if (shorthand) throw new SettingsError(`${flags.listen !== undefined || flags.advertisedListener !== undefined ? '--listen and --advertised-listener' : fileKey('listen')} cannot be used with configs.listeners: name every listener in configs.listeners (and configs.advertised.listeners)`);
    try {
      listeners = parseListeners(configs);
    } catch (e) {
      throw new SettingsError(`${fileKey('configs')} ${(e as Error).message}`);
    }
  } else {
    const listen = address('--listen', flags.listen, 'listen', file.listen) ?? DEFAULT_LISTEN;
    const advertised = address('--advertised-listener', flags.advertisedListener, 'advertised.listener', file['advertised.listener']) ?? listen;
    listeners = [plaintextListener(listen, advertised)];
  }
  const stray = strayListenerConfigs(configs, listeners);
  if (stray.length > 0) throw new SettingsError(`${fileKey(`configs.${stray[0]}`)} names no listener (the listeners: ${listeners.map((l) => l.name).join(', ')})`);
  for (const l of listeners) {
    try {
      resolveListenerSecurity(configs, l);
    } catch (e) {
      throw new SettingsError(`${fileKey('configs')} ${(e as Error).message}`);
    }
  }
  const admin = address('--admin', flags.admin, 'admin', file.admin) ?? DEFAULT_ADMIN;

  let dataDir: string;
  if (flags.dataDir !== undefined) {
    if (flags.dataDir === '') throw new SettingsError('invalid --data-dir "": must not be empty');
    dataDir = resolve(flags.dataDir);
  } else if (file['data.dir'] !== undefined) {
    dataDir = resolve(dirname(resolve(flags.config!)), file['data.dir']);
  } else {
    dataDir = resolve('data');
  }

  try {
    resolveAdminSecurity(configs, admin);
  } catch (e) {
    throw new SettingsError(`${flags.config === undefined ? '' : `${fileKey('configs')} `}${(e as Error).message}`);
  }
  const settings: Settings = { listeners, admin, dataDir, configs };
  if (file['tail.cache.bytes'] !== undefined) settings.tailCacheBytes = Number(file['tail.cache.bytes']);
  if (file.links) {
    settings.links = file.links.map((l, i) => {
      const link: DeclaredLink = {
        name: l.name,
        bootstrapServers: l['bootstrap.servers'],
        ...(l['source.cluster.id'] === undefined ? {} : { sourceClusterId: l['source.cluster.id'] }),
        configs: Object.fromEntries(Object.entries(l.configs ?? {}).map(([k, v]) => [k, String(v)])),
        mirrors: l.mirrors ?? [],
      };
      // The engine's own checks, so that a bad link stops start-up like any other bad setting.
      const problem = linkSpecProblem(link);
      if (problem) throw new SettingsError(`${fileKey(`links.${i}`)} ${problem}`);
      return link;
    });
  }
  return settings;
}
