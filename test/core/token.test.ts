import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CreatedMailboxChallenge, createMailboxChallenge } from '../../src/create.js';
import { resolveKeys } from '../../src/lib/_keys.js';
import { MAX_SECRET_LENGTH, openChallenge } from '../../src/lib/_token.js';
import { verifyMailboxChallenge } from '../../src/verify.js';
import {
  clockAt,
  emailArb,
  expectFailure,
  HOSTILE_RUNS,
  KEY_A,
  KEY_B,
  nextRandom,
  purposeArb,
  secretParts,
  T0,
  thrown,
  userIdArb,
} from './_helpers.js';
import { independentOpen, unpackV2 } from './_independent.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const KEYS_A = [KEY_A];
const at = { now: clockAt(T0 + 1000) };

const create = (email = 'ada@example.com', keys = KEYS_A, extra: object = {}) =>
  createMailboxChallenge({ email, purpose: 'login', ...extra }, { keys, now: clockAt(T0) });

const verifyWith = (c: CreatedMailboxChallenge, secret: string, challengeId = c.challengeId, keys = KEYS_A) =>
  verifyMailboxChallenge({ challengeId, secret, code: c.code }, { keys, ...at });

/** A secret whose body length ≡ `remainder` (mod 3): its last base64url character has unused low bits. */
function secretWithRemainder(remainder: 1 | 2): CreatedMailboxChallenge {
  // The plaintext is padded to 32-byte steps; growing metadata walks through them (and so every remainder).
  for (let n = 0; n <= 128; n += 8) {
    const c = create('ada@example.com', KEYS_A, { metadata: { m: 'u'.repeat(n) } });
    if (secretParts(c.secret).bytes.length % 3 === remainder) return c;
  }
  throw new Error('unreachable: three consecutive 32-byte steps cover every remainder');
}

