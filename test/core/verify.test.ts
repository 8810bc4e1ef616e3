import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMailboxChallenge } from '../../src/create.js';
import { MailboxChallengeError, type MailboxChallengeErrorCode } from '../../src/errors.js';
import { parseEmail } from '../../src/lib/_address.js';
import { normalizeCode } from '../../src/lib/_code.js';
import { verifyMailboxChallenge } from '../../src/verify.js';
import {
  clockAt,
  emailArb,
  expectFailure,
  HOSTILE_RUNS,
  jsonImage,
  KEY_A,
  metadataArb,
  PROPERTY_RUNS,
  purposeArb,
  T0,
  thrown,
  userIdArb,
} from './_helpers.js';

const KEYS = [KEY_A];
const at = (t: number) => ({ keys: KEYS, now: clockAt(t) });
const PUBLIC_FIELDS = ['challengeId', 'createdAt', 'email', 'expiresAt', 'metadata', 'purpose', 'userId'];
const CODES: MailboxChallengeErrorCode[] = [
  'INVALID_INPUT',
  'INVALID_CHALLENGE',
  'INVALID_CODE',
  'CHALLENGE_EXPIRED',
  'CHALLENGE_MISMATCH',
];

const legit = createMailboxChallenge(
  { email: 'Ada@Example.com', purpose: 'login', userId: 'u1', metadata: { plan: 'pro' } },
  at(T0),
);
const good = { challengeId: legit.challengeId, secret: legit.secret, code: legit.code };
const verify = (input: unknown, t = T0 + 1000) => verifyMailboxChallenge(input as never, at(t));

