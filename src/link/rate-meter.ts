// Bytes and records per second over the last few seconds, for a link's throughput: counts go into
// one bucket per second, and a rate is the sum of the whole seconds in the window over its length.
const WINDOW_SECONDS = 5;

export class RateMeter {
  private readonly seconds = new Array<number>(WINDOW_SECONDS + 1).fill(-1);
  private readonly bytes = new Array<number>(WINDOW_SECONDS + 1).fill(0);
  private readonly records = new Array<number>(WINDOW_SECONDS + 1).fill(0);

  record(bytes: number, records: number, now = Date.now()): void {
    const i = this.slot(Math.floor(now / 1000));
    this.bytes[i]! += bytes;
    this.records[i]! += records;
  }

  /** Rates over the last WINDOW_SECONDS whole seconds (the current, partial second left out). */
  rates(now = Date.now()): { bytesPerSec: number; recordsPerSec: number } {
    const current = Math.floor(now / 1000);
    let bytes = 0;
    let records = 0;
    for (let i = 0; i < this.seconds.length; i++) {
      const s = this.seconds[i]!;
      if (s < current && s >= current - WINDOW_SECONDS) {
        bytes += this.bytes[i]!;
        records += this.records[i]!;
      }
    }
    return { bytesPerSec: bytes / WINDOW_SECONDS, recordsPerSec: records / WINDOW_SECONDS };
  }

  private slot(second: number): number {
    const i = second % this.seconds.length;
    if (this.seconds[i] !== second) {
      this.seconds[i] = second;
      this.bytes[i] = 0;
      this.records[i] = 0;
    }
    return i;
  }
}