describe('format', () => {
  it('is v2.<keyId>.<base64url(nonce ‖ ciphertext ‖ tag)>', () => {
    const c = create();
    expect(c.secret).toMatch(/^v2\.a\.[A-Za-z0-9_-]+$/);
    const { bytes, body, nonce } = secretParts(c.secret);
    expect(bytes.toString('base64url')).toBe(body); // canonical, unpadded
    // Opened without the library: 24-byte nonce ‖ ciphertext (as long as the plaintext) ‖ 16-byte tag.
    const opened = independentOpen(c.secret, KEY_A, c.challengeId);
    expect(opened.nonce).toEqual(nonce);
    expect(bytes.length).toBe(24 + Buffer.byteLength(opened.plaintext) + 16);
    // No userId: a zero length byte, then the JSON, then spaces to a 32-byte step counting a 64-byte slot.
    const json = JSON.stringify(['ada@example.com', 'login', null, T0, T0 + 600_000, 0, 'd', 6, c.code]);
    expect(opened.bytes[0]).toBe(0);
    expect(opened.plaintext.slice(1).trimEnd()).toBe(json);
    expect(opened.bytes.length).toBe(Math.ceil((1 + 64 + json.length) / 32) * 32);
    expect(unpackV2(opened.bytes)).toMatchObject({ userId: null, fields: JSON.parse(json) });
  });

  it('any userId and metadata, long or short, non-ASCII or not, in any order: the documented plaintext (fast-check)', () => {
    // Sealing reuses one buffer: a long plaintext followed by a short one must leave nothing of the first.
    const text = fc.string({ unit: 'binary', maxLength: 700 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ userId: fc.option(userIdArb, { nil: undefined }), m: text }), {
          minLength: 2,
          maxLength: 4,
        }),
        (calls) => {
          for (const { userId, m } of calls) {
            const c = create('ada@example.com', KEYS_A, { userId, metadata: { m } });
            const opened = independentOpen(c.secret, KEY_A, c.challengeId);
            const json = JSON.stringify([
              'ada@example.com',
              'login',
              { m },
              T0,
              T0 + 600_000,
              0,
              'd',
              6,
              c.code,
            ]);
            const id = userId === undefined ? Buffer.alloc(0) : Buffer.from(userId);
            expect(opened.bytes[0]).toBe(id.length);
            expect(opened.bytes.subarray(1, 1 + id.length)).toEqual(id);
            expect(
              opened.bytes
                .subarray(1 + id.length)
                .toString('utf8')
                .trimEnd(),
            ).toBe(json);
            expect(opened.bytes.length).toBe(Math.ceil((1 + 64 + Buffer.byteLength(json)) / 32) * 32);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('new challenges are sealed with keys[0]', () => {
    expect(create('ada@example.com', [KEY_A, KEY_B]).secret.startsWith('v2.a.')).toBe(true);
    expect(create('ada@example.com', [KEY_B, KEY_A]).secret.startsWith('v2.b.')).toBe(true);
  });

  it('says nothing about the code: the code is absent and the length does not depend on it', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const c = create();
      expect(c.secret).not.toContain(c.code);
      seen.add(c.secret.length);
    }
    expect([...seen]).toHaveLength(1);
  });

  it('the same inputs and randomness give the same secret; another nonce gives another', () => {
    const draw = Uint8Array.from({ length: 52 }, (_, i) => i * 3);
    nextRandom(draw);
    const one = create();
    nextRandom(draw);
    const two = create();
    expect(two.secret).toBe(one.secret);
    nextRandom(draw.map((b, i) => (i === 20 ? b ^ 1 : b))); // one nonce bit
    const three = create();
    expect(three.challengeId).toBe(one.challengeId);
    expect(three.code).toBe(one.code);
    expect(three.secret).not.toBe(one.secret);
  });
});

describe('every single-character change, truncation or extension is INVALID_CHALLENGE', () => {
  const REPLACEMENTS = [
    'A',
    'B',
    'g',
    'z',
    '0',
    '9',
    '-',
    '_',
    '.',
    '=',
    '+',
    '/',
    ' ',
    '\0',
    '\n',
    'é',
    '😀',
  ];

  describe.each([1, 2] as const)('a secret whose body length is 3n+%i', (remainder) => {
    const c = secretWithRemainder(remainder);
    const s = c.secret;

    it('verifies untouched (the baseline)', () => {
      expect(verifyWith(c, s).ok).toBe(true);
    });

    it('every position × every replacement character', () => {
      let tried = 0;
      for (let i = 0; i < s.length; i++) {
        for (const r of REPLACEMENTS) {
          if (r === s[i]) continue;
          expectFailure(verifyWith(c, s.slice(0, i) + r + s.slice(i + 1)), 'INVALID_CHALLENGE');
          tried++;
        }
      }
      expect(tried).toBeGreaterThan(s.length * (REPLACEMENTS.length - 2));
    });

    it('the last character changed only in its unused low bits (same bytes to a lenient decoder)', () => {
      const last = B64URL.indexOf(s.at(-1)!);
      const unused = remainder === 1 ? 0b1111 : 0b11; // 1 byte left = 2 chars (4 spare bits); 2 bytes = 3 chars (2)
      expect(last & unused).toBe(0); // canonical
      const variants = Array.from({ length: unused }, (_, k) => s.slice(0, -1) + B64URL[last | (k + 1)]);
      expect(variants).toHaveLength(unused);
      for (const v of variants) {
        // node's decoder ignores the spare bits: these are the very same bytes...
        expect(secretParts(v).bytes).toEqual(secretParts(s).bytes);
        // ...and still the secret is refused: exactly one string encodes a challenge.
        expectFailure(verifyWith(c, v), 'INVALID_CHALLENGE');
      }
    });

    it('every deletion of one character', () => {
      for (let i = 0; i < s.length; i++)
        expectFailure(verifyWith(c, s.slice(0, i) + s.slice(i + 1)), 'INVALID_CHALLENGE');
    });

    it('every insertion of one character', () => {
      for (let i = 0; i <= s.length; i++) {
        for (const r of ['A', '_', '.'])
          expectFailure(verifyWith(c, s.slice(0, i) + r + s.slice(i)), 'INVALID_CHALLENGE');
      }
    });

    it('every truncation', () => {
      for (let n = 0; n < s.length; n++) expectFailure(verifyWith(c, s.slice(0, n)), 'INVALID_CHALLENGE');
    });

    it('extensions', () => {
      for (const tail of [...REPLACEMENTS, 'AA', 'AAA', 'AAAA', '.x', '.', '==', s]) {
        expectFailure(verifyWith(c, s + tail), 'INVALID_CHALLENGE');
        expectFailure(verifyWith(c, tail + s), 'INVALID_CHALLENGE');
      }
    });
  });

  it('random secrets, random edits (fast-check)', () => {
    const edit = fc.oneof(
      fc.record({
        kind: fc.constant('replace' as const),
        at: fc.nat(),
        char: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      }),
      fc.record({
        kind: fc.constant('replace' as const),
        at: fc.nat(),
        char: fc.constantFrom(...B64URL, '.'),
      }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        char: fc.constantFrom(...B64URL, '.'),
      }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('append' as const),
        tail: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
      }),
    );
    fc.assert(
      fc.property(
        emailArb,
        purposeArb,
        fc.option(userIdArb, { nil: undefined }),
        edit,
        (email, purpose, userId, e) => {
          const c = createMailboxChallenge(
            { email: email.typed, purpose, userId },
            { keys: KEYS_A, now: clockAt(T0) },
          );
          const s = c.secret;
          const i = 'at' in e ? e.at % s.length : 0;
          let tampered: string;
          if (e.kind === 'replace') tampered = s.slice(0, i) + e.char + s.slice(i + 1);
          else if (e.kind === 'delete') tampered = s.slice(0, i) + s.slice(i + 1);
          else if (e.kind === 'insert') tampered = s.slice(0, i) + e.char + s.slice(i);
          else if (e.kind === 'truncate') tampered = s.slice(0, i);
          else tampered = s + e.tail;
          fc.pre(tampered !== s);
          expectFailure(verifyWith(c, tampered), 'INVALID_CHALLENGE');
        },
      ),
      { numRuns: HOSTILE_RUNS },
    );
  });

  it('random bit flips in the sealed bytes, re-encoded canonically (fast-check)', () => {
    const c = create();
    const { bytes, keyId } = secretParts(c.secret);
    fc.assert(
      fc.property(fc.nat({ max: bytes.length * 8 - 1 }), (bit) => {
        const flipped = Buffer.from(bytes);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        expectFailure(verifyWith(c, `v2.${keyId}.${flipped.toString('base64url')}`), 'INVALID_CHALLENGE');
      }),
      { numRuns: Math.min(HOSTILE_RUNS, bytes.length * 8) },
    );
  });
});

