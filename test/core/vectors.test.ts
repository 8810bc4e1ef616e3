import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMailboxChallenge } from '../../src/create.js';
import { type ChallengeSpec, draftChallenge, sealDraft } from '../../src/lib/_challenge.js';
import { resolveKeys } from '../../src/lib/_keys.js';
import { verifyMailboxChallenge } from '../../src/verify.js';
import { expectFailure, nextRandom } from './_helpers.js';
import {
  hchacha20,
  independentCodeTag,
  independentOpen,
  subkey,
  unpackV2,
  xchachaOpen,
} from './_independent.js';

interface Vector {
  name: string;
  about: string;
  spec: ChallengeSpec;
  generation: number;
  now: number;
  random: string;
  expected: {
    challengeId: string;
    nonce: string;
    code: string;
    codeTag: string;
    createdAt: number;
    expiresAt: number;
    /** v1: the UTF-8 text; v2: hex (binary length prefix, then text). */
    plaintext: string;
    userIdSlotBytes?: number;
    secret: string;
  };
}

type VectorFile = { key: { id: string; secret: string }; sealKey: string; cases: Vector[] };
const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8')) as VectorFile;
const file = load('v1.json');
const v2 = load('v2.json');
const KEY = file.key;
const KEYS = [KEY];

afterEach(() => {
  vi.restoreAllMocks();
});

/** Every vector, whatever its version, keeps verifying inside its lifetime (with its inputs), and expires. */
function expectVerifiesInsideItsLifetime(v: Vector) {
  const input = { challengeId: v.expected.challengeId, secret: v.expected.secret, code: v.expected.code };
  expect(verifyMailboxChallenge(input, { keys: KEYS, now: () => v.now + 1000 })).toEqual({
    ok: true,
    challenge: {
      challengeId: v.expected.challengeId,
      purpose: v.spec.purpose,
      email: v.spec.email,
      userId: v.spec.userId,
      metadata: v.spec.metadata,
      createdAt: v.now,
      expiresAt: v.now + v.spec.ttlSeconds * 1000,
    },
  });
  expectFailure(
    verifyMailboxChallenge(input, { keys: KEYS, now: () => v.expected.expiresAt }),
    'CHALLENGE_EXPIRED',
  );
}

describe('the independent opener itself', () => {
  it('HChaCha20 matches draft-irtf-cfrg-xchacha-03 §2.2.1', () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const input = Buffer.from('000000090000004a0000000031415927', 'hex');
    expect(hchacha20(key, input).toString('hex')).toBe(
      '82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc',
    );
  });

  it('XChaCha20-Poly1305 decrypts draft-irtf-cfrg-xchacha-03 §A.3.1', () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => 0x80 + i));
    const nonce = Buffer.from(Array.from({ length: 24 }, (_, i) => 0x40 + i));
    const aad = Buffer.from('50515253c0c1c2c3c4c5c6c7', 'hex');
    const sealed = Buffer.from(
      'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
        'c0875924c1c7987947deafd8780acf49', // the Poly1305 tag
      'hex',
    );
    expect(xchachaOpen(key, nonce, aad, sealed).toString()).toBe(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    sealed[0]! ^= 1;
    expect(() => xchachaOpen(key, nonce, aad, sealed)).toThrow();
  });
});

describe('test/vectors/v1.json', () => {
  it('holds several cases: both alphabets, with and without userId and metadata, several code lengths', () => {
    const cases = file.cases;
    expect(cases.length).toBeGreaterThanOrEqual(5);
    expect(new Set(cases.map((c) => c.spec.codeAlphabet))).toEqual(new Set(['digits', 'base32']));
    expect(cases.some((c) => c.spec.userId === null) && cases.some((c) => c.spec.userId !== null)).toBe(true);
    expect(cases.some((c) => c.spec.metadata === null) && cases.some((c) => c.spec.metadata !== null)).toBe(
      true,
    );
    expect(new Set(cases.map((c) => c.spec.codeLength)).size).toBeGreaterThanOrEqual(3);
  });

  it('key 0x00..0x1f; its seal subkey is HKDF-SHA256(key, salt "mailbox-challenge/v1", info "seal")', () => {
    expect(Buffer.from(KEY.secret, 'base64url')).toEqual(
      Buffer.from(Array.from({ length: 32 }, (_, i) => i)),
    );
    expect(subkey(KEY.secret, 'seal').toString('hex')).toBe(file.sealKey);
    expect(Buffer.from(resolveKeys(KEYS).primary.sealKey).toString('hex')).toBe(file.sealKey);
  });
});

// Independent re-derivation of the code from the drawn bytes, as documented in src/lib/_code.ts.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function expectedCode(pool: Buffer, alphabet: string, length: number): string {
  const chars =
    alphabet === 'base32'
      ? [...pool].map((b) => CROCKFORD[b & 31]) // 256 = 8 × 32: the low 5 bits are uniform
      : [...pool].filter((b) => b < 250).map((b) => String(b % 10)); // 250 = 25 × 10: reject 250..255
  return chars.slice(0, length).join('');
}

