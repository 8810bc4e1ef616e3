import { defineConfig } from 'tsup';

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

export default defineConfig([
  {
    entry,
    format: ['esm'],
    dts: true,
    clean: true,
    target: 'es2022',
    platform: 'neutral',
    splitting: true,
    treeshake: true,
    // zod and @noble inlined and tree-shaken: a cold start reads a few chunks instead of resolving and
    // compiling zod's ~95 modules and @noble's ~10 through their package exports (issue 11).
    noExternal: [/^zod(\/|$)/, /^@noble\//],
  },
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
