import { errorCode } from '../../../protocol/errors.js';
import { defineHandler } from './handler.js';

// Endpoint type 1 is "brokers"; a request for controllers (2) is answered as Kafka's brokers
// answer it, with UNSUPPORTED_ENDPOINT_TYPE: outpost has no separate controller listener.
const BROKERS = 1;

export const describeCluster = defineHandler('DescribeCluster', [0, 2], (b, req) => {
  const endpointType = req.endpointType ?? BROKERS;
  const ok = endpointType === BROKERS;
  return {
    throttleTimeMs: 0,
    errorCode: errorCode(ok ? 'NONE' : 'UNSUPPORTED_ENDPOINT_TYPE'),
    errorMessage: ok ? null : 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER',
    endpointType: BROKERS,
    clusterId: b.clusterId,
    controllerId: b.nodeId,
    brokers: ok ? [{ brokerId: b.nodeId, host: b.host, port: b.port, rack: null }] : [],
    clusterAuthorizedOperations: -2147483648,
  };
});
