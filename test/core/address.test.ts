import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMailboxChallenge } from '../../src/create.js';
import { parseEmail } from '../../src/lib/_address.js';
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
  ['Unicode domain (not punycode)', 'ada@b\u00FCcher.de'],
  ['dotless ı', 'adm\u0131n@example.com'],
  ['combining mark', 'ada\u0301@example.com'],
  ['zero-width space', 'ada\u200B@example.com'],
  ['NBSP around it (only spaces and tabs are trimmed)', '\u00A0ada@example.com'],
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
  ['LF before', '\nada@example.com'],
  ['trailing LF', 'ada@example.com\n'],
  ['NUL inside', 'ada\0@example.com'],
  ['NUL after (C string truncation)', 'ada@example.com\0.evil.com'],
  ['tab inside the domain', 'ada@exam\tple.com'],
  ['DEL', 'ada\u007F@example.com'],
  ['line separator U+2028', 'ada@example.com\u2028'],
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
