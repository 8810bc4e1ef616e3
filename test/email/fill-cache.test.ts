// fill() binds a configuration's values into a layout once and reuses it (the last configuration compared
// value by value, then a bounded cache by key; a subject without the code filled in as well). Whatever the
// sequence of configurations, each message is byte for byte the one a plain fill of every value gives.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtInStrings } from '../../src/email/_catalog.js';
import { escapeHtml } from '../../src/email/_escape.js';
import { fillSlots, type ValueSlot, type Values } from '../../src/email/_fill.js';
import { PURPOSE_KINDS } from '../../src/email/_kinds.js';
import {
  durationText,
  fill,
  HOST_SLOTS,
  hostHtml,
  hostText,
  messageValues,
  preparedCode,
  preparedNotice,
} from '../../src/email/_prepare.js';
import { makeCompiledTemplate } from '../../src/email/compiled-template.js';
import { LOCALES } from './_helpers.js';

const PER_CALL = new Set(['subject', 'code', 'email', 'newEmail', 'recipientName', 'linkUrl']);

/** The plain fill: every value escaped (HTML) or not (text), nothing bound or cached. */
function reference(
  layout: ReturnType<typeof preparedCode>,
  raw: Values,
  codeInSubject: boolean,
): { subject: string; html: string; text: string } {
  const subject = fillSlots(codeInSubject ? layout.subjectWithCode : layout.subject, raw);
  const html: Values = { subject: escapeHtml(subject) };
  const text: Values = { subject };
  for (const [name, value] of Object.entries(raw) as [ValueSlot, string | undefined][]) {
    if (value === undefined || name === 'subject') continue;
    html[name] = PER_CALL.has(name) ? escapeHtml(value) : hostHtml(name, value);
    text[name] = PER_CALL.has(name) ? value : hostText(name, value);
  }
  return { subject, html: fillSlots(layout.html, html), text: fillSlots(layout.text, text) };
}

const hostile = fc
  .array(
    fc.oneof(
      fc.constantFrom('<', '>', '"', "'", '`', '&', ' ', '<b>x</b>', '{{code}}', '{appName}', 'é', 'Acme'),
      fc.string({ maxLength: 5 }),
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((parts) => parts.join(''));
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const host = fc.record({
  appName: hostile,
  logo: maybe(
    fc.record({
      url: fc.constantFrom('https://acme.example/l.png?a=1&b=2', "https://acme.example/it's.png"),
      darkUrl: maybe(fc.constant('https://acme.example/d.png')),
      width: fc.integer({ min: 1, max: 600 }),
      height: fc.integer({ min: 1, max: 200 }),
    }),
  ),
  brandColor: maybe(fc.constantFrom('#2563eb', '#0f766e', '#000')),
  supportText: maybe(hostile),
  footerLinks: maybe(fc.array(fc.record({ text: hostile, href: fc.constant('https://a.example/?x=1&y=2') }))),
  notMeUrl: maybe(fc.constant('https://acme.example/notme?a=1&b=2')),
  supportUrl: maybe(fc.constant('mailto:help@acme.example')),
  hasPassword: maybe(fc.boolean()),
});
const template = makeCompiledTemplate(
  '<p title="{{subject}}">{{code}} {{appName}} {{#linkUrl}}<a href="{{linkUrl}}">x</a>{{/linkUrl}}</p>',
  '{{code}} {{subject}} {{recipientName}}',
  '{{code}} for {{appName}}',
);
const config = fc.record({
  host,
  locale: fc.constantFrom(...LOCALES),
  kind: fc.constantFrom(...PURPOSE_KINDS, 'notice'),
  template: maybe(fc.constant(template)),
  ttlSeconds: fc.constantFrom(30, 600, 7200),
  codeInSubject: fc.boolean(),
});
const call = fc.record({
  code: fc.stringMatching(/^[0-9A-Z]{6,10}$/),
  email: fc.constantFrom('ada@example.com', "o'brien@example.com"),
  newEmail: fc.constantFrom('new@example.com', "it's@example.com"),
  linkUrl: maybe(fc.constantFrom('https://acme.example/v?c=1&k=2', "https://acme.example/v?e=o'b")),
  recipientName: maybe(hostile),
});

describe('fill with bound layouts', () => {
  it('gives every message byte for byte as a plain fill, whatever the sequence of configurations', () => {
    fc.assert(
      fc.property(
        fc.array(config, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(), call), { minLength: 1, maxLength: 12 }),
        (configs, calls) => {
          for (const [pick, c] of calls) {
            const { host, locale, kind, template, ttlSeconds, codeInSubject } =
              configs[pick % configs.length]!;
            const strings = builtInStrings(locale)!;
            const notice = kind === 'notice';
            const layout = notice ? preparedNotice(strings) : preparedCode(strings, kind, template);
            const raw = messageValues(locale, strings.dir, host, {
              code: notice ? undefined : c.code,
              email: c.email,
              newEmail: notice ? c.newEmail : undefined,
              duration: notice ? undefined : durationText(locale, strings.units, ttlSeconds),
              linkUrl: notice ? undefined : c.linkUrl,
              recipientName: c.recipientName,
            });
            const cis = codeInSubject && !notice;
            expect(fill(layout, raw, cis)).toStrictEqual(reference(layout, raw, cis));
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('follows a change of any one host value (the last configuration is compared value by value)', () => {
    const strings = builtInStrings('en')!;
    const layout = preparedCode(strings, 'login');
    const noticeLayout = preparedNotice(strings);
    const base = messageValues(
      'en',
      'ltr',
      { appName: 'Acme', supportText: 'Help' },
      {
        code: '123456',
        email: 'ada@example.com',
        duration: '10 minutes',
        linkUrl: 'https://acme.example/v',
      },
    );
    for (const name of HOST_SLOTS) {
      for (const [prepared, changed] of [
        [layout, { ...base, [name]: `${base[name] ?? ''}x` }],
        [noticeLayout, { ...base, notMeUrl: 'https://acme.example/n', [name]: `${base[name] ?? ''}y` }],
      ] as const) {
        fill(prepared, base, false);
        expect(fill(prepared, changed, false), name).toStrictEqual(reference(prepared, changed, false));
      }
    }
  });
});
