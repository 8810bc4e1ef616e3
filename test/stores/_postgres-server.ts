// A throwaway PostgreSQL server for the tests: initdb in a temp dir, loopback only, a free port, no fsync,
// removed after. Used when the server binaries are installed (Debian: apt-get install -y postgresql).
import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The bin directory of the newest /usr/lib/postgresql/<version>, else the PATH entry holding initdb. */
export function findServerBinDir(): string | undefined {
  const candidates: string[] = [];
  try {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v));
    versions.sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // not a Debian-style install
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
}

/** initdb and postgres refuse to run as root: as root, run them as `postgres` (or `nobody`). */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((line) => line.startsWith('postgres:'))
    ?.split(':');
  return entry ? { uid: Number(entry[2]), gid: Number(entry[3]) } : { uid: 65534, gid: 65534 };
}

export interface PostgresServer {
  readonly config: pg.PoolConfig;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function run(
  bin: string,
  args: string[],
  user: ReturnType<typeof serverUser>,
): ChildProcess & { output: string } {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...user }) as ChildProcess & {
    output: string;
  };
  child.output = '';
  child.stdout?.on('data', (chunk) => {
    child.output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    child.output += chunk;
  });
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

export async function startPostgresServer(binDir: string): Promise<PostgresServer> {
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'mc-postgres-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const initdb = run(
    join(binDir, 'initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    user,
  );
  await exited(initdb);
  if (initdb.exitCode !== 0) throw new Error(`initdb failed:\n${initdb.output}`);

  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = run(
      join(binDir, 'postgres'),
      ['-D', data, '-p', String(port), '-c', `listen_addresses=${HOST}`, '-c', 'unix_socket_directories=']
        .concat(['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'])
        .concat(['-c', 'max_connections=50']),
      user,
    );
    const kill = () => child.kill('SIGKILL'); // never leave a server behind, even if the run is cut short
    process.once('exit', kill);
    const config: pg.PoolConfig = { host: HOST, port, user: 'postgres', database: 'postgres' };
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && child.exitCode === null) {
      const probe = new pg.Client(config);
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.end();
        return {
          config,
          async stop() {
            // Smart shutdown: waits for sessions to end rather than killing them, since a pool's end()
            // resolves before its sockets have closed. Fast shutdown after a while, should one hang on.
            child.kill('SIGTERM');
            const slow = setTimeout(() => child.kill('SIGINT'), 5_000);
            await exited(child);
            clearTimeout(slow);
            process.off('exit', kill);
            rmSync(dir, { recursive: true, force: true });
          },
        };
      } catch {
        await sleep(100);
      }
    }
    child.kill('SIGKILL');
    await exited(child);
    process.off('exit', kill);
    if (!/already in use/i.test(child.output)) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`postgres did not start on port ${port}:\n${child.output}`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error('postgres: no free port after 5 attempts');
}
