// Checks of what a link is created with: its name, the source's bootstrap servers, its configs.
import { linkConfigsProblem } from './link-configs.js';
import { LinkError, type LinkSpec } from './types.js';

export interface HostPort {
  host: string;
  port: number;
}

// Link names become metric labels, log fields and URL path segments: keep them to a safe set.
const LINK_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** "host:port,host:port" (IPv6 hosts in brackets) as endpoints; throws LinkError INVALID. */
export function parseBootstrapServers(text: string): HostPort[] {
  const entries = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length === 0) throw new LinkError('INVALID', 'bootstrap servers are required: "host:port[,host:port...]"');
  return entries.map((entry) => {
    const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(entry);
    const port = m ? Number(m[3]) : NaN;
    if (!m || port < 1 || port > 65535) throw new LinkError('INVALID', `invalid bootstrap server "${entry}": expected host:port`);
    return { host: (m[1] ?? m[2])!, port };
  });
}

/** Throws LinkError INVALID for a spec that cannot make a link. */
export function checkLinkSpec(spec: LinkSpec): void {
  if (typeof spec.name !== 'string' || !LINK_NAME.test(spec.name) || spec.name === '.' || spec.name === '..') {
    throw new LinkError('INVALID', `invalid link name ${JSON.stringify(spec.name)}: 1 to 249 characters of ASCII letters, digits, '.', '_' and '-'`);
  }
  parseBootstrapServers(spec.bootstrapServers ?? '');
  if (spec.sourceClusterId !== undefined && (typeof spec.sourceClusterId !== 'string' || spec.sourceClusterId.trim() === '')) {
    throw new LinkError('INVALID', 'the source cluster id, when given, must be a non-empty string');
  }
  const problem = linkConfigsProblem(spec.configs ?? {});
  if (problem) throw new LinkError('INVALID', problem);
}
