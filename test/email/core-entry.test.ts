// The core entry renders emails without ever loading mjml or html-to-text: the layouts were compiled at build
// time. Proven on real bundles (ESM and CJS) in a clean child process that watches module loading; the
// templates entry is the control that shows the watch does catch a load.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './_helpers.js';

const run = promisify(execFile);
const PROBE = join(import.meta.dirname, '_load-probe.mjs');
const OUT = join(ROOT, 'node_modules/.cache/mailbox-challenge-probe'); // inside the repo: bare imports resolve

async function probe(entry: string, mode: 'core' | 'templates' | 'require') {
  try {
    const { stdout } = await run(process.execPath, [PROBE, entry, mode], { cwd: ROOT, timeout: 30_000 });
    return {
      exitCode: 0,
      ...(JSON.parse(stdout) as { result: Record<string, unknown>; cjsLoaded: string[] }),
    };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { exitCode: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

// The core entry alone ships English: French needs `import 'mailbox-challenge/locales'` (it warns once).
const EXPECTED_CORE = {
  locale: 'en',
  codeInHtml: true,
  codeInText: true,
  notice: 'Your Acme email address is being changed',
};

/** The newest modification time under src/ and templates/, to tell whether dist/ was built from them. */
function newestSource(dir = join(ROOT, 'src')): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

describe('the built core entry', () => {
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const common = {
      bundle: true,
      platform: 'neutral' as const,
      target: 'es2022',
      logLevel: 'error' as const,
    };
    for (const [name, entry] of [
      ['core', 'src/index.ts'],
      ['templates', 'src/templates/index.ts'],
    ]) {
      // ESM like tsup: every package stays external, so a load of mjml would be a real import.
      await build({
        ...common,
        entryPoints: [join(ROOT, entry!)],
        format: 'esm',
        packages: 'external',
        outfile: join(OUT, `${name}.mjs`),
        mainFields: ['module', 'main'],
      });
      // CJS like tsup: @noble (ESM only) bundled, the rest required.
      await build({
        ...common,
        entryPoints: [join(ROOT, entry!)],
        format: 'cjs',
        external: ['zod', 'mjml', 'mjml-*', 'html-to-text'],
        outfile: join(OUT, `${name}.cjs`),
        mainFields: ['module', 'main'],
      });
    }
  });

  for (const format of ['mjs', 'cjs']) {
    it(`renders a message without loading mjml or html-to-text (${format})`, async () => {
      const outcome = await probe(join(OUT, `core.${format}`), 'core');
      expect(outcome).toEqual({ exitCode: 0, result: EXPECTED_CORE, cjsLoaded: [] });
    });

    it(`control: the templates entry does load them, and the watch sees it (${format})`, async () => {
      const outcome = await probe(join(OUT, `templates.${format}`), 'templates');
      expect(outcome.exitCode).not.toBe(0);
      expect(outcome.stderr).toMatch(/FORBIDDEN_MODULE (mjml|html-to-text)/);
    });
  }

  it('control: a require() of them is seen in the CommonJS cache', async () => {
    for (const name of ['mjml', 'html-to-text']) {
      const outcome = await probe(name, 'require');
      expect(outcome.exitCode).toBe(3);
    }
  });

  it('dist/index.js and dist/index.cjs, when built from the current sources, load neither', async (ctx) => {
    const dist = join(ROOT, 'dist/index.js');
    if (!existsSync(dist) || statSync(dist).mtimeMs < newestSource()) {
      console.log(
        'SKIPPED: dist/ is missing or older than src/; run `npm run build` to check the published files too',
      );
      ctx.skip();
    }
    for (const file of ['dist/index.js', 'dist/index.cjs']) {
      expect(await probe(join(ROOT, file), 'core')).toEqual({
        exitCode: 0,
        result: EXPECTED_CORE,
        cjsLoaded: [],
      });
    }
  });
});
