import type { ChallengeStore } from '../adapters.js';
import { invalidInput } from '../errors.js';
import { applyStepInPlace } from '../flow/state.js';
import { fromBase64urlScratch } from '../lib/_bytes.js';
import { packedBase, packRecord, unpackRecord } from './_packed-record.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most mailbox records held at once. Default 500,000 (about 75 MB; `npm run bench` measures a million). When
   * full, a step that would create a record fails (the flow answers STORE_UNAVAILABLE) while every existing
   * record keeps working: a flood of new addresses can deny new sign-ins, never reset or break anyone's.
   */
  maxRecords?: number;
}

// A record is held as one flat string of bytes (packRecord) that starts with its expiry: no entry object,
// no boxed number, no nested objects for the garbage collector to walk.
// Each step that adds a record first looks at a few others on a rolling cursor and drops the expired ones,
// so memory follows the live set without a timer and without a sweep of the whole map on any one request:
// the cursor passes over every record at least once per size/4 new records, so expired ones stay under a
// third of the live ones. Steps on existing records (verify, inspect, resend) sweep nothing.
const SWEEP_PER_NEW_RECORD = 4;
// When full, look this much further for expired records before refusing a new one.
const SWEEP_WHEN_FULL = 1_000;

// The flow names records `mc:m:` + 22 base64url chars (16 bytes). The map holds such a key as its 16
// bytes, one char each: a flat 16-char string instead of the flow's 27 chars (often a concatenation, two
// strings deep), 40 bytes less per record.
/**
 * The map key for a store key: a flow key as its 16 bytes; any other key (the flow makes none, but a store
 * takes any) behind U+0100, which no 16-byte key holds, so the two kinds never meet.
 */
function mapKey(key: string): string {
  // The library's one base64url decoder, into its shared buffer (refuses non-canonical text).
  const k = key.length === 27 && key.startsWith('mc:m:') ? fromBase64urlScratch(key.slice(5)) : null;
  if (k === null || k.length !== 16) return `\u0100${key}`;
  // biome-ignore format: sixteen arguments, one call (no array, no apply)
  return String.fromCharCode(k[0]!, k[1]!, k[2]!, k[3]!, k[4]!, k[5]!, k[6]!, k[7]!, k[8]!, k[9]!, k[10]!, k[11]!, k[12]!, k[13]!, k[14]!, k[15]!);
}

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
  let cursor = records.entries();

  /** Examines up to `count` records after the cursor, deleting expired ones. */
  function sweep(count: number, now: number): void {
    for (let i = 0; i < count; i++) {
      let next = cursor.next();
      if (next.done) {
        cursor = records.entries();
        next = cursor.next();
        if (next.done) return;
      }
      if (packedBase(next.value[1]) <= now) records.delete(next.value[0]);
    }
  }

  return {
    get size() {
      return records.size;
    },
    step(storeKey, step) {
      const key = mapKey(storeKey);
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
        if (value === undefined) {
          sweep(SWEEP_PER_NEW_RECORD, step.now);
          if (records.size >= maxRecords) sweep(SWEEP_WHEN_FULL, step.now);
          if (records.size >= maxRecords)
            throw new MemoryStoreFullError(`memory store is full (${maxRecords} records)`);
        }
        records.set(key, packRecord(record, expiresAt));
      }
      return reply;
    },
  };
}
