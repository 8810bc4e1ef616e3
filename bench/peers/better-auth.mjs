// The same send-and-verify cycle through better-auth's email OTP plugin and through mailbox-challenge's flow,
// in one process, interleaved, as a ratio of cycles per second. Goal (issue 11): ours >= 15x.
//
//   npm install --prefix bench/peers && npm run build && node bench/peers/better-auth.mjs [--json]
//
// better-auth: memory adapter, its rate limiter off, the email OTP plugin with its defaults (6 digits, 300 s,
//   3 attempts, OTP stored as plain text), the `email-verification` type for existing users: send
//   (sendVerificationOTP, our callback keeps the OTP) then verify (verifyEmailOTP: consumes it, marks the
//   address verified; no session). The users rotate over a small pool: the memory adapter scans arrays, and
//   a growing table would charge better-auth for the adapter rather than the plugin.
// ours: flow.start + flow.verify with the memory store, the built-in email rendered on every start (better-auth
//   renders none), per-mailbox send limits ON (better-auth's limiter is off), attempts and lifetime set to
//   better-auth's (3, 300 s); the code is kept as a keyed tag, never in plain text. A fresh address per cycle,
//   so the send limits (3 a minute per mailbox) are never what is measured.
// Each side runs in its own child process, the two alternating (3 processes each), and the ratio is of the
// medians of all their rounds: in one process, better-auth's AsyncLocalStorage (promise hooks on every await)
// and its garbage slowed our side by about half, which would charge us for the peer. Cycles are awaited one
// after the other, as a request would; CPU time of batches of about 150 ms after a warm-up.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const side = argv.includes('--side') ? argv[argv.indexOf('--side') + 1] : null;
const ROUNDS = 5;
const PROCESSES = 3;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const gc = globalThis.gc ?? (() => {});
async function rate(fn, batchMs) {
  gc(); // each batch pays for its own garbage, not for the warm-up's
  let count = 0;
  const start = cpuMs();
  while (cpuMs() - start < batchMs) {
    for (let i = 0; i < 10; i++) await fn();
    count += 10;
  }
  return (count * 1000) / (cpuMs() - start);
}

/** better-auth's cycle: send an OTP for email verification, then verify it. */
async function theirSide() {
  const { betterAuth } = await import('better-auth');
  const { memoryAdapter } = await import('better-auth/adapters/memory');
  const { emailOTP } = await import('better-auth/plugins');
  let otp = '';
  const db = { user: [], session: [], account: [], verification: [] };
  const auth = betterAuth({
    baseURL: 'http://127.0.0.1:3000',
    secret: 'bench-secret-bench-secret-bench-secret-0123456789',
    database: memoryAdapter(db),
    rateLimit: { enabled: false },
    logger: { disabled: true },
    telemetry: { enabled: false },
    plugins: [
      emailOTP({
        sendVerificationOTP: async (data) => {
          otp = data.otp;
        },
      }),
    ],
  });
  const POOL = 64;
  const ctx = await auth.$context;
  for (let i = 0; i < POOL; i++) {
    await ctx.internalAdapter.createUser({ email: `user${i}@example.com`, name: '', emailVerified: false });
  }
  let n = 0;
  return async () => {
    const email = `user${n++ % POOL}@example.com`;
    await auth.api.sendVerificationOTP({ body: { email, type: 'email-verification' } });
    const r = await auth.api.verifyEmailOTP({ body: { email, otp } });
    if (!r?.status) throw new Error('bench: better-auth verify failed');
  };
}

/** Our cycle: flow.start (built-in email rendered) then flow.verify, memory store. */
async function ourSide() {
  const { createMailboxFlow, generateKey, memoryStore } = await import(
    new URL('../../dist/index.js', import.meta.url).href
  );
  let code = '';
  const flow = createMailboxFlow({
    keys: [generateKey('bench')],
    appName: 'Acme',
    store: memoryStore(),
    sender: {
      send: async (mail) => {
        code = mail.code;
      },
    },
    policy: { maxAttempts: 3, ttlSeconds: 300 },
  });
  let n = 0;
  return async () => {
    const started = await flow.start({ email: `ada.${n++}@example.com`, purpose: 'login' });
    if (!started.ok) throw new Error(`bench: flow start failed: ${started.error.code}`);
    const r = await flow.verify({ ...started, code, purpose: 'login' });
    if (!r.ok) throw new Error(`bench: flow verify failed: ${r.error.code}`);
  };
}

if (side) {
  const cycle = side === 'ours' ? await ourSide() : await theirSide();
  await rate(cycle, 800); // warm-up
  const rates = [];
  for (let i = 0; i < ROUNDS; i++) rates.push(await rate(cycle, 150));
  process.stdout.write(JSON.stringify(rates));
} else {
  const self = fileURLToPath(import.meta.url);
  const rates = { ours: [], theirs: [] };
  for (let p = 0; p < PROCESSES; p++) {
    for (const s of p % 2 ? ['theirs', 'ours'] : ['ours', 'theirs']) {
      const out = execFileSync(process.execPath, ['--expose-gc', self, '--side', s], { encoding: 'utf8' });
      rates[s].push(...JSON.parse(out));
    }
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ours = median(rates.ours);
  const theirs = median(rates.theirs);
  const ratio = ours / theirs;
  const version = JSON.parse(
    readFileSync(new URL('./node_modules/better-auth/package.json', import.meta.url), 'utf8'),
  ).version;
  const text = [
    `send + verify cycle, CPU time, median of ${PROCESSES * ROUNDS} rounds in ${PROCESSES} alternating processes per side (better-auth ${version})`,
    `  better-auth email OTP (memory adapter, limiter off)   ${(1000 / theirs).toFixed(3)} ms/cycle`,
    `  mailbox-challenge flow (memory store, email rendered) ${(1000 / ours).toFixed(3)} ms/cycle`,
    `  ours / theirs, cycles per second                      ${ratio.toFixed(1)}x   (goal >= 15x)`,
  ].join('\n');
  if (json) {
    console.log(
      JSON.stringify({
        peer: `better-auth ${version}`,
        oursCyclesPerSecond: ours,
        theirsCyclesPerSecond: theirs,
        ratio,
        text,
      }),
    );
  } else console.log(text);
}
