import type { ChallengeStore } from '../adapters.js';
import { invalidInput } from '../errors.js';
import { applyStepInPlace, decodeRecord, encodeRecord, RETENTION_SLACK_MS } from '../flow/state.js';

/** What a key-value system with versioned writes (DynamoDB, etcd, a KV with ETags) provides. */
export interface CompareAndSetAdapter {
  /** The text stored under `key` and an opaque version of it, or null when the key is missing. */
  read(key: string): Promise<{ value: string; version: unknown } | null>;
  /**
   * Writes `value` (null: deletes the key) only if the key still holds `version` (null: is still missing),
   * and resolves to whether it wrote. The key may be dropped after `ttlMs` milliseconds.
   */
  write(key: string, value: string | null, options: { version: unknown; ttlMs: number }): Promise<boolean>;
}

/** Options of {@link compareAndSetStore}. */
export interface CompareAndSetStoreOptions {
  /** Reads and writes one step may try before it gives up (the flow answers STORE_UNAVAILABLE). Default 32. */
  maxTries?: number;
}

/** Thrown when a step lost its compare-and-set race `maxTries` times in a row. */
export class CompareAndSetContentionError extends Error {
  override readonly name = 'CompareAndSetContentionError';
}

/**
 * A {@link ChallengeStore} for any system that offers only an atomic compare-and-set of a small value: each
 * step reads the record, applies the flow's rules in this process (`applyStep`, the same code every other
 * store runs), and writes back only if nobody wrote in between; otherwise it reads again and retries.
 *
 * @param adapter - `read` and `write` over your key-value system.
 * @param options - `maxTries`.
 * @returns The store, to pass as the flow's `store`.
 * @throws MailboxChallengeError `INVALID_INPUT` when the adapter lacks `read` or `write`.
 * @example
 * ```ts
 * import { compareAndSetStore } from 'mailbox-challenge';
 *
 * // An in-process map with versions stands in for your key-value system here.
 * const table = new Map<string, { value: string; version: number }>();
 * const store = compareAndSetStore({
 *   async read(key) {
 *     return table.get(key) ?? null;
 *   },
 *   async write(key, value, { version }) {
 *     if ((table.get(key)?.version ?? null) !== version) return false;
 *     if (value === null) table.delete(key);
 *     else table.set(key, { value, version: ((version as number | null) ?? 0) + 1 });
 *     return true;
 *   },
 * });
 * ```
 */
export function compareAndSetStore(
  adapter: CompareAndSetAdapter,
  options: CompareAndSetStoreOptions = {},
): ChallengeStore {
  if (typeof adapter?.read !== 'function' || typeof adapter.write !== 'function') {
    throw invalidInput(['adapter'], 'adapter must have read(key) and write(key, value, options)');
  }
  const maxTries = options.maxTries ?? 32;
  if (!Number.isSafeInteger(maxTries) || maxTries < 1) {
    throw invalidInput(['maxTries'], 'maxTries must be a positive integer');
  }
  return {
    async step(key, step) {
      for (let i = 0; i < maxTries; i++) {
        const current = await adapter.read(key);
        const { record, reply, expiresAt } = applyStepInPlace(
          current ? decodeRecord(current.value) : null,
          step,
        );
        if (step.kind === 'inspect') return reply;
        if (current === null && record === null) return reply; // nothing stored, nothing to store
        const ttlMs = (expiresAt ?? step.now) - step.now + RETENTION_SLACK_MS;
        const written = await adapter.write(key, record ? encodeRecord(record) : null, {
          version: current ? current.version : null,
          ttlMs,
        });
        if (written === true) return reply;
        // Anything but a boolean (an SDK's response object, { ok: false }) is a broken adapter, not a lost
        // race: taking it for a write would lose updates and let parallel guesses past the caps.
        if (written !== false)
          throw new TypeError('compare-and-set adapter: write() must resolve to a boolean');
      }
      throw new CompareAndSetContentionError(`compare-and-set lost ${maxTries} races in a row`);
    },
  };
}
