// CRC32C (Castagnoli), the checksum of a v2 record batch. The native addon is used when it loads;
// the table-driven fallback keeps the broker working on a platform the addon has no build for.
import { createRequire } from 'node:module';

type Crc32c = (data: Uint8Array, initial?: number) => number;

/** Reflected form of the Castagnoli polynomial 0x1EDC6F41. */
const POLY = 0x82f63b78;

// Slicing-by-8: TABLES[k][b] is the CRC of byte b followed by k zero bytes, which lets the loop
// fold eight input bytes per step with eight independent lookups.
const TABLES: Int32Array[] = (() => {
  const t = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[0]![b] = c;
  }
  for (let b = 0; b < 256; b++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[k - 1]![b]!;
      t[k]![b] = (prev >>> 8) ^ t[0]![prev & 0xff]!;
    }
  }
  return t;
})();

/** Pure TypeScript CRC32C; `initial` continues a CRC over preceding data, as the addon's does. */
export function crc32cFallback(data: Uint8Array, initial = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  let crc = ~initial;
  let i = 0;
  const n = data.length;
  for (const stop = n - 7; i < stop; i += 8) {
    const lo = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc =
      t7[lo & 0xff]! ^ t6[(lo >>> 8) & 0xff]! ^ t5[(lo >>> 16) & 0xff]! ^ t4[lo >>> 24]! ^
      t3[data[i + 4]!]! ^ t2[data[i + 5]!]! ^ t1[data[i + 6]!]! ^ t0[data[i + 7]!]!;
  }
  for (; i < n; i++) crc = (crc >>> 8) ^ t0[(crc ^ data[i]!) & 0xff]!;
  return ~crc >>> 0;
}

function loadNative(): Crc32c | null {
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: Crc32c };
    return mod.crc32c;
  } catch {
    return null;
  }
}

/** The addon's CRC32C, or null where it could not be loaded. */
export const crc32cNative: Crc32c | null = loadNative();

/** CRC32C of `data` as an unsigned 32-bit number. */
export const crc32c: Crc32c = crc32cNative ?? crc32cFallback;
