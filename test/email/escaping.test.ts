// Property tests: whatever a host or a requester puts into appName, email, metadata or supportText, the HTML
// keeps exactly the structure of the layout (no tag, attribute or URL injected) and the subject stays one line.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMailboxChallenge, MailboxChallengeError, renderEmailChangeNotice } from '../../src/index.js';
import { mailboxArbitraries } from '../../src/testing/index.js';
import { escapeHtml, keys, NOW, PURPOSES, skeleton, tagCount } from './_helpers.js';

const arb = mailboxArbitraries(fc);

// Fragments that matter to an HTML, URL or header parser, mixed with ordinary and non-Latin text.
const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '<',
        '>',
        '"',
        "'",
        '`',
        '&',
        '=',
        '/',
        ' ',
        '<script>alert(1)</script>',
        '<img src=x onerror=alert(1)>',
        '" onmouseover="alert(1)',
        "' autofocus onfocus='x",
        'javascript:alert(1)',
        'https://evil.example/',
        '{{code}}',
        '{{#linkUrl}}',
        '{{/linkUrl}}',
        '{appName}',
        '{email}',
        '&amp;',
        '&#60;',
        '<!--',
        '-->',
        ']]>',
        '\u202e',
        'é',
        '日本',
        'Acme',
      ),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

const ACCEPTABLE_TEXT = /^[^\p{Cc}\u2028\u2029]*$/u;
// appName reaches the subject header: bidi controls and zero-width characters are refused there too.
const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const isAcceptableName = (s: string) =>
  s.length >= 1 && s.length <= 64 && s.trim() !== '' && ACCEPTABLE_TEXT.test(s) && !INVISIBLE.test(s);

const render = (
  appName: string,
  email: string,
  metadata: Record<string, unknown> | null,
  supportText?: string,
) =>
  createMailboxChallenge(
    {
      email,
      purpose: 'login',
      metadata: metadata as never,
      message: {
        appName,
        link: { urlTemplate: 'https://acme.example/v?c={challengeId}&k={code}&e={email}' },
        brand: { logo: { url: 'https://acme.example/logo.png', width: 120, height: 32 } },
        ...(supportText !== undefined && { supportText }),
      },
    },
    { keys, now: () => NOW },
  );

const baseline = render('Acme', 'ada@example.com', null, 'Help');
const BASE_SKELETON = skeleton(baseline.message!.html);
const BASE_TAGS = tagCount(baseline.message!.html);
const BASE_QUOTES = baseline.message!.html.split('"').length;
const urls = (html: string) => [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((m) => m[1]);

describe('escaping (property tests)', () => {
  it('the layout skeleton parses every tag (the check below cannot pass by missing tags)', () => {
    expect(BASE_SKELETON.length).toBe(BASE_TAGS - 1); // the one not counted is <!doctype html>
    expect(BASE_SKELETON).toContain('img(src,alt,width,height,style)');
  });

  it('no appName, email, metadata or supportText changes the HTML structure or its URLs', () => {
    fc.assert(
      fc.property(
        hostile.filter(isAcceptableName),
        arb.email,
        fc.dictionary(hostile, hostile, { maxKeys: 3 }),
        hostile.filter((s) => s.length <= 500 && s.trim() !== '' && ACCEPTABLE_TEXT.test(s)),
        (appName, email, metadata, supportText) => {
          const { message, challengeId, code } = render(appName, email, metadata, supportText);
          const html = message!.html;
          expect(skeleton(html)).toEqual(BASE_SKELETON);
          expect(tagCount(html)).toBe(BASE_TAGS);
          // Every " in the document delimits an attribute of the layout: none was added by a value.
          expect(html.split('"').length).toBe(BASE_QUOTES);
          expect(urls(html)).toEqual([
            'https://acme.example/logo.png',
            escapeHtml(`https://acme.example/v?c=${challengeId}&k=${code}&e=${encodeURIComponent(email)}`),
          ]);
          // The values are there, as text.
          expect(message!.text).toContain(appName);
          expect(message!.text).toContain(supportText);
          expect(message!.subject).not.toMatch(/[\r\n]/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('arbitrary strings as appName: either INVALID_INPUT, or a one-line subject and escaped HTML', () => {
    const create = (appName: string, purpose: string) =>
      createMailboxChallenge(
        { email: 'ada@example.com', purpose, message: { appName, codeInSubject: true } },
        { keys, now: () => NOW },
      );
    const plain = skeleton(create('Acme', 'login').message!.html);
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 70 }), hostile),
        fc.constantFrom(...PURPOSES),
        (appName, purpose) => {
          let created: ReturnType<typeof createMailboxChallenge>;
          try {
            created = create(appName, purpose);
          } catch (error) {
            expect(error).toBeInstanceOf(MailboxChallengeError);
            expect((error as MailboxChallengeError).fields).toEqual(['message.appName']);
            expect(isAcceptableName(appName)).toBe(false);
            return;
          }
          expect(isAcceptableName(appName)).toBe(true);
          expect(created.message!.subject).not.toMatch(/[\r\n]/);
          expect(created.message!.subject).toContain(appName);
          expect(skeleton(created.message!.html)).toEqual(plain);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('CR or LF anywhere in appName is INVALID_INPUT', () => {
    fc.assert(
      fc.property(hostile, fc.constantFrom('\r', '\n', '\r\n'), hostile, (a, eol, b) => {
        expect(() => render(`${a}${eol}${b}`, 'ada@example.com', null)).toThrow(
          expect.objectContaining({ code: 'INVALID_INPUT', fields: ['message.appName'] }),
        );
      }),
    );
  });

  it('hostile strings as an email address are INVALID_INPUT, never rendered', () => {
    fc.assert(
      fc.property(
        hostile.filter((s) => /[<>"`&]/.test(s)),
        (junk) => {
          expect(() => render('Acme', `${junk}@example.com`, null)).toThrow(
            expect.objectContaining({ code: 'INVALID_INPUT', fields: ['email'] }),
          );
        },
      ),
    );
  });

  it('any string as an email address: INVALID_INPUT, or rendered without changing the structure', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          hostile.map((h) => `${h}@example.com`),
          arb.email,
        ),
        (email) => {
          let created: ReturnType<typeof render>;
          try {
            created = render('Acme', email, null, 'Help');
          } catch (error) {
            expect((error as MailboxChallengeError).fields).toEqual(['email']);
            return;
          }
          expect(skeleton(created.message!.html)).toEqual(BASE_SKELETON);
          expect(tagCount(created.message!.html)).toBe(BASE_TAGS);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the notice escapes appName and supportText the same way', () => {
    const base = renderEmailChangeNotice({
      appName: 'Acme',
      email: 'a@b.co',
      newEmail: 'c@d.co',
      supportText: 'x',
    });
    fc.assert(
      fc.property(hostile.filter(isAcceptableName), arb.email, arb.email, (appName, email, newEmail) => {
        const notice = renderEmailChangeNotice({ appName, email, newEmail, supportText: appName });
        expect(skeleton(notice.html)).toEqual(skeleton(base.html));
        expect(tagCount(notice.html)).toBe(tagCount(base.html));
        expect(notice.subject).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 200 },
    );
  });
});
