// DESIGN: the core entry must load and run where Node's own APIs are absent. test/runtimes/runtimes.test.ts
// runs the whole smoke test (pure layer, flow, HTTP, secrets crossing between runtimes) in real runtimes,
// an edge sandbox among them. This test holds the core to the least a runtime can offer: bundled with every
// dependency, in a bare V8 context with only crypto.getRandomValues, TextEncoder/TextDecoder and Intl (and
// URL, which only Unicode domains need); no process, require, Buffer or fetch types.
import { join } from 'node:path';
import vm from 'node:vm';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { bareContext } from '../_bare-context.js';

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

describe('the core entry in a runtime without Node APIs', () => {
  it('creates a challenge with its email, and verifies it, with nothing of Node to lean on', () => {
    const ctx = bareContext();
    expect(vm.runInContext('typeof process + typeof require + typeof Buffer', ctx)).toBe(
      'undefinedundefinedundefined',
    );
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
