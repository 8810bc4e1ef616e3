import { describe, expect, it } from 'vitest';
import { guessRisk, type MailboxPolicy } from '../../src/index.js';
import { EMAIL, must, setup, TEST_POLICY, wrong } from './_setup.js';

const DAY = 86_400_000;

describe('address failure budget', () => {
  it('a new challenge does not reset it: after 20 failures in a day every challenge answers ATTEMPTS_EXCEEDED', async () => {
    const { flow, outbox, clock } = setup();
    clock.set(Date.UTC(2026, 0, 1, 6)); // 18 h before the day window ends
    let failures = 0;
    let challenges = 0;
    let firstFailure = 0;
    while (failures < 20) {
      clock.advance(20 * 60_000); // stay under the send limits
      const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
      challenges++;
      const code = outbox.lastCode(EMAIL);
      for (let i = 0; i < 5 && failures < 20; i++) {
        const r = await flow.verify({ ...s, purpose: 'login', code: wrong(code) });
        expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_CODE' } });
        firstFailure ||= clock.now();
        failures++;
      }
    }
    expect(challenges).toBe(4);
    // A fresh start is refused before any email goes out, and an earlier challenge is locked too.
    const fresh = await flow.start({ email: EMAIL, purpose: 'signup' });
    expect(fresh).toMatchObject({ ok: false, error: { code: 'ATTEMPTS_EXCEEDED' } });
    if (!fresh.ok) expect(fresh.error.retryAfterSeconds).toBeGreaterThan(0);
    expect(outbox.messages).toHaveLength(4);
    // Another address is unaffected.
    const other = must(await flow.start({ email: 'grace@example.com', purpose: 'login' }));
    expect(
      (await flow.verify({ ...other, purpose: 'login', code: outbox.lastCode('grace@example.com') })).ok,
    ).toBe(true);
    // The window slides: a millisecond before the first failure is a day old, still refused (no reset at
    // midnight UTC); exactly a day after it, one failure has left the window and the address may try again.
    clock.set(firstFailure + DAY - 1);
    expect(await flow.start({ email: EMAIL, purpose: 'login' })).toMatchObject({
      ok: false,
      error: { code: 'ATTEMPTS_EXCEEDED', retryAfterSeconds: 1 },
    });
    clock.set(firstFailure + DAY);
    const next = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    expect((await flow.verify({ ...next, purpose: 'login', code: outbox.lastCode(EMAIL) })).ok).toBe(true);
  });

  it('a challenge started before the budget ran out is locked by it, with retryAfterSeconds until a failure leaves the window', async () => {
    const { flow, outbox, clock } = setup({ policy: { maxAttempts: 100 } });
    clock.set(Date.UTC(2026, 0, 1, 23, 0, 0));
    const victim = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    const code = outbox.lastCode(EMAIL);
    for (let i = 0; i < 20; i++) await flow.verify({ ...victim, purpose: 'login', code: wrong(code) });
    const r = await flow.verify({ ...victim, purpose: 'login', code });
    // All 20 failures happened at 23:00; the budget slides, so the first leaves 24 h later, not at midnight.
    expect(r).toMatchObject({ ok: false, error: { code: 'ATTEMPTS_EXCEEDED', retryAfterSeconds: 86_400 } });
  });

  it('right codes do not consume the budget', async () => {
    const { flow, outbox, clock } = setup();
    for (let i = 0; i < 30; i++) {
      clock.advance(20 * 60_000);
      const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
      expect((await flow.verify({ ...s, purpose: 'login', code: outbox.lastCode(EMAIL) })).ok).toBe(true);
    }
  });
});

describe('resend', () => {
  it('resend keeps the challengeId; old secret + old code is CHALLENGE_SUPERSEDED; the new code works', async () => {
    const { flow, outbox, clock } = setup();
    const first = must(
      await flow.start({ email: EMAIL, purpose: 'login', userId: 'u1', metadata: { next: '/a' } }),
    );
    const oldCode = outbox.lastCode(EMAIL);
    clock.advance(30_000); // the resend cooldown
    const second = must(await flow.resend({ challengeId: first.challengeId, secret: first.secret }));
    const newCode = outbox.lastCode(EMAIL);
    expect(second.challengeId).toBe(first.challengeId);
    expect(second.secret).not.toBe(first.secret);
    expect(outbox.messages).toHaveLength(2);
    expect(await flow.verify({ ...first, purpose: 'login', code: oldCode })).toMatchObject({
      ok: false,
      error: { code: 'CHALLENGE_SUPERSEDED' },
    });
    // Within the cooldown even the newest secret cannot resend; the old one is told the same.
    expect(await flow.resend(first)).toMatchObject({
      ok: false,
      error: { code: 'RATE_LIMITED', retryAfterSeconds: 30 },
    });
    const ok = must(await flow.verify({ ...second, purpose: 'login', code: newCode }));
    expect(ok.challenge).toMatchObject({ email: EMAIL, userId: 'u1', metadata: { next: '/a' } });
  });

  it('a new start also supersedes older codes for the same address and purpose, across the day boundary', async () => {
    const { flow, outbox, clock } = setup();
    clock.set(Date.UTC(2026, 0, 1, 23, 58));
    const first = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    const oldCode = outbox.lastCode(EMAIL);
    clock.set(Date.UTC(2026, 0, 2, 0, 1)); // next generation bucket
    const second = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    expect(await flow.verify({ ...first, purpose: 'login', code: oldCode })).toMatchObject({
      ok: false,
      error: { code: 'CHALLENGE_SUPERSEDED' },
    });
    expect((await flow.verify({ ...second, purpose: 'login', code: outbox.lastCode(EMAIL) })).ok).toBe(true);
  });

  it('resend works after expiry, not after use, and not after resendWindowSeconds from the first send', async () => {
    const { flow, outbox, clock } = setup();
    const s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    clock.advance(11 * 60_000);
    expect(await flow.verify({ ...s, purpose: 'login', code: outbox.lastCode(EMAIL) })).toMatchObject({
      ok: false,
      error: { code: 'CHALLENGE_EXPIRED' },
    });
    const r = must(await flow.resend(s));
    const used = must(await flow.verify({ ...r, purpose: 'login', code: outbox.lastCode(EMAIL) }));
    expect(used.challenge.email).toBe(EMAIL);
    expect(await flow.resend(r)).toMatchObject({ ok: false, error: { code: 'INVALID_CHALLENGE' } });
    clock.advance(20 * 60_000);
    const late = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    clock.advance(3_600_000);
    expect(await flow.resend(late)).toMatchObject({ ok: false, error: { code: 'CHALLENGE_EXPIRED' } });
  });

  it('resends are rate limited like starts', async () => {
    const { flow, outbox } = setup({ policy: { resendCooldownSeconds: 0 } });
    let s = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    s = must(await flow.resend(s));
    s = must(await flow.resend(s));
    expect(await flow.resend(s)).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(outbox.messages).toHaveLength(3);
  });
});

