import { describe, expect, it } from 'vitest';
import { type ChallengeStore, createMailboxFlow, memoryStore } from '../../src/index.js';
import { createTestClock, createTestOutbox } from '../../src/testing/index.js';
import { EMAIL, keys, must, setup, wrong } from './_setup.js';

describe('flow.start', () => {
  it('sends one email with the code, headers and locale, and returns what the code step needs', async () => {
    const { flow, outbox, clock } = setup();
    const r = must(
      await flow.start({ email: ` ${EMAIL} `, purpose: 'signup', acceptLanguage: 'de-CH,de;q=0.9' }),
    );
    expect(Object.keys(r).sort()).toEqual([
      'attemptsRemaining',
      'challengeId',
      'codeAlphabet',
      'codeLength',
      'email',
      'expiresAt',
      'ok',
      'resendAvailableAt',
      'secret',
    ]);
    expect(r).toMatchObject({
      expiresAt: clock.now() + 600_000,
      resendAvailableAt: clock.now() + 30_000,
      attemptsRemaining: 5,
      codeLength: 6,
      codeAlphabet: 'digits',
    });
    expect(outbox.messages).toHaveLength(1);
    const mail = outbox.messages[0]!;
    expect(mail).toMatchObject({ to: EMAIL, purpose: 'signup', locale: 'de', challengeId: r.challengeId });
    expect(mail.headers).toMatchObject({
      'Auto-Submitted': 'auto-generated',
      'X-Entity-Ref-ID': r.challengeId,
    });
    expect(mail.text).toContain(outbox.lastCode(EMAIL));
    expect(mail.subject).toContain('Acme');
  });

  it('the one-click link can carry the purpose, and the mail carries the link and the raw values', async () => {
    const { flow, outbox } = setup({
      message: { link: { urlTemplate: 'https://acme.example/l?c={challengeId}&k={code}&p={purpose}' } },
    });
    const r = must(await flow.start({ email: EMAIL, purpose: 'email-change' }));
    const mail = outbox.messages.at(-1)!;
    expect(mail).toMatchObject({ kind: 'challenge', expiresAt: r.expiresAt, code: outbox.lastCode(EMAIL) });
    expect(mail.link).toBe(`https://acme.example/l?c=${r.challengeId}&k=${mail.code}&p=email-change`);
    expect(mail.html).toContain(mail.link!.replaceAll('&', '&amp;'));
  });

  it('does not reveal whether the host knows the address: same fields, same secret length', async () => {
    const { flow } = setup();
    const known = must(
      await flow.start({
        email: 'known@example.com',
        purpose: 'login',
        userId: '3f1c9a52-8b7e-4c1d-9a0f-2b6d7e8f9a01',
      }),
    );
    const unknown = must(await flow.start({ email: 'other@example.com', purpose: 'login' }));
    expect(Object.keys(known).sort()).toEqual(Object.keys(unknown).sort());
    expect(known.secret.length).toBe(unknown.secret.length);
    expect(known.challengeId.length).toBe(unknown.challengeId.length);
  });

  it('invalid input is INVALID_INPUT with fields: nothing counted, nothing sent', async () => {
    const { flow, outbox, store } = setup();
    const bad = [
      [{ email: 'a＠example.com', purpose: 'login' }, ['email']],
      [{ email: 'a@example.com,b@example.com', purpose: 'login' }, ['email']],
      [{ email: ['a@example.com'], purpose: 'login' }, ['email']],
      [{ email: 'a@example.com', purpose: 'Log In' }, ['purpose']],
      [{ email: 'a@example.com', purpose: 'login', metadata: { big: 'x'.repeat(2000) } }, ['metadata']],
      [{ email: 'a@example.com', purpose: 'login', ttlSeconds: 5 }, ['ttlSeconds']],
    ] as const;
    for (const [input, fields] of bad) {
      const r = await flow.start(input as never);
      expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', fields } });
    }
    expect(outbox.messages).toHaveLength(0);
    expect((store as { size?: number }).size).toBe(0);
  });

  it('the 4th start within a minute is RATE_LIMITED with retryAfterSeconds and sends nothing', async () => {
    const { flow, outbox, clock } = setup();
    clock.set(Date.UTC(2026, 0, 1, 12, 0, 15));
    for (let i = 0; i < 3; i++) must(await flow.start({ email: EMAIL, purpose: 'login' }));
    const r = await flow.start({ email: EMAIL, purpose: 'login' });
    // The window slides exactly: the first send stops counting 60 s after it, at 12:01:15.
    expect(r).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', retryAfterSeconds: 60 } });
    expect(outbox.messages).toHaveLength(3);
    // plus-tags and case do not dodge the per-mailbox limit
    const tagged = await flow.start({ email: 'ada+x@EXAMPLE.com', purpose: 'signup' });
    expect(tagged).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    clock.advance(59_999); // a millisecond early: still refused
    expect(await flow.start({ email: EMAIL, purpose: 'login' })).toMatchObject({
      error: { code: 'RATE_LIMITED' },
    });
    clock.advance(1); // exactly 60 s after the first send: retryAfterSeconds was exact
    must(await flow.start({ email: EMAIL, purpose: 'login' }));
    expect(outbox.messages).toHaveLength(4);
  });

  it('the window slides: three sends just before a minute boundary still block a fourth just after it', async () => {
    const { flow, outbox, clock } = setup();
    clock.set(Date.UTC(2026, 0, 1, 12, 0, 58));
    for (let i = 0; i < 3; i++) must(await flow.start({ email: EMAIL, purpose: 'login' }));
    clock.advance(3_000); // 12:01:01, a new calendar minute: a fixed window would let 3 more through
    expect(await flow.start({ email: EMAIL, purpose: 'login' })).toMatchObject({
      ok: false,
      error: { code: 'RATE_LIMITED' },
    });
    expect(outbox.messages).toHaveLength(3);
  });

  it('a client retrying every 7 s for two hours: never more than 3 sends in any 60 s or 10 in any hour', async () => {
    const sentAt: number[] = [];
    const clock = createTestClock(Date.UTC(2026, 0, 1, 12, 0, 58));
    const { flow } = setup({
      now: clock.now,
      store: memoryStore(),
      sender: { send: async () => void sentAt.push(clock.now()) },
    });
    for (let i = 0; i < 1030; i++) {
      const r = await flow.start({ email: EMAIL, purpose: 'login' });
      if (!r.ok) expect(r.error.code).toBe('RATE_LIMITED');
      clock.advance(7_000);
    }
    const most = (spanMs: number) =>
      Math.max(...sentAt.map((t0) => sentAt.filter((t) => t >= t0 && t < t0 + spanMs).length));
    expect(most(60_000)).toBe(3);
    expect(most(3_600_000)).toBe(10);
    // Refused retries do not count: the client is not locked out for as long as it keeps trying.
    expect(sentAt.length).toBe(20);
  });

  it('10 sends per hour: the hour limit holds across minute windows', async () => {
    const { flow, clock } = setup();
    clock.set(Date.UTC(2026, 0, 1, 12, 0, 0));
    const codes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await flow.start({ email: EMAIL, purpose: 'login' });
      codes.push(r.ok ? 'OK' : r.error.code);
      clock.advance(61_000);
    }
    expect(codes).toEqual([...Array(10).fill('OK'), 'RATE_LIMITED', 'RATE_LIMITED']);
  });

  it('a store that throws: STORE_UNAVAILABLE and nothing is sent', async () => {
    const broken: ChallengeStore = {
      step: async () => {
        throw new Error('connection refused');
      },
    };
    const { flow, outbox } = setup({ store: broken });
    const r = await flow.start({ email: EMAIL, purpose: 'login' });
    expect(r).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    expect(outbox.messages).toHaveLength(0);
  });

  it('a sender that throws: SEND_FAILED, and no secret exists to verify the emailed code with', async () => {
    const sent: string[] = [];
    const { flow } = setup({
      sender: {
        async send(mail) {
          sent.push(mail.text);
          throw new Error('SMTP 421');
        },
      },
    });
    const r = await flow.start({ email: EMAIL, purpose: 'login' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('SEND_FAILED');
    expect(r.error.cause).toBeInstanceOf(Error);
    expect(Object.keys(r)).toEqual(['ok', 'error']);
    expect(sent).toHaveLength(1);
  });

  it('a sender that hangs: SEND_FAILED after sendTimeoutMs, and no secret', async () => {
    const { flow } = setup({
      sender: { send: () => new Promise<void>(() => {}) },
      policy: { sendTimeoutMs: 50 },
    });
    const r = await flow.start({ email: EMAIL, purpose: 'login' }); // without the timeout: hangs, test times out
    expect(r).toMatchObject({ ok: false, error: { code: 'SEND_FAILED' } });
    expect(Object.keys(r)).toEqual(['ok', 'error']);
    if (!r.ok) expect(String((r.error.cause as Error).message)).toMatch(/50 ms/);
  });

  // biome-ignore lint/suspicious/noThenProperty: a promise-like that never settles is what is under test
  const NEVER = { then() {} };
  it('a sender returning a thenable that adopts a never-settling one: SEND_FAILED after sendTimeoutMs', async () => {
    const { flow } = setup({
      // biome-ignore lint/suspicious/noThenProperty: a promise-like adopting one that never settles is under test
      sender: { send: () => ({ then: (ok: (v: unknown) => void) => ok(NEVER) }) as never },
      policy: { sendTimeoutMs: 50 },
    });
    const r = await flow.start({ email: EMAIL, purpose: 'login' });
    expect(r).toMatchObject({ ok: false, error: { code: 'SEND_FAILED' } });
  });

  it('a failed send does not supersede the previous, working code', async () => {
    let failing = false;
    const outbox = createTestOutbox();
    const { flow } = setup({
      sender: {
        async send(mail) {
          if (failing) throw new Error('down');
          await outbox.send(mail);
        },
      },
    });
    const first = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    const code = outbox.lastCode(EMAIL);
    failing = true;
    expect(await flow.start({ email: EMAIL, purpose: 'login' })).toMatchObject({
      ok: false,
      error: { code: 'SEND_FAILED' },
    });
    expect((await flow.verify({ ...first, purpose: 'login', code })).ok).toBe(true);
  });

  it('rejects bad configuration at start-up', async () => {
    const sender = { send: async () => {} };
    expect(() => createMailboxFlow({ keys, sender, appName: 'Acme\r\nBcc: x@evil.com' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => createMailboxFlow({ keys: [], sender, appName: 'Acme' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', fields: ['keys'] }),
    );
    expect(() => createMailboxFlow({ keys, sender, appName: 'Acme', policy: { maxAttempts: 0 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', fields: ['maxAttempts'] }),
    );
    expect(() => createMailboxFlow({ keys, sender, appName: 'Acme', headers: { 'X-A': 'b\nc' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => createMailboxFlow({ keys, sender: {} as never, appName: 'Acme' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', fields: ['sender'] }),
    );
  });

  it('a wrong code still cannot pass after a start for another purpose', async () => {
    const { flow, outbox } = setup();
    const login = must(await flow.start({ email: EMAIL, purpose: 'login' }));
    const loginCode = outbox.lastCode(EMAIL);
    must(await flow.start({ email: EMAIL, purpose: 'signup' }));
    // another purpose does not supersede this one
    expect((await flow.verify({ ...login, purpose: 'login', code: wrong(loginCode) })).ok).toBe(false);
    expect((await flow.verify({ ...login, purpose: 'login', code: loginCode })).ok).toBe(true);
  });
});
