import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ChallengeStore } from '../adapters.js';
import { invalidInput } from '../errors.js';

/**
 * The part of a node-redis client (`createClient()` / `createCluster()` from `redis` 4 to 6) the store uses.
 * Declared here rather than imported so the types of this entry never require the package.
 */
export interface NodeRedisScriptClient {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** The part of an ioredis client (`new Redis()` / `new Cluster()` from `ioredis` 5 or 6) the store uses. */
export interface IoRedisScriptClient {
  evalsha(sha1: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/** Either supported client; {@link redisStore} tells them apart by their method names. */
export type RedisStoreClient = NodeRedisScriptClient | IoRedisScriptClient;

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * Prepended to every key, e.g. `'acme:'`, so several apps can share one Redis. Default `''`: the flow's
   * keys already start with `mc:`. (An ioredis `keyPrefix` is applied as well, before this one.)
   */
  prefix?: string;
}

/** Thrown when Redis answers something other than what the script returns; the flow reports STORE_UNAVAILABLE. */
export class RedisStoreReplyError extends Error {
  override readonly name = 'RedisStoreReplyError';
}

// Each script touches exactly the one key it declares in KEYS, as Redis Cluster requires.
// A script is not rolled back when a command in it fails, so every argument is checked before it is sent
// (see `ttlMs`): an INCR must never be left behind without its PEXPIRE.

// Fixed window: only the INCR that creates the key sets its expiry, so later increments never extend it.
// The PTTL check (-1: the key has no expiry) repairs a key that lost its TTL some other way (a PERSIST, an
// older writer, a restore), so no counter can live forever and lock an address out for good.
const INCREMENT = `local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n`;

// Returned as a string and parsed by the caller: Lua's tonumber() would turn "1.5" into 1 without a word.
const GET = `return redis.call('GET', KEYS[1])`;

// SET NX answers OK or nil; turned into 1 or 0 so both clients see the same integer reply.
const SET_IF_ABSENT = `if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0`;

interface Script {
  source: string;
  sha: string;
}

const script = (source: string): Script => ({
  source,
  sha: bytesToHex(sha1(new TextEncoder().encode(source))),
});
const SCRIPTS = { increment: script(INCREMENT), get: script(GET), setIfAbsent: script(SET_IF_ABSENT) };

type Run = (script: Script, key: string, args: string[]) => Promise<unknown>;

// Redis drops its script cache on SCRIPT FLUSH, a restart or a failover to a replica that never saw the
// script; the reply then starts with NOSCRIPT (the prefix is the stable part, the rest is prose).
const isNoScript = (e: unknown): boolean => e instanceof Error && e.message.startsWith('NOSCRIPT');

/**
 * EVALSHA first: one round trip that sends 40 bytes instead of the script. On NOSCRIPT, one EVAL, which
 * also puts the script back in the server's cache, so the next call is an EVALSHA again. The sha is
 * computed here (SHA-1 of the source, as Redis does), so no SCRIPT LOAD round trip is ever needed.
 */
function runner(client: RedisStoreClient): Run {
  const c = client as Partial<NodeRedisScriptClient & IoRedisScriptClient>;
  let evalSha: (script: Script, key: string, args: string[]) => Promise<unknown>;
  let evalSource: (script: Script, key: string, args: string[]) => Promise<unknown>;
  if (typeof c.evalSha === 'function' && typeof c.eval === 'function') {
    // node-redis: camelCase command methods taking { keys, arguments }.
    const nodeRedis = client as NodeRedisScriptClient;
    evalSha = (s, key, args) => nodeRedis.evalSha(s.sha, { keys: [key], arguments: args });
    evalSource = (s, key, args) => nodeRedis.eval(s.source, { keys: [key], arguments: args });
  } else if (typeof c.evalsha === 'function' && typeof c.eval === 'function') {
    // ioredis: lowercase command methods taking numKeys, then the keys, then the arguments.
    const ioRedis = client as IoRedisScriptClient;
    evalSha = (s, key, args) => ioRedis.evalsha(s.sha, 1, key, ...args);
    evalSource = (s, key, args) => ioRedis.eval(s.source, 1, key, ...args);
  } else {
    throw invalidInput(
      ['client'],
      'client must be a node-redis or ioredis client (with eval and evalSha/evalsha)',
    );
  }
  return async (s, key, args) => {
    try {
      return await evalSha(s, key, args);
    } catch (e) {
      if (!isNoScript(e)) throw e;
      return evalSource(s, key, args);
    }
  };
}

/** Milliseconds for PEXPIRE / SET PX, checked before anything is sent (see the note above the scripts). */
function ttlMs(ttlSeconds: number): string {
  const ms = Math.ceil(ttlSeconds * 1000);
  if (!Number.isSafeInteger(ms) || ms < 1) throw new RangeError('ttlSeconds must be a positive number');
  return String(ms);
}

const DECIMAL = /^-?(0|[1-9][0-9]*)$/;
const decoder = new TextDecoder();

const replyError = (op: string, reply: unknown) =>
  // The message names the reply's type only: a count is no secret, but nothing here ever echoes a key.
  new RedisStoreReplyError(
    `redis store: ${op} got an unexpected reply (${reply === null ? 'null' : typeof reply})`,
  );

/**
 * An integer from Redis: a number (an integer reply, from either client, RESP2 or RESP3), or decimal text
 * (a GET; a string, or bytes when node-redis maps strings to Buffer; also a number mapped to a string).
 * Anything else, a fraction or a value beyond 2^53 included, is an error: the flow then fails closed.
 */
function integerReply(reply: unknown, op: string): number {
  let n = Number.NaN;
  if (typeof reply === 'number') n = reply;
  else if (typeof reply === 'string' || reply instanceof Uint8Array) {
    const text = typeof reply === 'string' ? reply : decoder.decode(reply);
    if (DECIMAL.test(text)) n = Number(text);
  }
  if (!Number.isSafeInteger(n)) throw replyError(op, reply);
  return n;
}

/**
 * A {@link ChallengeStore} on Redis, shared by every process that talks to the same server, for apps that
 * run more than one instance. Each operation is one Lua script, so it is atomic on the server and costs one
 * round trip. Works with node-redis (4 to 6) and ioredis (5 or 6), told apart by their method names; this
 * entry imports neither. Pass a connected client; the store never connects, closes or logs.
 *
 * Errors of the client (a closed connection, a refused command) reject unchanged, and the flow answers
 * STORE_UNAVAILABLE. Give node-redis a `disableOfflineQueue` or rely on the flow's `storeTimeoutMs`: while
 * disconnected, commands otherwise wait in the client's queue.
 *
 * @param client - A connected node-redis or ioredis client.
 * @param options - `prefix` for every key.
 * @returns The store, to pass as the flow's `store`.
 * @throws MailboxChallengeError `INVALID_INPUT` when `client` is neither kind, or `prefix` is not a string.
 * @example node-redis
 * ```ts
 * import { createClient } from 'redis';
 * import { redisStore } from 'mailbox-challenge/redis';
 *
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const flow = createMailboxFlow({ keys, sender, appName: 'Acme', store: redisStore(client, { prefix: 'acme:' }) });
 * ```
 * @example ioredis
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisStore } from 'mailbox-challenge/redis';
 *
 * const client = new Redis(process.env.REDIS_URL!);
 * const flow = createMailboxFlow({ keys, sender, appName: 'Acme', store: redisStore(client) });
 * ```
 */
export function redisStore(client: RedisStoreClient, options: RedisStoreOptions = {}): ChallengeStore {
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string') throw invalidInput(['prefix'], 'prefix must be a string');
  const run = runner(client);

  return {
    async increment(key, ttlSeconds) {
      const n = integerReply(await run(SCRIPTS.increment, prefix + key, [ttlMs(ttlSeconds)]), 'increment');
      if (n < 1) throw replyError('increment', n);
      return n;
    },
    async get(key) {
      const reply = await run(SCRIPTS.get, prefix + key, []);
      return reply === null || reply === undefined ? null : integerReply(reply, 'get');
    },
    async setIfAbsent(key, ttlSeconds) {
      const reply = integerReply(
        await run(SCRIPTS.setIfAbsent, prefix + key, [ttlMs(ttlSeconds)]),
        'setIfAbsent',
      );
      if (reply !== 0 && reply !== 1) throw replyError('setIfAbsent', reply);
      return reply === 1;
    },
  };
}
