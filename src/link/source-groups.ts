// Consumer groups coordinated by the source cluster (consumer.group.coordination=source): their
// group APIs are passed to the source's coordinator over the link's own, authenticated
// connections. Offsets are the same on both sides of a link, so such a group can move between
// this broker and the source at any time, and the source's lag monitoring keeps seeing it.
import type { ApiMessages } from '../../protocol/messages/messages.js';
import type { Decoded } from '../../protocol/messages/types.js';
import type { GroupApi, GroupCall, SourceEndpoint } from './source-endpoint.js';

/** A client connection's own connections to the source: named by the client connection's id. */
const laneOf = (client: number) => `group client ${client}`;

/** How the link names topics: a mirror's local name and its source topic's name. */
export interface TopicNames {
  toSource(localTopic: string): string;
  toLocal(sourceTopic: string): string;
}

export class SourceGroups {
  /** the source broker coordinating each group, as last found */
  private readonly coordinators = new Map<string, number>();

  constructor(private readonly source: () => SourceEndpoint, readonly topics: TopicNames) {}

  /** Finds the source's coordinator of `group` again (as a client does with FindCoordinator). */
  async locate(group: string): Promise<number> {
    const broker = await this.source().groupCoordinator(group);
    this.coordinators.set(group, broker);
    return broker;
  }

  /**
   * Sends a request about `group` for client connection `client` to the source's coordinator, on
   * connections of that client's own: a broker answers a connection's requests one at a time, and
   * a JoinGroup waits there for the whole rebalance, so sharing one would hold up every other
   * client's heartbeats behind it. Rejects when the source cannot be asked or does not answer.
   */
  async request<N extends GroupApi>(client: number, group: string, name: N, call: GroupCall<N>): Promise<{ version: number; body: Decoded<ApiMessages[N]['response']> }> {
    const broker = this.coordinators.get(group) ?? (await this.locate(group));
    try {
      return await this.source().groupRequest(broker, laneOf(client), name, call);
    } catch (e) {
      this.coordinators.delete(group);
      throw e;
    }
  }

  /** The source answered that it does not coordinate `group` (any more): found again next time. */
  moved(group: string): void {
    this.coordinators.delete(group);
  }

  /** The client connection `client` has closed: so do its connections to the source. */
  release(client: number): void {
    this.source().closeLane(laneOf(client));
  }
}
