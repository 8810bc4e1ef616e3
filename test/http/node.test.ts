import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { toNodeHandler } from '../../src/http/index.js';
import { Browser, setup, wrong } from './_client.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('toNodeHandler', () => {
  it('serves the handlers from node:http, cookies and status codes intact', async () => {
    const { handlers, outbox } = setup();
    const origin = await listen(createServer(toNodeHandler(handlers.fetch)));
    const browser = new Browser((r) => fetch(r), origin);
    const started = await browser.post('/auth/start', { email: 'ada@example.com', purpose: 'login' });
    expect(started.status).toBe(200);
    expect(browser.jar.has('mc-login')).toBe(true); // 127.0.0.1 is loopback: no __Host-
    const code = outbox.lastCode('ada@example.com');
    const bad = await browser.post('/auth/verify', { purpose: 'login', code: wrong(code) });
    expect(bad.status).toBe(401);
    expect((await browser.post('/auth/verify', { purpose: 'login', code })).status).toBe(200);
  });

  it('under Express: mounted on a path, after express.json() and express.urlencoded() consumed the body', async () => {
    const { handlers, outbox } = setup();
    const app = express();
    app.use(express.json(), express.urlencoded({ extended: false }));
    app.use('/auth', toNodeHandler(handlers.fetch));
    const origin = await listen(createServer(app));
    const browser = new Browser((r) => fetch(r), origin);
    expect((await browser.post('/auth/start', { email: 'ada@example.com', purpose: 'login' })).status).toBe(
      200,
    );
    const url = new URL(
      /href="([^"]+\/auth\/link[^"]+)"/
        .exec(outbox.last('ada@example.com')!.html)![1]!
        .replaceAll('&amp;', '&'),
    );
    // The confirm page posts back to the mounted path, not to the path Express cut.
    const page = await (await browser.get(url.pathname + url.search)).text();
    expect(page).toContain('action="/auth/link"');
    const form = await browser.post(
      '/auth/verify',
      { purpose: 'login', code: outbox.lastCode('ada@example.com') },
      { form: true },
    );
    expect(form.status).toBe(200);
  });

  it('under Express at the root, a `//host/...` path cannot move the request to another origin', async () => {
    const { handlers } = setup();
    const app = express();
    app.use(express.json());
    app.use(toNodeHandler(handlers.fetch));
    const origin = await listen(createServer(app));
    const post = (path: string) =>
      new Promise<{ status: number; cookie: unknown }>((resolve, reject) => {
        const body = JSON.stringify({ email: 'ada@example.com', purpose: 'login' });
        const r = request(`${origin}/`, {
          method: 'POST',
          path, // sent as is: fetch() and URL would normalise it
          headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
        });
        r.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode!, cookie: res.headers['set-cookie'] });
        });
        r.on('error', reject);
        r.end(body);
      });
    expect((await post('/auth/start')).status).toBe(403); // a cross-site POST
    for (const path of ['//evil.example/auth/start', '///evil.example/auth/start']) {
      const answer = await post(path);
      expect(answer.status, path).not.toBe(200);
      expect(answer.cookie, path).toBeUndefined();
    }
  });

  it('passes a throwing handler to next() under Express, and answers 500 under node:http', async () => {
    const app = express();
    app.use(
      '/x',
      toNodeHandler(() => {
        throw new Error('boom');
      }),
    );
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(599).send('handled by express');
    });
    const a = await listen(createServer(app));
    const r = await fetch(`${a}/x`);
    expect(r.status).toBe(599);
    const b = await listen(
      createServer(
        toNodeHandler(() => {
          throw new Error('boom');
        }),
      ),
    );
    const original = console.error;
    console.error = () => undefined;
    try {
      expect((await fetch(b)).status).toBe(500);
    } finally {
      console.error = original;
    }
  });
});
