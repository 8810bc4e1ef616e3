// A store that fails, hangs or answers nonsense: the flow fails closed (STORE_UNAVAILABLE), never ok: true,
// and a start sends nothing. Each failure is injected into a real memory store, one step kind at a time.
import { describe, expect, it } from 'vitest';
import { type ChallengeStore, type FlowStep, memoryStore } from '../../src/index.js';
import { EMAIL, must, setup } from './_setup.js';

type Fault =
  | 'throw'
  | 'throw synchronously'
  | 'hang'
  | 'a thenable adopting one that never settles'
  | 'a throwing then'
  | 'a reply whose ok getter throws'
  | 'garbage'
  | 'wrong shape'
  | 'ok without a status'
  | 'a lying success'
  | 'a bad count';

// biome-ignore lint/suspicious/noThenProperty: a promise-like that never settles is what is under test
const NEVER = { then() {} };

const ANSWERS: Record<Exclude<Fault, 'throw' | 'throw synchronously' | 'hang'>, unknown> = {
  // A store or client library's own promise-like objects: the timeout must hold until the value is final.
  // biome-ignore lint/suspicious/noThenProperty: a hostile promise-like is what is under test
  'a thenable adopting one that never settles': { then: (ok: (v: unknown) => void) => ok(NEVER) },
  'a throwing then': {
    // biome-ignore lint/suspicious/noThenProperty: a hostile promise-like is what is under test
    get then() {
      throw new Error('then');
    },
  },
  'a reply whose ok getter throws': {
    get ok() {
      throw new Error('ok');
    },
  },
  garbage: Number.NaN,
  'wrong shape': { ok: 'yes' },
  'ok without a status': { ok: true, gen: 1, attemptsRemaining: 5, resendAvailableAt: null, locale: 'en' },
  // A well-formed success for any verify, the right code or not: the flow must not take the store's word.
  'a lying success': {
    ok: true,
    status: 'pending',
    gen: 1,
    attemptsRemaining: 5,
    resendAvailableAt: null,
    locale: 'en',
    undo: null,
  },
  'a bad count': { ok: false, error: 'INVALID_CODE', attemptsRemaining: -5 },
};

/** A real memory store whose steps of `kind` start failing with `fault` once `armed` is set. */
function faultyStore(kind: FlowStep['kind'], fault: Fault) {
  const real = memoryStore();
  const state = { armed: false };
  const store: ChallengeStore = {
    step(key, step) {
      if (!state.armed || step.kind !== kind) return real.step(key, step);
      if (fault === 'throw') return Promise.reject(new Error('ECONNRESET'));
      if (fault === 'throw synchronously') throw new Error('ECONNRESET');
      if (fault === 'hang') return new Promise(() => {});
      // Returned as is, not wrapped in a promise (which would adopt the thenables itself).
      return ANSWERS[fault] as never;
    },
  };
  return { store, state };
}

/** Faults every step kind must survive; a lying success is a verify fault (the flow can check only that). */
const FAULTS = [
  'throw',
  'throw synchronously',
  'hang',
  'a thenable adopting one that never settles',
  'a throwing then',
  'a reply whose ok getter throws',
  'garbage',
  'wrong shape',
  'ok without a status',
  'a bad count',
] as const;

describe('store failures fail closed', () => {
  it.each(FAULTS)(
    'verify with the right code when the store fails by %s: STORE_UNAVAILABLE',
    async (fault) => {
      const { store, state } = faultyStore('verify', fault);
      const { flow, outbox } = setup({ store, policy: { storeTimeoutMs: 50 } });
      const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
      const code = outbox.lastCode(EMAIL);
      state.armed = true;
      const r = await flow.verify({ ...s, purpose: 'login', code });
      expect(r).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
      if (!r.ok) expect(r.error.toJSON()).not.toHaveProperty('cause');
      state.armed = false; // once the store is back, the challenge is still usable: nothing was spent
      expect((await flow.verify({ ...s, purpose: 'login', code })).ok).toBe(true);
    },
  );

  it.each(FAULTS)('start when the store fails by %s: STORE_UNAVAILABLE and nothing sent', async (fault) => {
    const { store, state } = faultyStore('start', fault);
    const { flow, outbox } = setup({ store, policy: { storeTimeoutMs: 50 } });
    state.armed = true;
    const r = await flow.start({ email: EMAIL, purpose: 'login' });
    expect(r).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(outbox.messages).toHaveLength(0);
  });

  it.each(FAULTS)(
    'resend, inspect and cancel when the store fails by %s: STORE_UNAVAILABLE',
    async (fault) => {
      for (const kind of ['resend', 'inspect', 'cancel'] as const) {
        const { store, state } = faultyStore(kind, fault);
        const { flow, outbox, clock } = setup({ store, policy: { storeTimeoutMs: 50 } });
        const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
        clock.advance(60_000);
        state.armed = true;
        const r = await flow[kind](s);
        expect(r).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
        expect(outbox.messages).toHaveLength(1);
        state.armed = false;
        expect((await flow.verify({ ...s, purpose: 'login', code: outbox.lastCode(EMAIL) })).ok).toBe(true);
      }
    },
  );

  it('a store that says yes to a wrong code: still no success, STORE_UNAVAILABLE', async () => {
    for (const status of ['pending', 'used', 'locked'] as const) {
      const real = memoryStore();
      const store: ChallengeStore = {
        async step(key, step) {
          const reply = await real.step(key, step);
          return step.kind === 'verify'
            ? {
                ok: true,
                status,
                gen: 1,
                attemptsRemaining: 5,
                resendAvailableAt: null,
                locale: 'en',
                undo: null,
              }
            : reply;
        },
      };
      const { flow } = setup({ store });
      const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
      expect(await flow.verify({ ...s, purpose: 'login', code: '000000' })).toMatchObject({
        ok: false,
        error: { code: 'STORE_UNAVAILABLE' },
      });
    }
  });

  it('a hung store costs one timeout per step, not one per counter', async () => {
    const { store, state } = faultyStore('verify', 'hang');
    const { flow, outbox } = setup({ store, policy: { storeTimeoutMs: 200 } });
    const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    state.armed = true;
    const t0 = performance.now();
    await flow.verify({ ...s, purpose: 'login', code: outbox.lastCode(EMAIL) });
    // One 200 ms timeout; a step per counter would wait several (the bound is loose on purpose).
    expect(performance.now() - t0).toBeLessThan(390);
  });
});
