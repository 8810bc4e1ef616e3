// The fast path in front of messageOptionsSchema accepts exactly what the schema accepts and returns what it
// returns, for generated options mixing valid values, values at each limit and values of every other kind.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quickMessageOptions } from '../../src/email/_quick-options.js';
import { makeCompiledTemplate } from '../../src/email/compiled-template.js';
import { messageOptionsSchema } from '../../src/email/render.js';

const schema = messageOptionsSchema();

/** A field's value: mostly from `good`, sometimes anything at all, sometimes absent or undefined. */
const field = (good: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: fc.anything() });

/** Text around a limit, with the characters each rule is about. */
const text = (max: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('Acme', 'Ünïcødé Ltd', 'a', '  Acme  ', 'A & B <c>') },
    fc.constantFrom('x'.repeat(max), 'x'.repeat(max + 1)),
    fc.constantFrom('', ' '),
    fc.string({ maxLength: max + 2 }),
    fc
      .array(
        fc.constantFrom(
          'Acme',
          ' ',
          '\n',
          '\r',
          '\t',
          '\u0000',
          '\u007f',
          '\u0085',
          '\u2028',
          '\u2029',
          '\u200b',
          '\u200e',
          '\u202e',
          '\u2066',
          '\u00ad',
          '\ufeff',
          '<b>',
          '&',
          '\ud800',
        ),
        { maxLength: 6 },
      )
      .map((parts) => parts.join('')),
  );

const urls = fc.constantFrom(
  'https://acme.example/',
  'https://acme.example/privacy?x=1#y',
  'https://acme.example/',
  'https://acme.example/privacy?x=1#y',
  'https://acme.example/',
  'https://acme.example/privacy?x=1#y',
  'http://acme.example/',
  'mailto:help@acme.example',
  'mailto:nobody',
  'https://user:pw@acme.example/',
  'https://acme.example/a b',
  'javascript:alert(1)',
  'ftp://acme.example/',
  '//acme.example/',
  `https://acme.example/${'a'.repeat(2048 - 21)}`,
  `https://acme.example/${'a'.repeat(2049 - 21)}`,
  'https://',
);
const templates = fc.constantFrom(
  'https://acme.example/verify?c={challengeId}&k={code}',
  'https://acme.example/v/{code}?e={email}&p={purpose}',
  'https://acme.example/verify?c={challengeId}&k={code}',
  'https://acme.example/v/{code}?e={email}&p={purpose}',
  'http://localhost:3000/v?c={challengeId}',
  `https://acme.example/${'a'.repeat(2048 - 27)}{code}`,
  `https://acme.example/${'a'.repeat(2049 - 27)}{code}`,
  'https://acme.example/nothing',
  'https://{code}.acme.example/',
  'https://acme.example/{other}',
  'acme.example/{code}',
  'https://acme.example/{code} x',
);
const colors = fc.constantFrom(
  '#2563eb',
  '#0f766e',
  '#fff',
  '#ffffff',
  '#000',
  '#777',
  '#facc15',
  '#12345',
  'red',
  '#GGGGGG',
);
const int = (min: number, max: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: min - 2, max: max + 2 }) },
    { weight: 2, arbitrary: fc.constantFrom(min - 1, min, max, max + 1) },
    fc.constantFrom(1.5, Number.NaN, Infinity, -0, '10'),
  );

/**
 * An object with its required fields and a few of its optional ones, sometimes with an unknown key or a field
 * explicitly undefined.
 */
