// The pieces createMailboxChallenge, verifyMailboxChallenge and the flow share.

import { invalidInput, MailboxChallengeError } from '../errors.js';
import type { CodeAlphabet, JsonObject, MailboxChallenge } from '../types.js';
import { parseEmail } from './_address.js';
import { equalBytes, fromBase64url, toBase64url, utf8 } from './_bytes.js';
import { codeBytesFor, codeFromBytes, normalizeCode } from './_code.js';
import type { ResolvedKey, ResolvedKeys } from './_keys.js';
import { randomBytes } from './_random.js';
import {
  CHALLENGE_ID_BYTES,
  type ChallengePayload,
  codeTagBytes,
  DEFAULT_MAX_USER_ID_BYTES,
  NONCE_BYTES,
  type OpenedChallenge,
  openChallenge,
  sealChallenge,
} from './_token.js';

export const DEFAULTS = {
  ttlSeconds: 600,
  codeLength: 6,
  codeAlphabet: 'digits' as CodeAlphabet,
  maxUserIdBytes: DEFAULT_MAX_USER_ID_BYTES,
} as const;

export interface ChallengeSpec {
  email: string;
  purpose: string;
  userId: string | null;
  metadata: JsonObject | null;
  ttlSeconds: number;
  codeLength: number;
  codeAlphabet: CodeAlphabet;
  /**
   * The host's longest userId in UTF-8 bytes (0-255, default 64): every secret is as long as one carrying a
   * userId of this length. A longer userId is INVALID_INPUT (check it with {@link userIdProblem} first).
   */
  maxUserIdBytes?: number;
}

export interface Draft {
  challengeId: string;
  nonce: Uint8Array;
  code: string;
  payload: ChallengePayload;
  /** The userId slot the secret is padded to (the spec's maxUserIdBytes). */
  userIdSlotBytes: number;
}

/**
 * Why a userId does not fit `maxUserIdBytes`, or null when it does. Hosts of the flow call it before
 * reserving anything; {@link draftChallenge} checks again and throws.
 */
export function userIdProblem(userId: string | null, maxUserIdBytes: number): string | null {
  if (userId === null) return null;
  const bytes = utf8(userId).length;
  return bytes <= maxUserIdBytes
    ? null
    : `userId is ${bytes} bytes of UTF-8; the longest allowed (maxUserIdBytes) is ${maxUserIdBytes}`;
}

/** Bytes one create draws in a single CSPRNG call: challengeId, nonce and code together. */
export const drawSize = (spec: Pick<ChallengeSpec, 'codeAlphabet' | 'codeLength'>): number =>
  CHALLENGE_ID_BYTES + NONCE_BYTES + codeBytesFor(spec.codeAlphabet, spec.codeLength);

/** Builds a challenge from the given random bytes (tests pass fixed bytes for known-answer vectors). */
export function draftChallenge(
  spec: ChallengeSpec,
  // Unused since v2 seals the code itself; kept so callers need not change.
  _key: ResolvedKey,
  now: number,
  random: Uint8Array,
  generation = 0,
): Draft {
  const userIdSlotBytes = spec.maxUserIdBytes ?? DEFAULTS.maxUserIdBytes;
  const tooLong = userIdProblem(spec.userId, userIdSlotBytes);
  if (tooLong) throw invalidInput(['userId'], tooLong);
  // Ranges and copies, no subarray: `random` is small enough to live in V8's heap (see toBase64url).
  const challengeId = toBase64url(random, 0, CHALLENGE_ID_BYTES);
  const nonce = random.slice(CHALLENGE_ID_BYTES, CHALLENGE_ID_BYTES + NONCE_BYTES);
  let code = codeFromBytes(spec.codeAlphabet, spec.codeLength, random, CHALLENGE_ID_BYTES + NONCE_BYTES);
  while (code === null) {
    // Rejection sampling ran out of bytes (vanishingly rare): draw a fresh pool.
    const pool = randomBytes(codeBytesFor(spec.codeAlphabet, spec.codeLength));
    code = codeFromBytes(spec.codeAlphabet, spec.codeLength, pool);
  }
  const payload: ChallengePayload = {
    email: spec.email,
    purpose: spec.purpose,
    userId: spec.userId,
    metadata: spec.metadata,
    createdAt: now,
    expiresAt: now + spec.ttlSeconds * 1000,
    generation,
    alphabet: spec.codeAlphabet,
    codeLength: spec.codeLength,
    code,
  };
  return { challengeId, nonce, code, payload, userIdSlotBytes };
}

