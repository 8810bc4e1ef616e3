// A tiny browser stand-in for handler tests: keeps cookies the way a browser would (by name, dropped when
// Max-Age is 0) and sends same-origin POSTs as JSON or form bodies.
import { parseSetCookie, stringifyCookie } from 'cookie';
import { createMailboxHandlers, type MailboxHandlersOptions } from '../../src/http/index.js';
import { createMailboxFlow, generateKey, memoryStore } from '../../src/index.js';
import { createTestClock, createTestOutbox } from '../../src/testing/index.js';
import { TEST_POLICY } from '../flow/_setup.js';

export const ORIGIN = 'http://localhost:3000';

export class Browser {
  readonly jar = new Map<string, string>();
  constructor(
    readonly fetch: (request: Request) => Promise<Response>,
    readonly origin = ORIGIN,
  ) {}

  private keep(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const c = parseSetCookie(line);
      if (c.maxAge === 0 || !c.value) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    return response;
  }

  private headers(extra: Record<string, string> = {}) {
    const h = new Headers(extra);
    if (this.jar.size) h.set('cookie', stringifyCookie(Object.fromEntries(this.jar)));
    return h;
  }

  async post(
    path: string,
    body: Record<string, string>,
    opts: { form?: boolean; headers?: Record<string, string> } = {},
  ) {
    const headers = this.headers({ origin: this.origin, 'sec-fetch-site': 'same-origin', ...opts.headers });
    headers.set('content-type', opts.form ? 'application/x-www-form-urlencoded' : 'application/json');
    const payload = opts.form ? new URLSearchParams(body).toString() : JSON.stringify(body);
    return this.keep(
      await this.fetch(new Request(this.origin + path, { method: 'POST', headers, body: payload })),
    );
  }

  async get(path: string, headers: Record<string, string> = {}) {
    return this.keep(await this.fetch(new Request(this.origin + path, { headers: this.headers(headers) })));
  }
}

/** A real flow (memory store, test outbox, test clock) behind real handlers. */
export function setup(
  overrides: Partial<MailboxHandlersOptions> = {},
  flowOverrides: Record<string, unknown> = {},
) {
  const clock = createTestClock(Date.now());
  const outbox = createTestOutbox();
  const flow = createMailboxFlow({
    keys: [generateKey('t')],
    appName: 'Acme',
    sender: outbox,
    now: clock.now,
    store: memoryStore(),
    policy: TEST_POLICY,
    message: { link: { urlTemplate: 'http://localhost:3000/auth/link?c={challengeId}&k={code}' } },
    ...flowOverrides,
  });
  const verified: { email: string; purpose: string }[] = [];
  const handlers = createMailboxHandlers({
    flow,
    purposes: ['login', 'signup', 'email-change'],
    onVerified: (challenge) => {
      verified.push({ email: challenge.email, purpose: challenge.purpose });
      return Response.json({ ok: true, signedInAs: challenge.email });
    },
    ...overrides,
  });
  return { clock, outbox, flow, handlers, verified, browser: new Browser(handlers.fetch) };
}

export const wrong = (code: string) => (code === '000000' ? '111111' : '000000');
