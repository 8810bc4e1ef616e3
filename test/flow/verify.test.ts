import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createMailboxChallenge,
  createMailboxFlow,
  MailboxChallengeError,
  memoryStore,
} from '../../src/index.js';
import { createTestOutbox } from '../../src/testing/index.js';
import { EMAIL, keys, must, setup, TEST_POLICY, wrong } from './_setup.js';
import { testFlowAcrossServers } from './races.js';

describe('flow.verify', () => {
  it('accepts the emailed code once and returns the challenge', async () => {
    const { flow, outbox } = setup();
    const started = must(
      await flow.start({ email: EMAIL, purpose: 'login', userId: 'u1', metadata: { a: 1 } }),
    );
    const code = outbox.lastCode(EMAIL);
    const r = must(
      await flow.verify({ challengeId: started.challengeId, secret: started.secret, code, purpose: 'login' }),
    );
    expect(r.challenge).toMatchObject({ email: EMAIL, purpose: 'login', userId: 'u1', metadata: { a: 1 } });
    const again = await flow.verify({
      challengeId: started.challengeId,
      secret: started.secret,
      code,
      purpose: 'login',
    });
    expect(again).toMatchObject({ ok: false, error: { code: 'INVALID_CHALLENGE' } });
  });

  it('counts down attemptsRemaining, then locks: the right code gets the same answer as a wrong one', async () => {
    const { flow, outbox } = setup();
    const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    const code = outbox.lastCode(EMAIL);
    const remaining: Array<number | undefined> = [];
    for (let i = 0; i < 5; i++) {
      const r = await flow.verify({ ...s, purpose: 'login', code: wrong(code) });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('INVALID_CODE');
        remaining.push(r.error.attemptsRemaining);
      }
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    const right = await flow.verify({ ...s, purpose: 'login', code });
    const bad = await flow.verify({ ...s, purpose: 'login', code: wrong(code) });
    expect(right).toMatchObject({ ok: false, error: { code: 'ATTEMPTS_EXCEEDED' } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'ATTEMPTS_EXCEEDED' } });
    expect(JSON.stringify(right)).toBe(JSON.stringify(bad));
  });

  it('200 parallel wrong guesses: exactly 5 evaluated, the rest ATTEMPTS_EXCEEDED, then the right code is refused', async () => {
    const { flow, outbox } = setup();
    const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    const code = outbox.lastCode(EMAIL);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => flow.verify({ ...s, purpose: 'login', code: wrong(code) })),
    );
    const codes = results.map((r) => (r.ok ? 'OK' : r.error.code));
    expect(codes.filter((c) => c === 'INVALID_CODE')).toHaveLength(5);
    expect(codes.filter((c) => c === 'ATTEMPTS_EXCEEDED')).toHaveLength(195);
    expect(await flow.verify({ ...s, purpose: 'login', code })).toMatchObject({
      ok: false,
      error: { code: 'ATTEMPTS_EXCEEDED' },
    });
  });

  it('50 parallel verifications with the right code: exactly one succeeds', async () => {
    for (const maxAttempts of [5, 100]) {
      const { flow, outbox } = setup({ policy: { maxAttempts } });
      const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
      const code = outbox.lastCode(EMAIL);
      const results = await Promise.all(
        Array.from({ length: 50 }, () => flow.verify({ ...s, purpose: 'login', code })),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const refusals = new Set(results.flatMap((r) => (r.ok ? [] : [r.error.code])));
      expect([...refusals].every((c) => c === 'INVALID_CHALLENGE' || c === 'ATTEMPTS_EXCEEDED')).toBe(true);
      expect((await flow.verify({ ...s, purpose: 'login', code })).ok).toBe(false);
    }
  });

  it('expires exactly at expiresAt', async () => {
    const { flow, outbox, clock } = setup();
    const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    const code = outbox.lastCode(EMAIL);
    clock.set(s.expiresAt);
    expect(await flow.verify({ ...s, purpose: 'login', code })).toMatchObject({
      ok: false,
      error: { code: 'CHALLENGE_EXPIRED' },
    });
    clock.set(s.expiresAt - 1);
    expect((await flow.verify({ ...s, purpose: 'login', code })).ok).toBe(true);
  });

  it('a malformed code is INVALID_INPUT and burns no attempt', async () => {
    const { flow, outbox } = setup();
    const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    for (const code of ['abc', '', '1234567', 42, null]) {
      const r = await flow.verify({ ...s, purpose: 'login', code: code as string });
      expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', fields: ['code'] } });
    }
    const r = await flow.verify({ ...s, purpose: 'login', code: wrong(outbox.lastCode(EMAIL)) });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_CODE', attemptsRemaining: 4 } });
  });

  it('refuses a secret sealed by the pure layer (no generation): only flow challenges are counted', async () => {
    const { flow } = setup();
    const c = createMailboxChallenge({ email: EMAIL, purpose: 'login' }, { keys });
    const r = await flow.verify({
      challengeId: c.challengeId,
      secret: c.secret,
      code: c.code,
      purpose: 'login',
    });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_CHALLENGE' } });
  });

  it('answers CHALLENGE_MISMATCH for another purpose without burning an attempt', async () => {
    const { flow, outbox } = setup();
    const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    const code = outbox.lastCode(EMAIL);
    const r = await flow.verify({ ...s, code, purpose: 'email-change' });
    expect(r).toMatchObject({ ok: false, error: { code: 'CHALLENGE_MISMATCH', fields: ['purpose'] } });
    const w = await flow.verify({ ...s, purpose: 'login', code: wrong(code) });
    expect(w).toMatchObject({ ok: false, error: { code: 'INVALID_CODE', attemptsRemaining: 4 } });
  });

  it('never throws on hostile input', async () => {
    const { flow } = setup();
    const hostile = [
      undefined,
      null,
      42,
      'x',
      [],
      {},
      { challengeId: {}, secret: [], code: 1 },
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('boom');
          },
        },
      ),
    ];
    for (const input of hostile) {
      const r = await flow.verify(input as never);
      expect(r.ok).toBe(false);
      const s = await flow.resend(input as never);
      expect(s.ok).toBe(false);
      const t = await flow.start(input as never);
      expect(t.ok).toBe(false);
    }
  });
});

