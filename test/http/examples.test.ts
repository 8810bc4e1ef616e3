// The README's "Use it in your app" snippets are these files, verbatim; here they run against the built
// package (imported as `mailbox-challenge`, as an app would) over real HTTP (Express) and Fetch (Hono).
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../../src/index.js';
import { createTestOutbox } from '../../src/testing/index.js';
import { Browser, wrong } from './_client.js';

const root = join(import.meta.dirname, '..', '..');
const EXAMPLES = ['examples/express.ts', 'examples/hono.ts'];

beforeAll(() => {
  const key = generateKey('readme');
  process.env.MAILBOX_KEYS = `${key.id}:${key.secret}`;
});

/** Sign up through an app: start, a wrong code, the right one, then the spent code again. */
async function signUp(browser: Browser, outbox: ReturnType<typeof createTestOutbox>) {
  const started = await browser.post('/auth/start', { email: 'ada@example.com', purpose: 'signup' });
  expect(started.status).toBe(200);
  expect(await started.json()).toMatchObject({ ok: true, codeLength: 6, codeAlphabet: 'digits' });
  const code = outbox.lastCode('ada@example.com');
  const bad = await browser.post('/auth/verify', { purpose: 'signup', code: wrong(code) });
  expect(bad.status).toBe(401);
  expect((await bad.json()).error.code).toBe('INVALID_CODE');
  const kept = new Map(browser.jar);
  const good = await browser.post('/auth/verify', { purpose: 'signup', code });
  expect(good.status).toBe(200);
  expect(await good.json()).toEqual({ ok: true, email: 'ada@example.com' });
  for (const [k, v] of kept) browser.jar.set(k, v);
  expect((await browser.post('/auth/verify', { purpose: 'signup', code })).status).toBe(403);
}

describe('README snippets', () => {
  it.each(EXAMPLES)('README contains %s verbatim', (file) => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const source = readFileSync(join(root, file), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${source}\`\`\``);
  });

  describe('Express', () => {
    let close: () => void;
    let origin: string;
    const outbox = createTestOutbox();
    beforeAll(async () => {
      const { createApp } = await import('../../examples/express.js');
      const server = createApp(outbox).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      close = () => server.close();
    });
    afterAll(() => close?.());

    it('signs up over real HTTP', async () => {
      const browser = new Browser((request) => fetch(request), origin);
      await signUp(browser, outbox);
    });
  });

  describe('Hono', () => {
    it('signs up through app.fetch', async () => {
      const { createApp } = await import('../../examples/hono.js');
      const outbox = createTestOutbox();
      const app = createApp(outbox);
      const browser = new Browser(async (request) => app.fetch(request));
      await signUp(browser, outbox);
    });
  });
});
