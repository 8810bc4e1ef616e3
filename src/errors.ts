/**
 * Every failure the library reports, as a stable machine-readable code.
 *
 * | code | meaning |
 * |---|---|
 * | `INVALID_INPUT` | an argument failed validation; `fields` names which |
 * | `INVALID_CHALLENGE` | the secret is malformed, tampered, sealed with an unknown key, bound to another challengeId, or already used |
 * | `INVALID_CODE` | the code is wrong; the flow adds `attemptsRemaining` |
 * | `CHALLENGE_EXPIRED` | the challenge's lifetime has passed |
 * | `CHALLENGE_MISMATCH` | an expected purpose, email or userId differs from the challenge |
 * | `CHALLENGE_SUPERSEDED` | a newer challenge for the same address and purpose exists |
 * | `ATTEMPTS_EXCEEDED` | too many wrong codes; `retryAfterSeconds` when the address budget is spent |
 * | `RATE_LIMITED` | too many emails to this address; `retryAfterSeconds` says when to try again |
 * | `STORE_UNAVAILABLE` | the counter store failed; the flow fails closed |
 * | `SEND_FAILED` | the mail sender threw |
 */
export type MailboxChallengeErrorCode =
  | 'INVALID_INPUT'
  | 'INVALID_CHALLENGE'
  | 'INVALID_CODE'
  | 'CHALLENGE_EXPIRED'
  | 'CHALLENGE_MISMATCH'
  | 'CHALLENGE_SUPERSEDED'
  | 'ATTEMPTS_EXCEEDED'
  | 'RATE_LIMITED'
  | 'STORE_UNAVAILABLE'
  | 'SEND_FAILED';

/** What the one error table says of a code. */
interface ErrorTableRow {
  /** The default `message` (for logs, in English; people read `describeError`'s, per locale). */
  readonly message: string;
  /** The HTTP status `mailbox-challenge/http` answers with. */
  readonly status: number;
  /** The status instead when the error carries `retryAfterSeconds`: a limit with an end. */
  readonly statusWhenTimed?: number;
}

/**
 * The one home of what each error code means: its default message and its HTTP status. `ERROR_CODES` and
 * `statusOf` derive from it; the compiler holds it to the code union (a code without a row does not
 * compile) and test/docs/recipes.test.ts holds README's error table to it. The person-facing wording of
 * each code, per locale, is in the `errors` section of templates/locales/*.json.
 */
const ERROR_TABLE: Readonly<Record<MailboxChallengeErrorCode, ErrorTableRow>> = {
  INVALID_INPUT: { message: 'Invalid input', status: 400 },
  INVALID_CHALLENGE: { message: 'The challenge is invalid', status: 403 },
  INVALID_CODE: { message: 'The code is incorrect', status: 401 },
  CHALLENGE_EXPIRED: { message: 'The challenge has expired', status: 403 },
  CHALLENGE_MISMATCH: { message: 'The challenge does not match what was expected', status: 403 },
  CHALLENGE_SUPERSEDED: { message: 'A newer code was sent; use the latest one', status: 403 },
  // A locked challenge is simply spent (403); a spent address budget is a limit with an end (429).
  ATTEMPTS_EXCEEDED: { message: 'Too many incorrect codes', status: 403, statusWhenTimed: 429 },
  RATE_LIMITED: { message: 'Too many codes were sent to this address; try again later', status: 429 },
  STORE_UNAVAILABLE: { message: 'The challenge store is unavailable', status: 503 },
  SEND_FAILED: { message: 'The email could not be sent', status: 503 },
};

/** Extra, code-specific details carried by a {@link MailboxChallengeError}. */
export interface MailboxChallengeErrorDetails {
  /** `INVALID_INPUT`: the dotted paths of the fields that failed, e.g. `['email']`. */
  fields?: readonly string[];
  /** `INVALID_CODE` from the flow: wrong codes this challenge still accepts. */
  attemptsRemaining?: number;
  /** `RATE_LIMITED`, and `ATTEMPTS_EXCEEDED` when the address budget is spent. */
  retryAfterSeconds?: number;
  /** The underlying error (store or sender failures). Never sent to clients by the library. */
  cause?: unknown;
}

/** Every error code, in the table's order. */
export const ERROR_CODES = Object.keys(ERROR_TABLE) as readonly MailboxChallengeErrorCode[];

/**
 * The HTTP status of an error, from the table (`statusOf` in `mailbox-challenge/http` is this). An error
 * whose code this version does not know (a newer peer's) reads as spent: 403.
 */
export function httpStatusOf(error: Pick<MailboxChallengeError, 'code' | 'retryAfterSeconds'>): number {
  const row: ErrorTableRow | undefined = Object.hasOwn(ERROR_TABLE, error.code)
    ? ERROR_TABLE[error.code]
    : undefined;
  if (!row) return 403;
  return error.retryAfterSeconds !== undefined && row.statusWhenTimed !== undefined
    ? row.statusWhenTimed
    : row.status;
}

/**
 * The one error class of the library. Switch on `code`, never on `message`.
 *
 * @example
 * ```ts
 * const result = await flow.verify({ challengeId, secret, code, purpose: 'login' });
 * if (!result.ok && result.error.code === 'INVALID_CODE') {
 *   reply(`Wrong code, ${result.error.attemptsRemaining} tries left`);
 * }
 * ```
 */
export class MailboxChallengeError extends Error {
  override readonly name = 'MailboxChallengeError';
  readonly code: MailboxChallengeErrorCode;
  declare readonly fields?: readonly string[];
  declare readonly attemptsRemaining?: number;
  declare readonly retryAfterSeconds?: number;

  constructor(code: MailboxChallengeErrorCode, message?: string, details: MailboxChallengeErrorDetails = {}) {
    super(
      message ?? ERROR_TABLE[code]?.message ?? code,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.code = code;
    if (details.fields !== undefined) this.fields = Object.freeze([...details.fields]);
    if (details.attemptsRemaining !== undefined) this.attemptsRemaining = details.attemptsRemaining;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
  }

  /** A plain object safe to return to a client: code, message and public details; never the cause. */
  toJSON(): {
    code: MailboxChallengeErrorCode;
    message: string;
    fields?: readonly string[];
    attemptsRemaining?: number;
    retryAfterSeconds?: number;
  } {
    return {
      code: this.code,
      message: this.message,
      ...(this.fields && { fields: this.fields }),
      ...(this.attemptsRemaining !== undefined && { attemptsRemaining: this.attemptsRemaining }),
      ...(this.retryAfterSeconds !== undefined && { retryAfterSeconds: this.retryAfterSeconds }),
    };
  }
}

/** `INVALID_INPUT` naming the failing fields. */
export function invalidInput(fields: readonly string[], message?: string): MailboxChallengeError {
  return new MailboxChallengeError('INVALID_INPUT', message ?? `Invalid input: ${fields.join(', ')}`, {
    fields,
  });
}
