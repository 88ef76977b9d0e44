// Starts and stops a broker: its identity, its logs, the Kafka listener and the admin listener.
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import type { Logger } from 'pino';
import { startAdminHttp } from '../admin/http.js';
import { resolveTopicConfig } from '../config/topic-configs.js';
import type { Settings } from '../config/settings.js';
import { LogManager } from '../log/log-manager.js';
import { createLogger } from '../logger.js';
import { Connection, type Handler } from './connection.js';
import type { BrokerContext } from './context.js';
import { FetchSessions } from './fetch-sessions.js';
import { apiVersions, apiVersionsBody } from './handlers/api-versions.js';
import { configHandlers } from './handlers/configs.js';
import { describeCluster } from './handlers/describe-cluster.js';
import { fetch } from './handlers/fetch.js';
import type { HandlerFactory } from './handlers/handler.js';
import { initProducerId } from './handlers/init-producer-id.js';
import { describeLogDirs } from './handlers/log-dirs.js';
import { metadata } from './handlers/metadata.js';
import { deleteRecords, listOffsets, offsetForLeaderEpoch } from './handlers/offsets.js';
import { produce } from './handlers/produce.js';
import { createPartitions, createTopics, deleteTopics } from './handlers/topics.js';
import { loadIdentity } from './identity.js';
import { ProducerIdAllocator } from './producer-ids.js';

export interface RunningBroker {
  /** the Kafka listener's bound port (useful when started on port 0) */
  port: number;
  adminPort: number;
  clusterId: string;
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

export async function startBroker(settings: Settings, opts: { logger?: Logger } = {}): Promise<RunningBroker> {
  const logger = opts.logger ?? createLogger();
  const configs = settings.configs;
  const nodeId = Number(configs['node.id'] ?? 1);
  await mkdir(settings.dataDir, { recursive: true });
  const identity = await loadIdentity(settings.dataDir, nodeId);
  const logs = await LogManager.open(settings.dataDir, { resolveTopicConfig: (overrides) => resolveTopicConfig(overrides, configs), logger });
  const shutdownListeners = new Set<() => void>();

  const server = createServer();
  const kafkaPort = await listen(server, settings.listen.host, settings.listen.port);
  // An advertised port of 0 means "whatever was bound": used by tests that start on port 0.
  const advertised = settings.advertisedListener ?? settings.listen;
  const broker: BrokerContext = {
    nodeId,
    clusterId: identity.clusterId,
    host: advertised.host,
    port: advertised.port === 0 ? kafkaPort : advertised.port,
    logs,
    brokerConfigs: configs,
    producerIds: await ProducerIdAllocator.open(settings.dataDir),
    fetchSessions: new FetchSessions(Number(configs['max.incremental.fetch.session.cache.slots'] ?? 1000)),
    logger,
    stopping: false,
    onShutdown(listener) {
      shutdownListeners.add(listener);
      return () => shutdownListeners.delete(listener);
    },
  };

  const handlers = new Map<number, Handler>();
  const factories: HandlerFactory[] = [
    produce, fetch, listOffsets, metadata, offsetForLeaderEpoch, deleteRecords, initProducerId,
    apiVersions(() => handlers), createTopics, deleteTopics, createPartitions, describeCluster, describeLogDirs,
    ...configHandlers,
  ];
  for (const make of factories) {
    const h = make(broker);
    handlers.set(h.api.key, h);
  }

  const connections = new Set<Connection>();
  server.on('connection', (socket) => {
    const conn = new Connection(socket, {
      handlers,
      maxFrameBytes: Number(configs['socket.request.max.bytes'] ?? 104857600),
      logger,
      apiVersionsFallback: () => apiVersionsBody(handlers, 'UNSUPPORTED_VERSION'),
    });
    connections.add(conn);
    socket.on('close', () => connections.delete(conn));
  });
  logs.start();

  const admin = await startAdminHttp({
    host: settings.admin.host,
    port: settings.admin.port,
    health: () => ({ status: broker.stopping ? 'stopping' : 'ok', clusterId: identity.clusterId, nodeId, topics: logs.topics().length }),
  });
  logger.info({ listener: `${settings.listen.host}:${kafkaPort}`, advertised: `${broker.host}:${broker.port}`, admin: `${settings.admin.host}:${admin.port}`, dataDir: settings.dataDir, clusterId: identity.clusterId }, 'outpost is serving');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      // Stop accepting, answer long polls now, let every request in hand finish, then close the log.
      broker.stopping = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const l of shutdownListeners) l();
      await Promise.all([...connections].map((c) => c.drained()));
      for (const c of connections) c.close();
      await stopped;
      await admin.close();
      await logs.close();
      logger.info('outpost stopped');
    })());

  return { port: kafkaPort, adminPort: admin.port, clusterId: identity.clusterId, close };
}
