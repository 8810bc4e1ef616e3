import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMailboxChallenge } from '../../src/create.js';
import { createMailboxFlow } from '../../src/flow/create-flow.js';
import { drawSize } from '../../src/lib/_challenge.js';
import { codeBytesFor, codeFromBytes, normalizeCode } from '../../src/lib/_code.js';
import { discardRandomPool } from '../../src/lib/_random.js';
import type { CodeAlphabet } from '../../src/types.js';
import { verifyMailboxChallenge } from '../../src/verify.js';
import { TEST_POLICY } from '../flow/_setup.js';
import {
  clockAt,
  drawWithCodePool,
  expectFailure,
  KEY_A,
  nextRandom,
  PROPERTY_RUNS,
  secretParts,
  T0,
} from './_helpers.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const KEYS = [KEY_A];
const config = { keys: KEYS, now: clockAt(T0) };

const create = (opts: { codeLength?: number; codeAlphabet?: CodeAlphabet } = {}) =>
  createMailboxChallenge({ email: 'ada@example.com', purpose: 'login', ...opts }, config);

/** A challenge whose code comes from the given pool bytes (see codeFromBytes). */
function createWithPool(pool: number[], opts: { codeLength?: number; codeAlphabet?: CodeAlphabet } = {}) {
  nextRandom(drawWithCodePool(pool));
  return create(opts);
}

const verify = (c: ReturnType<typeof create>, code: unknown) =>
  verifyMailboxChallenge({ challengeId: c.challengeId, secret: c.secret, code } as never, config);

afterEach(() => {
  vi.restoreAllMocks();
  discardRandomPool(); // a test's chosen or seeded bytes never serve the next test's draws
});

describe('codeFromBytes', () => {
  it('digits: byte % 10, rejecting bytes 250..255 (no modulo bias)', () => {
    expect(codeFromBytes('digits', 6, Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))).toBe(
      '012345',
    );
    expect(codeFromBytes('digits', 6, Uint8Array.from([250, 251, 255, 0, 9, 10, 19, 249, 123, 7, 7]))).toBe(
      '090993',
    );
  });

  it('base32: the low 5 bits of each byte, in Crockford order', () => {
    expect(codeFromBytes('base32', 6, Uint8Array.from([0, 1, 16, 17, 30, 31]))).toBe('01GHYZ');
    expect(codeFromBytes('base32', 6, Uint8Array.from([32, 255, 234, 64 + 18, 128 + 27, 96 + 10]))).toBe(
      '0ZAJVA',
    );
  });

  it('returns null when the pool runs out (the caller draws more)', () => {
    expect(codeFromBytes('digits', 6, new Uint8Array(12).fill(250))).toBeNull();
    expect(codeFromBytes('base32', 6, new Uint8Array(5))).toBeNull();
  });

  it('draws 2 bytes per digit and 1 per base32 character', () => {
    expect(codeBytesFor('digits', 6)).toBe(12);
    expect(codeBytesFor('base32', 10)).toBe(10);
  });
});

