// The same send-and-verify cycle through better-auth's email OTP plugin and through mailbox-challenge's flow,
// in one process, interleaved, as a ratio of cycles per second. Goal (issue 11): ours >= 15x.
//
//   npm install --prefix bench/peers && npm run build && node --expose-gc bench/peers/better-auth.mjs [--json]
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
// Both are awaited one after the other, as a request would; CPU time, median of interleaved rounds.
import { readFileSync } from 'node:fs';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { emailOTP } from 'better-auth/plugins';

const json = process.argv.includes('--json');
const { createMailboxFlow, generateKey, memoryStore } = await import(
  new URL('../../dist/index.js', import.meta.url).href
);

// ---- better-auth
let theirOtp = '';
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
      sendVerificationOTP: async ({ otp }) => {
        theirOtp = otp;
      },
    }),
  ],
});
const POOL = 64;
const ctx = await auth.$context;
for (let i = 0; i < POOL; i++) {
  await ctx.internalAdapter.createUser({ email: `user${i}@example.com`, name: '', emailVerified: false });
}
let t = 0;
async function theirCycle() {
  const email = `user${t++ % POOL}@example.com`;
  await auth.api.sendVerificationOTP({ body: { email, type: 'email-verification' } });
  const r = await auth.api.verifyEmailOTP({ body: { email, otp: theirOtp } });
  if (!r?.status) throw new Error('bench: better-auth verify failed');
}

// ---- ours
let ourCode = '';
const flow = createMailboxFlow({
  keys: [generateKey('bench')],
  appName: 'Acme',
  store: memoryStore(),
  sender: {
    send: async (mail) => {
      ourCode = mail.code;
    },
  },
  policy: { maxAttempts: 3, ttlSeconds: 300 },
});
let o = 0;
async function ourCycle() {
  const started = await flow.start({ email: `ada.${o++}@example.com`, purpose: 'login' });
  if (!started.ok) throw new Error(`bench: flow start failed: ${started.error.code}`);
  const r = await flow.verify({ ...started, code: ourCode, purpose: 'login' });
  if (!r.ok) throw new Error(`bench: flow verify failed: ${r.error.code}`);
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
// A full collection before every batch (with --expose-gc), so neither side pays for the other's garbage.
const gc = globalThis.gc ?? (() => {});
async function rate(fn, batchMs) {
  gc();
  let count = 0;
  const start = cpuMs();
  while (cpuMs() - start < batchMs) {
    for (let i = 0; i < 10; i++) await fn();
    count += 10;
  }
  return (count * 1000) / (cpuMs() - start);
}
const cases = { 'mailbox-challenge flow': ourCycle, 'better-auth email OTP': theirCycle };
for (const fn of Object.values(cases)) await rate(fn, 800); // warm-up
const rates = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round < 9; round++) {
  for (const [name, fn] of Object.entries(cases)) rates[name].push(await rate(fn, 150));
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ours = median(rates['mailbox-challenge flow']);
const theirs = median(rates['better-auth email OTP']);
const ratio = ours / theirs;
const version = JSON.parse(
  readFileSync(new URL('./node_modules/better-auth/package.json', import.meta.url), 'utf8'),
).version;
const text = [
  `send + verify cycle, one process, CPU time, median of 9 interleaved rounds (better-auth ${version ?? '?'})`,
  `  better-auth email OTP (memory adapter, limiter off)   ${(1000 / theirs).toFixed(3)} ms/cycle`,
  `  mailbox-challenge flow (memory store, email rendered) ${(1000 / ours).toFixed(3)} ms/cycle`,
  `  ours / theirs, cycles per second                      ${ratio.toFixed(1)}x   (goal >= 15x)`,
].join('\n');
if (json) {
  console.log(
    JSON.stringify({
      peer: `better-auth ${version ?? '?'}`,
      oursCyclesPerSecond: ours,
      theirsCyclesPerSecond: theirs,
      ratio,
      text,
    }),
  );
} else console.log(text);
