// The committed offsets of every group, as the records of __consumer_offsets left them: the
// coordinator changes this only by replaying a record after its append, so memory and log agree.

export interface CommittedOffset {
  offset: number;
  /** -1: none */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** an explicit expiry (OffsetCommit v2-4's retention time), or -1 for offsets.retention.minutes */
  expireTimestamp: number;
}

export interface TopicOffsets {
  topic: string;
  partitions: Map<number, CommittedOffset>;
}

export class OffsetStore {
  /** group → topic → partition, each in the order first committed */
  private readonly byGroup = new Map<string, Map<string, Map<number, CommittedOffset>>>();

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(groupId)?.get(topic)?.get(partition);
  }

  set(groupId: string, topic: string, partition: number, committed: CommittedOffset): void {
    let topics = this.byGroup.get(groupId);
    if (!topics) this.byGroup.set(groupId, (topics = new Map()));
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, committed);
  }

  delete(groupId: string, topic: string, partition: number): void {
    const topics = this.byGroup.get(groupId);
    const partitions = topics?.get(topic);
    if (!topics || !partitions) return;
    partitions.delete(partition);
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.byGroup.delete(groupId);
  }

  clear(): void {
    this.byGroup.clear();
  }

  hasOffsets(groupId: string): boolean {
    return this.byGroup.has(groupId);
  }

  groupIds(): string[] {
    return [...this.byGroup.keys()];
  }

  /** A group's offsets by topic. */
  topics(groupId: string): TopicOffsets[] {
    const topics = this.byGroup.get(groupId);
    return topics ? [...topics].map(([topic, partitions]) => ({ topic, partitions })) : [];
  }
}
