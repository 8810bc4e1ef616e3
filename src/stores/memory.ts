import type { ChallengeStore } from '../adapters.js';
import { invalidInput } from '../errors.js';
import { applyStep, type MailboxRecord } from '../flow/_state.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most mailbox records held at once. Default 1,000,000 (about 200 MB at one live challenge each). When
   * full, a step that would create a record fails (the flow answers STORE_UNAVAILABLE) while every existing
   * record keeps working: a flood of new addresses can deny new sign-ins, never reset or break anyone's.
   */
  maxRecords?: number;
}

interface Entry {
  record: MailboxRecord;
  /** Epoch ms of the flow's clock after which no rule reads the record. */
  expiresAt: number;
}

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
  const maxRecords = options.maxRecords ?? 1_000_000;
  if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) {
    throw invalidInput(['maxRecords'], 'maxRecords must be a positive integer');
  }
  const records = new Map<string, Entry>();
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
      const entry = records.get(next.value);
      if (entry && entry.expiresAt <= now) records.delete(next.value);
    }
  }

  return {
    get size() {
      return records.size;
    },
    async step(key, step) {
      sweep(SWEEP_PER_STEP, step.now);
      let entry = records.get(key);
      if (entry && entry.expiresAt <= step.now) {
        records.delete(key);
        entry = undefined;
      }
      const { record, reply, expiresAt } = applyStep(entry?.record ?? null, step);
      if (step.kind === 'inspect') return reply;
      if (record === null || expiresAt === null) {
        records.delete(key);
      } else if (entry) {
        entry.record = record;
        entry.expiresAt = expiresAt;
      } else {
        if (records.size >= maxRecords) sweep(SWEEP_WHEN_FULL, step.now);
        if (records.size >= maxRecords)
          throw new MemoryStoreFullError(`memory store is full (${maxRecords} records)`);
        records.set(key, { record, expiresAt });
      }
      return reply;
    },
  };
}
