// redisStore against real servers only: a single redis-server and a 3-master Redis Cluster, each through
// node-redis and ioredis, held to the shared conformance suite; then what only Redis has: round trips
// counted by the server (INFO commandstats), eviction under maxmemory, the script cache, bad replies.
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import type { ChallengeStore, MailboxFlow } from '../../src/index.js';
import { type RedisStoreClient, RedisStoreReplyError, redisStore } from '../../src/stores/redis.js';
import { must, setup, wrong } from '../flow/_setup.js';
import { redisClusterAvailable, useRedisCluster } from './_redis-cluster.js';
import {
  commandCalls,
  connectIoRedis,
  connectNodeRedis,
  onEachNode,
  redisServerAvailable,
  resetStats,
  startRedisServer,
  useRedisServer,
} from './_redis-server.js';
import { testStore } from './conformance.js';

const available = redisServerAvailable();
const clusterAvailable = available && redisClusterAvailable();

let counter = 0;
const freshEmail = () => `ada.${process.pid}.${Date.now()}.${counter++}@example.com`;

describe.skipIf(!available)('redisStore on a single redis-server', () => {
  const redis = useRedisServer();
  /** The connection for looking at what the store wrote, and for FLUSHALL. */
  const raw = () => redis.nodeRedis;

  const lose = async () => {
    await raw().flushAll();
  };
  testStore('redis (node-redis)', () => ({ store: () => redisStore(redis.nodeRedis), lose }));
  testStore('redis (ioredis)', () => ({ store: () => redisStore(redis.ioRedis), lose }));
  testStore('redis (node-redis and ioredis on one server)', () => {
    let n = 0;
    return { store: () => redisStore(n++ % 2 ? redis.nodeRedis : redis.ioRedis), lose };
  });

  const calls = (command: 'eval' | 'evalsha') => commandCalls([redis.server], command);

  /**
   * Round trips of one flow call, as the server counts them. Every command the store sends is an EVALSHA
   * (or an EVAL after NOSCRIPT); commandstats also counts the GET and SET a script runs inside the server,
   * which are not round trips, so only the script commands are summed.
   */
  async function roundTrips(fn: () => Promise<unknown>): Promise<number> {
    await resetStats([redis.server]);
    await fn();
    return (await calls('evalsha')) + (await calls('eval'));
  }

  describe.each([
    ['node-redis', () => redis.nodeRedis as RedisStoreClient],
    ['ioredis', () => redis.ioRedis as RedisStoreClient],
  ])('with %s', (_, client) => {
    it('one round trip per step: start, resend, verify, inspect, cancel; two only when a send fails', async () => {
      const { flow, outbox, clock } = setup({ store: redisStore(client()) });
      must(await flow.start({ email: freshEmail(), purpose: 'login' })); // the script is in the server's cache
      const email = freshEmail();
      let s!: Awaited<ReturnType<MailboxFlow['start']>>;
      expect(await roundTrips(async () => (s = await flow.start({ email, purpose: 'login' })))).toBe(1);
      const started = must(s);
      expect(await roundTrips(() => flow.inspect(started))).toBe(1);
      expect(await roundTrips(() => flow.verify({ ...started, purpose: 'login', code: '000000' }))).toBe(1);
      clock.advance(30_000);
      let r!: Awaited<ReturnType<MailboxFlow['resend']>>;
      expect(await roundTrips(async () => (r = await flow.resend(started)))).toBe(1);
      const resent = must(r);
      expect(
        await roundTrips(() => flow.verify({ ...resent, purpose: 'login', code: outbox.lastCode(email) })),
      ).toBe(1);
      expect(await roundTrips(() => flow.cancel(resent))).toBe(1);
      expect(await calls('eval')).toBe(0); // all EVALSHA

      const failing = setup({
        store: redisStore(client()),
        sender: {
          send: async () => {
            throw new Error('SMTP 451');
          },
        },
      });
      expect(
        await roundTrips(async () => {
          const failed = await failing.flow.start({ email: freshEmail(), purpose: 'login' });
          expect(failed).toMatchObject({ ok: false, error: { code: 'SEND_FAILED' } });
        }),
      ).toBe(2);
    });

    it('recovers from an emptied script cache (SCRIPT FLUSH) with one EVAL, then EVALSHA again', async () => {
      const { flow } = setup({ store: redisStore(client()) });
      must(await flow.start({ email: freshEmail(), purpose: 'login' }));
      await raw().scriptFlush();
      await resetStats([redis.server]);
      must(await flow.start({ email: freshEmail(), purpose: 'login' }));
      expect([await calls('evalsha'), await calls('eval')]).toEqual([1, 1]);
      await resetStats([redis.server]);
      must(await flow.start({ email: freshEmail(), purpose: 'login' }));
      expect([await calls('evalsha'), await calls('eval')]).toEqual([1, 0]);
    });

    it('prepends the prefix, keeps one key per mailbox, with a TTL, holding no address or code', async () => {
      const prefix = `acme${counter++}:`;
      const { flow, outbox } = setup({ store: redisStore(client(), { prefix }) });
      const email = freshEmail();
      const s = must(await flow.start({ email, purpose: 'login' }));
      must(await flow.start({ email: email.replace('@', '+tag@'), purpose: 'signup' }));
      const found = await raw().keys(`${prefix}*`);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(new RegExp(`^${prefix}mc:m:[A-Za-z0-9_-]{22}$`));
      const ttl = await raw().pTTL(found[0]!);
      // The record lives as long as its longest rule (the 1 h resend window) plus a minute's slack.
      expect(ttl).toBeGreaterThan(3_600_000);
      expect(ttl).toBeLessThanOrEqual(3_660_000);
      const value = (await raw().get(found[0]!))!;
      expect(value).not.toContain(email.split('@')[0]!);
      expect(value).not.toContain(outbox.lastCode(email));
      expect(value).not.toContain(s.secret.slice(5, 40));
    });
  });

  it('a record that is not one (wrong version, not JSON, another type) fails closed', async () => {
    const prefix = `bad${counter++}:`;
    const { flow, outbox } = setup({ store: redisStore(redis.nodeRedis, { prefix }) });
    const email = freshEmail();
    const s = must(await flow.start({ email, purpose: 'login' }));
    const [key] = await raw().keys(`${prefix}*`);
    const record = await raw().get(key!);
    for (const [label, write] of [
      ['version 2', () => raw().set(key!, record!.replace('"v":1', '"v":2'))],
      ['not JSON', () => raw().set(key!, '{')],
      [
        'a list',
        async () => {
          await raw().del(key!);
          await raw().lPush(key!, 'x');
        },
      ],
    ] as const) {
      await write();
      const r = await flow.verify({ ...s, purpose: 'login', code: outbox.lastCode(email) });
      expect(r, label).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
    }
  });

  it('under maxmemory with volatile-lru, a flood evicts records: none verifies twice or gains attempts', async () => {
    const small = await startRedisServer();
    const client = await connectNodeRedis(small.url);
    try {
      await client.configSet({ maxmemory: '2mb', 'maxmemory-policy': 'volatile-lru' });
      const { flow, outbox } = setup({ store: redisStore(client) });
      const victims = [];
      for (let i = 0; i < 20; i++) {
        const email = freshEmail();
        const s = must(await flow.start({ email, purpose: 'login' }));
        const code = outbox.lastCode(email);
        if (i % 2)
          must(await flow.verify({ ...s, purpose: 'login', code })); // used
        else for (let j = 0; j < 4; j++) await flow.verify({ ...s, purpose: 'login', code: wrong(code) });
        victims.push({ s, code, used: i % 2 === 1 });
      }
      for (let i = 0; i < 6_000; i++) await flow.start({ email: `flood${i}@example.com`, purpose: 'login' });
      const info = await client.info('stats');
      expect(Number(/evicted_keys:(\d+)/.exec(info)?.[1])).toBeGreaterThan(0);
      for (const { s, code, used } of victims) {
        // One attempt was left on the unused ones: a wrong guess may use it, never more.
        const first = await flow.verify({ ...s, purpose: 'login', code: wrong(code) });
        if (!first.ok && first.error.code === 'INVALID_CODE') expect(first.error.attemptsRemaining).toBe(0);
        expect(used && first.ok).toBe(false);
        expect((await flow.verify({ ...s, purpose: 'login', code })).ok).toBe(false);
      }
    } finally {
      await client.close();
      await small.stop();
    }
  });

  describe('a store whose client cannot reach Redis: the flow fails closed', () => {
    const expectUnavailable = async (store: ChallengeStore) => {
      const { flow, outbox } = setup({ store });
      expect(await flow.start({ email: freshEmail(), purpose: 'login' })).toMatchObject({
        ok: false,
        error: { code: 'STORE_UNAVAILABLE' },
      });
      expect(outbox.messages).toHaveLength(0);
    };

    it('node-redis, closed', async () => {
      const client = await connectNodeRedis(redis.server.url);
      await client.close();
      await expectUnavailable(redisStore(client));
    });

    it('ioredis, closed', async () => {
      const client = await connectIoRedis(redis.server);
      await client.quit();
      await expectUnavailable(redisStore(client));
    });

    it('node-redis, never connected (offline queue off)', async () => {
      await expectUnavailable(redisStore(createClient({ url: redis.server.url, disableOfflineQueue: true })));
    });
  });
});

