// Producer-state snapshots, `<offset>.snapshot` in the partition directory like Kafka's: the
// state of every producer after all batches below <offset>. Written when a segment rolls (at its
// successor's base offset) and when the log closes (at the log end offset); recovery loads the
// newest one and replays the batch headers after it.
//
// The content is outpost's own, because unlike Kafka's it keeps all five retained batches per
// producer (Kafka's keeps one), so duplicates are still recognised after a restart. Like Kafka's it
// keeps each producer's open transaction, so the last stable offset survives a clean restart.
// Big-endian:
//
//   version        int16   102 (Kafka's own snapshots are version 1; neither reads the other's)
//   crc            uint32  CRC32C of everything after this field
//   producerCount  int32
//   producerCount times:
//     producerId             int64
//     producerEpoch          int16
//     lastTimestamp          int64
//     currentTxnFirstOffset  int64   (-1: no open transaction)
//     batchCount             int8    (at most 5, oldest first)
//     batchCount times:
//       firstSeq     int32
//       lastSeq      int32
//       firstOffset  int64
//       lastOffset   int64
//       timestamp    int64
//
// Version 101, from before transactions were tracked, is not read: the log is replayed instead,
// which also builds the transaction indexes its mirrored markers call for.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readInt64, writeInt64 } from '../../protocol/primitives.js';
import { crc32c } from '../../protocol/records/crc32c.js';
import { unlinkIfPresent, writeFileDurably } from './durable-file.js';
import { SNAPSHOT_SUFFIX, offsetFileName, parseOffsetFileName } from './file-names.js';
import { MAX_BATCHES_PER_PRODUCER, type BatchMetadata, type ProducerEntry } from './producer-state.js';

const VERSION = 102;
const HEADER_SIZE = 10;
const PRODUCER_SIZE = 27;
const BATCH_SIZE = 32;

export function encodeSnapshot(entries: Iterable<ProducerEntry>): Buffer {
  const list = [...entries];
  const size = list.reduce((n, e) => n + PRODUCER_SIZE + e.batches.length * BATCH_SIZE, HEADER_SIZE);
  const buf = Buffer.alloc(size);
  buf.writeInt16BE(VERSION, 0);
  buf.writeInt32BE(list.length, 6);
  let at = HEADER_SIZE;
  for (const e of list) {
    writeInt64(buf, at, e.producerId);
    buf.writeInt16BE(e.epoch, at + 8);
    writeInt64(buf, at + 10, e.lastTimestamp);
    writeInt64(buf, at + 18, e.currentTxnFirstOffset);
    buf.writeInt8(e.batches.length, at + 26);
    at += PRODUCER_SIZE;
    for (const b of e.batches) {
      buf.writeInt32BE(b.firstSeq, at);
      buf.writeInt32BE(b.lastSeq, at + 4);
      writeInt64(buf, at + 8, b.firstOffset);
      writeInt64(buf, at + 16, b.lastOffset);
      writeInt64(buf, at + 24, b.timestamp);
      at += BATCH_SIZE;
    }
  }
  buf.writeUInt32BE(crc32c(buf.subarray(6)), 2);
  return buf;
}

/** The entries of a snapshot; throws if the bytes are not a whole, intact snapshot. */
export function decodeSnapshot(buf: Buffer): ProducerEntry[] {
  if (buf.length < HEADER_SIZE || buf.readInt16BE(0) !== VERSION) throw new Error('not an outpost producer snapshot');
  if (buf.readUInt32BE(2) !== crc32c(buf.subarray(6))) throw new Error('producer snapshot fails its CRC');
  const count = buf.readInt32BE(6);
  const entries: ProducerEntry[] = [];
  let at = HEADER_SIZE;
  const need = (n: number) => {
    if (at + n > buf.length) throw new Error('producer snapshot is truncated');
  };
  for (let i = 0; i < count; i++) {
    need(PRODUCER_SIZE);
    const producerId = readInt64(buf, at);
    const epoch = buf.readInt16BE(at + 8);
    const lastTimestamp = readInt64(buf, at + 10);
    const currentTxnFirstOffset = readInt64(buf, at + 18);
    const batchCount = buf.readInt8(at + 26);
    if (batchCount < 0 || batchCount > MAX_BATCHES_PER_PRODUCER) throw new Error(`producer snapshot has ${batchCount} batches for one producer`);
    at += PRODUCER_SIZE;
    need(batchCount * BATCH_SIZE);
    const batches: BatchMetadata[] = [];
    for (let j = 0; j < batchCount; j++) {
      batches.push({
        firstSeq: buf.readInt32BE(at),
        lastSeq: buf.readInt32BE(at + 4),
        firstOffset: readInt64(buf, at + 8),
        lastOffset: readInt64(buf, at + 16),
        timestamp: readInt64(buf, at + 24),
      });
      at += BATCH_SIZE;
    }
    entries.push({ producerId, epoch, batches, lastTimestamp, currentTxnFirstOffset });
  }
  if (at !== buf.length) throw new Error('producer snapshot has trailing bytes');
  return entries;
}

export function writeSnapshot(path: string, entries: Iterable<ProducerEntry>): Promise<void> {
  return writeFileDurably(path, encodeSnapshot(entries));
}

export async function readSnapshot(path: string): Promise<ProducerEntry[]> {
  return decodeSnapshot(await readFile(path));
}

/** The snapshot files of one partition directory, by offset. */
export class ProducerSnapshots {
  constructor(private readonly dir: string) {}

  path(offset: number): string {
    return join(this.dir, offsetFileName(offset, SNAPSHOT_SUFFIX));
  }

  async offsets(): Promise<number[]> {
    const offsets = (await readdir(this.dir)).map((n) => parseOffsetFileName(n, SNAPSHOT_SUFFIX)).filter((o): o is number => o !== null);
    return offsets.sort((a, b) => a - b);
  }

  write(offset: number, entries: Iterable<ProducerEntry>): Promise<void> {
    return writeSnapshot(this.path(offset), entries);
  }

  remove(offset: number): Promise<void> {
    return unlinkIfPresent(this.path(offset));
  }

  async removeAll(): Promise<void> {
    for (const s of await this.offsets()) await this.remove(s);
  }

  /**
   * Keeps the newest snapshot and those at a segment's base offset (what truncating to that
   * segment would start from); the rest are superseded.
   */
  async prune(segmentBases: Iterable<number>): Promise<void> {
    const bases = new Set(segmentBases);
    const all = await this.offsets();
    const newest = all.at(-1);
    for (const s of all) if (s !== newest && !bases.has(s)) await this.remove(s);
  }
}
