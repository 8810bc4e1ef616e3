// The published shape: every documented entry loads in ESM and CJS, CJS works without require(esm),
// and light entries import nothing heavy.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const subpaths = Object.keys(pkg.exports).filter((p) => p !== './package.json');
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });

describe('package', () => {
  it('documents exactly the subpaths it exports', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const documented = [...readme.matchAll(/`(mailbox-challenge(?:\/[a-z]+)?)`/g)].map((m) => m[1]);
    const exported = subpaths.map((p) =>
      p === '.' ? 'mailbox-challenge' : `mailbox-challenge/${p.slice(2)}`,
    );
    expect(new Set(documented)).toEqual(new Set(exported));
  });

  it.each(subpaths)('%s loads as ESM and as CJS (without require(esm)), with types', (subpath) => {
    const spec = subpath === '.' ? 'mailbox-challenge' : `mailbox-challenge/${subpath.slice(2)}`;
    const esm = node([
      '--input-type=module',
      '-e',
      `import * as m from '${spec}'; console.log(Object.keys(m).sort().join())`,
    ]);
    // --no-experimental-require-module: @noble/* is ESM-only, so the CJS build must carry it bundled.
    const cjs = node([
      '--no-experimental-require-module',
      '-e',
      `console.log(Object.keys(require('${spec}')).sort().join())`,
    ]);
    expect(esm.trim().length).toBeGreaterThan(0);
    expect(cjs.trim()).toBe(esm.trim());
    const target = pkg.exports[subpath];
    for (const file of [
      target.import.types,
      target.require.types,
      target.import.default,
      target.require.default,
    ]) {
      expect(readdirSync(join(root, 'dist'))).toContain(file.replace('./dist/', ''));
    }
  });

  it('the core ESM entry imports no package: zod and @noble are inlined (one module to load, issue 11)', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      const code = readFileSync(join(root, 'dist', file), 'utf8');
      for (const m of code.matchAll(
        /(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
      )) {
        const spec = m[1] ?? m[2]!;
        if (spec.startsWith('./')) {
          const next = spec.slice(2);
          if (!seen.has(next)) {
            seen.add(next);
            visit(next);
          }
        } else seen.add(`pkg:${spec}`);
      }
    };
    visit('index.js');
    const packages = [...seen].filter((s) => s.startsWith('pkg:')).map((s) => s.slice(4));
    expect(packages).toEqual([]);
    expect([...seen]).toEqual(['_core.js']);
  });

  it('the ESM core is plain ASCII, so a cold start decodes it on the fast path', () => {
    // One non-ASCII character (an arrow in a comment) made Node decode all of _core.js the slow way on every
    // import, about 1 ms of a cold start (issue 11). Strings are escaped by esbuild; comments are not.
    const bytes = readFileSync(join(root, 'dist/_core.js'));
    const at = bytes.findIndex((b) => b > 0x7f);
    expect(at, bytes.subarray(Math.max(0, at - 60), at + 20).toString()).toBe(-1);
  });

  // Each entry bundled the way an app would (scripts/size.mjs: esbuild, minified, gzip -9), held to its
  // measured size plus a few per cent, so a regression fails here. The locales entry is left out: its size
  // is the number of locales, capped per locale in test/email/compiled.test.ts.
  it('every entry stays within its bundled size, with nothing heavy inside', () => {
    const GZIP_CAP_BYTES: Record<string, number> = {
      // Issue 11's goal is 30 kB; 46.3 kB measured (45.9 before the release, notice and send-order fixes,
      // 42.9 before the create fast paths).
      'mailbox-challenge': 47_000,
      'mailbox-challenge/redis': 8_600, // 8.06 kB with the notices list and send order in the script
      'mailbox-challenge/postgres': 7_200, // 6.75 kB: READ COMMITTED, and the rules it runs grew
      'mailbox-challenge/nodemailer': 11_800,
      'mailbox-challenge/testing': 1_200,
      'mailbox-challenge/templates': 7_000,
      'mailbox-challenge/http': 21_000,
    };
    const report = JSON.parse(
      execFileSync(process.execPath, [join(root, 'scripts/size.mjs'), '--json'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, SIZE_RUNS: '0' },
      }),
    ) as { entries: { entry: string; gzip: number; heavy: string[]; peers: string[] }[] };
    for (const { entry, gzip, heavy, peers } of report.entries) {
      expect(heavy, entry).toEqual([]);
      if (entry === 'mailbox-challenge/templates')
        expect(peers.sort()).toEqual(['html-to-text (lazy)', 'mjml (lazy)']);
      else if (entry !== 'mailbox-challenge/testing') expect(peers, entry).toEqual([]);
      if (entry === 'mailbox-challenge/locales') continue;
      expect(GZIP_CAP_BYTES[entry], `a cap for ${entry}`).toBeDefined();
      expect(gzip, entry).toBeLessThanOrEqual(GZIP_CAP_BYTES[entry]!);
    }
  }, 120_000);

  it('the CLI runs from the build', () => {
    const out = node([join(root, 'dist/cli.js'), 'keygen', 'ci-check']);
    expect(out.trim()).toMatch(/^MAILBOX_KEYS=ci-check:[A-Za-z0-9_-]{43}$/);
  });
});
