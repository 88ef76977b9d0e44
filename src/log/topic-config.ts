// The per-topic settings the log acts on, already resolved from Kafka's config names
// (topic override, else broker default, else Kafka's default). src/config maps names to this.
export interface TopicConfig {
  /** segment.bytes */
  segmentBytes: number;
  /** segment.ms */
  segmentMs: number;
  /** segment.index.bytes: the most an .index or .timeindex file may hold before the segment rolls */
  segmentIndexBytes: number;
  /** index.interval.bytes: bytes appended between two sparse index entries */
  indexIntervalBytes: number;
  /** retention.ms (-1: unlimited) */
  retentionMs: number;
  /** retention.bytes (-1: unlimited) */
  retentionBytes: number;
  /** local.retention.ms, resolved (-2 is retention.ms): how long a log with a remote reader keeps its records here */
  localRetentionMs: number;
  /** local.retention.bytes, resolved (-2 is retention.bytes) */
  localRetentionBytes: number;
  /** max.message.bytes: the largest record batch accepted */
  maxMessageBytes: number;
  /** cleanup.policy: delete (retention.*), compact (the cleaner), or both */
  cleanupPolicy: string;
  /** min.cleanable.dirty.ratio: the share of a compacted log not cleaned yet that starts a clean */
  minCleanableDirtyRatio: number;
  /** min.compaction.lag.ms: records younger than this are not compacted */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: records older than this are compacted whatever the dirty ratio */
  maxCompactionLagMs: number;
  /** delete.retention.ms: how long tombstones stay once compaction reaches them */
  deleteRetentionMs: number;
  /** flush.messages: fsync after this many messages (Number.MAX_SAFE_INTEGER: leave it to the OS) */
  flushMessages: number;
  /** flush.ms: fsync when the oldest unflushed append is this old */
  flushMs: number;
  /** message.timestamp.type: CreateTime or LogAppendTime */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** message.timestamp.before.max.ms: how far in the past a produced CreateTime timestamp may be */
  messageTimestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms: how far in the future a produced CreateTime timestamp may be */
  messageTimestampAfterMaxMs: number;
  /** min.insync.replicas: above 1, more than one node has, acks=all produce cannot succeed */
  minInsyncReplicas: number;
  /** file.delete.delay.ms */
  fileDeleteDelayMs: number;
}
