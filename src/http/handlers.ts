import { type DescribeErrorOptions, describeError } from '../email/describe-error.js';
import {
  httpStatusOf,
  invalidInput,
  MailboxChallengeError,
  type MailboxChallengeErrorCode,
} from '../errors.js';
import type { ChallengeState, IssuedChallenge } from '../flow/create-flow.js';
import { intField, lazySchema, parseInput, purposeField } from '../lib/_schema.js';
import * as z from '../lib/_zod.js';
import type { CodeAlphabet, JsonObject, MailboxChallenge } from '../types.js';
import { BodyError, readFields } from './_body.js';
import {
  type ChallengeCookie,
  clearChallengeCookie,
  cookieName,
  readChallengeCookie,
  secureFor,
  setChallengeCookie,
} from './_cookies.js';
import { sameOriginPost } from './_csrf.js';
import type { HandlerFlow } from './_flow.js';
import { type LinkPageView, PAGE_HEADERS, renderLinkPage } from './_pages.js';

export type { HandlerFlow } from './_flow.js';
export type { LinkPageView } from './_pages.js';

/** What `beforeStart` may bind to a challenge. */
export interface StartBinding {
  userId?: string;
  metadata?: JsonObject;
}

/** How a verify arrived, for `onVerified`. */
export interface VerifiedContext {
  /**
   * `code`: a POST to …/verify, usually `fetch` from your page: answer JSON. `link`: the one-click link's
   * confirm page posted an HTML form: answer with a redirect (303) or a page.
   */
  via: 'code' | 'link';
}

/** Options of {@link createMailboxHandlers}. */
export interface MailboxHandlersOptions {
  /** A flow from `createMailboxFlow` (or anything with the same methods). */
  flow: HandlerFlow;
  /** The purposes clients may ask for, e.g. `['signup', 'login', 'email-change']`; any other is INVALID_INPUT. */
  purposes: readonly string[];
  /**
   * Called once per successful verify (the code is spent by then). Sign the person in, or record the new
   * address, and return your own response; the handler adds the header that clears the challenge cookie.
   * Look the account up here, by `challenge.email`: this is where an unknown address may be treated
   * differently, after the person proved they own it.
   */
  onVerified(
    challenge: MailboxChallenge,
    request: Request,
    context: VerifiedContext,
  ): Response | Promise<Response>;
  /**
   * Called before every start. Return a `Response` to refuse (e.g. 401 for `email-change` without a
   * session), or `{ userId, metadata }` to bind to the challenge (e.g. the signed-in user for
   * `email-change`). It must not look the address up: whatever it does must take the same time whether
   * or not the address has an account.
   */
  beforeStart?(input: {
    purpose: string;
    request: Request;
  }): StartBinding | Response | undefined | Promise<StartBinding | Response | undefined>;
  /**
   * Called after a start emailed its code, e.g. to send the old address a notice for `email-change`
   * (`flow.notifyEmailChange`). Not called when the start failed; an error it throws is logged, and the
   * start still answers with its cookie (the code was sent).
   */
  onStarted?(input: { purpose: string; email: string; request: Request }): void | Promise<void>;
  /**
   * Origins whose POSTs are accepted (`https://app.example`). Default: the request URL's own origin.
   * Set it behind a proxy that changes the host or scheme.
   */
  allowedOrigins?: readonly string[];
  cookie?: {
    /** Cookie name prefix; the purpose follows: `mc-login`, or `__Host-mc-login` when secure. Default `mc`. */
    prefix?: string;
    /** Force Secure + `__Host-` on or off. Default: on, except for a loopback host (localhost, 127.0.0.1, ::1). */
    secure?: boolean;
    /** How long the browser keeps a challenge, so resend still works after the code expires. Default: the flow's `resendWindowSeconds`. */
    maxAgeSeconds?: number;
  };
  /** Where the link pages send a person to start again. Default `/`. */
  startUrl?: string;
  /** Render the one-click link pages yourself (e.g. in the person's language). */
  linkPage?(view: LinkPageView, request: Request): Response | Promise<Response>;
  /** Largest request body read, in bytes. Default 8192. */
  maxBodyBytes?: number;
  /**
   * Your wording and locales for the person-facing `error.message` (as for `describeError`). Built-in
   * locales beyond English load with `import 'mailbox-challenge/locales'`.
   */
  errorMessages?: Pick<DescribeErrorOptions, 'overrides' | 'locales'>;
}

