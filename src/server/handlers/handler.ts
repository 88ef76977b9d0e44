// Declares a request handler: the API it serves, the versions it serves (Apache Kafka 4.0's
// range unless a comment says otherwise), and the function that turns a request into a response.
import { api } from '../../../protocol/apis.js';
import type { Handler, RequestContext } from '../connection.js';
import type { BrokerContext } from '../context.js';

export type HandlerFactory = (broker: BrokerContext) => Handler;

export function defineHandler(
  name: string,
  versions: [number, number],
  handle: (broker: BrokerContext, body: any, ctx: RequestContext) => Promise<any> | any,
): HandlerFactory {
  const a = api(name);
  if (versions[0] < a.minVersion || versions[1] > a.maxVersion) {
    throw new Error(`${name} ${versions.join('-')} is outside the defined ${a.minVersion}-${a.maxVersion}`);
  }
  return (broker) => ({ api: a, minVersion: versions[0], maxVersion: versions[1], handle: (body, ctx) => handle(broker, body, ctx) });
}
