// Kafka's text checkpoint format, shared by leader-epoch-checkpoint and the data directory's
// offset checkpoints: a version line, a line with the number of entries, then one line per entry
// with its fields separated by single spaces.

export function formatCheckpoint(version: number, entries: readonly (readonly (string | number)[])[]): string {
  const lines = [String(version), String(entries.length), ...entries.map((e) => e.join(' '))];
  return lines.join('\n') + '\n';
}

/** The entries' fields; throws on a version other than `version` or a malformed file. */
export function parseCheckpoint(text: string, version: number, fieldsPerEntry: number): string[][] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== String(version)) throw new Error(`unsupported checkpoint version ${JSON.stringify(lines[0])}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0 || lines.length !== count + 2) {
    throw new Error(`checkpoint says ${lines[1]} entries but has ${lines.length - 2}`);
  }
  return lines.slice(2).map((line) => {
    const fields = line.split(' ');
    if (fields.length !== fieldsPerEntry) throw new Error(`malformed checkpoint entry ${JSON.stringify(line)}`);
    return fields;
  });
}

/** A field that must be a non-negative integer offset or epoch. */
export function parseCount(field: string): number {
  const n = Number(field);
  if (!/^\d+$/.test(field) || !Number.isSafeInteger(n)) throw new Error(`malformed number ${JSON.stringify(field)} in checkpoint`);
  return n;
}