describe.skipIf(!clusterAvailable)('redisStore on a 3-master Redis Cluster', () => {
  const redis = useRedisCluster();

  const lose = async () => {
    await onEachNode(redis.cluster.nodes, (node) => node.flushAll());
  };
  testStore('redis cluster (node-redis)', () => ({
    store: () => redisStore(redis.nodeRedis as RedisStoreClient),
    lose,
  }));
  testStore('redis cluster (ioredis)', () => ({ store: () => redisStore(redis.ioRedis), lose }));

  it('records spread over the masters, one EVALSHA per step, no cross-slot error', async () => {
    const { flow } = setup({ store: redisStore(redis.ioRedis) });
    const { nodes } = redis.cluster;
    await resetStats(nodes);
    for (let i = 0; i < 30; i++) must(await flow.start({ email: freshEmail(), purpose: 'login' }));
    expect(await commandCalls(nodes, 'evalsha')).toBe(30);
    const perNode = await onEachNode(nodes, (node) => node.dbSize());
    expect(perNode.filter((n) => n > 0).length).toBeGreaterThan(1);
  });
});

describe('redisStore arguments and replies', () => {
  const step = {
    kind: 'inspect',
    now: 0,
    purpose: 'login',
    challengeId: 'x',
    gen: 1,
    limits: {
      sendLimits: [],
      failureLimit: { max: 1, windowMs: 1 },
      maxAttempts: 1,
      resendWindowMs: 1,
      resendCooldownMs: 0,
    },
  } as const;

  it('refuses something that is not a Redis client, or a bad prefix', () => {
    const invalid = expect.objectContaining({ code: 'INVALID_INPUT', fields: ['client'] });
    expect(() => redisStore({} as RedisStoreClient)).toThrow(invalid);
    expect(() => redisStore({ get: async () => null } as unknown as RedisStoreClient)).toThrow(invalid);
    const client = { evalSha: async () => 1, eval: async () => 1 };
    expect(() => redisStore(client, { prefix: 1 as unknown as string })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', fields: ['prefix'] }),
    );
  });

  it('rejects replies that are not text', async () => {
    for (const reply of [1, null, true, [1], { n: 1 }]) {
      const store = redisStore({ evalSha: async () => reply, eval: async () => reply });
      await expect(store.step('k', step)).rejects.toBeInstanceOf(RedisStoreReplyError);
    }
    const bytes = redisStore({
      evalSha: async () => new TextEncoder().encode('{"ok":false}'),
      eval: async () => null,
    });
    expect(await bytes.step('k', step)).toEqual({ ok: false }); // the flow then checks the shape
  });

  it('passes client errors through unchanged, and retries with EVAL only on NOSCRIPT', async () => {
    const calls: string[] = [];
    const failing = new Error('ERR something broke');
    const store = redisStore({
      evalsha: async () => {
        calls.push('evalsha');
        throw failing;
      },
      eval: async () => {
        calls.push('eval');
        return '{}';
      },
    });
    await expect(store.step('k', step)).rejects.toBe(failing);
    expect(calls).toEqual(['evalsha']);

    const seen: unknown[][] = [];
    const recovering = redisStore(
      {
        evalSha: async (...args: unknown[]) => {
          seen.push(['evalSha', ...args]);
          throw new Error('NOSCRIPT No matching script. Please use EVAL.');
        },
        eval: async (...args: unknown[]) => {
          seen.push(['eval', ...args]);
          return '{"ok":true}';
        },
      },
      { prefix: 'p:' },
    );
    expect(await recovering.step('k', step)).toEqual({ ok: true });
    expect(seen).toEqual([
      [
        'evalSha',
        expect.stringMatching(/^[0-9a-f]{40}$/),
        { keys: ['p:k'], arguments: [JSON.stringify(step), '60000'] },
      ],
      [
        'eval',
        expect.stringContaining("redis.call('GET', KEYS[1])"),
        { keys: ['p:k'], arguments: [JSON.stringify(step), '60000'] },
      ],
    ]);
  });
});
