// Redis for the tests, in one place: a throwaway redis-server (loopback only, no persistence, a free port,
// stopped after), the process plumbing the cluster harness (_redis-cluster.ts) shares with it, the two
// clients connected the one way, a suite helper that owns their lifecycle, and the server's own counters.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll } from 'vitest';

export const HOST = '127.0.0.1';

/** `override` if set, else /usr/bin/<name>, else next to `near`, else the first <name> on PATH (e.g. Homebrew). */
export function findBinary(name: string, override: string | undefined, near?: string): string | undefined {
  if (override) return existsSync(override) ? override : undefined;
  const candidates = [
    `/usr/bin/${name}`,
    ...(near ? [join(dirname(near), name)] : []),
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, name)),
  ];
  return candidates.find((path) => path && existsSync(path));
}

export const REDIS_SERVER = findBinary('redis-server', process.env.REDIS_SERVER_BIN);

/**
 * True when nothing is missing. Otherwise the tests are skipped with a note saying how to install what is
 * missing, except on CI (`CI=true`), where a missing server must fail the run rather than pass it silently.
 */
export function binariesAvailable(missing: readonly string[]): boolean {
  if (missing.length === 0) return true;
  const note = `SKIPPED: ${missing.join(' and ')} not found; install with: apt-get install -y redis-server`;
  if (process.env.CI === 'true') throw new Error(`${note} (CI=true: failing instead of skipping)`);
  console.warn(note);
  return false;
}

/** Whether the single-server tests can run here (see `binariesAvailable`). */
export function redisServerAvailable(): boolean {
  return binariesAvailable(REDIS_SERVER ? [] : ['redis-server']);
}

/** Listens on `port` (0: any) and releases it: the port that was free right now, or undefined if taken. */
export function listenOnce(port: number): Promise<number | undefined> {
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

/** One inline command on a raw socket; resolves with the raw RESP reply, or undefined if it failed. */
export function rawCommand(port: number, command: string): Promise<string | undefined> {
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

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** SIGTERM, SIGKILL after 5 s; resolves once the process has exited. */
export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Spawns redis-server with `args` and resolves once a PING on `port` gets PONG (ready for commands, not
 * only listening). Undefined when the port was taken meanwhile (the caller retries on another); throws,
 * with the server's output, on any other failure to start.
 */
export async function spawnRedis(
  port: number,
  args: readonly string[],
  cwd?: string,
): Promise<ChildProcess | undefined> {
  if (!REDIS_SERVER) throw new Error('redis-server not found');
  const child = spawn(REDIS_SERVER, [...args, '--port', String(port), '--bind', HOST], {
    ...(cwd !== undefined && { cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break; // e.g. the port was taken between choosing it and here
    if ((await rawCommand(port, 'PING'))?.startsWith('+PONG')) return child;
    await sleep(50);
  }
  await kill(child);
  if (/Address already in use/i.test(output)) return undefined;
  throw new Error(`redis-server did not start on port ${port}:\n${output}`);
}

/** Runs `attempt` until it gets a port (a free-port race with another process is retried), at most 5 times. */
export async function onAFreePort<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 5; i++) {
    const started = await attempt();
    if (started !== undefined) return started;
  }
  throw new Error(`${what}: no free port after 5 attempts`);
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts a fresh redis-server; call `stop()` in `afterAll` (or use `useRedisServer`). */
export function startRedisServer(): Promise<RedisServer> {
  return onAFreePort('redis-server', async () => {
    const port = await listenOnce(0);
    if (port === undefined) return undefined;
    const child = await spawnRedis(port, ['--save', '', '--appendonly', 'no']);
    if (!child) return undefined;
    return { host: HOST, port, url: `redis://${HOST}:${port}`, stop: () => kill(child) };
  });
}

/** A connected node-redis client (`redis` package); `close()` it when done. */
export const connectNodeRedis = (url: string) => createClient({ url }).connect();
export type NodeRedis = Awaited<ReturnType<typeof connectNodeRedis>>;

/** A connected ioredis client; `quit()` it when done. */
export async function connectIoRedis(server: { host: string; port: number }): Promise<Redis> {
  const client = new Redis(server.port, server.host, { lazyConnect: true });
  await client.connect();
  return client;
}

export interface RedisServerSuite {
  readonly server: RedisServer;
  /** node-redis, connected. */
  readonly nodeRedis: NodeRedis;
  /** ioredis, connected. */
  readonly ioRedis: Redis;
}

/**
 * Call inside a `describe`: `start` runs before its tests and `stop` after them. The object returned reads
 * through to what `start` made, so read its fields inside tests and hooks, not at collection time.
 */
export function forSuite<T extends object>(
  what: string,
  start: () => Promise<T>,
  stop: (made: T) => Promise<void>,
  timeoutMs?: number,
): T {
  let made: T | undefined;
  beforeAll(async () => {
    made = await start();
  }, timeoutMs);
  afterAll(async () => {
    if (made) await stop(made);
  });
  return new Proxy({} as T, {
    get(_, field) {
      if (!made) throw new Error(`${what}: read it inside a test or hook, after beforeAll`);
      return Reflect.get(made, field);
    },
  });
}

/** Call inside a `describe`: a fresh redis-server and a client of each kind, for that describe's tests. */
export function useRedisServer(): RedisServerSuite {
  return forSuite(
    'useRedisServer',
    async () => {
      const server = await startRedisServer();
      const [nodeRedis, ioRedis] = await Promise.all([connectNodeRedis(server.url), connectIoRedis(server)]);
      return { server, nodeRedis, ioRedis };
    },
    async ({ server, nodeRedis, ioRedis }) => {
      await Promise.allSettled([nodeRedis.close(), ioRedis.quit()]);
      await server.stop();
    },
  );
}

/** A server to reach: a single redis-server or one node of a cluster. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** Runs `fn` with a plain (non-cluster) node-redis client on each node, in parallel, closing them after. */
export function onEachNode<T>(
  nodes: readonly RedisNode[],
  fn: (client: NodeRedis) => Promise<T>,
): Promise<T[]> {
  return Promise.all(
    nodes.map(async (node) => {
      const client = await connectNodeRedis(`redis://${node.host}:${node.port}`);
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
export async function commandCallsPerNode(nodes: readonly RedisNode[], command: string): Promise<number[]> {
  const name = command.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm');
  return onEachNode(nodes, async (client) =>
    Number(pattern.exec(await client.info('commandstats'))?.[1] ?? 0),
  );
}

/** The calls of `command` summed over every node (see `commandCallsPerNode`), e.g. to count round trips. */
export async function commandCalls(nodes: readonly RedisNode[], command: string): Promise<number> {
  return (await commandCallsPerNode(nodes, command)).reduce((a, b) => a + b, 0);
}

/** CONFIG RESETSTAT on every node: zeroes the command stats that `commandCalls` reads. */
export async function resetStats(nodes: readonly RedisNode[]): Promise<void> {
  await onEachNode(nodes, (client) => client.configResetStat());
}
