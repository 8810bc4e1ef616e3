// The core entry ships English only; `mailbox-challenge/locales` adds every other built-in locale with one
// import. Proven on separate bundles (two copies of the registry module, as a CommonJS and an ESM copy would
// be) run in one bare context: the locales reach the core through the shared global registry.
import { join } from 'node:path';
import vm from 'node:vm';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { bareContext } from '../_bare-context.js';
import { ROOT } from './_helpers.js';

const bundles: Record<'core' | 'locales', string> = { core: '', locales: '' };

beforeAll(async () => {
  for (const [name, entry] of [
    ['core', 'src/index.ts'],
    ['locales', 'src/locales.ts'],
  ] as const) {
    const out = await build({
      entryPoints: [join(ROOT, entry)],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: name === 'core' ? 'mailboxChallenge' : 'mailboxChallengeLocales',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      target: 'es2022',
      logLevel: 'error',
    });
    bundles[name] = out.outputFiles[0]!.text;
  }
});

const render = `(() => {
  const m = mailboxChallenge;
  const c = m.createMailboxChallenge(
    { email: 'ada@example.com', purpose: 'login', message: { appName: 'Acme', acceptLanguage: 'de-CH,de;q=0.9' } },
    { keys: [m.generateKey('k')] },
  );
  return JSON.stringify({ locale: c.message.locale, subject: c.message.subject,
    error: m.describeError('INVALID_CODE', { locale: 'zh-TW' }).locale });
})()`;

describe('mailbox-challenge/locales', () => {
  it('the core bundle holds English only', () => {
    expect(bundles.core).toContain('Your {appName} sign-in code');
    expect(bundles.core).not.toContain('Anmeldecode');
    expect(bundles.locales).toContain('Anmeldecode');
  });

  it('without it: English, and one warning that says which import is missing', () => {
    const warnings: string[] = [];
    const ctx = bareContext({
      console: { ...console, warn: (w: string) => void warnings.push(w) },
    });
    vm.runInContext(bundles.core, ctx);
    expect(JSON.parse(vm.runInContext(render, ctx))).toEqual({
      locale: 'en',
      subject: 'Your Acme sign-in code',
      error: 'en',
    });
    vm.runInContext(render, ctx);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      `"de" was asked for but only English is loaded. Add \`import 'mailbox-challenge/locales';\``,
    );
  });

  it('with it, even from another copy of the library: every locale', () => {
    const ctx = bareContext();
    vm.runInContext(bundles.core, ctx);
    vm.runInContext(bundles.locales, ctx);
    expect(JSON.parse(vm.runInContext(render, ctx))).toEqual({
      locale: 'de',
      subject: 'Ihr Anmeldecode für Acme',
      error: 'zh-Hant',
    });
  });
});
