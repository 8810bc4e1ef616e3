// Every runtime the README claims, each running the same smoke test (smoke.ts): the pure layer with its
// email, and a flow over the memory store. Node 20 is the one running this suite; Node 22 comes from
// test/runtimes/node22 (installed by `npm install`'s prepare step), Bun and Deno from their npm packages,
// and the edge sandbox from the `edge-runtime` package (Vercel's Edge Runtime VM: Web APIs only, no
// process, require or Buffer). A runtime whose binary is missing prints SKIPPED with the command that
// installs it, and fails the run under CI=true.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EdgeRuntime } from 'edge-runtime';
import { type BuildOptions, build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailboxChallenge, generateKey, verifyMailboxChallenge } from '../../src/index.js';
import type { SmokeInput } from './smoke.js';

const root = join(import.meta.dirname, '../..');
const run = promisify(execFile);
const bin = (name: string) =>
  join(root, 'node_modules/.bin', process.platform === 'win32' ? `${name}.cmd` : name);

interface Runtime {
  name: string;
  binary: string;
  args: (file: string) => string[];
  install: string;
}

const runtimes: Runtime[] = [
  {
    name: 'Node 20',
    binary: process.execPath,
    args: (f) => [f],
    install: 'this is the Node running the suite',
  },
  {
    name: 'Node 22',
    binary: join(import.meta.dirname, 'node22/node_modules/.bin/node'),
    args: (f) => [f],
    install: 'npm install --prefix test/runtimes/node22 (linux x64/arm64)',
  },
  { name: 'Bun', binary: bin('bun'), args: (f) => [f], install: 'npm install (devDependency bun)' },
  {
    name: 'Deno',
    binary: bin('deno'),
    // No permissions at all (no env, read, net): the core must not need any.
    args: (f) => ['run', '--no-config', '--no-lock', '--no-prompt', f],
    install: 'npm install (devDependency deno)',
  },
];

/** Whether the binary is here; otherwise SKIPPED with how to install it, or a failure under CI=true. */
function available(r: Runtime): boolean {
  if (existsSync(r.binary)) return true;
  const note = `SKIPPED: ${r.name} not found at ${r.binary}; install with: ${r.install}`;
  if (process.env.CI === 'true') throw new Error(`${note} (CI=true: failing instead of skipping)`);
  console.warn(note);
  return false;
}

const key = generateKey('rt');
const keys = [key];
const sealedHere = createMailboxChallenge({ email: 'host@example.com', purpose: 'login' }, { keys });
const input: SmokeInput = {
  key,
  fromHost: { challengeId: sealedHere.challengeId, secret: sealedHere.secret, code: sealedHere.code },
};

let dir: string;
let iife: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mc-runtimes-'));
  const common: BuildOptions & { write: false } = {
    entryPoints: [join(import.meta.dirname, 'smoke.ts')],
    bundle: true,
    write: false,
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    logLevel: 'error',
    // The http entry reaches Node's bridge (toNodeHandler) through a dynamic import on first use only, as
    // an edge bundler leaves it; nothing the smoke test runs touches it.
    external: ['node:*'],
  };
  const [esm, script] = await Promise.all([
    build({ ...common, format: 'esm' }),
    build({ ...common, format: 'iife', globalName: 'mailboxSmoke' }),
  ]);
  writeFileSync(join(dir, 'smoke.mjs'), esm.outputFiles[0]!.text);
  writeFileSync(
    join(dir, 'main.mjs'),
    `import { run } from './smoke.mjs';\nconsole.log(JSON.stringify(await run(${JSON.stringify(input)})));\n`,
  );
  iife = script.outputFiles[0]!.text;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectSmoke(out: Awaited<ReturnType<typeof import('./smoke.js').run>>, runtime: RegExp) {
  expect(out.runtime).toMatch(runtime);
  expect(out.pure).toEqual({
    locale: 'de',
    codeInHtml: true,
    codeInText: true,
    verify: 'ok',
    wrongCode: 'INVALID_CODE',
    tampered: 'INVALID_CHALLENGE',
    fromHost: 'ok',
  });
  expect(out.flow).toMatchObject({
    start: 'ok',
    resend: 'ok',
    sameChallenge: true,
    mails: 2,
    // The first email's code after a resend: superseded, and it costs no attempt.
    oldCode: 'CHALLENGE_SUPERSEDED',
    wrongCode: 'INVALID_CODE',
    attemptsRemaining: 4,
    verify: 'ok',
    email: 'grace@example.com',
    status: 'used',
  });
  // The Fetch-API handlers: a start sets an HttpOnly cookie, a verify with it signs in.
  expect(out.http).toEqual({
    start: 200,
    cookieIsHttpOnly: true,
    verify: 200,
    body: { signedIn: 'alan@example.com' },
  });
  // A used challenge never verifies again; the exact code belongs to the flow's tests.
  expect(out.flow.again).not.toBe('ok');
  // And what that runtime sealed opens on this Node: the same bytes on every path.
  if (!('forHost' in out) || !out.forHost) throw new Error('the runtime sealed nothing');
  expect(verifyMailboxChallenge({ ...out.forHost, email: 'ada@example.com' }, { keys }).ok).toBe(true);
}

describe('the smoke test on every runtime', () => {
  for (const r of runtimes) {
    it.runIf(available(r))(
      `${r.name}: creates with its email, verifies, runs a flow and the HTTP handlers`,
      async () => {
        const { stdout } = await run(r.binary, r.args(join(dir, 'main.mjs')), {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
          timeout: 30_000,
        });
        const version = r.name.split(' ')[1];
        const name = r.name.split(' ')[0]!.toLowerCase();
        expectSmoke(JSON.parse(stdout), new RegExp(`^${name} ${version ? `${version}\\.` : ''}`));
      },
    );
  }

  it('README lists exactly these runtimes', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Runtimes'),
      readme.indexOf('\n## ', readme.indexOf('## Runtimes') + 1),
    );
    const rows = [...section.matchAll(/^\| ([^|]+?) \|/gm)]
      .map((m) => m[1]!)
      .filter((c) => c !== 'runtime' && !/^-+$/.test(c));
    expect(rows.map((r) => r.replace(/ \(.*\)$/, '').replace(/ 1\.x$| 2$/, ''))).toEqual([
      ...runtimes.map((r) => r.name),
      'edge runtimes',
    ]);
  });

  it('the edge sandbox (edge-runtime): Web-standard APIs only', async () => {
    const edge = new EdgeRuntime();
    expect(edge.evaluate('[typeof process, typeof require, typeof Buffer].join()')).toBe(
      'undefined,undefined,undefined',
    );
    edge.evaluate(iife);
    const out = await edge.evaluate(`mailboxSmoke.run(JSON.parse(${JSON.stringify(JSON.stringify(input))}))`);
    // The VM's objects come from another realm: compare them as plain data.
    expectSmoke(JSON.parse(JSON.stringify(out)), /^edge-runtime$/);
  });
});
