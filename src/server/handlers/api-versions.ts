import { errorCode, type ErrorName } from '../../../protocol/errors.js';
import type { Handler } from '../connection.js';
import type { BrokerContext } from '../context.js';
import { defineHandler, type ResponseOf } from './handler.js';

// Kafka 4.4 advertises Produce from v0 although it refuses v0-v2 (closing the connection, as for
// any version it does not serve): librdkafka releases of its time will not produce compressed
// batches to a broker whose Produce range starts above v0 (KAFKA-18659). outpost does the same.
// SaslHandshake likewise: librdkafka takes a broker for SASL-capable only if its range holds v0,
// though it then sends v1; v0 (bare SASL tokens after the handshake) is not served.
const ADVERTISED_MIN_VERSION = new Map([[0, 0], [17, 0]]);

// The features outpost implements, at the levels clients choose protocol paths by: group.version
// 1 is the consumer group protocol (KIP-848), transaction.version 2 the epoch bumped at each
// transaction's end and partitions added by the produce itself (KIP-890). They are fixed, so
// finalized at their highest level from the start, under one unchanging epoch. Kafka's other
// features (metadata.version, kraft.version, share and streams groups) describe what outpost does
// not have, and are not listed.
const FEATURES = [
  { name: 'group.version', minVersion: 0, maxVersion: 1 },
  { name: 'transaction.version', minVersion: 0, maxVersion: 2 },
];
const FINALIZED_FEATURES_EPOCH = 1;
/** Before v4 Kafka leaves out supported features whose range starts at 0, which older clients cannot read (KAFKA-17011). */
const ZERO_MIN_FEATURES_VERSION = 4;

/** The ApiVersions answer for a set of handlers; also what an unsupported version gets (v0). */
export function apiVersionsBody(handlers: Map<number, Handler>, error: 'NONE' | 'UNSUPPORTED_VERSION' = 'NONE', version = 0): ResponseOf<'ApiVersions'> {
  const apiKeys = [...handlers.values()]
    .sort((a, b) => a.api.key - b.api.key)
    .map((h) => ({ apiKey: h.api.key, minVersion: ADVERTISED_MIN_VERSION.get(h.api.key) ?? h.minVersion, maxVersion: h.maxVersion }));
  const supportedFeatures = FEATURES.filter((f) => version >= ZERO_MIN_FEATURES_VERSION || f.minVersion > 0);
  const finalizedFeatures = FEATURES.map((f) => ({ name: f.name, maxVersionLevel: f.maxVersion, minVersionLevel: f.maxVersion }));
  return { errorCode: errorCode(error), apiKeys, throttleTimeMs: 0, supportedFeatures, finalizedFeaturesEpoch: FINALIZED_FEATURES_EPOCH, finalizedFeatures, zkMigrationReady: false };
}

/**
 * From v5 (KIP-1242) a client may say which cluster and node it means to reach; Kafka refuses
 * one of the two alone, and answers a mismatch with REBOOTSTRAP_REQUIRED (the address now
 * leads elsewhere), with no API list.
 */
function targetProblem(b: BrokerContext, clusterId: string | null, nodeId: number): ErrorName | null {
  if (clusterId === null && nodeId === -1) return null;
  if (clusterId === null || nodeId === -1) return 'INVALID_REQUEST';
  return clusterId === b.clusterId && nodeId === b.nodeId ? null : 'REBOOTSTRAP_REQUIRED';
}

// The handler map is only complete once every handler exists, so it is passed in late.
export const apiVersions = (all: () => Map<number, Handler>) =>
  defineHandler('ApiVersions', [0, 5], (b, req, ctx) => {
    const problem = targetProblem(b, req.clusterId, req.nodeId);
    if (problem) return { errorCode: errorCode(problem), apiKeys: [], throttleTimeMs: 0 };
    return apiVersionsBody(all(), 'NONE', ctx.version);
  });
