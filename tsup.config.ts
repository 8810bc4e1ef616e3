import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildSync, type Plugin } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

const entry = {
  index: 'src/index.ts',
  redis: 'src/stores/redis.ts',
  postgres: 'src/stores/postgres.ts',
  nodemailer: 'src/senders/nodemailer.ts',
  testing: 'src/testing/index.ts',
  templates: 'src/templates/index.ts',
  locales: 'src/locales.ts',
  http: 'src/http/index.ts',
};
const { index, ...subpaths } = entry;

// ESM: the core is one module, dist/_core.js (src/_core.ts), with zod and @noble inlined and tree-shaken.
// With shared chunks it was eight modules, and a cold start paid more to resolve and link them than to run
// them (issue 11). dist/index.js re-exports _core.js; the other entries import from it what they share with
// the core, so every entry still sees one MailboxChallengeError class and one locale catalog.
const CORE = resolve('src/_core.ts');
const coreFiles = new Set(
  Object.keys(
    buildSync({
      entryPoints: [CORE],
      bundle: true,
      write: false,
      metafile: true,
      packages: 'external',
      logLevel: 'silent',
    }).metafile.inputs,
  ).map((file) => resolve(file)),
);
// Two constant lists with no identity to share: an entry that needs only them (testing) inlines them
// instead of loading the whole core for them.
const COPIED = new Set([resolve('src/email/_kinds.ts')]);
const sourceOf = (from: string, path: string) => {
  const file = resolve(dirname(from), path);
  const ts = file.replace(/\.js$/, '.ts');
  return existsSync(ts) ? ts : file;
};
/** Imports of the core's files from outside it (or from `only`) become imports of dist/_core.js. */
const fromCore = (only?: string): Plugin => ({
  name: 'from-core',
  setup(build) {
    // A second copy of zod beside the core's: the other entries take zod from the core (src/lib/_zod.ts).
    if (!only) {
      build.onResolve({ filter: /^zod(\/|$)/ }, ({ path, importer }) =>
        coreFiles.has(resolve(importer))
          ? undefined
          : { errors: [{ text: `${importer} imports ${path}: import zod from src/lib/_zod.ts` }] },
      );
    }
    build.onResolve({ filter: /^\.\.?\// }, ({ path, importer }) => {
      if (!importer || importer === CORE) return undefined;
      const target = sourceOf(importer, path);
      const outside = only ? resolve(importer) === resolve(only) : !coreFiles.has(resolve(importer));
      return outside && coreFiles.has(target) && !COPIED.has(target)
        ? { path: './_core.js', external: true }
        : undefined;
    });
  },
});
const esm: Options = {
  format: ['esm'],
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
  noExternal: [/^zod(\/|$)/, /^@noble\//],
};

export default defineConfig([
  // Types for every entry from one program, so they share one declaration of each type.
  { entry, format: ['esm'], dts: { only: true }, clean: true },
  { ...esm, entry: { _core: 'src/_core.ts' }, splitting: false },
  { ...esm, entry: { index }, splitting: false, esbuildPlugins: [fromCore(index)] },
  { ...esm, entry: subpaths, splitting: true, esbuildPlugins: [fromCore()] },
  {
    entry,
    format: ['cjs'],
    dts: true,
    target: 'es2022',
    platform: 'neutral',
    // @noble/* 2.x, cookie 2 and @remix-run/node-fetch-server ship ESM only: bundle them into the CJS build
    // so `require()` works even where require(esm) is unavailable or disabled. zod: as in the ESM build.
    noExternal: [/^@noble\//, /^cookie$/, /^@remix-run\/node-fetch-server$/, /^zod(\/|$)/],
    // Shared chunks, so every entry sees the same MailboxChallengeError class (instanceof across entries).
    splitting: true,
    treeshake: true,
  },
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
