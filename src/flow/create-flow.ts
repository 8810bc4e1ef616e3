import { z } from 'zod';
import type { ChallengeStore, MailSender } from '../adapters.js';
import { type MessageOptions, messageOptionsSchema, renderChallengeMessage } from '../email/render.js';
import { MailboxChallengeError } from '../errors.js';
import { parseEmail } from '../lib/_address.js';
import {
  type ChallengeSpec,
  codeMatches,
  draftChallenge,
  drawSize,
  inspect,
  type MailboxChallenge,
  publicChallenge,
  sealDraft,
  type VerifyInput,
} from '../lib/_challenge.js';
import { headersField } from '../lib/_headers.js';
import { type JsonObject, serializeMetadata } from '../lib/_json.js';
import { type MailboxKeys, resolveKeys } from '../lib/_keys.js';
import { randomBytes } from '../lib/_random.js';
import {
  emailField,
  metadataField,
  parseInput,
  purposeField,
  readClock,
  userIdField,
} from '../lib/_schema.js';
import { type ChallengePayload, openChallenge } from '../lib/_token.js';
import { memoryStore } from '../stores/memory.js';
import type { Result } from '../verify.js';
import {
  GENERATION_WINDOW_SECONDS,
  guardStore,
  type Reservation,
  reserveInWindow,
  StoreFailure,
  storeKey,
  storeUnavailable,
  ttlUntil,
  windowAt,
  withTimeout,
} from './_counters.js';
import { type MailboxPolicy, resolvePolicy } from './policy.js';

/** Options of {@link createMailboxFlow}. */
export interface MailboxFlowOptions {
  /** `keys[0]` seals new challenges and keys the store; every key verifies. */
  keys: MailboxKeys;
  /** Delivers the emails. See `consoleSender()` for development and `createTestOutbox()` for tests. */
  sender: MailSender;
  /** Shown in every email and subject (no line breaks). */
  appName: string;
  /** Counter store; default an in-process `memoryStore({ now })`. Share one (e.g. Redis) across processes. */
  store?: ChallengeStore;
  /** Email options other than the name and language: brand, support text, link, code in subject, template. */
  message?: Omit<MessageOptions, 'appName' | 'locale' | 'acceptLanguage'>;
  /** Overrides of the default policy; see {@link MailboxPolicy}. */
  policy?: Partial<MailboxPolicy>;
  /** Extra headers on every email (no CR or LF). */
  headers?: Record<string, string>;
  /** Clock in epoch milliseconds; default `Date.now`. Give the same clock to the store. */
  now?: () => number;
}

/** Input of `flow.start`. */
export interface StartInput {
  email: string;
  purpose: string;
  userId?: string | null;
  metadata?: JsonObject | null;
  /** Explicit locale (wins), e.g. from the user's profile. */
  locale?: string;
  /** The request's Accept-Language header. */
  acceptLanguage?: string;
}

/** Input of `flow.resend`. */
export interface ResendInput {
  challengeId: string;
  secret: string;
  locale?: string;
  acceptLanguage?: string;
}

