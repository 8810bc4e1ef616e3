// Shared fixtures for the core suite: fixed keys, a frozen clock, arbitraries of valid input, and
// small assertions that check the error class and `code`, not only that something failed.
import fc from 'fast-check';
import { expect, vi } from 'vitest';
import { MailboxChallengeError, type MailboxChallengeErrorCode } from '../../src/errors.js';
import { discardRandomPool } from '../../src/lib/_random.js';
import type { JsonObject } from '../../src/types.js';

export const CI = process.env.CI === 'true';
/**
 * `MAILBOX_CHALLENGE_PURE=1 npm test` runs the suite on the pure path, as edge runtimes do. The native path
 * is off then, so the tests that compare it with the pure one skip.
 */
export const PURE_MODE = process.env.MAILBOX_CHALLENGE_PURE === '1';
/** Property runs: the issue asks for at least 10,000 in CI; fewer locally keeps the suite fast. */
export const HOSTILE_RUNS = CI ? 10_000 : 1_000;
export const PROPERTY_RUNS = CI ? 1_000 : 200;

/** 32 bytes 0x00..0x1f and 0x20..0x3f, base64url: fixed keys so failures are reproducible. */
export const KEY_A = {
  id: 'a',
  secret: Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64url'),
};
export const KEY_B = {
  id: 'b',
  secret: Buffer.from(Array.from({ length: 32 }, (_, i) => 32 + i)).toString('base64url'),
};

/** 2026-01-01T00:00:00.000Z */
export const T0 = 1_767_225_600_000;
export const clockAt = (t: number) => () => t;

/** Runs `fn` expecting it to throw a MailboxChallengeError, and returns that error. */
export function thrown(fn: () => unknown): MailboxChallengeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MailboxChallengeError);
    return error as MailboxChallengeError;
  }
  throw new Error('expected a MailboxChallengeError, but nothing was thrown');
}

/** Asserts a `{ ok: false }` result with the given code (and fields, when given). */
export function expectFailure(
  result: { ok: boolean; error?: unknown },
  code: MailboxChallengeErrorCode,
  fields?: readonly string[],
): MailboxChallengeError {
  expect(result.ok).toBe(false);
  const error = (result as { error: MailboxChallengeError }).error;
  expect(error).toBeInstanceOf(MailboxChallengeError);
  expect(error.code).toBe(code);
  if (fields) expect(error.fields).toEqual(fields);
  return error;
}

let queued: number[] = [];

/**
 * Chooses the bytes of the next draws: empties the library's random pool so that it refills with one
 * `getRandomValues` call, which starts with every sequence queued by `nextRandom` in order (the rest of the
 * pool stays random). Lets a test choose the challengeId, nonce and code, and a retry's bytes after them.
 */
export function nextRandom(bytes: Uint8Array): void {
  if (queued.length === 0) {
    discardRandomPool();
    const real = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
    vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementationOnce(
      <T extends ArrayBufferView | null>(array: T): T => {
        const out = new Uint8Array(array!.buffer, array!.byteOffset, array!.byteLength);
        real(out);
        out.set(queued.slice(0, out.length));
        queued = [];
        return array;
      },
    );
  }
  queued.push(...bytes);
}

/** The bytes one create draws for a chosen code pool: 16 id bytes, 24 nonce bytes, then the pool. */
export const drawWithCodePool = (pool: number[], seed = 7): Uint8Array =>
  Uint8Array.from([...Array.from({ length: 40 }, (_, i) => (seed * 31 + i * 7) & 255), ...pool]);

/** Parts of a secret, decoded with node's own base64url (independent of the library's decoder). */
export function secretParts(secret: string) {
  const [version, keyId, body] = secret.split('.') as [string, string, string];
  const bytes = Buffer.from(body, 'base64url');
  return { version, keyId, body, bytes, nonce: bytes.subarray(0, 24) };
}

// ---- Arbitraries of VALID input, per src/lib/_address.ts and src/lib/_schema.ts ----

const atom = fc.stringMatching(/^[A-Za-z0-9_+'-]{1,12}$/);
const localPart = fc
  .array(atom, { minLength: 1, maxLength: 5 })
  .map((atoms) => atoms.join('.'))
  .filter((l) => l.length <= 64);
const label = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,14}[A-Za-z0-9])?$/);
const tld = fc.oneof(
  fc.stringMatching(/^[A-Za-z]{2,10}$/),
  fc.stringMatching(/^xn--[a-z0-9]{1,8}$/), // internationalised TLDs in their ASCII (punycode) form
);
const domain = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), tld)
  .map(([labels, top]) => [...labels, top].join('.'));
const blank = fc.stringMatching(/^[ \t]{0,3}$/);

/** A valid address, maybe padded with spaces/tabs: `typed` is what is passed, `address` the trimmed form. */
export const emailArb = fc
  .tuple(blank, localPart, domain, blank)
  .map(([before, local, dom, after]) => ({
    typed: `${before}${local}@${dom}${after}`,
    address: `${local}@${dom}`,
  }))
  .filter(({ address }) => address.length <= 254);

export const purposeArb = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,31}$/);

// Printable text without C0/DEL/C1 controls, U+2028/U+2029 or lone surrogates (the schema's rule), within
// the default maxUserIdBytes of 64 UTF-8 bytes.
const USER_ID = /^[^\p{Cc}\p{Cs}\u2028\u2029]*$/u;
export const userIdArb = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 64 })
  .filter((s) => s.length >= 1 && Buffer.byteLength(s) <= 64 && USER_ID.test(s));

const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');
export const metadataArb: fc.Arbitrary<JsonObject> = fc
  .dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), {
    maxKeys: 6,
    noNullPrototype: true,
  })
  .filter(
    (m) => jsonBytes(m) <= 1024 && !/"(?:__proto__|constructor|prototype)":/.test(JSON.stringify(m)),
  ) as fc.Arbitrary<JsonObject>;

/** What JSON can carry: what verify returns for a metadata object (e.g. -0 comes back as 0). */
export const jsonImage = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
