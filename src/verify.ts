import type { MailboxChallengeConfig } from './create.js';
import { MailboxChallengeError } from './errors.js';
import { codeMatches, inspect, publicChallenge } from './lib/_challenge.js';
import { resolveKeys } from './lib/_keys.js';
import { readClock } from './lib/_schema.js';
import type { MailboxChallenge, VerifyInput } from './types.js';

export type { VerifyInput } from './types.js';

/** `{ ok: true, ...value }` or `{ ok: false, error }`. */
export type Result<T> = ({ ok: true } & T) | { ok: false; error: MailboxChallengeError };

/**
 * Verifies a code against a sealed challenge. Sync and pure: it checks the secret, the expiry, any
 * expectations and the code, but keeps no state, so on its own it limits neither attempts nor reuse.
 * Use {@link createMailboxFlow} for attempt limits and single use, or keep those counters yourself.
 *
 * Never throws for anything a client can send: every malformed, tampered or foreign value is `{ ok: false }`.
 * Failures: `INVALID_CHALLENGE`, `CHALLENGE_EXPIRED`, `CHALLENGE_MISMATCH`, `INVALID_INPUT` (a code that is
 * not of the challenge's format), `INVALID_CODE`.
 *
 * @param input - `challengeId`, `secret`, `code`, and optional expected `purpose`, `email`, `userId`.
 * @param config - The keys (any listed key opens) and an optional clock.
 * @throws MailboxChallengeError `INVALID_INPUT` only for a bad `config` (a server bug, not client input).
 * @example
 * ```ts
 * const r = verifyMailboxChallenge(
 *   { challengeId, secret: cookies.mc, code: body.code, purpose: 'login' },
 *   { keys },
 * );
 * if (r.ok) signIn(r.challenge.email);
 * else reply(r.error.code);
 * ```
 */
export function verifyMailboxChallenge(
  input: VerifyInput,
  config: MailboxChallengeConfig,
): Result<{ challenge: MailboxChallenge }> {
  const keys = resolveKeys(config?.keys);
  const now = readClock(config.now);
  try {
    const checked = inspect(input, keys, now);
    if (!checked.ok) return checked;
    if (!codeMatches(checked)) return { ok: false, error: new MailboxChallengeError('INVALID_CODE') };
    return { ok: true, challenge: publicChallenge(checked.challengeId, checked.opened.payload) };
  } catch {
    // Hostile input (a throwing getter or Proxy) must not escape as an exception.
    return { ok: false, error: new MailboxChallengeError('INVALID_CHALLENGE') };
  }
}
