// Starts and stops a broker: its identity, its logs, the Kafka listener and the admin listener.
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { startAdminHttp, type AdminHttpOptions } from '../admin/http.js';
import { tlsMaterial } from '../client/tls-material.js';
import { resolveAdminSecurity } from '../config/admin-security.js';
import { isReloadableListenerConfig, resolveListenerSecurity } from '../config/listeners.js';
import { passwordChecker } from '../security/password-check.js';
import { AclStore } from '../security/acl-store.js';
import { Authorizer } from '../security/authorizer.js';
import { CLUSTER_NAME } from '../common/acls.js';
import { ANONYMOUS, userPrincipal } from '../security/principal.js';
import { createAcls, deleteAcls, describeAcls } from './handlers/acls.js';
import { brokerBoolean, brokerNumber } from '../config/broker-configs.js';
import { PasswordEncoder } from '../config/password-encoder.js';
import type { Settings } from '../config/settings.js';
import { resolveTopicConfig } from '../config/topic-configs.js';
import { GroupCoordinator } from '../groups/coordinator.js';
import { LinkManager } from '../link/link-manager.js';
import type { LinkManagerApi } from '../link/types.js';
import { LogManager } from '../log/log-manager.js';
import { createLogger } from '../logger.js';
import { ConnectionLimits, segmentFileBudget } from './connection-limits.js';
import type { Connection, Handler } from './connection.js';
import type { BrokerContext } from './context.js';
import { lockDataDir } from './data-dir-lock.js';
import { createDeclaredLinks } from './declared-links.js';
import { DynamicBrokerConfigs } from './dynamic-configs.js';
import { FetchSessions } from './fetch-sessions.js';
import { apiVersions, apiVersionsBody } from './handlers/api-versions.js';
import { configHandlers } from './handlers/configs.js';
import { describeCluster } from './handlers/describe-cluster.js';
import { describeTopicPartitions } from './handlers/describe-topic-partitions.js';
import { fetch } from './handlers/fetch.js';
import { groupHandlers } from './handlers/groups.js';
import type { HandlerFactory } from './handlers/handler.js';
import { initProducerId } from './handlers/init-producer-id.js';
import { transactionHandlers } from './handlers/transactions.js';
import { markerWriter } from './txn-markers.js';
import { TransactionCoordinator } from '../transactions/coordinator.js';
import { describeLogDirs } from './handlers/log-dirs.js';
import { describeProducers } from './handlers/describe-producers.js';
import { metadata } from './handlers/metadata.js';
import { deleteRecords, listOffsets, offsetForLeaderEpoch } from './handlers/offsets.js';
import { produce } from './handlers/produce.js';
import { createPartitions, createTopics, deleteTopics } from './handlers/topics.js';
import { loadIdentity } from './identity.js';
import { Partitions } from './partitions.js';
import { ProducerIdAllocator } from './producer-ids.js';
import { groupOffsets, localGroups } from './link-groups.js';
import { startKafkaListener, type KafkaListener, type ListenerDeps } from './kafka-listener.js';
import { RequestMemory } from './request-memory.js';
import { ScramCredentialStore } from '../security/scram-credentials.js';
import { saslAuthenticate, saslHandshake } from './handlers/sasl.js';
import { alterUserScramCredentials, describeClientQuotas, describeUserScramCredentials } from './handlers/scram-users.js';

/** How long a shutdown waits for the requests in hand before it closes their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningBroker {
  /** the first Kafka listener's bound port (useful when started on port 0) */
  port: number;
  /** every Kafka listener's bound port, by listener name */
  ports: Record<string, number>;
  adminPort: number;
  clusterId: string;
  /** the broker's cluster links (tests and embedders drive them directly) */
  links: LinkManagerApi;
  close(): Promise<void>;
}

/** HTTPS and HTTP Basic for the admin listener, as admin.* says; Basic checks the broker's users. */
function adminSecurityOptions(settings: Settings, configs: Record<string, string>, scram: ScramCredentialStore): Pick<AdminHttpOptions, 'tls' | 'authenticate'> {
  const security = resolveAdminSecurity(configs, settings.admin);
  const plainUsers = new Map<string, string>();
  for (const l of settings.listeners) for (const [u, p] of resolveListenerSecurity(configs, l).sasl?.plainUsers ?? []) plainUsers.set(u, p);
  const delay = brokerNumber(configs, 'connection.failed.authentication.delay.ms');
  return {
    ...(security.ssl ? { tls: tlsMaterial(security.ssl) } : {}),
    ...(security.basicAuth ? { authenticate: passwordChecker(scram, plainUsers, delay) } : {}),
  };
}

/** Kafka's StandardAuthorizer when authorizer.class.name names it: ACLs from the data dir. */
async function openAuthorizer(dataDir: string, configs: Record<string, string>): Promise<{ authorizer?: Authorizer }> {
  if (!configs['authorizer.class.name']) return {};
  const superUsers = new Set((configs['super.users'] ?? '').split(';').map((s) => s.trim()).filter((s) => s !== ''));
  return { authorizer: new Authorizer(await AclStore.open(dataDir), superUsers, brokerBoolean(configs, 'allow.everyone.if.no.acl.found')) };
}

