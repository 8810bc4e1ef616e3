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

const DEFAULT_MESSAGES: Record<MailboxChallengeErrorCode, string> = {
  INVALID_INPUT: 'Invalid input',
  INVALID_CHALLENGE: 'The challenge is invalid',
  INVALID_CODE: 'The code is incorrect',
  CHALLENGE_EXPIRED: 'The challenge has expired',
  CHALLENGE_MISMATCH: 'The challenge does not match what was expected',
  CHALLENGE_SUPERSEDED: 'A newer code was sent; use the latest one',
  ATTEMPTS_EXCEEDED: 'Too many incorrect codes',
  RATE_LIMITED: 'Too many codes were sent to this address; try again later',
  STORE_UNAVAILABLE: 'The challenge store is unavailable',
  SEND_FAILED: 'The email could not be sent',
};

/** Every error code, in one list derived from the one table of default messages. */
export const ERROR_CODES = Object.keys(DEFAULT_MESSAGES) as readonly MailboxChallengeErrorCode[];

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
      message ?? DEFAULT_MESSAGES[code],
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
