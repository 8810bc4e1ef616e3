// Store keys and the guarded store: namespaced, keyed-hashed names; timeouts and bad answers fail closed.
import type { ChallengeStore } from '../adapters.js';
import { MailboxChallengeError } from '../errors.js';
import { toBase64url, utf8 } from '../lib/_bytes.js';
import { mac, type ResolvedKey } from '../lib/_keys.js';

/** Generations live in day buckets; a challenge's lifetime (at most a day) spans at most two of them. */
export const GENERATION_WINDOW_SECONDS = 86_400;
// Store TTLs outlive what they guard by this much, to absorb clock skew between app servers and the store.
const TTL_SLACK_SECONDS = 60;

type Kind = 'attempts' | 'used' | 'fail' | 'refund' | 'send' | 'unsent' | 'gen';
const PREFIX: Record<Kind, string> = {
  attempts: 'a',
  used: 'u',
  fail: 'f',
  refund: 'r',
  send: 's',
  unsent: 'n',
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

/** A send limit's window is kept as this many slot counters, plus the current one. */
export const SLOTS_PER_WINDOW = 6;

/** A sliding-window reservation: `wait` 0 means allowed; `release()` takes the reservation back. */
export interface Reservation {
  wait: number;
  release(): Promise<void>;
}

/**
 * Reserves one event under a sliding-window limit ("at most `max` in any `windowSeconds`"), kept as slot
 * counters of windowSeconds / 6 each. The current slot's counter is a ticket dispenser: the increment's
 * answer orders parallel callers exactly, and ticket n is allowed when the six slots before it plus n stay
 * within `max`. Each slot also counts its released reservations (refused, or not sent), and only settled
 * slots are read, so refused retries never hold a client out longer than its real sends do. Counting one
 * slot more than the window errs on the safe side: never more than `max` in any window, at the price of up
 * to one slot's extra wait. (Fixed windows would let 2 × max through around a boundary.)
 *
 * @param slotKey - The store key of a slot's counter of `reserved` or of `released` events.
 * @returns `wait`: 0 when allowed, else the seconds until an event would be; `release` gives it back.
 */
export async function reserveInWindow(
  store: ChallengeStore,
  slotKey: (slot: number, counter: 'reserved' | 'released') => string,
  limit: { max: number; windowSeconds: number },
  t: number,
): Promise<Reservation> {
  const slotMs = Math.ceil((limit.windowSeconds * 1000) / SLOTS_PER_WINDOW);
  const now = Math.floor(t / slotMs);
  const ttl = Math.ceil(((SLOTS_PER_WINDOW + 1) * slotMs) / 1000) + TTL_SLACK_SECONDS;
  const release = async () => {
    await store.increment(slotKey(now, 'released'), ttl);
  };
  const ticket = await store.increment(slotKey(now, 'reserved'), ttl);
  const older = Array.from({ length: SLOTS_PER_WINDOW }, (_, k) => now - SLOTS_PER_WINDOW + k); // oldest first
  const counts = await Promise.all(
    older.map(async (slot) => {
      const [reserved, released] = await Promise.all([
        store.get(slotKey(slot, 'reserved')),
        store.get(slotKey(slot, 'released')),
      ]);
      return (reserved ?? 0) - (released ?? 0);
    }),
  );
  const settled = counts.reduce((a, b) => a + b, 0);
  if (settled + ticket <= limit.max) return { wait: 0, release };
  // Refused. Within this slot tickets only grow, so the earliest chance is a later slot, once enough of the
  // older slots have left the window (slot k, oldest first, leaves when slot `now + k + 1` begins).
  const held = ticket - 1 - ((await store.get(slotKey(now, 'released'))) ?? 0); // others' tickets here
  let total = settled + Math.max(0, held);
  let k = 0;
  while (k < counts.length && total - counts[k]! >= limit.max) total -= counts[k++]!;
  return { wait: Math.max(1, Math.ceil(((now + k + 1) * slotMs - t) / 1000)), release };
}

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
