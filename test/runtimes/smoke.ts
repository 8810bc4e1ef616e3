// The smoke test, written once and run unchanged in every runtime the README claims (Node 20 and 22,
// Bun, Deno, an edge sandbox). runtimes.test.ts bundles this file with the core, locales, http and testing
// entries, runs it in each runtime, and asserts on what it returns. It uses Web-standard APIs only, so it
// proves nothing by accident: anything Node-specific would fail in the edge sandbox.
import {
  createMailboxChallenge,
  createMailboxFlow,
  memoryStore,
  verifyMailboxChallenge,
} from '../../src/index.js';
import type { MailboxKey } from '../../src/keys.js';
// Every locale but English is an entry of its own: one import at start-up, as a host does.
import '../../src/locales.js';
import { createMailboxHandlers } from '../../src/http/index.js';
import { createTestOutbox } from '../../src/testing/index.js';

export interface SmokeInput {
  key: MailboxKey;
  /** A challenge sealed by the Node that runs the suite: this runtime must verify it (same bytes everywhere). */
  fromHost: { challengeId: string; secret: string; code: string };
}

function errorCode(r: { ok: boolean; error?: { code: string } }): string {
  return r.ok ? 'ok' : (r.error?.code ?? 'missing error');
}

function runtimeName(): string {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.EdgeRuntime === 'string') return 'edge-runtime';
  if (g.Bun) return `bun ${(g.Bun as { version: string }).version}`;
  if (g.Deno) return `deno ${(g.Deno as { version: { deno: string } }).version.deno}`;
  const p = g.process as { versions?: { node?: string } } | undefined;
  return p?.versions?.node ? `node ${p.versions.node}` : 'unknown';
}

export async function run(input: SmokeInput) {
  const keys = [input.key];

  // The pure layer: create with the built-in email, verify, refuse a wrong code and a tampered secret.
  const c = createMailboxChallenge(
    {
      email: 'Ada@Example.com',
      purpose: 'login',
      message: { appName: 'Acme', acceptLanguage: 'de-CH,en;q=0.5' },
    },
    { keys },
  );
  const wrongCode = c.code === '000000' ? '111111' : '000000';
  const pure = {
    locale: c.message?.locale,
    codeInHtml: c.message?.html.includes(c.code) ?? false,
    codeInText: c.message?.text.includes(c.code) ?? false,
    verify: errorCode(
      verifyMailboxChallenge({ challengeId: c.challengeId, secret: c.secret, code: c.code }, { keys }),
    ),
    wrongCode: errorCode(
      verifyMailboxChallenge({ challengeId: c.challengeId, secret: c.secret, code: wrongCode }, { keys }),
    ),
    tampered: errorCode(
      verifyMailboxChallenge({ challengeId: c.challengeId, secret: `${c.secret}A`, code: c.code }, { keys }),
    ),
    fromHost: errorCode(verifyMailboxChallenge(input.fromHost, { keys })),
  };

  // The flow over the memory store, with the testing entry's outbox as the sender: start, resend (only
  // the newest code works), a wrong code, the right one, once only.
  const outbox = createTestOutbox();
  const flow = createMailboxFlow({
    keys,
    appName: 'Acme',
    sender: outbox,
    store: memoryStore(),
    // Pinned, so a change of default moves nothing here (attemptsRemaining below is maxAttempts - 1).
    policy: { resendCooldownSeconds: 0, maxAttempts: 5 },
  });
  const started = await flow.start({ email: 'grace@example.com', purpose: 'signup' });
  if (!started.ok) return { runtime: runtimeName(), pure, flow: { start: started.error.code } };
  const firstCode = outbox.lastCode('grace@example.com');
  const resent = await flow.resend({ challengeId: started.challengeId, secret: started.secret });
  if (!resent.ok) return { runtime: runtimeName(), pure, flow: { start: 'ok', resend: resent.error.code } };
  const code = outbox.lastCode('grace@example.com');
  const ids = { challengeId: resent.challengeId, secret: resent.secret, purpose: 'signup' };
  const oldCode = code === firstCode ? 'same' : errorCode(await flow.verify({ ...ids, code: firstCode }));
  const flowWrong = await flow.verify({ ...ids, code: code === '000000' ? '111111' : '000000' });
  const flowRight = await flow.verify({ ...ids, code });
  const flowAgain = await flow.verify({ ...ids, code });
  const state = await flow.inspect({ challengeId: ids.challengeId, secret: ids.secret });

  // The HTTP handlers (Fetch API): start, then verify with the cookie start set, as a browser would.
  const handlers = createMailboxHandlers({
    flow,
    purposes: ['login'],
    onVerified: (challenge) => Response.json({ signedIn: challenge.email }),
  });
  const post = (path: string, body: object, cookie?: string) =>
    handlers.fetch(
      new Request(`http://localhost/auth/${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: 'http://localhost',
          ...(cookie ? { cookie } : {}),
        },
        body: JSON.stringify(body),
      }),
    );
  const startRes = await post('start', { email: 'alan@example.com', purpose: 'login' });
  const cookie = (startRes.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const verifyRes = await post(
    'verify',
    { purpose: 'login', code: outbox.lastCode('alan@example.com') },
    cookie,
  );
  const http = {
    start: startRes.status,
    cookieIsHttpOnly: /;\s*HttpOnly/i.test(startRes.headers.get('set-cookie') ?? ''),
    verify: verifyRes.status,
    body: (await verifyRes.json()) as unknown,
  };

  return {
    runtime: runtimeName(),
    pure,
    http,
    flow: {
      start: 'ok',
      resend: 'ok',
      sameChallenge: resent.challengeId === started.challengeId,
      mails: outbox.messages.filter((m) => m.to === 'grace@example.com').length,
      oldCode,
      wrongCode: errorCode(flowWrong),
      attemptsRemaining: flowWrong.ok ? undefined : flowWrong.error.attemptsRemaining,
      verify: errorCode(flowRight),
      email: flowRight.ok ? flowRight.challenge.email : undefined,
      again: errorCode(flowAgain),
      status: state.ok ? state.status : state.error.code,
    },
    // Sealed here, verified back on the host's Node.
    forHost: { challengeId: c.challengeId, secret: c.secret, code: c.code },
  };
}