describe('binding to the challengeId and the key', () => {
  const c = create();
  const other = create();

  it('a secret presented with another challengeId is INVALID_CHALLENGE', () => {
    expectFailure(verifyWith(c, c.secret, other.challengeId), 'INVALID_CHALLENGE');
    expectFailure(verifyWith(other, other.secret, c.challengeId), 'INVALID_CHALLENGE');
  });

  it('every single-character change of the challengeId is INVALID_CHALLENGE (incl. its spare low bits)', () => {
    // 16 bytes = 22 characters, the last with 4 spare bits: the AEAD binds the exact string.
    const id = c.challengeId;
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    for (let i = 0; i < id.length; i++) {
      for (const r of B64URL) {
        if (r !== id[i])
          expectFailure(verifyWith(c, c.secret, id.slice(0, i) + r + id.slice(i + 1)), 'INVALID_CHALLENGE');
      }
    }
  });

  it.each([
    ['a different secret under the same id', [{ id: 'a', secret: KEY_B.secret }]],
    ['a different id', [KEY_B]],
    ['the right secret under another id', [{ id: 'b', secret: KEY_A.secret }]],
  ])('checked with %s is INVALID_CHALLENGE', (_name, keys) => {
    expectFailure(verifyWith(c, c.secret, c.challengeId, keys), 'INVALID_CHALLENGE');
  });

  it('relabelling a secret with another listed key id is INVALID_CHALLENGE (the key id is bound)', () => {
    const relabelled = c.secret.replace(/^v2\.a\./, 'v2.b.');
    const twin = [KEY_A, { id: 'b', secret: KEY_A.secret }]; // even with the same key material
    expectFailure(verifyWith(c, relabelled, c.challengeId, twin), 'INVALID_CHALLENGE');
  });

  it('another version prefix is INVALID_CHALLENGE', () => {
    for (const v of ['v0', 'v1', 'v3', 'V2', 'v2 ', '']) {
      expectFailure(verifyWith(c, c.secret.replace(/^v2/, v)), 'INVALID_CHALLENGE');
    }
  });
});