/** The JSON every answer carries (`null` where no challenge is known). */
export interface ChallengeAnswer {
  ok: boolean;
  purpose: string | null;
  /** `none` when this browser holds no challenge of that purpose. */
  status: ChallengeState['status'] | 'none';
  /** The address the code went to (only ever shown to the browser that asked for it). */
  email: string | null;
  /** Epoch milliseconds. */
  expiresAt: number | null;
  /** Epoch milliseconds: when resend will be accepted. */
  resendAvailableAt: number | null;
  attemptsRemaining: number | null;
  codeLength: number | null;
  codeAlphabet: CodeAlphabet | null;
  /** Present when `ok` is false: the stable `code` for programs and a `message` for people. */
  error?: {
    code: MailboxChallengeErrorCode;
    message: string;
    fields?: readonly string[];
    attemptsRemaining?: number;
    retryAfterSeconds?: number;
  };
}

/** The handlers {@link createMailboxHandlers} returns; each takes a `Request` and resolves to a `Response`. */
export interface MailboxHandlers {
  /** Routes by the last path segment, wherever it is mounted: `POST …/start`, `…/resend`, `…/verify`, `…/cancel`, `GET …/state`, `GET|POST …/link`. */
  fetch(request: Request): Promise<Response>;
  /** POST `{ email, purpose, locale? }`: emails a code and sets the purpose's cookie. */
  start(request: Request): Promise<Response>;
  /** POST `{ purpose, locale? }`: emails a new code for this browser's challenge. */
  resend(request: Request): Promise<Response>;
  /** POST `{ purpose, code }`: on success, your `onVerified` response. */
  verify(request: Request): Promise<Response>;
  /** GET `?purpose=`: the current step after a reload (read-only). */
  inspect(request: Request): Promise<Response>;
  /** POST `{ purpose }`: ends this browser's challenge. */
  cancel(request: Request): Promise<Response>;
  /** GET: the one-click link's confirm page; POST (from that page only): verifies. */
  link(request: Request): Promise<Response>;
}

const optionsSchema = lazySchema(() =>
  z.object({
    purposes: z.array(purposeField()).check(z.minLength(1), z.maxLength(64)),
    cookie: z.optional(
      z.object({
        prefix: z.optional(
          z.string().check(z.regex(/^[A-Za-z0-9_-]{1,32}$/, 'prefix is 1-32 of A-Z, a-z, 0-9, "_" or "-"')),
        ),
        secure: z.optional(z.boolean()),
        maxAgeSeconds: z.optional(intField(60, 86_400 * 7)),
      }),
    ),
    // An origin is scheme://host[:port], exactly as browsers send it in the Origin header.
    allowedOrigins: z.optional(
      z.array(
        z
          .string()
          .check(
            z.refine(
              (o) => URL.canParse(o) && new URL(o).origin === o,
              'an origin such as https://app.example',
            ),
          ),
      ),
    ),
    startUrl: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
    maxBodyBytes: z.optional(intField(256, 1_048_576)),
  }),
);

/** Accept-Language, unless it is longer than any real one (the flow would refuse it as input). */
function languageOf(request: Request): string | undefined {
  const header = request.headers.get('accept-language');
  return header !== null && header.length <= 4096 ? header : undefined;
}

