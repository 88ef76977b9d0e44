import { errorCode, type ErrorName } from '../../../protocol/errors.js';
import { authorizedOperations } from '../authorization.js';
import { defineHandler } from './handler.js';

const BROKERS = 1;
const CONTROLLERS = 2;

// outpost has no separate controller listener: a request for controllers (2) is answered as a
// Kafka broker answers it, MISMATCHED_ENDPOINT_TYPE, and any other type is unknown. Kafka's error
// answers name no cluster and no controller.
function endpointProblem(type: number): { error: ErrorName; message: string } | null {
  if (type === BROKERS) return null;
  if (type === CONTROLLERS) return { error: 'MISMATCHED_ENDPOINT_TYPE', message: 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER' };
  return { error: 'UNSUPPORTED_ENDPOINT_TYPE', message: `Unsupported endpoint type ${type}` };
}

export const describeCluster = defineHandler('DescribeCluster', [0, 2], (b, req, ctx) => {
  const type = req.endpointType ?? BROKERS;
  const problem = endpointProblem(type);
  return {
    throttleTimeMs: 0,
    errorCode: errorCode(problem?.error ?? 'NONE'),
    errorMessage: problem?.message ?? null,
    endpointType: BROKERS,
    clusterId: problem ? '' : b.clusterId,
    controllerId: problem ? -1 : b.nodeId,
    brokers: problem ? [] : [{ brokerId: b.nodeId, host: ctx.listener.advertised.host, port: ctx.listener.advertised.port, rack: null }],
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations && !problem ? authorizedOperations(b, ctx, 'CLUSTER') : -2147483648,
  };
});
