// Input validation, once, where input enters. Every failure is INVALID_INPUT naming the fields.
import * as z from 'zod/mini';
import { invalidInput, MailboxChallengeError } from '../errors.js';
import { parseEmail } from './_address.js';
import { serializeMetadata } from './_json.js';
import { lazyRegExp, lazy as lazySchema } from './_lazy.js';
import { DEFAULT_MAX_USER_ID_BYTES, MAX_USER_ID_BYTES } from './_token.js';

const PURPOSE = /^[a-z0-9](?:[a-z0-9_-]{0,31})$/;
// Printable text without control characters (C0, DEL, C1) or line/paragraph separators.
const NO_CONTROL = lazyRegExp(String.raw`^[^\p{Cc}\u2028\u2029]*$`, 'u');
// Invisible characters that change how a header reads without showing: bidi controls (ALM, LRM, RLM,
// embeddings, overrides, isolates), which can reverse a subject or a sender's name ("Acme" shown, "emcA"
// stored), and zero-width characters (ZWSP, ZWNJ, ZWJ, word joiner, invisible operators, BOM, soft hyphen,
// Mongolian vowel separator), which make two names that look equal compare different.
const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

/** True when `text` may reach a mail header: one line, no control, bidi or zero-width character, not blank. */
export const isHeaderText = (text: string): boolean =>
  NO_CONTROL().test(text) && !INVISIBLE.test(text) && text.trim() !== '';

export { lazySchema };

const LIMITS = {
  ttlSeconds: { min: 30, max: 86_400 },
  codeLength: { min: 6, max: 10 },
  /** UTF-16 units: a quick bound before the UTF-8 byte limit (`maxUserIdBytes`, at most 255). */
  userIdLength: 255,
} as const;

export const emailField = lazySchema(() =>
  z.string().check(z.refine((v) => parseEmail(v) !== null, 'not an acceptable email address')),
);
export const purposeField = lazySchema(() =>
  z.string().check(z.regex(PURPOSE, 'purpose is 1-32 of a-z, 0-9, "_" or "-", e.g. "login"')),
);
// No lone surrogate: it has no UTF-8 form, so the userId returned on verify would differ from the one given.
const USER_ID = lazyRegExp(String.raw`^[^\p{Cc}\p{Cs}\u2028\u2029]*$`, 'u');
export const userIdField = lazySchema(() =>
  z.nullish(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(LIMITS.userIdLength),
        z.regex(USER_ID(), 'no control characters or lone surrogates'),
      ),
  ),
);
export const metadataField = lazySchema(() =>
  z.nullish(
    z.custom<Record<string, unknown>>(
      (v) => serializeMetadata(v) !== null,
      'metadata must be a JSON object under 1 KiB',
    ),
  ),
);
// intField and oneOf stand in for z.int() and z.enum(): those two, z.record, z.partial and z.function made up
// 2.7 kB gzip of the core entry's zod (issue 11), for checks this small.
/** An integer from `min` to `max`, inclusive. */
export const intField = (min: number, max: number) =>
  z.number().check(z.refine(Number.isInteger, 'expected an integer'), z.minimum(min), z.maximum(max));
/** Exactly one of `values`. */
export const oneOf = <const T extends readonly string[]>(values: T) =>
  z.custom<T[number]>(
    (v) => values.includes(v as string),
    `expected ${values.map((v) => JSON.stringify(v)).join(' or ')}`,
  );
export const ttlField = lazySchema(() => intField(LIMITS.ttlSeconds.min, LIMITS.ttlSeconds.max));
export const codeLengthField = lazySchema(() => intField(LIMITS.codeLength.min, LIMITS.codeLength.max));
export const codeAlphabetField = lazySchema(() => oneOf(['digits', 'base32']));
/** One line of text without control characters (a rendered subject, an address as typed). */
export const textField = (max: number) =>
  z.string().check(z.minLength(1), z.maxLength(max), z.regex(NO_CONTROL(), 'no control characters'));
/**
 * Host text that reaches a mail header (appName, a sender's name, extra header values): one line, not
 * blank, no bidi control and no zero-width character. See {@link isHeaderText}.
 */
export const headerTextField = (max: number, what = 'text') =>
  z
    .string()
    .check(
      z.maxLength(max),
      z.refine(
        isHeaderText,
        `${what} must be 1-${max} characters on one line, without bidi controls or zero-width characters`,
      ),
    );

