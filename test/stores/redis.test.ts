import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChallengeStore } from '../../src/index.js';
import { type RedisStoreClient, RedisStoreReplyError, redisStore } from '../../src/stores/redis.js';
import { type RedisServer, redisServerAvailable, startRedisServer } from './_redis-server.js';
import { testStore } from './conformance.js';

const available = redisServerAvailable();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let counter = 0;
const fresh = (label: string) => `mc:test:${label}:${process.pid}:${counter++}`;

const connectNodeRedis = (url: string) => createClient({ url }).connect();
type NodeRedis = Awaited<ReturnType<typeof connectNodeRedis>>;

describe.skipIf(!available)('redisStore against a real redis-server', () => {
  let server: RedisServer;
  let nodeRedis: NodeRedis;
  let ioRedis: Redis;
  /** A plain node-redis connection for looking at what the store wrote. */
  let raw: NodeRedis;

  beforeAll(async () => {
    server = await startRedisServer();
    nodeRedis = await connectNodeRedis(server.url);
    raw = await connectNodeRedis(server.url);
    ioRedis = new Redis(server.port, server.host, { lazyConnect: true });
    await ioRedis.connect();
  });

  afterAll(async () => {
    await Promise.allSettled([nodeRedis?.close(), raw?.close(), ioRedis?.quit()]);
    await server?.stop();
  });

  // Real time on a real server: advance() sleeps; the conformance suite keeps its TTLs at one second.
  testStore('redis (node-redis)', async () => ({ store: redisStore(nodeRedis), advance: sleep }));
  testStore('redis (ioredis)', async () => ({ store: redisStore(ioRedis), advance: sleep }));

  const clients: Array<[string, () => RedisStoreClient]> = [
    ['node-redis', () => nodeRedis],
    ['ioredis', () => ioRedis],
  ];

  describe.each(clients)('with %s', (_, client) => {
    it('prepends the prefix to every key, and other prefixes do not see it', async () => {
      const key = fresh('prefix');
      const store = redisStore(client(), { prefix: 'acme:' });
      expect(await store.increment(key, 60)).toBe(1);
      expect(await store.setIfAbsent(`${key}:used`, 60)).toBe(true);
      expect(await raw.get(`acme:${key}`)).toBe('1');
      expect(await raw.exists(`acme:${key}:used`)).toBe(1);
      expect(await raw.exists(key)).toBe(0);
      expect(await redisStore(client()).get(key)).toBeNull();
      expect(await redisStore(client(), { prefix: 'other:' }).get(key)).toBeNull();
      expect(await store.get(key)).toBe(1);
    });

    it('increment sets a TTL on the new key and later increments never extend it', async () => {
      const key = fresh('ttl');
      const store = redisStore(client());
      expect(await store.increment(key, 60)).toBe(1);
      const first = await raw.pTTL(key);
      expect(first).toBeGreaterThan(59_000);
      expect(first).toBeLessThanOrEqual(60_000);
      await sleep(50);
      for (let i = 2; i <= 10; i++) expect(await store.increment(key, 3600)).toBe(i);
      const later = await raw.pTTL(key);
      expect(later).toBeGreaterThan(0);
      expect(later).toBeLessThan(first); // neither refreshed nor replaced by the larger ttl
    });

    it('repairs a counter that has no TTL instead of letting it live forever', async () => {
      const key = fresh('no-ttl');
      await raw.set(key, '4'); // e.g. written by something else, or PERSISTed
      expect(await raw.pTTL(key)).toBe(-1);
      expect(await redisStore(client()).increment(key, 30)).toBe(5);
      const ttl = await raw.pTTL(key);
      expect(ttl).toBeGreaterThan(29_000);
      expect(ttl).toBeLessThanOrEqual(30_000);
    });

    it('setIfAbsent stores the key with a TTL', async () => {
      const key = fresh('flag');
      const store = redisStore(client());
      expect(await store.setIfAbsent(key, 120)).toBe(true);
      const ttl = await raw.pTTL(key);
      expect(ttl).toBeGreaterThan(119_000);
      expect(ttl).toBeLessThanOrEqual(120_000);
      expect(await store.get(key)).toBe(1);
      expect(await store.setIfAbsent(key, 5)).toBe(false);
      expect(await raw.pTTL(key)).toBeGreaterThan(5_000); // the losing call changed nothing
    });

    it('uses EVALSHA, and recovers from an emptied script cache (SCRIPT FLUSH) with one EVAL', async () => {
      const key = fresh('noscript');
      const store = redisStore(client());
      await store.increment(key, 60); // the script is in the cache from here on
      await raw.configResetStat();
      expect(await store.increment(key, 60)).toBe(2);
      expect(await store.get(key)).toBe(2);
      expect(await callsOf('evalsha')).toBe(2);
      expect(await callsOf('eval')).toBe(0);

      await raw.scriptFlush();
      expect(await store.increment(key, 60)).toBe(3); // NOSCRIPT, then EVAL
      expect(await store.get(key)).toBe(3);
      expect(await store.setIfAbsent(fresh('noscript-flag'), 60)).toBe(true);
      expect(await callsOf('eval')).toBe(3); // one per script, each reloading it

      await raw.configResetStat();
      expect(await store.increment(key, 60)).toBe(4);
      expect(await store.get(key)).toBe(4);
      expect(await callsOf('eval')).toBe(0); // back to EVALSHA only
      expect(await callsOf('evalsha')).toBe(2);
    });

    it('rejects a reply that is not an integer', async () => {
      const store = redisStore(client());
      for (const value of ['abc', '1.5', '', ' 1', '01', '99999999999999999999']) {
        const key = fresh('garbage');
        await raw.set(key, value);
        await expect(store.get(key)).rejects.toBeInstanceOf(RedisStoreReplyError);
        await expect(store.increment(key, 60)).rejects.toThrow(); // INCR itself refuses
      }
      const list = fresh('list');
      await raw.lPush(list, 'x');
      await expect(store.get(list)).rejects.toThrow(/WRONGTYPE/);
    });

    it('refuses a bad ttl before sending anything, so no counter is created without an expiry', async () => {
      const store = redisStore(client());
      for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        const key = fresh('bad-ttl');
        await expect(store.increment(key, ttl)).rejects.toBeInstanceOf(RangeError);
        await expect(store.setIfAbsent(key, ttl)).rejects.toBeInstanceOf(RangeError);
        expect(await raw.exists(key)).toBe(0);
      }
    });
  });

  it('node-redis and ioredis stores share the same counters', async () => {
    const key = fresh('shared');
    const a = redisStore(nodeRedis);
    const b = redisStore(ioRedis);
    const values = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).increment(key, 60)),
    );
    expect(new Set(values).size).toBe(100);
    expect(await a.get(key)).toBe(100);
    expect(await b.setIfAbsent(key, 60)).toBe(false);
  });

  describe('a store whose client cannot reach Redis rejects (the flow fails closed)', () => {
    const expectAllReject = async (store: ChallengeStore) => {
      await expect(store.increment(fresh('down'), 60)).rejects.toThrow();
      await expect(store.get(fresh('down'))).rejects.toThrow();
      await expect(store.setIfAbsent(fresh('down'), 60)).rejects.toThrow();
    };

    it('node-redis, closed', async () => {
      const client = await connectNodeRedis(server.url);
      const store = redisStore(client);
      expect(await store.increment(fresh('before-close'), 60)).toBe(1);
      await client.close();
      await expectAllReject(store);
    });

    it('ioredis, closed', async () => {
      const client = new Redis(server.port, server.host, { lazyConnect: true });
      await client.connect();
      const store = redisStore(client);
      expect(await store.increment(fresh('before-close'), 60)).toBe(1);
      await client.quit();
      await expectAllReject(store);
    });

    it('node-redis, never connected (offline queue off)', async () => {
      await expectAllReject(redisStore(createClient({ url: server.url, disableOfflineQueue: true })));
    });

    it('ioredis, unreachable port', async () => {
      const deadPort = await deadPortNumber();
      const client = new Redis(deadPort, '127.0.0.1', {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      client.on('error', () => {}); // the connection error is expected here
      try {
        await expectAllReject(redisStore(client));
      } finally {
        client.disconnect();
      }
    });
  });

  async function callsOf(command: 'eval' | 'evalsha'): Promise<number> {
    const info = await raw.info('commandstats');
    const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
    return match ? Number(match[1]) : 0;
  }

  /** A loopback port with nothing listening: our own server, stopped. */
  async function deadPortNumber(): Promise<number> {
    const other = await startRedisServer();
    await other.stop();
    return other.port;
  }
});

