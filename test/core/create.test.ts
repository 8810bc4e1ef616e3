import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMailboxChallenge } from '../../src/create.js';
import { MailboxChallengeError } from '../../src/errors.js';
import { clockAt, drawWithCodePool, KEY_A, nextRandom, T0, thrown } from './_helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const KEYS = [KEY_A];
const config = { keys: KEYS, now: clockAt(T0) };
const base = { email: 'ada@example.com', purpose: 'login' };
const create = (input: object) => createMailboxChallenge({ ...base, ...input } as never, config);

/** Asserts INVALID_INPUT with exactly these fields (in any order). */
function expectInvalid(input: unknown, fields: string[]) {
  const error = thrown(() => createMailboxChallenge(input as never, config));
  expect(error.code).toBe('INVALID_INPUT');
  expect([...(error.fields ?? [])].sort()).toEqual([...fields].sort());
  return error;
}

describe('createMailboxChallenge', () => {
  it('returns the challenge, its secret and its code (fixed clock and randomness)', () => {
    const draw = drawWithCodePool([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 3);
    nextRandom(draw);
    const c = createMailboxChallenge({ email: ' Ada@Example.com ', purpose: 'login' }, config);
    // The challengeId is the first 16 drawn bytes, base64url; the code comes from the bytes after the nonce.
    expect(Buffer.from(draw.subarray(0, 16)).toString('base64url')).toBe('XWRrcnmAh46VnKOqsbi_xg');
    expect(c).toEqual({
      challengeId: 'XWRrcnmAh46VnKOqsbi_xg',
      purpose: 'login',
      email: 'Ada@Example.com',
      userId: null,
      metadata: null,
      secret: expect.stringMatching(/^v2\.a\.[A-Za-z0-9_-]+$/),
      code: '123456',
      createdAt: T0,
      expiresAt: T0 + 600_000,
    });
    expect(c).not.toHaveProperty('message');
  });

  it('defaults: 10 minutes, 6 digits', () => {
    const c = create({});
    expect(c.expiresAt - c.createdAt).toBe(600_000);
    expect(c.code).toMatch(/^[0-9]{6}$/);
  });

  it('uses the options given', () => {
    const c = create({
      ttlSeconds: 30,
      codeLength: 10,
      codeAlphabet: 'base32',
      userId: 'u_1',
      metadata: { a: [1] },
    });
    expect(c.expiresAt).toBe(T0 + 30_000);
    expect(c.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{10}$/);
    expect(c.userId).toBe('u_1');
    expect(c.metadata).toEqual({ a: [1] });
  });

  it('uses Date.now without a clock', () => {
    const before = Date.now();
    const c = createMailboxChallenge(base, { keys: KEYS });
    expect(c.createdAt).toBeGreaterThanOrEqual(before);
    expect(c.createdAt).toBeLessThanOrEqual(Date.now());
  });

  it.each([
    ['userId: null', { userId: null }],
    ['metadata: null', { metadata: null }],
    ['message: false', { message: false }],
    ['ttlSeconds 30', { ttlSeconds: 30 }],
    ['ttlSeconds 86,400', { ttlSeconds: 86_400 }],
    ['codeLength 6', { codeLength: 6 }],
    ['codeLength 10', { codeLength: 10 }],
    ['purpose of 32', { purpose: 'a'.repeat(32) }],
    ['purpose with - and _', { purpose: 'email-change_2' }],
    ['purpose "0"', { purpose: '0' }],
    ['userId of 64 bytes (the default maxUserIdBytes)', { userId: 'u'.repeat(64) }],
    ['userId of 64 bytes with 4-byte characters', { userId: '😀'.repeat(16) }],
    ['userId with Unicode', { userId: 'Zoë 😀 名前' }],
    ['metadata of 1024 bytes', { metadata: { k: 'x'.repeat(1016) } }],
    ['metadata nested 7 deep', { metadata: { a: { a: { a: { a: { a: { a: { a: 1 } } } } } } } }],
    ['metadata with a null prototype', { metadata: Object.assign(Object.create(null), { a: 1 }) }],
    ['metadata with keys that merely contain proto', { metadata: { proto: 1, __proto: 2, Constructor: 3 } }],
  ])('accepts %s', (_name, input) => {
    expect(() => create(input)).not.toThrow();
  });
});

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;
const deep = (n: number): object => (n === 0 ? { leaf: 1 } : { a: deep(n - 1) });

describe('createMailboxChallenge: invalid input is INVALID_INPUT naming the fields', () => {
  it.each([
    ['null', null],
    ['a string', 'ada@example.com'],
    ['an array', [base]],
    ['undefined', undefined],
  ])('input %s → input', (_name, input) => {
    expectInvalid(input, ['input']);
  });

  it.each([
    ['upper case', 'Login'],
    ['empty', ''],
    ['33 characters', 'a'.repeat(33)],
    ['a space', 'log in'],
    ['a leading hyphen', '-login'],
    ['a leading underscore', '_login'],
    ['a trailing newline', 'login\n'],
    ['a dot', 'log.in'],
    ['Cyrillic', '\u043B\u043E\u0433\u0438\u043D'],
    ['a number', 42],
    ['null', null],
    ['an object', { toString: () => 'login' }],
  ])('purpose with %s → purpose', (_name, purpose) => {
    expectInvalid({ ...base, purpose }, ['purpose']);
  });

  it('a missing purpose → purpose', () => {
    expectInvalid({ email: 'ada@example.com' }, ['purpose']);
  });

  it.each([
    ['empty', ''],
    ['129 characters', 'u'.repeat(129)],
    ['a newline', 'a\nb'],
    ['CR', 'a\rb'],
    ['NUL', 'a\0'],
    ['DEL', 'a\u007F'],
    ['C1 NEL', 'a\u0085'],
    ['U+2028', 'a\u2028'],
    ['a number', 42],
    ['an object', { id: 1 }],
  ])('userId with %s → userId', (_name, userId) => {
    expectInvalid({ ...base, userId }, ['userId']);
  });

  it.each([
    ['1025 bytes', { k: 'x'.repeat(1017) }],
    ['1025 bytes of UTF-8 (é is 2 bytes)', { k: 'é'.repeat(508), x: '' }],
    ['a Date', new Date(0)],
    ['a nested Date', { at: new Date(0) }],
    ['a Map', new Map([['a', 1]])],
    ['an array', [1, 2]],
    ['a string', '{"a":1}'],
    ['a number', 1],
    ['undefined values', { a: undefined }],
    ['an undefined array item', { a: [undefined] }],
    ['a function', { f: () => 1 }],
    ['a method', { f() {} }],
    ['NaN', { n: Number.NaN }],
    ['Infinity', { n: Number.POSITIVE_INFINITY }],
    ['a bigint', { n: 1n }],
    ['a symbol value', { s: Symbol('s') }],
    ['a symbol key', { [Symbol('s')]: 1 }],
    ['a getter', Object.defineProperty({}, 'g', { get: () => 1, enumerable: true })],
    ['a non-enumerable property', Object.defineProperty({}, 'h', { value: 1, enumerable: false })],
    [
      'a class instance',
      new (class Point {
        x = 1;
      })(),
    ],
    ['a cyclic object', cyclic],
    ['nesting 20 deep', deep(20)],
    ['a boxed string', { s: new String('x') }],
    // Keys that reach a prototype when the host merges metadata into another object.
    ['an own __proto__ key (from JSON.parse)', JSON.parse('{"__proto__":{"isAdmin":true}}')],
    ['a nested __proto__ key', JSON.parse('{"a":{"b":{"__proto__":{"x":1}}}}')],
    ['a __proto__ key inside an array', JSON.parse('{"a":[1,{"__proto__":{"x":1}}]}')],
    ['a constructor key', { constructor: { prototype: { x: 1 } } }],
    ['a nested constructor key', { a: { constructor: 1 } }],
    ['a prototype key', { prototype: 1 }],
    ['a nested prototype key', { a: [{ b: { prototype: null } }] }],
    [
      'a null-prototype object with a __proto__ key',
      Object.assign(Object.create(null), { ['__proto__']: 1 }),
    ],
  ])('metadata with %s → metadata', (_name, metadata) => {
    expectInvalid({ ...base, metadata }, ['metadata']);
  });

  it.each([[29], [86_401], [30.5], [0], [-600], [Number.NaN], [Number.POSITIVE_INFINITY], ['600'], [null]])(
    'ttlSeconds %j → ttlSeconds',
    (ttlSeconds) => {
      expectInvalid({ ...base, ttlSeconds }, ['ttlSeconds']);
    },
  );

  it.each([[5], [11], [6.5], [0], [Number.NaN], ['6'], [null]])(
    'codeLength %j → codeLength',
    (codeLength) => {
      expectInvalid({ ...base, codeLength }, ['codeLength']);
    },
  );

  it.each([['hex'], ['BASE32'], [''], [32], [null]])('codeAlphabet %j → codeAlphabet', (codeAlphabet) => {
    expectInvalid({ ...base, codeAlphabet }, ['codeAlphabet']);
  });

  it.each([[true], ['false'], [0]])('message %j → message', (message) => {
    const error = thrown(() => create({ message }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.fields?.length).toBeGreaterThan(0);
    for (const field of error.fields ?? []) expect(field).toMatch(/^message\b/);
  });

  it('an unknown option is INVALID_INPUT whose message names it (a typo must not be ignored)', () => {
    const error = expectInvalid({ ...base, ttl: 60 }, ['ttl']);
    expect(error.message).toContain('"ttl"');
  });

  it('names every failing field at once', () => {
    expectInvalid({ email: 'nope', purpose: 'Nope', ttlSeconds: 1, codeLength: 99, metadata: new Date() }, [
      'email',
      'purpose',
      'ttlSeconds',
      'codeLength',
      'metadata',
    ]);
  });

  it('is a MailboxChallengeError with a client-safe toJSON', () => {
    const error = expectInvalid({ ...base, purpose: 'Nope' }, ['purpose']);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(MailboxChallengeError);
    expect(error.name).toBe('MailboxChallengeError');
    expect(error.toJSON()).toEqual({ code: 'INVALID_INPUT', message: error.message, fields: ['purpose'] });
  });
});

describe('createMailboxChallenge: a broken clock is INVALID_INPUT on now', () => {
  it.each([[Number.NaN], [-1], [1.5], [Number.MAX_SAFE_INTEGER + 2], ['1767225600000']])(
    'now() = %j',
    (t) => {
      const error = thrown(() => createMailboxChallenge(base, { keys: KEYS, now: () => t as number }));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.fields).toEqual(['now']);
    },
  );
});
