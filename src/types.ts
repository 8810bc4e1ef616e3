// The public data shapes the core and the flow share. Files whose names start with `_` are internal; every
// type a host sees is defined here or in a public module (create, verify, keys, errors, adapters, flow).

/** A JSON value as metadata may hold it. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
/** Metadata: a small plain-JSON object (at most 1,024 bytes serialised), sealed inside the secret. */
export type JsonObject = { [key: string]: JsonValue };

/** `digits` (0-9) or `base32` (Crockford: no I, L, O or U). */
export type CodeAlphabet = 'digits' | 'base32';

/** One key: an id (written into every secret it seals) and base64url of at least 32 random bytes. */
export type MailboxKey = { id: string; secret: string };
/** Keys in order: `keys[0]` seals new challenges; every listed key verifies (rotation). */
export type MailboxKeys = readonly MailboxKey[];

/** The readable part of a challenge, as returned on create and on a successful verify. */
export interface MailboxChallenge {
  challengeId: string;
  purpose: string;
  /** The address as given: trimmed, with a Unicode domain in its IDNA ASCII (`xn--`) form. */
  email: string;
  userId: string | null;
  metadata: JsonObject | null;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds; the challenge verifies strictly before this instant. */
  expiresAt: number;
}

/** What a verify request may carry; every field is untrusted. */
export interface VerifyInput {
  challengeId: string;
  secret: string;
  code: string;
  /** Expected purpose: CHALLENGE_MISMATCH when it differs. */
  purpose?: string;
  /** Expected address (compared case-insensitively): CHALLENGE_MISMATCH when it differs. */
  email?: string;
  /** Expected user id (`null`: expect none): CHALLENGE_MISMATCH when it differs. */
  userId?: string | null;
}
