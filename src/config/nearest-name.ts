// "Did you mean ...?": the known name closest to a misspelt one, by edit distance, so that a typo
// such as sasl.jass.config is refused with the name that was meant rather than stored.

/** Levenshtein distance, with one row of memory. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/** The candidate closest to `name`, if one is close enough to be a likely typo of it. */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  // A third of the name may be wrong: a typo or two, a wrong word in a dotted name.
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}
