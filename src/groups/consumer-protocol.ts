// The one part of the consumer protocol (protocol type "consumer") the coordinator reads: the
// topics in a member's subscription, which decide whose offsets may expire or be deleted. Every
// version of ConsumerProtocolSubscription starts as version 0 does (int16 version, then the
// topics as an array of strings), so only that prefix is read.
import { Reader } from '../../protocol/primitives.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** The subscribed topics, or null when the metadata does not parse as a subscription. */
export function subscribedTopics(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    r.int16();
    const n = r.int32();
    if (n < 0 || n > r.remaining) return null;
    const topics: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = r.string(false);
      if (t === null) return null;
      topics.push(t);
    }
    return topics;
  } catch {
    return null;
  }
}