describe('normalizeCode', () => {
  it.each([
    ['123456', 'digits', 6, '123456'],
    ['012345', 'digits', 6, '012345'],
    [' 123 456 ', 'digits', 6, '123456'],
    ['123-456', 'digits', 6, '123456'],
    ['1-2-3 4-5-6', 'digits', 6, '123456'],
    ['12345678', 'digits', 8, '12345678'],
    ['01ghyz', 'base32', 6, '01GHYZ'],
    ['OIGHYZ', 'base32', 6, '01GHYZ'],
    ['oLghyz', 'base32', 6, '01GHYZ'],
    ['0l-gh yz', 'base32', 6, '01GHYZ'],
    [' 01 GH-YZ ', 'base32', 6, '01GHYZ'],
    ['abcdefghjk', 'base32', 10, 'ABCDEFGHJK'],
  ] as const)('%j (%s, %i) → %j', (input, alphabet, length, expected) => {
    expect(normalizeCode(input, alphabet, length)).toBe(expected);
  });

  it.each([
    ['12345', 'digits', 6],
    ['1234567', 'digits', 6],
    ['12345a', 'digits', 6],
    ['O12345', 'digits', 6], // aliases are for base32 only
    ['12345٦', 'digits', 6], // Arabic-Indic digit six
    ['12345.', 'digits', 6],
    ['ABCDEU', 'base32', 6], // U is not in Crockford's alphabet
    ['ABCDE!', 'base32', 6],
    ['ABCDE', 'base32', 6],
    [`${'1'.repeat(60)}-${'2'.repeat(4)}`, 'digits', 64],
  ] as const)('%j (%s, %i) is not a code', (input, alphabet, length) => {
    expect(normalizeCode(input, alphabet, length)).toBeNull();
  });

  it('refuses input over 64 characters before doing any work', () => {
    expect(normalizeCode(`123456${' '.repeat(59)}`, 'digits', 6)).toBeNull();
    expect(normalizeCode(`123456${' '.repeat(58)}`, 'digits', 6)).toBe('123456');
  });

  // Non-ASCII letters whose upper case is ASCII: 'ß' → 'SS' and 'ﬀ' → 'FF' lengthen the code after its
  // length was checked; 'ı' (dotless i) → 'I' → '1' and 'ſ' (long s) → 'S' turn look-alikes into code
  // characters. None of these is a Crockford character as typed.
  it.each([
    ['ABCDEß', 6],
    ['ıABCDE', 6],
  ])('the non-ASCII %j is not a base32 code', (input, length) => {
    expect(normalizeCode(input, 'base32', length)).toBeNull();
  });

  it('full-width letters fold to ASCII before the base32 checks', () => {
    expect(normalizeCode('ＡBCDEF', 'base32', 6)).toBe('ABCDEF');
    expect(normalizeCode('ａｂｃｄｅｆ', 'base32', 6)).toBe('ABCDEF');
    // Folded, then still refused: U is not in Crockford's alphabet, ！ is not a code character.
    expect(normalizeCode('ＵBCDEF', 'base32', 6)).toBeNull();
    expect(normalizeCode('ABCDE！', 'base32', 6)).toBeNull();
  });
});

describe('codes from createMailboxChallenge', () => {
  it('default: 6 digits', () => {
    for (let i = 0; i < 200; i++) expect(create().code).toMatch(/^[0-9]{6}$/);
  });

  it.each([6, 7, 8, 9, 10])('codeLength %i is respected by both alphabets', (codeLength) => {
    for (let i = 0; i < 100; i++) {
      expect(create({ codeLength }).code).toMatch(new RegExp(`^[0-9]{${codeLength}}$`));
      expect(create({ codeLength, codeAlphabet: 'base32' }).code).toMatch(
        new RegExp(`^[0-9A-HJKMNP-TV-Z]{${codeLength}}$`),
      );
    }
  });

  it('draws challengeId, nonce and code bytes in one piece of a 4 KiB pool, each byte once', () => {
    expect(drawSize({ codeAlphabet: 'digits', codeLength: 6 })).toBe(16 + 24 + 12);
    const draw = drawSize({ codeAlphabet: 'base32', codeLength: 8 });
    expect(draw).toBe(16 + 24 + 8);
    discardRandomPool();
    const spy = vi.spyOn(globalThis.crypto, 'getRandomValues');
    const perPool = Math.floor(4096 / draw);
    const ids = Array.from(
      { length: perPool },
      () => create({ codeLength: 8, codeAlphabet: 'base32' }).challengeId,
    );
    expect(spy).toHaveBeenCalledTimes(1); // one CSPRNG call served them all
    expect((spy.mock.calls[0]![0] as Uint8Array).length).toBe(4096);
    create({ codeLength: 8, codeAlphabet: 'base32' });
    expect(spy).toHaveBeenCalledTimes(2); // the pool ran out and was refilled
    expect(new Set(ids).size).toBe(perPool); // no byte handed out twice
  });

  it('draws again when rejection sampling runs out of bytes, and the code still verifies', () => {
    nextRandom(drawWithCodePool(new Array(12).fill(255))); // every code byte rejected
    nextRandom(Uint8Array.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]));
    const c = create();
    expect(c.code).toBe('314159');
    expect(verify(c, '314159').ok).toBe(true);
  });

  it('chosen bytes give the chosen code (the vector tests rely on it)', () => {
    expect(createWithPool([0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0]).code).toBe('000007');
    expect(createWithPool([0, 1, 16, 17, 30, 31], { codeAlphabet: 'base32' }).code).toBe('01GHYZ');
  });
});