describe('rotation', () => {
  const old = create('ada@example.com', [KEY_A]);

  it('a secret sealed with an old key verifies while that key is listed second', () => {
    const r = verifyWith(old, old.secret, old.challengeId, [KEY_B, KEY_A]);
    expect(r.ok).toBe(true);
  });

  it('and not after the key is removed', () => {
    expectFailure(verifyWith(old, old.secret, old.challengeId, [KEY_B]), 'INVALID_CHALLENGE');
  });

  it('new challenges under [new, old] are sealed with the new key and verify under [new]', () => {
    const fresh = create('ada@example.com', [KEY_B, KEY_A]);
    expect(fresh.secret.startsWith('v2.b.')).toBe(true);
    expect(verifyWith(fresh, fresh.secret, fresh.challengeId, [KEY_B]).ok).toBe(true);
    expectFailure(verifyWith(fresh, fresh.secret, fresh.challengeId, [KEY_A]), 'INVALID_CHALLENGE');
  });
});

describe('openChallenge refuses anything that is not a secret', () => {
  const keys = resolveKeys(KEYS_A);
  const c = create();

  it.each([
    ['no challengeId', undefined, c.secret],
    ['a numeric challengeId', 42, c.secret],
    ['a challengeId of 21 characters', c.challengeId.slice(1), c.secret],
    ['a challengeId of 23 characters', `${c.challengeId}A`, c.secret],
    ['a challengeId with padding', `${c.challengeId.slice(0, -2)}==`, c.secret],
    ['no secret', c.challengeId, undefined],
    ['a String object', c.challengeId, new String(c.secret)],
    ['an empty secret', c.challengeId, ''],
    ['a secret of MAX_SECRET_LENGTH + 1', c.challengeId, `v2.a.${'A'.repeat(MAX_SECRET_LENGTH)}`],
    ['four parts', c.challengeId, `${c.secret}.x`],
    ['a body too short for nonce and tag', c.challengeId, `v2.a.${'A'.repeat(54)}`],
  ])('%s', (_name, challengeId, secret) => {
    expect(openChallenge(keys, challengeId, secret)).toBeNull();
  });

  it('opens the real one', () => {
    expect(openChallenge(keys, c.challengeId, c.secret)?.payload).toMatchObject({
      email: 'ada@example.com',
      purpose: 'login',
      generation: 0,
      alphabet: 'digits',
      codeLength: 6,
    });
  });
});

describe('size', () => {
  it('a typical challenge is well under 400 bytes', () => {
    const c = create('ada.lovelace@example.com', KEYS_A, { userId: '3f2504e0-4f89-11d3-9a0c-0305e82c3301' });
    expect(c.secret.length).toBe(272);
  });

  it('the longest challenge without metadata (254-char email, 32-char purpose, 255-byte userId) is measured', () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    expect(email).toHaveLength(254);
    const c = createMailboxChallenge(
      { email, purpose: 'p'.repeat(32), userId: 'u'.repeat(255), codeLength: 10 },
      { keys: [{ id: 'k'.repeat(32), secret: KEY_A.secret }], now: clockAt(T0), maxUserIdBytes: 255 },
    );
    expect(c.secret.length).toBe(900);
  });

  it('the largest possible secret still fits MAX_SECRET_LENGTH, a cookie, and verifies', () => {
    // A 255-byte userId, metadata at its 1 KiB cap (JSON escapes count), the longest address, purpose and key id.
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    const userId = `${'名'.repeat(85)}`;
    expect(Buffer.byteLength(userId)).toBe(255);
    const metadata = { m: '"'.repeat(508) }; // {"m":"\"…"}: 8 + 508 × 2 = 1024 bytes, the cap
    expect(Buffer.byteLength(JSON.stringify(metadata))).toBe(1024);
    const keys = [{ id: 'k'.repeat(32), secret: KEY_A.secret }];
    const c = createMailboxChallenge(
      { email, purpose: 'p'.repeat(32), userId, metadata, codeLength: 10, codeAlphabet: 'base32' },
      { keys, now: clockAt(T0), maxUserIdBytes: 255 },
    );
    expect(c.secret.length).toBe(2266); // measured: 13-digit timestamps, generation 0
    expect(c.secret.length).toBeLessThan(MAX_SECRET_LENGTH);
    expect(c.secret.length).toBeLessThan(4000); // RFC 6265 §6.1: user agents keep at least 4096 bytes per cookie
    const r = verifyMailboxChallenge(
      { challengeId: c.challengeId, secret: c.secret, code: c.code },
      { keys, now: clockAt(T0) },
    );
    expect(r.ok && r.challenge.userId).toBe(userId);
    expect(r.ok && r.challenge.metadata).toEqual(metadata);
  });
});

