// What the management commands print: aligned tables for people, and for scripts (`-o json`) the
// REST API's resources with the same field names, less the envelope (kind, metadata).
import { Option } from 'commander';

export type OutputFormat = 'human' | 'json';

export const outputOption = () => new Option('-o, --output <format>', 'output format').choices(['human', 'json']).default('human');

type Cell = string | number | boolean | null | undefined;

function text(c: Cell): string {
  return c === null || c === undefined ? '' : String(c);
}

/** Rows under a header, columns padded to their widest cell. */
export function table(header: string[], rows: Cell[][]): string {
  const cells = [header, ...rows.map((r) => r.map(text))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n') + '\n';
}

/** One resource as "Field: value" lines, the names aligned. */
export function record(fields: [string, Cell][]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${text(v)}`.trimEnd()).join('\n') + '\n';
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Strips the REST envelope (kind, metadata) from a resource for -o json. */
export function resource<T extends Record<string, unknown>>(r: T): Omit<T, 'kind' | 'metadata'> {
  const { kind: _kind, metadata: _metadata, ...rest } = r;
  return rest;
}
