// The sealed challenge: `v1.<keyId>.<base64url(nonce ‖ ciphertext ‖ tag)>`, XChaCha20-Poly1305.
// Associated data binds version, key id and challengeId, so a secret only opens with its own challengeId.
import { open, seal } from './_aead.js';
import { concatBytes, fromBase64url, fromUtf8, toBase64url, utf8 } from './_bytes.js';
import type { CodeAlphabet } from './_code.js';
import type { JsonObject } from './_json.js';
import { mac, type ResolvedKey, type ResolvedKeys } from './_keys.js';

export const VERSION = 'v1';
export const NONCE_BYTES = 24;
export const CHALLENGE_ID_BYTES = 16;
const TAG_BYTES = 16;
const CODE_TAG_BYTES = 16;
export const MAX_SECRET_LENGTH = 4096;
export const CHALLENGE_ID = /^[A-Za-z0-9_-]{22}$/;

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
  codeTag: string;
}

/** HMAC-SHA256(codeKey, challengeId ‖ 0x00 ‖ code), truncated to 128 bits. */
export const codeTagBytes = (key: ResolvedKey, challengeId: string, code: string): Uint8Array =>
  mac(key.codeMac, utf8(`${challengeId}\0${code}`)).subarray(0, CODE_TAG_BYTES);

export const codeTag = (key: ResolvedKey, challengeId: string, code: string): string =>
  toBase64url(codeTagBytes(key, challengeId, code));

const associatedData = (keyId: string, challengeId: string) => utf8(`${VERSION}.${keyId}.${challengeId}`);

// Compact positional encoding keeps the secret small enough for a cookie.
type Packed = [
  string,
  string,
  string | null,
  JsonObject | null,
  number,
  number,
  number,
  'd' | 'b',
  number,
  string,
];

// The secret's length must not tell whether the host passed a userId (account enumeration through a
// cookie's size): pad with JSON whitespace as if the userId took at least USER_ID_SLOT bytes, then to a
// multiple of PAD_TO. UserIds up to 38 bytes (UUIDs, cuids, numbers) leave the length unchanged.
const USER_ID_SLOT = 40;
const PAD_TO = 32;
function padded(json: Uint8Array, userId: string | null): Uint8Array {
  const userIdBytes = userId === null ? 4 : utf8(JSON.stringify(userId)).length;
  const target =
    Math.ceil((json.length - userIdBytes + Math.max(userIdBytes, USER_ID_SLOT)) / PAD_TO) * PAD_TO;
  const out = new Uint8Array(target).fill(0x20);
  out.set(json);
  return out;
}

export function sealChallenge(
  key: ResolvedKey,
  challengeId: string,
  nonce: Uint8Array,
  p: ChallengePayload,
): string {
  const packed: Packed = [
    p.email,
    p.purpose,
    p.userId,
    p.metadata,
    p.createdAt,
    p.expiresAt,
    p.generation,
    p.alphabet === 'base32' ? 'b' : 'd',
    p.codeLength,
    p.codeTag,
  ];
  const sealed = seal(
    key.sealKey,
    nonce,
    associatedData(key.id, challengeId),
    padded(utf8(JSON.stringify(packed)), p.userId),
  );
  return `${VERSION}.${key.id}.${toBase64url(concatBytes(nonce, sealed))}`;
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
  const dot = secret.indexOf('.', VERSION.length + 1);
  if (!secret.startsWith(`${VERSION}.`) || dot < 0) return null;
  const key = keys.byId.get(secret.slice(VERSION.length + 1, dot));
  if (!key) return null;
  const body = fromBase64url(secret.slice(dot + 1)); // a further '.' is not base64url: rejected here
  if (!body || body.length < NONCE_BYTES + TAG_BYTES + 2) return null;
  const plain = open(
    key.sealKey,
    body.subarray(0, NONCE_BYTES),
    associatedData(key.id, challengeId),
    body.subarray(NONCE_BYTES),
  );
  if (!plain) return null;
  let packed: Packed;
  try {
    packed = JSON.parse(fromUtf8(plain)) as Packed;
  } catch {
    return null;
  }
  if (!Array.isArray(packed) || packed.length !== 10) return null;
  const [email, purpose, userId, metadata, createdAt, expiresAt, generation, alphabet, codeLength, tag] =
    packed;
  return {
    key,
    payload: {
      email,
      purpose,
      userId,
      metadata,
      createdAt,
      expiresAt,
      generation,
      alphabet: alphabet === 'b' ? 'base32' : 'digits',
      codeLength,
      codeTag: tag,
    },
  };
}
