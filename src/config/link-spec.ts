// What a cluster link is created with, and the checks of it: its name, the source's bootstrap
// servers, its configs. Settings files declare links with it, the link engine creates them.
import { parseBootstrapServers } from './host-port.js';
import { linkConfigsProblem } from './link-configs.js';

export interface LinkSpec {
  name: string;
  /** the source cluster's bootstrap servers, "host:port,host:port" */
  bootstrapServers: string;
  /** checked against the source's cluster id when given */
  sourceClusterId?: string;
  /** client settings (Kafka names: security.protocol, sasl.*, ssl.*) and link configs
   *  (Confluent names where Confluent has one: topic.config.sync.ms, mirror.start.offset.spec, ...) */
  configs: Record<string, string>;
}

// Link names become metric labels, log fields and URL path segments: keep them to a safe set.
const LINK_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** What is wrong with a spec that cannot make a link, or null. */
export function linkSpecProblem(spec: LinkSpec): string | null {
  if (typeof spec.name !== 'string' || !LINK_NAME.test(spec.name) || spec.name === '.' || spec.name === '..') {
    return `invalid link name ${JSON.stringify(spec.name)}: 1 to 249 characters of ASCII letters, digits, '.', '_' and '-'`;
  }
  const bootstrap = parseBootstrapServers(spec.bootstrapServers ?? '');
  if ('problem' in bootstrap) return bootstrap.problem;
  if (spec.sourceClusterId !== undefined && (typeof spec.sourceClusterId !== 'string' || spec.sourceClusterId.trim() === '')) {
    return 'the source cluster id, when given, must be a non-empty string';
  }
  return linkConfigsProblem(spec.configs ?? {});
}