function object(fields: Record<string, fc.Arbitrary<unknown>>, required: string[] = []) {
  const optional = Object.keys(fields).filter((k) => !required.includes(k));
  const shape = fc
    .shuffledSubarray(optional, { maxLength: Math.min(3, optional.length) })
    .chain((keys) =>
      fc.record(Object.fromEntries([...required, ...keys].map((k) => [k, field(fields[k]!)]))),
    );
  return fc.oneof(
    { weight: 10, arbitrary: shape },
    {
      weight: 1,
      arbitrary: fc
        .tuple(shape, fc.constantFrom(...Object.keys(fields), 'unknown', 'toString'))
        .map(([o, k]) => ({ ...o, [k]: undefined })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(shape, fc.constantFrom('extra', 'appname', '__proto__x')).map(([o, k]) => ({
        ...o,
        [k]: 1,
      })),
    },
  );
}

const template = makeCompiledTemplate('<p>{{code}} {{email}}</p>', '{{code}}', 'Code for {{appName}}');
const checkedLocales = { 'de-CH': { extends: 'de', supportText: 'Hilfe' } };
const badLocales = { 'not a tag!': {} };

const fields: Record<string, fc.Arbitrary<unknown>> = {
  appName: text(64),
  locale: fc.oneof(fc.constantFrom('de', 'pt-BR', 'x'.repeat(256), 'x'.repeat(257)), fc.string()),
  acceptLanguage: fc.oneof(fc.constantFrom('de-CH,de;q=0.9,en;q=0.8', ''), fc.string()),
  brand: object({
    logo: object({ url: urls, darkUrl: urls, width: int(1, 600), height: int(1, 200) }, [
      'url',
      'width',
      'height',
    ]),
    primaryColor: colors,
    primaryColorDark: colors,
  }),
  supportText: text(500),
  footerLinks: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.array(object({ text: text(100), href: urls }, ['text', 'href']), { maxLength: 3 }),
    },
    fc.array(fc.constant({ text: 'Privacy', href: 'https://acme.example/privacy' }), {
      minLength: 4,
      maxLength: 6,
    }),
    fc.constant([undefined]),
  ),
  locales: fc.constantFrom(checkedLocales, checkedLocales, badLocales, [], 'de'),
  link: object({ urlTemplate: templates }, ['urlTemplate']),
  codeInSubject: fc.boolean(),
  template: fc.constantFrom(template, template, { ...template, format: 'other' }, {}),
  notice: object({ hasPassword: fc.boolean(), notMeUrl: urls, supportUrl: urls }),
  recipientName: text(128),
};
const options = object(fields, ['appName']);

describe('quickMessageOptions', () => {
  it('accepts exactly what messageOptionsSchema accepts, and returns what it returns', () => {
    let accepted = 0;
    fc.assert(
      fc.property(options, (input) => {
        const zod = schema.safeParse(input);
        const quick = quickMessageOptions(input);
        if (zod.success) {
          accepted++;
          expect(quick).toStrictEqual(zod.data);
        } else {
          expect(quick).toBeUndefined();
        }
      }),
      { numRuns: 5000 },
    );
    // The generator reaches valid options often enough for the comparison to mean something.
    expect(accepted).toBeGreaterThan(100);
  });

  it.each(Object.keys(fields).filter((k) => k !== 'appName'))(
    'agrees with it on every value of %s',
    (key) => {
      fc.assert(
        fc.property(field(fields[key]!), (value) => {
          const input = { appName: 'Acme', [key]: value };
          const zod = schema.safeParse(input);
          expect(quickMessageOptions(input)).toStrictEqual(zod.success ? zod.data : undefined);
        }),
        { numRuns: 1000 },
      );
    },
  );

  it('returns a copy: a getter is read once, and the values it returned are the ones used', () => {
    let reads = 0;
    const input = {
      get appName() {
        reads++;
        return reads === 1 ? 'Acme' : 'Acme\r\nBcc: x@evil.example';
      },
    };
    const quick = quickMessageOptions(input);
    expect(reads).toBe(1);
    expect(quick).toStrictEqual({ appName: 'Acme' });
    expect(quick).not.toBe(input);
  });

  it('keeps locales and template by identity, as the schema does', () => {
    schema.safeParse({ appName: 'Acme', locales: checkedLocales });
    const quick = quickMessageOptions({ appName: 'Acme', locales: checkedLocales, template });
    expect(quick?.locales).toBe(checkedLocales);
    expect(quick?.template).toBe(template);
  });

  it('leaves to the schema a locales object it has not checked yet', () => {
    const fresh = { 'fr-CA': { extends: 'fr' } };
    expect(quickMessageOptions({ appName: 'Acme', locales: fresh })).toBeUndefined();
    expect(schema.safeParse({ appName: 'Acme', locales: fresh }).success).toBe(true);
    expect(quickMessageOptions({ appName: 'Acme', locales: fresh })?.locales).toBe(fresh);
  });

  it('refuses what zod refuses in objects that are not plain', () => {
    const inherited = Object.create({ extra: 1 }) as Record<string, unknown>;
    inherited.appName = 'Acme';
    expect(schema.safeParse(inherited).success).toBe(false);
    expect(quickMessageOptions(inherited)).toBeUndefined();

    const fromPrototype = Object.create({ appName: 'Acme' }) as object;
    expect(quickMessageOptions(fromPrototype)).toStrictEqual(schema.safeParse(fromPrototype).data);

    const hidden = Object.defineProperty({}, 'appName', { value: 'Acme', enumerable: false });
    expect(quickMessageOptions(hidden)).toStrictEqual(schema.safeParse(hidden).data);

    const hostile = new Proxy(
      { appName: 'Acme' },
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    expect(quickMessageOptions(hostile)).toBeUndefined();
  });
});
