import * as z from 'zod/mini';
import { quickMessageOptions } from './email/_quick-options.js';
import {
  type MessageOptions,
  messageOptionsSchema,
  type RenderedMessage,
  renderChallengeMessage,
} from './email/render.js';
import { invalidInput } from './errors.js';
import { parseEmail } from './lib/_address.js';
import {
  type ChallengeSpec,
  DEFAULTS,
  draftChallenge,
  drawSize,
  sealDraft,
  userIdProblem,
} from './lib/_challenge.js';
import { serializeMetadata } from './lib/_json.js';
import { resolveKeys } from './lib/_keys.js';
import { randomBytes } from './lib/_random.js';
import {
  codeAlphabetField,
  codeLengthField,
  emailField,
  FAIL,
  isObject,
  lazySchema,
  metadataField,
  parseInput,
  purposeField,
  quick,
  quickCreateFields,
  readClock,
  readMaxUserIdBytes,
  ttlField,
  userIdField,
} from './lib/_schema.js';
import type { CodeAlphabet, JsonObject, MailboxChallenge, MailboxKeys } from './types.js';

/** Input of {@link createMailboxChallenge}. */
export interface CreateMailboxChallengeInput {
  /** The address to prove. Kept as typed (trimmed); matched case-insensitively. */
  email: string;
  /** What the proof is for, e.g. `signup`, `login`, `email-change` (1-32 of `a-z 0-9 _ -`). */
  purpose: string;
  /**
   * The host's user id, when the person is known; returned on verify. At most `maxUserIdBytes` of UTF-8
   * (config, default 64), without control characters.
   */
  userId?: string | null;
  /** A small JSON object (under 1 KiB serialised) returned on verify, e.g. `{ newEmail }`. */
  metadata?: JsonObject | null;
  /** Lifetime in seconds, 30 to 86,400. Default 600 (10 minutes). */
  ttlSeconds?: number;
  /** Code length, 6 to 10. Default 6. */
  codeLength?: number;
  /** `digits` (default) or Crockford `base32`. */
  codeAlphabet?: CodeAlphabet;
  /**
   * The email carrying the code: rendered into the result as `message` (subject, HTML, text) when given.
   * `false` or omitted: no message is rendered. See {@link MessageOptions}.
   */
  message?: false | MessageOptions;
}

/** Configuration shared by the pure functions. */
export interface MailboxChallengeConfig {
  /** `keys[0]` seals; every key verifies. See {@link parseKeys}. */
  keys: MailboxKeys;
  /** Clock in epoch milliseconds; defaults to `Date.now`. */
  now?: () => number;
  /**
   * The longest userId you use, in UTF-8 bytes: 0 to 255, default 64 (a UUID is 36). Every secret is as
   * long as one carrying a userId this long, so a secret's length never tells whether the person has an
   * account; a longer userId is refused with `INVALID_INPUT` on `userId`. Only `createMailboxChallenge`
   * reads it; raising it later keeps earlier secrets verifying.
   */
  maxUserIdBytes?: number;
}

/** What {@link createMailboxChallenge} returns. */
export interface CreatedMailboxChallenge extends MailboxChallenge {
  /** The sealed challenge. Keep it server-side or in an HTTP-only cookie; never show it to the person. */
  secret: string;
  /** The one-time code to deliver to the address. */
  code: string;
  /** The email to send to `email`, when `input.message` was given: ready for any mail provider. */
  message?: RenderedMessage;
}

const createInputSchema = lazySchema(() =>
  z.strictObject({
    email: emailField(),
    purpose: purposeField(),
    userId: userIdField(),
    metadata: metadataField(),
    ttlSeconds: z.optional(ttlField()),
    codeLength: z.optional(codeLengthField()),
    codeAlphabet: z.optional(codeAlphabetField()),
    // `false` means "no message", like omitting it. Not a union: a union would report `message` instead of
    // the field that failed (`message.appName`).
    message: z.pipe(
      z.transform((v: unknown) => (v === false ? undefined : v)),
      z.optional(messageOptionsSchema()),
    ),
  }),
);

type ParsedInput = z.output<ReturnType<typeof createInputSchema>>;

export { createInputSchema }; // for the fast path's equivalence test

const CREATE_KEYS: ReadonlySet<string> = new Set([
  'email',
  'purpose',
  'userId',
  'metadata',
  'ttlSeconds',
  'codeLength',
  'codeAlphabet',
  'message',
]);

/**
 * createInputSchema's fast path (see "Fast paths" in lib/_schema.ts), written out field by field like the
 * message options': each value read once, in the schema's order; an optional one parsed when given, kept as
 * undefined when present as such, else left out. `email` comes out parsed.
 */
