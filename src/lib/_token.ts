// The sealed challenge: `v2.<keyId>.<base64url(nonce ‖ ciphertext ‖ tag)>`, XChaCha20-Poly1305.
// Associated data binds version, key id and challengeId, so a secret only opens with its own challengeId.
// `v1` secrets (issued before userId length hiding) still open; new ones are always `v2`.
// test/vectors/README.md documents both plaintext layouts byte for byte.
import type { CodeAlphabet, JsonObject } from '../types.js';
import { open, seal } from './_aead.js';
import { fromBase64urlScratch, fromUtf8, toBase64url, Utf8Buffer, utf8Into } from './_bytes.js';
import { mac, type ResolvedKey, type ResolvedKeys } from './_keys.js';

const VERSION = 'v2';
export const NONCE_BYTES = 24;
export const CHALLENGE_ID_BYTES = 16;
const TAG_BYTES = 16;
const CODE_TAG_BYTES = 16;
export const MAX_SECRET_LENGTH = 4096;
const CHALLENGE_ID = /^[A-Za-z0-9_-]{22}$/;
/** The userId slot: every userId up to this many UTF-8 bytes gives a secret of the same length. */
export const DEFAULT_MAX_USER_ID_BYTES = 64;
/** The slot's length is one byte in the plaintext. */
export const MAX_USER_ID_BYTES = 255;
const PAD_TO = 32;

/** What the secret carries. The code is present only as a keyed tag. */
export interface ChallengePayload {
  email: string;
  purpose: string;
  userId: string | null;
  metadata: JsonObject | null;
  createdAt: number;
  expiresAt: number;
  /** 0 from the pure layer; the flow's resend generation (1, 2, ...) otherwise. */
  generation: number;
  alphabet: CodeAlphabet;
  codeLength: number;
  /** v2: the code itself, canonical. It exists only inside the ciphertext. */
  code?: string;
  /** v1 only: HMAC-SHA256(codeKey, challengeId ‖ 0x00 ‖ code), first 16 bytes, base64url. */
  codeTag?: string;
}

/** v1's code tag: HMAC-SHA256(codeKey, challengeId ‖ 0x00 ‖ code), truncated to 128 bits. */
export const codeTagBytes = (key: ResolvedKey, challengeId: string, code: string): Uint8Array =>
  mac(key.codeMac, `${challengeId}\0${code}`).subarray(0, CODE_TAG_BYTES);

// Associated data in a module buffer, for the reason in toBase64url: node:crypto's setAAD (and noble) would
// move a fresh small array out of V8's heap. Read by the seal or open in the same call.
const aadBuffer = new Utf8Buffer();
const associatedData = (version: string, keyId: string, challengeId: string): Uint8Array =>
  aadBuffer.write(`${version}.${keyId}.${challengeId}`);

// One buffer for every seal: nonce ‖ plaintext, then ciphertext (sealed in place) ‖ tag. Sealing runs to
// completion synchronously, so one serves every call. A new ArrayBuffer over 64 bytes lives outside V8's heap,
// and allocating and freeing one costs 1.5-2.5 us on a loaded two-core machine (`node bench/core.mjs`): the
// three a seal used to make cost more than the packing itself. After a seal it holds only ciphertext.
let sealScratch = new Uint8Array(1024);

/**
 * v2 plaintext, written into sealScratch from `at`; returns its length. `len(userId)` (one byte; 0: none) ‖
 * userId (UTF-8) ‖ JSON `[email, purpose, metadata, createdAt, expiresAt, generation, "d"|"b", codeLength,
 * code]` ‖ spaces, up to a multiple of 32 bytes counted as if the userId took all `userIdSlotBytes`: the
 * length does not say whether, or which, userId the host gave (account enumeration through a cookie's size).
 * The caller checks the userId fits the slot.
 */
function packV2(p: ChallengePayload, userIdSlotBytes: number, at: number): number {
  const json = JSON.stringify([
    p.email,
    p.purpose,
    p.metadata,
    p.createdAt,
    p.expiresAt,
    p.generation,
    p.alphabet === 'base32' ? 'b' : 'd',
    p.codeLength,
    p.code,
  ]);
  const userIdChars = p.userId === null ? 0 : p.userId.length;
  // Room for the worst case (3 UTF-8 bytes per UTF-16 unit), the padding and the tag.
  const room = at + 1 + Math.max(userIdSlotBytes, 3 * userIdChars) + 3 * json.length + PAD_TO + TAG_BYTES;
  if (room > sealScratch.length) sealScratch = new Uint8Array(2 * room);
  const out = sealScratch;
  const userIdBytes = p.userId === null ? 0 : utf8Into(p.userId, out, at + 1);
  out[at] = userIdBytes;
  const jsonBytes = utf8Into(json, out, at + 1 + userIdBytes);
  const end = at + 1 + userIdBytes + jsonBytes;
  const size = Math.ceil((1 + userIdSlotBytes + jsonBytes) / PAD_TO) * PAD_TO;
  if (end > at + size) throw new RangeError('the userId is longer than its slot'); // callers check first
  out.fill(0x20, end, at + size);
  return size;
}

