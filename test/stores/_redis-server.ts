// A throwaway redis-server for the tests: loopback only, no persistence, on a free port, stopped after.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** REDIS_SERVER_BIN if set, else /usr/bin/redis-server, else the first redis-server on PATH (e.g. Homebrew). */
function findBinary(): string | undefined {
  if (process.env.REDIS_SERVER_BIN)
    return existsSync(process.env.REDIS_SERVER_BIN) ? process.env.REDIS_SERVER_BIN : undefined;
  const candidates = [
    '/usr/bin/redis-server',
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'redis-server')),
  ];
  return candidates.find((path) => path && existsSync(path));
}

const BINARY = findBinary();
const HOST = '127.0.0.1';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Whether the tests can run here. Without the binary they are skipped with a note saying how to install
 * it, except on CI (`CI=true`), where a missing server must fail the run rather than pass it silently.
 */
export function redisServerAvailable(): boolean {
  if (BINARY) return true;
  const note = 'SKIPPED: redis-server not found; install with: apt-get install -y redis-server';
  if (process.env.CI === 'true') throw new Error(`${note} (CI=true: failing instead of skipping)`);
  console.warn(note);
  return false;
}

/** A port the kernel just handed out and released; a race with another process is retried by the caller. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Resolves once a PING on a raw socket gets PONG: the server is ready for commands, not only listening. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function tryStart(port: number): Promise<RedisServer | undefined> {
  const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', HOST];
  if (!BINARY) throw new Error('redis-server not found');
  const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break; // e.g. the port was taken between freePort() and here
    if (await ping(port)) {
      return {
        host: HOST,
        port,
        url: `redis://${HOST}:${port}`,
        async stop() {
          child.kill('SIGTERM');
          await exited(child);
        },
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  await exited(child);
  if (/Address already in use/i.test(output)) return undefined;
  throw new Error(`redis-server did not start on port ${port}:\n${output}`);
}

/** Starts a fresh redis-server; call `stop()` in `afterAll`. */
export async function startRedisServer(): Promise<RedisServer> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const server = await tryStart(await freePort());
    if (server) return server;
  }
  throw new Error('redis-server: no free port after 5 attempts');
}
