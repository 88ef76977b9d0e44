// Kafka's primitive wire types: a Reader over a received frame and a Writer into a buffer sized
// beforehand. int64 values are carried as JS numbers: offsets, timestamps and producer ids stay
// far below 2^53 in practice, and numbers keep the hot paths free of BigInt arithmetic. The ends
// of the range survive the trip: Long.MAX reads as 2^63 (the nearest double) and is written back
// as Long.MAX, so a client's sentinel values come back as it sent them.

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const TWO_32 = 0x1_0000_0000;
const TWO_63 = 2 ** 63;

/** int64 at `at` as a JS number: exact up to 2^53, the nearest double beyond. */
export function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
}

/**
 * Writes `v` as an int64. Values at or past the ends of the long range (Long.MAX is 2^63 as a
 * double) are written as Long.MAX / Long.MIN; anything that is not an integer is refused.
 */
export function writeInt64(buf: Buffer, at: number, v: number): void {
  if (!Number.isInteger(v)) throw new ProtocolError(`not an int64: ${v}`);
  if (v >= TWO_63) {
    buf.writeInt32BE(0x7fffffff, at);
    buf.writeUInt32BE(0xffffffff, at + 4);
    return;
  }
  const hi = Math.floor(Math.max(v, -TWO_63) / TWO_32);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(Math.max(v, -TWO_63) - hi * TWO_32, at + 4);
}

/** The longest string an int16 length prefix can announce. */
const MAX_INT16_STRING_BYTES = 0x7fff;

/** What one decode may allocate: array elements across the whole message, nested ones included. */
interface ElementBudget {
  left: number;
}

export class Reader {
  pos: number;
  /**
   * Shared with the readers of nested tagged fields. Unlimited unless the caller sets one: a
   * request of a few megabytes could otherwise announce millions of one-byte elements, each a
   * JS object in the decoded message and an entry in its response.
   */
  elements: ElementBudget = { left: Infinity };

  constructor(readonly buf: Buffer, pos = 0, readonly end = buf.length) {
    this.pos = pos;
  }

  /** A reader of the next `n` bytes, sharing this one's element budget. */
  sub(n: number): Reader {
    const r = new Reader(this.raw(n));
    r.elements = this.elements;
    return r;
  }

  /** Accounts for an array of `n` elements before it is allocated. */
  takeElements(n: number, where: string): void {
    // Every element takes at least one byte: a larger count is a lie, not an allocation to make.
    if (n > this.remaining) throw new ProtocolError(`${where}: array of ${n} with ${this.remaining} bytes left`);
    this.elements.left -= n;
    if (this.elements.left < 0) throw new ProtocolError(`${where}: more array elements in one message than the limit allows`);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    const at = this.pos;
    if (n < 0 || at + n > this.end) throw new ProtocolError(`truncated: needed ${n} bytes at ${at}, ${this.end - at} left`);
    this.pos = at + n;
    return at;
  }

  int8(): number { return this.buf.readInt8(this.need(1)); }
  bool(): boolean { return this.buf[this.need(1)] !== 0; }
  int16(): number { return this.buf.readInt16BE(this.need(2)); }
  uint16(): number { return this.buf.readUInt16BE(this.need(2)); }
  int32(): number { return this.buf.readInt32BE(this.need(4)); }
  uint32(): number { return this.buf.readUInt32BE(this.need(4)); }
  float64(): number { return this.buf.readDoubleBE(this.need(8)); }

  int64(): number {
    return readInt64(this.buf, this.need(8));
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.buf[this.need(1)]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    throw new ProtocolError('varint longer than 5 bytes');
  }

  /** zig-zag signed varint (record fields) */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  raw(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  uuid(): string {
    return this.raw(16).toString('base64url');
  }

  /** Length of a string, bytes or array: -1 means null. Compact forms store length + 1. */
  length(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < -1) throw new ProtocolError(`negative length ${n}`);
    return n;
  }

  stringLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int16();
    if (n < -1) throw new ProtocolError(`negative string length ${n}`);
    return n;
  }

  string(compact: boolean): string | null {
    const n = this.stringLength(compact);
    return n < 0 ? null : this.raw(n).toString('utf8');
  }

  bytes(compact: boolean): Buffer | null {
    const n = this.length(compact);
    return n < 0 ? null : this.raw(n);
  }
}

/** The zero UUID, Kafka's "no topic id", in the base64url form used throughout. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export function uvarintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

export function varintSize(value: number): number {
  return uvarintSize(value >= 0 ? value * 2 : -value * 2 - 1);
}

export function stringSize(s: string | null, compact: boolean): number {
  if (s === null) return compact ? 1 : 2;
  const n = Buffer.byteLength(s, 'utf8');
  return (compact ? uvarintSize(n + 1) : 2) + n;
}

export function lengthSize(n: number, compact: boolean): number {
  return compact ? uvarintSize(n + 1) : 4;
}

/**
 * Writes into one buffer of a size computed beforehand. Record data is not copied in: splice()
 * closes the current piece and queues the caller's buffers, so the frame goes out as a list.
 */
export class Writer {
  readonly buf: Buffer;
  pos = 0;
  private pieceStart = 0;
  private readonly pieces: Buffer[] = [];

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  int8(v: number): void { this.pos = this.buf.writeInt8(v, this.pos); }
  bool(v: boolean): void { this.buf[this.pos++] = v ? 1 : 0; }
  int16(v: number): void { this.pos = this.buf.writeInt16BE(v, this.pos); }
  uint16(v: number): void { this.pos = this.buf.writeUInt16BE(v, this.pos); }
  int32(v: number): void { this.pos = this.buf.writeInt32BE(v, this.pos); }
  uint32(v: number): void { this.pos = this.buf.writeUInt32BE(v, this.pos); }
  float64(v: number): void { this.pos = this.buf.writeDoubleBE(v, this.pos); }

  int64(v: number): void {
    writeInt64(this.buf, this.pos, v);
    this.pos += 8;
  }

  uvarint(v: number): void {
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  varint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  raw(b: Buffer): void {
    this.pos += b.copy(this.buf, this.pos);
  }

  uuid(s: string): void {
    const b = Buffer.from(s, 'base64url');
    if (b.length !== 16) throw new ProtocolError(`not a UUID: ${s}`);
    this.raw(b);
  }

  length(n: number, compact: boolean): void {
    if (compact) this.uvarint(n + 1);
    else this.int32(n);
  }

  string(s: string | null, compact: boolean): void {
    if (s === null) {
      if (compact) this.uvarint(0);
      else this.int16(-1);
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    if (compact) this.uvarint(n + 1);
    else if (n > MAX_INT16_STRING_BYTES) throw new ProtocolError(`a string of ${n} bytes does not fit an int16 length`);
    else this.int16(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bytes(b: Buffer | null, compact: boolean): void {
    if (b === null) return this.length(-1, compact);
    this.length(b.length, compact);
    this.raw(b);
  }

  /** Queue record data to follow what has been written so far, without copying it. */
  splice(data: Buffer | readonly Buffer[]): void {
    if (this.pos > this.pieceStart) this.pieces.push(this.buf.subarray(this.pieceStart, this.pos));
    this.pieceStart = this.pos;
    if (Buffer.isBuffer(data)) {
      if (data.length) this.pieces.push(data);
    } else {
      for (const b of data) if (b.length) this.pieces.push(b);
    }
  }

  /** The encoded frame: one buffer, or several when record data was spliced in. */
  finish(): Buffer[] {
    if (this.pos !== this.buf.length) throw new ProtocolError(`encoder wrote ${this.pos} of ${this.buf.length} sized bytes`);
    if (this.pos > this.pieceStart || this.pieces.length === 0) this.pieces.push(this.buf.subarray(this.pieceStart, this.pos));
    return this.pieces;
  }
}
