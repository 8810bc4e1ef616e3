// better-auth's email OTP sign-in served over HTTP, for bench/load/verify.mjs: the peer's side of the load
// test. Lives in bench/peers so that better-auth resolves from this folder's own node_modules.
//
//   PORT=0 node bench/peers/better-auth-server.mjs     prints "better-auth on http://127.0.0.1:<port>"
//
// better-auth 1.7.25 with its memory adapter, rate limiter off, the email OTP plugin with its defaults (6
// digits, 300 s, 3 attempts). POST /api/auth/email-otp/send-verification-otp { email, type: "sign-in" } sends
// a code (kept here instead of mailed); POST /api/auth/sign-in/email-otp { email, otp } checks it, creates the
// user on first sign-in and a session, and sets the session cookie: the same job as the demo's /auth/verify.
// GET /dev/otps lists the codes sent so far, for the load client (a development route, like the demo's outbox).
import { createServer } from 'node:http';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { toNodeHandler } from 'better-auth/node';
import { emailOTP } from 'better-auth/plugins';

const otps = new Map();
const server = createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const auth = betterAuth({
  baseURL: origin,
  secret: 'bench-secret-bench-secret-bench-secret-0123456789',
  database: memoryAdapter({ user: [], session: [], account: [], verification: [] }),
  rateLimit: { enabled: false },
  logger: { disabled: true },
  telemetry: { enabled: false },
  plugins: [
    emailOTP({
      sendVerificationOTP: async ({ email, otp }) => {
        otps.set(email, otp);
      },
    }),
  ],
});
const handler = toNodeHandler(auth);
server.on('request', (req, res) => {
  if (req.url === '/dev/otps') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify([...otps]));
    otps.clear(); // each listing hands out what was sent since the last one
    return;
  }
  handler(req, res);
});
console.log(`better-auth on ${origin}`);
