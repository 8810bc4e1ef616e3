import * as z from 'zod/mini';
import { DEFAULTS } from '../lib/_challenge.js';
import {
  codeAlphabetField,
  codeLengthField,
  intField,
  lazySchema,
  parseInput,
  ttlField,
} from '../lib/_schema.js';
import type { CodeAlphabet } from '../types.js';

/**
 * At most `max` events in any `windowSeconds` span (a sliding window, exact to the millisecond: an event
 * stops counting exactly `windowSeconds` after it happened).
 */
export interface WindowLimit {
  max: number;
  windowSeconds: number;
}

/** The rules {@link createMailboxFlow} enforces. Every field is optional on input; see the defaults. */
export interface MailboxPolicy {
  /** Code lifetime. Default 600 s (NIST SP 800-63B §3.1.3.2, OWASP ASVS 6.5.5). At most 86,400. */
  ttlSeconds: number;
  /** Digits (6-10) or base32 characters per code. Default 6. */
  codeLength: number;
  /** `digits` (default) or Crockford `base32`. */
  codeAlphabet: CodeAlphabet;
  /** Wrong codes one challenge accepts before ATTEMPTS_EXCEEDED. Default 5. */
  maxAttempts: number;
  /**
   * Wrong codes one mailbox accepts across all its challenges and purposes in any sliding window, then
   * ATTEMPTS_EXCEEDED with `retryAfterSeconds`, for codes and new emails alike. A new challenge never resets
   * it. Default 20 per 86,400 s.
   */
  addressFailures: WindowLimit;
  /**
   * Emails one mailbox may receive in any sliding window, each limit on its own; exceeding any is
   * RATE_LIMITED with `retryAfterSeconds` (until every limit allows it) and sends nothing. Default 3 per
   * 60 s and 10 per 3,600 s. Codes and email-change notices count alike.
   */
  sendLimits: readonly WindowLimit[];
  /**
   * How long after a challenge's first email `resend` may send a new code for it. Default 3,600 s, at
   * most 86,400. A resend keeps the challengeId and its first-send time, so a chain of resends cannot
   * outlive this window (its last code lives `ttlSeconds` more).
   */
  resendWindowSeconds: number;
  /**
   * Seconds a challenge waits between two of its emails, so the resend button shows a cooldown and one
   * page cannot spend the mailbox's send limits at once. Default 30; 0 turns it off.
   */
  resendCooldownSeconds: number;
  /** Milliseconds a store step may take before the flow gives up with STORE_UNAVAILABLE. Default 2,000. */
  storeTimeoutMs: number;
  /**
   * Milliseconds `sender.send` may take before `start`/`resend` give up with SEND_FAILED (the secret is then
   * never sealed, so a late email's code cannot be used). Default 15,000.
   */
  sendTimeoutMs: number;
}

/**
 * The policy a flow enforces when given none: the one home of every default (README's policy table is
 * held to it by a test). Override any field with `createMailboxFlow({ policy })`.
 *
 * @example
 * ```ts
 * import { DEFAULT_POLICY } from 'mailbox-challenge';
 *
 * DEFAULT_POLICY.maxAttempts; // 5
 * ```
 */
export const DEFAULT_POLICY = {
  ttlSeconds: DEFAULTS.ttlSeconds,
  codeLength: DEFAULTS.codeLength,
  codeAlphabet: DEFAULTS.codeAlphabet,
  maxAttempts: 5,
  addressFailures: { max: 20, windowSeconds: 86_400 },
  sendLimits: [
    { max: 3, windowSeconds: 60 },
    { max: 10, windowSeconds: 3_600 },
  ],
  resendWindowSeconds: 3_600,
  resendCooldownSeconds: 30,
  storeTimeoutMs: 2_000,
  sendTimeoutMs: 15_000,
} as const satisfies MailboxPolicy;

const positiveInt = (max = Number.MAX_SAFE_INTEGER) => intField(1, max);
const windowLimit = lazySchema(() =>
  z.strictObject({ max: positiveInt(), windowSeconds: positiveInt(31_536_000) }),
);

const policySchema = lazySchema(() =>
  z.strictObject({
    ttlSeconds: z.optional(ttlField()),
    codeLength: z.optional(codeLengthField()),
    codeAlphabet: z.optional(codeAlphabetField()),
    maxAttempts: z.optional(positiveInt(100)),
    addressFailures: z.optional(windowLimit()),
    sendLimits: z.optional(z.array(windowLimit()).check(z.maxLength(8))),
    resendWindowSeconds: z.optional(positiveInt(86_400)),
    resendCooldownSeconds: z.optional(intField(0, 3_600)),
    storeTimeoutMs: z.optional(positiveInt(60_000)),
    sendTimeoutMs: z.optional(positiveInt(300_000)),
  }),
);

/** Merges a partial policy over the defaults; throws INVALID_INPUT (`policy.*` fields) for bad values. */
export function resolvePolicy(policy: Partial<MailboxPolicy> = {}): MailboxPolicy {
  const parsed = parseInput(policySchema(), policy, 'policy');
  const fields = Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined));
  return Object.freeze({ ...DEFAULT_POLICY, ...fields }) as MailboxPolicy;
}
