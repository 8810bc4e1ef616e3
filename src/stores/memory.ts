import type { ChallengeStore } from '../adapters.js';
import { invalidInput } from '../errors.js';
import { applyStepInPlace, packedBase, packRecord, unpackRecord } from '../flow/_state.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most mailbox records held at once. Default 500,000 (about 150 MB; `npm run bench` measures a million). When
   * full, a step that would create a record fails (the flow answers STORE_UNAVAILABLE) while every existing
   * record keeps working: a flood of new addresses can deny new sign-ins, never reset or break anyone's.
   */
  maxRecords?: number;
}

// A record is held as one flat string (packRecord) that starts with its expiry, `[1767225600000,...`:
// no entry object, no boxed number, no nested objects for the garbage collector to walk.
// Each step looks at a few records on a rolling cursor and drops the expired ones, so memory follows the
// live set without a timer and without a sweep of the whole map on any one request.
const SWEEP_PER_STEP = 4;
// When full, look this much further for expired records before refusing a new one.
const SWEEP_WHEN_FULL = 1_000;

/** Thrown by the memory store when it is full; the flow reports it as STORE_UNAVAILABLE. */
export class MemoryStoreFullError extends Error {
  override readonly name = 'MemoryStoreFullError';
}

/**
 * An in-process {@link ChallengeStore}: each step runs in one synchronous section (JavaScript runs one at a
 * time), so it is atomic with no locks. Bounded, with no timers. Right for one process; use a shared store
 * such as Redis or Postgres when several processes verify the same challenges.
 *
 * @param options - `maxRecords`.
 * @returns The store, with `size` (records held) for monitoring.
 * @throws MailboxChallengeError `INVALID_INPUT` when `maxRecords` is not a positive integer.
 * @example
 * ```ts
 * import { createMailboxFlow, consoleSender, generateKey, memoryStore } from 'mailbox-challenge';
 *
 * const flow = createMailboxFlow({
 *   keys: [generateKey()],
 *   sender: consoleSender(),
 *   appName: 'Acme',
 *   store: memoryStore({ maxRecords: 100_000 }),
 * });
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): ChallengeStore & { readonly size: number } {
  const maxRecords = options.maxRecords ?? 500_000;
  if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) {
    throw invalidInput(['maxRecords'], 'maxRecords must be a positive integer');
  }
  const records = new Map<string, string>();
  let cursor = records.keys();

  /** Examines up to `count` records after the cursor, deleting expired ones. */
  function sweep(count: number, now: number): void {
    for (let i = 0; i < count && records.size > 0; i++) {
      let next = cursor.next();
      if (next.done) {
        cursor = records.keys();
        next = cursor.next();
        if (next.done) return;
      }
      const value = records.get(next.value);
      if (value !== undefined && packedBase(value) <= now) records.delete(next.value);
    }
  }

  return {
    get size() {
      return records.size;
    },
    step(key, step) {
      sweep(SWEEP_PER_STEP, step.now);
      let value = records.get(key);
      if (value !== undefined && packedBase(value) <= step.now) {
        records.delete(key);
        value = undefined;
      }
      const { record, reply, expiresAt } = applyStepInPlace(
        value === undefined ? null : unpackRecord(value),
        step,
      );
      if (step.kind === 'inspect') return reply;
      if (record === null || expiresAt === null) {
        records.delete(key);
      } else {
        if (value === undefined && records.size >= maxRecords) sweep(SWEEP_WHEN_FULL, step.now);
        if (value === undefined && records.size >= maxRecords)
          throw new MemoryStoreFullError(`memory store is full (${maxRecords} records)`);
        records.set(key, packRecord(record, expiresAt));
      }
      return reply;
    },
  };
}
