import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMailboxChallenge } from '../../src/create.js';
import { parseEmail } from '../../src/lib/_address.js';
import { verifyMailboxChallenge } from '../../src/verify.js';
import { clockAt, emailArb, KEY_A, PROPERTY_RUNS, T0, thrown } from './_helpers.js';

const config = { keys: [KEY_A], now: clockAt(T0) };
const create = (email: unknown) => createMailboxChallenge({ email, purpose: 'login' } as never, config);

// local 64 + '@' + 189 = 254, the longest acceptable address (RFC 5321 path limit minus angle brackets).
const LOCAL_64 = 'a'.repeat(64);
const domainOf = (length: number) => `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(length - 132)}.com`;
const ADDRESS_254 = `${LOCAL_64}@${domainOf(189)}`;
const ADDRESS_255 = `${LOCAL_64}@${domainOf(190)}`;

describe('parseEmail: accepted addresses', () => {
  it.each([
    ['ada@example.com', 'ada@example.com', 'ada@example.com', 'ada@example.com'],
    // Surrounding spaces and tabs are trimmed; case is kept in `address`, folded in `normalized`.
    [
      '  Ada.Lovelace@Example.COM\t',
      'Ada.Lovelace@Example.COM',
      'ada.lovelace@example.com',
      'ada.lovelace@example.com',
    ],
    // The +tag is kept in `normalized` (it binds the challenge) and dropped in `mailbox` (send limits).
    ['Ada+News@Example.com', 'Ada+News@Example.com', 'ada+news@example.com', 'ada@example.com'],
    ['a+b+c@example.com', 'a+b+c@example.com', 'a+b+c@example.com', 'a@example.com'],
    // A leading + is not a tag: dropping it would leave an empty local part.
    ['+tag@example.com', '+tag@example.com', '+tag@example.com', '+tag@example.com'],
    ["o'neil@example.ie", "o'neil@example.ie", "o'neil@example.ie", "o'neil@example.ie"],
    [
      'first_last-x@sub.example.co.uk',
      'first_last-x@sub.example.co.uk',
      'first_last-x@sub.example.co.uk',
      'first_last-x@sub.example.co.uk',
    ],
    // Internationalised domains in their xn-- (punycode) form.
    ['ada@xn--bcher-kva.de', 'ada@xn--bcher-kva.de', 'ada@xn--bcher-kva.de', 'ada@xn--bcher-kva.de'],
    ['ada@example.xn--p1ai', 'ada@example.xn--p1ai', 'ada@example.xn--p1ai', 'ada@example.xn--p1ai'],
    ['ada@XN--BCHER-KVA.de', 'ada@XN--BCHER-KVA.de', 'ada@xn--bcher-kva.de', 'ada@xn--bcher-kva.de'],
    ['1@2.io', '1@2.io', '1@2.io', '1@2.io'],
    ['a@0-0.co', 'a@0-0.co', 'a@0-0.co', 'a@0-0.co'],
  ])('%j', (input, address, normalized, mailbox) => {
    expect(parseEmail(input)).toEqual({ address, normalized, mailbox });
  });

  // DNS names and the IDNA ACE prefix are case-insensitive (RFC 4343, RFC 5891 §5.1); other labels
  // already accept XN--, only the TLD pattern insists on a lower-case "xn--".
  it('accepts an upper-case punycode TLD like a lower-case one', () => {
    expect(parseEmail('ada@example.XN--P1AI')).toEqual({
      address: 'ada@example.XN--P1AI',
      normalized: 'ada@example.xn--p1ai',
      mailbox: 'ada@example.xn--p1ai',
    });
  });

  it('accepts a 64-character local part and a 254-character address', () => {
    expect(ADDRESS_254).toHaveLength(254);
    expect(parseEmail(`${LOCAL_64}@example.com`)?.address).toBe(`${LOCAL_64}@example.com`);
    expect(parseEmail(ADDRESS_254)?.address).toBe(ADDRESS_254);
    expect(parseEmail(`  ${ADDRESS_254}  `)?.address).toBe(ADDRESS_254); // the limit applies after trimming
  });

  it('accepts every address of the valid-input arbitrary, trimmed', () => {
    fc.assert(
      fc.property(emailArb, ({ typed, address }) => {
        const parsed = parseEmail(typed);
        expect(parsed).toEqual({
          address,
          normalized: address.toLowerCase(),
          mailbox: expect.any(String),
        });
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('createMailboxChallenge keeps the address as typed, trimmed', () => {
    expect(create('  Ada+News@Example.com ').email).toBe('Ada+News@Example.com');
  });
});

// Each rejected form is the basis of a known parser-confusion or account-takeover trick.
const REJECTED: [string, unknown][] = [
  // Unicode look-alikes: anything non-ASCII.
  ['full-width @ (U+FF20)', 'ada\uFF20example.com'],
  ['full-width @ with a real @ too', 'ada\uFF20evil.com@example.com'],
  ['full-width letters', '\uFF21\uFF24\uFF21@example.com'],
  ['Cyrillic а in the local part', '\u0430da@example.com'],
  ['Cyrillic а in the domain', 'ada@ex\u0430mple.com'],
  ['Cyrillic о in the TLD', 'ada@example.c\u043Em'],
  ['Kelvin sign (U+212A) in the local part', '\u212Aelvin@example.com'],
  ['Kelvin sign in the domain', 'ada@\u212Aelvin.com'],
  ['ß in the local part', 'stra\u00DFe@example.com'],
  ['ß in the domain', 'ada@stra\u00DFe.de'],
  ['dotless ı', 'adm\u0131n@example.com'],
  ['combining mark', 'ada\u0301@example.com'],
  ['zero-width space inside the local part', 'ada\u200B@example.com'],
  ['zero-width space inside the domain', 'ada@exa\u200Bmple.com'],
  ['NBSP inside', 'ada\u00A0@example.com'],
  ['Unicode local part (SMTPUTF8 mailboxes are refused)', 'j\u00F6rg@example.com'],
  ['CJK local part', '\u7528\u6237@example.com'],
  ['Latin and Cyrillic in one Unicode label', 'ada@b\u00FCch\u0435r.de'],
  ['Latin and Greek in one label', 'ada@\u03B1lpha.com'],
  ['Latin and Hebrew in one label', 'ada@a\u05D0.com'],
  ['Latin and Han in one label', 'ada@abc\u4E2D\u6587.com'],
  [
    'full-width letters in the domain (fold to example.com)',
    'ada@\uFF45\uFF58\uFF41\uFF4D\uFF50\uFF4C\uFF45.com',
  ],
  ['full-width dot in the domain', 'ada@example\uFF0Ecom'],
  ['ideographic full stop in the domain', 'ada@example\u3002com'],
  ['ligature ﬁ in the domain', 'ada@\uFB01le.com'],
  ['Final sigma (IDNA deviation character)', 'ada@\u03C3\u03BF\u03C6\u03CC\u03C2.gr'],
  ['decomposed ü (not NFC)', 'ada@bu\u0308cher.de'],
  ['emoji domain', 'ada@\u2603.com'],
  ['zero-width joiner inside a Unicode label', 'ada@b\u00FC\u200Dcher.de'],
  ['right-to-left override in the domain', 'ada@\u202Eexample.com'],
  ['bidi mark inside the domain', 'ada@exa\u200Emple.com'],
  ['Unicode TLD mixing scripts', 'ada@example.c\u00F6m\u0430'],
  ['invalid punycode from a Unicode label that is too long', `ada@${'\u00FC'.repeat(64)}.de`],
  ['soft hyphen in the domain', 'ada@exam\u00ADple.com'],
  // Lists.
  ['comma-separated list', 'ada@example.com,eve@evil.com'],
  ['comma and space list', 'ada@example.com, eve@evil.com'],
  ['semicolon-separated list', 'ada@example.com;eve@evil.com'],
  ['space-separated list', 'ada@example.com eve@evil.com'],
  ['display name with angle brackets', 'Ada <ada@example.com>'],
  ['angle brackets', '<ada@example.com>'],
  // Quoted local parts and comments.
  ['quoted local part', '"ada"@example.com'],
  ['quoted local part hiding an @', '"ada@evil.com"@example.com'],
  ['quoted local part with a space', '"a b"@example.com'],
  ['comment in the local part', 'ada(comment)@example.com'],
  ['leading comment', '(x)ada@example.com'],
  ['comment after the domain', 'ada@example.com(evil.com)'],
  ['backslash escape', 'ada\\@evil.com@example.com'],
  // Encoded words (RFC 2047) that some mail stacks decode into other addresses.
  ['encoded-word q', '=?utf-8?q?ada=40evil.com?=@example.com'],
  ['encoded-word b', '=?utf-8?b?YWRhQGV2aWwuY29t?=@example.com'],
  ['encoded-word x', '=?x?q?ada?=@example.com'],
  // Source routes.
  ['percent route', 'ada%evil.com@example.com'],
  ['bang route', 'evil.com!ada@example.com'],
  ['at-domain route', '@evil.com:ada@example.com'],
  // IP literals and hosts without a real TLD.
  ['IPv4 literal', 'ada@[127.0.0.1]'],
  ['IPv6 literal', 'ada@[IPv6:::1]'],
  ['bare IPv4', 'ada@127.0.0.1'],
  ['single-label host', 'ada@localhost'],
  ['numeric TLD', 'ada@example.123'],
  ['one-letter TLD', 'ada@example.c'],
  // Control characters.
  ['CRLF header injection after the address', 'ada@example.com\r\nBcc: eve@evil.com'],
  ['CR LF inside', 'ada\r\n@example.com'],
  ['NUL inside', 'ada\0@example.com'],
  ['NUL after (C string truncation)', 'ada@example.com\0.evil.com'],
  ['tab inside the domain', 'ada@exam\tple.com'],
  ['DEL', 'ada\u007F@example.com'],
  // Length limits.
  ['local part of 65', `${'a'.repeat(65)}@example.com`],
  ['255 characters in all', ADDRESS_255],
  ['a 64-character label', `ada@${'x'.repeat(64)}.com`],
  // Dots.
  ['leading dot', '.ada@example.com'],
  ['trailing dot in the local part', 'ada.@example.com'],
  ['double dot in the local part', 'a..da@example.com'],
  ['leading dot in the domain', 'ada@.example.com'],
  ['trailing dot in the domain', 'ada@example.com.'],
  ['double dot in the domain', 'ada@example..com'],
  ['label starting with a hyphen', 'ada@-example.com'],
  ['label ending with a hyphen', 'ada@example-.com'],
  ['underscore in the domain', 'ada@ex_ample.com'],
  // Shapes.
  ['empty', ''],
  ['only spaces', '   '],
  ['no local part', '@example.com'],
  ['no domain', 'ada@'],
  ['no @', 'ada.example.com'],
  ['two @', 'ada@evil.com@example.com'],
  ['double @', 'ada@@example.com'],
  // Not strings.
  ['array with one address', ['ada@example.com']],
  ['array of addresses', ['ada@example.com', 'eve@evil.com']],
  ['String object', new String('ada@example.com')],
  ['object with toString', { toString: () => 'ada@example.com' }],
  ['number', 42],
  ['null', null],
  ['undefined', undefined],
  ['boolean', true],
  ['symbol', Symbol('ada@example.com')],
  ['bigint', 1n],
];

describe('parseEmail: rejected addresses', () => {
  it.each(REJECTED)('%s', (_name, input) => {
    expect(parseEmail(input)).toBeNull();
  });
});

describe('createMailboxChallenge rejects them with INVALID_INPUT on email', () => {
  it.each(REJECTED)('%s', (_name, input) => {
    const error = thrown(() => create(input));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.fields).toEqual(['email']);
  });

  it('a missing email is INVALID_INPUT on email', () => {
    const error = thrown(() => createMailboxChallenge({ purpose: 'login' } as never, config));
    expect(error.fields).toEqual(['email']);
  });
});

describe('parseEmail: bounded cost on hostile input', () => {
  // Client-controlled: the email of a signup form reaches parseEmail before any length check. The trim
  // regex /^[ \t]+|[ \t]+$/g is quadratic on a run of spaces followed by another character (measured
  // ~0.2 s at 20k characters, ~0.7 s at 40k, ~4 s at 100k), so a 100 kB form body burns seconds of CPU.
  const hostile = `a${' '.repeat(50_000)}a`;

  it('rejects a 50,000-character run of spaces inside an address in linear time', () => {
    const start = performance.now();
    expect(parseEmail(hostile)).toBeNull();
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('createMailboxChallenge rejects it quickly with INVALID_INPUT on email', () => {
    const start = performance.now();
    expect(thrown(() => create(`x@${hostile}.com`)).fields).toEqual(['email']);
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('a 1 MB address without spaces is rejected quickly', () => {
    const start = performance.now();
    expect(parseEmail(`${'a'.repeat(1_000_000)}@example.com`)).toBeNull();
    expect(performance.now() - start).toBeLessThan(100);
  });
});

// Issue 10: addresses as copied from web pages, spreadsheets and phones.
describe('parseEmail: every Unicode space and zero-width character is trimmed at both ends', () => {
  const BLANKS = [
    ' ',
    '\t',
    '\n',
    '\r\n',
    '\v',
    '\f',
    '\u0085', // next line
    '\u00A0', // no-break space
    '\u1680',
    '\u180E',
    '\u2000',
    '\u2003',
    '\u2009', // thin space
    '\u200A',
    '\u200B', // zero-width space
    '\u200C',
    '\u200D',
    '\u2028',
    '\u2029',
    '\u202F', // narrow no-break space
    '\u205F',
    '\u2060', // word joiner
    '\u3000', // ideographic space
    '\uFEFF', // BOM
  ];

  it.each(BLANKS.map((b) => [b]))('%j before and after', (blank) => {
    expect(parseEmail(`${blank}Ada@Example.com${blank}`)).toEqual({
      address: 'Ada@Example.com',
      normalized: 'ada@example.com',
      mailbox: 'ada@example.com',
    });
  });

  it('a mix of them, as a spreadsheet cell copies', () => {
    expect(parseEmail('\u00A0\u200B ada@example.com\u200B\u00A0\r\n')?.address).toBe('ada@example.com');
  });

  it('createMailboxChallenge answers with the trimmed address', () => {
    expect(create('\u00A0ada@example.com\u200B\n').email).toBe('ada@example.com');
  });
});

describe('parseEmail: Unicode domains become their IDNA (UTS-46) ASCII form', () => {
  it.each([
    ['ada@bücher.example.com', 'ada@xn--bcher-kva.example.com'],
    ['ada@b\u00FCcher.de', 'ada@xn--bcher-kva.de'],
    // Upper case is folded as UTS-46 maps it; the local part keeps its case.
    ['Ada@BÜCHER.de', 'Ada@xn--bcher-kva.de'],
    // ASCII labels beside a Unicode one keep their case, as in an all-ASCII domain.
    ['ada@bücher.Example.COM', 'ada@xn--bcher-kva.Example.COM'],
    ['ada@пример.рф', 'ada@xn--e1afmkfd.xn--p1ai'],
    ['ada@例え.テスト', 'ada@xn--r8jz45g.xn--zckzah'],
    ['ada@中文.com', 'ada@xn--fiq228c.com'],
    ['ada@한국.com', 'ada@xn--3e0b707e.com'],
    ['ada@مثال.إختبار', 'ada@xn--mgbh0fb.xn--kgbechtv'],
    ['ada@παράδειγμα.gr', 'ada@xn--hxajbheg2az3al.gr'],
    ['ada@उदाहरण.भारत', 'ada@xn--p1b6ci4b4b3a.xn--h2brj9c'],
    ['  ada@bücher.de\u00A0', 'ada@xn--bcher-kva.de'],
  ])('%j → %j', (input, address) => {
    const parsed = parseEmail(input);
    expect(parsed?.address).toBe(address);
    expect(parsed?.normalized).toBe(address.toLowerCase());
  });

  it('the Unicode and the xn-- forms are one address and one mailbox', () => {
    expect(parseEmail('ada@bücher.de')).toEqual(parseEmail('ada@xn--bcher-kva.de'));
  });

  it('createMailboxChallenge seals and answers the ASCII form, and verify matches either form', () => {
    const c = create('ada@bücher.de');
    expect(c.email).toBe('ada@xn--bcher-kva.de');
    for (const email of ['ada@bücher.de', 'ADA@BÜCHER.DE', 'ada@xn--bcher-kva.de']) {
      const r = verifyMailboxChallenge(
        { challengeId: c.challengeId, secret: c.secret, code: c.code, email },
        config,
      );
      expect(r).toMatchObject({ ok: true, challenge: { email: 'ada@xn--bcher-kva.de' } });
    }
  });

  it('the 254-character limit applies to the ASCII form', () => {
    // DNS's 63-octet label limit holds for the xn-- form: 'ü' × 57 encodes to 63 characters, × 58 to 64.
    expect(parseEmail(`ada@${'ü'.repeat(57)}.de`)?.address).toBe(`ada@xn--tda${'a'.repeat(56)}.de`);
    expect(parseEmail(`ada@${'ü'.repeat(58)}.de`)).toBeNull();
    const label = 'ü'.repeat(10); // xn--tdaaaaaaaaaa: 16 characters
    expect(parseEmail(`ada@${label}.de`)?.address).toBe('ada@xn--tdaaaaaaaaaa.de');
    const domain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(54)}`; // 182 characters
    // local + '@' + 16 + '.' + 182 + '.de': typed it is 10 characters shorter than what is mailed.
    expect(parseEmail(`${'a'.repeat(51)}@${label}.${domain}.de`)?.address).toHaveLength(254);
    expect(parseEmail(`${'a'.repeat(52)}@${label}.${domain}.de`)).toBeNull();
  });
});

describe('parseEmail: the mailbox, which the flow counts failures and sends against', () => {
  it.each([
    ['ada@example.com', 'ada@example.com'],
    ['Ada.Lovelace+news@Example.COM', 'ada.lovelace@example.com'], // dots matter outside Gmail
    ['a.d.a@gmail.com', 'ada@gmail.com'],
    ['A.D.A+tag@Gmail.com', 'ada@gmail.com'],
    ['ada@googlemail.com', 'ada@gmail.com'],
    ['a.da+x+y@GoogleMail.com', 'ada@gmail.com'],
    ['+tag@gmail.com', '+tag@gmail.com'], // a leading + is not a tag
    ['ada@mail.gmail.com', 'ada@mail.gmail.com'], // only the two Gmail domains fold
    ['a.da@bücher.de', 'a.da@xn--bcher-kva.de'],
  ])('%j → %j', (input, mailbox) => {
    expect(parseEmail(input)?.mailbox).toBe(mailbox);
  });

  it('the address keeps the dots and the tag: mail goes where it was typed', () => {
    expect(parseEmail('A.D.A+tag@GoogleMail.com')).toEqual({
      address: 'A.D.A+tag@GoogleMail.com',
      normalized: 'a.d.a+tag@googlemail.com',
      mailbox: 'ada@gmail.com',
    });
  });
});

describe('the flow counts sends per mailbox (parseEmail().mailbox)', () => {
  it('Gmail dots, +tags, case and googlemail.com share one send limit (3 a minute here)', async () => {
    const { createMailboxFlow } = await import('../../src/flow/create-flow.js');
    const sent: string[] = [];
    const flow = createMailboxFlow({
      keys: [KEY_A],
      appName: 'Acme',
      sender: { send: async (m) => void sent.push(m.to) },
      now: clockAt(T0),
      policy: { sendLimits: [{ max: 3, windowSeconds: 60 }] },
    });
    const variants = ['ada@gmail.com', 'A.da+x@gmail.com', 'a.d.a@GoogleMail.com', 'ada+y@googlemail.com'];
    const results = [];
    for (const email of variants) results.push(await flow.start({ email, purpose: 'login' }));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(!results[3]!.ok && results[3]!.error.code).toBe('RATE_LIMITED');
    // Mail still goes to each address as typed.
    expect(sent).toEqual(['ada@gmail.com', 'A.da+x@gmail.com', 'a.d.a@GoogleMail.com']);
    // Another mailbox is not affected.
    expect((await flow.start({ email: 'ada@example.com', purpose: 'login' })).ok).toBe(true);
  });
});