export const sealDraft = (key: ResolvedKey, d: Draft): string =>
  sealChallenge(key, d.challengeId, d.nonce, d.payload, d.userIdSlotBytes);

export function publicChallenge(challengeId: string, p: ChallengePayload): MailboxChallenge {
  return {
    challengeId,
    purpose: p.purpose,
    email: p.email,
    userId: p.userId,
    metadata: p.metadata,
    createdAt: p.createdAt,
    expiresAt: p.expiresAt,
  };
}

export type Inspected =
  | { ok: true; challengeId: string; opened: OpenedChallenge; code: string }
  | { ok: false; error: MailboxChallengeError };

const fail = (error: MailboxChallengeError) => ({ ok: false as const, error });

/**
 * Everything about a verify request that needs no store: the secret opens for this challengeId, the
 * challenge is unexpired, expectations match, and the code is well-formed. The code itself is compared
 * separately ({@link codeMatches}) so the flow can reserve an attempt first.
 */
export function inspect(input: unknown, keys: ResolvedKeys, now: number): Inspected {
  if (typeof input !== 'object' || input === null)
    return fail(new MailboxChallengeError('INVALID_CHALLENGE'));
  const { challengeId, secret, code, purpose, email, userId } = input as Record<string, unknown>;
  const opened = openChallenge(keys, challengeId, secret);
  if (!opened) return fail(new MailboxChallengeError('INVALID_CHALLENGE'));
  const p = opened.payload;
  const optionalText = (v: unknown) => v === undefined || typeof v === 'string';
  const badTypes: string[] = [];
  if (typeof code !== 'string') badTypes.push('code');
  if (!optionalText(purpose)) badTypes.push('purpose');
  if (!optionalText(email)) badTypes.push('email');
  if (!optionalText(userId) && userId !== null) badTypes.push('userId'); // null: expect no userId
  if (badTypes.length) return fail(invalidInput(badTypes));
  if (now >= p.expiresAt) return fail(new MailboxChallengeError('CHALLENGE_EXPIRED'));
  const mismatched: string[] = [];
  if (purpose !== undefined && purpose !== p.purpose) mismatched.push('purpose');
  if (email !== undefined && parseEmail(email)?.normalized !== p.email.toLowerCase())
    mismatched.push('email');
  if (userId !== undefined && userId !== p.userId) mismatched.push('userId');
  if (mismatched.length) {
    return fail(
      new MailboxChallengeError(
        'CHALLENGE_MISMATCH',
        `Challenge ${mismatched.join(', ')} differs from the expected`,
        {
          fields: mismatched,
        },
      ),
    );
  }
  const normalized = normalizeCode(code as string, p.alphabet, p.codeLength);
  if (normalized === null) {
    const what = p.alphabet === 'digits' ? `${p.codeLength} digits` : `${p.codeLength} characters`;
    return fail(invalidInput(['code'], `The code is ${what}`));
  }
  return { ok: true, challengeId: challengeId as string, opened, code: normalized };
}

/** Constant time in the characters compared: both are canonical ASCII codes; their length is public. */
function equalCodes(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Constant-time comparison of the typed code (canonical) with the sealed one: v2 seals the code itself
 * inside the ciphertext; v1 sealed its keyed tag.
 */
export function codeMatches(i: Extract<Inspected, { ok: true }>): boolean {
  const p = i.opened.payload;
  if (typeof p.code === 'string') return equalCodes(i.code, p.code);
  const expected = typeof p.codeTag === 'string' ? fromBase64url(p.codeTag) : null;
  return expected !== null && equalBytes(codeTagBytes(i.opened.key, i.challengeId, i.code), expected);
}