describe('codes as typed back', () => {
  const digits = () => createWithPool([0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0]); // code 012345
  const base32 = () => createWithPool([0, 1, 16, 17, 30, 31], { codeAlphabet: 'base32' }); // code 01GHYZ

  it('keeps the leading zero', () => {
    expect(digits().code).toBe('012345');
  });

  it.each(['012345', ' 012345 ', '012 345', '012-345', '0-1-2-3-4-5', '\t012 345\n'])(
    'digits accept %j',
    (typed) => {
      const r = verify(digits(), typed);
      expect(r.ok).toBe(true);
    },
  );

  it.each([
    '01GHYZ',
    '01ghyz',
    'O1GHYZ',
    'o1ghyz',
    '0IGHYZ',
    '0iGHYZ',
    '0LGHYZ',
    'OlGHYZ',
    '01-GH-YZ',
    ' 01 gh yz ',
    '01GH-yz',
  ])('base32 accepts %j', (typed) => {
    const r = verify(base32(), typed);
    expect(r.ok).toBe(true);
  });

  it.each([
    ['12345', 'digits'],
    ['0123456', 'digits'],
    ['01234a', 'digits'],
    ['O12345', 'digits'],
    ['', 'digits'],
    ['x'.repeat(65), 'digits'],
    ['01GHY', 'base32'],
    ['01GHYZZ', 'base32'],
    ['01GHYU', 'base32'],
    ['01GHY!', 'base32'],
    ['01GHYß', 'base32'], // 6 characters as typed; not a code (see normalizeCode)
  ] as const)('%j for a %s code is INVALID_INPUT on code', (typed, alphabet) => {
    const c = alphabet === 'digits' ? digits() : base32();
    expectFailure(verify(c, typed), 'INVALID_INPUT', ['code']);
  });

  it('a non-ASCII look-alike of the right code is INVALID_INPUT, not accepted', () => {
    // 'ı' (U+0131) upper-cases to 'I', which the alias table turns into '1'.
    expectFailure(verify(base32(), '0ıGHYZ'), 'INVALID_INPUT', ['code']);
  });

  it.each([[123456], [null], [undefined], [['012345']], [{ toString: () => '012345' }]])(
    'a non-string code %j is INVALID_INPUT on code',
    (code) => {
      expectFailure(verify(digits(), code), 'INVALID_INPUT', ['code']);
    },
  );

  it('a well-formed wrong code is INVALID_CODE', () => {
    expectFailure(verify(digits(), '012346'), 'INVALID_CODE');
    expectFailure(verify(base32(), '01GHYY'), 'INVALID_CODE');
  });
});

