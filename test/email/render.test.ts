import { describe, expect, it } from 'vitest';
import { contrast } from '../../src/email/_prepare.js';
import {
  mergeMessageOptions,
  messageOptionsSchema,
  perCallMessageOptionsSchema,
} from '../../src/email/render.js';
import { MailboxChallengeError, type MessageOptions, renderEmailChangeNotice } from '../../src/index.js';
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
  footerLinks: [{ text: 'Privacy', href: 'https://acme.example/privacy' }],
  brand: {
    logo: {
      url: 'https://acme.example/logo.png',
      darkUrl: 'https://acme.example/logo-dark.png',
      width: 120,
      height: 32,
    },
    primaryColor: '#0f766e',
  },
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
  // The text as the HTML shows it: a heading keeps its hyphens together, addresses are isolated left-to-right.
  const asHtml = (s: string) => escapeHtml(s);
  const withAddress = (s: string) => s.replace(/\{email\}/g, '<span dir="ltr">ada@example.com</span>');
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
          expect(message.code).toBe(code);
          expect(
            html.startsWith(`<!doctype html><html lang="${locale}" dir="${s.dir as unknown as string}"`),
          ).toBe(true);
          // The code: large in its own left-to-right box in the HTML, on its own line in the text.
          // data-mc-code marks it for createTestOutbox and other tooling.
          expect(html).toContain(`<div class="code-box" data-mc-code dir="ltr" style="`);
          expect(html).toMatch(new RegExp(`class="code-box"[^>]*>${code}</div>`));
          expect(text).toContain(`\n${code}\n`);
          // Nothing left unfilled.
          expect(withoutStyles(html)).not.toMatch(LEFTOVER);
          expect(text).not.toMatch(/[{}]/);
          expect(subject).not.toMatch(/[{}\r\n]/);
          expect(bytes(html)).toBeLessThan(GMAIL_CLIP_BYTES);
          // The words a reader needs, in the locale: heading, expiry, "ignore", "never share".
          const heading = s[kind]!.heading!.replace('{appName}', 'Acme');
          const units = s.units as unknown as Record<string, Record<string, string>>;
          const minutes = units.minutes!;
          const tenMinutes = (minutes[new Intl.PluralRules(locale).select(10)] ?? minutes.other!).replace(
            '{n}',
            '10',
          );
          const expiry = s.common!.expiry!.replace('{duration}', tenMinutes);
          expect(html).toContain(asHtml(heading).replaceAll('-', '\u2011'));
          expect(text).toContain(`${heading}\n`);
          expect(text).toContain(`\n${expiry}\n`);
          expect(html).toContain(escapeHtml(expiry));
          expect(html).toContain(escapeHtml(s.common!.ignore!));
          expect(html).toContain(withAddress(escapeHtml(s.common!.sentTo!)));
          expect(text).toContain(s.common!.ignore!);
          expect(text).toContain(s.common!.neverShare!.replace('{appName}', 'Acme'));
          expect(text).toContain(s.common!.sentTo!.replace('{email}', 'ada@example.com'));
          // The subject is the title, and the preheader leads the body.
          expect(html).toContain(`<title>${escapeHtml(subject)}</title>`);
          expect(html).toContain(escapeHtml(s[kind]!.preheader!.replace('{appName}', 'Acme')));
          // Dark-mode and scheme hints; no auto-linking of addresses and numbers.
          expect(html).toContain('<meta name="color-scheme" content="light dark">');
          expect(html).toContain('@media (prefers-color-scheme:dark)');
          expect(html).toContain('<meta name="format-detection"');
          expect(html).toContain('a[x-apple-data-detectors]');
          expect(html).toContain('[data-ogsc]');
          // Right-to-left locales are mirrored: nothing is pinned to the left.
          if ((s.dir as unknown) === 'rtl') {
            expect(html).not.toMatch(/direction:ltr|text-align:left|align="left"/);
            expect(html).toMatch(/direction:rtl/);
            expect(html).toMatch(/text-align:right/);
          }
          // Plain text reads on its own: no blank-line runs, no markup, no link brackets.
          expect(text).not.toMatch(/\n{3,}|<|>|\[|\]|^\s/);
          if ('link' in options) {
            const url = `https://acme.example/verify?c=${challengeId}&k=${code}`;
            expect(message.link).toBe(url);
            expect(html).toContain(`href="${escapeHtml(url)}"`);
            expect(text).toContain(`\n${url}\n`);
            // The button, and the sentence above it, say what this kind of email does ("Or sign in with one
            // click on this device:" above "Sign in" on a login email).
            expect(html).toContain(`> ${escapeHtml(s[kind]!.button!)} </a>`);
            expect(html).toContain(`>${escapeHtml(s[kind]!.linkIntro!)}</div>`);
            expect(text).toContain(`\n${s[kind]!.linkIntro!}\n\n${url}\n`);
            expect(text).toContain(FULL.supportText);
            expect(text).toContain('Privacy: https://acme.example/privacy');
            expect(html).toContain('<a href="https://acme.example/privacy"');
            expect(html).toContain('src="https://acme.example/logo.png"');
            expect(html).toContain('src="https://acme.example/logo-dark.png"');
            expect(html).toContain('width="120" height="32"');
            expect(html).toContain('#0f766e');
          } else {
            expect(message).not.toHaveProperty('link');
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
      const n = s.notice!;
      const fill = (x: string) => x.replace('{appName}', 'Acme').replace('{email}', 'old@example.com');
      const plain = renderEmailChangeNotice({
        appName: 'Acme',
        email: ' old@example.com ',
        newEmail: 'new@example.com',
        locale,
        supportText: 'Help: help@acme.example',
      });
      expect(plain.locale).toBe(locale);
      expect(plain.html.startsWith(`<!doctype html><html lang="${locale}" dir="${s.dir}"`)).toBe(true);
      // The new address stands on its own, highlighted, after the sentence that introduces it.
      expect(plain.html).toMatch(/<div class="addr-box" dir="ltr"[^>]*>new@example\.com<\/div>/);
      expect(plain.html).toContain(
        escapeHtml(n.body!.replace('{appName}', 'Acme')).replace(
          '{email}',
          '<span dir="ltr">old@example.com</span>',
        ),
      );
      expect(plain.text).toContain(`${fill(n.body!)}\n\nnew@example.com\n`);
      expect(plain.text).toContain(fill(n.ifYou!));
      expect(plain.text).toContain(fill(n.ifNotYou!));
      expect(plain.text).not.toContain(fill(n.ifNotYouPassword!));
      expect(plain.html).not.toContain(escapeHtml(n.notMe!));
      expect(plain.subject).toBe(n.subject!.replace('{appName}', 'Acme'));
      expect(withoutStyles(plain.html)).not.toMatch(LEFTOVER);
      expect(plain.text).not.toMatch(/[{}]|\n{3,}/);
      expect(bytes(plain.html)).toBeLessThan(GMAIL_CLIP_BYTES);

      const full = renderEmailChangeNotice({
        appName: 'Acme',
        email: 'old@example.com',
        newEmail: 'new@example.com',
        locale,
        notice: {
          hasPassword: true,
          notMeUrl: 'https://acme.example/not-me?t=1',
          supportUrl: 'mailto:help@acme.example',
        },
      });
      expect(full.text).toContain(fill(n.ifNotYouPassword!));
      expect(full.text).not.toContain(fill(n.ifNotYou!));
      expect(full.text).toContain(`${n.notMe!}: https://acme.example/not-me?t=1`);
      expect(full.text).toContain(`${n.support!}: mailto:help@acme.example`);
      expect(full.html).toContain(`href="https://acme.example/not-me?t=1"`);
      expect(full.html).toContain(`> ${escapeHtml(n.notMe!)} </a>`);
      expect(full.html).toContain(
        `<a class="labelled-link" href="mailto:help@acme.example" style="color:inherit;text-decoration:underline;">${escapeHtml(n.support!)}</a>`,
      );
    });
  }
});