/** The documented plaintext: the JSON array, then spaces up to a 32-byte step (userId counted as ≥ 40). */
function expectedPlaintext(v: Vector): string {
  const { spec } = v;
  const json = JSON.stringify([
    spec.email,
    spec.purpose,
    spec.userId,
    spec.metadata,
    v.now,
    v.now + spec.ttlSeconds * 1000,
    v.generation,
    spec.codeAlphabet === 'base32' ? 'b' : 'd',
    spec.codeLength,
    independentCodeTag(KEY, v.expected.challengeId, v.expected.code),
  ]);
  const bytes = Buffer.byteLength(json);
  const userIdBytes = Buffer.byteLength(JSON.stringify(spec.userId));
  const padded = Math.ceil((bytes - userIdBytes + Math.max(userIdBytes, 40)) / 32) * 32;
  return json + ' '.repeat(padded - bytes);
}

describe.each(file.cases.map((v) => [v.name, v] as const))('v1 vector %s', (_name, v) => {
  const random = Buffer.from(v.random, 'hex');

  // v1 secrets are no longer made (new ones are v2), only opened: every v1 vector must keep verifying.
  it('verifyMailboxChallenge accepts it inside its lifetime and returns the inputs', () => {
    expectVerifiesInsideItsLifetime(v);
  });

  it('the challengeId, nonce and code come from the drawn bytes as documented', () => {
    expect(random.subarray(0, 16).toString('base64url')).toBe(v.expected.challengeId);
    expect(random.subarray(16, 40).toString('hex')).toBe(v.expected.nonce);
    expect(expectedCode(random.subarray(40), v.spec.codeAlphabet, v.spec.codeLength)).toBe(v.expected.code);
  });

  it('opens WITHOUT the library (node:crypto + HChaCha20) to exactly the documented plaintext', () => {
    const [version, keyId, body] = v.expected.secret.split('.');
    expect(version).toBe('v1');
    expect(keyId).toBe(KEY.id);
    expect(Buffer.from(body!, 'base64url').toString('base64url')).toBe(body); // canonical base64url

    const { nonce, plaintext } = independentOpen(v.expected.secret, KEY, v.expected.challengeId);
    expect(nonce.toString('hex')).toBe(v.expected.nonce);
    expect(plaintext).toBe(v.expected.plaintext);
    expect(plaintext).toBe(expectedPlaintext(v));
    expect(Buffer.byteLength(plaintext) % 32).toBe(0);
    expect(Buffer.from(body!, 'base64url').length).toBe(24 + Buffer.byteLength(plaintext) + 16);

    // [email, purpose, userId, metadata, createdAt, expiresAt, generation, alphabet, codeLength, codeTag]
    expect(JSON.parse(plaintext)).toEqual([
      v.spec.email,
      v.spec.purpose,
      v.spec.userId,
      v.spec.metadata,
      v.expected.createdAt,
      v.expected.expiresAt,
      v.generation,
      v.spec.codeAlphabet === 'base32' ? 'b' : 'd',
      v.spec.codeLength,
      // HMAC-SHA256(HKDF(info "code"), challengeId ‖ 0x00 ‖ code), first 16 bytes, base64url.
      independentCodeTag(KEY, v.expected.challengeId, v.expected.code),
    ]);
    expect(independentCodeTag(KEY, v.expected.challengeId, v.expected.code)).toBe(v.expected.codeTag);
    // The code itself is nowhere in the plaintext.
    expect(plaintext).not.toContain(`"${v.expected.code}"`);
  });

  it('the associated data binds the challengeId and the key id (checked without the library)', () => {
    const other = `${v.expected.challengeId.slice(0, -1)}${v.expected.challengeId.endsWith('A') ? 'B' : 'A'}`;
    expect(() => independentOpen(v.expected.secret, KEY, other)).toThrow();
    const bytes = Buffer.from(v.expected.secret.split('.')[2]!, 'base64url');
    expect(() =>
      xchachaOpen(
        subkey(KEY.secret, 'seal'),
        bytes.subarray(0, 24),
        `v1.other.${v.expected.challengeId}`,
        bytes.subarray(24),
      ),
    ).toThrow();
  });
});

/** The documented v2 plaintext, rebuilt from the inputs: see test/vectors/README.md. */
function expectedV2Plaintext(v: Vector): Buffer {
  const { spec } = v;
  const userId = Buffer.from(spec.userId ?? '', 'utf8');
  const json = Buffer.from(
    JSON.stringify([
      spec.email,
      spec.purpose,
      spec.metadata,
      v.now,
      v.now + spec.ttlSeconds * 1000,
      v.generation,
      spec.codeAlphabet === 'base32' ? 'b' : 'd',
      spec.codeLength,
      v.expected.code, // sealed as it is: only inside the ciphertext
    ]),
  );
  const slot = spec.maxUserIdBytes ?? 64;
  const size = Math.ceil((1 + slot + json.length) / 32) * 32;
  const out = Buffer.alloc(size, 0x20);
  out[0] = userId.length;
  userId.copy(out, 1);
  json.copy(out, 1 + userId.length);
  return out;
}

