// Person-facing messages for each error code. A stand-in until the core entry's localised
// `describeError(code, { locale, acceptLanguage })` lands: this is the one place to swap.
import type { MailboxChallengeErrorCode } from '../errors.js';

const EN: Record<MailboxChallengeErrorCode, string> = {
  INVALID_INPUT: 'Please check what you entered and try again.',
  INVALID_CHALLENGE: 'This code can no longer be used. Please start again.',
  INVALID_CODE: 'That code is not right. Please check the email and try again.',
  CHALLENGE_EXPIRED: 'This code has expired. Ask for a new one.',
  CHALLENGE_MISMATCH: 'This code was sent for something else. Please start again.',
  CHALLENGE_SUPERSEDED: 'A newer code was sent. Please use the code in the latest email.',
  ATTEMPTS_EXCEEDED: 'Too many incorrect codes. Please start again later.',
  RATE_LIMITED: 'Too many emails were sent to this address. Please wait a moment and try again.',
  STORE_UNAVAILABLE: 'Something went wrong on our side. Please try again in a moment.',
  SEND_FAILED: 'We could not send the email. Please try again in a moment.',
};

/** The message for a person, in their language when one is known. */
export function describeError(
  code: MailboxChallengeErrorCode,
  _language: { locale?: string; acceptLanguage?: string } = {},
): string {
  return EN[code] ?? EN.INVALID_INPUT;
}
