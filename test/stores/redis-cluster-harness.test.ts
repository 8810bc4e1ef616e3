// Checks the cluster harness itself: three real nodes, both clients routing by slot, EVAL, clean stop.
import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  commandCalls,
  commandCallsPerNode,
  redisClusterAvailable,
  resetStats,
  useRedisCluster,
} from './_redis-cluster.js';

const available = redisClusterAvailable();
const keys = Array.from({ length: 100 }, (_, i) => `mc:test:cluster:${process.pid}:${i}`);
const SCRIPT = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])";

/** Whether something accepts TCP connections on the port. */
function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

describe.skipIf(!available)('redis cluster harness', () => {
  const redis = useRedisCluster();

  it('runs three nodes, every one reporting cluster_state:ok', async () => {
    expect(redis.cluster.nodes).toHaveLength(3);
    expect(new Set(redis.cluster.nodes.map((n) => n.port)).size).toBe(3);
    expect(redis.cluster.url(1)).toBe(`redis://127.0.0.1:${redis.cluster.nodes[1]?.port}`);
    const info = await redis.nodeRedis.clusterInfo();
    expect(info).toContain('cluster_state:ok');
    expect(info).toContain('cluster_known_nodes:3');
  });

  it('the keys spread over many slots', async () => {
    const slots = await Promise.all(keys.map((k) => redis.ioRedis.cluster('KEYSLOT', k)));
    expect(new Set(slots).size).toBeGreaterThan(50);
  });

  it('node-redis and ioredis SET/GET through every node, counted by commandCalls', async () => {
    await resetStats(redis.cluster.nodes);
    await Promise.all(keys.map((k, i) => redis.nodeRedis.set(k, `node-redis:${i}`)));
    expect(await Promise.all(keys.map((k) => redis.ioRedis.get(k)))).toEqual(
      keys.map((_, i) => `node-redis:${i}`),
    );
    await Promise.all(keys.map((k, i) => redis.ioRedis.set(k, `ioredis:${i}`)));
    expect(await Promise.all(keys.map((k) => redis.nodeRedis.get(k)))).toEqual(
      keys.map((_, i) => `ioredis:${i}`),
    );

    const sets = await commandCallsPerNode(redis.cluster.nodes, 'set');
    expect(sets.reduce((a, b) => a + b, 0)).toBe(200);
    expect(sets.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(await commandCalls(redis.cluster.nodes, 'get')).toBe(200);
  });

  it('EVAL with one key through each client', async () => {
    await resetStats(redis.cluster.nodes);
    const [a, b] = keys;
    expect(await redis.nodeRedis.eval(SCRIPT, { keys: [a!], arguments: ['from node-redis'] })).toBe(
      'from node-redis',
    );
    expect(await redis.ioRedis.eval(SCRIPT, 1, b!, 'from ioredis')).toBe('from ioredis');
    expect(await commandCalls(redis.cluster.nodes, 'eval')).toBe(2);
    expect(await commandCalls(redis.cluster.nodes, 'evalsha')).toBe(0);
  });

  it('stop() closes every port', async () => {
    await Promise.allSettled([redis.nodeRedis.close(), redis.ioRedis.quit()]);
    for (const { host, port } of redis.cluster.nodes) expect(await listening(host, port)).toBe(true);
    await redis.cluster.stop();
    for (const { host, port } of redis.cluster.nodes) {
      expect(await listening(host, port)).toBe(false);
      expect(await listening(host, port + 10_000)).toBe(false); // the cluster bus
    }
    await redis.cluster.stop(); // idempotent
  });
});