// ---- Uniformity ----------------------------------------------------------------------------------------
//
// Pearson's chi-square per code position: X² = Σ (observed − expected)² / expected over the alphabet, with
// k − 1 degrees of freedom (k = 10 for digits, 32 for base32). Under uniformity X² exceeds the 0.999
// quantile of χ²(k − 1) with probability 0.001: χ²₀.₉₉₉(9) = 27.877, χ²₀.₉₉₉(31) = 61.098 (standard tables,
// e.g. NIST/SEMATECH e-Handbook §1.3.6.7.4). A modulo-biased digit mapping (b % 10 without rejection) puts
// 26/256 on 0..5 and 25/256 on 6..9: at 100,000 codes its expected X² is ≈ 46 per position, well above.
//
// The bytes come from a fixed ChaCha20 keystream in place of getRandomValues, so the test is reproducible:
// with fresh randomness, 20 tests at p = 0.001 would fail about 2% of runs for no reason. What is under test
// is the mapping from uniform bytes to codes (rejection sampling, masking), through createMailboxChallenge.
const CHI2_CRITICAL_P001 = { 9: 27.877, 31: 61.098 } as const;
const SAMPLES = 100_000;
const LENGTH = 10;

function seededRandom(seed: number) {
  const stream = createCipheriv('chacha20', Buffer.alloc(32, seed), Buffer.alloc(16));
  return <T extends ArrayBufferView | null>(array: T): T => {
    const out = new Uint8Array(array!.buffer, array!.byteOffset, array!.byteLength);
    out.set(stream.update(Buffer.alloc(out.length)));
    return array;
  };
}

function chiSquare(counts: number[], total: number): number {
  const expected = total / counts.length;
  return counts.reduce((sum, o) => sum + (o - expected) ** 2 / expected, 0);
}

function positionCounts(codes: string[], alphabet: string): number[][] {
  const counts = Array.from({ length: LENGTH }, () => new Array<number>(alphabet.length).fill(0));
  for (const code of codes) {
    for (let p = 0; p < LENGTH; p++) counts[p]![alphabet.indexOf(code[p]!)]!++;
  }
  return counts;
}

describe.each([
  ['digits', '0123456789', 9],
  ['base32', CROCKFORD, 31],
] as const)(
  'uniformity of %s codes (chi-square over 100,000 codes of 10 characters)',
  (alphabet, chars, df) => {
    let codes: string[] = [];
    const bytesSeen: number[] = [];

    it('generate through createMailboxChallenge', () => {
      const fill = seededRandom(alphabet === 'digits' ? 1 : 2);
      vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation((array) => {
        fill(array);
        const bytes = array as Uint8Array;
        // Keep the stream's bytes (each call refills the 4 KiB pool) for the power check below.
        if (bytesSeen.length < SAMPLES) for (const b of bytes) bytesSeen.push(b);
        return array;
      });
      codes = Array.from(
        { length: SAMPLES },
        () => create({ codeLength: LENGTH, codeAlphabet: alphabet }).code,
      );
      expect(codes).toHaveLength(SAMPLES);
      expect(new Set(codes.join(''))).toEqual(new Set(chars));
    });

    it.each(Array.from({ length: LENGTH }, (_, p) => p))(`position %i: X² < χ²₀.₉₉₉(${df})`, (p) => {
      const counts = positionCounts(codes, chars)[p]!;
      expect(counts.reduce((a, b) => a + b)).toBe(SAMPLES);
      expect(chiSquare(counts, SAMPLES)).toBeLessThan(CHI2_CRITICAL_P001[df]);
    });

    if (alphabet === 'digits') {
      it('the test has power: 100,000 of the same bytes mapped by naive b % 10 fail it', () => {
        const naive = new Array<number>(10).fill(0);
        for (const b of bytesSeen.slice(0, SAMPLES)) naive[b % 10]!++;
        expect(chiSquare(naive, SAMPLES)).toBeGreaterThan(CHI2_CRITICAL_P001[9]);
      });
    }
  },
);

