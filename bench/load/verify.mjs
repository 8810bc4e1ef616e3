// The demo's verify endpoint under load, over loopback: requests per second and p99 latency, with the
// memory store and with Redis. autocannon comes from bench/peers (npm install --prefix bench/peers), never
// from our own dependencies.
//
//   npm run build && node bench/load/verify.mjs [--json]     (LOAD_POOL=n measured challenges per run, default 3000)
//
// What is measured: POST /auth/verify of examples/demo/server.ts (run with tsx, as `npm run demo` does),
// each request spending a DIFFERENT challenge with its CORRECT code, so every request runs the full path:
// origin check, body, cookie, the sealed secret opened, the store's atomic verify step, the demo's
// onVerified (account lookup, signed session cookie), the challenge cookie cleared. The challenges are
// issued beforehand through POST /auth/start (distinct addresses, so no send limit is reached) and their
// codes read from the demo's /dev/outbox.json. A run ends after the pool is spent or after 10 s, whichever
// comes first, after a warm-up of 300 verifies. The load generator shares the machine's 2 cores with the server: figures are for comparing
// the stores within one run, not capacity.
//
// The peer, the same way: better-auth's email OTP sign-in (bench/peers/better-auth-server.mjs, its memory
// adapter, rate limiter off), each request POST /api/auth/sign-in/email-otp with a DIFFERENT address's
// correct code, sent beforehand through /api/auth/email-otp/send-verification-otp: it checks the code,
// creates the user, and sets a session cookie, as the demo's verify does (the demo keeps users in a Map and
// signs a stateless session cookie; better-auth writes user, account and session rows). Its development
// memory adapter scans arrays, and every sign-in adds three rows to them: the figure is mostly that adapter.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createConnection, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(new URL('../peers/package.json', import.meta.url));
const autocannon = require('autocannon');
const json = process.argv.includes('--json');
const POOL = Number(process.env.LOAD_POOL ?? 3000);
const WARMUP = 300;
// The peer signs in about 30 a second here, so 10 s spend a few hundred codes; more would only grow the arrays
// its memory adapter scans (a send + sign-in through its API takes 13.5 ms with no users, 33 ms with 1,000).
const PEER_POOL = 600;
const PEER_WARMUP = 100;
const DURATION_S = 10;
const log = (s) => (json ? process.stderr : process.stdout).write(`${s}\n`);
const { generateKey } = await import(new URL('../../dist/index.js', import.meta.url).href);

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const children = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});
// bench/run.mjs stops a stuck run with SIGTERM, which skips 'exit' handlers unless it is turned into an exit.
process.on('SIGTERM', () => process.exit(143));
process.on('SIGINT', () => process.exit(130));