// zod/mini carries no messages of its own. Ours are given per parse (not through the global z.config, which
// would change the messages of a host's own zod), worded for the few checks our schemas use; zod's English
// pack (1.1 kB gzip of the core entry, issue 11) words dozens we never make. Checks with a message keep it.
const received = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const unit = (origin: unknown) => (origin === 'string' ? ' characters' : origin === 'array' ? ' items' : '');
const inEnglish: z.core.ParseContext<z.core.$ZodIssue> = {
  error: (issue) => {
    switch (issue.code) {
      case 'invalid_type':
        return `expected ${issue.expected}, received ${received(issue.input)}`;
      case 'too_big':
        return `${issue.inclusive ? 'at most' : 'under'} ${issue.maximum}${unit(issue.origin)}`;
      case 'too_small':
        return `${issue.inclusive ? 'at least' : 'over'} ${issue.minimum}${unit(issue.origin)}`;
      case 'invalid_format':
        return issue.format === 'regex' ? `must match ${issue.pattern}` : `not a valid ${issue.format}`;
      case 'unrecognized_keys':
        return `unknown key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
      case 'invalid_value':
        return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
      default:
        return 'invalid input';
    }
  },
};

/**
 * `schema.safeParse` with English messages for the checks that carry none of their own. Valid input is
 * parsed without them: zod/mini parses several times slower when given a context (measured 6 -> 26 us
 * for the flow's start input), and messages are only read on a failure, which parses again to word them.
 */
export function safeParse<T extends z.ZodMiniType>(schema: T, input: unknown) {
  const result = schema.safeParse(input);
  return result.success ? result : schema.safeParse(input, inEnglish);
}

/** Parses with a schema, turning a zod failure into INVALID_INPUT with every failing field. */
export function parseInput<T extends z.ZodMiniType>(schema: T, input: unknown, what = 'input'): z.output<T> {
  let result: ReturnType<typeof safeParse<T>>;
  try {
    result = safeParse(schema, input);
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

// Fast paths. zod/mini takes 2-4 µs to parse create's input or a message's options, about as long as sealing
// the challenge; hot inputs are first checked by hand against the same rules (the same regexes and limits,
// declared once above). A fast path only ever accepts, returning what the schema would: anything it does not
// accept goes to the schema, which decides and words every error. Tests hold each fast path to its schema
// with generated inputs (test/core/quick-input.test.ts, test/email/quick-options.test.ts).

/** What a fast-path parser returns for a value it does not accept. */
export const FAIL: unique symbol = /* @__PURE__ */ Symbol('fail');
/** A value's parsed form, or {@link FAIL}. */
export type QuickParse = (value: unknown) => unknown;
type Obj = Record<string, unknown>;

export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A strict object the way zod parses one: every declared key read once (an absent optional key left out,
 * an explicit `undefined` kept, a required one refused), and no other enumerable key, own or inherited.
 */
export function quickStrictObject(
  shape: Readonly<Record<string, QuickParse>>,
  required: readonly string[] = [],
): QuickParse {
  const keys = Object.keys(shape);
  const known = new Set(keys);
  const mandatory = new Set(required);
  return (v) => {
    if (!isObject(v)) return FAIL;
    for (const key in v) if (!known.has(key)) return FAIL;
    const out: Obj = {};
    for (const key of keys) {
      const value = v[key];
      if (value === undefined) {
        if (mandatory.has(key)) return FAIL;
        if (key in v) out[key] = undefined;
        continue;
      }
      const parsed = shape[key]!(value);
      if (parsed === FAIL) return FAIL;
      out[key] = parsed;
    }
    return out;
  };
}

const intIn = (v: unknown, { min, max }: { min: number; max: number }) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? v : undefined;

/** `z.int()` within bounds. */
export const quickInt =
  (min: number, max: number): QuickParse =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? v : FAIL;

/** Runs a fast-path parser: its result, or undefined when it does not accept (or the input throws). */
export function quick<T>(parse: QuickParse, value: unknown): T | undefined {
  try {
    const out = parse(value);
    return out === FAIL ? undefined : (out as T);
  } catch {
    return undefined; // a hostile object (a Proxy whose traps throw): the schema reports it
  }
}

/**
 * The fields of create's input, as its schema reads them, except `email`: parsed here into its
 * {@link parseEmail} result, which create needs next (so the address is parsed once).
 */
export const quickCreateFields: Readonly<
  Record<
    'email' | 'purpose' | 'userId' | 'metadata' | 'ttlSeconds' | 'codeLength' | 'codeAlphabet',
    QuickParse
  >
> = {
  email: (v: unknown) => (typeof v === 'string' ? (parseEmail(v) ?? FAIL) : FAIL),
  purpose: (v: unknown) => (typeof v === 'string' && PURPOSE.test(v) ? v : FAIL),
  userId: (v: unknown) =>
    v === null ||
    (typeof v === 'string' && v.length >= 1 && v.length <= LIMITS.userIdLength && USER_ID().test(v))
      ? v
      : FAIL,
  metadata: (v: unknown) => (v === null || serializeMetadata(v) !== null ? v : FAIL),
  // Arrow functions, not quickInt(...) calls: the object stays free of side effects, so bundlers drop it
  // from entries that never create (dist/_core.js is one module shared by every entry).
  ttlSeconds: (v: unknown) => intIn(v, LIMITS.ttlSeconds) ?? FAIL,
  codeLength: (v: unknown) => intIn(v, LIMITS.codeLength) ?? FAIL,
  codeAlphabet: (v: unknown) => (v === 'digits' || v === 'base32' ? v : FAIL),
};

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