/** Seals a payload; `userIdSlotBytes` is the host's longest userId (see `maxUserIdBytes`). */
export function sealChallenge(
  key: ResolvedKey,
  challengeId: string,
  nonce: Uint8Array,
  p: ChallengePayload,
  userIdSlotBytes: number = DEFAULT_MAX_USER_ID_BYTES,
): string {
  const size = packV2(p, userIdSlotBytes, NONCE_BYTES);
  const body = sealScratch.subarray(0, NONCE_BYTES + size + TAG_BYTES);
  body.set(nonce);
  try {
    seal(
      key.sealKey,
      body.subarray(0, NONCE_BYTES), // the nonce's copy in the body: a view of a buffer outside the heap
      associatedData(VERSION, key.id, challengeId),
      body.subarray(NONCE_BYTES, NONCE_BYTES + size),
      body.subarray(NONCE_BYTES),
    );
  } catch (error) {
    body.fill(0); // never leave a plaintext (with its code) behind in the shared buffer
    throw error;
  }
  return `${VERSION}.${key.id}.${toBase64url(body)}`;
}

export interface OpenedChallenge {
  key: ResolvedKey;
  payload: ChallengePayload;
}

/**
 * Opens a secret for a challengeId. Every failure (type, format, version, unknown key, tampered bytes,
 * another challengeId) returns null: callers report one INVALID_CHALLENGE, so there is no oracle.
 */
export function openChallenge(
  keys: ResolvedKeys,
  challengeId: unknown,
  secret: unknown,
): OpenedChallenge | null {
  if (typeof challengeId !== 'string' || !CHALLENGE_ID.test(challengeId)) return null;
  if (typeof secret !== 'string' || secret.length > MAX_SECRET_LENGTH) return null;
  const version = secret.slice(0, 3);
  if (version !== 'v2.' && version !== 'v1.') return null;
  const dot = secret.indexOf('.', 3);
  if (dot < 0) return null;
  const key = keys.byId.get(secret.slice(3, dot));
  if (!key) return null;
  // A further '.' is not base64url: rejected here. The body is only read within this call.
  const body = fromBase64urlScratch(secret.slice(dot + 1));
  if (!body || body.length < NONCE_BYTES + TAG_BYTES + 2) return null;
  const plain = open(
    key.sealKey,
    body.subarray(0, NONCE_BYTES),
    associatedData(version.slice(0, 2), key.id, challengeId),
    body.subarray(NONCE_BYTES),
    true, // `body` is this call's own (a scratch, or a fresh decode)
  );
  if (!plain) return null;
  // Authenticated from here on: only a holder of the key made these bytes. The checks guard against a
  // format mix-up, not against an attacker.
  const payload = version === 'v2.' ? unpackV2(plain) : unpackV1(plain);
  plain.fill(0); // it holds the code: read, then wiped rather than left for the collector
  return payload && { key, payload };
}

const payloadOf = (
  [email, purpose, metadata, createdAt, expiresAt, generation, alphabet, codeLength, last]: unknown[],
  userId: unknown,
  lastIs: 'code' | 'codeTag',
) =>
  ({
    email,
    purpose,
    userId,
    metadata,
    createdAt,
    expiresAt,
    generation,
    alphabet: alphabet === 'b' ? 'base32' : 'digits',
    codeLength,
    [lastIs]: last,
  }) as ChallengePayload;

function unpackV2(plain: Uint8Array): ChallengePayload | null {
  const n = plain[0]!;
  if (1 + n > plain.length) return null;
  try {
    const userId = n === 0 ? null : fromUtf8(plain.subarray(1, 1 + n));
    const fields: unknown = JSON.parse(fromUtf8(plain.subarray(1 + n)));
    return Array.isArray(fields) && fields.length === 9 ? payloadOf(fields, userId, 'code') : null;
  } catch {
    return null;
  }
}

/** v1: JSON `[email, purpose, userId, metadata, createdAt, …, codeTag]`, then spaces. */
function unpackV1(plain: Uint8Array): ChallengePayload | null {
  try {
    const fields: unknown = JSON.parse(fromUtf8(plain));
    if (!Array.isArray(fields) || fields.length !== 10) return null;
    const [email, purpose, userId, ...rest] = fields;
    return payloadOf([email, purpose, ...rest], userId, 'codeTag');
  } catch {
    return null;
  }
}
