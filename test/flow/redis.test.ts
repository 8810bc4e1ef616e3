// The flow's race rules with two app servers sharing one real Redis: same keys, same store data, but
// separate flow objects, separate Redis connections (one node-redis, one ioredis) and separate outboxes.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailboxFlow, generateKey, type MailboxFlow, type MailboxPolicy } from '../../src/index.js';
import { redisStore } from '../../src/stores/redis.js';
import { createTestOutbox, type TestOutbox } from '../../src/testing/index.js';
import { type RedisServer, redisServerAvailable, startRedisServer } from '../stores/_redis-server.js';
import { must } from './_setup.js';
import { testFlowAcrossServers } from './races.js';

const available = redisServerAvailable();
const keys = [generateKey('redis-flow')];
let counter = 0;
/** One mailbox per test (not a +tag: tags share their mailbox's send limits), so no test spends another's. */
const freshEmail = () => `Ada.${process.pid}.${counter++}@Example.com`;

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

  testFlowAcrossServers(twoServers);

  it('a server whose Redis connection is gone fails closed with STORE_UNAVAILABLE', async () => {
    const [a] = twoServers();
    const email = freshEmail();
    const s = must(await a.flow.start({ email, purpose: 'login' }));
    const code = a.outbox.lastCode(email);

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
      await down.verify({ ...s, purpose: 'login', code }),
      await down.start({ email: freshEmail(), purpose: 'login' }),
      await down.resend({ challengeId: s.challengeId, secret: s.secret }),
    ]) {
      expect(r).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    }
    expect(outbox.messages).toHaveLength(0);
    expect(must(await a.flow.verify({ ...s, purpose: 'login', code })).challenge.email).toBe(email); // nothing was spent
  });
});