/** A throwaway redis-server on a free loopback port, nothing persisted; null when there is no binary. */
async function startRedis() {
  if (spawnSync('redis-server', ['--version']).status !== 0) return null;
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  children.push(child);
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const sock = createConnection({ host: '127.0.0.1', port }, () => {
        sock.write('PING\r\n');
      });
      sock.on('data', (d) => {
        sock.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      sock.on('error', () => resolve(false));
    });
    if (up) return { url: `redis://127.0.0.1:${port}`, child };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

/** The demo server on a free loopback port; resolves with its origin once it listens. */
async function startDemo(env) {
  const key = generateKey('load');
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: 'development',
      MAILBOX_KEYS: `${key.id}:${key.secret}`,
      DEMO_SESSION_SECRET: generateKey('session').secret,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  const origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start: ${out}`)), 30_000);
    const onData = (d) => {
      out += d;
      const m = out.match(/demo on http:\/\/localhost:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`demo exited (${code}): ${out}`)));
  });
  return { origin, child };
}

/** Issues `n` login challenges through the demo; returns [cookie header, code] pairs. */
async function issue(origin, n, tag) {
  const pool = [];
  const headers = { 'content-type': 'application/json', origin };
  for (let done = 0; done < n; ) {
    const batch = Math.min(100, n - done); // the dev outbox keeps the last 200 emails
    const cookies = new Map();
    await Promise.all(
      Array.from({ length: batch }, async (_, i) => {
        const email = `load.${tag}.${done + i}@example.com`;
        const r = await fetch(`${origin}/auth/start`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ purpose: 'login', email }),
        });
        if (r.status !== 200) throw new Error(`start: ${r.status} ${await r.text()}`);
        const set = r.headers.getSetCookie().find((c) => c.startsWith('mc-login='));
        cookies.set(email, set.split(';')[0]);
      }),
    );
    const outbox = await (await fetch(`${origin}/dev/outbox.json`)).json();
    for (const mail of outbox) {
      const cookie = cookies.get(mail.to);
      const code = mail.text.match(/[?&]k=([A-Za-z0-9]+)/)?.[1];
      if (cookie && code) {
        pool.push([cookie, code]);
        cookies.delete(mail.to);
      }
    }
    if (cookies.size) throw new Error(`no code found in the outbox for ${cookies.size} challenges`);
    done += batch;
  }
  return pool;
}

/** Sends each request of `pool` once (`request(item)` gives its headers and body), over 8 connections. */
function sendAll(origin, path, pool, request) {
  let next = 0;
  return autocannon({
    url: origin,
    connections: 8,
    amount: pool.length,
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (req) => ({ ...req, ...request(pool[next++ % pool.length]) }),
      },
    ],
  });
}

/** Verifies each [cookie, code] once at the demo; the autocannon instance (a promise). */
const verifyAll = (origin, pool) =>
  sendAll(origin, '/auth/verify', pool, ([cookie, code]) => ({
    headers: { 'content-type': 'application/json', origin, cookie },
    body: JSON.stringify({ purpose: 'login', code }),
  }));

/** better-auth on a free loopback port, from bench/peers; resolves with its origin once it listens. */
async function startPeer() {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('../peers/better-auth-server.mjs', import.meta.url))],
    {
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  const origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`better-auth did not start: ${out}`)), 30_000);
    const onData = (d) => {
      out += d;
      const m = out.match(/better-auth on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`better-auth exited (${code}): ${out}`)));
  });
  return { origin, child };
}

/** Sends `n` sign-in codes through better-auth; returns [email, code] pairs. */
async function issuePeer(origin, n) {
  const pool = [];
  const headers = { 'content-type': 'application/json', origin };
  for (let done = 0; done < n; done += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, n - done) }, async (_, i) => {
        const r = await fetch(`${origin}/api/auth/email-otp/send-verification-otp`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ email: `load.${done + i}@example.com`, type: 'sign-in' }),
        });
        if (r.status !== 200) throw new Error(`better-auth send: ${r.status} ${await r.text()}`);
      }),
    );
    pool.push(...(await (await fetch(`${origin}/dev/otps`)).json()));
  }
  if (pool.length !== n) throw new Error(`better-auth sent ${pool.length} codes for ${n} requests`);
  return pool;
}

const signInAll = (origin, pool) =>
  sendAll(origin, '/api/auth/sign-in/email-otp', pool, ([email, otp]) => ({
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ email, otp }),
  }));

/** Issues the pool, warms up on its first WARMUP, then times the rest: our demo, or the peer. */
async function measure(store, env) {
  const peer = store === 'better-auth';
  const server = peer ? await startPeer() : await startDemo(env);
  const spend = peer ? signInAll : verifyAll;
  try {
    const warmup = peer ? PEER_WARMUP : WARMUP;
    const all = peer
      ? await issuePeer(server.origin, PEER_POOL + warmup)
      : await issue(server.origin, POOL + warmup, store);
    // Warm-up (not measured): the JIT, tsx's compiled modules, the store's connection.
    await spend(server.origin, all.slice(0, warmup));
    const pool = all.slice(warmup);
    const began = performance.now();
    const instance = spend(server.origin, pool);
    const stop = setTimeout(() => instance.stop(), DURATION_S * 1000);
    const result = await instance;
    clearTimeout(stop);
    // Our own clock: autocannon's duration counts whole seconds, too coarse for a run of a few.
    const seconds = (performance.now() - began) / 1000;
    const total = result['2xx'] + result.non2xx;
    return {
      store,
      requests: total,
      ok: result['2xx'],
      failed: result.non2xx + result.errors + result.timeouts,
      seconds,
      requestsPerSecond: result['2xx'] / seconds,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
    };
  } finally {
    server.child.kill('SIGTERM');
  }
}

const runs = [await measure('memory', {})];
const redis = await startRedis();
let redisNote = null;
if (redis) {
  try {
    runs.push(await measure('redis', { REDIS_URL: redis.url }));
  } finally {
    redis.child.kill('SIGTERM');
  }
} else redisNote = 'redis: SKIPPED (no redis-server binary; install with: apt-get install redis-server)';
runs.push(await measure('better-auth', {}));
const memory = runs[0];
const peerRun = runs.find((r) => r.store === 'better-auth');

const text = [
  `POST /auth/verify of the demo (and better-auth's sign-in with an email code, memory adapter) over loopback, correct code, a fresh challenge per request,`,
  `8 connections, at most ${DURATION_S} s; autocannon in the same process as the bench, beside the server`,
  ...runs.map(
    (r) =>
      `  ${r.store.padEnd(11)} ${Math.round(r.requestsPerSecond).toLocaleString('en-US').padStart(6)} ${r.store === 'better-auth' ? 'signed in/s' : 'verified/s '}  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  (${r.ok} ok, ${r.failed} failed, ${r.seconds.toFixed(1)} s, pool ${r.store === 'better-auth' ? PEER_POOL : POOL})`,
  ),
  ...runs
    .filter((r) => r.store === 'redis')
    .map(
      (r) => `  redis / memory throughput: ${(r.requestsPerSecond / memory.requestsPerSecond).toFixed(2)}x`,
    ),
  `  ours (memory) / better-auth throughput: ${(memory.requestsPerSecond / peerRun.requestsPerSecond).toFixed(2)}x`,
  ...(redisNote ? [`  ${redisNote}`] : []),
].join('\n');
if (runs.some((r) => r.failed > 0)) log('load: some verifies did not succeed; see "failed" above');
if (json) console.log(JSON.stringify({ runs, redis: redisNote ?? 'ran', text }));
else console.log(text);