describe('test/vectors/v2.json', () => {
  it('uses the v1 key and subkeys, and covers both alphabets, userId slots 0, 64, 128 and 255', () => {
    expect(v2.key).toEqual(file.key);
    expect(v2.sealKey).toBe(file.sealKey);
    expect(new Set(v2.cases.map((c) => c.spec.codeAlphabet))).toEqual(new Set(['digits', 'base32']));
    expect(new Set(v2.cases.map((c) => c.expected.userIdSlotBytes))).toEqual(new Set([0, 64, 128, 255]));
  });
});

describe.each(v2.cases.map((v) => [v.name, v] as const))('v2 vector %s', (_name, v) => {
  const random = Buffer.from(v.random, 'hex');
  const config = { keys: KEYS, maxUserIdBytes: v.spec.maxUserIdBytes };

  it('the library recomputes exactly the same challengeId, code, tag and secret', () => {
    const key = resolveKeys(KEYS).primary;
    const draft = draftChallenge(v.spec, key, v.now, new Uint8Array(random), v.generation);
    expect(draft.challengeId).toBe(v.expected.challengeId);
    expect(draft.code).toBe(v.expected.code);
    expect(draft.payload.code).toBe(v.expected.code);
    expect(draft.userIdSlotBytes).toBe(v.expected.userIdSlotBytes);
    expect(sealDraft(key, draft)).toBe(v.expected.secret);
  });

  it.runIf(v.generation === 0)(
    'createMailboxChallenge gives the same secret when the CSPRNG returns these bytes',
    () => {
      nextRandom(random);
      const { maxUserIdBytes: _, ...input } = v.spec;
      const c = createMailboxChallenge(input, { ...config, now: () => v.now });
      expect(c.secret).toBe(v.expected.secret);
      expect(c.code).toBe(v.expected.code);
    },
  );

  it('verifyMailboxChallenge accepts it inside its lifetime and returns the inputs', () => {
    expectVerifiesInsideItsLifetime(v);
  });

  it('opens WITHOUT the library to exactly the documented plaintext', () => {
    const [version, keyId, body] = v.expected.secret.split('.');
    expect(version).toBe('v2');
    expect(keyId).toBe(KEY.id);
    expect(Buffer.from(body!, 'base64url').toString('base64url')).toBe(body);
    const { nonce, bytes } = independentOpen(v.expected.secret, KEY, v.expected.challengeId);
    expect(nonce.toString('hex')).toBe(v.expected.nonce);
    expect(bytes.toString('hex')).toBe(v.expected.plaintext);
    expect(bytes.toString('hex')).toBe(expectedV2Plaintext(v).toString('hex'));
    expect(bytes.length % 32).toBe(0);
    const unpacked = unpackV2(bytes);
    expect(unpacked.userId).toBe(v.spec.userId);
    expect(unpacked.fields[8]).toBe(v.expected.code);
    expect(v.expected.secret).not.toContain(v.expected.code);
    // The same key and challengeId under the v1 label do not open it: the version is authenticated.
    expect(() =>
      xchachaOpen(
        subkey(KEY.secret, 'seal'),
        nonce,
        `v1.${KEY.id}.${v.expected.challengeId}`,
        Buffer.from(body!, 'base64url').subarray(24),
      ),
    ).toThrow();
  });

  it('relabelled as v1 it is INVALID_CHALLENGE', () => {
    const input = {
      challengeId: v.expected.challengeId,
      secret: v.expected.secret.replace(/^v2\./, 'v1.'),
      code: v.expected.code,
    };
    expectFailure(verifyMailboxChallenge(input, { keys: KEYS, now: () => v.now }), 'INVALID_CHALLENGE');
  });
});

describe('on the pure path (what edge runtimes and browsers use)', () => {
  it('every v2 vector recomputes, and every v1 and v2 vector verifies, with MAILBOX_CHALLENGE_PURE=1', async () => {
    vi.stubEnv('MAILBOX_CHALLENGE_PURE', '1');
    vi.resetModules();
    try {
      const aead = await import('../../src/lib/_aead.js');
      expect(aead.implementations.native).toBeUndefined();
      expect(aead.activeImplementation()).toBe(aead.implementations.pure);
      const challenge = await import('../../src/lib/_challenge.js');
      const keys = await import('../../src/lib/_keys.js');
      const { verifyMailboxChallenge: verifyPure } = await import('../../src/verify.js');
      const key = keys.resolveKeys([{ ...KEY }]).primary;
      for (const v of v2.cases) {
        const random = new Uint8Array(Buffer.from(v.random, 'hex'));
        const draft = challenge.draftChallenge(v.spec, key, v.now, random, v.generation);
        expect(challenge.sealDraft(key, draft)).toBe(v.expected.secret);
      }
      for (const v of [...file.cases, ...v2.cases]) {
        const input = {
          challengeId: v.expected.challengeId,
          secret: v.expected.secret,
          code: v.expected.code,
        };
        expect(verifyPure(input, { keys: [{ ...KEY }], now: () => v.now }).ok).toBe(true);
      }
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
