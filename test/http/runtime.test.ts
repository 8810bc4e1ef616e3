// The http entry runs where Node's APIs are absent (workers, Deno, Bun): bundle the handlers with the core
// and run a sign-in in a bare V8 context that has only Web APIs (fetch types, URL, streams, crypto). The Node
// bridge (toNodeHandler) is loaded on first use only, so it is left out of the bundle.
import { webcrypto } from 'node:crypto';
import { join } from 'node:path';
import vm from 'node:vm';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

let bundle: string;

beforeAll(async () => {
  const out = await build({
    entryPoints: [join(import.meta.dirname, '_edge-smoke.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'smoke',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    external: ['@remix-run/node-fetch-server'],
    logLevel: 'error',
  });
  bundle = out.outputFiles[0]!.text;
});

describe('the http entry without Node APIs', () => {
  it('imports nothing from node:', () => {
    expect(bundle).not.toMatch(/\bfrom\s*["']node:|require\(["']node:/);
  });

  it('signs in through handlers.fetch in a bare V8 context', async () => {
    const ctx = vm.createContext({
      crypto: { getRandomValues: (a: Uint8Array) => webcrypto.getRandomValues(a) },
      TextEncoder,
      TextDecoder,
      Intl,
      URL,
      URLSearchParams,
      Request,
      Response,
      Headers,
      ReadableStream,
      FormData,
      structuredClone,
      setTimeout,
      clearTimeout,
      console,
    });
    expect(vm.runInContext('typeof process + typeof require + typeof Buffer', ctx)).toBe(
      'undefinedundefinedundefined',
    );
    vm.runInContext(bundle, ctx);
    const result = await vm.runInContext('smoke.run()', ctx);
    expect(JSON.parse(JSON.stringify(result))).toEqual({
      started: 200,
      cookieName: '__Host-mc-login',
      secure: true,
      wrong: 401,
      wrongCode: 'INVALID_CODE',
      right: 200,
      body: { ok: true, email: 'ada@example.com' },
    });
  });
});
