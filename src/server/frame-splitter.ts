// Reassembles length-prefixed frames from TCP chunks. A frame that arrives whole inside one chunk
// is handed on as a view of that chunk; only frames split across chunks are copied together.
import { FrameTooLarge } from '../../protocol/frames.js';

export class FrameSplitter {
  private pending: Buffer[] = [];
  private _pendingBytes = 0;

  /** the largest frame taken; lower until a SASL client has authenticated (sasl.server.max.receive.size) */
  constructor(public maxFrameBytes: number) {}

  /** bytes held of a frame not complete yet */
  get pendingBytes(): number {
    return this._pendingBytes;
  }

  /** Feeds a chunk; returns the frames it completed (without their size prefixes). */
  push(chunk: Buffer): Buffer[] {
    let buf = chunk;
    if (this._pendingBytes > 0) {
      this.pending.push(chunk);
      this._pendingBytes += chunk.length;
      // Still waiting for the size prefix or the rest of the frame: avoid a copy per chunk.
      if (this._pendingBytes < 4 || this._pendingBytes < 4 + this.peekSize()) return [];
      buf = Buffer.concat(this.pending, this._pendingBytes);
      this.pending = [];
      this._pendingBytes = 0;
    }
    const frames: Buffer[] = [];
    let pos = 0;
    while (buf.length - pos >= 4) {
      const size = buf.readInt32BE(pos);
      if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLarge(size, this.maxFrameBytes);
      if (buf.length - pos - 4 < size) break;
      frames.push(buf.subarray(pos + 4, pos + 4 + size));
      pos += 4 + size;
    }
    if (pos < buf.length) {
      const rest = buf.subarray(pos);
      if (rest.length >= 4) this.checkSize(rest.readInt32BE(0));
      this.pending = [rest];
      this._pendingBytes = rest.length;
    }
    return frames;
  }

  private peekSize(): number {
    const head = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, Math.min(4, this._pendingBytes));
    const size = head.readInt32BE(0);
    this.checkSize(size);
    return size;
  }

  private checkSize(size: number): void {
    if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLarge(size, this.maxFrameBytes);
  }
}
