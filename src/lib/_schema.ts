// Input validation, once, where input enters. Every failure is INVALID_INPUT naming the fields.
import * as z from 'zod';
import { invalidInput, MailboxChallengeError } from '../errors.js';
import { parseEmail } from './_address.js';
import { serializeMetadata } from './_json.js';
import { DEFAULT_MAX_USER_ID_BYTES, MAX_USER_ID_BYTES } from './_token.js';

export const PURPOSE = /^[a-z0-9](?:[a-z0-9_-]{0,31})$/;
// Printable text without control characters (C0, DEL, C1) or line/paragraph separators.
const NO_CONTROL = /^[^\p{Cc}\u2028\u2029]*$/u;
// Invisible characters that change how a header reads without showing: bidi controls (ALM, LRM, RLM,
// embeddings, overrides, isolates), which can reverse a subject or a sender's name ("Acme" shown, "emcA"
// stored), and zero-width characters (ZWSP, ZWNJ, ZWJ, word joiner, invisible operators, BOM, soft hyphen,
// Mongolian vowel separator), which make two names that look equal compare different.
const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

/** True when `text` may reach a mail header: one line, no control, bidi or zero-width character, not blank. */
export const isHeaderText = (text: string): boolean =>
  NO_CONTROL.test(text) && !INVISIBLE.test(text) && text.trim() !== '';

export const LIMITS = {
  ttlSeconds: { min: 30, max: 86_400 },
  codeLength: { min: 6, max: 10 },
  /** UTF-16 units: a quick bound before the UTF-8 byte limit (`maxUserIdBytes`, at most 255). */
  userIdLength: 255,
} as const;

export const emailField = z.string().refine((v) => parseEmail(v) !== null, 'not an acceptable email address');
export const purposeField = z
  .string()
  .regex(PURPOSE, 'purpose is 1-32 of a-z, 0-9, "_" or "-", e.g. "login"');
// No lone surrogate: it has no UTF-8 form, so the userId returned on verify would differ from the one given.
const USER_ID = /^[^\p{Cc}\p{Cs}\u2028\u2029]*$/u;
export const userIdField = z
  .string()
  .min(1)
  .max(LIMITS.userIdLength)
  .regex(USER_ID, 'no control characters or lone surrogates')
  .nullish();
export const metadataField = z
  .custom<Record<string, unknown>>(
    (v) => serializeMetadata(v) !== null,
    'metadata must be a JSON object under 1 KiB',
  )
  .nullish();
export const ttlField = z.number().int().min(LIMITS.ttlSeconds.min).max(LIMITS.ttlSeconds.max);
export const codeLengthField = z.number().int().min(LIMITS.codeLength.min).max(LIMITS.codeLength.max);
export const codeAlphabetField = z.enum(['digits', 'base32']);
/** One line of text without control characters (a rendered subject, an address as typed). */
export const textField = (max: number) =>
  z.string().min(1).max(max).regex(NO_CONTROL, 'no control characters');
/**
 * Host text that reaches a mail header (appName, a sender's name, extra header values): one line, not
 * blank, no bidi control and no zero-width character. See {@link isHeaderText}.
 */
export const headerTextField = (max: number, what = 'text') =>
  z
    .string()
    .max(max)
    .refine(
      isHeaderText,
      `${what} must be 1-${max} characters on one line, without bidi controls or zero-width characters`,
    );

/** Parses with a schema, turning a zod failure into INVALID_INPUT with every failing field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what = 'input'): z.output<T> {
  let result: z.ZodSafeParseResult<z.output<T>>;
  try {
    result = schema.safeParse(input) as z.ZodSafeParseResult<z.output<T>>;
  } catch (cause) {
    // A hostile value (a Proxy whose traps throw) must still surface as a typed error.
    throw new MailboxChallengeError('INVALID_INPUT', `Invalid ${what}`, { fields: [what], cause });
  }
  if (result.success) return result.data;
  // An unknown key is named by itself (e.g. `ttl`), not by the object holding it.
  const fields = [
    ...new Set(
      result.error.issues.flatMap((i) => {
        const base = i.path.map(String);
        if (i.code === 'unrecognized_keys') return i.keys.map((k) => [...base, k].join('.'));
        return [base.length ? base.join('.') : what];
      }),
    ),
  ];
  const detail = result.error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : what}: ${i.message}`)
    .slice(0, 5)
    .join('; ');
  throw invalidInput(fields, `Invalid ${what}: ${detail}`);
}

/** Reads `maxUserIdBytes` from a configuration: an integer 0-255, default 64. */
export function readMaxUserIdBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_USER_ID_BYTES;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_USER_ID_BYTES) {
    throw invalidInput(
      ['maxUserIdBytes'],
      `maxUserIdBytes must be an integer from 0 to ${MAX_USER_ID_BYTES}`,
    );
  }
  return value as number;
}

/** Reads an injected clock; a broken clock is a configuration error. */
export function readClock(now: (() => number) | undefined): number {
  const t = now ? now() : Date.now();
  if (!Number.isSafeInteger(t) || t < 0) throw invalidInput(['now'], 'now() must return epoch milliseconds');
  return t;
}
