// Helpers shared by the log tests: Kafka's default topic settings, batches, temporary directories.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iterateBatches, BatchHeader } from '../../protocol/records/batch.js';
import { buildBatch, readRecords, type BuildBatchOptions } from '../../protocol/records/records.js';
import { resolveTopicConfig } from '../../src/config/topic-configs.js';
import type { TopicConfig } from '../../src/log/topic-config.js';

/** Kafka 4's defaults for the settings the log acts on, as src/config resolves them. */
export const KAFKA_DEFAULTS: TopicConfig = resolveTopicConfig({}, {});

export function config(overrides: Partial<TopicConfig> = {}): TopicConfig {
  return { ...KAFKA_DEFAULTS, ...overrides };
}

export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'outpost-log-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A batch of records with the given values, all stamped `timestamp` unless the options say otherwise. */
export function batch(values: string[], opts: Partial<BuildBatchOptions> & { timestamp?: number } = {}): Buffer {
  const timestamp = opts.timestamp ?? 1_700_000_000_000;
  return buildBatch({ ...opts, records: values.map((v) => ({ value: Buffer.from(v), timestamp })) });
}

/** Every record in the chunks a read returned, decoded, for comparing with what was appended. */
export function recordsIn(chunks: Buffer[]): { offset: number; value: string; timestamp: number }[] {
  const out: { offset: number; value: string; timestamp: number }[] = [];
  for (const chunk of chunks) {
    for (const span of iterateBatches(chunk)) {
      for (const r of readRecords(chunk.subarray(span.pos, span.pos + span.size))) out.push({ offset: r.offset, value: r.value!.toString(), timestamp: r.timestamp });
    }
  }
  return out;
}

/** Base offsets of the batches in the chunks. */
export function batchOffsets(chunks: Buffer[]): number[] {
  const out: number[] = [];
  for (const chunk of chunks) for (const span of iterateBatches(chunk)) out.push(new BatchHeader(chunk, span.pos).baseOffset);
  return out;
}

export const READ = { minOneBatch: true, upTo: 'hw' } as const;
