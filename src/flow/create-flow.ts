import * as z from 'zod/mini';
import type { ChallengeStore, MailSender, OutgoingMail } from '../adapters.js';
import { renderNotice } from '../email/notice.js';
import {
  type MessageOptions,
  mergeMessageOptions,
  messageOptionsSchema,
  type PerCallMessageOptions,
  perCallMessageOptionsSchema,
  renderResolved,
  resolveMessage,
} from '../email/render.js';
import { invalidInput, MailboxChallengeError } from '../errors.js';
import { parseEmail } from '../lib/_address.js';
import { toBase64url } from '../lib/_bytes.js';
import {
  type ChallengeSpec,
  codeMatches,
  draftChallenge,
  drawSize,
  inspect as inspectRequest,
  publicChallenge,
  sealDraft,
} from '../lib/_challenge.js';
import { headersField } from '../lib/_headers.js';
import { serializeMetadata } from '../lib/_json.js';
import { mac, type ResolvedKey, resolveKeys } from '../lib/_keys.js';
import { randomBytes } from '../lib/_random.js';
import {
  emailField,
  FAIL,
  lazySchema,
  metadataField,
  parseInput,
  purposeField,
  quick,
  quickCreateFields,
  quickStrictObject,
  readClock,
  readMaxUserIdBytes,
  userIdField,
} from '../lib/_schema.js';
import { type ChallengePayload, openChallenge } from '../lib/_token.js';
import { memoryStore } from '../stores/memory.js';
import type { CodeAlphabet, JsonObject, MailboxChallenge, MailboxKeys, VerifyInput } from '../types.js';
import type { Result } from '../verify.js';
import { type MailboxPolicy, resolvePolicy } from './policy.js';
import type { ChallengeStatus, FlowStep, StepLimits, StepReply, Undo } from './state.js';

/** Options of {@link createMailboxFlow}. */
export interface MailboxFlowOptions {
  /** `keys[0]` seals new challenges; every key verifies (rotation). */
  keys: MailboxKeys;
  /** Delivers the emails. See `consoleSender()` for development and `createTestOutbox()` for tests. */
  sender: MailSender;
  /** Shown in every email and subject (no line breaks). */
  appName: string;
  /** Where the per-mailbox records live; default an in-process `memoryStore()`. Share one (Redis, Postgres) across processes. */
  store?: ChallengeStore;
  /**
   * Base64url of at least 32 random bytes that names store records (a keyed hash of the mailbox). Default:
   * the key with the smallest id (the oldest, with `generateKey()`'s dated ids), whatever the order of
   * `keys`, so instances with different orders share state and adding a newer key moves nothing. Set it
   * (e.g. `generateKey().secret`, kept apart from the keys) and removing the old key moves nothing either.
   */
  storeSecret?: string;
  /** Email options other than the name and language: brand, support text, link, code in subject, template. */
  message?: Omit<MessageOptions, 'appName' | 'locale' | 'acceptLanguage'>;
  /** Overrides of the default policy; see {@link MailboxPolicy}. */
  policy?: Partial<MailboxPolicy>;
  /** Extra headers on every email (no CR or LF). */
  headers?: Record<string, string>;
  /**
   * The longest userId you pass, in UTF-8 bytes (0-255, default 64): every secret is as long as one
   * carrying a userId this long, so a cookie's size never tells whether an address has an account. A
   * longer userId is INVALID_INPUT.
   */
  maxUserIdBytes?: number;
  /** Clock in epoch milliseconds; default `Date.now`. */
  now?: () => number;
  /**
   * Called for each event operators count (never with a code, secret or address). Synchronous; what it
   * throws is ignored, so a broken logger cannot break sign-in.
   */
  onEvent?: (event: MailboxFlowEvent) => void;
}

/** What happened, for metrics and logs. Carries no code, secret or address. */
export interface MailboxFlowEvent {
  type:
    | 'sent'
    | 'send_failed'
    | 'verified'
    | 'wrong_code'
    | 'locked'
    | 'rate_limited'
    | 'store_unavailable'
    | 'notice_sent';
  /** The step that raised it. */
  step: 'start' | 'resend' | 'verify' | 'inspect' | 'cancel' | 'notifyEmailChange';
  purpose?: string;
  challengeId?: string;
  locale?: string;
  /** Epoch milliseconds of the flow's clock. */
  at: number;
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
  /** This email's branding and words over the flow's (e.g. per tenant): `appName`, `brand`, `locales`, ... */
  message?: PerCallMessageOptions;
}