describe('round trip', () => {
  it('returns exactly the public challenge', () => {
    const r = verify(good);
    expect(r).toEqual({
      ok: true,
      challenge: {
        challengeId: legit.challengeId,
        purpose: 'login',
        email: 'Ada@Example.com',
        userId: 'u1',
        metadata: { plan: 'pro' },
        createdAt: T0,
        expiresAt: T0 + 600_000,
      },
    });
    // Nothing internal (code tag, generation, alphabet) leaks into the result.
    expect(r.ok && Object.keys(r.challenge).sort()).toEqual(PUBLIC_FIELDS);
  });

  it('arbitrary emails, purposes, userIds, metadata and options (fast-check)', () => {
    const inputArb = fc.record({
      email: emailArb,
      purpose: purposeArb,
      userId: fc.oneof(fc.constant(undefined), fc.constant(null), userIdArb),
      metadata: fc.oneof(fc.constant(undefined), fc.constant(null), metadataArb),
      ttlSeconds: fc.option(fc.integer({ min: 30, max: 86_400 }), { nil: undefined }),
      codeLength: fc.option(fc.integer({ min: 6, max: 10 }), { nil: undefined }),
      codeAlphabet: fc.option(fc.constantFrom('digits' as const, 'base32' as const), { nil: undefined }),
    });
    const keys = [KEY_A];
    fc.assert(
      fc.property(
        inputArb,
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.nat(),
        (input, now, elapsed) => {
          const ttlMs = (input.ttlSeconds ?? 600) * 1000;
          const c = createMailboxChallenge(
            { ...input, email: input.email.typed },
            { keys, now: clockAt(now) },
          );
          const expected = {
            challengeId: c.challengeId,
            purpose: input.purpose,
            email: input.email.address,
            userId: input.userId ?? null,
            metadata: input.metadata == null ? null : jsonImage(input.metadata),
            createdAt: now,
            expiresAt: now + ttlMs,
          };
          // create returns the same JSON copy of the metadata that verify does (so -0 comes back as 0).
          expect(c).toMatchObject(expected);
          expect(c.code).toHaveLength(input.codeLength ?? 6);

          const later = { keys, now: clockAt(now + (elapsed % ttlMs)) };
          const r = verifyMailboxChallenge(
            { challengeId: c.challengeId, secret: c.secret, code: c.code },
            later,
          );
          expect(r).toEqual({ ok: true, challenge: expected });

          // The same with every expectation given (email in another case, padded): still ok. The TLD keeps its
          // case: an upper-case XN-- TLD is the separate failing case in 'expectations' below.
          const dot = input.email.address.lastIndexOf('.');
          const shouted = input.email.address.slice(0, dot).toUpperCase() + input.email.address.slice(dot);
          const withExpectations = verifyMailboxChallenge(
            {
              challengeId: c.challengeId,
              secret: c.secret,
              code: c.code.toLowerCase(),
              purpose: input.purpose,
              email: ` ${shouted}\t`,
              ...(input.userId != null && { userId: input.userId }),
            },
            later,
          );
          expect(withExpectations.ok).toBe(true);
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('metadata comes back as JSON carries it: -0 as 0', () => {
    // (A __proto__ key is refused on create: test/core/create.test.ts.)
    const c = createMailboxChallenge(
      { email: 'ada@example.com', purpose: 'login', metadata: { n: -0 } },
      at(T0),
    );
    const r = verifyMailboxChallenge({ challengeId: c.challengeId, secret: c.secret, code: c.code }, at(T0));
    expect(r.ok).toBe(true);
    const metadata = r.ok ? (r.challenge.metadata as Record<string, unknown>) : {};
    expect(Object.is(metadata.n, 0)).toBe(true);
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('create returns its own copy of the metadata, like verify: later changes to the input do not leak in', () => {
    const metadata = { next: '/settings', n: -0 };
    const c = createMailboxChallenge({ email: 'ada@example.com', purpose: 'login', metadata }, at(T0));
    metadata.next = '/evil';
    expect(c.metadata).toEqual({ next: '/settings', n: 0 });
    expect(c.metadata).not.toBe(metadata);
    expect(Object.is(c.metadata?.n, 0)).toBe(true);
  });

  it('a wrong code is INVALID_CODE', () => {
    const wrong = String((Number(legit.code) + 1) % 1_000_000).padStart(6, '0');
    expectFailure(verify({ ...good, code: wrong }), 'INVALID_CODE');
  });
});

describe('expiry, with an injected clock', () => {
  it('is ok at expiresAt − 1 ms and CHALLENGE_EXPIRED at expiresAt', () => {
    expect(verify(good, T0).ok).toBe(true);
    expect(verify(good, T0 + 600_000 - 1).ok).toBe(true);
    expectFailure(verify(good, T0 + 600_000), 'CHALLENGE_EXPIRED');
    expectFailure(verify(good, T0 + 600_001), 'CHALLENGE_EXPIRED');
    expectFailure(verify(good, Number.MAX_SAFE_INTEGER), 'CHALLENGE_EXPIRED');
  });

  it('for every ttlSeconds in [30, 86400] (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 30, max: 86_400 }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        (ttlSeconds, now) => {
          const c = createMailboxChallenge(
            { email: 'ada@example.com', purpose: 'login', ttlSeconds },
            at(now),
          );
          expect(c.expiresAt).toBe(now + ttlSeconds * 1000);
          const input = { challengeId: c.challengeId, secret: c.secret, code: c.code };
          expect(verifyMailboxChallenge(input, at(c.expiresAt - 1)).ok).toBe(true);
          expectFailure(verifyMailboxChallenge(input, at(c.expiresAt)), 'CHALLENGE_EXPIRED');
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('an expired challenge says nothing about the code: right and wrong codes get the same answer', () => {
    expectFailure(verify(good, T0 + 600_000), 'CHALLENGE_EXPIRED');
    expectFailure(
      verify({ ...good, code: '000000' === good.code ? '111111' : '000000' }, T0 + 600_000),
      'CHALLENGE_EXPIRED',
    );
  });

  it('a broken verify clock is a configuration error (INVALID_INPUT on now), thrown', () => {
    for (const t of [Number.NaN, -1, 0.5]) {
      const error = thrown(() => verifyMailboxChallenge(good, { keys: KEYS, now: () => t }));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.fields).toEqual(['now']);
    }
  });
});

describe('expectations', () => {
  it.each([
    ['purpose', { purpose: 'signup' }, ['purpose']],
    ['purpose, case-sensitive', { purpose: 'LOGIN' }, ['purpose']],
    ['email', { email: 'eve@example.com' }, ['email']],
    ['email with another +tag', { email: 'Ada+x@Example.com' }, ['email']],
    ['email that is not an address', { email: 'not an address' }, ['email']],
    ['email that is empty', { email: '' }, ['email']],
    ['userId', { userId: 'u2' }, ['userId']],
    ['userId, case-sensitive', { userId: 'U1' }, ['userId']],
    [
      'all three, in order',
      { purpose: 'signup', email: 'eve@example.com', userId: 'u2' },
      ['purpose', 'email', 'userId'],
    ],
  ])('a different %s is CHALLENGE_MISMATCH with fields', (_name, expectation, fields) => {
    expectFailure(verify({ ...good, ...expectation }), 'CHALLENGE_MISMATCH', fields);
  });

  it('userId: null expects a challenge without one', () => {
    const anon = createMailboxChallenge({ email: 'Ada@Example.com', purpose: 'login' }, at(T0));
    const input = { challengeId: anon.challengeId, secret: anon.secret, code: anon.code };
    expect(verify({ ...input, userId: null }).ok).toBe(true);
    expectFailure(verify({ ...good, userId: null }), 'CHALLENGE_MISMATCH', ['userId']);
  });

  it('an expected userId on a challenge without one is CHALLENGE_MISMATCH', () => {
    const anon = createMailboxChallenge({ email: 'ada@example.com', purpose: 'signup' }, at(T0));
    const input = { challengeId: anon.challengeId, secret: anon.secret, code: anon.code, userId: 'u1' };
    expectFailure(verify(input), 'CHALLENGE_MISMATCH', ['userId']);
  });

  it.each([['ada@example.com'], ['ADA@EXAMPLE.COM'], ['Ada@Example.com'], ['  aDa@eXample.COM\t']])(
    'the email %j matches case-insensitively',
    (email) => {
      expect(verify({ ...good, email, purpose: 'login', userId: 'u1' }).ok).toBe(true);
    },
  );

  it('the email matches case-insensitively with a punycode TLD too', () => {
    // parseEmail refuses "XN--" in the TLD (see address.test.ts), so the expectation never matches.
    const c = createMailboxChallenge({ email: 'ada@example.xn--p1ai', purpose: 'login' }, at(T0));
    const input = {
      challengeId: c.challengeId,
      secret: c.secret,
      code: c.code,
      email: 'ADA@EXAMPLE.XN--P1AI',
    };
    expect(verify(input).ok).toBe(true);
  });

  it('a mismatch is reported before the code is looked at (wrong and right codes, same answer)', () => {
    expectFailure(verify({ ...good, purpose: 'signup' }), 'CHALLENGE_MISMATCH', ['purpose']);
    expectFailure(verify({ ...good, purpose: 'signup', code: 'zzz' }), 'CHALLENGE_MISMATCH', ['purpose']);
  });

  it.each([
    ['purpose', 42],
    ['email', ['Ada@Example.com']],
    ['userId', { toString: () => 'u1' }],
  ])('a non-string expected %s is INVALID_INPUT on it', (field, value) => {
    expectFailure(verify({ ...good, [field]: value }), 'INVALID_INPUT', [field]);
  });
});

// ---- Verify never throws on anything a client can send ---------------------------------------------------

/** fc.anything with every kind of value it knows. */
const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
});

/** Calls verify, failing the test if it throws; checks the result's shape. */
function safeVerify(input: unknown) {
  let r: ReturnType<typeof verifyMailboxChallenge>;
  try {
    r = verify(input);
  } catch (error) {
    throw new Error(`verify threw: ${String(error)}`);
  }
  if (!r.ok) {
    expect(r.error).toBeInstanceOf(MailboxChallengeError);
    expect(CODES).toContain(r.error.code);
  }
  return r;
}

describe('any value of any type for any field: { ok: false }, never a throw (fast-check)', () => {
  const opts = { numRuns: HOSTILE_RUNS };

  it('as the whole input', () => {
    fc.assert(
      fc.property(anything, (input) => {
        expectFailure(safeVerify(input), 'INVALID_CHALLENGE');
      }),
      opts,
    );
  });

  it('as challengeId', () => {
    fc.assert(
      fc.property(anything, (v) => {
        fc.pre(v !== good.challengeId);
        expectFailure(safeVerify({ ...good, challengeId: v }), 'INVALID_CHALLENGE');
      }),
      opts,
    );
  });

  it('as secret', () => {
    fc.assert(
      fc.property(anything, (v) => {
        fc.pre(v !== good.secret);
        expectFailure(safeVerify({ ...good, secret: v }), 'INVALID_CHALLENGE');
      }),
      opts,
    );
  });

  it('as code', () => {
    fc.assert(
      fc.property(fc.oneof(anything, fc.string(), fc.stringMatching(/^[0-9 -]{4,9}$/)), (v) => {
        fc.pre(!(typeof v === 'string' && normalizeCode(v, 'digits', 6) === good.code));
        const r = safeVerify({ ...good, code: v });
        if (typeof v === 'string' && normalizeCode(v, 'digits', 6) !== null) expectFailure(r, 'INVALID_CODE');
        else expectFailure(r, 'INVALID_INPUT', ['code']);
      }),
      opts,
    );
  });

  it.each([
    ['purpose', (v: unknown) => v === 'login'],
    ['email', (v: unknown) => parseEmail(v)?.normalized === 'ada@example.com'],
    ['userId', (v: unknown) => v === 'u1'],
  ])('as the expected %s', (field, matches) => {
    fc.assert(
      fc.property(anything, (v) => {
        fc.pre(v !== undefined && !matches(v));
        const r = safeVerify({ ...good, [field]: v });
        // null as the expected userId means "expect none": a mismatch here, not a type error.
        if (typeof v === 'string' || (field === 'userId' && v === null))
          expectFailure(r, 'CHALLENGE_MISMATCH', [field]);
        else expectFailure(r, 'INVALID_INPUT', [field]);
      }),
      opts,
    );
  });

  it('as any mix of fields: ok exactly when every field is the legitimate one', () => {
    const field = <T>(value: T) => fc.oneof(fc.constant(value), anything);
    const optional = <T>(value: T) => fc.oneof(fc.constant(undefined), fc.constant(value), anything);
    const key = fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'then', 'x');
    fc.assert(
      fc.property(
        fc.record({
          challengeId: field(good.challengeId),
          secret: field(good.secret),
          code: field(good.code),
          purpose: optional('login'),
          email: optional('Ada@Example.com'),
          userId: optional('u1'),
        }),
        fc.dictionary(key, anything, { maxKeys: 3 }),
        (fields, extra) => {
          const input = Object.assign(extra, fields);
          const r = safeVerify(input);
          const expectOk =
            fields.challengeId === good.challengeId &&
            fields.secret === good.secret &&
            typeof fields.code === 'string' &&
            normalizeCode(fields.code, 'digits', 6) === good.code &&
            (fields.purpose === undefined || fields.purpose === 'login') &&
            (fields.email === undefined || parseEmail(fields.email)?.normalized === 'ada@example.com') &&
            (fields.userId === undefined || fields.userId === 'u1');
          expect(r.ok).toBe(expectOk);
        },
      ),
      opts,
    );
  });
});

describe('hostile objects: { ok: false }, never a throw', () => {
  const boom = () => {
    throw new Error('boom');
  };
  const throwingProxy = new Proxy(
    {},
    { get: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, getPrototypeOf: boom },
  );
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const loud = { toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom, toJSON: boom };
  const withGetter = (name: string) =>
    Object.defineProperty({ ...good }, name, { get: boom, enumerable: true });

  it.each([
    ['a Proxy whose every trap throws', throwingProxy],
    ['a Proxy whose get throws', new Proxy({ ...good }, { get: boom })],
    ['a revoked Proxy', revoked.proxy],
    ['a throwing challengeId getter', withGetter('challengeId')],
    ['a throwing secret getter', withGetter('secret')],
    ['a throwing code getter', withGetter('code')],
    ['a throwing purpose getter', withGetter('purpose')],
    ['a throwing email getter', withGetter('email')],
    ['a throwing userId getter', withGetter('userId')],
    ['a challengeId whose toString throws', { ...good, challengeId: loud }],
    ['a secret whose toString throws', { ...good, secret: loud }],
    ['a code whose toString throws', { ...good, code: loud }],
    ['a purpose whose toString throws', { ...good, purpose: loud }],
    ['an email whose toString throws', { ...good, email: loud }],
    ['a Proxy as code', { ...good, code: throwingProxy }],
    ['a Proxy as email', { ...good, email: throwingProxy }],
    ['a 10 MB secret', { ...good, secret: `v1.a.${'A'.repeat(10_000_000)}` }],
    ['a 10 MB challengeId', { ...good, challengeId: 'A'.repeat(10_000_000) }],
    ['a 10 MB code', { ...good, code: '1'.repeat(10_000_000) }],
    ['a 1 MB purpose', { ...good, purpose: 'a'.repeat(1_000_000) }],
    ['a 1 MB email', { ...good, email: `${'a'.repeat(1_000_000)}@example.com` }],
    ['a 1 MB userId', { ...good, userId: 'u'.repeat(1_000_000) }],
    ['fields only under an own __proto__ key', JSON.parse(`{"__proto__":${JSON.stringify(good)}}`)],
    [
      'a __proto__ key next to the fields',
      JSON.parse(`{"__proto__":{"x":1},"challengeId":"${good.challengeId}"}`),
    ],
    ['a String object challengeId', { ...good, challengeId: new String(good.challengeId) }],
    ['a String object secret', { ...good, secret: new String(good.secret) }],
    ['a String object code', { ...good, code: new String(good.code) }],
    ['an array of the fields', [good.challengeId, good.secret, good.code]],
    ['a function', () => good],
    ['a symbol', Symbol('x')],
    ['a bigint', 10n ** 100n],
    ['a Map of the fields', new Map(Object.entries(good))],
    ['a Promise', Promise.resolve(good)],
    ['the secret with NUL bytes', { ...good, secret: `${good.secret}\0` }],
    ['a secret of lone surrogates', { ...good, secret: `v1.a.${'\uD800'.repeat(100)}` }],
  ])('%s', (_name, input) => {
    const r = safeVerify(input);
    expect(r.ok).toBe(false);
  });

  it('does not mutate Object.prototype (no pollution from __proto__ keys)', () => {
    safeVerify(JSON.parse(`{"__proto__":{"polluted":true},"challengeId":"${good.challengeId}"}`));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a Proxy that only observes (no throw) verifies like the object it wraps', () => {
    expect(safeVerify(new Proxy({ ...good }, {})).ok).toBe(true);
  });
});
