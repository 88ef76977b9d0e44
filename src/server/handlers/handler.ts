// Declares a request handler: the API it serves, the versions it serves (Apache Kafka 4.4's range
// unless a comment says otherwise), and the function that turns a request into a response. The
// request and response are typed from the generated message interfaces, so a handler's response is
// checked by tsc field by field.
import { api } from '../../../protocol/apis.js';
import type { ApiMessages, ApiName } from '../../../protocol/messages/messages.js';
import type { Decoded } from '../../../protocol/messages/types.js';
import type { Handler, RequestContext } from '../connection.js';
import type { BrokerContext } from '../context.js';

export type HandlerFactory = (broker: BrokerContext) => Handler;

export type RequestOf<N extends ApiName> = Decoded<ApiMessages[N]['request']>;
export type ResponseOf<N extends ApiName> = ApiMessages[N]['response'];

export function defineHandler<N extends ApiName>(
  name: N,
  versions: [number, number],
  handle: (broker: BrokerContext, body: RequestOf<N>, ctx: RequestContext) => Promise<ResponseOf<N> | null> | ResponseOf<N> | null,
): HandlerFactory {
  const a = api(name);
  if (versions[0] < a.minVersion || versions[1] > a.maxVersion) {
    throw new Error(`${name} ${versions.join('-')} is outside the defined ${a.minVersion}-${a.maxVersion}`);
  }
  return (broker) => ({ api: a, minVersion: versions[0], maxVersion: versions[1], handle: (body, ctx) => handle(broker, body as RequestOf<N>, ctx) });
}