/**
 * Input of `flow.resend`. Without `locale` or `acceptLanguage`, the first email's locale is kept. Per-call
 * `message` options are not remembered: pass the same ones as to `start`.
 */
export interface ResendInput {
  challengeId: string;
  secret: string;
  locale?: string;
  acceptLanguage?: string;
  message?: PerCallMessageOptions;
}

/** Input of `flow.verify`: `purpose` is required, so a code sent for one purpose never passes another's check. */
export interface FlowVerifyInput extends VerifyInput {
  purpose: string;
}

/** A challenge as the host's UI needs to draw it: the secret names it, the flow fills in the rest. */
export interface ChallengeRef {
  challengeId: string;
  secret: string;
}

/** What a UI needs to draw the code step: the same fields whether or not the host knows the address. */
export interface ChallengeView {
  /** Epoch milliseconds when the newest code stops working. */
  expiresAt: number;
  /** Epoch milliseconds when a resend would be accepted, or null when it never will be. */
  resendAvailableAt: number | null;
  /** Wrong codes this challenge still accepts (also bounded by the mailbox's failure budget). */
  attemptsRemaining: number;
  codeLength: number;
  codeAlphabet: CodeAlphabet;
}

/** What `start` and `resend` return: keep `secret` server-side or in an HTTP-only cookie; never show it. */
export interface IssuedChallenge extends ChallengeView {
  challengeId: string;
  secret: string;
  /** The address the code went to, as the flow normalised it (trimmed, Unicode domain in its ASCII form). */
  email: string;
}

/** What `flow.inspect` returns: the state of a challenge, for the right page after a reload. */
export interface ChallengeState extends ChallengeView {
  purpose: string;
  email: string;
  status: ChallengeStatus | 'expired';
}

/** Input of `flow.notifyEmailChange`. */
export interface EmailChangeNoticeRequest {
  /** The current address: the notice goes here. */
  oldEmail: string;
  /** The address the account is moving to (its code is sent with `flow.start`). */
  newEmail: string;
  locale?: string;
  acceptLanguage?: string;
  message?: PerCallMessageOptions;
}

/** The object {@link createMailboxFlow} returns. No method throws for anything a client can send. */
export interface MailboxFlow {
  /** Creates a challenge and emails its code. */
  start(input: StartInput): Promise<Result<IssuedChallenge>>;
  /** Emails a new code for the same challenge (same challengeId, new secret); older codes answer CHALLENGE_SUPERSEDED. */
  resend(input: ResendInput): Promise<Result<IssuedChallenge>>;
  /** Checks a code once: attempt limits, mailbox budget, newest code only, single use. */
  verify(input: FlowVerifyInput): Promise<Result<{ challenge: MailboxChallenge }>>;
  /** The state of a challenge, without spending anything. */
  inspect(input: ChallengeRef): Promise<Result<ChallengeState>>;
  /** Ends a challenge: it never verifies or resends again. */
  cancel(input: ChallengeRef): Promise<Result<Record<never, never>>>;
  /**
   * Sends the notice to the old address on an email change. Codes filling the send limits never keep it
   * from going: the limits count notices on their own (RATE_LIMITED beyond). A notice counts against later codes.
   */
  notifyEmailChange(input: EmailChangeNoticeRequest): Promise<Result<Record<never, never>>>;
  /** The resolved policy in force. */
  readonly policy: Readonly<MailboxPolicy>;
}

const localeFields = () => ({
  locale: z.optional(z.string().check(z.maxLength(35))),
  acceptLanguage: z.optional(z.string().check(z.maxLength(4096))),
  message: z.optional(perCallMessageOptionsSchema()),
});
/**
 * startSchema's fast path (see "Fast paths" in lib/_schema.ts) for the common call, without a per-call
 * `message` (one goes to the schema). Accepts only what startSchema accepts, with the address parsed
 * (test/flow/quick-start.test.ts).
 */