describe('100,000 challenges from the platform CSPRNG', () => {
  const ids = new Set<string>();
  const nonces = new Set<string>();
  let leadingZeros = 0;

  it('create them', () => {
    for (let i = 0; i < SAMPLES; i++) {
      const c = create();
      ids.add(c.challengeId);
      // The nonce: the first 24 bytes of the base64url-decoded third part of the secret.
      nonces.add(secretParts(c.secret).nonce.toString('hex'));
      if (c.code[0] === '0') leadingZeros++;
    }
  });

  it('no challengeId repeats', () => {
    expect(ids.size).toBe(SAMPLES);
  });

  it('no nonce repeats', () => {
    expect(nonces.size).toBe(SAMPLES);
  });

  it('codes keep their leading zeros (about 1 in 10 starts with 0)', () => {
    // Binomial(100,000, 0.1): mean 10,000, sd ≈ 95; the bounds are more than 10 sd away.
    expect(leadingZeros).toBeGreaterThan(9_000);
    expect(leadingZeros).toBeLessThan(11_000);
  });
});

// Issue 10: codes as real keyboards, phones and mail clients produce them.
describe('normalizeCode: input as people type and paste it', () => {
  it.each([
    ['９３２５４６', 'digits', '932546'], // full-width digits from a CJK keyboard
    ['１ＢＭＦＰ６', 'base32', '1BMFP6'], // full-width Latin letters
    ['１ｂｍｆｐ６', 'base32', '1BMFP6'],
    ['９３２－５４６', 'digits', '932546'], // full-width hyphen-minus U+FF0D
    ['９３２\u3000５４６', 'digits', '932546'], // ideographic space
    ['123\u200B456', 'digits', '123456'], // zero-width space
    ['123\u200C456', 'digits', '123456'], // zero-width non-joiner
    ['123\u200D456', 'digits', '123456'], // zero-width joiner
    ['123\u2060456', 'digits', '123456'], // word joiner
    ['\uFEFF123456', 'digits', '123456'], // a BOM in front
    ['123\u00AD456', 'digits', '123456'], // soft hyphen
    ['123\u2013456', 'digits', '123456'], // en dash
    ['123\u2014456', 'digits', '123456'], // em dash
    ['123\u2212456', 'digits', '123456'], // minus sign
    ['123\u2010456', 'digits', '123456'], // hyphen
    ['123\u2011456', 'digits', '123456'], // non-breaking hyphen
    ['123\u00A0456', 'digits', '123456'], // no-break space
    ['123\u202F456', 'digits', '123456'], // narrow no-break space
    ['123\u2009456', 'digits', '123456'], // thin space
    ['1\u200B2\u00AD3\u20134\u00A05\u202F6', 'digits', '123456'], // all at once
    ['ABC\u2013DEF', 'base32', 'ABCDEF'],
    ['ｏｉｌ\u2009ABC', 'base32', '011ABC'], // full-width, then Crockford's aliases
  ] as const)('%j (%s) → %j', (input, alphabet, expected) => {
    expect(normalizeCode(input, alphabet, 6)).toBe(expected);
  });

  it.each([
    ['123\u2026456', 'horizontal ellipsis'],
    ['123_456', 'underscore'],
    ['123.456', 'full stop'],
    ['123\uFF0E456', 'full-width full stop (folds to ".")'],
    ['123\u30FC456', 'katakana prolonged sound mark'],
    ['123\u0661456', 'Arabic-Indic digit one'],
    ['123\u0966456', 'Devanagari digit zero'],
    ['12\u2460456', 'circled digit one'],
    ['123\u00B9456', 'superscript one'],
    ['123\u200E456', 'left-to-right mark'],
    ['123\u202E456', 'right-to-left override'],
    ['123\u0301456', 'combining acute accent'],
    ['123\uFE63456', 'small hyphen-minus'],
    ['１２３４５６７', 'seven full-width digits for a 6-digit code'],
  ])('%j (%s) is refused', (input) => {
    expect(normalizeCode(input, 'digits', 6)).toBeNull();
  });
});

