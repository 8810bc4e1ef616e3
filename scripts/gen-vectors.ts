// Writes test/vectors/v2.json: known-answer vectors for the v2 secret format (the one new secrets use).
// Run with `npx tsx scripts/gen-vectors.ts`. Fixed key, fixed random bytes, fixed clock: the output only
// changes when the format does, and then test/core/vectors.test.ts fails until the file is regenerated
// (and the change is a new format version, since secrets already issued must keep opening).
// test/vectors/v1.json is frozen: v1 secrets can no longer be made, only opened.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { type ChallengeSpec, draftChallenge, drawSize, sealDraft } from '../src/lib/_challenge.js';
import { resolveKeys } from '../src/lib/_keys.js';

const OUT = new URL('../test/vectors/v2.json', import.meta.url);

// 32 bytes 0x00..0x1f, the key of RFC 8439 §2.8.2 and draft-irtf-cfrg-xchacha-03 §A.3.1.
const KEY = {
  id: 'test-2026',
  secret: Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64url'),
};
const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00.000Z

/** `length` bytes counting up from `start` (mod 256). */
const seq = (start: number, length: number) => Array.from({ length }, (_, i) => (start + i) & 255);

interface Case {
  name: string;
  about: string;
  spec: ChallengeSpec;
  generation?: number;
  now: number;
  /** Bytes for the code, after the 16 challengeId bytes and the 24 nonce bytes. */
  codePool: number[];
}

const CASES: Case[] = [
  {
    name: 'digits-6-minimal',
    about: 'defaults: 6 digits, 10 minutes, no userId, no metadata',
    spec: {
      email: 'ada@example.com',
      purpose: 'login',
      userId: null,
      metadata: null,
      ttlSeconds: 600,
      codeLength: 6,
      codeAlphabet: 'digits',
    },
    now: T0,
    codePool: [0, 11, 22, 33, 44, 55, 66, 77, 88, 99, 110, 121], // code 012345: the leading zero is kept
  },
  {
    name: 'digits-8-userId',
    about: 'a mixed-case address with a +tag (kept as typed), a UUID userId (36 of the 64-byte slot)',
    spec: {
      email: 'Ada.Lovelace+signup@Example.COM',
      purpose: 'signup',
      userId: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
      metadata: null,
      ttlSeconds: 900,
      codeLength: 8,
      codeAlphabet: 'digits',
    },
    now: T0 + 1_000,
    codePool: seq(0x30, 16),
  },
  {
    name: 'base32-6-metadata',
    about: 'Crockford base32, nested metadata, an apostrophe in the address',
    spec: {
      email: "o'neil@mail.example.ie",
      purpose: 'email-change',
      userId: 'u_42',
      metadata: { newEmail: 'grace.h@example.net', nested: { n: 1.5, ok: true, list: [1, 'two', null] } },
      ttlSeconds: 3600,
      codeLength: 6,
      codeAlphabet: 'base32',
    },
    now: T0 + 2_000,
    codePool: [0, 1, 16, 17, 30, 31], // code 01GHYZ
  },
  {
    name: 'base32-10-high-bytes',
    about: 'base32 from bytes >= 0x80: only the low 5 bits count; a punycode domain; a 24 h lifetime',
    spec: {
      email: 'ada@xn--bcher-kva.de',
      purpose: 'login',
      userId: null,
      metadata: { locale: 'fr-CA' },
      ttlSeconds: 86_400,
      codeLength: 10,
      codeAlphabet: 'base32',
    },
    now: T0 + 3_000,
    codePool: seq(0xf0, 10),
  },
  {
    name: 'digits-10-rejection',
    about:
      'bytes 250..255 are skipped (rejection sampling); non-ASCII and JSON escapes in userId and metadata',
    spec: {
      email: 'zoe@example.org',
      purpose: 'login',
      userId: 'Zoë 😀 名前',
      metadata: { note: 'line\nbreak "quoted" back\\slash', emoji: '😀', n: -12.25e-3 },
      ttlSeconds: 30,
      codeLength: 10,
      codeAlphabet: 'digits',
    },
    now: T0 + 4_000,
    codePool: [250, 9, 251, 255, 8, 7, 252, 6, 253, 5, 4, 254, 3, 2, 1, 0, 249, 248, 247, 246],
  },
  {
    name: 'digits-7-long-userId-generation-3',
    about:
      'a 100-byte userId in a 128-byte slot (maxUserIdBytes 128) and resend generation 3 (from the flow)',
    spec: {
      email: 'a.very.long.local.part.for.testing@sub.domain.example.com',
      purpose: 'sign-in_2',
      userId: 'user:'.repeat(20),
      metadata: null,
      ttlSeconds: 600,
      codeLength: 7,
      codeAlphabet: 'digits',
      maxUserIdBytes: 128,
    },
    generation: 3,
    now: T0 + 5_000,
    codePool: seq(100, 14),
  },
  {
    name: 'digits-6-userId-fills-slot',
    about: 'a userId of exactly 64 bytes (the default slot): the secret is as long as with no userId',
    spec: {
      email: 'ada@example.com',
      purpose: 'login',
      userId: `${'x'.repeat(60)}😀`,
      metadata: null,
      ttlSeconds: 600,
      codeLength: 6,
      codeAlphabet: 'digits',
    },
    now: T0 + 6_000,
    codePool: seq(40, 12),
  },
  {
    name: 'digits-6-slot-255',
    about: 'the largest slot (maxUserIdBytes 255), filled',
    spec: {
      email: 'ada@example.com',
      purpose: 'signup',
      userId: `${'é'.repeat(127)}z`,
      metadata: null,
      ttlSeconds: 600,
      codeLength: 6,
      codeAlphabet: 'digits',
      maxUserIdBytes: 255,
    },
    now: T0 + 7_000,
    codePool: seq(50, 12),
  },
  {
    name: 'base32-8-no-slot',
    about: 'maxUserIdBytes 0: a host without user ids gets the shortest secret',
    spec: {
      email: 'grace@example.com',
      purpose: 'login',
      userId: null,
      metadata: null,
      ttlSeconds: 600,
      codeLength: 8,
      codeAlphabet: 'base32',
      maxUserIdBytes: 0,
    },
    now: T0 + 8_000,
    codePool: seq(60, 8),
  },
];

