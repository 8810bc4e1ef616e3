// A throwaway three-node Redis Cluster for the tests: loopback only, no persistence, free ports, each node in
// its own temp dir, stopped and removed after. The process plumbing, the clients' conventions and the
// command counters are _redis-server.ts's.
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import {
  binariesAvailable,
  findBinary,
  forSuite,
  HOST,
  kill,
  listenOnce,
  onAFreePort,
  REDIS_SERVER,
  type RedisNode,
  rawCommand,
  sleep,
  spawnRedis,
} from './_redis-server.js';

export { commandCalls, commandCallsPerNode, resetStats } from './_redis-server.js';

const CLI = findBinary('redis-cli', process.env.REDIS_CLI_BIN, REDIS_SERVER);
const NODES = 3;
/** Redis listens for the cluster bus on port + 10000 (unless `cluster-port` is set, Redis >= 7 only). */
const BUS_OFFSET = 10_000;

export type RedisClusterNode = RedisNode;

export interface RedisCluster {
  /** The three masters, each owning about a third of the 16384 slots. */
  readonly nodes: readonly RedisClusterNode[];
  /** `redis://127.0.0.1:<port>` of node `i` (default 0). */
  url(i?: number): string;
  /** Kills every node and removes their temp dirs; safe to call twice. */
  stop(): Promise<void>;
}

/** Whether the cluster tests can run here: redis-server and redis-cli (see `binariesAvailable`). */
export function redisClusterAvailable(): boolean {
  return binariesAvailable([REDIS_SERVER ? '' : 'redis-server', CLI ? '' : 'redis-cli'].filter(Boolean));
}

/**
 * A port the kernel just handed out and released, whose bus port (port + 10000) is also free right now;
 * a race with another process is retried by the caller.
 */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0);
    if (port === undefined || port + BUS_OFFSET > 65_535) continue;
    if ((await listenOnce(port + BUS_OFFSET)) !== undefined) return port;
  }
  throw new Error('redis-cluster: no free port pair (port, port + 10000) after 50 attempts');
}

interface RunningNode {
  readonly port: number;
  readonly child: ChildProcess;
  readonly dir: string;
}

async function tryStartNode(): Promise<RunningNode | undefined> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), `mc-redis-cluster-${port}-`));
  const args = ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)];
  args.push('--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no');
  // Undefined also when the bus port (port + 10000) was taken meanwhile: the caller tries another.
  const child = await spawnRedis(port, args, dir).catch(async (error) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  if (child) return { port, child, dir };
  await rm(dir, { recursive: true, force: true });
  return undefined;
}

function createClusterWithCli(ports: number[]): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!CLI) return reject(new Error('redis-cli not found'));
    const args = ['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`)];
    args.push('--cluster-replicas', '0', '--cluster-yes');
    execFile(CLI, args, { timeout: 15_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli --cluster create failed: ${error.message}\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

/** Polls CLUSTER INFO on every node until each reports cluster_state:ok (all slots covered, all agreed). */
async function waitForClusterOk(ports: number[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: Array<string | undefined> = [];
  while (Date.now() < deadline) {
    last = await Promise.all(ports.map((p) => rawCommand(p, 'CLUSTER INFO')));
    if (last.every((info) => info?.includes('cluster_state:ok'))) return;
    await sleep(100);
  }
  const states = last.map((info, i) => `${ports[i]}: ${/cluster_state:\w+/.exec(info ?? '')?.[0] ?? info}`);
  throw new Error(`redis-cluster: not ok after ${timeoutMs} ms (${states.join(', ')})`);
}

/** Starts three masters and joins them into one cluster; call `stop()` in `afterAll`. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const running: RunningNode[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(running.map((n) => kill(n.child)));
    await Promise.all(running.map((n) => rm(n.dir, { recursive: true, force: true })));
  };
  try {
    // One at a time so that two nodes never race for the same port.
    for (let i = 0; i < NODES; i++) running.push(await onAFreePort('redis-cluster', tryStartNode));
    const ports = running.map((n) => n.port);
    await createClusterWithCli(ports);
    await waitForClusterOk(ports);
  } catch (error) {
    await stop();
    throw error;
  }
  const nodes = running.map(({ port }) => ({ host: HOST, port }));
  return {
    nodes,
    url(i = 0) {
      const node = nodes[i];
      if (!node) throw new Error(`redis-cluster: no node ${i}`);
      return `redis://${node.host}:${node.port}`;
    },
    stop,
  };
}

const nodeUrl = (node: RedisClusterNode) => `redis://${node.host}:${node.port}`;

const connectNodeRedisCluster = (nodes: readonly RedisClusterNode[]) =>
  createCluster({ rootNodes: nodes.map((n) => ({ url: nodeUrl(n) })) }).connect();
export type NodeRedisCluster = Awaited<ReturnType<typeof connectNodeRedisCluster>>;

/** A connected node-redis cluster client (`redis` package); `close()` it when done. */
export function nodeRedisCluster(nodes: readonly RedisClusterNode[]): Promise<NodeRedisCluster> {
  return connectNodeRedisCluster(nodes);
}

/** An ioredis `Cluster`, resolved once it is 'ready' (slots known); `quit()` it when done. */
export async function ioRedisCluster(nodes: readonly RedisClusterNode[]): Promise<Cluster> {
  const cluster = new Cluster(
    nodes.map((n) => ({ host: n.host, port: n.port })),
    { lazyConnect: true },
  );
  await cluster.connect(); // resolves on 'ready', rejects if no startup node answers
  return cluster;
}

export interface RedisClusterSuite {
  readonly cluster: RedisCluster;
  /** A node-redis cluster client, connected. */
  readonly nodeRedis: NodeRedisCluster;
  /** An ioredis `Cluster`, ready. */
  readonly ioRedis: Cluster;
}

/** Call inside a `describe`: a fresh three-node cluster and a cluster client of each kind, for its tests. */
export function useRedisCluster(): RedisClusterSuite {
  return forSuite(
    'useRedisCluster',
    async () => {
      const cluster = await startRedisCluster();
      const [nodeRedis, ioRedis] = await Promise.all([
        nodeRedisCluster(cluster.nodes),
        ioRedisCluster(cluster.nodes),
      ]);
      return { cluster, nodeRedis, ioRedis };
    },
    async ({ cluster, nodeRedis, ioRedis }) => {
      await Promise.allSettled([nodeRedis.close(), ioRedis.quit()]);
      await cluster.stop();
    },
    60_000,
  );
}
