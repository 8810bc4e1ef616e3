// npm run bench: every benchmark in its own child process, then ONE summary table of ratios.
//
//   node bench/run.mjs                 text: each bench's own output, then the summary
//   node bench/run.mjs --json          one JSON object on stdout (for comparing commits); progress on stderr
//   node bench/run.mjs --svg file.svg  also writes the summary as a small bar chart (README embeds it)
//   node bench/run.mjs --only core,flow   a subset (core, flow, memory, email, size, peers, load)
//
// Each bench measures its figure against a baseline taken in the same run, so the figures are ratios that a
// shared, loaded machine disturbs far less than absolute rates. The core runs twice: native ChaCha20-Poly1305
// fast path (Node's default) and pure @noble (MAILBOX_CHALLENGE_PURE=1, what edge runtimes get); the path is
// chosen at import, hence a child process per path. Peers and load need `npm install --prefix bench/peers`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chartSvg } from './_harness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const argv = process.argv.slice(2);
const json = argv.includes('--json');
const svgAt = argv.includes('--svg') ? argv[argv.indexOf('--svg') + 1] : null;
const only = argv.includes('--only') ? new Set(argv[argv.indexOf('--only') + 1].split(',')) : null;
const wanted = (name) => !only || only.has(name);
// In --json mode stdout is the JSON alone; every bench's own text goes to stderr.
const say = (text) => (json ? process.stderr : process.stdout).write(`${text}\n`);

if (!existsSync(here('../dist/index.js'))) {
  console.error('bench: dist/ is missing; run `npm run build` first (npm run bench does)');
  process.exit(1);
}

/** Runs one bench as `node ...args`; returns its stdout, echoing it unless it is JSON meant for us. */
function run(name, args, { env = {}, echo = true, timeoutMs = 120_000 } = {}) {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    say(`\n${name}: FAILED (${r.error?.message ?? `exit ${r.status ?? r.signal}`}, ${seconds} s)`);
    say((r.stderr || r.stdout || '').trim().split('\n').slice(-8).join('\n'));
    return null;
  }
  if (echo) say(r.stdout.trimEnd());
  if (r.stderr.trim()) say(r.stderr.trimEnd());
  say(`  (${name}: ${seconds} s)`);
  return r.stdout;
}

const lastJson = (out) => (out ? JSON.parse(out.trim().split('\n').at(-1)) : null);
const num = (out, re) => {
  const m = out?.match(re);
  return m ? Number(m[1].replace(/,/g, '')) : null;
};

const results = {};
const t0 = performance.now();

if (wanted('core')) {
  for (const [key, pure] of [
    ['coreNative', '0'],
    ['corePure', '1'],
  ]) {
    const out = run(`core ${key === 'corePure' ? 'pure' : 'native'}`, [here('core.mjs'), '--json'], {
      env: { MAILBOX_CHALLENGE_PURE: pure },
      echo: false,
    });
    results[key] = lastJson(out);
    if (results[key]) {
      say(`\ncore, ${results[key].path}`);
      for (const [label, x] of Object.entries(results[key].ratios))
        say(`  ${label.padEnd(40)} ${x.toFixed(2)}×`);
    }
  }
}

if (wanted('flow')) {
  const out = run('flow', [here('flow.mjs')]);
  results.flow = out && {
    pureCyclesPerSecond: num(out, /pure layer\s+([\d,]+) cycles/),
    flowCyclesPerSecond: num(out, /memory store\s+([\d,]+) cycles/),
    flowOverPure: num(out, /flow cost \/ pure cost\s+([\d.]+)x/),
    noStateOverPure: num(out, /store that keeps nothing: ([\d.]+)x/),
  };
}

if (wanted('memory')) {
  const out = run('memory', ['--expose-gc', here('memory.mjs')]);
  results.memory = out && {
    records: num(out, /memory store: ([\d,]+) live/),
    heapMB: num(out, /in (\d+) MB of heap/),
  };
}

if (wanted('email')) {
  const out = run('email', [here('email.mjs')]);
  results.email = out && {
    emailAddsPercent: num(out, /email adds ([\d.]+)%/),
    builtInVsPerCallMjmlAndText: num(out, /(\d+)x faster/),
    builtInVsPerCallMjml: num(out, /\((\d+)x against MJML alone\)/),
  };
}

if (wanted('size')) {
  results.size = lastJson(
    run('size', [here('../scripts/size.mjs'), '--json'], { env: { SIZE_RUNS: '5' }, echo: false }),
  );
  if (results.size) {
    say('\nentries: bundled (esbuild, minified) gzip, cold import (median wall, CPU)');
    for (const e of results.size.entries) {
      say(
        `  ${e.entry.padEnd(30)} ${(e.gzip / 1000).toFixed(1).padStart(6)} kB  +${e.coldImportMs.toFixed(0)} ms (${e.coldImportCpuMs.toFixed(0)})  ${e.heavy.join(', ')}`,
      );
    }
  }
}

