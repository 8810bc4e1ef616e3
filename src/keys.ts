import { invalidInput } from './errors.js';
import { toBase64url } from './lib/_bytes.js';
import { KEY_ID, resolveKeys } from './lib/_keys.js';
import { randomBytes } from './lib/_random.js';
import type { MailboxKey, MailboxKeys } from './types.js';

export type { MailboxKey, MailboxKeys } from './types.js';

/**
 * Creates a new random key: 32 bytes from the platform CSPRNG, base64url-encoded.
 *
 * @param id - The key id written into every secret it seals (1-32 of `A-Z a-z 0-9 _ -`).
 *   Defaults to a UTC time stamp to the second such as `k20261122T093005`: ids sort by age (rotation relies on
 *   it when there is no `storeSecret`), and two keys made on one day differ.
 * @returns `{ id, secret }`; keep `secret` out of source control.
 * @throws MailboxChallengeError `INVALID_INPUT` for a bad id.
 * @example
 * ```ts
 * const key = generateKey('2026-11');
 * process.env.MAILBOX_KEYS = `${key.id}:${key.secret}`;
 * ```
 */
export function generateKey(
  id: string = `k${new Date().toISOString().slice(0, 19).replaceAll(/[-:]/g, '')}`,
): MailboxKey {
  if (typeof id !== 'string' || !KEY_ID.test(id)) {
    throw invalidInput(['id'], 'a key id is 1-32 characters of A-Z, a-z, 0-9, "_" or "-"');
  }
  // Straight from the CSPRNG, not the pool of small draws: a long-term key never sits in a shared buffer.
  return { id, secret: toBase64url(randomBytes(32, { direct: true })) };
}

/**
 * Parses keys from one environment variable: `id:secret` pairs separated by commas, spaces or newlines.
 * The first pair seals new challenges; all of them verify. To rotate, put a new key first, keep the old one
 * listed for `ttlSeconds + resendWindowSeconds` (70 minutes by default: a challenge it sealed can be resent
 * for an hour), then remove it.
 *
 * @param text - e.g. `"k2026b:AbC...,k2026a:XyZ..."`.
 * @returns The validated keys, in order.
 * @throws MailboxChallengeError `INVALID_INPUT` naming the bad entry (the message never echoes a secret).
 * @example
 * ```ts
 * const keys = parseKeys(process.env.MAILBOX_KEYS ?? '');
 * const flow = createMailboxFlow({ keys, sender, appName: 'Acme' });
 * ```
 */
export function parseKeys(text: string): MailboxKeys {
  if (typeof text !== 'string') throw invalidInput(['keys'], 'keys must be a string of id:secret pairs');
  const entries = text.split(/[\s,]+/).filter(Boolean);
  const keys = entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw invalidInput([`keys.${i}`], `key entry ${i + 1} is not of the form id:secret`);
    return { id: entry.slice(0, colon), secret: entry.slice(colon + 1) };
  });
  resolveKeys(keys); // validates every entry
  return Object.freeze(keys);
}
