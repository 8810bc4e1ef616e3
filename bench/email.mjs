// Email rendering cost, measured in one run against the naive approach of rendering MJML on every call.
//   npx tsup && node bench/email.mjs
// Goals: the built-in email is >= 100x faster than per-call MJML, and adds <= 15% to a create without one.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convert } from 'html-to-text';
import mjml2html from 'mjml';
import { createMailboxChallenge, generateKey } from '../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const keys = [generateKey('bench')];
const config = { keys };
const message = {
  appName: 'Acme',
  acceptLanguage: 'de-CH,de;q=0.9,en;q=0.8',
  link: { urlTemplate: 'https://acme.example/verify?c={challengeId}&k={code}' },
  supportText: 'Questions? Write to help@acme.example.',
};
const input = { email: 'ada@example.com', purpose: 'login' };
const withMessage = { ...input, message };

// The naive path renders the same MJML source per call: the shared head inlined once (no file reads per call),
// then strings and values filled into the MJML, compiled with MJML's default options, and, to produce the same
// output (HTML and text), converted to text. The MJML-only figure is reported as well.
const head = readFileSync(join(root, 'templates/_head.mjml'), 'utf8').replace(
  /<!--[\s\S]*?-->|<\/?mjml>/g,
  '',
);
const source = readFileSync(join(root, 'templates/code.mjml'), 'utf8').replace(/<mj-include[^>]*\/>/, head);
const de = JSON.parse(readFileSync(join(root, 'templates/locales/de.json'), 'utf8'));
const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
function naive() {
  const c = createMailboxChallenge(input, config);
  const values = {
    ...de.common,
    ...de.login,
    lang: 'de',
    dir: 'ltr',
    subject: de.login.subject,
    minutes: '10 Minuten',
    appName: message.appName,
    code: c.code,
    email: c.email,
    linkUrl: `https://acme.example/verify?c=${c.challengeId}&k=${c.code}`,
    supportText: message.supportText,
    brandColor: '#2563eb',
    brandTextColor: '#ffffff',
  };
  const filled = source
    .replace(/\{\{[#^/]\w+\}\}/g, '')
    .replace(/\{\{(\w+)\}\}/g, (_, k) => escapeHtml(values[k] ?? ''))
    .replace(/\{(\w+)\}/g, (_, k) => escapeHtml(values[k] ?? ''));
  return mjml2html(filled, { fonts: {}, keepComments: false });
}

let sink = 0;
const plain = () => {
  sink += createMailboxChallenge(input, config).secret.length;
};
const builtIn = () => {
  const c = createMailboxChallenge(withMessage, config);
  sink += c.message.html.length + c.message.text.length;
};
const naiveMjml = async () => {
  sink += (await naive()).html.length;
};
const naiveFull = async () => {
  const { html } = await naive();
  sink += html.length + convert(html, { wordwrap: false }).length;
};

/** Runs `fn` `n` times; returns the elapsed milliseconds. */
async function time(fn, n) {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const p = fn();
    if (p) await p;
  }
  return performance.now() - start;
}

/**
 * Interleaves the cases in short batches many times over, so that noise (other processes, GC, frequency
 * changes) falls on all of them alike, and reports each case's median batch rate in ops/s.
 */
async function compare(cases, { batch, rounds }) {
  const rates = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, [, fn, n = batch]] of cases.entries()) rates[i].push((n / (await time(fn, n))) * 1000);
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return Object.fromEntries(cases.map(([name], i) => [name, median(rates[i])]));
}

// Warm-up: JIT, the half-filled layout cache, subkeys, mjml's lazy requires.
await time(plain, 20_000);
await time(builtIn, 20_000);
await time(naiveFull, 50);

const fast = await compare(
  [
    ['create, no message', plain],
    ['create + built-in email', builtIn],
  ],
  { batch: 500, rounds: 200 },
);
const slow = await compare(
  [
    ['create + built-in email', builtIn, 500],
    ['create + MJML per call', naiveMjml, 10],
    ['create + MJML + html-to-text per call', naiveFull, 10],
  ],
  { rounds: 40 },
);

const probe = createMailboxChallenge(withMessage, config).message;
console.log(`node ${process.version}; median of interleaved batches`);
const line = (name, v) =>
  console.log(
    `  ${name.padEnd(40)} ${v.toFixed(0).padStart(8)} ops/s ${(1e6 / v).toFixed(1).padStart(9)} µs/op`,
  );
for (const [name, v] of Object.entries(fast)) line(name, v);
for (const [name, v] of Object.entries(slow).slice(1)) line(name, v);
const overhead = (fast['create, no message'] / fast['create + built-in email'] - 1) * 100;
const speedup = slow['create + built-in email'] / slow['create + MJML + html-to-text per call'];
const speedupMjml = slow['create + built-in email'] / slow['create + MJML per call'];
console.log(
  `  email adds ${overhead.toFixed(1)}% to a create (goal <= 15%): ${overhead <= 15 ? 'ok' : 'MISSED'}`,
);
console.log(
  `  built-in email vs the same output rendered per call: ${speedup.toFixed(0)}x faster (goal >= 100x): ${speedup >= 100 ? 'ok' : 'MISSED'}` +
    ` (${speedupMjml.toFixed(0)}x against MJML alone)`,
);
console.log(
  `  HTML ${Buffer.byteLength(probe.html)} bytes, text ${Buffer.byteLength(probe.text)} bytes (${probe.locale})`,
);
if (sink === 0) console.log('');
