// The zig-zag varints of the v2 record format (Protocol Buffers' encoding). Values are JS numbers:
// a varlong is exact up to 2^53 in magnitude, which covers every timestamp delta in practice.

/** Thrown for bytes that are not a well-formed record; callers map it to Kafka's error. */
export class VarintError extends Error {
  override name = 'VarintError';
}

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
const unzigzag = (u: number): number => (u % 2 === 0 ? u / 2 : -(u + 1) / 2);

/** Bytes taken by the zig-zag varint (or varlong) of `v`. */
export function varintSize(v: number): number {
  let u = zigzag(v);
  let size = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    size++;
  }
  return size;
}

/** Writes the zig-zag varint of `v` at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, v: number): number {
  let u = zigzag(v);
  while (u >= 0x80) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}

/** A read position within [pos, end) of a buffer of records. */
export class VarReader {
  constructor(readonly buf: Buffer, public pos: number, readonly end: number) {}

  /** Zig-zag varint; Kafka's int fields take at most 5 bytes. */
  varint(): number {
    return unzigzag(this.unsigned(5));
  }

  /** Zig-zag varlong; at most 10 bytes. */
  varlong(): number {
    return unzigzag(this.unsigned(10));
  }

  int8(): number {
    if (this.pos >= this.end) throw new VarintError(`truncated at byte ${this.pos}`);
    return this.buf.readInt8(this.pos++);
  }

  /** `n` bytes as a view (not a copy) of the underlying buffer. */
  bytes(n: number): Buffer {
    if (n < 0 || this.pos + n > this.end) throw new VarintError(`${n} bytes do not fit in the ${this.end - this.pos} left at byte ${this.pos}`);
    const start = this.pos;
    this.pos += n;
    return this.buf.subarray(start, this.pos);
  }

  private unsigned(maxBytes: number): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < maxBytes; i++) {
      if (this.pos >= this.end) throw new VarintError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw new VarintError(`varint longer than ${maxBytes} bytes at byte ${this.pos}`);
  }
}