const peersInstalled = existsSync(here('peers/node_modules'));
const peersHint = 'install with: npm install --prefix bench/peers';
if (wanted('peers')) {
  if (!peersInstalled) say(`\npeers: SKIPPED (bench/peers/node_modules is missing; ${peersHint})`);
  else results.peers = lastJson(run('peers', [here('peers/better-auth.mjs'), '--json'], { echo: false }));
  if (results.peers) say(`\npeers\n${results.peers.text}`);
}

if (wanted('load')) {
  if (!existsSync(here('peers/node_modules/autocannon'))) {
    say(`\nload: SKIPPED (autocannon is missing; ${peersHint})`);
  } else {
    results.load = lastJson(
      run('load', [here('load/verify.mjs'), '--json'], { echo: false, timeoutMs: 240_000 }),
    );
    if (results.load) say(`\nload\n${results.load.text}`);
  }
}

// The summary: one row per figure with its goal. `lowerIsBetter` decides which way the goal points.
const rows = [];
const add = (key, label, value, unit, goal, lowerIsBetter = true) => {
  if (value === null || value === undefined || Number.isNaN(value)) return;
  const ok = goal === null ? null : lowerIsBetter ? value <= goal : value >= goal;
  rows.push({ key, label, value, unit, goal, lowerIsBetter, ok });
};
const cr = (r, k) => r?.ratios?.[k];
for (const [key, r, path] of [
  ['native', results.coreNative, 'native'],
  ['pure', results.corePure, 'pure @noble'],
]) {
  const goal = key === 'native' ? 2 : null; // issue 11: the native path within 2x; pure is reported beside it
  add(
    `create.${key}`,
    `create + built-in email / floor (${path})`,
    cr(r, 'createMailboxChallenge, built-in email'),
    '×',
    goal,
  );
  add(
    `createBare.${key}`,
    `create, no message / floor (${path})`,
    cr(r, 'createMailboxChallenge, message: false'),
    '×',
    null,
  );
  add(
    `createLean.${key}`,
    `create + built-in email / seal reusing buffers (${path})`,
    cr(r, 'createMailboxChallenge, built-in email / lean seal'),
    '×',
    null,
  );
  add(`verify.${key}`, `verify / floor (${path})`, cr(r, 'verifyMailboxChallenge'), '×', goal);
}
add('flow', 'flow start+verify cost / pure create+verify', results.flow?.flowOverPure, '×', 1.5);
add(
  'flow.noState',
  'the same over a store that keeps nothing (diagnostic)',
  results.flow?.noStateOverPure,
  '×',
  null,
);
add('email.overhead', 'what the built-in email adds to a create', results.email?.emailAddsPercent, '%', 15);
add(
  'email.speedup',
  'built-in email vs MJML + html-to-text per call',
  results.email?.builtInVsPerCallMjmlAndText,
  '× faster',
  100,
  false,
);
add('memory', 'memory store, 1,000,000 live challenges', results.memory?.heapMB, 'MB heap', 250);
const core = results.size?.entries?.find((e) => e.entry === 'mailbox-challenge');
add('size.core', 'core entry bundled, gzip', core && core.gzip / 1000, 'kB', 30);
add('cold.core', 'cold import of the core entry (CPU)', core?.coldImportCpuMs, 'ms', 30);
add('peers', 'send+verify cycles/s: ours / better-auth email OTP', results.peers?.ratio, '×', 15, false);
for (const l of results.load?.runs ?? []) {
  const what =
    l.store === 'better-auth'
      ? 'better-auth email OTP sign-in over loopback, its memory adapter'
      : `demo verify over loopback, ${l.store} store`;
  add(`load.${l.store}.rps`, `${what}: requests/s`, l.requestsPerSecond, 'req/s', null, false);
  add(`load.${l.store}.p99`, `${what}: p99`, l.p99Ms, 'ms', null);
}

const fmtValue = (r) =>
  `${r.value >= 100 ? Math.round(r.value).toLocaleString('en-US') : r.value.toFixed(r.unit === '×' ? 2 : 1)} ${r.unit}`;
const fmtGoal = (r) => (r.goal === null ? '-' : `${r.lowerIsBetter ? '≤' : '≥'} ${r.goal} ${r.unit}`);
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
})();
const meta = {
  commit,
  node: process.version,
  arch: process.arch,
  date: new Date().toISOString(),
  loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
  seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
};

say(
  `\nSUMMARY  commit ${commit ?? '?'}, node ${meta.node} ${meta.arch}, load average ${meta.loadAverage.join(' ')}, ${meta.seconds} s`,
);
say('Ratios are measured in one run against baselines in the same run; absolute figures (req/s, ms) move');
say("with the machine's load and are only comparable within one run.");
const table = [
  ['figure', 'result', 'goal', ''],
  ...rows.map((r) => [r.label, fmtValue(r), fmtGoal(r), r.ok === null ? '' : r.ok ? 'ok' : 'MISSED']),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const row of table) say(`  ${row.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd());
if (!peersInstalled && wanted('peers')) say(`  (peers and load skipped: ${peersHint})`);
if (results.peers?.skipped) say(`  (peers: ${results.peers.skipped})`);

if (svgAt) {
  writeFileSync(svgAt, chartSvg(rows, meta));
  say(`chart written to ${svgAt}`);
}
if (json) process.stdout.write(`${JSON.stringify({ ...meta, summary: rows, results })}\n`);