/** What the host keeps after a start or resend: the same three fields whether or not it knows the address. */
export interface IssuedChallenge {
  challengeId: string;
  /** Keep server-side or in an HTTP-only cookie; never show it. */
  secret: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** The object {@link createMailboxFlow} returns. No method throws for anything a client can send. */
export interface MailboxFlow {
  /** Creates a challenge and emails its code. */
  start(input: StartInput): Promise<Result<IssuedChallenge>>;
  /** Emails a new code for an existing challenge; the old code stops working (CHALLENGE_SUPERSEDED). */
  resend(input: ResendInput): Promise<Result<IssuedChallenge>>;
  /** Checks a code once: attempt limits, address budget, latest code only, single use. */
  verify(input: VerifyInput): Promise<Result<{ challenge: MailboxChallenge }>>;
  /** The resolved policy in force. */
  readonly policy: Readonly<MailboxPolicy>;
}

const localeFields = {
  locale: z.string().max(35).optional(),
  acceptLanguage: z.string().max(4096).optional(),
};
const startSchema = z
  .object({
    email: emailField,
    purpose: purposeField,
    userId: userIdField,
    metadata: metadataField,
    ...localeFields,
  })
  .strict();
const resendLocaleSchema = z.object(localeFields);
const optionsSchema = z.object({ headers: headersField.optional() });

const fail = (error: MailboxChallengeError) => ({ ok: false as const, error });
const err = (
  code: MailboxChallengeError['code'],
  message?: string,
  details?: { retryAfterSeconds?: number },
) => fail(new MailboxChallengeError(code, message, details));

/** Runs `fn`, turning a thrown MailboxChallengeError into `{ ok: false }` and a store failure into STORE_UNAVAILABLE. */
async function settle<T>(fn: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof MailboxChallengeError) return fail(e);
    if (e instanceof StoreFailure) return fail(storeUnavailable(e));
    // Anything else is a bug or hostile input (a throwing getter): never let it escape as an exception.
    return fail(new MailboxChallengeError('INVALID_INPUT', 'Invalid input', { cause: e }));
  }
}

/**
 * Creates the whole email-proof flow: `start` (rate-limited, sends the email), `resend` and `verify`
 * (attempt limits, per-address failure budget, only the latest code, single use), over a pluggable store.
 *
 * Race rules: every attempt is counted in the store before the code is compared, so parallel guesses never
 * evaluate more than the limits allow; success is claimed with an atomic set-if-absent, so parallel right
 * codes succeed exactly once. A failing or slow store answers STORE_UNAVAILABLE, never `ok: true`.
 *
 * @param options - Keys, sender, app name, and optional store, policy, message options and clock.
 * @returns `{ start, resend, verify, policy }`.
 * @throws MailboxChallengeError `INVALID_INPUT` for bad options (a configuration error at start-up).
 * @example
 * ```ts
 * const flow = createMailboxFlow({
 *   keys: parseKeys(process.env.MAILBOX_KEYS!),
 *   sender: nodemailerSender(transport),
 *   appName: 'Acme',
 * });
 * const started = await flow.start({ email: req.body.email, purpose: 'login', acceptLanguage: req.headers['accept-language'] });
 * if (started.ok) res.cookie('mc', started.secret, { httpOnly: true, secure: true, sameSite: 'lax' });
 * // later
 * const checked = await flow.verify({ challengeId, secret: req.cookies.mc, code: req.body.code, purpose: 'login' });
 * ```
 */
