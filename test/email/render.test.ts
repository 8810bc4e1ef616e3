import { describe, expect, it } from 'vitest';
import { MailboxChallengeError, renderEmailChangeNotice } from '../../src/index.js';
import {
  createWithMessage,
  escapeHtml,
  GMAIL_CLIP_BYTES,
  LEFTOVER,
  LOCALES,
  localeStrings,
  PURPOSES,
  skeleton,
  tagCount,
  withoutStyles,
} from './_helpers.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const FULL = {
  appName: 'Acme',
  link: { urlTemplate: 'https://acme.example/verify?c={challengeId}&k={code}' },
  supportText: 'Questions? Write to help@acme.example.',
  brand: { logoUrl: 'https://acme.example/logo.png', primaryColor: '#0f766e' },
};

function expectInvalid(fn: () => unknown, fields: string[]) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MailboxChallengeError);
    expect((error as MailboxChallengeError).code).toBe('INVALID_INPUT');
    expect((error as MailboxChallengeError).fields).toEqual(fields);
    return;
  }
  throw new Error('expected INVALID_INPUT');
}

describe('every purpose × locale renders', () => {
  for (const purpose of PURPOSES) {
    for (const locale of LOCALES) {
      it(`${purpose} in ${locale}`, () => {
        const kind = purpose === 'password-reset' ? 'default' : purpose;
        const s = localeStrings(locale);
        for (const options of [
          { appName: 'Acme', locale },
          { ...FULL, locale },
        ]) {
          const { code, message, challengeId } = createWithMessage(options, { purpose });
          const { html, text, subject } = message;
          expect(message.locale).toBe(locale);
          expect(html.startsWith(`<!doctype html><html lang="${locale}" dir="ltr"`)).toBe(true);
          // The code: large in its own box in the HTML, on its own line in the text.
          // data-mc-code marks it for createTestOutbox and other tooling.
          expect(html).toContain(`<div class="code-box" data-mc-code style="`);
          expect(html).toMatch(new RegExp(`class="code-box"[^>]*>${code}</div>`));
          expect(text).toContain(`\n${code}\n`);
          // Nothing left unfilled.
          expect(withoutStyles(html)).not.toMatch(LEFTOVER);
          expect(text).not.toMatch(/[{}]/);
          expect(subject).not.toMatch(/[{}\r\n]/);
          expect(bytes(html)).toBeLessThan(GMAIL_CLIP_BYTES);
          // The words a reader needs, in the locale: heading, expiry in minutes, "ignore", "never share".
          const heading = s[kind]!.heading!.replace('{appName}', 'Acme');
          const minutes = s.minutes as Record<string, string>;
          const tenMinutes = (minutes[new Intl.PluralRules(locale).select(10)] ?? minutes.other!).replace(
            '{n}',
            '10',
          );
          const expiry = s.common!.expiry!.replace('{minutes}', tenMinutes);
          expect(html).toContain(escapeHtml(heading));
          expect(text).toContain(`${heading}\n`);
          expect(text).toContain(`\n${expiry}\n`);
          expect(html).toContain(escapeHtml(expiry));
          expect(html).toContain(escapeHtml(s.common!.ignore!));
          expect(text).toContain(s.common!.ignore!);
          expect(text).toContain(s.common!.neverShare!.replace('{appName}', 'Acme'));
          expect(text).toContain(s.common!.sentTo!.replace('{email}', 'ada@example.com'));
          // The subject is the title, and the preheader leads the body.
          expect(html).toContain(`<title>${escapeHtml(subject)}</title>`);
          expect(html).toContain(escapeHtml(s[kind]!.preheader!.replace('{appName}', 'Acme')));
          // Dark-mode and scheme hints.
          expect(html).toContain('<meta name="color-scheme" content="light dark">');
          expect(html).toContain('@media (prefers-color-scheme:dark)');
          // Plain text reads on its own: no blank-line runs, no markup, no link brackets.
          expect(text).not.toMatch(/\n{3,}|<|>|\[|\]|^\s/);
          if ('link' in options) {
            const url = `https://acme.example/verify?c=${challengeId}&k=${code}`;
            expect(html).toContain(`href="${escapeHtml(url)}"`);
            expect(text).toContain(`\n${url}\n`);
            // The button, and the sentence above it, say what this kind of email does ("Or sign in with one
            // click on this device:" above "Sign in" on a login email).
            expect(html).toContain(`> ${escapeHtml(s[kind]!.button!)} </a>`);
            expect(html).toContain(`>${escapeHtml(s[kind]!.linkIntro!)}</div>`);
            expect(text).toContain(`\n${s[kind]!.linkIntro!}\n\n${url}\n`);
            expect(text).toContain(FULL.supportText);
            expect(html).toContain('src="https://acme.example/logo.png"');
            expect(html).toContain('#0f766e');
          } else {
            expect(html).not.toContain('href=');
            expect(html).not.toContain('<img');
            expect(text).not.toContain(s[kind]!.linkIntro!);
          }
        }
      });
    }
  }

  for (const locale of LOCALES) {
    it(`the email-change notice in ${locale}`, () => {
      const s = localeStrings(locale);
      const notice = renderEmailChangeNotice({
        appName: 'Acme',
        email: ' old@example.com ',
        newEmail: 'new@example.com',
        locale,
        supportText: 'Help: help@acme.example',
      });
      expect(notice.locale).toBe(locale);
      expect(notice.html.startsWith(`<!doctype html><html lang="${locale}" dir="ltr"`)).toBe(true);
      const body = s
        .notice!.body!.replace('{appName}', 'Acme')
        .replace('{email}', 'old@example.com')
        .replace('{newEmail}', 'new@example.com');
      expect(notice.html).toContain(escapeHtml(body));
      expect(notice.text).toContain(`${body}\n`);
      expect(notice.text).toContain(s.notice!.ifNotYou!.replace('{appName}', 'Acme'));
      expect(notice.subject).toBe(s.notice!.subject!.replace('{appName}', 'Acme'));
      expect(withoutStyles(notice.html)).not.toMatch(LEFTOVER);
      expect(notice.text).not.toMatch(/[{}]|\n{3,}/);
      expect(bytes(notice.html)).toBeLessThan(GMAIL_CLIP_BYTES);
    });
  }
});