function adminAuthorization(authorizer: Authorizer): NonNullable<AdminHttpOptions['authorize']> {
  return (user, host, write) => authorizer.authorize({ principal: user === null ? ANONYMOUS : userPrincipal(user), host }, write ? 'ALTER' : 'DESCRIBE', 'CLUSTER', CLUSTER_NAME);
}

/** The sealer of the links' secrets, when password.encoder.secret is set. */
function passwordEncoder(configs: Record<string, string>): PasswordEncoder | null {
  const secret = configs['password.encoder.secret'];
  if (secret === undefined || secret === '') return null;
  return new PasswordEncoder(secret, configs['password.encoder.old.secret'] || null);
}

export async function startBroker(settings: Settings, opts: { logger?: Logger } = {}): Promise<RunningBroker> {
  const logger = opts.logger ?? createLogger();
  // Settings always carry node.id; brokers started from Settings built by hand default to 1.
  const configs = { 'node.id': '1', ...settings.configs };
  const nodeId = brokerNumber(configs, 'node.id');
  await mkdir(settings.dataDir, { recursive: true });
  const unlock = await lockDataDir(settings.dataDir);
  try {
    return await startLocked(settings, configs, nodeId, logger, unlock);
  } catch (err) {
    await unlock();
    throw err;
  }
}

