// A store that fails, hangs or answers nonsense: the flow fails closed (STORE_UNAVAILABLE), never ok: true,
// and a start sends nothing. Each failure is injected into a real memory store, one operation at a time.
import { describe, expect, it } from 'vitest';
import { type ChallengeStore, memoryStore } from '../../src/index.js';
import { createTestClock } from '../../src/testing/index.js';
import { EMAIL, must, setup } from './_setup.js';

type Op = keyof ChallengeStore;
type Fault = 'throw' | 'hang' | 'garbage';

/** A real memory store whose `op` starts failing with `fault` once `armed` is set. */
function faultyStore(op: Op, fault: Fault) {
  const clock = createTestClock();
  const real = memoryStore({ now: clock.now });
  const state = { armed: false };
  const wrap =
    <A extends unknown[], R>(name: Op, fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (!state.armed || name !== op) return fn(...args);
      if (fault === 'throw') return Promise.reject(new Error('ECONNRESET'));
      if (fault === 'hang') return new Promise<R>(() => {});
      return Promise.resolve((name === 'setIfAbsent' ? 'yes' : Number.NaN) as R);
    };
  const store: ChallengeStore = {
    increment: wrap('increment', real.increment),
    get: wrap('get', real.get),
    setIfAbsent: wrap('setIfAbsent', real.setIfAbsent),
  };
  return { store, state, clock };
}

const cases = (['increment', 'get', 'setIfAbsent'] as const).flatMap((op) =>
  (['throw', 'hang', 'garbage'] as const).map((fault) => [op, fault] as const),
);

describe('store failures fail closed', () => {
  it.each(cases)('verify with the right code when %s fails by %s: STORE_UNAVAILABLE', async (op, fault) => {
    const { store, state, clock } = faultyStore(op, fault);
    const { flow, outbox } = setup({ store, now: clock.now, policy: { storeTimeoutMs: 50 } });
    const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    const code = outbox.lastCode(EMAIL);
    state.armed = true;
    const r = await flow.verify({ ...s, code });
    expect(r).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    if (!r.ok) expect(r.error.toJSON()).not.toHaveProperty('cause');
    state.armed = false; // once the store is back, the challenge is still usable: nothing was spent
    expect((await flow.verify({ ...s, code })).ok).toBe(true);
  });

  it.each(cases.filter(([op]) => op !== 'setIfAbsent'))(
    'start when %s fails by %s: STORE_UNAVAILABLE and nothing sent',
    async (op, fault) => {
      const { store, state, clock } = faultyStore(op, fault);
      const { flow, outbox } = setup({ store, now: clock.now, policy: { storeTimeoutMs: 50 } });
      state.armed = true;
      const r = await flow.start({ email: EMAIL, purpose: 'login' });
      expect(r).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
      expect(outbox.messages).toHaveLength(0);
    },
  );
});