describe('guessRisk', () => {
  it('counts the guesses a year allows, under a pinned policy', () => {
    const risk = (overrides: Partial<MailboxPolicy> = {}) => guessRisk({ ...TEST_POLICY, ...overrides });
    expect(risk()).toBeCloseTo(7300 / 1e6, 12);
    expect(risk({ codeLength: 8 })).toBeCloseTo(7300 / 1e8, 14);
    // Auth0-like: 10 failures an hour, no daily cap → 87,600 guesses a year, about 8.8% at 6 digits.
    expect(risk({ addressFailures: { max: 10, windowSeconds: 3600 }, maxAttempts: 10 })).toBeCloseTo(
      0.0876,
      6,
    );
    // The send limits bound it too: 1 email a day × 5 attempts, over a year plus one challenge's life
    // (a challenge sent the day before can still take guesses): 5 × 366 = 1,830 guesses.
    expect(risk({ sendLimits: [{ max: 1, windowSeconds: 86_400 }] })).toBeCloseTo(1830 / 1e6, 12);
    expect(risk({ codeAlphabet: 'base32', codeLength: 6 })).toBeCloseTo(7300 / 32 ** 6, 14);
  });

  it('a simulated attacker over a year never exceeds the budget, and the evaluated guesses equal guessRisk × N', async () => {
    const { flow, outbox, clock } = setup();
    clock.set(Date.UTC(2026, 0, 1));
    const end = Date.UTC(2027, 0, 1);
    let evaluated = 0;
    let perDay = new Map<number, number>();
    let wins = 0;
    while (clock.now() < end) {
      const started = await flow.start({ email: EMAIL, purpose: 'login' });
      if (!started.ok) {
        // Locked or rate limited: wait as told (at least a minute), as a patient attacker would.
        clock.advance(Math.max(60, started.error.retryAfterSeconds ?? 60) * 1000);
        continue;
      }
      const code = outbox.lastCode(EMAIL);
      for (let i = 0; i < 10; i++) {
        const r = await flow.verify({ ...started, purpose: 'login', code: wrong(code) });
        if (r.ok) wins++;
        if (!r.ok && r.error.code === 'INVALID_CODE') {
          evaluated++;
          const day = Math.floor(clock.now() / 86_400_000);
          perDay.set(day, (perDay.get(day) ?? 0) + 1);
        }
      }
      clock.advance(60_000);
    }
    expect(wins).toBe(0);
    expect(Math.max(...perDay.values())).toBeLessThanOrEqual(TEST_POLICY.addressFailures.max);
    expect(evaluated).toBe(Math.round(guessRisk(TEST_POLICY) * 1e6));
    perDay = new Map();
  });

  it.each([
    ['12:00 UTC', Date.UTC(2026, 0, 1, 12)],
    ['an odd instant', Date.UTC(2026, 2, 7, 17, 23, 41, 512)],
  ])(
    'a year starting at %s never evaluates more than guessRisk states (the windows slide)',
    async (_, t0) => {
      const { flow, outbox, clock } = setup();
      // The attacker starts a day early, so the budget is at its worst when the measured year begins.
      clock.set(t0 - 86_400_000);
      const end = t0 + 365 * 86_400_000;
      let evaluated = 0;
      while (clock.now() < end) {
        const started = await flow.start({ email: EMAIL, purpose: 'login' });
        if (!started.ok) {
          clock.advance(Math.max(1, started.error.retryAfterSeconds ?? 1) * 1000);
          continue;
        }
        const code = outbox.lastCode(EMAIL);
        for (let i = 0; i < 5; i++) {
          const r = await flow.verify({ ...started, purpose: 'login', code: wrong(code) });
          if (!r.ok && r.error.code === 'INVALID_CODE' && clock.now() >= t0) evaluated++;
        }
        clock.advance(60_000);
      }
      expect(evaluated).toBeLessThanOrEqual(Math.round(guessRisk(TEST_POLICY) * 1e6));
      expect(evaluated).toBeGreaterThan(7_000); // the attacker was patient enough to test the bound
    },
  );
});
