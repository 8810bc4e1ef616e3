import {
  type ChallengeStore,
  createMailboxFlow,
  generateKey,
  type MailboxFlowOptions,
  type MailboxPolicy,
  memoryStore,
} from '../../src/index.js';
import { createTestClock, createTestOutbox } from '../../src/testing/index.js';

export const keys = [generateKey('test')];

/**
 * The policy the tests rely on, written out: today's defaults, pinned, so that changing a default
 * (DEFAULT_POLICY) breaks only the test that owns the defaults (test/docs/recipes.test.ts), not these.
 * A test that needs another limit overrides that one option.
 */
export const TEST_POLICY = {
  ttlSeconds: 600,
  codeLength: 6,
  codeAlphabet: 'digits',
  maxAttempts: 5,
  addressFailures: { max: 20, windowSeconds: 86_400 },
  sendLimits: [
    { max: 3, windowSeconds: 60 },
    { max: 10, windowSeconds: 3_600 },
  ],
  resendWindowSeconds: 3_600,
  resendCooldownSeconds: 30,
  storeTimeoutMs: 2_000,
  sendTimeoutMs: 15_000,
} as const satisfies MailboxPolicy;

export const EMAIL = 'Ada@Example.com';

/** A flow on a fake clock, with TEST_POLICY, a memory store and a test outbox unless overridden. */
export function setup<S extends ChallengeStore = ChallengeStore>(
  overrides: Partial<MailboxFlowOptions> & { store?: S } = {},
) {
  const clock = createTestClock();
  const outbox = createTestOutbox();
  const { policy, ...rest } = overrides;
  const store = (rest.store ?? memoryStore()) as S;
  const flow = createMailboxFlow({
    keys,
    sender: outbox,
    appName: 'Acme',
    store,
    now: clock.now,
    ...rest,
    policy: { ...TEST_POLICY, ...policy },
  });
  return { clock, outbox, store, flow };
}

export function must<T extends { ok: boolean }>(r: T): Extract<T, { ok: true }> {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify((r as { error?: unknown }).error)}`);
  return r as Extract<T, { ok: true }>;
}

/** A code of the same format that is not `code`. */
export const wrong = (code: string) => code.replace(/^./, (c) => (c === '0' ? '1' : '0'));