// Issue 10: a secret's length must not tell whether the person has an account (a userId was given).
describe('length hiding: every userId up to maxUserIdBytes gives the same secret length', () => {
  const lengthWith = (userId: string | undefined, maxUserIdBytes?: number) =>
    createMailboxChallenge(
      { email: 'ada.lovelace@example.com', purpose: 'login', ...(userId !== undefined && { userId }) },
      { keys: KEYS_A, now: clockAt(T0), ...(maxUserIdBytes !== undefined && { maxUserIdBytes }) },
    ).secret.length;
  /** A userId of exactly `bytes` UTF-8 bytes, mixing 1-, 2-, 3- and 4-byte characters. */
  const userIdOf = (bytes: number) => {
    let s = '';
    const units = ['😀', '名', 'é', 'x'];
    let left = bytes;
    for (let i = 0; left > 0; i++) {
      const u = units.find((c) => Buffer.byteLength(c) <= left && (i % 4 === 0 || c === 'x')) ?? 'x';
      s += u;
      left -= Buffer.byteLength(u);
    }
    return s;
  };

  it('default (64 bytes): no userId and every length 1..64, ASCII and mixed, give one length; 65 is refused', () => {
    const none = lengthWith(undefined);
    expect(none).toBe(272);
    for (let n = 1; n <= 64; n++) {
      expect(lengthWith('u'.repeat(n)), `ASCII userId of ${n}`).toBe(none);
      expect(Buffer.byteLength(userIdOf(n))).toBe(n);
      expect(lengthWith(userIdOf(n)), `mixed userId of ${n} bytes`).toBe(none);
    }
    const error = thrown(() => lengthWith('u'.repeat(65)));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.fields).toEqual(['userId']);
    expect(thrown(() => lengthWith(`${'😀'.repeat(16)}x`)).fields).toEqual(['userId']); // 65 bytes, 17 characters
  });

  it('maxUserIdBytes 255: every length 0..255 gives one length; 256 is refused', () => {
    const none = lengthWith(undefined, 255);
    expect(none).toBe(528);
    for (let n = 1; n <= 255; n++) expect(lengthWith(userIdOf(n), 255), `userId of ${n} bytes`).toBe(none);
    expect(thrown(() => lengthWith('u'.repeat(256), 255)).fields).toEqual(['userId']);
  });

  it('maxUserIdBytes 0: the shortest secret, and any userId is refused', () => {
    expect(lengthWith(undefined, 0)).toBe(187);
    expect(thrown(() => lengthWith('1', 0)).fields).toEqual(['userId']);
  });

  it('a larger slot still verifies with any later setting (verify does not read maxUserIdBytes)', () => {
    const c = createMailboxChallenge(
      { email: 'ada@example.com', purpose: 'login', userId: 'u'.repeat(200) },
      { keys: KEYS_A, now: clockAt(T0), maxUserIdBytes: 200 },
    );
    const r = verifyMailboxChallenge(
      { challengeId: c.challengeId, secret: c.secret, code: c.code },
      { keys: KEYS_A, now: clockAt(T0) },
    );
    expect(r.ok && r.challenge.userId).toBe('u'.repeat(200));
  });

  it.each([[-1], [256], [1.5], [Number.NaN], ['64'], [null]])(
    'maxUserIdBytes %j is INVALID_INPUT on maxUserIdBytes',
    (maxUserIdBytes) => {
      const error = thrown(() =>
        createMailboxChallenge(
          { email: 'ada@example.com', purpose: 'login' },
          { keys: KEYS_A, maxUserIdBytes: maxUserIdBytes as number },
        ),
      );
      expect(error.fields).toEqual(['maxUserIdBytes']);
    },
  );

  it('a userId with a lone surrogate (no UTF-8 form) is refused', () => {
    expect(thrown(() => lengthWith('a\uD800b')).fields).toEqual(['userId']);
  });
});
