// One conformance suite for every ChallengeStore. The rules are written once (src/flow/state.ts); each
// store runs them (memory, compare-and-set, Postgres) or mirrors them (the Redis script), and this suite
// holds every one of them to the same behaviour: two app servers (two flows, each with its own store
// object, sender and possibly its own key order) sharing one backing store, on one fake clock.
import { describe, expect, it, vi } from 'vitest';
import {
  type ChallengeStore,
  createMailboxFlow,
  generateKey,
  type MailboxFlow,
  type MailboxKeys,
  type MailboxPolicy,
  type MailSender,
} from '../../src/index.js';
import {
  createTestClock,
  createTestOutbox,
  type TestClock,
  type TestOutbox,
} from '../../src/testing/index.js';
import { must, TEST_POLICY, wrong } from '../flow/_setup.js';
import { testFlowAcrossServers } from '../flow/races.js';

export interface StoreHarness {
  /** A new store object over the shared backing store: another app server's view of it. */
  store(): ChallengeStore;
  /** Loses every record at once (FLUSHALL, TRUNCATE, a restart). */
  lose(): Promise<void>;
}

interface Server {
  flow: MailboxFlow;
  outbox: TestOutbox;
}

const KEY_A = generateKey('a');
const KEY_B = generateKey('b');

let counter = 0;
/** A mailbox no other test (or earlier run against a shared server) uses. */
const freshEmail = (label = 'ada') => `${label}.${process.pid}.${Date.now()}.${counter++}@example.com`;

// TEST_POLICY (today's defaults, pinned). Correctness, not latency, is under test: 200 parallel steps queue
// on one record (and on a loaded CI machine), so give each step time rather than read a slow answer as a
// store outage.
const POLICY: Partial<MailboxPolicy> = { ...TEST_POLICY, storeTimeoutMs: 30_000 };

