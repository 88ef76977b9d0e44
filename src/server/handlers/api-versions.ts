import { errorCode } from '../../../protocol/errors.js';
import type { Handler } from '../connection.js';
import { defineHandler } from './handler.js';

/** The ApiVersions answer for a set of handlers; also what an unsupported version gets (v0). */
export function apiVersionsBody(handlers: Map<number, Handler>, error: 'NONE' | 'UNSUPPORTED_VERSION' = 'NONE'): any {
  const apiKeys = [...handlers.values()]
    .sort((a, b) => a.api.key - b.api.key)
    .map((h) => ({ apiKey: h.api.key, minVersion: h.minVersion, maxVersion: h.maxVersion }));
  return { errorCode: errorCode(error), apiKeys, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false };
}

// The handler map is only complete once every handler exists, so it is passed in late.
export const apiVersions = (all: () => Map<number, Handler>) =>
  defineHandler('ApiVersions', [0, 4], () => apiVersionsBody(all()));
