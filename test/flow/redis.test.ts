// The flow's race rules with two app servers sharing one real Redis: same keys, same store data, but
// separate flow objects, separate Redis connections (one node-redis, one ioredis) and separate outboxes.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailboxFlow, generateKey, type MailboxFlow, type MailboxPolicy } from '../../src/index.js';
import { redisStore } from '../../src/stores/redis.js';
import { createTestOutbox, type TestOutbox } from '../../src/testing/index.js';
import { type RedisServer, redisServerAvailable, startRedisServer } from '../stores/_redis-server.js';
import { must, wrong } from './_setup.js';

const available = redisServerAvailable();
const keys = [generateKey('redis-flow')];
let counter = 0;
/** One mailbox per test (not a +tag: tags share their mailbox's send limits), so no test spends another's. */
const freshEmail = () => `Ada.${process.pid}.${counter++}@Example.com`;

/**
 * The code last emailed to `email`. The outbox reads it from the HTML element marked `data-mc-code`; while a
 * template lacks that marker, fall back to the plain-text part, where the code stands on a line of its own.
 */
function lastCode(outbox: TestOutbox, email: string): string {
  try {
    return outbox.lastCode(email);
  } catch (e) {
    const code = /^\s*(\d{6,10})\s*$/m.exec(outbox.last(email)?.text ?? '')?.[1];
    if (!code) throw e;
    return code;
  }
}

const connectNodeRedis = (url: string) => createClient({ url }).connect();

describe.skipIf(!available)('the flow on a shared Redis, across two app servers', () => {
  let server: RedisServer;
  let nodeRedis: Awaited<ReturnType<typeof connectNodeRedis>>;
  let ioRedis: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    nodeRedis = await connectNodeRedis(server.url);
    ioRedis = new Redis(server.port, server.host, { lazyConnect: true });
    await ioRedis.connect();
  });

  afterAll(async () => {
    await Promise.allSettled([nodeRedis?.close(), ioRedis?.quit()]);
    await server?.stop();
  });

  interface Instance {
    flow: MailboxFlow;
    outbox: TestOutbox;
  }

  /** Two servers: A talks to Redis through node-redis, B through ioredis; they share only the keys and Redis. */
  function twoServers(policy: Partial<MailboxPolicy> = {}): [Instance, Instance] {
    const make = (store: ReturnType<typeof redisStore>): Instance => {
      const outbox = createTestOutbox();
      return { outbox, flow: createMailboxFlow({ keys, sender: outbox, appName: 'Acme', store, policy }) };
    };
    return [make(redisStore(nodeRedis, { prefix: 'app:' })), make(redisStore(ioRedis, { prefix: 'app:' }))];
  }

  it('200 parallel wrong guesses spread over both servers: exactly 5 are evaluated', async () => {
    const [a, b] = twoServers();
    const email = freshEmail();
    const s = must(await a.flow.start({ email, purpose: 'login' }));
    const code = lastCode(a.outbox, email);
    expect(b.outbox.messages).toHaveLength(0);

    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).flow.verify({ ...s, code: wrong(code) })),
    );
    const codes = results.map((r) => (r.ok ? 'OK' : r.error.code));
    expect(codes.filter((c) => c === 'INVALID_CODE')).toHaveLength(5);
    expect(codes.filter((c) => c === 'ATTEMPTS_EXCEEDED')).toHaveLength(195);
    for (const { flow } of [a, b]) {
      expect(await flow.verify({ ...s, code })).toMatchObject({
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
      const code = lastCode(b.outbox, email);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).flow.verify({ ...s, code })),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const refusals = new Set(results.flatMap((r) => (r.ok ? [] : [r.error.code])));
      expect([...refusals].every((c) => c === 'INVALID_CHALLENGE' || c === 'ATTEMPTS_EXCEEDED')).toBe(true);
      expect((await a.flow.verify({ ...s, code })).ok).toBe(false);
      expect((await b.flow.verify({ ...s, code })).ok).toBe(false);
    }
  });

  it('a resend on server A supersedes the older code on server B', async () => {
    const [a, b] = twoServers();
    const email = freshEmail();
    const first = must(await b.flow.start({ email, purpose: 'signup' }));
    const firstCode = lastCode(b.outbox, email);

    const second = must(await a.flow.resend({ challengeId: first.challengeId, secret: first.secret }));
    const secondCode = lastCode(a.outbox, email);
    expect(b.outbox.messages).toHaveLength(1); // the new code went out through A's sender only

    const stale = await b.flow.verify({ ...first, code: firstCode, purpose: 'signup' });
    expect(stale).toMatchObject({ ok: false, error: { code: 'CHALLENGE_SUPERSEDED' } });
    expect(await b.flow.resend({ challengeId: first.challengeId, secret: first.secret })).toMatchObject({
      ok: false,
      error: { code: 'CHALLENGE_SUPERSEDED' },
    });

    const fresh = must(await b.flow.verify({ ...second, code: secondCode, purpose: 'signup' }));
    expect(fresh.challenge).toMatchObject({ email, purpose: 'signup' });
    expect(await a.flow.verify({ ...second, code: secondCode })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_CHALLENGE' },
    });
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

  it('a server whose Redis connection is gone fails closed with STORE_UNAVAILABLE', async () => {
    const [a] = twoServers();
    const email = freshEmail();
    const s = must(await a.flow.start({ email, purpose: 'login' }));
    const code = lastCode(a.outbox, email);

    const lost = await connectNodeRedis(server.url);
    await lost.close();
    const outbox = createTestOutbox();
    const down = createMailboxFlow({
      keys,
      sender: outbox,
      appName: 'Acme',
      store: redisStore(lost, { prefix: 'app:' }),
    });
    for (const r of [
      await down.verify({ ...s, code }),
      await down.start({ email: freshEmail(), purpose: 'login' }),
      await down.resend({ challengeId: s.challengeId, secret: s.secret }),
    ]) {
      expect(r).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    }
    expect(outbox.messages).toHaveLength(0);
    expect(must(await a.flow.verify({ ...s, code })).challenge.email).toBe(email); // nothing was spent
  });
});