const key = resolveKeys([KEY]).primary;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const cases = CASES.map((c, index) => {
  const random = Uint8Array.from([...seq(0x10 * (index + 1), 16), ...seq(0x80 + index, 24), ...c.codePool]);
  if (random.length !== drawSize(c.spec))
    throw new Error(`${c.name}: ${random.length} != ${drawSize(c.spec)}`);
  const draft = draftChallenge(c.spec, key, c.now, random, c.generation ?? 0);
  const secret = sealDraft(key, draft);
  // The plaintext, for other implementations: opened here with @noble/ciphers directly.
  const body = Buffer.from(secret.split('.')[2]!, 'base64url');
  const plaintext = xchacha20poly1305(
    key.sealKey,
    body.subarray(0, 24),
    Buffer.from(`v2.${KEY.id}.${draft.challengeId}`),
  ).decrypt(body.subarray(24));
  return {
    name: c.name,
    about: c.about,
    spec: c.spec,
    generation: c.generation ?? 0,
    now: c.now,
    random: hex(random),
    expected: {
      challengeId: draft.challengeId,
      nonce: hex(draft.nonce),
      code: draft.code,
      createdAt: draft.payload.createdAt,
      expiresAt: draft.payload.expiresAt,
      userIdSlotBytes: draft.userIdSlotBytes,
      plaintext: hex(plaintext),
      secret,
    },
  };
});

const file = {
  about:
    'Known-answer vectors for mailbox-challenge v2 secrets. See README.md. Generated by scripts/gen-vectors.ts.',
  key: KEY,
  hkdf: { hash: 'SHA-256', salt: 'mailbox-challenge/v1', info: { seal: 'seal', code: 'code' }, length: 32 },
  sealKey: hex(key.sealKey),
  cases,
};

writeFileSync(OUT, `${JSON.stringify(file, null, 2)}\n`);
// Format as the repository's `biome check` expects, so regenerating leaves no lint diff.
execFileSync('npx', ['biome', 'format', '--write', fileURLToPath(OUT)], { stdio: 'ignore' });
console.log(`wrote ${cases.length} vectors to ${fileURLToPath(OUT)}`);