describe('two flows sharing one memory store', () => {
  testFlowAcrossServers((policy) => {
    const store = memoryStore();
    const server = () => {
      const outbox = createTestOutbox();
      const pinned = { ...TEST_POLICY, ...policy };
      return {
        outbox,
        flow: createMailboxFlow({ keys, sender: outbox, appName: 'Acme', store, policy: pinned }),
      };
    };
    return [server(), server()];
  });
});

describe('flow methods never throw on anything a client can send (fast-check)', () => {
  const runs = process.env.CI === 'true' ? 2_000 : 300;
  const anything = fc.anything({ withBigInt: true, withDate: true, withMap: true, withTypedArray: true });

  it('start, resend and verify answer { ok: false } for any value, and any field of any type', async () => {
    const { flow, outbox } = setup({ policy: { sendLimits: [] } });
    const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    const code = outbox.lastCode(EMAIL);
    const field = <T>(value: T) => fc.oneof(fc.constant(value), anything);
    await fc.assert(
      fc.asyncProperty(
        anything,
        fc.record({ challengeId: field(s.challengeId), secret: field(s.secret), code: anything }),
        async (value, record) => {
          for (const r of [
            await flow.start(value as never),
            await flow.resend(value as never),
            await flow.verify(value as never),
          ]) {
            expect(r.ok).toBe(false);
          }
          const v = await flow.verify(record as never);
          expect(v.ok).toBe(false);
          if (!v.ok) expect(v.error).toBeInstanceOf(MailboxChallengeError);
        },
      ),
      { numRuns: runs },
    );
    // The challenge survived all of it (no wrong code was well-formed enough to count): the code still works.
    expect((await flow.verify({ ...s, purpose: 'login', code })).ok).toBe(true);
  });
});
