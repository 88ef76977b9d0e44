// A disk that fails on command, for the log's segment files (see OpenSegmentFile): the next write
// or sync fails with ENOSPC or EIO, or a write is torn (a prefix of its bytes reaches the file,
// then it fails), as a full disk, a dying one or a crash mid-write leave a log.
import { open } from 'node:fs/promises';
import type { OpenSegmentFile, SegmentFile } from '../../src/log/file-handles.js';

export type DiskFault = 'ENOSPC' | 'EIO' | 'torn';

function fsError(code: 'ENOSPC' | 'EIO', call: string): NodeJS.ErrnoException {
  const message = code === 'ENOSPC' ? 'no space left on device' : 'i/o error';
  const e = new Error(`${code}: ${message}, ${call}`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

export class FaultyDisk {
  private nextWrite: DiskFault | null = null;
  private nextSync: 'EIO' | null = null;
  /** writes that failed, as the log meets them */
  failures = 0;

  /** The next segment write meets `fault`. */
  failNextWrite(fault: DiskFault): void {
    this.nextWrite = fault;
  }

  /** The next fsync of a segment fails with EIO. */
  failNextSync(): void {
    this.nextSync = 'EIO';
  }

  readonly open: OpenSegmentFile = async (path) => {
    const fh = await open(path, 'r+');
    const file: SegmentFile = {
      read: (buffer, offset, length, position) => fh.read(buffer, offset, length, position),
      writev: async (buffers, position) => {
        const fault = this.nextWrite;
        this.nextWrite = null;
        if (fault === null) return fh.writev(buffers, position);
        this.failures++;
        if (fault === 'torn') {
          // Half of the first buffer lands, as when the machine stops in the middle of a write.
          const first = buffers[0]!;
          await fh.write(first, 0, Math.max(1, first.length >> 1), position);
          throw fsError('EIO', 'write');
        }
        throw fsError(fault, 'write');
      },
      datasync: async () => {
        if (this.nextSync === null) return fh.datasync();
        this.nextSync = null;
        this.failures++;
        throw fsError('EIO', 'fdatasync');
      },
      close: () => fh.close(),
    };
    return file;
  };
}
