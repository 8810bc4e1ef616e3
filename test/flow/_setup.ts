import {
  type ChallengeStore,
  createMailboxFlow,
  generateKey,
  type MailboxFlowOptions,
  memoryStore,
} from '../../src/index.js';
import { createTestClock, createTestOutbox } from '../../src/testing/index.js';

export const keys = [generateKey('test')];
export const EMAIL = 'Ada@Example.com';

/** A flow on a fake clock, with a memory store and a test outbox unless overridden. */
export function setup(overrides: Partial<MailboxFlowOptions> & { store?: ChallengeStore } = {}) {
  const clock = createTestClock();
  const outbox = createTestOutbox();
  const store = overrides.store ?? memoryStore();
  const flow = createMailboxFlow({
    keys,
    sender: outbox,
    appName: 'Acme',
    store,
    now: clock.now,
    ...overrides,
  });
  return { clock, outbox, store, flow };
}

export function must<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify((r as { error?: unknown }).error)}`);
  return r as Extract<T, { ok: true }>;
}

/** A code of the same format that is not `code`. */
export const wrong = (code: string) => code.replace(/^./, (c) => (c === '0' ? '1' : '0'));
