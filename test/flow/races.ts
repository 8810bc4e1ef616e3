// The flow's race rules as one suite, run against every store: two app servers (two flows, each with its own
// store object and outbox) sharing one backing store, hit with parallel requests.
import { expect, it } from 'vitest';
import type { MailboxFlow, MailboxPolicy } from '../../src/index.js';
import type { TestOutbox } from '../../src/testing/index.js';
import { must, wrong } from './_setup.js';

export interface Server {
  flow: MailboxFlow;
  outbox: TestOutbox;
}

let counter = 0;
/** One mailbox per test (not a +tag: tags share their mailbox's send limits), so no test spends another's. */
const freshEmail = () => `Ada.${process.pid}.${counter++}@Example.com`;

export function testFlowAcrossServers(
  twoServers: (policy?: Partial<MailboxPolicy>) => [Server, Server],
): void {
  it('200 parallel wrong guesses spread over both servers: exactly 5 are evaluated', async () => {
    const [a, b] = twoServers();
    const email = freshEmail();
    const s = must(await a.flow.start({ email, purpose: 'login' }));
    const code = a.outbox.lastCode(email);
    expect(b.outbox.messages).toHaveLength(0);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? a : b).flow.verify({ ...s, purpose: 'login', code: wrong(code) }),
      ),
    );
    const codes = results.map((r) => (r.ok ? 'OK' : r.error.code));
    expect(codes.filter((c) => c === 'INVALID_CODE')).toHaveLength(5);
    expect(codes.filter((c) => c === 'ATTEMPTS_EXCEEDED')).toHaveLength(195);
    for (const { flow } of [a, b]) {
      expect(await flow.verify({ ...s, purpose: 'login', code })).toMatchObject({
        ok: false,
        error: { code: 'ATTEMPTS_EXCEEDED' },
      });
    }
  });

  it('50 parallel right codes spread over both servers: exactly one succeeds', async () => {
    for (const maxAttempts of [5, 100]) {
      const [a, b] = twoServers({ maxAttempts });
      const email = freshEmail();
      const s = must(await b.flow.start({ email, purpose: 'login' }));
      const code = b.outbox.lastCode(email);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).flow.verify({ ...s, purpose: 'login', code })),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const refusals = new Set(results.flatMap((r) => (r.ok ? [] : [r.error.code])));
      expect([...refusals].every((c) => c === 'INVALID_CHALLENGE' || c === 'ATTEMPTS_EXCEEDED')).toBe(true);
      expect((await a.flow.verify({ ...s, purpose: 'login', code })).ok).toBe(false);
      expect((await b.flow.verify({ ...s, purpose: 'login', code })).ok).toBe(false);
    }
  });

  it('a resend on server A supersedes the older code on server B', async () => {
    const [a, b] = twoServers({ resendCooldownSeconds: 0 });
    const email = freshEmail();
    const first = must(await b.flow.start({ email, purpose: 'signup' }));
    const firstCode = b.outbox.lastCode(email);
    const second = must(await a.flow.resend({ challengeId: first.challengeId, secret: first.secret }));
    const secondCode = a.outbox.lastCode(email);
    expect(b.outbox.messages).toHaveLength(1); // the new code went out through A's sender only
    expect(second.challengeId).toBe(first.challengeId);

    const stale = await b.flow.verify({ ...first, code: firstCode, purpose: 'signup' });
    expect(stale).toMatchObject({ ok: false, error: { code: 'CHALLENGE_SUPERSEDED' } });
    // The newest secret with the first email's code: told to use the newest email, no attempt spent.
    const late = await b.flow.verify({ ...second, code: firstCode, purpose: 'signup' });
    expect(late).toMatchObject({ ok: false, error: { code: 'CHALLENGE_SUPERSEDED' } });
    expect(await b.flow.inspect(second)).toMatchObject({ ok: true, status: 'pending', attemptsRemaining: 5 });
    const fresh = must(await b.flow.verify({ ...second, code: secondCode, purpose: 'signup' }));
    expect(fresh.challenge).toMatchObject({ email, purpose: 'signup' });
    expect(await a.flow.verify({ ...second, code: secondCode, purpose: 'signup' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_CHALLENGE' },
    });
    // Used: neither secret resends any more.
    for (const s of [first, second]) {
      expect(await a.flow.resend(s)).toMatchObject({ ok: false, error: { code: 'INVALID_CHALLENGE' } });
    }
  });

  it('send limits are shared: the fourth email in a minute is refused whichever server sends it', async () => {
    const [a, b] = twoServers();
    const email = freshEmail();
    must(await a.flow.start({ email, purpose: 'login' }));
    must(await b.flow.start({ email, purpose: 'login' }));
    must(await a.flow.start({ email, purpose: 'login' }));
    const refused = await b.flow.start({ email, purpose: 'login' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(refused.ok || refused.error.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('20 parallel starts spread over both servers: exactly 3 emails go out', async () => {
    const [a, b] = twoServers();
    const email = freshEmail();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).flow.start({ email, purpose: 'login' })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(results.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED')).toHaveLength(17);
    expect(a.outbox.messages.length + b.outbox.messages.length).toBe(3);
  });
}