/**
 * The HTTP status the handlers give an error, by meaning: bad input 400, wrong code 401, spent / expired /
 * superseded / locked 403, too many emails or the address's wrong-code budget spent 429, store or sender
 * down 503 (each code's status is in the one error table, `src/errors.ts`). For hosts that call the flow
 * themselves and want the same answers.
 *
 * @param error - A flow error.
 * @returns The status code.
 * @example
 * ```ts
 * import { MailboxChallengeError } from 'mailbox-challenge';
 * import { statusOf } from 'mailbox-challenge/http';
 *
 * statusOf(new MailboxChallengeError('RATE_LIMITED', undefined, { retryAfterSeconds: 30 })); // 429
 * ```
 */
export function statusOf(error: MailboxChallengeError): number {
  return httpStatusOf(error);
}

const STATUS_BY_CODE: Partial<Record<ChallengeState['status'], MailboxChallengeErrorCode>> = {
  used: 'INVALID_CHALLENGE',
  cancelled: 'INVALID_CHALLENGE',
  locked: 'ATTEMPTS_EXCEEDED',
  superseded: 'CHALLENGE_SUPERSEDED',
  expired: 'CHALLENGE_EXPIRED',
};

/**
 * Ready HTTP endpoints on the Fetch API (`Request` → `Response`): they run unchanged in Hono, Next.js
 * route handlers, Bun, Deno and workers; `toNodeHandler` from `mailbox-challenge/http` serves them
 * from Node's `http` or Express.
 *
 * - The challenge lives in an HttpOnly, SameSite=Lax cookie per purpose (`__Host-` + Secure outside
 *   localhost); the client never sees the secret and sends only `{ purpose, code }`.
 * - JSON or form bodies. Every JSON answer is a {@link ChallengeAnswer}: the UI's fields and, on failure,
 *   `error: { code, message }` with a message for people. Status by meaning: 400 bad input, 401 wrong code,
 *   403 spent/expired/superseded/locked, 429 with `Retry-After`, 503 with `Retry-After` when the store or
 *   sender is down.
 * - Every POST must come from an allowed origin (`Origin`, else `Sec-Fetch-Site: same-origin`; `Origin: null`
 *   alone is refused), on top of SameSite=Lax.
 * - Start answers the same, with the same work, whether or not the address has an account: the address is
 *   never looked up before it is proven; `onVerified` does that.
 * - The one-click link (`GET …/link?p=&c=&k=`) only shows a confirm page; the code is spent by the POST from
 *   that page, and only in the browser holding the challenge.
 *
 * @param options - The flow, the allowed purposes, `onVerified`, and optional hooks and cookie settings.
 * @returns The handlers, and `fetch`, which routes to them.
 * @throws MailboxChallengeError `INVALID_INPUT` for bad options (at start-up).
 * @example
 * ```ts
 * import { createMailboxFlow, consoleSender, generateKey } from 'mailbox-challenge';
 * import { createMailboxHandlers } from 'mailbox-challenge/http';
 *
 * const flow = createMailboxFlow({ keys: [generateKey()], appName: 'Acme', sender: consoleSender() });
 * const auth = createMailboxHandlers({
 *   flow,
 *   purposes: ['login'],
 *   onVerified: (challenge) => Response.json({ ok: true, email: challenge.email }),
 * });
 * // Hono: app.all('/auth/*', (c) => auth.fetch(c.req.raw)); Bun: Bun.serve({ fetch: auth.fetch })
 * ```
 */