export function createMailboxFlow(options: MailboxFlowOptions): MailboxFlow {
  const keys = resolveKeys(options?.keys);
  const policy = resolvePolicy(options.policy);
  const clock = options.now;
  const now = () => readClock(clock);
  const message = parseInput(
    messageOptionsSchema,
    { ...options.message, appName: options.appName },
    'message',
  );
  const { headers } = parseInput(optionsSchema, { headers: options.headers }, 'options');
  if (typeof options.sender?.send !== 'function') {
    throw new MailboxChallengeError('INVALID_INPUT', 'sender must have a send(mail) method', {
      fields: ['sender'],
    });
  }
  const rawStore = options.store ?? memoryStore(clock ? { now: clock } : {});
  for (const m of ['increment', 'get', 'setIfAbsent'] as const) {
    if (typeof rawStore[m] !== 'function') {
      throw new MailboxChallengeError('INVALID_INPUT', `store must implement ${m}()`, { fields: ['store'] });
    }
  }
  const store = guardStore(rawStore, policy.storeTimeoutMs);
  const sender = options.sender;
  const k = keys.primary; // store keys follow the sealing key: rotating it starts fresh counters once

  const genKey = (address: string, purpose: string, index: number) =>
    storeKey(k, 'gen', address, purpose, index);
  const failWindow = (address: string, t: number) => {
    const w = windowAt(t, policy.addressFailures.windowSeconds);
    return {
      ...w,
      fail: storeKey(k, 'fail', address, w.index),
      refund: storeKey(k, 'refund', address, w.index),
    };
  };

  /** Wrong codes counted against the address in the current window (reservations minus successes). */
  async function addressFailures(w: ReturnType<typeof failWindow>, reserve: boolean): Promise<number> {
    const reserved = reserve
      ? await store.increment(w.fail, policy.addressFailures.windowSeconds)
      : await store.get(w.fail);
    return (reserved ?? 0) - ((await store.get(w.refund)) ?? 0);
  }

  /**
   * "Only the latest code works": each start or resend increments a generation counter per address and
   * purpose in day buckets, and the secret carries the value it got. A challenge is superseded when its
   * bucket's counter moved on, or when a later bucket has one (a challenge lives at most one bucket).
   */
  async function isSuperseded(p: ChallengePayload, t: number): Promise<boolean> {
    const address = p.email.toLowerCase();
    const bucket = windowAt(p.createdAt, GENERATION_WINDOW_SECONDS).index;
    const current = await store.get(genKey(address, p.purpose, bucket));
    // null means the store lost the counter (restart, eviction): every counter is gone then, so nothing is
    // gained by refusing, and the challenge is still bound by its expiry and attempt limit.
    if (current !== null && current !== p.generation) return true;
    const today = windowAt(t, GENERATION_WINDOW_SECONDS).index;
    return today > bucket && (await store.get(genKey(address, p.purpose, today))) !== null;
  }

  async function issue(spec: ChallengeSpec, locale: { locale?: string; acceptLanguage?: string }, t: number) {
    const address = parseEmail(spec.email)!;
    const failures = failWindow(address.normalized, t);
    if ((await addressFailures(failures, false)) >= policy.addressFailures.max) {
      return err('ATTEMPTS_EXCEEDED', 'Too many incorrect codes for this address', {
        retryAfterSeconds: failures.secondsLeft,
      });
    }
    // Every limit holds a reservation; a refusal by any of them releases them all, since nothing is sent.
    const reservations: Reservation[] = [];
    for (const [i, limit] of policy.sendLimits.entries()) {
      const slotKey = (slot: number, counter: 'reserved' | 'released') =>
        storeKey(
          k,
          counter === 'reserved' ? 'send' : 'unsent',
          i,
          limit.windowSeconds,
          address.mailbox,
          slot,
        );
      const reservation = await reserveInWindow(store, slotKey, limit, t);
      reservations.push(reservation);
      if (reservation.wait > 0) {
        await Promise.all(reservations.map((r) => r.release()));
        return err('RATE_LIMITED', undefined, { retryAfterSeconds: reservation.wait });
      }
    }
    const draft = draftChallenge(spec, k, t, randomBytes(drawSize(spec)));
    const rendered = renderChallengeMessage({
      purpose: spec.purpose,
      code: draft.code,
      email: spec.email,
      challengeId: draft.challengeId,
      ttlSeconds: spec.ttlSeconds,
      options: { ...message, ...locale },
    });
    try {
      const sending = Promise.resolve().then(() =>
        sender.send({
          to: spec.email,
          subject: rendered.subject,
          html: rendered.html,
          text: rendered.text,
          headers: { 'Auto-Submitted': 'auto-generated', 'X-Entity-Ref-ID': draft.challengeId, ...headers },
          challengeId: draft.challengeId,
          purpose: spec.purpose,
          locale: rendered.locale,
        }),
      );
      const ms = policy.sendTimeoutMs;
      await withTimeout(sending, ms, () => new Error(`sender.send did not settle within ${ms} ms`));
    } catch (cause) {
      // The secret is sealed only after a successful send, so a failed send leaves nothing to verify.
      return fail(new MailboxChallengeError('SEND_FAILED', undefined, { cause }));
    }
    const bucket = windowAt(t, GENERATION_WINDOW_SECONDS).index;
    draft.payload.generation = await store.increment(
      genKey(address.normalized, spec.purpose, bucket),
      2 * GENERATION_WINDOW_SECONDS + 60,
    );
    return {
      ok: true as const,
      challengeId: draft.challengeId,
      secret: sealDraft(k, draft),
      expiresAt: draft.payload.expiresAt,
    };
  }

  const specOf = (p: Omit<ChallengeSpec, 'ttlSeconds' | 'codeLength' | 'codeAlphabet'>): ChallengeSpec => ({
    ...p,
    ttlSeconds: policy.ttlSeconds,
    codeLength: policy.codeLength,
    codeAlphabet: policy.codeAlphabet,
  });

  return {
    policy,

    start: (input) =>
      settle(async () => {
        const t = now();
        const { email, purpose, userId, metadata, locale, acceptLanguage } = parseInput(startSchema, input);
        const spec = specOf({
          email: parseEmail(email)!.address,
          purpose,
          userId: userId ?? null,
          metadata: metadata ? (JSON.parse(serializeMetadata(metadata)!) as JsonObject) : null,
        });
        return issue(spec, { locale, acceptLanguage }, t);
      }),

    resend: (input) =>
      settle(async () => {
        const t = now();
        const { challengeId, secret } = (typeof input === 'object' && input) || ({} as Partial<ResendInput>);
        const opened = openChallenge(keys, challengeId, secret);
        if (!opened || opened.payload.generation < 1) return err('INVALID_CHALLENGE');
        const p = opened.payload;
        // A code can be resent for a day after it was first sent, expired or not.
        if (t >= p.createdAt + GENERATION_WINDOW_SECONDS * 1000) return err('CHALLENGE_EXPIRED');
        const locale = parseInput(resendLocaleSchema, {
          locale: input.locale,
          acceptLanguage: input.acceptLanguage,
        });
        if ((await store.get(storeKey(k, 'used', challengeId as string))) !== null)
          return err('INVALID_CHALLENGE');
        if (await isSuperseded(p, t)) return err('CHALLENGE_SUPERSEDED');
        const spec = specOf({ email: p.email, purpose: p.purpose, userId: p.userId, metadata: p.metadata });
        return issue(spec, locale, t);
      }),

    verify: (input) =>
      settle(async () => {
        const t = now();
        const checked = inspect(input, keys, t);
        if (!checked.ok) return checked;
        const p = checked.opened.payload;
        if (p.generation < 1) return err('INVALID_CHALLENGE'); // sealed by the pure layer, not by a flow
        const usedKey = storeKey(k, 'used', checked.challengeId);
        const guardTtl = ttlUntil(t, p.expiresAt);
        if ((await store.get(usedKey)) !== null)
          return err('INVALID_CHALLENGE', 'This challenge was already used');
        if (await isSuperseded(p, t)) return err('CHALLENGE_SUPERSEDED');
        // Reserve the attempt before comparing: N parallel guesses can never evaluate more than maxAttempts.
        const attempts = await store.increment(storeKey(k, 'attempts', checked.challengeId), guardTtl);
        if (attempts > policy.maxAttempts) return err('ATTEMPTS_EXCEEDED');
        const w = failWindow(p.email.toLowerCase(), t);
        const failures = await addressFailures(w, true);
        if (failures > policy.addressFailures.max) {
          return err('ATTEMPTS_EXCEEDED', 'Too many incorrect codes for this address', {
            retryAfterSeconds: w.secondsLeft,
          });
        }
        if (!codeMatches(checked)) {
          const attemptsRemaining = Math.min(
            policy.maxAttempts - attempts,
            policy.addressFailures.max - failures,
          );
          return fail(new MailboxChallengeError('INVALID_CODE', undefined, { attemptsRemaining }));
        }
        // A right code is no guess: it gives its address reservation back, even if a parallel request with
        // the same code claims the challenge first (a double-submitted form). Losing a refund costs one slot.
        await store.increment(w.refund, policy.addressFailures.windowSeconds).catch(() => undefined);
        if (!(await store.setIfAbsent(usedKey, guardTtl)))
          return err('INVALID_CHALLENGE', 'This challenge was already used');
        return { ok: true as const, challenge: publicChallenge(checked.challengeId, p) };
      }),
  };
}
