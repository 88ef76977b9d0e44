// Network endpoints as settings name them: HOST:PORT, IPv6 hosts in brackets.

export interface HostPort {
  host: string;
  port: number;
}

/** HOST:PORT or [IPV6]:PORT; null if it is neither. Port 0 is left to the caller (a listener binds any). */
export function parseHostPort(text: string): HostPort | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  return port > 65535 ? null : { host: (m[1] ?? m[2])!, port };
}

/** A Kafka client's bootstrap.servers, "host:port,host:port": the endpoints, or what is wrong. */
export function parseBootstrapServers(text: string): HostPort[] | { problem: string } {
  const entries = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length === 0) return { problem: 'bootstrap servers are required: "host:port[,host:port...]"' };
  const out: HostPort[] = [];
  for (const entry of entries) {
    const hp = parseHostPort(entry);
    if (!hp || hp.port === 0) return { problem: `invalid bootstrap server "${entry}": expected host:port` };
    out.push(hp);
  }
  return out;
}