export function createMailboxHandlers(options: MailboxHandlersOptions): MailboxHandlers {
  const { flow } = options;
  if (!flow || typeof flow.start !== 'function' || typeof flow.verify !== 'function') {
    throw invalidInput(['flow'], 'flow must come from createMailboxFlow');
  }
  if (typeof options.onVerified !== 'function') {
    throw invalidInput(['onVerified'], 'onVerified must be a function');
  }
  const settings = parseInput(optionsSchema(), {
    purposes: options.purposes,
    cookie: options.cookie,
    allowedOrigins: options.allowedOrigins,
    startUrl: options.startUrl,
    maxBodyBytes: options.maxBodyBytes,
  });
  const purposes = new Set(settings.purposes);
  const prefix = settings.cookie?.prefix ?? 'mc';
  const cookieMaxAgeSeconds = settings.cookie?.maxAgeSeconds ?? flow.policy.resendWindowSeconds;
  const maxBodyBytes = settings.maxBodyBytes ?? 8192;
  const startUrl = settings.startUrl ?? '/';
  const configuredOrigins = settings.allowedOrigins ? new Set(settings.allowedOrigins) : null;

  /** Per-request context: the cookie mode and the person's language. */
  function contextOf(request: Request) {
    const url = new URL(request.url);
    const secure = secureFor(url, options.cookie?.secure);
    return {
      url,
      secure,
      acceptLanguage: languageOf(request),
      nameFor: (purpose: string) => cookieName(prefix, purpose, secure),
      origins: configuredOrigins ?? new Set([url.origin]),
    };
  }
  type Ctx = ReturnType<typeof contextOf>;

  const blank = (purpose: string | null): ChallengeAnswer => ({
    ok: true,
    purpose,
    status: 'none',
    email: null,
    expiresAt: null,
    resendAvailableAt: null,
    attemptsRemaining: null,
    codeLength: null,
    codeAlphabet: null,
  });

  /** The answer for a known challenge: the UI's fields from an issue or an inspect. */
  const answer = (
    purpose: string,
    status: ChallengeState['status'],
    email: string | null,
    c: Pick<
      ChallengeState,
      'expiresAt' | 'resendAvailableAt' | 'attemptsRemaining' | 'codeLength' | 'codeAlphabet'
    >,
  ): ChallengeAnswer => ({
    ok: true,
    purpose,
    status,
    email,
    expiresAt: c.expiresAt,
    resendAvailableAt: c.resendAvailableAt,
    attemptsRemaining: c.attemptsRemaining,
    codeLength: c.codeLength,
    codeAlphabet: c.codeAlphabet,
  });
  const fromIssued = (purpose: string, email: string | null, issued: IssuedChallenge) =>
    answer(purpose, 'pending', email, issued);
  const fromState = (state: ChallengeState) => answer(state.purpose, state.status, state.email, state);

  function json(body: ChallengeAnswer, status: number, headers: Headers = new Headers()): Response {
    headers.set('content-type', 'application/json; charset=utf-8');
    headers.set('cache-control', 'no-store');
    return new Response(JSON.stringify(body), { status, headers });
  }

  /** The person-facing message, in the language of the request (or of an explicit `locale` field). */
  const describe = (code: MailboxChallengeErrorCode, ctx: Ctx, locale?: string) =>
    describeError(code, {
      ...options.errorMessages,
      ...(locale !== undefined && { locale }),
      ...(ctx.acceptLanguage !== undefined && { acceptLanguage: ctx.acceptLanguage }),
    });

  function errorBody(
    error: MailboxChallengeError,
    ctx: Ctx,
    base: ChallengeAnswer,
    locale?: string,
  ): ChallengeAnswer {
    return {
      ...base,
      ok: false,
      attemptsRemaining: error.attemptsRemaining ?? base.attemptsRemaining,
      error: {
        code: error.code,
        message: describe(error.code, ctx, locale).message,
        ...(error.fields !== undefined && { fields: error.fields }),
        ...(error.attemptsRemaining !== undefined && { attemptsRemaining: error.attemptsRemaining }),
        ...(error.retryAfterSeconds !== undefined && { retryAfterSeconds: error.retryAfterSeconds }),
      },
    };
  }

  function failure(
    error: MailboxChallengeError,
    ctx: Ctx,
    opts: { purpose: string | null; base?: ChallengeAnswer; locale?: string; clear?: boolean },
  ): Response {
    const headers = new Headers();
    const status = statusOf(error);
    if (error.retryAfterSeconds !== undefined)
      headers.set('retry-after', String(Math.ceil(error.retryAfterSeconds)));
    else if (status === 503) headers.set('retry-after', '5');
    if (opts.purpose && opts.clear) {
      headers.append('set-cookie', clearChallengeCookie(ctx.nameFor(opts.purpose), ctx.secure));
    }
    return json(errorBody(error, ctx, opts.base ?? blank(opts.purpose), opts.locale), status, headers);
  }

  const badInput = (ctx: Ctx, purpose: string | null, fields: string[], status = 400) => {
    const r = failure(invalidInput(fields), ctx, { purpose });
    return status === 400 ? r : new Response(r.body, { status, headers: r.headers });
  };

  /** Reads a POST: origin check, then the body's string fields. A `Response` means refuse with it. */
  async function postFields(request: Request, ctx: Ctx): Promise<Record<string, string> | Response> {
    if (request.method !== 'POST') {
      return new Response(null, { status: 405, headers: { allow: 'POST', 'cache-control': 'no-store' } });
    }
    if (!sameOriginPost(request, ctx.origins)) return badInput(ctx, null, ['origin'], 403);
    try {
      return await readFields(request, maxBodyBytes);
    } catch (e) {
      if (e instanceof BodyError) return badInput(ctx, null, ['body'], e.status);
      throw e;
    }
  }

  /** The purpose named by the client, if allowed. */
  const purposeOf = (value: string | undefined | null) => (value && purposes.has(value) ? value : null);

  /** Whether a challenge in this state can still be finished in this browser (a code, or a resend). */
  const isOpen = (state: ChallengeState) =>
    state.status === 'pending' || (state.status === 'expired' && state.resendAvailableAt !== null);

  /**
   * The state after a failed step, and whether this browser should forget the challenge. Decided from the
   * state, not the error code: CHALLENGE_SUPERSEDED, for one, means "this challenge was replaced" or "you
   * typed the code of an earlier email, the newest one still works", and only the state tells which.
   */
  async function stateAfter(
    cookie: ChallengeCookie,
    purpose: string,
  ): Promise<{ base: ChallengeAnswer; clear: boolean }> {
    const r = await flow.inspect(cookie);
    if (r.ok) return { base: fromState(r), clear: !isOpen(r) };
    // Our side is down: the challenge may be fine, so keep it. Otherwise the cookie no longer opens.
    if (r.error.code === 'STORE_UNAVAILABLE')
      return { base: { ...blank(purpose), status: 'pending' }, clear: false };
    return { base: blank(purpose), clear: true };
  }

  /** The last wrong code locked the challenge: say so (what the person can do now), not just "wrong". */
  const lockedIfSo = (error: MailboxChallengeError, state: ChallengeAnswer) =>
    error.code === 'INVALID_CODE' && state.status === 'locked'
      ? new MailboxChallengeError('ATTEMPTS_EXCEEDED', undefined, { attemptsRemaining: 0 })
      : error;

  async function withCleared(response: Response, ctx: Ctx, purpose: string): Promise<Response> {
    // The host's response may be immutable (a fetch() result): copy it to add our header.
    const headers = new Headers(response.headers);
    headers.append('set-cookie', clearChallengeCookie(ctx.nameFor(purpose), ctx.secure));
    headers.set('cache-control', 'no-store');
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }

  /**
   * Every POST's preamble: the origin check and body (`postFields`), the purpose (one of `purposes`), and
   * this browser's challenge cookie for that purpose (`null` when it holds none). A `Response` means
   * answer with it.
   */
  async function posted(request: Request, ctx: Ctx) {
    const fields = await postFields(request, ctx);
    if (fields instanceof Response) return fields;
    const purpose = purposeOf(fields.purpose);
    if (!purpose) return badInput(ctx, null, ['purpose']);
    return { fields, purpose, cookie: readChallengeCookie(request, ctx.nameFor(purpose)) };
  }

  /** As `posted`, for a step on this browser's challenge: without its cookie, INVALID_CHALLENGE. */
  async function postedChallenge(request: Request, ctx: Ctx) {
    const found = await posted(request, ctx);
    if (found instanceof Response) return found;
    const { fields, purpose, cookie } = found;
    if (!cookie) {
      return failure(new MailboxChallengeError('INVALID_CHALLENGE'), ctx, { purpose, locale: fields.locale });
    }
    return { fields, purpose, cookie };
  }

  async function start(request: Request): Promise<Response> {
    const ctx = contextOf(request);
    const found = await posted(request, ctx);
    if (found instanceof Response) return found;
    const { fields, purpose } = found;
    if (typeof fields.email !== 'string') return badInput(ctx, purpose, ['email']);
    let binding: StartBinding = {};
    if (options.beforeStart) {
      const b = await options.beforeStart({ purpose, request });
      if (b instanceof Response) return b;
      if (b) binding = b;
    }
    const r = await flow.start({
      email: fields.email,
      purpose,
      ...(binding.userId !== undefined && { userId: binding.userId }),
      ...(binding.metadata !== undefined && { metadata: binding.metadata }),
      ...(fields.locale !== undefined && { locale: fields.locale }),
      ...(ctx.acceptLanguage !== undefined && { acceptLanguage: ctx.acceptLanguage }),
    });
    // A failed start leaves an earlier challenge of this purpose in place: it still works.
    if (!r.ok) return failure(r.error, ctx, { purpose, locale: fields.locale, clear: false });
    try {
      // The address as the flow used it (trimmed of every invisible character, domain in ASCII form).
      await options.onStarted?.({ purpose, email: r.email, request });
    } catch (e) {
      // The code is on its way: a failing hook must not lose the cookie that lets the person use it.
      console.error('mailbox-challenge/http: onStarted failed', e);
    }
    const headers = new Headers();
    headers.append(
      'set-cookie',
      setChallengeCookie(ctx.nameFor(purpose), r, cookieMaxAgeSeconds, ctx.secure),
    );
    return json(fromIssued(purpose, r.email, r), 200, headers);
  }

  async function resend(request: Request): Promise<Response> {
    const ctx = contextOf(request);
    const found = await postedChallenge(request, ctx);
    if (found instanceof Response) return found;
    const { fields, purpose, cookie } = found;
    const r = await flow.resend({
      ...cookie,
      ...(fields.locale !== undefined && { locale: fields.locale }),
      ...(ctx.acceptLanguage !== undefined && { acceptLanguage: ctx.acceptLanguage }),
    });
    if (!r.ok) {
      // Too early, rate limited, our side down, or over: the state says whether it still stands.
      const { base, clear } = await stateAfter(cookie, purpose);
      return failure(r.error, ctx, { purpose, base, locale: fields.locale, clear });
    }
    const headers = new Headers();
    headers.append(
      'set-cookie',
      setChallengeCookie(ctx.nameFor(purpose), r, cookieMaxAgeSeconds, ctx.secure),
    );
    // The answer names the address again, for a page that was reloaded since the start.
    const state = await flow.inspect({ challengeId: r.challengeId, secret: r.secret });
    return json(fromIssued(purpose, state.ok ? state.email : null, r), 200, headers);
  }

  async function verifyWith(
    request: Request,
    ctx: Ctx,
    purpose: string,
    cookie: ChallengeCookie,
    code: string,
    via: VerifiedContext['via'],
  ): Promise<{ response: Response } | { error: MailboxChallengeError }> {
    const r = await flow.verify({ ...cookie, code, purpose });
    if (!r.ok) return { error: r.error };
    const response = await options.onVerified(r.challenge, request, { via });
    return { response: await withCleared(response, ctx, purpose) };
  }

  async function verify(request: Request): Promise<Response> {
    const ctx = contextOf(request);
    const found = await postedChallenge(request, ctx);
    if (found instanceof Response) return found;
    const { fields, purpose, cookie } = found;
    if (typeof fields.code !== 'string') {
      // Nothing spent; the challenge is as it was, so say where it stands (a UI redraws from this).
      const { base, clear } = await stateAfter(cookie, purpose);
      return failure(invalidInput(['code']), ctx, { purpose, base, locale: fields.locale, clear });
    }
    const done = await verifyWith(request, ctx, purpose, cookie, fields.code, 'code');
    if ('response' in done) return done.response;
    // A wrong or expired code leaves the challenge open: answer with its state (attempts left, resend time).
    const { base, clear } = await stateAfter(cookie, purpose);
    return failure(lockedIfSo(done.error, base), ctx, { purpose, base, locale: fields.locale, clear });
  }

  async function inspect(request: Request): Promise<Response> {
    const ctx = contextOf(request);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: { allow: 'GET, HEAD' } });
    }
    const purpose = purposeOf(ctx.url.searchParams.get('purpose'));
    if (!purpose) return badInput(ctx, null, ['purpose']);
    const cookie = readChallengeCookie(request, ctx.nameFor(purpose));
    if (!cookie) return json(blank(purpose), 200);
    const r = await flow.inspect(cookie);
    if (!r.ok) {
      if (r.error.code === 'STORE_UNAVAILABLE') return failure(r.error, ctx, { purpose, clear: false });
      // A cookie that no longer opens (rotated key, tampering): forget it, the person starts again.
      const headers = new Headers({ 'set-cookie': clearChallengeCookie(ctx.nameFor(purpose), ctx.secure) });
      return json(blank(purpose), 200, headers);
    }
    const headers = new Headers();
    if (!isOpen(r)) {
      headers.append('set-cookie', clearChallengeCookie(ctx.nameFor(purpose), ctx.secure));
    }
    return json(fromState(r), 200, headers);
  }

  async function cancel(request: Request): Promise<Response> {
    const ctx = contextOf(request);
    const found = await posted(request, ctx);
    if (found instanceof Response) return found;
    const { purpose, cookie } = found;
    const headers = new Headers({ 'set-cookie': clearChallengeCookie(ctx.nameFor(purpose), ctx.secure) });
    if (cookie) {
      const r = await flow.cancel(cookie);
      // Only a store outage keeps the cookie: the challenge may still be alive, so let the person retry.
      if (!r.ok && r.error.code === 'STORE_UNAVAILABLE')
        return failure(r.error, ctx, { purpose, clear: false });
    }
    return json(blank(purpose), 200, headers);
  }

  async function page(
    view: LinkPageView,
    status: number,
    request: Request,
    extra?: Headers,
  ): Promise<Response> {
    const rendered = options.linkPage
      ? await options.linkPage(view, request)
      : new Response(renderLinkPage(view), { status, headers: PAGE_HEADERS });
    if (!extra) return rendered;
    const headers = new Headers(rendered.headers);
    extra.forEach((v, k) => {
      headers.append(k, v);
    });
    return new Response(rendered.body, { status: rendered.status, headers });
  }

  async function link(request: Request): Promise<Response> {
    const ctx = contextOf(request);
    const isPost = request.method === 'POST';
    if (!isPost && request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: { allow: 'GET, HEAD, POST' } });
    }
    let fields: Record<string, string>;
    if (isPost) {
      const read = await postFields(request, ctx);
      if (read instanceof Response) return read;
      fields = read;
    } else {
      fields = Object.fromEntries(ctx.url.searchParams);
    }
    const { codeLength, codeAlphabet } = flow.policy;
    const linkCodeShape =
      codeAlphabet === 'digits'
        ? new RegExp(`^[0-9]{${codeLength}}$`)
        : new RegExp(`^[0-9A-HJKMNP-TV-Z]{${codeLength}}$`, 'i');
    let purpose = purposeOf(fields.p);
    const c = fields.c ?? '';
    const k = fields.k ?? '';
    const errorView = (code: MailboxChallengeErrorCode): LinkPageView => {
      const { message, locale, dir } = describe(code, ctx);
      return { kind: 'error', purpose, code, message, locale, dir, startUrl };
    };
    if (!c || !k || c.length > 64 || k.length > 64) return page(errorView('INVALID_INPUT'), 400, request);
    // The page shows the code to type on another device: only a code the flow could have sent, so a
    // crafted link cannot put its own words on this origin.
    if (!linkCodeShape.test(k)) return page(errorView('INVALID_INPUT'), 400, request);
    // The purpose comes from the link when it carries one; else from whichever purpose's cookie holds this
    // challenge (the cookie names are ours, and verify checks the purpose sealed in the challenge anyway).
    let cookie: ChallengeCookie | null = null;
    for (const p of purpose ? [purpose] : purposes) {
      const found = readChallengeCookie(request, ctx.nameFor(p));
      if (found?.challengeId === c) {
        purpose = p;
        cookie = found;
        break;
      }
    }
    if (!purpose || !cookie) {
      // Another browser (or a mail scanner): nothing here can spend the code.
      return page({ kind: 'other-device', purpose, code: k, startUrl }, 200, request);
    }
    if (!isPost) {
      const state = await flow.inspect(cookie);
      const code = state.ok ? STATUS_BY_CODE[state.status] : state.error.code;
      if (code) {
        const status = state.ok ? statusOf(new MailboxChallengeError(code)) : statusOf(state.error);
        return page(errorView(code), status, request);
      }
      // Leading slashes collapsed: a path such as `//evil.example/auth/link` (it routes by its last segment)
      // would otherwise be a scheme-relative action; CSP form-action 'self' blocks it too.
      const action = ctx.url.pathname.replace(/^\/+/, '/');
      return page({ kind: 'confirm', purpose, fields: { p: purpose, c, k }, action }, 200, request);
    }
    const done = await verifyWith(request, ctx, purpose, cookie, k, 'link');
    if ('response' in done) return done.response;
    const { base, clear } = await stateAfter(cookie, purpose);
    const error = lockedIfSo(done.error, base);
    const extra = clear
      ? new Headers({ 'set-cookie': clearChallengeCookie(ctx.nameFor(purpose), ctx.secure) })
      : undefined;
    return page(errorView(error.code), statusOf(error), request, extra);
  }

  /** Never lets a throwing hook or flow escape as an unhandled rejection: 500, with nothing internal said. */
  const guarded =
    (fn: (request: Request) => Promise<Response>, html = false) =>
    async (request: Request): Promise<Response> => {
      try {
        return await fn(request);
      } catch (e) {
        console.error('mailbox-challenge/http: handler failed', e);
        // Nothing internal reaches the client; the person reads "something went wrong on our side".
        const { message, locale, dir } = describeError('STORE_UNAVAILABLE', {
          ...options.errorMessages,
          ...(languageOf(request) !== undefined && { acceptLanguage: languageOf(request) }),
        });
        if (html) {
          const view: LinkPageView = {
            kind: 'error',
            purpose: null,
            code: 'INTERNAL',
            message,
            locale,
            dir,
            startUrl,
          };
          return new Response(renderLinkPage(view), { status: 500, headers: PAGE_HEADERS });
        }
        return new Response(JSON.stringify({ ok: false, error: { code: 'INTERNAL', message } }), {
          status: 500,
          headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        });
      }
    };

  const handlers = {
    start: guarded(start),
    resend: guarded(resend),
    verify: guarded(verify),
    inspect: guarded(inspect),
    cancel: guarded(cancel),
    link: guarded(link, true),
  };
  const routes: Record<string, (request: Request) => Promise<Response>> = {
    start: handlers.start,
    resend: handlers.resend,
    verify: handlers.verify,
    state: handlers.inspect,
    cancel: handlers.cancel,
    link: handlers.link,
  };

  return {
    ...handlers,
    async fetch(request) {
      const segment = new URL(request.url).pathname.replace(/\/+$/, '').split('/').pop() ?? '';
      const route = Object.hasOwn(routes, segment) ? routes[segment] : undefined;
      if (!route) return new Response('Not found', { status: 404, headers: { 'cache-control': 'no-store' } });
      return route(request);
    },
  };
}
