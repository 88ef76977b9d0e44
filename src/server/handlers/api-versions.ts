import { errorCode } from '../../../protocol/errors.js';
import type { Handler } from '../connection.js';
import { defineHandler, type ResponseOf } from './handler.js';

// Kafka 4.0 advertises Produce from v0 although it refuses v0-v2 (closing the connection, as for
// any version it does not serve): librdkafka releases of its time will not produce compressed
// batches to a broker whose Produce range starts above v0 (KAFKA-18659). outpost does the same.
const ADVERTISED_MIN_VERSION = new Map([[0, 0]]);

/** The ApiVersions answer for a set of handlers; also what an unsupported version gets (v0). */
export function apiVersionsBody(handlers: Map<number, Handler>, error: 'NONE' | 'UNSUPPORTED_VERSION' = 'NONE'): ResponseOf<'ApiVersions'> {
  const apiKeys = [...handlers.values()]
    .sort((a, b) => a.api.key - b.api.key)
    .map((h) => ({ apiKey: h.api.key, minVersion: ADVERTISED_MIN_VERSION.get(h.api.key) ?? h.minVersion, maxVersion: h.maxVersion }));
  return { errorCode: errorCode(error), apiKeys, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false };
}

// The handler map is only complete once every handler exists, so it is passed in late.
export const apiVersions = (all: () => Map<number, Handler>) =>
  defineHandler('ApiVersions', [0, 4], () => apiVersionsBody(all()));
