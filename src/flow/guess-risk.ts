import { alphabetSize } from '../lib/_code.js';
import { type MailboxPolicy, resolvePolicy } from './policy.js';

const YEAR_SECONDS = 365 * 86_400;

/**
 * The worst-case probability that an attacker guesses a valid code for one mailbox within any year (any
 * 365 days, however aligned) under a policy (no argument: the defaults).
 *
 * Formula: `min(1, G / N)`, where `N = alphabetSize ^ codeLength` codes are equally likely and `G` is the
 * most wrong guesses the flow can evaluate for one mailbox in any year:
 * `G = min(addressFailures.max × ceil(year / window),
 *          maxAttempts × min over sendLimits of (max × ceil((year + challengeLife) / window)))`,
 * where `challengeLife = resendWindowSeconds + ttlSeconds` (a challenge sent before the year began can still
 * take guesses inside it). The windows slide, so `ceil(year / window)` batches is the worst alignment: in any
 * half-open year there are at most that many disjoint full windows' worth of events. Each guess hits with
 * probability at most `1 / N`, so the union bound `G / N` bounds the total.
 * Defaults: G = 20 × 365 = 7,300 and N = 10^6, about 0.73% a year; 8 digits: 0.0073%.
 *
 * @param policy - Overrides of the default policy, as given to `createMailboxFlow`.
 * @returns A probability from 0 to 1.
 * @throws MailboxChallengeError `INVALID_INPUT` for a policy `createMailboxFlow` would refuse.
 * @example
 * ```ts
 * import { guessRisk } from 'mailbox-challenge';
 *
 * guessRisk();                  // 0.0073
 * guessRisk({ codeLength: 8 }); // 0.000073
 * ```
 */
export function guessRisk(policy?: Partial<MailboxPolicy>): number {
  const p = resolvePolicy(policy);
  const batches = (span: number, l: { max: number; windowSeconds: number }) =>
    l.max * Math.ceil(span / l.windowSeconds);
  const challengeLife = p.resendWindowSeconds + p.ttlSeconds;
  const challengesPerYear = p.sendLimits.length
    ? Math.min(...p.sendLimits.map((l) => batches(YEAR_SECONDS + challengeLife, l)))
    : Number.POSITIVE_INFINITY;
  const guesses = Math.min(batches(YEAR_SECONDS, p.addressFailures), p.maxAttempts * challengesPerYear);
  return Math.min(1, guesses / alphabetSize(p.codeAlphabet) ** p.codeLength);
}