// Built on first use: the shape reads quickCreateFields, which a bundler would otherwise keep in every entry.
export const quickStart = lazySchema(() =>
  quickStrictObject(
    {
      email: quickCreateFields.email,
      purpose: quickCreateFields.purpose,
      userId: quickCreateFields.userId,
      metadata: quickCreateFields.metadata,
      locale: (v) => (typeof v === 'string' && v.length <= 35 ? v : FAIL),
      acceptLanguage: (v) => (typeof v === 'string' && v.length <= 4096 ? v : FAIL),
      message: () => FAIL,
    },
    ['email', 'purpose'],
  ),
);
interface QuickStart {
  email: NonNullable<ReturnType<typeof parseEmail>>;
  purpose: string;
  userId?: string | null;
  metadata?: JsonObject | null;
  locale?: string;
  acceptLanguage?: string;
}

/**
 * A bounded memo for the keyed hash naming a mailbox's record, which start and verify both compute. Two
 * generations of at most `max` entries each: a full generation becomes the old one, and an old entry used
 * again moves to the new one. No iteration to find the oldest entry (a Map iterated from its front after
 * many deletions walks their holes). A pure function of its input, so a hit answers exactly what a call would.
 */
function boundedMemo(fn: (input: string) => string, max = 4_096): (input: string) => string {
  let young = new Map<string, string>();
  let old = new Map<string, string>();
  return (input) => {
    let value = young.get(input);
    if (value !== undefined) return value;
    value = old.get(input);
    if (value === undefined) value = fn(input);
    if (young.size >= max) {
      old = young;
      young = new Map();
    }
    young.set(input, value);
    return value;
  };
}
export const startSchema = lazySchema(() =>
  z.strictObject({
    email: emailField(),
    purpose: purposeField(),
    userId: userIdField(),
    metadata: metadataField(),
    ...localeFields(),
  }),
);
const localeSchema = lazySchema(() => z.object(localeFields()));
const noticeSchema = lazySchema(() =>
  z.strictObject({ oldEmail: emailField(), newEmail: emailField(), ...localeFields() }),
);
const optionsSchema = lazySchema(() =>
  z.object({
    headers: z.optional(headersField()),
    storeSecret: z.optional(z.string()),
    onEvent: z.optional(
      z.custom<(event: MailboxFlowEvent) => void>(
        (v) => typeof v === 'function',
        'onEvent must be a function',
      ),
    ),
  }),
);

// Every refusal is `fail(error)`; an error is `new MailboxChallengeError(code, ...)`, or invalidInput(fields)
// for INVALID_INPUT, as everywhere else in the library.
const fail = (error: MailboxChallengeError) => ({ ok: false as const, error });

/** A store that broke its contract (threw, hung, answered nonsense): the flow answers STORE_UNAVAILABLE. */
class StoreFailure extends Error {}
const storeFailure = (cause: unknown) =>
  cause instanceof StoreFailure ? cause : new StoreFailure('store step failed', { cause });

/**
 * Settles like `pending`, or rejects with `onTimeout()` after `ms`: one timer, cleared as soon as
 * `pending` settles, so it never outlives the call.
 */
function withTimeout<T>(pending: PromiseLike<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    // Promise.resolve adopts nested thenables and turns a throwing `then` into a rejection: the timer is
    // cleared only once the value is final, so no promise-like can outlast it.
    Promise.resolve(pending).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (reason: unknown) => {
        clearTimeout(timer);
        reject(reason);
      },
    );
  });
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') &&
  v !== null &&
  typeof (v as { then?: unknown }).then === 'function';

