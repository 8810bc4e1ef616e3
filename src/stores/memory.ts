import type { ChallengeStore } from '../adapters.js';
import { invalidInput } from '../errors.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Clock in epoch milliseconds; pass the flow's clock so tests can move time. Default `Date.now`. */
  now?: () => number;
  /**
   * Most keys held at once. Default 200,000 (roughly 40 MB). Expired keys are swept first; if the store is
   * still full, creating a key fails, and the flow answers STORE_UNAVAILABLE. Existing counters are never
   * evicted, so a flood of new addresses can deny new challenges but never reset anyone's attempt count.
   */
  maxEntries?: number;
}

interface Entry {
  value: number;
  expiresAt: number;
}

const SWEEP_INTERVAL_MS = 30_000;

/** Thrown by the memory store when it is full; the flow reports it as STORE_UNAVAILABLE. */
export class MemoryStoreFullError extends Error {
  override readonly name = 'MemoryStoreFullError';
}

/**
 * An in-process {@link ChallengeStore}: atomic because JavaScript runs one callback at a time, bounded in
 * size, with no timers (expired keys are swept lazily). Right for one process; use a shared store such as
 * Redis when several processes verify the same challenges.
 *
 * @example
 * ```ts
 * const now = () => clock.now();
 * const flow = createMailboxFlow({ keys, sender, appName: 'Acme', store: memoryStore({ now }), now });
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): ChallengeStore & { readonly size: number } {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 200_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw invalidInput(['maxEntries'], 'maxEntries must be a positive integer');
  }
  const entries = new Map<string, Entry>();
  let lastSweep = now();

  function sweep(t: number): void {
    lastSweep = t;
    for (const [key, entry] of entries) if (entry.expiresAt <= t) entries.delete(key);
  }

  function live(key: string, t: number): Entry | undefined {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= t) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  function create(key: string, ttlSeconds: number, t: number): void {
    if (t - lastSweep >= SWEEP_INTERVAL_MS || entries.size >= maxEntries) sweep(t);
    if (entries.size >= maxEntries)
      throw new MemoryStoreFullError(`memory store is full (${maxEntries} keys)`);
    entries.set(key, { value: 1, expiresAt: t + ttlSeconds * 1000 });
  }

  return {
    get size() {
      return entries.size;
    },
    async increment(key, ttlSeconds) {
      const t = now();
      const entry = live(key, t);
      if (entry) return ++entry.value;
      create(key, ttlSeconds, t);
      return 1;
    },
    async get(key) {
      return live(key, now())?.value ?? null;
    },
    async setIfAbsent(key, ttlSeconds) {
      const t = now();
      if (live(key, t)) return false;
      create(key, ttlSeconds, t);
      return true;
    },
  };
}