export function quickCreateInput(v: unknown): unknown {
  if (!isObject(v)) return FAIL;
  for (const key in v) if (!CREATE_KEYS.has(key)) return FAIL;
  const address = quickCreateFields.email(v.email);
  if (address === FAIL) return FAIL;
  const what = quickCreateFields.purpose(v.purpose);
  if (what === FAIL) return FAIL;
  const out: Record<string, unknown> = { email: address, purpose: what };
  let given: unknown;
  let parsed: unknown;
  given = v.userId;
  if (given !== undefined) {
    parsed = quickCreateFields.userId(given);
    if (parsed === FAIL) return FAIL;
    out.userId = parsed;
  } else if ('userId' in v) out.userId = undefined;
  given = v.metadata;
  if (given !== undefined) {
    parsed = quickCreateFields.metadata(given);
    if (parsed === FAIL) return FAIL;
    out.metadata = parsed;
  } else if ('metadata' in v) out.metadata = undefined;
  given = v.ttlSeconds;
  if (given !== undefined) {
    parsed = quickCreateFields.ttlSeconds(given);
    if (parsed === FAIL) return FAIL;
    out.ttlSeconds = parsed;
  } else if ('ttlSeconds' in v) out.ttlSeconds = undefined;
  given = v.codeLength;
  if (given !== undefined) {
    parsed = quickCreateFields.codeLength(given);
    if (parsed === FAIL) return FAIL;
    out.codeLength = parsed;
  } else if ('codeLength' in v) out.codeLength = undefined;
  given = v.codeAlphabet;
  if (given !== undefined) {
    parsed = quickCreateFields.codeAlphabet(given);
    if (parsed === FAIL) return FAIL;
    out.codeAlphabet = parsed;
  } else if ('codeAlphabet' in v) out.codeAlphabet = undefined;
  // `false` means no message, as in the schema's pipe.
  given = v.message;
  if (given !== undefined && given !== false) {
    parsed = quickMessageOptions(given);
    if (parsed === undefined) return FAIL;
    out.message = parsed;
  } else if ('message' in v) out.message = undefined;
  return out;
}

/**
 * Turns validated input into the spec a challenge is drafted from; `address` is the parsed email's.
 * @throws MailboxChallengeError `INVALID_INPUT` on `userId` when it is longer than `maxUserIdBytes`.
 */
function toSpec(
  input: Omit<ParsedInput, 'email'>,
  address: string,
  maxUserIdBytes: number = DEFAULTS.maxUserIdBytes,
): ChallengeSpec {
  const userId = input.userId ?? null;
  const tooLong = userIdProblem(userId, maxUserIdBytes);
  if (tooLong) throw invalidInput(['userId'], tooLong);
  return {
    email: address,
    purpose: input.purpose,
    userId,
    // A copy, as verify returns one: the caller's object is never shared or kept.
    metadata: input.metadata ? (JSON.parse(serializeMetadata(input.metadata)!) as JsonObject) : null,
    ttlSeconds: input.ttlSeconds ?? DEFAULTS.ttlSeconds,
    codeLength: input.codeLength ?? DEFAULTS.codeLength,
    codeAlphabet: input.codeAlphabet ?? DEFAULTS.codeAlphabet,
    maxUserIdBytes,
  };
}

/** Validates create's input: the fast path, else the schema (which words every error). */
function readInput(input: unknown): { parsed: Omit<ParsedInput, 'email'>; address: string } {
  const fast = quick<Omit<ParsedInput, 'email'> & { email: { address: string } }>(quickCreateInput, input);
  if (fast) return { parsed: fast, address: fast.email.address };
  const parsed = parseInput(createInputSchema(), input);
  return { parsed, address: parseEmail(parsed.email)!.address };
}

/**
 * Creates a one-time code challenge for an address. Sync and pure: no I/O, no store.
 *
 * The returned `secret` holds the whole challenge, the code included, sealed with `keys[0]`
 * (XChaCha20-Poly1305): unreadable without the key. Give `code` to the person (by email) and keep
 * `challengeId` and `secret` server-side.
 *
 * @param input - Address, purpose and options; see {@link CreateMailboxChallengeInput}.
 * @param config - Keys and an optional clock.
 * @returns The challenge, its secret and its code.
 * @throws MailboxChallengeError `INVALID_INPUT` with `fields` for a bad address, purpose, metadata or option.
 * @example
 * ```ts
 * const keys = parseKeys(process.env.MAILBOX_KEYS!);
 * const c = createMailboxChallenge(
 *   { email: 'ada@example.com', purpose: 'login', message: { appName: 'Acme', acceptLanguage: req.headers['accept-language'] } },
 *   { keys },
 * );
 * await mailer.send({ to: c.email, subject: c.message!.subject, html: c.message!.html, text: c.message!.text });
 * session.challenge = { challengeId: c.challengeId, secret: c.secret };
 * ```
 */
export function createMailboxChallenge(
  input: CreateMailboxChallengeInput,
  config: MailboxChallengeConfig,
): CreatedMailboxChallenge {
  const keys = resolveKeys(config?.keys);
  const now = readClock(config.now);
  const maxUserIdBytes = readMaxUserIdBytes(config.maxUserIdBytes);
  const { parsed, address } = readInput(input);
  const spec = toSpec(parsed, address, maxUserIdBytes);
  const draft = draftChallenge(spec, keys.primary, now, randomBytes(drawSize(spec)));
  const p = draft.payload;
  const message =
    parsed.message &&
    renderChallengeMessage({
      purpose: p.purpose,
      code: draft.code,
      email: p.email,
      challengeId: draft.challengeId,
      ttlSeconds: spec.ttlSeconds,
      expiresAt: p.expiresAt,
      options: parsed.message,
    });
  const created: CreatedMailboxChallenge = {
    challengeId: draft.challengeId,
    purpose: p.purpose,
    email: p.email,
    userId: p.userId,
    metadata: p.metadata,
    secret: sealDraft(keys.primary, draft),
    code: draft.code,
    createdAt: p.createdAt,
    expiresAt: p.expiresAt,
  };
  // Set, not spread in: a spread copies through a temporary object on every call.
  if (message) created.message = message;
  return created;
}