describe('redisStore arguments', () => {
  it('refuses something that is not a Redis client, or a bad prefix', () => {
    const invalid = expect.objectContaining({ code: 'INVALID_INPUT', fields: ['client'] });
    expect(() => redisStore({} as RedisStoreClient)).toThrow(invalid);
    expect(() => redisStore({ get: async () => null } as unknown as RedisStoreClient)).toThrow(invalid);
    const client = { evalSha: async () => 1, eval: async () => 1 };
    expect(() => redisStore(client, { prefix: 1 as unknown as string })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', fields: ['prefix'] }),
    );
  });

  it('rejects replies of the wrong type from the client', async () => {
    for (const reply of ['x', 1.5, 0, -3, true, null, [1], { n: 1 }, 2 ** 60, '9007199254740993']) {
      const store = redisStore({ evalSha: async () => reply, eval: async () => reply });
      await expect(store.increment('k', 60)).rejects.toBeInstanceOf(RedisStoreReplyError);
    }
    for (const reply of [2, -1, 'yes', null]) {
      const store = redisStore({ evalsha: async () => reply, eval: async () => reply });
      await expect(store.setIfAbsent('k', 60)).rejects.toBeInstanceOf(RedisStoreReplyError);
    }
    for (const reply of [1.5, '1.5', '0x10', '1e3', '+1', '', true, new TextEncoder().encode('x')]) {
      const store = redisStore({ evalSha: async () => reply, eval: async () => reply });
      await expect(store.get('k')).rejects.toBeInstanceOf(RedisStoreReplyError);
    }
    const bytes = redisStore({ evalSha: async () => new TextEncoder().encode('42'), eval: async () => null });
    expect(await bytes.get('k')).toBe(42); // node-redis with a Buffer type mapping
    // a client mapping integer replies to strings still works
    const text = redisStore({ evalsha: async () => '3', eval: async () => null });
    expect(await text.increment('k', 60)).toBe(3);
    expect(await text.get('k')).toBe(3);
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
        return 1;
      },
    });
    await expect(store.increment('k', 60)).rejects.toBe(failing);
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
          return 7;
        },
      },
      { prefix: 'p:' },
    );
    expect(await recovering.increment('k', 1.5)).toBe(7);
    expect(seen).toEqual([
      ['evalSha', expect.stringMatching(/^[0-9a-f]{40}$/), { keys: ['p:k'], arguments: ['1500'] }],
      [
        'eval',
        expect.stringContaining("redis.call('INCR', KEYS[1])"),
        { keys: ['p:k'], arguments: ['1500'] },
      ],
    ]);
  });
});
