// DESIGN: the core entry must load and run where Node's own APIs are absent (edge workers, Deno, Bun,
// browsers). Bundle it with every dependency, then run it in a bare V8 context that has only what a Web
// runtime has (crypto.getRandomValues, TextEncoder/TextDecoder, Intl, URL): no process, require, Buffer or
// node:crypto. It must create, render and verify there, on the pure @noble path.
import { webcrypto } from 'node:crypto';
import { join } from 'node:path';
import vm from 'node:vm';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
let bundle: string;

beforeAll(async () => {
  // The core entry and the other locales (mailbox-challenge/locales), as an edge app would import them.
  const out = await build({
    stdin: {
      contents: "import './src/locales.ts'; export * from './src/index.ts';",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'mailboxChallenge',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    logLevel: 'error',
  });
  bundle = out.outputFiles[0]!.text;
});

function bareContext({ withUrl = true } = {}) {
  const crypto = { getRandomValues: (a: Uint8Array) => webcrypto.getRandomValues(a) };
  return vm.createContext({ crypto, TextEncoder, TextDecoder, Intl, console, ...(withUrl && { URL }) });
}

describe('the core entry in a runtime without Node APIs', () => {
  it('has no process, require, Buffer or node: imports to lean on', () => {
    const ctx = bareContext();
    expect(vm.runInContext('typeof process + typeof require + typeof Buffer', ctx)).toBe(
      'undefinedundefinedundefined',
    );
    expect(bundle).not.toMatch(/\bfrom\s*["']node:|require\(["']node:/);
  });

  it('creates a challenge with its email, and verifies it', () => {
    const ctx = bareContext();
    vm.runInContext(bundle, ctx);
    const result = vm.runInContext(
      `(() => {
        const m = mailboxChallenge;
        const keys = [m.generateKey('edge')];
        const c = m.createMailboxChallenge(
          { email: 'Ada@Example.com', purpose: 'login', message: { appName: 'Acme', acceptLanguage: 'ja,en;q=0.5' } },
          { keys },
        );
        const ok = m.verifyMailboxChallenge({ challengeId: c.challengeId, secret: c.secret, code: c.code, email: 'ada@example.com' }, { keys });
        const bad = m.verifyMailboxChallenge({ challengeId: c.challengeId, secret: c.secret + 'A', code: c.code }, { keys });
        return JSON.stringify({ ok: ok.ok, email: ok.ok && ok.challenge.email, bad: bad.ok ? 'ok' : bad.error.code,
          locale: c.message.locale, codeInHtml: c.message.html.includes(c.code), secret: c.secret.slice(0, 8) });
      })()`,
      ctx,
    );
    expect(JSON.parse(result)).toEqual({
      ok: true,
      email: 'Ada@Example.com',
      bad: 'INVALID_CHALLENGE',
      locale: 'ja',
      codeInHtml: true,
      secret: 'v2.edge.',
    });
  });

  it('a secret sealed on the pure path verifies on Node (native path) and back', async () => {
    const ctx = bareContext();
    vm.runInContext(bundle, ctx);
    const { createMailboxChallenge, verifyMailboxChallenge, generateKey } = await import(
      '../../src/index.js'
    );
    const keys = [generateKey('mixed')];
    ctx.keys = keys;
    const fromEdge = JSON.parse(
      vm.runInContext(
        `JSON.stringify(mailboxChallenge.createMailboxChallenge({ email: 'a@example.com', purpose: 'login' }, { keys }))`,
        ctx,
      ),
    );
    expect(verifyMailboxChallenge(fromEdge, { keys }).ok).toBe(true);
    const fromNode = createMailboxChallenge({ email: 'a@example.com', purpose: 'login' }, { keys });
    ctx.input = { challengeId: fromNode.challengeId, secret: fromNode.secret, code: fromNode.code };
    expect(vm.runInContext('mailboxChallenge.verifyMailboxChallenge(input, { keys }).ok', ctx)).toBe(true);
  });

  // Unicode domains go through the runtime's URL (UTS-46). Every target runtime has one; where none
  // exists they are refused, and ASCII addresses still work.
  it('turns a Unicode domain into its xn-- form with the runtime URL, and refuses it without one', () => {
    const run = (ctx: vm.Context) => {
      vm.runInContext(bundle, ctx);
      return JSON.parse(
        vm.runInContext(
          `(() => {
            const m = mailboxChallenge;
            const keys = [m.generateKey('edge')];
            const email = (address) => {
              try { return m.createMailboxChallenge({ email: address, purpose: 'login' }, { keys }).email; }
              catch (e) { return e.code; }
            };
            return JSON.stringify([email('ada@b\u00fccher.de'), email('ada@example.com')]);
          })()`,
          ctx,
        ),
      );
    };
    expect(run(bareContext())).toEqual(['ada@xn--bcher-kva.de', 'ada@example.com']);
    expect(run(bareContext({ withUrl: false }))).toEqual(['INVALID_INPUT', 'ada@example.com']);
  });
});