export function testStore(name: string, harness: () => StoreHarness): void {
  describe(`${name}: store conformance`, () => {
    /** Flows sharing the backing store and one clock; `keys` per server (rotation), policy for all. */
    function servers(
      options: {
        keys?: MailboxKeys[];
        policy?: Partial<MailboxPolicy>;
        clock?: TestClock;
        /** Each server's sender (default: its outbox). */
        sender?: (server: number, outbox: TestOutbox) => MailSender;
        /** How far each server's clock is ahead of the shared one, in ms (default: none). */
        skewMs?: number[];
      } = {},
    ) {
      const h = harness();
      const clock = options.clock ?? createTestClock(Date.UTC(2026, 0, 1, 12));
      const list = (options.keys ?? [[KEY_A], [KEY_A]]).map((keys, i): Server => {
        const outbox = createTestOutbox();
        const flow = createMailboxFlow({
          keys,
          sender: options.sender?.(i, outbox) ?? outbox,
          appName: 'Acme',
          store: h.store(),
          now: options.skewMs?.[i] ? () => clock.now() + options.skewMs![i]! : clock.now,
          policy: { ...POLICY, ...options.policy },
        });
        return { flow, outbox };
      });
      return { clock, servers: list, lose: () => h.lose() };
    }

    describe('races between two app servers', () => {
      testFlowAcrossServers((policy) => {
        const {
          servers: [a, b],
        } = servers({ policy: { ...policy, resendCooldownSeconds: 0 } });
        return [a!, b!];
      });
    });

    it('send limits slide exactly: the 4th email goes out exactly 60 s after the 1st, not a slot later', async () => {
      const {
        clock,
        servers: [a, b],
      } = servers();
      const email = freshEmail();
      const t0 = clock.now();
      must(await a!.flow.start({ email, purpose: 'login' }));
      clock.advance(1);
      must(await b!.flow.start({ email, purpose: 'login' }));
      clock.advance(1);
      must(await a!.flow.start({ email, purpose: 'login' }));
      clock.set(t0 + 59_999);
      expect(await b!.flow.start({ email, purpose: 'login' })).toMatchObject({
        ok: false,
        error: { code: 'RATE_LIMITED', retryAfterSeconds: 1 },
      });
      clock.set(t0 + 60_000);
      must(await b!.flow.start({ email, purpose: 'login' }));
    });

    it('retryAfterSeconds waits for every limit, exact to the second, and a return at that time is let through', async () => {
      const {
        clock,
        servers: [a],
      } = servers({
        policy: {
          sendLimits: [
            { max: 3, windowSeconds: 60 },
            { max: 4, windowSeconds: 3_600 },
          ],
        },
      });
      const email = freshEmail();
      const t0 = clock.now();
      for (const at of [0, 61_000, 62_000, 63_000]) {
        clock.set(t0 + at);
        must(await a!.flow.start({ email, purpose: 'login' }));
      }
      clock.set(t0 + 64_000);
      const refused = await a!.flow.start({ email, purpose: 'login' });
      // The minute limit frees up at 121 s, the hour limit only at 3,600 s: the answer is the later one.
      expect(refused).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', retryAfterSeconds: 3_536 } });
      clock.set(t0 + 3_600_000 - 1);
      expect((await a!.flow.start({ email, purpose: 'login' })).ok).toBe(false);
      clock.set(t0 + 3_600_000);
      must(await a!.flow.start({ email, purpose: 'login' }));
    });

    it('one mailbox identity: +tags and case share the send limits and the failure budget; mail goes as typed', async () => {
      const {
        servers: [a, b],
      } = servers({ policy: { sendLimits: [{ max: 100, windowSeconds: 60 }] } });
      const base = freshEmail('victim');
      const [local, domain] = base.split('@') as [string, string];
      let evaluated = 0;
      for (let n = 0; evaluated < 30 && n < 30; n++) {
        const email = `${local}+${n}@${n % 2 ? domain.toUpperCase() : domain}`;
        const s = await (n % 2 ? a! : b!).flow.start({ email, purpose: 'login' });
        if (!s.ok) {
          expect(s.error.code).toBe('ATTEMPTS_EXCEEDED');
          break;
        }
        const outbox = (n % 2 ? a! : b!).outbox;
        expect(outbox.messages.at(-1)!.to).toBe(email);
        const code = outbox.lastCode(email);
        for (let i = 0; i < 5; i++) {
          const r = await a!.flow.verify({ ...s, purpose: 'login', code: wrong(code) });
          if (!r.ok && r.error.code === 'INVALID_CODE') evaluated++;
        }
      }
      expect(evaluated).toBe(20);
    });

    it('the failure budget slides: no burst of 40 around a day boundary', async () => {
      const {
        clock,
        servers: [a],
      } = servers({ policy: { maxAttempts: 100 } });
      clock.set(Date.UTC(2026, 0, 1, 23, 59));
      const email = freshEmail();
      const s = must(await a!.flow.start({ email, purpose: 'login' }));
      const code = a!.outbox.lastCode(email);
      let evaluated = 0;
      for (const at of [Date.UTC(2026, 0, 1, 23, 59, 30), Date.UTC(2026, 0, 2, 0, 0, 30)]) {
        clock.set(at);
        for (let i = 0; i < 20; i++) {
          const r = await a!.flow.verify({ ...s, purpose: 'login', code: wrong(code) });
          if (!r.ok && r.error.code === 'INVALID_CODE') evaluated++;
        }
      }
      expect(evaluated).toBe(20);
    });

    it('a code from an earlier email, typed with the newest secret, is CHALLENGE_SUPERSEDED and costs nothing', async () => {
      const {
        clock,
        servers: [a, b],
      } = servers();
      const email = freshEmail();
      const first = must(await a!.flow.start({ email, purpose: 'login' }));
      const firstCode = a!.outbox.lastCode(email);
      const second = must(await b!.flow.start({ email, purpose: 'login' })); // the form, submitted twice
      const secondCode = b!.outbox.lastCode(email);
      clock.advance(30_000);
      const third = must(await a!.flow.resend(second)); // and the resend button
      const thirdCode = a!.outbox.lastCode(email);
      for (let i = 0; i < 12; i++) {
        for (const old of [firstCode, secondCode]) {
          if (old === thirdCode) continue;
          const r = await (i % 2 ? a! : b!).flow.verify({ ...third, purpose: 'login', code: old });
          expect(r).toMatchObject({ ok: false, error: { code: 'CHALLENGE_SUPERSEDED' } });
        }
      }
      expect(await a!.flow.inspect(third)).toMatchObject({
        ok: true,
        status: 'pending',
        attemptsRemaining: 5,
      });
      expect(await a!.flow.inspect(first)).toMatchObject({ ok: true, status: 'superseded' });
      must(await b!.flow.verify({ ...third, purpose: 'login', code: thirdCode }));
    });

    it('resend: same challengeId, first-send time kept, never after use, never past the resend window', async () => {
      const {
        clock,
        servers: [a, b],
      } = servers();
      const email = freshEmail();
      const s = must(await a!.flow.start({ email, purpose: 'login', userId: 'u1' }));
      const created = clock.now();
      let last = s;
      for (let i = 0; i < 3; i++) {
        clock.advance(19 * 60_000);
        last = must(await (i % 2 ? a! : b!).flow.resend(last));
        expect(last.challengeId).toBe(s.challengeId);
      }
      clock.set(created + 3_600_000); // the window closes an hour after the first send, however often resent
      expect(await a!.flow.resend(last)).toMatchObject({ ok: false, error: { code: 'CHALLENGE_EXPIRED' } });
      clock.set(created + 3_600_000 - 1);
      const fresh = must(await b!.flow.resend(last));
      const used = must(
        await a!.flow.verify({ ...fresh, purpose: 'login', code: b!.outbox.lastCode(email) }),
      );
      expect(used.challenge).toMatchObject({ createdAt: created, userId: 'u1', challengeId: s.challengeId });
      clock.advance(11 * 60_000); // the used marker lives as long as the resend window: no resend after use
      for (const secret of [s, last, fresh]) {
        expect((await a!.flow.resend(secret)).ok).toBe(false);
        expect(
          (await b!.flow.verify({ ...secret, purpose: 'login', code: b!.outbox.lastCode(email) })).ok,
        ).toBe(false);
      }
    });

    it('a verify and a resend in flight together: the old code and the new code never both work', async () => {
      for (let round = 0; round < 20; round++) {
        const {
          clock,
          servers: [a, b],
        } = servers();
        const email = freshEmail();
        const s = must(await a!.flow.start({ email, purpose: 'login' }));
        const oldCode = a!.outbox.lastCode(email);
        clock.advance(30_000);
        const [verified, resent] = await Promise.all([
          b!.flow.verify({ ...s, purpose: 'login', code: oldCode }),
          a!.flow.resend(s),
        ]);
        let successes = verified.ok ? 1 : 0;
        if (resent.ok) {
          const r = await b!.flow.verify({ ...resent, purpose: 'login', code: a!.outbox.lastCode(email) });
          if (r.ok) successes++;
        }
        expect(successes).toBe(1);
      }
    });

    it('rotation: [A] and [B, A] on one store share every record; nothing revives, every cap stays exact', async () => {
      const {
        clock,
        servers: [old, rotated],
      } = servers({ keys: [[KEY_A], [KEY_B, KEY_A]] });
      const email = freshEmail();
      // Sealed by A, used through [B, A]: never again through [A].
      const s = must(await old!.flow.start({ email, purpose: 'login' }));
      const code = old!.outbox.lastCode(email);
      must(await rotated!.flow.verify({ ...s, purpose: 'login', code }));
      expect((await old!.flow.verify({ ...s, purpose: 'login', code })).ok).toBe(false);
      // Sealed by B, superseded through [A]: the old code never works again on either.
      clock.advance(60_000);
      const t = must(await rotated!.flow.start({ email, purpose: 'signup' }));
      const tCode = rotated!.outbox.lastCode(email);
      must(await old!.flow.start({ email, purpose: 'signup' }));
      expect(await rotated!.flow.verify({ ...t, purpose: 'signup', code: tCode })).toMatchObject({
        ok: false,
        error: { code: 'CHALLENGE_SUPERSEDED' },
      });
      // [A] cannot even open a secret sealed by B.
      expect((await old!.flow.verify({ ...t, purpose: 'signup', code: tCode })).ok).toBe(false);
      // 10 wrong guesses alternating between the two: exactly 5 are evaluated.
      clock.advance(60_000);
      const u = must(await rotated!.flow.start({ email, purpose: 'email-change' }));
      const uCode = rotated!.outbox.lastCode(email);
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? old! : rotated!).flow.verify({ ...u, purpose: 'email-change', code: wrong(uCode) }),
        ),
      );
      expect(answers.filter((r) => !r.ok && r.error.code === 'INVALID_CODE')).toHaveLength(5);
      // The send limits count both: 3 sends in this minute at most.
      const sends = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? old! : rotated!).flow.start({ email, purpose: 'login' }),
        ),
      );
      expect(sends.filter((r) => r.ok)).toHaveLength(2); // email-change was the first send this minute
    });

    it('instances with opposite key orders ([A, B] and [B, A]) share every record', async () => {
      const {
        servers: [ab, ba],
      } = servers({
        keys: [
          [KEY_A, KEY_B],
          [KEY_B, KEY_A],
        ],
      });
      const email = freshEmail();
      const s = must(await ab!.flow.start({ email, purpose: 'login' }));
      must(await ba!.flow.verify({ ...s, purpose: 'login', code: ab!.outbox.lastCode(email) }));
      // One send limit between them: 2 more this minute, whichever instance asks.
      const sends = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? ab! : ba!).flow.start({ email, purpose: 'signup' })),
      );
      expect(sends.filter((r) => r.ok)).toHaveLength(2);
    });

    describe('an email that fails after other steps: the release undoes its own step and nothing newer', () => {
      /**
       * A challenge started on server a, 30 s ago (past the resend cooldown), and server b, whose emails wait
       * until the test fails them (an SMTP server that is slow, then down).
       */
      async function startedWithSlowFailingB() {
        const pending: Array<() => void> = [];
        const world = servers({
          sender: (i, outbox) =>
            i === 1
              ? {
                  send: () =>
                    new Promise<void>((_, reject) => pending.push(() => reject(new Error('smtp down')))),
                }
              : outbox,
        });
        const [a, b] = world.servers as [Server, Server];
        const email = freshEmail();
        const s = must(await a.flow.start({ email, purpose: 'login' }));
        const code = a.outbox.lastCode(email);
        world.clock.advance(30_000);
        /** Waits until b's email is on its way (its step is done), runs `meanwhile`, then fails the email. */
        const failAfter = async <T>(sending: Promise<T>, meanwhile: () => Promise<unknown>): Promise<T> => {
          await vi.waitFor(() => expect(pending).toHaveLength(1));
          await meanwhile();
          pending.shift()!();
          return sending;
        };
        return { a, b, email, s, code, clock: world.clock, failAfter };
      }

      it('a challenge cancelled while its resend was on the way stays cancelled', async () => {
        const { a, b, s, code, failAfter } = await startedWithSlowFailingB();
        const resent = await failAfter(b.flow.resend(s), async () => must(await a.flow.cancel(s)));
        expect(resent).toMatchObject({ ok: false, error: { code: 'SEND_FAILED' } });
        expect(await a.flow.inspect(s)).toMatchObject({ status: 'cancelled', resendAvailableAt: null });
        expect(await a.flow.verify({ ...s, purpose: 'login', code })).toMatchObject({
          ok: false,
          error: { code: 'INVALID_CHALLENGE' },
        });
        expect(await a.flow.resend(s)).toMatchObject({ ok: false, error: { code: 'INVALID_CHALLENGE' } });
      });

      it('a failed resend gives back no attempt: the first secret is current again with what it had left', async () => {
        const { a, b, s, code, failAfter } = await startedWithSlowFailingB();
        for (let i = 0; i < 4; i++) await a.flow.verify({ ...s, purpose: 'login', code: wrong(code) });
        // A wrong code typed with the first secret while the resend's email is on its way: the resend made
        // that secret superseded, so it costs nothing...
        const resent = await failAfter(b.flow.resend(s), async () =>
          expect(await a.flow.verify({ ...s, purpose: 'login', code: wrong(code) })).toMatchObject({
            error: { code: 'CHALLENGE_SUPERSEDED' },
          }),
        );
        expect(resent).toMatchObject({ ok: false, error: { code: 'SEND_FAILED' } });
        // ...and once the resend is undone, the first secret is current again with its one attempt left.
        expect(await a.flow.inspect(s)).toMatchObject({ status: 'pending', attemptsRemaining: 1 });
        expect(await a.flow.verify({ ...s, purpose: 'login', code: wrong(code) })).toMatchObject({
          error: { code: 'INVALID_CODE', attemptsRemaining: 0 },
        });
        expect(await a.flow.verify({ ...s, purpose: 'login', code })).toMatchObject({
          error: { code: 'ATTEMPTS_EXCEEDED' },
        });
      });

      // A start on a while b's resend (or b's own start) of the same mailbox and purpose is on its way.
      for (const failing of ['resend', 'start'] as const) {
        it(`a start made while a ${failing} was on the way stays current: its code works, older ones are superseded`, async () => {
          const { a, b, email, s, code, failAfter } = await startedWithSlowFailingB();
          let newer: Awaited<ReturnType<MailboxFlow['start']>> | undefined;
          const sending = failing === 'resend' ? b.flow.resend(s) : b.flow.start({ email, purpose: 'login' });
          const failed = await failAfter(sending, async () => {
            newer = await a.flow.start({ email, purpose: 'login' });
          });
          expect(failed).toMatchObject({ ok: false, error: { code: 'SEND_FAILED' } });
          const t = must(newer!);
          const newCode = a.outbox.lastCode(email);
          expect(await a.flow.inspect(s)).toMatchObject({ status: 'superseded' });
          expect(await a.flow.verify({ ...s, purpose: 'login', code })).toMatchObject({
            error: { code: 'CHALLENGE_SUPERSEDED' },
          });
          // The first email's code typed with the newest secret: superseded, no attempt spent.
          expect(await a.flow.verify({ ...t, purpose: 'login', code })).toMatchObject({
            error: { code: 'CHALLENGE_SUPERSEDED' },
          });
          expect(await a.flow.inspect(t)).toMatchObject({ status: 'pending', attemptsRemaining: 5 });
          must(await a.flow.verify({ ...t, purpose: 'login', code: newCode }));
        });
      }

      it('app servers whose clocks disagree: after a failed start, the newest delivered code is current', async () => {
        // a's clock is 10 s ahead: its email 3 s before b's carries the later time. Which code is newest is
        // a count in the record, not a time.
        let failing = false;
        const {
          clock,
          servers: [a, b],
        } = servers({
          skewMs: [10_000, 0],
          sender: (i, outbox) =>
            i === 1
              ? { send: (mail) => (failing ? Promise.reject(new Error('smtp down')) : outbox.send(mail)) }
              : outbox,
        });
        const email = freshEmail();
        const first = must(await a!.flow.start({ email, purpose: 'login' }));
        const firstCode = a!.outbox.lastCode(email);
        clock.advance(3_000);
        const second = must(await b!.flow.start({ email, purpose: 'login' }));
        const secondCode = b!.outbox.lastCode(email);
        clock.advance(3_000);
        failing = true;
        expect(await b!.flow.start({ email, purpose: 'login' })).toMatchObject({
          error: { code: 'SEND_FAILED' },
        });
        expect(await a!.flow.inspect(first)).toMatchObject({ status: 'superseded' });
        expect(await a!.flow.verify({ ...first, purpose: 'login', code: firstCode })).toMatchObject({
          error: { code: 'CHALLENGE_SUPERSEDED' },
        });
        must(await a!.flow.verify({ ...second, purpose: 'login', code: secondCode }));
      });

      it('with nothing in between, a failed resend leaves the challenge exactly as before it', async () => {
        const { a, b, s, code, clock, failAfter } = await startedWithSlowFailingB();
        const before = await a.flow.inspect(s);
        expect(await failAfter(b.flow.resend(s), async () => {})).toMatchObject({
          error: { code: 'SEND_FAILED' },
        });
        expect(await a.flow.inspect(s)).toEqual({ ...before, resendAvailableAt: clock.now() });
        must(await a.flow.verify({ ...s, purpose: 'login', code }));
      });
    });

    it('the send limits count notices on their own: no mail bomb of the old address, a bounded record', async () => {
      const {
        clock,
        servers: [a],
      } = servers();
      const email = freshEmail();
      const notify = () => a!.flow.notifyEmailChange({ oldEmail: email, newEmail: freshEmail() });
      // 3 per 60 s and 10 per hour (TEST_POLICY): 3 in the first minute, then a wait to the second.
      for (let i = 0; i < 3; i++) must(await notify());
      clock.advance(1_000);
      expect(await notify()).toMatchObject({
        ok: false,
        error: { code: 'RATE_LIMITED', retryAfterSeconds: 59 },
      });
      for (let minute = 1; minute <= 10; minute++) {
        clock.advance(60_000);
        while ((await notify()).ok);
      }
      // 10 in the hour, however they are spread; none of the refused ones was sent.
      expect(a!.outbox.messages.filter((m) => m.to === email)).toHaveLength(10);
      expect(await a!.flow.start({ email, purpose: 'login' })).toMatchObject({
        ok: false,
        error: { code: 'RATE_LIMITED' },
      });
    });

    it('codes sent by app servers whose clocks disagree never keep a notice from going', async () => {
      // b's clock is 12 s ahead: it reads a's codes as out of the minute 12 s early and sends 3 more, so
      // a's own minute holds 6 codes (3 allowed). The notice, counted on its own, still goes.
      const {
        clock,
        servers: [a, b],
      } = servers({ skewMs: [0, 12_000] });
      const email = freshEmail();
      for (let i = 0; i < 3; i++) {
        must(await a!.flow.start({ email, purpose: 'login' }));
        clock.advance(1_000);
      }
      clock.advance(47_001); // a: 50.001 s after the first code; b: 62.001 s
      for (let i = 0; i < 3; i++) must(await b!.flow.start({ email, purpose: 'signup' }));
      clock.advance(5_000);
      must(await a!.flow.notifyEmailChange({ oldEmail: email, newEmail: freshEmail() }));
      expect(a!.outbox.messages.filter((m) => m.to === email)).toHaveLength(4);
    });

    it('codes filling the send limits never keep the email-change notice from going; it counts against later codes', async () => {
      const {
        servers: [a],
      } = servers();
      const email = freshEmail();
      for (let i = 0; i < 3; i++) must(await a!.flow.start({ email, purpose: 'login' }));
      // Whoever just took over the account spent the old mailbox's limit; the owner still hears of it.
      must(await a!.flow.notifyEmailChange({ oldEmail: email, newEmail: freshEmail() }));
      expect(a!.outbox.messages.filter((m) => m.to === email)).toHaveLength(4);
      expect(await a!.flow.start({ email, purpose: 'login' })).toMatchObject({
        ok: false,
        error: { code: 'RATE_LIMITED' },
      });
    });

    it('a purpose named like an Object.prototype member is just a purpose', async () => {
      const {
        servers: [a, b],
      } = servers();
      for (const purpose of ['constructor', 'tostring', 'valueof', 'hasownproperty']) {
        const email = freshEmail();
        const s = must(await a!.flow.start({ email, purpose }));
        expect(await b!.flow.inspect(s)).toMatchObject({ ok: true, status: 'pending', purpose });
        must(await b!.flow.verify({ ...s, purpose, code: a!.outbox.lastCode(email) }));
      }
    });

    it('rotation with a storeSecret: removing the old key keeps budgets and used challenges', async () => {
      const storeSecret = generateKey('s').secret;
      const h = harness();
      const clock = createTestClock(Date.UTC(2026, 0, 1, 12));
      const make = (keys: MailboxKeys) => {
        const outbox = createTestOutbox();
        const flow = createMailboxFlow({
          keys,
          storeSecret,
          sender: outbox,
          appName: 'Acme',
          store: h.store(),
          now: clock.now,
          policy: POLICY,
        });
        return { flow, outbox };
      };
      const [before, during, after] = [make([KEY_A]), make([KEY_B, KEY_A]), make([KEY_B])];
      const email = freshEmail();
      for (let i = 0; i < 3; i++)
        must(await [before, during, after][i]!.flow.start({ email, purpose: 'login' }));
      expect(await after.flow.start({ email, purpose: 'login' })).toMatchObject({
        ok: false,
        error: { code: 'RATE_LIMITED' },
      });
      // Used through [B, A], never again through [B] alone.
      const other = freshEmail();
      const s = must(await during.flow.start({ email: other, purpose: 'login' }));
      const code = during.outbox.lastCode(other);
      must(await after.flow.verify({ ...s, purpose: 'login', code }));
      expect((await during.flow.verify({ ...s, purpose: 'login', code })).ok).toBe(false);
      expect((await after.flow.verify({ ...s, purpose: 'login', code })).ok).toBe(false);
    });

    it('lost state (flush, eviction, restart) fails closed: nothing verifies, nothing resends, a new start works', async () => {
      const {
        clock,
        servers: [a, b],
        lose,
      } = servers();
      const email = freshEmail();
      const used = must(await a!.flow.start({ email, purpose: 'signup' }));
      const usedCode = a!.outbox.lastCode(email);
      must(await a!.flow.verify({ ...used, purpose: 'signup', code: usedCode }));
      const locked = must(await a!.flow.start({ email, purpose: 'login' }));
      const lockedCode = a!.outbox.lastCode(email);
      for (let i = 0; i < 4; i++)
        await a!.flow.verify({ ...locked, purpose: 'login', code: wrong(lockedCode) });
      const pending = must(await b!.flow.start({ email, purpose: 'email-change' }));
      const pendingCode = b!.outbox.lastCode(email);
      await lose();
      clock.advance(30_000);
      for (const [s, purpose, code] of [
        [used, 'signup', usedCode],
        [locked, 'login', lockedCode],
        [pending, 'email-change', pendingCode],
      ] as const) {
        expect(await b!.flow.verify({ ...s, purpose, code })).toMatchObject({
          ok: false,
          error: { code: 'INVALID_CHALLENGE' },
        });
        expect(await a!.flow.verify({ ...s, purpose, code: wrong(code) })).toMatchObject({
          ok: false,
          error: { code: 'INVALID_CHALLENGE' },
        });
        expect(await a!.flow.resend(s)).toMatchObject({ ok: false, error: { code: 'INVALID_CHALLENGE' } });
        expect(await a!.flow.inspect(s)).toMatchObject({ ok: false, error: { code: 'INVALID_CHALLENGE' } });
      }
      const again = must(await a!.flow.start({ email, purpose: 'login' }));
      must(await b!.flow.verify({ ...again, purpose: 'login', code: a!.outbox.lastCode(email) }));
      // The lost challenge of that purpose is now plainly superseded, and still never verifies.
      expect((await b!.flow.verify({ ...locked, purpose: 'login', code: lockedCode })).ok).toBe(false);
    });

    it('inspect reports every status; cancel ends a challenge for good', async () => {
      const {
        clock,
        servers: [a, b],
      } = servers();
      const email = freshEmail();
      const s = must(await a!.flow.start({ email, purpose: 'login' }));
      const code = a!.outbox.lastCode(email);
      expect(await b!.flow.inspect(s)).toEqual({
        ok: true,
        purpose: 'login',
        email,
        status: 'pending',
        expiresAt: s.expiresAt,
        resendAvailableAt: clock.now() + 30_000,
        attemptsRemaining: 5,
        codeLength: 6,
        codeAlphabet: 'digits',
      });
      await a!.flow.verify({ ...s, purpose: 'login', code: wrong(code) });
      expect(await b!.flow.inspect(s)).toMatchObject({ status: 'pending', attemptsRemaining: 4 });
      clock.advance(600_000);
      expect(await b!.flow.inspect(s)).toMatchObject({ status: 'expired', resendAvailableAt: clock.now() });
      must(await b!.flow.cancel(s));
      expect(await a!.flow.inspect(s)).toMatchObject({ status: 'cancelled', resendAvailableAt: null });
      expect(await a!.flow.resend(s)).toMatchObject({ ok: false, error: { code: 'INVALID_CHALLENGE' } });

      const t = must(await a!.flow.start({ email, purpose: 'signup' }));
      const tCode = a!.outbox.lastCode(email);
      must(await b!.flow.cancel(t));
      expect(await b!.flow.verify({ ...t, purpose: 'signup', code: tCode })).toMatchObject({
        ok: false,
        error: { code: 'INVALID_CHALLENGE' },
      });

      clock.advance(60_000);
      const u = must(await a!.flow.start({ email, purpose: 'email-change' }));
      const uCode = a!.outbox.lastCode(email);
      for (let i = 0; i < 5; i++) await b!.flow.verify({ ...u, purpose: 'email-change', code: wrong(uCode) });
      expect(await a!.flow.inspect(u)).toMatchObject({
        status: 'locked',
        attemptsRemaining: 0,
        resendAvailableAt: null,
      });

      const v = must(await a!.flow.start({ email, purpose: 'login' }));
      must(await a!.flow.verify({ ...v, purpose: 'login', code: a!.outbox.lastCode(email) }));
      expect(await b!.flow.inspect(v)).toMatchObject({ status: 'used', resendAvailableAt: null });
    });

    it('mailboxes are isolated: one spent mailbox never limits another', async () => {
      const {
        servers: [a],
      } = servers();
      const [spent, other] = [freshEmail(), freshEmail()];
      for (let i = 0; i < 3; i++) must(await a!.flow.start({ email: spent, purpose: 'login' }));
      expect((await a!.flow.start({ email: spent, purpose: 'login' })).ok).toBe(false);
      const s = must(await a!.flow.start({ email: other, purpose: 'login' }));
      must(await a!.flow.verify({ ...s, purpose: 'login', code: a!.outbox.lastCode(other) }));
    });
  });
}
