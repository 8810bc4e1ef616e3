import { sha1 } from '@noble/hashes/legacy.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ChallengeStore, StepReply } from '../adapters.js';
import { invalidInput } from '../errors.js';
import { RETENTION_SLACK_MS } from '../flow/state.js';
import { STEP_SCRIPT } from './_redis-step.js';

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

// The store keeps one key per mailbox (the record, JSON) and changes it with one script per step, so
// every step is one round trip touching one key: atomic, and safe on Redis Cluster with no hash tags.
// Records carry a TTL (the rules' retention plus RETENTION_SLACK_MS): with an eviction policy, Redis may
// drop a whole record early, which the rules read as lost state and fail closed on.

interface Script {
  readonly source: string;
  readonly sha: string;
}

// The sha is hashed on first use, not at import: pure-JS SHA-1 of the script would otherwise run on every
// cold import of this entry, steps or not.
const script = (source: string): Script => {
  let sha: string | undefined;
  return {
    source,
    get sha() {
      sha ??= bytesToHex(sha1(new TextEncoder().encode(source)));
      return sha;
    },
  };
};
const SCRIPT = script(STEP_SCRIPT);

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

const replyError = (reply: unknown) =>
  // The message names the reply's type only: nothing here ever echoes a key or a record.
  new RedisStoreReplyError(
    `redis store: a step got an unexpected reply (${reply === null ? 'null' : typeof reply})`,
  );

const decoder = new TextDecoder();

/**
 * A {@link ChallengeStore} on Redis, shared by every process that talks to the same server, for apps that
 * run more than one instance. Each flow step is one Lua script (EVALSHA) on one key, the mailbox's record:
 * atomic on the server, one round trip, and safe on Redis Cluster (pass a cluster client; no hash tags
 * needed). Run Redis with `maxmemory-policy noeviction` (or a dedicated instance): an evicted record
 * cannot be abused (every challenge it held stops verifying), but people must start again. Works with node-redis (4 to 6) and ioredis (5 or 6), told apart by their method names; this
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
    async step(key, step) {
      const reply = await run(SCRIPT, prefix + key, [JSON.stringify(step), String(RETENTION_SLACK_MS)]);
      const text =
        typeof reply === 'string' ? reply : reply instanceof Uint8Array ? decoder.decode(reply) : null;
      if (text === null) throw replyError(reply);
      // The flow checks the reply's shape; a text that is not JSON fails here, closed.
      return JSON.parse(text) as StepReply;
    },
  };
}
