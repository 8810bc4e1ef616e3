// Store keys and the guarded store: namespaced, keyed-hashed names; timeouts and bad answers fail closed.
import type { ChallengeStore } from '../adapters.js';
import { MailboxChallengeError } from '../errors.js';
import { toBase64url, utf8 } from '../lib/_bytes.js';
import { mac, type ResolvedKey } from '../lib/_keys.js';

/** Generations live in day buckets; a challenge's lifetime (at most a day) spans at most two of them. */
export const GENERATION_WINDOW_SECONDS = 86_400;
// Store TTLs outlive what they guard by this much, to absorb clock skew between app servers and the store.
const TTL_SLACK_SECONDS = 60;

type Kind = 'attempts' | 'used' | 'fail' | 'refund' | 'send' | 'gen';
const PREFIX: Record<Kind, string> = {
  attempts: 'a',
  used: 'u',
  fail: 'f',
  refund: 'r',
  send: 's',
  gen: 'g',
};

/**
 * `mc:<kind>:<base64url(HMAC(storeKey, kind ‖ parts))[0..16]>`: the kind stays readable for operators,
 * the subject (an address, a challengeId) does not, and nobody without the key can compute a victim's key.
 */
export function storeKey(key: ResolvedKey, kind: Kind, ...parts: Array<string | number>): string {
  const digest = mac(key.storeMac, utf8([kind, ...parts].join('\0'))).subarray(0, 16);
  return `mc:${PREFIX[kind]}:${toBase64url(digest)}`;
}

/** Index of the epoch-aligned window holding `now`, and the seconds until it ends. */
export function windowAt(now: number, windowSeconds: number): { index: number; secondsLeft: number } {
  const ms = windowSeconds * 1000;
  const index = Math.floor(now / ms);
  return { index, secondsLeft: Math.max(1, Math.ceil(((index + 1) * ms - now) / 1000)) };
}

/** Seconds a key guarding something until `until` (epoch ms) must live. */
export const ttlUntil = (now: number, until: number): number =>
  Math.max(1, Math.ceil((until - now) / 1000)) + TTL_SLACK_SECONDS;

/** Marks a store failure so the flow can map it to STORE_UNAVAILABLE. */
export class StoreFailure extends Error {}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;

/** Resolves or rejects like `promise`, or rejects with `onTimeout()` after `ms`; the timer never outlives it. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wraps a store: every call times out, and any answer of the wrong type is a failure (fail closed). */
export function guardStore(store: ChallengeStore, timeoutMs: number): ChallengeStore {
  async function call<T>(op: () => Promise<T>, valid: (v: unknown) => v is T): Promise<T> {
    try {
      const value = await withTimeout(
        Promise.resolve().then(op),
        timeoutMs,
        () => new StoreFailure(`store timed out after ${timeoutMs} ms`),
      );
      if (!valid(value)) throw new StoreFailure(`store returned an invalid value: ${String(value)}`);
      return value;
    } catch (cause) {
      throw cause instanceof StoreFailure ? cause : new StoreFailure('store call failed', { cause });
    }
  }
  return {
    increment: (key, ttl) => call(() => store.increment(key, ttl), isCount),
    get: (key) =>
      call(
        () => store.get(key),
        (v): v is number | null => v === null || isCount(v),
      ),
    setIfAbsent: (key, ttl) =>
      call(
        () => store.setIfAbsent(key, ttl),
        (v): v is boolean => typeof v === 'boolean',
      ),
  };
}

export const storeUnavailable = (cause: unknown) =>
  new MailboxChallengeError('STORE_UNAVAILABLE', undefined, { cause });