describe('message options', () => {
  it('reports the size of the largest built-in email', () => {
    const { message } = createWithMessage(
      { ...FULL, locale: 'de' },
      { email: `${'a'.repeat(64)}@example.com` },
    );
    expect(bytes(message.html)).toBeLessThan(20_000); // far below Gmail's 102 kB clipping
  });

  it('keeps the code out of the subject unless codeInSubject is set', () => {
    const plain = createWithMessage({ appName: 'Acme' });
    expect(plain.message.subject).toBe('Your Acme sign-in code');
    expect(plain.message.subject).not.toContain(plain.code);
    const withCode = createWithMessage({ appName: 'Acme', codeInSubject: true });
    expect(withCode.message.subject).toBe(`${withCode.code} is your Acme sign-in code`);
    expect(withCode.message.html).toContain(`<title>${withCode.code} is your Acme sign-in code</title>`);
  });

  it('uses the neutral wording for any other purpose', () => {
    const { message } = createWithMessage({ appName: 'Acme' }, { purpose: 'delete-account' });
    expect(message.subject).toBe('Your Acme verification code');
    expect(message.text).toContain('Verify your email address\n');
  });

  it('picks the locale: explicit, then Accept-Language, then English', () => {
    expect(createWithMessage({ appName: 'A', locale: 'fr', acceptLanguage: 'de' }).message.locale).toBe('fr');
    expect(createWithMessage({ appName: 'A', locale: 'xx', acceptLanguage: 'de-CH' }).message.locale).toBe(
      'de',
    );
    expect(createWithMessage({ appName: 'A', acceptLanguage: 'da' }).message.locale).toBe('en');
    expect(createWithMessage({ appName: 'A' }).message.locale).toBe('en');
  });

  it('states the expiry in whole minutes with the plural form of the locale', () => {
    const expiry = (locale: string, ttlSeconds: number) =>
      createWithMessage({ appName: 'A', locale }, { ttlSeconds })
        .message.text.split('\n')
        .find((l) => /\d/.test(l) && !/^\d+$/.test(l));
    expect(expiry('en', 60)).toBe('This code expires in 1 minute.');
    expect(expiry('en', 119)).toBe('This code expires in 1 minute.'); // never promise more time than there is
    expect(expiry('en', 30)).toBe('This code expires in 1 minute.');
    expect(expiry('en', 600)).toBe('This code expires in 10 minutes.');
    expect(expiry('pl', 60)).toBe('Kod wygaśnie za 1 minutę.');
    expect(expiry('pl', 120)).toBe('Kod wygaśnie za 2 minuty.');
    expect(expiry('pl', 300)).toBe('Kod wygaśnie za 5 minut.');
    expect(expiry('pl', 22 * 60)).toBe('Kod wygaśnie za 22 minuty.');
    expect(expiry('ja', 600)).toBe('このコードの有効期間は10分です。');
  });

  it('fills the link template with percent-encoded values', () => {
    const { message, challengeId, code } = createWithMessage(
      { appName: 'Acme', link: { urlTemplate: 'https://acme.example/v/{challengeId}?k={code}&e={email}' } },
      { email: "o'brien+tag@example.com" },
    );
    const url = `https://acme.example/v/${challengeId}?k=${code}&e=o'brien%2Btag%40example.com`;
    expect(message.text).toContain(`\n${url}\n`);
    expect(message.html).toContain(`href="${escapeHtml(url)}"`);
  });

  it('shows the logo when given, else the app name; picks readable button text for the brand colour', () => {
    const light = createWithMessage({ ...FULL, brand: { primaryColor: '#fde047' } }).message.html;
    expect(light).toMatch(/background:#fde047;color:#111827/);
    const dark = createWithMessage({ ...FULL, brand: { primaryColor: '#123' } }).message.html;
    expect(dark).toMatch(/background:#123;color:#ffffff/);
    const byDefault = createWithMessage({ appName: 'Acme', link: FULL.link }).message.html;
    expect(byDefault).toMatch(/background:#2563eb;color:#ffffff/);
    expect(byDefault).toMatch(/>Acme<\/div>/);
  });

  it('returns no message for message: false or when omitted', () => {
    const { message: _, ...withMessage } = createWithMessage({ appName: 'Acme' });
    expect(withMessage).not.toHaveProperty('message');
  });

  it('rejects bad options as INVALID_INPUT naming the field', () => {
    const bad = (message: unknown) => () => createWithMessage(message as never);
    expectInvalid(bad({ appName: 'Acme\r\nBcc: victim@example.com' }), ['message.appName']);
    expectInvalid(bad({ appName: 'Acme\n' }), ['message.appName']);
    expectInvalid(bad({ appName: '' }), ['message.appName']);
    expectInvalid(bad({ appName: '   ' }), ['message.appName']);
    expectInvalid(bad({ appName: 'x'.repeat(65) }), ['message.appName']);
    expectInvalid(bad({}), ['message.appName']);
    expectInvalid(bad({ appName: 'A', supportText: 'line\nbreak' }), ['message.supportText']);
    expectInvalid(bad({ appName: 'A', brand: { primaryColor: 'red' } }), ['message.brand.primaryColor']);
    expectInvalid(bad({ appName: 'A', brand: { primaryColor: '#fff;background:url(x)' } }), [
      'message.brand.primaryColor',
    ]);
    expectInvalid(bad({ appName: 'A', brand: { logoUrl: 'http://acme.example/logo.png' } }), [
      'message.brand.logoUrl',
    ]);
    expectInvalid(bad({ appName: 'A', brand: { logoUrl: 'https://a.example/x" onerror="x' } }), [
      'message.brand.logoUrl',
    ]);
    expectInvalid(bad({ appName: 'A', brand: { logoUrl: 'https://user:pw@a.example/x.png' } }), [
      'message.brand.logoUrl',
    ]);
    for (const urlTemplate of [
      'javascript:alert({code})',
      'data:text/html,{code}',
      '//acme.example/{code}',
      '/verify?c={challengeId}',
      'https://acme.example/verify',
      'https://{email}/verify?c={challengeId}',
      'https://acme.example:{code}/',
      'https://acme.example/{host}?c={challengeId}',
      'https://acme.example/v?c={challengeId}&x="><script>',
      'https://acme.example/v?c={challengeId} ',
      'ftp://acme.example/{code}',
    ]) {
      expectInvalid(bad({ appName: 'A', link: { urlTemplate } }), ['message.link.urlTemplate']);
    }
    expectInvalid(bad({ appName: 'A', template: { html: '{{code}}', text: '{{code}}' } }), [
      'message.template',
    ]);
    expectInvalid(bad({ appName: 'A', codeInSubject: 'yes' }), ['message.codeInSubject']);
    expectInvalid(bad({ appName: 'A', colour: 'red' }), ['message.colour']);
  });

  it('renders the notice and validates its input', () => {
    const notice = renderEmailChangeNotice({
      appName: 'Acme',
      email: 'old@example.com',
      newEmail: 'new@example.com',
    });
    expect(notice.subject).toBe('Your Acme email address is being changed');
    expect(notice.text).toContain('from old@example.com to new@example.com');
    expect(skeleton(notice.html).length).toBe(tagCount(notice.html) - 1);
    expectInvalid(
      () => renderEmailChangeNotice({ appName: 'Acme', email: 'old@example.com', newEmail: '<b>@x.com' }),
      ['newEmail'],
    );
    expectInvalid(
      () => renderEmailChangeNotice({ appName: 'A\rB', email: 'a@b.co', newEmail: 'c@d.co' }),
      ['appName'],
    );
    expectInvalid(
      () => renderEmailChangeNotice({ appName: 'A', email: 'a@b.co', newEmail: 'c@d.co', x: 1 } as never),
      ['x'],
    );
  });
});
