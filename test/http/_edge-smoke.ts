// Bundled by runtime.test.ts and run in a bare V8 context with only Web APIs: the handlers must work there.

import { createMailboxHandlers } from '../../src/http/index.js';
import { createMailboxFlow, generateKey } from '../../src/index.js';
import { createTestOutbox } from '../../src/testing/index.js';

export async function run() {
  const outbox = createTestOutbox();
  const flow = createMailboxFlow({ keys: [generateKey('edge')], appName: 'Acme', sender: outbox });
  const auth = createMailboxHandlers({
    flow,
    purposes: ['login'],
    onVerified: (challenge) => Response.json({ ok: true, email: challenge.email }),
  });
  const origin = 'https://app.example';
  const post = (path: string, body: object, cookie?: string) =>
    auth.fetch(
      new Request(origin + path, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', ...(cookie && { cookie }) },
        body: JSON.stringify(body),
      }),
    );
  const started = await post('/auth/start', { email: 'ada@example.com', purpose: 'login' });
  const setCookie = started.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  const code = outbox.lastCode('ada@example.com');
  const wrong = await post(
    '/auth/verify',
    { purpose: 'login', code: code === '000000' ? '111111' : '000000' },
    cookie,
  );
  const right = await post('/auth/verify', { purpose: 'login', code }, cookie);
  return {
    started: started.status,
    cookieName: cookie.split('=')[0],
    secure: /;\s*Secure/i.test(setCookie),
    wrong: wrong.status,
    wrongCode: ((await wrong.json()) as { error: { code: string } }).error.code,
    right: right.status,
    body: await right.json(),
  };
}