async function startLocked(settings: Settings, configs: Record<string, string>, nodeId: number, logger: Logger, unlock: () => Promise<void>): Promise<RunningBroker> {
  const identity = await loadIdentity(settings.dataDir, nodeId);
  const scram = await ScramCredentialStore.open(settings.dataDir);
  // Before anything is opened that would need closing: a bad admin keystore fails start-up here.
  const adminSecurity = adminSecurityOptions(settings, configs, scram);
  // Loaded before the logs, which resolve their topic configs against the dynamic defaults too.
  const dynamicConfigs = await DynamicBrokerConfigs.load(settings.dataDir, configs, (m) => logger.warn(m));
  const logs = await LogManager.open(settings.dataDir, { resolveTopicConfig: (overrides) => resolveTopicConfig(overrides, dynamicConfigs.layers), logger, retentionCheckIntervalMs: brokerNumber(configs, 'log.retention.check.interval.ms'), cleanerBackoffMs: Math.max(1, brokerNumber(configs, 'log.cleaner.backoff.ms')), tailCacheBytes: settings.tailCacheBytes, maxOpenFiles: segmentFileBudget() });
  // This broker's metrics alone: several brokers may share a process.
  const registry = new Registry();
  // Cluster links: they fill their mirror topics, which are read-only to clients. A link store that
  // cannot be read (secrets that do not open) stops the start, with the log closed again.
  const producerIds = await ProducerIdAllocator.open(settings.dataDir);
  const { authorizer } = await openAuthorizer(settings.dataDir, configs);
  // The groups are opened after the links: the links reach them (for consumer offset sync) once both are.
  let coordinator: GroupCoordinator | undefined;
  const links = await LinkManager.open(settings.dataDir, { logs, logger, registry, encoder: passwordEncoder(configs), groups: () => (coordinator ? localGroups(coordinator) : undefined), producerIdFloor: (id) => producerIds.ensureAbove(id), acls: () => authorizer?.store, clusterId: identity.clusterId }).catch(async (e: unknown) => {
    await logs.close();
    throw e;
  });
  // A topic no link mirrors any more keeps only what it holds here (its older records were its source's).
  for (const t of logs.topics()) {
    if (links.mirrorOf(t.name)) continue;
    for (let p = 0; p < t.partitions; p++) await logs.getLog(t.name, p)?.setRemote(null);
  }
  // Consumer groups: offsets and group metadata live in __consumer_offsets on our own log.
  const groups = await GroupCoordinator.open({ logs, brokerConfigs: dynamicConfigs.layers, logger });
  coordinator = groups;
  // Transactions: each transactional id's state lives in __transaction_state; markers go to the
  // partitions through the partition layer (and the group coordinator, for offsets).
  const partitions = new Partitions(logs, () => links);
  const transactions = await TransactionCoordinator.open({
    logs, brokerConfigs: dynamicConfigs.layers, logger, allocateProducerId: () => producerIds.allocate(), markers: markerWriter(partitions, () => groups, logger),
  });
  const shutdownListeners = new Set<() => void>();

  // Listeners with the certificates a dynamic change last set (rotated certificates outlive a restart).
  const tlsConfigs = (brokerLayer: Readonly<Record<string, string>>) => ({
    ...configs,
    ...Object.fromEntries(Object.entries(brokerLayer).filter(([k]) => isReloadableListenerConfig(k))),
  });
  const listeners: KafkaListener[] = [];
  const broker: BrokerContext = {
    nodeId,
    clusterId: identity.clusterId,
    logs,
    partitions,
    links,
    groups,
    transactions,
    get brokerConfigs() {
      return dynamicConfigs.layers;
    },
    dynamicConfigs,
    producerIds,
    scram,
    listenerTls: {
      prepare(brokerLayer) {
        const prepared = listeners.map((l) => l.prepareTls(tlsConfigs(brokerLayer))).filter((p) => p !== null);
        const failed = prepared.find((p) => 'problem' in p);
        if (failed && 'problem' in failed) return failed;
        return { apply: () => prepared.forEach((p) => 'apply' in p && p.apply()) };
      },
    },
    ...(authorizer ? { authorizer } : {}),
    fetchSessions: new FetchSessions(brokerNumber(configs, 'max.incremental.fetch.session.cache.slots')),
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
    apiVersions(() => handlers), createTopics, deleteTopics, createPartitions, describeCluster, describeLogDirs, describeProducers, describeTopicPartitions,
    ...configHandlers, ...groupHandlers, ...transactionHandlers, saslHandshake, saslAuthenticate, describeUserScramCredentials, alterUserScramCredentials, describeClientQuotas,
    describeAcls, createAcls, deleteAcls,
  ];
  for (const make of factories) {
    const h = make(broker);
    handlers.set(h.api.key, h);
  }

  const connections = new Set<Connection>();
  const listenerDeps: ListenerDeps = {
    configs: tlsConfigs(dynamicConfigs.layer('broker')),
    connection: {
      handlers,
      maxFrameBytes: brokerNumber(configs, 'socket.request.max.bytes'),
      memory: new RequestMemory(brokerNumber(configs, 'queued.max.request.bytes')),
      idleMs: brokerNumber(configs, 'connections.max.idle.ms'),
      logger,
      apiVersionsFallback: () => apiVersionsBody(handlers, 'UNSUPPORTED_VERSION'),
    },
    limits: new ConnectionLimits(brokerNumber(configs, 'max.connections'), brokerNumber(configs, 'max.connections.per.ip')),
    connections,
    scram: broker.scram,
    logger,
  };
  try {
    for (const spec of settings.listeners) listeners.push(await startKafkaListener(spec, listenerDeps));
  } catch (e) {
    // A listener that cannot start (a bad keystore, a port taken) stops the broker's start.
    await Promise.all(listeners.map((l) => l.close()));
    groups.close();
    transactions.close();
    await links.close();
    await logs.close();
    throw e;
  }
  logs.start();
  links.start();
  // The links and mirrors the settings file declares, made now if missing.
  if (settings.links) await createDeclaredLinks(links, settings.links, logger);

  const admin = await startAdminHttp({
    host: settings.admin.host,
    port: settings.admin.port,
    ...adminSecurity,
    // The REST API is authorized with the same ACLs: reads need DESCRIBE on the cluster, changes ALTER.
    ...(broker.authorizer ? { authorize: adminAuthorization(broker.authorizer) } : {}),
    health: () => ({ status: broker.stopping ? 'stopping' : 'ok', clusterId: identity.clusterId, nodeId, topics: logs.topics().length }),
    links: {
      clusterId: identity.clusterId,
      links,
      broker: { nodeId, listeners: () => listeners.map((l) => ({ name: l.spec.name, securityProtocol: l.spec.protocol, ...l.info.advertised })) },
      groups: groupOffsets(groups, logs),
    },
    registry,
  });
  const listenerLog = listeners.map((l) => `${l.spec.name}://${l.spec.bind.host}:${l.port} (${l.spec.protocol}, advertised ${l.info.advertised.host}:${l.info.advertised.port})`);
  const ports = Object.fromEntries(listeners.map((l) => [l.spec.name, l.port]));
  logger.info({ listeners: listenerLog, ports, admin: `${settings.admin.host}:${admin.port}`, dataDir: settings.dataDir, clusterId: identity.clusterId }, 'outpost is serving');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      // Stop accepting, answer long polls now, let every request in hand finish, then close the log.
      broker.stopping = true;
      groups.close(); // answers parked JoinGroup/SyncGroup, or the drain below would wait on them
      transactions.close();
      const stopped = Promise.all(listeners.map((l) => l.close()));
      for (const l of shutdownListeners) l();
      // Bounded: a request that never completes (a client gone mid-rebalance, say) must not hold
      // the shutdown hostage; what has not finished by then is cut off with its connection.
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)));
      await Promise.race([Promise.all([...connections].map((c) => c.drained())), grace]);
      clearTimeout(timer);
      for (const c of connections) c.close();
      await stopped;
      await admin.close();
      await links.close(); // cluster links: fetching stops before the logs close
      await logs.close();
      await unlock();
      logger.info('outpost stopped');
    })());

  return { port: listeners[0]!.port, ports, adminPort: admin.port, clusterId: identity.clusterId, links, close };
}