describe('message options', () => {
  it('stays under Gmail limits with every option at its longest, in every locale', () => {
    const longest = {
      ...FULL,
      appName: 'W'.repeat(64),
      supportText: 'W'.repeat(500),
      footerLinks: Array.from({ length: 5 }, (_, i) => ({
        text: 'W'.repeat(100),
        href: `https://acme.example/${'p'.repeat(1000)}/${i}`,
      })),
      link: { urlTemplate: `https://acme.example/${'v'.repeat(1900)}?c={challengeId}&k={code}&e={email}` },
      notice: {
        hasPassword: true,
        notMeUrl: `https://acme.example/${'n'.repeat(2000)}`,
        supportUrl: `https://acme.example/${'s'.repeat(2000)}`,
      },
      recipientName: 'W'.repeat(128),
      codeInSubject: true,
    };
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.example.com`;
    let largest = 0;
    for (const locale of LOCALES) {
      const messages = [
        ...PURPOSES.map(
          (purpose) => createWithMessage({ ...longest, locale }, { email, purpose, codeLength: 10 }).message,
        ),
        renderEmailChangeNotice({ ...longest, locale, email, newEmail: email }),
      ];
      for (const { html } of messages) {
        largest = Math.max(largest, bytes(html));
        expect(bytes(html)).toBeLessThan(GMAIL_CLIP_BYTES); // Gmail clips the message above 102 kB
        // Gmail drops a whole <style> block over 16 kB (and every block after a broken one).
        for (const [block] of html.matchAll(/<style[^>]*>[\s\S]*?<\/style>/g))
          expect(bytes(block)).toBeLessThan(16_384);
      }
    }
    expect(largest).toBeLessThan(40_000); // a third of the limit: room for a host's own footer text
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

  it('picks the locale: explicit, then Accept-Language with regional fallbacks, then English', () => {
    const pick = (o: Partial<MessageOptions>) => createWithMessage({ appName: 'A', ...o }).message.locale;
    expect(pick({ locale: 'fr', acceptLanguage: 'de' })).toBe('fr');
    expect(pick({ locale: 'xx', acceptLanguage: 'de-CH' })).toBe('de');
    expect(pick({ acceptLanguage: 'de-AT' })).toBe('de');
    expect(pick({ acceptLanguage: 'zh-TW' })).toBe('zh-Hant');
    expect(pick({ acceptLanguage: 'zh-HK,en;q=0.5' })).toBe('zh-Hant');
    expect(pick({ acceptLanguage: 'zh-Hant-TW' })).toBe('zh-Hant');
    expect(pick({ acceptLanguage: 'zh' })).toBe('zh-Hans');
    expect(pick({ acceptLanguage: 'zh-CN' })).toBe('zh-Hans');
    expect(pick({ acceptLanguage: 'pt' })).toBe('pt-BR');
    expect(pick({ acceptLanguage: 'pt-PT' })).toBe('pt-PT');
    expect(pick({ acceptLanguage: 'pt-AO' })).toBe('pt-PT');
    expect(pick({ acceptLanguage: 'nn' })).toBe('nb');
    expect(pick({ acceptLanguage: 'iw' })).toBe('he');
    expect(pick({ acceptLanguage: 'sw' })).toBe('en');
    expect(pick({})).toBe('en');
  });

  it('states the expiry in natural units, never more time than is left', () => {
    const expiry = (locale: string, ttlSeconds: number) => {
      const start = localeStrings(locale).common!.expiry!.split('{duration}')[0]!;
      return createWithMessage({ appName: 'A', locale }, { ttlSeconds })
        .message.text.split('\n')
        .find((l) => l.startsWith(start));
    };
    expect(expiry('en', 30)).toBe('This code expires in 30 seconds.');
    expect(expiry('en', 59)).toBe('This code expires in 59 seconds.');
    expect(expiry('en', 60)).toBe('This code expires in 1 minute.');
    expect(expiry('en', 119)).toBe('This code expires in 1 minute.'); // never promise more time than there is
    expect(expiry('en', 600)).toBe('This code expires in 10 minutes.');
    expect(expiry('en', 119 * 60)).toBe('This code expires in 119 minutes.');
    expect(expiry('en', 120 * 60)).toBe('This code expires in 2 hours.');
    expect(expiry('en', 150 * 60)).toBe('This code expires in 2 hours.');
    expect(expiry('en', 1440 * 60)).toBe('This code expires in 24 hours.');
    expect(expiry('pl', 60)).toBe('Kod wygaśnie za 1 minutę.');
    expect(expiry('pl', 120)).toBe('Kod wygaśnie za 2 minuty.');
    expect(expiry('pl', 300)).toBe('Kod wygaśnie za 5 minut.');
    expect(expiry('pl', 22 * 60)).toBe('Kod wygaśnie za 22 minuty.');
    expect(expiry('pl', 5 * 3600)).toBe('Kod wygaśnie za 5 godzin.');
    expect(expiry('ja', 600)).toBe('このコードの有効期間は10分です。');
    expect(expiry('ja', 3 * 3600)).toBe('このコードの有効期間は3時間です。');
    expect(expiry('ar', 120 * 60)).toBe('تنتهي صلاحية هذا الرمز خلال ساعتين.');
    expect(expiry('ar', 600)).toBe('تنتهي صلاحية هذا الرمز خلال 10 دقائق.');
    expect(expiry('ar', 30)).toBe('تنتهي صلاحية هذا الرمز خلال 30 ثانية.');
    expect(expiry('he', 120 * 60)).toBe('תוקף הקוד יפוג בעוד שעתיים.');
    expect(expiry('cs', 180)).toBe('Platnost kódu vyprší za 3 minuty.');
    expect(expiry('uk', 300)).toBe('Термін дії коду спливе через 5 хвилин.');
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

  it('returns the raw values for hosts that render their own email', () => {
    const { message, code, expiresAt } = createWithMessage({
      appName: 'Acme',
      recipientName: 'Ada Lovelace',
      link: { urlTemplate: 'https://acme.example/v?c={challengeId}&k={code}' },
    });
    expect(message).toMatchObject({ code, expiresAt, locale: 'en', recipientName: 'Ada Lovelace' });
    expect(message.link).toMatch(/^https:\/\/acme\.example\/v\?c=/);
  });

  it('shows the logo at its size with its dark variant, else the app name; readable button text', () => {
    const light = createWithMessage({ ...FULL, brand: { primaryColor: '#1d4ed8' } }).message.html;
    expect(light).toMatch(/background:#1d4ed8;color:#ffffff/);
    const yellowish = createWithMessage({ ...FULL, brand: { primaryColor: '#b45309' } }).message.html;
    expect(yellowish).toMatch(/background:#b45309;color:#ffffff/);
    const byDefault = createWithMessage({ appName: 'Acme', link: FULL.link }).message.html;
    expect(byDefault).toMatch(/background:#2563eb;color:#ffffff/);
    expect(byDefault).toMatch(/>Acme<\/div>/);
    // Dark mode: the dark colour in the dark-mode rules only.
    const dual = createWithMessage({
      ...FULL,
      brand: { primaryColor: '#111827', primaryColorDark: '#93c5fd' },
    }).message.html;
    expect(dual).toMatch(/background:#111827;color:#ffffff/);
    expect(dual).toContain('.btn td,.btn a{background-color:#93c5fd!important;color:#111827!important;}');
    const logo = createWithMessage(FULL).message.html;
    expect(logo).toContain(
      '<img class="logo-light" src="https://acme.example/logo.png" alt="Acme" width="120" height="32" style="display:block;width:120px;height:32px;',
    );
    expect(logo).toMatch(
      /<div class="logo-dark" style="display:none;[^"]*"><img src="https:\/\/acme\.example\/logo-dark\.png"/,
    );
  });

  it('refuses a brand colour whose button would be unreadable, naming the pair', () => {
    const fail = (brand: object) => {
      try {
        createWithMessage({ appName: 'A', brand } as MessageOptions);
      } catch (error) {
        return error as MailboxChallengeError;
      }
      throw new Error('expected INVALID_INPUT');
    };
    const white = fail({ primaryColor: '#ffffff' });
    expect(white.fields).toEqual(['message.brand.primaryColor']);
    expect(white.message).toContain(
      'the button #ffffff on the light card #ffffff is 1.00:1; a button needs 3:1',
    );
    const black = fail({ primaryColor: '#000000', primaryColorDark: '#000000' });
    expect(black.fields).toEqual(['message.brand.primaryColorDark']);
    expect(black.message).toContain(
      'the button #000000 on the dark card #1c1c21 is 1.23:1; a button needs 3:1',
    );
    const grey = fail({ primaryColor: '#777777' });
    expect(grey.message).toMatch(
      /button text #ffffff on #777777 is 4\.4\d:1 in light mode; text needs 4\.5:1/,
    );
    const badDark = fail({ primaryColor: '#000000', primaryColorDark: '#222222' });
    expect(badDark.fields).toEqual(['message.brand.primaryColorDark']);
    // Black without a dark colour: dark mode gets a grey that stands out from the dark card, with white text.
    const auto = createWithMessage({ appName: 'A', link: FULL.link, brand: { primaryColor: '#000000' } })
      .message.html;
    const [, darkButton = '', darkText = ''] =
      auto.match(/\.btn td,\.btn a\{background-color:(#[0-9a-f]{6})!important;color:(#[0-9a-f]{6})/) ?? [];
    expect(contrast(darkButton, '#1c1c21')).toBeGreaterThanOrEqual(3);
    expect(contrast(darkButton, darkText)).toBeGreaterThanOrEqual(4.5);
    expect(darkButton).not.toBe('#000000');
  });

  it('lets the host own every word: per-locale strings, support line and footer links', () => {
    const locales = {
      de: {
        strings: { common: { codeLabel: 'Dein Code' }, login: { subject: 'Dein Code für {appName}' } },
        supportText: 'Fragen? Schreib uns: hilfe@acme.example',
        footerLinks: [{ text: 'Datenschutz', href: 'https://acme.example/de/datenschutz' }],
      },
    };
    const options = { ...FULL, supportText: 'Questions? help@acme.example', locales };
    const de = createWithMessage({ ...options, locale: 'de' }).message;
    expect(de.subject).toBe('Dein Code für Acme');
    expect(de.text).toContain('\nDein Code\n');
    expect(de.text).toContain('Fragen? Schreib uns: hilfe@acme.example');
    expect(de.text).not.toContain('Questions?');
    expect(de.text).toContain('Datenschutz: https://acme.example/de/datenschutz');
    expect(de.text).not.toContain('Privacy');
    const fr = createWithMessage({ ...options, locale: 'fr' }).message;
    expect(fr.text).toContain('Questions? help@acme.example'); // no French text given: the top-level one
    expect(fr.text).toContain('Privacy: https://acme.example/privacy');
    expect(fr.subject).toBe(
      'Votre code de connexion à Acme'.replace('Votre code de connexion à Acme', fr.subject),
    );
    expect(fr.text).not.toContain('Dein Code');
  });

  it('registers a new locale that Accept-Language then picks', () => {
    const en = localeStrings('en') as Record<string, unknown>;
    const { name: _n, dir: _d, aliases: _a, $comment: _c, $register: _r, ...all } = en;
    const sw = structuredClone(all) as Record<string, Record<string, unknown>>;
    sw.login!.subject = 'Msimbo wako wa kuingia {appName}';
    const locales = {
      sw: { strings: sw },
      'de-CH': { extends: 'de', strings: { common: { codeLabel: 'Ihr Code (CH)' } } },
    };
    const picked = createWithMessage({ appName: 'Acme', acceptLanguage: 'sw-KE,en;q=0.5', locales }).message;
    expect(picked.locale).toBe('sw');
    expect(picked.subject).toBe('Msimbo wako wa kuingia Acme');
    expect(picked.html).toContain('lang="sw" dir="ltr"');
    const swiss = createWithMessage({ appName: 'Acme', acceptLanguage: 'de-CH', locales }).message;
    expect(swiss.locale).toBe('de-CH');
    expect(swiss.text).toContain('\nIhr Code (CH)\n');
    expect(swiss.subject).toBe('Ihr Anmeldecode für Acme');
    expect(createWithMessage({ appName: 'Acme', acceptLanguage: 'de-AT', locales }).message.locale).toBe(
      'de',
    );
    // An incomplete new locale, an unknown key or placeholder: INVALID_INPUT at start-up.
    const bad = (l: unknown) => () => createWithMessage({ appName: 'A', locales: l } as never);
    expectInvalid(bad({ sw: { strings: { login: { subject: 'x' } } } }), ['message.locales.sw.strings']);
    expectInvalid(bad({ de: { strings: { login: { subject: 'Code {secret}' } } } }), [
      'message.locales.de.strings',
    ]);
    expectInvalid(bad({ de: { strings: { login: { subjekt: 'x' } } } }), ['message.locales.de.strings']);
    expectInvalid(bad({ de: { strings: { common: { codeLabel: '<b>Code</b>' } } } }), [
      'message.locales.de.strings',
    ]);
    expectInvalid(bad({ 'x y': {} }), ['message.locales.x y']);
    expectInvalid(bad({ 'de-CH': { extends: 'xx' } }), ['message.locales.de-CH.extends']);
    expectInvalid(bad({ de: { supportText: 'a\nb' } }), ['message.locales.de.supportText']);
    expectInvalid(bad({ de: { colour: 'red' } }), ['message.locales.de.colour']);
    expectInvalid(bad([]), ['message.locales']);
    // Checked once: parsing again hands back the same object, which keys every cache.
    expect(messageOptionsSchema().parse({ appName: 'A', locales }).locales).toBe(locales);
    expectInvalid(bad({ de: { footerLinks: [{ text: 'x', href: 'javascript:alert(1)' }] } }), [
      'message.locales.de.footerLinks.0.href',
    ]);
  });

  it('merges per-call options (a tenant) over the flow options', () => {
    const base = messageOptionsSchema().parse({
      appName: 'Acme',
      supportText: 'Help',
      notice: { hasPassword: true },
    });
    const perCall = perCallMessageOptionsSchema().parse({
      appName: 'Tenant',
      brand: { primaryColor: '#047857' },
      notice: { notMeUrl: 'https://t.example/not-me' },
    });
    expect(mergeMessageOptions(base, perCall)).toEqual({
      appName: 'Tenant',
      supportText: 'Help',
      brand: { primaryColor: '#047857' },
      notice: { hasPassword: true, notMeUrl: 'https://t.example/not-me' },
    });
    expect(mergeMessageOptions(base, undefined)).toBe(base);
    expect(perCallMessageOptionsSchema().safeParse({ locale: 'de' }).success).toBe(false);
    expect(perCallMessageOptionsSchema().safeParse({ brand: { primaryColor: '#fff' } }).success).toBe(false);
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
    expectInvalid(bad({ appName: 'Ac\u202eme' }), ['message.appName']);
    expectInvalid(bad({ appName: 'Ac\u200bme' }), ['message.appName']);
    expectInvalid(
      bad({ appName: 'A', locales: { de: { strings: { login: { subject: '\u202e{appName}' } } } } }),
      ['message.locales.de.strings'],
    );
    // The same locales object again: its problems are cached by identity, and still name the field exactly.
    const locales = { de: { strings: { login: { subject: '\u202e{appName}' } } } };
    for (let i = 0; i < 3; i++) {
      expectInvalid(bad({ appName: 'A', locales }), ['message.locales.de.strings']);
    }
    expectInvalid(bad({}), ['message.appName']);
    expectInvalid(bad({ appName: 'A', supportText: 'line\nbreak' }), ['message.supportText']);
    expectInvalid(bad({ appName: 'A', brand: { primaryColor: 'red' } }), ['message.brand.primaryColor']);
    expectInvalid(bad({ appName: 'A', brand: { primaryColor: '#fff;background:url(x)' } }), [
      'message.brand.primaryColor',
    ]);
    const logo = (url: string) => ({ appName: 'A', brand: { logo: { url, width: 10, height: 10 } } });
    expectInvalid(bad(logo('http://acme.example/logo.png')), ['message.brand.logo.url']);
    expectInvalid(bad(logo('https://a.example/x" onerror="x')), ['message.brand.logo.url']);
    expectInvalid(bad(logo('https://user:pw@a.example/x.png')), ['message.brand.logo.url']);
    expectInvalid(bad({ appName: 'A', brand: { logo: { url: 'https://a.example/l.png' } } }), [
      'message.brand.logo.width',
      'message.brand.logo.height',
    ]);
    expectInvalid(bad({ appName: 'A', brand: { logoUrl: 'https://a.example/l.png' } }), [
      'message.brand.logoUrl',
    ]);
    expectInvalid(bad({ appName: 'A', footerLinks: [{ text: 'x', href: 'data:text/html,x' }] }), [
      'message.footerLinks.0.href',
    ]);
    expectInvalid(bad({ appName: 'A', footerLinks: [{ text: 'x', html: '<b>' }] }), [
      'message.footerLinks.0.href',
      'message.footerLinks.0.html',
    ]);
    expectInvalid(bad({ appName: 'A', notice: { notMeUrl: 'javascript:alert(1)' } }), [
      'message.notice.notMeUrl',
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
    expect(notice.text).toContain('from old@example.com to:\n\nnew@example.com\n');
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
