// DescribeLogDirs: outpost has one log dir, its data dir.
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errorCode } from '../../../protocol/errors.js';
import { permits, refusal } from '../authorization.js';
import { defineHandler } from './handler.js';

export const describeLogDirs = defineHandler('DescribeLogDirs', [1, 5], async (b, req, ctx) => {
  if (!permits(b, ctx, 'DescribeLogDirs.cluster')) return { throttleTimeMs: 0, errorCode: errorCode(refusal('DescribeLogDirs.cluster')), results: [] };
  const wanted: Map<string, number[] | null> = new Map();
  if (req.topics === null) for (const t of b.logs.topics()) wanted.set(t.name, null);
  else for (const t of req.topics) wanted.set(t.topic, t.partitions);
  const topics = [];
  for (const [name, parts] of wanted) {
    const t = b.logs.topic(name);
    if (!t) continue;
    const indexes = parts ?? Array.from({ length: t.partitions }, (_, i) => i);
    const partitions = [];
    for (const i of indexes) {
      const log = b.logs.getLog(name, i);
      if (log) partitions.push({ partitionIndex: i, partitionSize: log.size, offsetLag: 0, isFutureKey: false });
    }
    topics.push({ name, partitions });
  }
  const fs = await statfs(b.logs.dataDir);
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    results: [{ errorCode: 0, logDir: resolve(b.logs.dataDir), topics, totalBytes: fs.blocks * fs.bsize, usableBytes: fs.bavail * fs.bsize, isCordoned: false }],
  };
});