const SEPARATOR_CHARS = [
  ' ',
  '-',
  '\t',
  '\u00A0',
  '\u00AD',
  '\u180E',
  '\u2009',
  '\u200B',
  '\u200C',
  '\u200D',
  '\u2010',
  '\u2011',
  '\u2012',
  '\u2013',
  '\u2014',
  '\u202F',
  '\u2060',
  '\u2212',
  '\u3000',
  '\uFEFF',
  '\uFF0D', // full-width hyphen-minus, folded to "-"
];
const toFullWidth = (c: string) => String.fromCharCode(c.charCodeAt(0) + 0xfee0);

/** A code re-typed: any character may be full-width, and separators may sit between characters. */
const retyped = (code: string) =>
  fc
    .tuple(
      fc.array(fc.boolean(), { minLength: code.length, maxLength: code.length }),
      fc.array(fc.array(fc.constantFrom(...SEPARATOR_CHARS), { maxLength: 2 }), {
        minLength: code.length + 1,
        maxLength: code.length + 1,
      }),
      fc.array(fc.boolean(), { minLength: code.length, maxLength: code.length }),
    )
    .map(
      ([wide, gaps, lower]) =>
        gaps[0]!.join('') +
        [...code]
          .map((c, i) => {
            const cased = lower[i] ? c.toLowerCase() : c;
            return (wide[i] ? toFullWidth(cased) : cased) + gaps[i + 1]!.join('');
          })
          .join(''),
    );

describe('property: any re-typed code verifies; any other character is refused without an attempt', () => {
  const flowKeys = [KEY_A];

  it.each(['digits', 'base32'] as const)('%s: re-typed forms verify (pure layer)', (codeAlphabet) => {
    const c = create({ codeAlphabet });
    fc.assert(
      fc.property(retyped(c.code), (typed) => {
        expect(verify(c, typed)).toMatchObject({ ok: true });
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('digits: a foreign character anywhere is INVALID_INPUT on code, and costs no attempt in the flow', async () => {
    // OutgoingMail.code where the flow provides it; otherwise the 6 digits of the text part.
    const sent: { code?: string; text: string }[] = [];
    const flow = createMailboxFlow({
      keys: flowKeys,
      appName: 'Acme',
      sender: { send: async (m) => void sent.push(m as { code?: string; text: string }) },
      now: clockAt(T0),
      policy: TEST_POLICY,
    });
    const started = await flow.start({ email: 'ada@example.com', purpose: 'login' });
    if (!started.ok) throw started.error;
    const code = sent[0]!.code ?? /\b\d{6}\b/.exec(sent[0]!.text)![0];
    const allowed = new Set([...SEPARATOR_CHARS, ...'0123456789', ...'０１２３４５６７８９']);
    const foreign = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 1 })
      .filter((ch) => !allowed.has(ch) && !/\s/.test(ch));
    await fc.assert(
      fc.asyncProperty(retyped(code), foreign, fc.nat(), async (typed, ch, at) => {
        const chars = [...typed];
        chars.splice(at % (chars.length + 1), 0, ch);
        const r = await flow.verify({
          challengeId: started.challengeId,
          secret: started.secret,
          code: chars.join(''),
          purpose: 'login',
        });
        expectFailure(r, 'INVALID_INPUT', ['code']);
      }),
      { numRuns: PROPERTY_RUNS },
    );
    // None of those counted: the first wrong code leaves 4 of the default 5.
    const wrong = await flow.verify({
      challengeId: started.challengeId,
      secret: started.secret,
      code: code === '000000' ? '111111' : '000000',
      purpose: 'login',
    });
    expect(expectFailure(wrong, 'INVALID_CODE').attemptsRemaining).toBe(4);
    const ok = await flow.verify({
      challengeId: started.challengeId,
      secret: started.secret,
      code: `${code.slice(0, 3)}\u2013${code.slice(3)}`,
      purpose: 'login',
    });
    expect(ok.ok).toBe(true);
  });
});