const STEP_ERRORS = new Set<string>([
  'INVALID_CHALLENGE',
  'CHALLENGE_SUPERSEDED',
  'CHALLENGE_EXPIRED',
  'ATTEMPTS_EXCEEDED',
  'RATE_LIMITED',
  'INVALID_CODE',
]);
const STATUSES = new Set<string>(['pending', 'used', 'locked', 'superseded', 'cancelled']);
const isTime = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** A reply of the right shape, or a StoreFailure: a store answering garbage must fail closed. */
function checkReply(reply: unknown): StepReply {
  const r = reply as Partial<Extract<StepReply, { ok: true }>> & { error?: unknown; retryAfterMs?: unknown };
  const valid =
    typeof r === 'object' &&
    r !== null &&
    (r.ok === true
      ? STATUSES.has(r.status as string) &&
        isTime(r.gen) &&
        isTime(r.attemptsRemaining) &&
        (r.resendAvailableAt === null || isTime(r.resendAvailableAt)) &&
        typeof r.locale === 'string'
      : r.ok === false &&
        STEP_ERRORS.has(r.error as string) &&
        (r.retryAfterMs === undefined || isTime(r.retryAfterMs)) &&
        (r.attemptsRemaining === undefined || isTime(r.attemptsRemaining)));
  if (!valid) throw new StoreFailure('the store answered a step with something that is not a reply');
  return r as StepReply;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** A step's refusal as the flow's error. */
function refusal(reply: Extract<StepReply, { ok: false }>): { ok: false; error: MailboxChallengeError } {
  const details: { retryAfterSeconds?: number; attemptsRemaining?: number } = {};
  if (reply.retryAfterMs !== undefined) details.retryAfterSeconds = seconds(reply.retryAfterMs);
  if (reply.attemptsRemaining !== undefined) details.attemptsRemaining = reply.attemptsRemaining;
  return fail(new MailboxChallengeError(reply.error, undefined, details));
}

/**
 * Creates the whole email-proof flow over a pluggable store: `start` (rate-limited, sends the email),
 * `resend`, `verify` (attempt limits, per-mailbox failure budget, newest code only, single use), `inspect`,
 * `cancel` and `notifyEmailChange`.
 *
 * State: one record per mailbox, changed by one atomic store step per request (one Redis round trip, one
 * Postgres transaction), plus one more only to give a reservation back when an email could not be sent.
 * Attempts are counted in the same step that decides, so parallel guesses never evaluate more than the
 * limits; parallel right codes succeed exactly once. A failing, slow or lost store fails closed.
 *
 * @param options - Keys, sender, app name, and optional store, store secret, policy, message options, clock and event hook.
 * @returns `{ start, resend, verify, inspect, cancel, notifyEmailChange, policy }`.
 * @throws MailboxChallengeError `INVALID_INPUT` for bad options (a configuration error at start-up).
 * @example
 * ```ts
 * import { consoleSender, createMailboxFlow, generateKey } from 'mailbox-challenge';
 *
 * const flow = createMailboxFlow({ keys: [generateKey()], sender: consoleSender(), appName: 'Acme' });
 * const started = await flow.start({ email: 'ada@example.com', purpose: 'login', acceptLanguage: 'de' });
 * if (started.ok) {
 *   // keep started.secret in an HTTP-only cookie; later, with the code the person typed:
 *   const checked = await flow.verify({ ...started, code: '123456', purpose: 'login' });
 *   if (checked.ok) console.log('signed in as', checked.challenge.email);
 * }
 * ```
 */
export function createMailboxFlow(options: MailboxFlowOptions): MailboxFlow {
  const keys = resolveKeys(options?.keys);
  const policy = resolvePolicy(options.policy);
  const maxUserIdBytes = readMaxUserIdBytes(options.maxUserIdBytes);
  const clock = options.now;
  const now = () => readClock(clock);
  const message = parseInput(
    messageOptionsSchema(),
    { ...options.message, appName: options.appName },
    'message',
  );
  const { headers, storeSecret } = parseInput(
    optionsSchema(),
    { headers: options.headers, storeSecret: options.storeSecret, onEvent: options.onEvent },
    'options',
  );
  if (typeof options.sender?.send !== 'function') {
    throw invalidInput(['sender'], 'sender must have a send(mail) method');
  }
  const store = options.store ?? memoryStore();
  if (typeof store?.step !== 'function') {
    throw invalidInput(['store'], 'store must implement step(key, step)');
  }
  const sender = options.sender;
  const onEvent = options.onEvent;
  const k = keys.primary;
  // Records are named by one key whatever the list's order: the `storeSecret`, else the key with the
  // smallest id (the oldest, with generateKey's dated ids), so instances with different key orders on one
  // store share every record, and adding a newer key moves nothing.
  const namer: ResolvedKey =
    storeSecret === undefined
      ? [...keys.byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1))[0]!
      : resolveKeys([{ id: 'store', secret: storeSecret }]).primary;

  const limits: StepLimits = {
    sendLimits: policy.sendLimits.map((l) => ({ max: l.max, windowMs: l.windowSeconds * 1000 })),
    failureLimit: {
      max: policy.addressFailures.max,
      windowMs: policy.addressFailures.windowSeconds * 1000,
    },
    maxAttempts: policy.maxAttempts,
    resendWindowMs: policy.resendWindowSeconds * 1000,
    resendCooldownMs: policy.resendCooldownSeconds * 1000,
  };

  /** `mc:m:<base64url(HMAC(store key, mailbox))[0..16 bytes]>`: nobody without the key can find a mailbox's record. */
  const recordKey = boundedMemo(
    (mailbox: string) => `mc:m:${toBase64url(mac(namer.storeMac, `mailbox\0${mailbox}`), 0, 16)}`,
  );
  /** A keyed tag of a code for "use the newest email": the store never holds a code. */
  const staleTag = (key: string, purpose: string, code: string) =>
    toBase64url(mac(namer.storeMac, `code\0${key}\0${purpose}\0${code}`), 0, 9);

  // Call sites test `onEvent` first, so a flow without a hook builds no event objects.
  function emit(event: Omit<MailboxFlowEvent, 'at'>, at: number): void {
    if (!onEvent) return;
    try {
      onEvent({ ...event, at });
    } catch {
      // An operator's hook must never change what the person gets.
    }
  }

  /** A store step's reply, checked: the reply itself when the store answered synchronously (no await). */
  function step(key: string, s: FlowStep): StepReply | Promise<StepReply> {
    let pending: StepReply | PromiseLike<StepReply>;
    try {
      pending = store.step(key, s);
      // A store that answers synchronously (the memory store) cannot hang past its own return: no timer.
      if (!isThenable(pending)) return checkReply(pending);
    } catch (cause) {
      throw storeFailure(cause); // a throwing getter on the reply is the store's fault too
    }
    const ms = policy.storeTimeoutMs;
    return withTimeout(pending, ms, () => new StoreFailure(`store step did not settle within ${ms} ms`))
      .then(checkReply)
      .then(undefined, (cause: unknown) => {
        throw storeFailure(cause);
      });
  }

  /**
   * What a method's body threw, as its answer: store failures become STORE_UNAVAILABLE; anything else is
   * hostile input. Each method is one async function whose try/catch ends here (no wrapper closure per call).
   */
  function caught(name: MailboxFlowEvent['step'], e: unknown): { ok: false; error: MailboxChallengeError } {
    if (e instanceof MailboxChallengeError) return fail(e);
    if (e instanceof StoreFailure) {
      emit({ type: 'store_unavailable', step: name }, now());
      return fail(new MailboxChallengeError('STORE_UNAVAILABLE', undefined, { cause: e }));
    }
    // A bug or hostile input (a throwing getter): never let it escape as an exception.
    return fail(new MailboxChallengeError('INVALID_INPUT', 'Invalid input', { cause: e }));
  }

  /**
   * Hands a mail to the sender: undefined when it finished synchronously (no timer), else a promise that
   * settles with it or rejects after `sendTimeoutMs`. Throws what a synchronous sender throws.
   */
  function send(mail: OutgoingMail): Promise<unknown> | undefined {
    const sending = sender.send(mail);
    if (!isThenable(sending)) return undefined;
    const ms = policy.sendTimeoutMs;
    return withTimeout(sending, ms, () => new Error(`sender.send did not settle within ${ms} ms`));
  }

  /** After a failed send: gives the reservation back (best effort) and says so. */
  async function sendFailed(
    cause: unknown,
    mail: OutgoingMail,
    key: string,
    reserved: { now: number; undo: Undo | null },
    stepName: MailboxFlowEvent['step'],
  ): Promise<{ ok: false; error: MailboxChallengeError }> {
    emit({ type: 'send_failed', step: stepName, purpose: mail.purpose, locale: mail.locale }, now());
    try {
      await step(key, {
        kind: 'release',
        now: reserved.now,
        limits,
        sentAt: reserved.now,
        undo: reserved.undo,
      });
    } catch {
      // The reservation then costs one send slot until its window passes.
    }
    return fail(new MailboxChallengeError('SEND_FAILED', undefined, { cause }));
  }

  function refused(
    reply: Extract<StepReply, { ok: false }>,
    stepName: MailboxFlowEvent['step'],
    t: number,
    purpose?: string,
  ) {
    if (reply.error === 'RATE_LIMITED') emit({ type: 'rate_limited', step: stepName, purpose }, t);
    return refusal(reply);
  }

  /** One call's message options: the flow's own object when the call changes nothing (no copy per email). */
  const withLocale = (
    perCall: PerCallMessageOptions | undefined,
    locale: string | undefined,
    acceptLanguage: string | undefined,
  ): MessageOptions =>
    perCall === undefined && locale === undefined && acceptLanguage === undefined
      ? message
      : { ...mergeMessageOptions(message, perCall), locale, acceptLanguage };

  /** Every email's headers: the host's after ours, as given. */
  const mailHeaders = (id: string): Record<string, string> => {
    const ours = { 'Auto-Submitted': 'auto-generated', 'X-Entity-Ref-ID': id };
    return headers ? { ...ours, ...headers } : ours;
  };

  /** Draws a code for `spec`, sealed later once the store has given it a generation. */
  function draft(spec: ChallengeSpec, t: number, challengeId?: string) {
    const d = draftChallenge(spec, k, t, randomBytes(drawSize(spec)));
    if (challengeId !== undefined) d.challengeId = challengeId; // a resend keeps the challenge
    return d;
  }

  async function issue(
    stepName: 'start' | 'resend',
    spec: ChallengeSpec,
    d: ReturnType<typeof draft>,
    key: string,
    stepInput: FlowStep,
    options: MessageOptions,
    t: number,
    resolved?: ReturnType<typeof resolveMessage>,
  ): Promise<Result<IssuedChallenge>> {
    // Catches for start and resend, which return this promise as their own (no second async frame).
    try {
      // A synchronous store's reply is used as is: no microtask turn for the memory store.
      const pending = step(key, stepInput);
      const reply = pending instanceof Promise ? await pending : pending;
      if (!reply.ok) return refused(reply, stepName, t, spec.purpose);
      d.payload.generation = reply.gen;
      // A resend that names no language keeps the first email's; a start resolved its options already.
      const rendering = resolved
        ? options
        : options.locale || options.acceptLanguage
          ? options
          : { ...options, locale: reply.locale };
      const rendered = renderResolved(
        {
          purpose: spec.purpose,
          code: d.code,
          email: spec.email,
          challengeId: d.challengeId,
          ttlSeconds: spec.ttlSeconds,
          options: rendering,
        },
        resolved ?? resolveMessage(rendering),
      );
      const mail: OutgoingMail = {
        to: spec.email,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        headers: mailHeaders(d.challengeId),
        kind: 'challenge',
        challengeId: d.challengeId,
        purpose: spec.purpose,
        locale: rendered.locale,
        code: d.code,
        expiresAt: d.payload.expiresAt,
      };
      // Set, not spread: a conditional spread costs a runtime call per property on every send.
      if (rendered.link !== undefined) mail.link = rendered.link;
      if (rendered.recipientName !== undefined) mail.recipientName = rendered.recipientName;
      // The secret is sealed only after a successful send, so a failed send leaves nothing to verify.
      try {
        await send(mail);
      } catch (cause) {
        return sendFailed(cause, mail, key, { now: t, undo: reply.undo }, stepName);
      }
      if (onEvent)
        emit(
          {
            type: 'sent',
            step: stepName,
            purpose: spec.purpose,
            challengeId: d.challengeId,
            locale: rendered.locale,
          },
          t,
        );
      return {
        ok: true as const,
        challengeId: d.challengeId,
        secret: sealDraft(k, d),
        email: spec.email,
        expiresAt: d.payload.expiresAt,
        resendAvailableAt: reply.resendAvailableAt,
        attemptsRemaining: reply.attemptsRemaining,
        codeLength: policy.codeLength,
        codeAlphabet: policy.codeAlphabet,
      };
    } catch (e) {
      return caught(stepName, e);
    }
  }

  const specOf = (
    email: string,
    purpose: string,
    userId: string | null,
    metadata: JsonObject | null,
  ): ChallengeSpec => ({
    email,
    purpose,
    userId,
    metadata,
    ttlSeconds: policy.ttlSeconds,
    codeLength: policy.codeLength,
    codeAlphabet: policy.codeAlphabet,
    maxUserIdBytes,
  });

  /** Opens a flow-issued secret, or null (every failure is one INVALID_CHALLENGE: no oracle). */
  function openRef(input: unknown) {
    const { challengeId, secret } = ((typeof input === 'object' && input) || {}) as Partial<ChallengeRef>;
    const opened = openChallenge(keys, challengeId, secret);
    return opened ? refOf(challengeId as string, opened.payload) : null;
  }

  function refOf(challengeId: string, payload: ChallengePayload) {
    // Generation 0 is a challenge from the pure layer: the flow never issued it and holds no state for it.
    if (payload.generation < 1) return null;
    const address = parseEmail(payload.email);
    return address ? { challengeId, payload, key: recordKey(address.mailbox) } : null;
  }

  return {
    policy,

    start: (input) => {
      try {
        const t = now();
        const fast = quick<QuickStart>(quickStart(), input);
        const parsed = fast ?? parseInput(startSchema(), input);
        const { purpose, userId, metadata, locale, acceptLanguage } = parsed;
        const options = withLocale(
          fast ? undefined : (parsed as { message?: PerCallMessageOptions }).message,
          locale,
          acceptLanguage,
        );
        // The schema's email is the address as typed; its last answer is the address it just validated.
        const address = fast ? fast.email : parseEmail((parsed as { email: string }).email)!;
        const spec = specOf(
          address.address,
          purpose,
          userId ?? null,
          metadata ? (JSON.parse(serializeMetadata(metadata)!) as JsonObject) : null,
        );
        const d = draft(spec, t);
        const key = recordKey(address.mailbox);
        const resolved = resolveMessage(options);
        return issue(
          'start',
          spec,
          d,
          key,
          {
            kind: 'start',
            now: t,
            limits,
            purpose,
            challengeId: d.challengeId,
            codeTag: staleTag(key, purpose, d.code),
            expiresAt: d.payload.expiresAt,
            locale: resolved.locale,
          },
          options,
          t,
          resolved,
        );
      } catch (e) {
        return Promise.resolve(caught('start', e));
      }
    },

    resend: async (input) => {
      try {
        const t = now();
        const ref = openRef(input);
        if (!ref) return fail(new MailboxChallengeError('INVALID_CHALLENGE'));
        const p = ref.payload;
        // Checked again by the store against the first send; this only saves a round trip.
        if (t >= p.createdAt + limits.resendWindowMs)
          return fail(new MailboxChallengeError('CHALLENGE_EXPIRED'));
        const {
          locale,
          acceptLanguage,
          message: perCall,
        } = parseInput(localeSchema(), {
          locale: input.locale,
          acceptLanguage: input.acceptLanguage,
          message: input.message,
        });
        const options = withLocale(perCall, locale, acceptLanguage);
        const spec = specOf(p.email, p.purpose, p.userId, p.metadata);
        const d = draft(spec, t, ref.challengeId);
        d.payload.createdAt = p.createdAt; // the first send: a resend never renews the challenge itself
        return await issue(
          'resend',
          spec,
          d,
          ref.key,
          {
            kind: 'resend',
            now: t,
            limits,
            purpose: p.purpose,
            challengeId: ref.challengeId,
            gen: p.generation,
            codeTag: staleTag(ref.key, p.purpose, d.code),
            expiresAt: d.payload.expiresAt,
            locale: locale || acceptLanguage ? resolveMessage(options).locale : null,
          },
          options,
          t,
        );
      } catch (e) {
        return caught('resend', e);
      }
    },

    verify: async (input) => {
      try {
        const t = now();
        if (typeof (input as Partial<FlowVerifyInput> | null)?.purpose !== 'string') {
          return fail(invalidInput(['purpose'], 'purpose is required'));
        }
        const checked = inspectRequest(input, keys, t);
        if (!checked.ok) return checked;
        const ref = refOf(checked.challengeId, checked.opened.payload);
        if (!ref) return fail(new MailboxChallengeError('INVALID_CHALLENGE'));
        const p = ref.payload;
        const matched = codeMatches(checked);
        const pending = step(ref.key, {
          kind: 'verify',
          now: t,
          limits,
          purpose: p.purpose,
          challengeId: ref.challengeId,
          gen: p.generation,
          matched,
          codeTag: matched ? '' : staleTag(ref.key, p.purpose, checked.code),
        });
        const reply = pending instanceof Promise ? await pending : pending;
        const event = onEvent && {
          step: 'verify' as const,
          purpose: p.purpose,
          challengeId: ref.challengeId,
        };
        if (reply.ok) {
          // Success needs both halves: the code matched here, and the store marked the challenge used. A
          // store claiming success for a wrong code is broken, and a broken store fails closed.
          if (!matched || reply.status !== 'used') {
            throw new StoreFailure('the store accepted a step it should have refused');
          }
          if (event) emit({ ...event, type: 'verified' }, t);
          return { ok: true as const, challenge: publicChallenge(ref.challengeId, p) };
        }
        if (event && reply.error === 'INVALID_CODE') {
          emit({ ...event, type: reply.attemptsRemaining === 0 ? 'locked' : 'wrong_code' }, t);
        }
        return refusal(reply);
      } catch (e) {
        return caught('verify', e);
      }
    },

    inspect: async (input) => {
      try {
        const t = now();
        const ref = openRef(input);
        if (!ref) return fail(new MailboxChallengeError('INVALID_CHALLENGE'));
        const p = ref.payload;
        const reply = await step(ref.key, {
          kind: 'inspect',
          now: t,
          limits,
          purpose: p.purpose,
          challengeId: ref.challengeId,
          gen: p.generation,
        });
        if (!reply.ok) return refusal(reply);
        const expired = reply.status === 'pending' && t >= p.expiresAt;
        return {
          ok: true as const,
          purpose: p.purpose,
          email: p.email,
          status: expired ? ('expired' as const) : reply.status,
          expiresAt: p.expiresAt,
          resendAvailableAt: reply.resendAvailableAt,
          attemptsRemaining: reply.status === 'pending' && !expired ? reply.attemptsRemaining : 0,
          codeLength: policy.codeLength,
          codeAlphabet: policy.codeAlphabet,
        };
      } catch (e) {
        return caught('inspect', e);
      }
    },

    cancel: async (input) => {
      try {
        const t = now();
        const ref = openRef(input);
        if (!ref) return fail(new MailboxChallengeError('INVALID_CHALLENGE'));
        const reply = await step(ref.key, {
          kind: 'cancel',
          now: t,
          limits,
          purpose: ref.payload.purpose,
          challengeId: ref.challengeId,
          gen: ref.payload.generation,
        });
        return reply.ok ? { ok: true as const } : refusal(reply);
      } catch (e) {
        return caught('cancel', e);
      }
    },

    notifyEmailChange: async (input) => {
      try {
        const t = now();
        const {
          oldEmail,
          newEmail,
          locale,
          acceptLanguage,
          message: perCall,
        } = parseInput(noticeSchema(), input);
        const from = parseEmail(oldEmail)!;
        const to = parseEmail(newEmail)!;
        if (from.mailbox === to.mailbox) {
          return fail(invalidInput(['newEmail'], 'the new address is the old one'));
        }
        const key = recordKey(from.mailbox);
        const reply = await step(key, { kind: 'notice', now: t, limits });
        if (!reply.ok) return refused(reply, 'notifyEmailChange', t);
        const rendered = renderNotice({
          email: from.address,
          newEmail: to.address,
          options: withLocale(perCall, locale, acceptLanguage),
        });
        const noticeId = toBase64url(randomBytes(16));
        const mail: OutgoingMail = {
          to: from.address,
          subject: rendered.subject,
          html: rendered.html,
          text: rendered.text,
          headers: mailHeaders(noticeId),
          kind: 'email-change-notice',
          challengeId: noticeId,
          purpose: 'email-change',
          locale: rendered.locale,
          newEmail: to.address,
        };
        try {
          await send(mail);
        } catch (cause) {
          return await sendFailed(cause, mail, key, { now: t, undo: null }, 'notifyEmailChange');
        }
        emit(
          {
            type: 'notice_sent',
            step: 'notifyEmailChange',
            purpose: 'email-change',
            locale: rendered.locale,
          },
          t,
        );
        return { ok: true as const };
      } catch (e) {
        return caught('notifyEmailChange', e);
      }
    },
  };
}
