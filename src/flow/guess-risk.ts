import { alphabetSize } from '../lib/_code.js';
import { type MailboxPolicy, resolvePolicy } from './policy.js';

const YEAR_SECONDS = 365 * 86_400;

/**
 * The worst-case probability that an attacker guesses a valid code for one address within a year under
 * a policy (no argument: the defaults).
 *
 * Formula: `min(1, G / N)`, where `N = alphabetSize ^ codeLength` codes are equally likely and `G` is the
 * most wrong guesses the flow will ever evaluate for one address in a year:
 * `G = min(addressFailures.max × yearWindows(addressFailures),
 *          maxAttempts × min over sendLimits of (max × yearWindows(limit)))`.
 * Each guess hits with probability at most `1 / N`, so the union bound `G / N` bounds the total.
 * Defaults: G = 20 × 365 = 7,300 and N = 10^6, about 0.73% a year; 8 digits: 0.0073%.
 *
 * @example
 * ```ts
 * guessRisk();                  // 0.0073
 * guessRisk({ codeLength: 8 }); // 0.000073
 * ```
 */
export function guessRisk(policy?: Partial<MailboxPolicy>): number {
  const p = resolvePolicy(policy);
  const perYear = (l: { max: number; windowSeconds: number }) =>
    l.max * Math.ceil(YEAR_SECONDS / l.windowSeconds);
  const challengesPerYear = p.sendLimits.length
    ? Math.min(...p.sendLimits.map(perYear))
    : Number.POSITIVE_INFINITY;
  const guesses = Math.min(perYear(p.addressFailures), p.maxAttempts * challengesPerYear);
  return Math.min(1, guesses / alphabetSize(p.codeAlphabet) ** p.codeLength);
}
