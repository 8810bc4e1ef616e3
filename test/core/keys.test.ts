import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createMailboxChallenge } from '../../src/create.js';
import { generateKey, parseKeys } from '../../src/keys.js';
import { resolveKeys } from '../../src/lib/_keys.js';
import { verifyMailboxChallenge } from '../../src/verify.js';
import { clockAt, expectFailure, KEY_A, KEY_B, T0, thrown } from './_helpers.js';

// 43 base64url characters = 32 bytes; 0x00..0x1f and 0x20..0x3f.
const S32 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
const S32B = 'ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8';

/** Asserts INVALID_INPUT naming `fields`, and that no part of any given secret leaks into the error. */
function expectKeyError(fn: () => unknown, fields: string[], secrets: string[] = []) {
  const error = thrown(fn);
  expect(error.code).toBe('INVALID_INPUT');
  expect(error.fields).toEqual(fields);
  const shown = `${error.message} ${JSON.stringify(error)} ${String(error.stack)}`;
  for (const secret of secrets) {
    // No 8-character run of the secret appears anywhere in what the error shows.
    for (let i = 0; i + 8 <= secret.length; i++) expect(shown).not.toContain(secret.slice(i, i + 8));
  }
  return error;
}

describe('generateKey', () => {
  it('returns 32 random bytes as canonical base64url, under the given id', () => {
    const key = generateKey('2026-11');
    expect(key.id).toBe('2026-11');
    expect(key.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const bytes = Buffer.from(key.secret, 'base64url');
    expect(bytes).toHaveLength(32);
    expect(bytes.toString('base64url')).toBe(key.secret);
    expect(parseKeys(`${key.id}:${key.secret}`)).toEqual([key]);
  });

  it('defaults the id to a UTC time stamp to the second: two keys a day apart sort by age, and never clash', () => {
    vi.useFakeTimers();
    try {
      vi.setSystemTime(new Date('2026-11-30T09:05:07.999Z'));
      const morning = generateKey().id;
      vi.setSystemTime(new Date('2026-11-30T17:45:00.000Z'));
      const evening = generateKey().id;
      expect(morning).toBe('k20261130T090507');
      expect(evening).toBe('k20261130T174500');
      // Rotation names records by the smallest id: older ids, the date-only ones of earlier versions too,
      // sort first.
      expect(['k20261201T000000', evening, 'k20261130', morning].sort()).toEqual([
        'k20261130',
        morning,
        evening,
        'k20261201T000000',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never repeats a secret', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => generateKey('k').secret));
    expect(secrets.size).toBe(1000);
  });

  it.each([[''], ['has space'], ['a'.repeat(33)], ['dot.id'], ['colon:id'], ['é']])(
    'rejects the id %j with INVALID_INPUT on id',
    (id) => {
      expectKeyError(() => generateKey(id), ['id']);
    },
  );

  it('rejects a non-string id', () => {
    expectKeyError(() => generateKey(42 as never), ['id']);
  });
});

describe('parseKeys', () => {
  it.each([
    ['comma', `a:${S32},b:${S32B}`],
    ['space', `a:${S32} b:${S32B}`],
    ['newline', `a:${S32}\nb:${S32B}`],
    ['CRLF, tabs and extra separators', `\r\n a:${S32}\t,\r\n  ,b:${S32B},\n`],
  ])('separates entries by %s, keeping their order', (_name, text) => {
    expect(parseKeys(text)).toEqual([
      { id: 'a', secret: S32 },
      { id: 'b', secret: S32B },
    ]);
  });

  it('returns a frozen list', () => {
    const keys = parseKeys(`a:${S32}`);
    expect(Object.isFrozen(keys)).toBe(true);
  });

  it('accepts a longer secret (64 bytes)', () => {
    const long = Buffer.alloc(64, 7).toString('base64url');
    expect(parseKeys(`k:${long}`)).toEqual([{ id: 'k', secret: long }]);
  });

  it('rejects an empty list with INVALID_INPUT on keys', () => {
    expectKeyError(() => parseKeys(''), ['keys']);
    expectKeyError(() => parseKeys(' ,\n '), ['keys']);
  });

  it('rejects a non-string with INVALID_INPUT on keys', () => {
    expectKeyError(() => parseKeys(undefined as never), ['keys']);
    expectKeyError(() => parseKeys([`a:${S32}`] as never), ['keys']);
  });

  it('names an entry without a colon, without echoing it', () => {
    // A pasted bare secret is the likeliest mistake: the error must not print it into logs.
    expectKeyError(() => parseKeys(`a:${S32},${S32B}`), ['keys.1'], [S32, S32B]);
  });

  it('names an entry with an empty id', () => {
    expectKeyError(() => parseKeys(`:${S32}`), ['keys.0'], [S32]);
  });

  it('names a duplicate id (entry 2), without echoing either secret', () => {
    expectKeyError(() => parseKeys(`x:${S32} y:${S32B} x:${S32B}`), ['keys.2.id'], [S32, S32B]);
  });

  it.each([
    ['31 bytes', Buffer.alloc(31, 1).toString('base64url')],
    ['an empty secret', ''],
    [
      'standard base64 (+ and /)',
      Buffer.from(Array.from({ length: 33 }, (_, i) => 250 + (i % 6))).toString('base64'),
    ],
    ['padding', `${Buffer.alloc(32, 9).toString('base64url')}=`],
    // 32 bytes end in 2 bytes = 3 characters, the last with 2 unused low bits: '8' (111100) ends S32,
    // '9' (111101) decodes to the same bytes in a lenient decoder, but is not the canonical encoding.
    ['non-zero unused bits in the last character', `${S32.slice(0, -1)}9`],
    ['a length of 4n+1', `${S32}AA`],
    ['a character outside base64url', `${S32.slice(0, -2)}!A`],
    ['a second colon', `${S32}:x`],
  ])('names an entry whose secret is %s, without echoing it', (_name, secret) => {
    expectKeyError(() => parseKeys(`ok:${S32B},bad:${secret}`), ['keys.1.secret'], [S32B, secret]);
  });

  it.each([['bad!'], ['a'.repeat(33)], ['d.t'], ['é']])('names an entry with the invalid id %j', (id) => {
    expectKeyError(() => parseKeys(`ok:${S32},${id}:${S32B}`), ['keys.1.id'], [S32, S32B]);
  });

  it('a key that parses is one that seals and opens', () => {
    const keys = parseKeys(`k1:${S32}`);
    const c = createMailboxChallenge({ email: 'ada@example.com', purpose: 'login' }, { keys });
    expect(c.secret.startsWith('v2.k1.')).toBe(true);
    expect(
      verifyMailboxChallenge({ challengeId: c.challengeId, secret: c.secret, code: c.code }, { keys }).ok,
    ).toBe(true);
  });
});

describe('resolveKeys', () => {
  it.each([
    ['undefined', undefined, ['keys']],
    ['an empty array', [], ['keys']],
    ['a string', `a:${S32}`, ['keys']],
    ['null entry', [null], ['keys.0.id']],
    ['missing id', [{ secret: S32 }], ['keys.0.id']],
    ['missing secret', [{ id: 'a' }], ['keys.0.secret']],
    ['numeric secret', [{ id: 'a', secret: 42 }], ['keys.0.secret']],
    ['Uint8Array secret', [{ id: 'a', secret: new Uint8Array(32) }], ['keys.0.secret']],
    ['bad second entry', [KEY_A, { id: 'b', secret: 'short' }], ['keys.1.secret']],
  ])('rejects %s with INVALID_INPUT', (_name, keys, fields) => {
    expectKeyError(() => resolveKeys(keys), fields, [S32]);
  });

  it('createMailboxChallenge and verifyMailboxChallenge report a bad key list as INVALID_INPUT on keys', () => {
    expectKeyError(
      () => createMailboxChallenge({ email: 'ada@example.com', purpose: 'login' }, { keys: [] }),
      ['keys'],
    );
    expectKeyError(
      () => verifyMailboxChallenge({ challengeId: 'x', secret: 'y', code: 'z' }, { keys: [] }),
      ['keys'],
    );
    expectKeyError(
      () => createMailboxChallenge({ email: 'ada@example.com', purpose: 'login' }, undefined as never),
      ['keys'],
    );
  });

  it('keys[0] seals', () => {
    expect(resolveKeys([KEY_B, KEY_A]).primary.id).toBe('b');
    expect([...resolveKeys([KEY_B, KEY_A]).byId.keys()]).toEqual(['b', 'a']);
  });

  it('derives the same subkeys for the same key in any list (derived once, cached)', () => {
    const one = resolveKeys([KEY_A]).byId.get('a')!;
    const two = resolveKeys([KEY_B, { ...KEY_A }]).byId.get('a')!;
    expect(two.sealKey).toEqual(one.sealKey);
  });

  it('a hole in the list is INVALID_INPUT, not a TypeError', () => {
    // biome-ignore lint/suspicious/noSparseArray: the point of the test
    expectKeyError(() => resolveKeys([, KEY_A]), ['keys.0.id']);
  });
});

// resolveKeys caches its result per array object (a WeakMap keyed by the array). A host that rotates by
// changing its key array in place (unshift a new key, pop the retired one) keeps getting the stale
// resolution: the retired key keeps verifying and the new key never seals.
describe('rotation of a key array changed in place', () => {
  const config = (keys: { id: string; secret: string }[]) => ({ keys, now: clockAt(T0) });

  it('a key removed from the array stops verifying', () => {
    const keys = [{ ...KEY_B }, { ...KEY_A }];
    const old = createMailboxChallenge(
      { email: 'ada@example.com', purpose: 'login' },
      config([{ ...KEY_A }]),
    );
    const input = { challengeId: old.challengeId, secret: old.secret, code: old.code };
    expect(verifyMailboxChallenge(input, config(keys)).ok).toBe(true);
    keys.pop(); // retire key "a"
    expectFailure(verifyMailboxChallenge(input, config(keys)), 'INVALID_CHALLENGE');
  });

  it('a key put first seals new challenges', () => {
    const keys = [{ ...KEY_A }];
    expect(
      createMailboxChallenge({ email: 'ada@example.com', purpose: 'login' }, config(keys)).secret,
    ).toMatch(/^v2\.a\./);
    keys.unshift({ ...KEY_B });
    expect(
      createMailboxChallenge({ email: 'ada@example.com', purpose: 'login' }, config(keys)).secret,
    ).toMatch(/^v2\.b\./);
  });
});

describe('mac (HMAC-SHA256 of UTF-8 text with a pre-keyed state, reused between calls)', () => {
  it('equals node:crypto HMAC-SHA256, call after call, keys interleaved, any text and length (fast-check)', async () => {
    const { createHmac, randomBytes } = await import('node:crypto');
    const { hmac } = await import('@noble/hashes/hmac.js');
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const { mac } = await import('../../src/lib/_keys.js');
    const keyBytes = [randomBytes(32), randomBytes(32)];
    const keyed = keyBytes.map((k) => hmac.create(sha256, k));
    // Short, long (past the module buffer, which then grows), ASCII, non-ASCII and lone surrogates.
    const text = fc.oneof(
      fc.string({ maxLength: 90 }),
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.string({ unit: 'grapheme', maxLength: 300 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1), text), { minLength: 1, maxLength: 6 }), (calls) => {
        for (const [which, message] of calls) {
          const expected = createHmac('sha256', keyBytes[which]!).update(message, 'utf8').digest();
          expect(Buffer.from(mac(keyed[which]!, message))).toEqual(expected);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('RFC 4231 test case 2', async () => {
    const { hmac } = await import('@noble/hashes/hmac.js');
    const { sha256 } = await import('@noble/hashes/sha2.js');
    const { mac } = await import('../../src/lib/_keys.js');
    const keyed = hmac.create(sha256, Buffer.from('Jefe'));
    for (let i = 0; i < 3; i++) {
      expect(Buffer.from(mac(keyed, 'what do ya want for nothing?')).toString('hex')).toBe(
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      );
    }
  });
});
