// A throwaway three-node Redis Cluster for the tests: loopback only, no persistence, free ports, each node in
// its own temp dir, stopped and removed after. Same conventions as _redis-server.ts.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { Cluster } from 'ioredis';
import { createClient, createCluster } from 'redis';

/** `override` if set, else /usr/bin/<name>, else next to redis-server, else the first <name> on PATH. */
function findBinary(name: string, override: string | undefined, near?: string): string | undefined {
  if (override) return existsSync(override) ? override : undefined;
  const candidates = [
    `/usr/bin/${name}`,
    ...(near ? [join(dirname(near), name)] : []),
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, name)),
  ];
  return candidates.find((path) => path && existsSync(path));
}

const SERVER = findBinary('redis-server', process.env.REDIS_SERVER_BIN);
const CLI = findBinary('redis-cli', process.env.REDIS_CLI_BIN, SERVER);
const HOST = '127.0.0.1';
const NODES = 3;
/** Redis listens for the cluster bus on port + 10000 (unless `cluster-port` is set, Redis >= 7 only). */
const BUS_OFFSET = 10_000;

export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
}

export interface RedisCluster {
  /** The three masters, each owning about a third of the 16384 slots. */
  readonly nodes: readonly RedisClusterNode[];
  /** `redis://127.0.0.1:<port>` of node `i` (default 0). */
  url(i?: number): string;
  /** Kills every node and removes their temp dirs; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Whether the cluster tests can run here (needs redis-server and redis-cli). Without them they are skipped
 * with a note saying how to install them, except on CI (`CI=true`), where that must fail the run instead.
 */
export function redisClusterAvailable(): boolean {
  if (SERVER && CLI) return true;
  const missing = [SERVER ? undefined : 'redis-server', CLI ? undefined : 'redis-cli'].filter(Boolean);
  const note = `SKIPPED: ${missing.join(' and ')} not found; install with: apt-get install -y redis-server`;
  if (process.env.CI === 'true') throw new Error(`${note} (CI=true: failing instead of skipping)`);
  console.warn(note);
  return false;
}

function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.on('error', () => resolve(undefined));
    server.listen(port, HOST, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
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

/** One inline command on a raw socket; resolves with the raw RESP reply, or undefined if it failed. */
function rawCommand(port: number, command: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    const done = (result: string | undefined) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1000, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      const end = reply.indexOf('\r\n');
      if (end < 0) return;
      if (!reply.startsWith('$')) return done(reply); // simple string or error: one line
      const length = Number(reply.slice(1, end));
      if (length < 0 || reply.length >= end + 2 + length + 2) done(reply.slice(end + 2, end + 2 + length));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function kill(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited(child);
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface RunningNode {
  readonly port: number;
  readonly child: ChildProcess;
  readonly dir: string;
}

async function tryStartNode(port: number): Promise<RunningNode | undefined> {
  if (!SERVER) throw new Error('redis-server not found');
  const dir = await mkdtemp(join(tmpdir(), `mc-redis-cluster-${port}-`));
  const args = [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout',
    '2000',
    '--save',
    '',
    '--appendonly',
    'no',
    '--bind',
    HOST,
    '--port',
    String(port),
  ];
  const child = spawn(SERVER, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break; // e.g. the port or bus port was taken between freePort() and here
    if ((await rawCommand(port, 'PING'))?.startsWith('+PONG')) return { port, child, dir };
    await sleep(50);
  }
  await kill(child);
  await rm(dir, { recursive: true, force: true });
  if (/Address already in use/i.test(output)) return undefined;
  throw new Error(`redis-server (cluster node) did not start on port ${port}:\n${output}`);
}

async function startNode(): Promise<RunningNode> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const node = await tryStartNode(await freePort());
    if (node) return node;
  }
  throw new Error('redis-cluster: no free port after 5 attempts');
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
    for (let i = 0; i < NODES; i++) running.push(await startNode());
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

const connectNodeRedis = (node: RedisClusterNode) => createClient({ url: nodeUrl(node) }).connect();
type NodeRedis = Awaited<ReturnType<typeof connectNodeRedis>>;

/** Runs `fn` with a plain (non-cluster) node-redis client on each node, in parallel, closing them after. */
async function onEachNode<T>(
  nodes: readonly RedisClusterNode[],
  fn: (client: NodeRedis) => Promise<T>,
): Promise<T[]> {
  return Promise.all(
    nodes.map(async (node) => {
      const client = await connectNodeRedis(node);
      try {
        return await fn(client);
      } finally {
        await client.close();
      }
    }),
  );
}

/**
 * `cmdstat_<command>:calls=N` from `INFO commandstats`, per node, in `nodes` order. `command` is matched
 * lower-cased; subcommands are spelled with a bar, e.g. `cluster|info`. 0 for a command never called.
 */
export async function commandCallsPerNode(
  nodes: readonly RedisClusterNode[],
  command: string,
): Promise<number[]> {
  const name = command.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm');
  return onEachNode(nodes, async (client) =>
    Number(pattern.exec(await client.info('commandstats'))?.[1] ?? 0),
  );
}

/** The calls of `command` summed over every node (see `commandCallsPerNode`), e.g. to count round trips. */
export async function commandCalls(nodes: readonly RedisClusterNode[], command: string): Promise<number> {
  return (await commandCallsPerNode(nodes, command)).reduce((a, b) => a + b, 0);
}

/** CONFIG RESETSTAT on every node: zeroes the command stats that `commandCalls` reads. */
export async function resetStats(nodes: readonly RedisClusterNode[]): Promise<void> {
  await onEachNode(nodes, (client) => client.configResetStat());
}
