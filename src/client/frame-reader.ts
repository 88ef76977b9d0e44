// Reads length-prefixed frames from a socket straight into buffers of their own. Once a frame's
// size is known, the socket's next reads go into the frame itself (net's `onread` with a buffer
// chosen per read), so a fetch response of a megabyte is neither received as 64 KiB chunks nor
// copied together from them afterwards: the kernel writes each byte once, where it stays. Short
// reads (size prefixes, small frames, the start of a large one) go to a reused scratch buffer and
// are copied out of it.
import { FrameTooLarge } from '../../protocol/frames.js';

const SCRATCH_BYTES = 64 * 1024;
/** Below this much left of a frame, read into scratch: it may bring the next frames along. */
const MIN_DIRECT_READ = 4096;

export class FrameReader {
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private readonly head = Buffer.alloc(4);
  private headBytes = 0;
  private frame: Buffer | null = null;
  private filled = 0;

  constructor(private readonly maxFrameBytes: number, private readonly onFrame: (frame: Buffer) => void) {}

  /** Where the socket's next read goes: never past the end of the frame being filled. */
  target(): Buffer {
    if (this.frame && this.frame.length - this.filled >= MIN_DIRECT_READ) return this.frame.subarray(this.filled);
    return this.scratch;
  }

  /** `n` bytes were read into `buf`, which target() returned. Throws FrameTooLarge. */
  read(n: number, buf: Buffer): void {
    if (buf !== this.scratch) {
      this.filled += n;
      if (this.filled === this.frame!.length) this.complete();
      return;
    }
    this.push(buf, n);
  }

  /**
   * Takes the first `n` bytes of a chunk that was read elsewhere (a TLS socket decrypts into its
   * own buffers). Throws FrameTooLarge.
   */
  push(buf: Buffer, n = buf.length): void {
    let pos = 0;
    while (pos < n) {
      if (this.frame) {
        const take = Math.min(n - pos, this.frame.length - this.filled);
        buf.copy(this.frame, this.filled, pos, pos + take);
        this.filled += take;
        pos += take;
        if (this.filled === this.frame.length) this.complete();
        continue;
      }
      const take = Math.min(n - pos, 4 - this.headBytes);
      buf.copy(this.head, this.headBytes, pos, pos + take);
      this.headBytes += take;
      pos += take;
      if (this.headBytes < 4) continue;
      this.headBytes = 0;
      const size = this.head.readInt32BE(0);
      if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLarge(size, this.maxFrameBytes);
      // Every byte of it is written before it is handed on.
      this.frame = Buffer.allocUnsafe(size);
      this.filled = 0;
      if (size === 0) this.complete();
    }
  }

  private complete(): void {
    const frame = this.frame!;
    this.frame = null;
    this.filled = 0;
    this.onFrame(frame);
  }
}
