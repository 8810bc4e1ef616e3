import type { ChallengeStore } from '../adapters.js';
import { invalidInput } from '../errors.js';

/**
 * The one method the store calls: `query(text, values)` resolving to `{ rows }`. A `pg` Pool or Client
 * (8.x) and a PGlite instance both have it. Declared here rather than imported, so this entry imports
 * neither package and its types require neither.
 */
export interface PostgresStoreClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Options of {@link postgresStore}. */
export interface PostgresStoreOptions {
  /**
   * The counters table, optionally schema-qualified: `mc_counters` or `auth.mc_counters`. Lowercase
   * letters, digits and `_`, not starting with a digit; at most 48 characters for the table (its index is
   * named `<table>_expires_at_idx`, and Postgres cuts names at 63). Default `mailbox_challenge_counters`.
   */
  table?: string;
  /**
   * Create the table and its index on first use when they are missing. Default true. Set false when
   * migrations own the schema (see the DDL on {@link postgresStore}); operations then reject, and the flow
   * answers STORE_UNAVAILABLE, until the table exists.
   */
  createTable?: boolean;
  /**
   * Operations between two opportunistic sweeps of expired rows; 0 turns them off (run {@link PostgresStore.sweep}
   * from a cron instead). Default 100.
   */
  sweepEvery?: number;
  /** Most expired rows one opportunistic sweep deletes. Default 200. */
  sweepLimit?: number;
}

/** The store {@link postgresStore} returns: a {@link ChallengeStore}, plus a way to delete expired rows. */
export interface PostgresStore extends ChallengeStore {
  /**
   * Deletes every expired row, in batches of 10,000 (one short transaction each, so it never holds many
   * row locks or a long snapshot), and resolves to how many it deleted. Run it from a cron or a timer.
   */
  sweep(): Promise<number>;
}

/** Thrown when Postgres answers something the store's SQL cannot return; the flow reports STORE_UNAVAILABLE. */
export class PostgresStoreReplyError extends Error {
  override readonly name = 'PostgresStoreReplyError';
}

const DEFAULT_TABLE = 'mailbox_challenge_counters';
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const MAX_TABLE_LENGTH = 63 - '_expires_at_idx'.length;
const SWEEP_BATCH = 10_000;

// One clock decides every expiry: the database's. statement_timestamp() is the same instant for every use
// in one statement (so both CASEs below agree) and, unlike now(), it is not frozen for the length of a
// transaction, should a host hand the store a client that sits in one.
const NOW = 'statement_timestamp()';
const EXPIRES = `${NOW} + $2::float8 * interval '1 millisecond'`;

/** The SQL of one table, built once; `table` is validated before it is interpolated. */
function statements(table: string) {
  const parts = table.split('.');
  const name = parts.at(-1)!;
  const t = parts.map((p) => `"${p}"`).join('.');
  return {
    // One DO block is one statement (PGlite and pg's extended protocol take one at a time) and one
    // transaction. The advisory lock serialises creators in every process: concurrent CREATE TABLE IF NOT
    // EXISTS can otherwise fail on the catalog's unique index. Checking first means a role without CREATE
    // rights works once the table exists, and no "already exists" notice is raised on every start.
    create: `DO $mc$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('mailbox-challenge:${table}'));
  IF to_regclass('${t}') IS NULL THEN
    CREATE TABLE IF NOT EXISTS ${t} (
      key text COLLATE "C" PRIMARY KEY,
      value bigint NOT NULL,
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS "${name}_expires_at_idx" ON ${t} (expires_at);
  END IF;
END
$mc$`,
    // Fixed window: an expired row starts over (1, a new expiry) in place; a live row only counts up and
    // keeps its expires_at, whatever ttl this call brings. ON CONFLICT makes insert-or-update one atomic step.
    increment: `INSERT INTO ${t} AS c (key, value, expires_at) VALUES ($1, 1, ${EXPIRES})
ON CONFLICT (key) DO UPDATE SET
  value = CASE WHEN c.expires_at <= ${NOW} THEN 1 ELSE c.value + 1 END,
  expires_at = CASE WHEN c.expires_at <= ${NOW} THEN excluded.expires_at ELSE c.expires_at END
RETURNING value`,
    get: `SELECT value FROM ${t} WHERE key = $1 AND expires_at > ${NOW}`,
    // A row comes back only when this call inserted the key, or replaced an expired one; a live key is left
    // untouched and nothing is returned. Parallel callers queue on the row lock, so exactly one sees a row.
    setIfAbsent: `INSERT INTO ${t} AS c (key, value, expires_at) VALUES ($1, 1, ${EXPIRES})
ON CONFLICT (key) DO UPDATE SET value = 1, expires_at = excluded.expires_at
WHERE c.expires_at <= ${NOW}
RETURNING 1 AS created`,
    // The inner SELECT is a range scan of the expires_at index. SKIP LOCKED: a sweep never waits on a row a
    // request is using, and concurrent sweeps take disjoint batches. The outer condition is checked again on
    // the newest version of each row, so a key an increment restarted meanwhile is not deleted.
    sweep: `WITH gone AS (
  DELETE FROM ${t}
  WHERE key IN (SELECT key FROM ${t} WHERE expires_at <= ${NOW} LIMIT $1 FOR UPDATE SKIP LOCKED)
    AND expires_at <= ${NOW}
  RETURNING 1
)
SELECT count(*) AS deleted FROM gone`,
  };
}

function checkTable(table: unknown): string {
  const parts = typeof table === 'string' ? table.split('.') : [];
  const valid =
    (parts.length === 1 || parts.length === 2) &&
    parts.every((p) => IDENTIFIER.test(p) && p.length <= 63) &&
    parts.at(-1)!.length <= MAX_TABLE_LENGTH;
  if (!valid) {
    throw invalidInput(
      ['table'],
      `table must be a lowercase SQL name ([a-z_][a-z0-9_]*, the table at most ${MAX_TABLE_LENGTH} characters), optionally schema-qualified`,
    );
  }
  return table as string;
}

function checkCount(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalidInput([field], `${field} must be an integer of at least ${min}`);
  }
  return value;
}

/** Milliseconds of a ttl, checked before anything is sent so no row is ever written with a wrong expiry. */
function ttlMs(ttlSeconds: number): number {
  const ms = Math.ceil(ttlSeconds * 1000);
  if (!Number.isSafeInteger(ms) || ms < 1) throw new RangeError('ttlSeconds must be a positive number');
  return ms;
}

const DECIMAL = /^-?(0|[1-9][0-9]*)$/;

// The message names the reply's type only: a count is no secret, but nothing here ever echoes a key.
const replyError = (op: string, reply: unknown) =>
  new PostgresStoreReplyError(
    `postgres store: ${op} got an unexpected reply (${reply === null ? 'null' : typeof reply})`,
  );

/**
 * A bigint column as a number. `pg` returns int8 as decimal text, PGlite as a number (or a BigInt beyond
 * 2^53); anything that is not an integer within 2^53 is an error, so the flow fails closed rather than
 * counting with a rounded value.
 */
function integer(value: unknown, op: string): number {
  let n = Number.NaN;
  if (typeof value === 'number' || typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && DECIMAL.test(value)) n = Number(value);
  if (!Number.isSafeInteger(n)) throw replyError(op, value);
  return n;
}

const column = (rows: unknown[], name: string): unknown => (rows[0] as Record<string, unknown>)?.[name];

/**
 * A {@link ChallengeStore} on PostgreSQL, shared by every process connected to the same database, for apps
 * that already run Postgres and would rather not add Redis. Takes a `pg` Pool or a PGlite instance; this
 * entry imports neither. (A single `pg` Client works too, but runs one query at a time: pg 8 queues the rest
 * with a deprecation warning and pg 9 will refuse them, so give the store a Pool.) The store never connects,
 * closes or logs.
 *
 * Each operation is one statement (`INSERT ... ON CONFLICT` or a `SELECT`), so it is atomic without a
 * transaction and costs one round trip. Run it at READ COMMITTED, Postgres's default: under SERIALIZABLE,
 * parallel increments of one key abort with serialization failures (the flow then answers STORE_UNAVAILABLE).
 *
 * Time: every expiry is decided by the database server's clock (`statement_timestamp()`), never the app's,
 * so app servers with skewed clocks still agree on every window; the flow's `now` does not reach this store.
 * That is why `expires_at` is a `timestamptz` rather than epoch milliseconds in a `bigint`: it is compared
 * with the server's clock in SQL directly, operators can read it, and its index makes sweeping a range scan.
 *
 * The table, created on first use unless `createTable: false` (give this to your migrations otherwise):
 * ```sql
 * CREATE TABLE mailbox_challenge_counters (
 *   key        text COLLATE "C" PRIMARY KEY,  -- hashed, ASCII keys: byte order is enough and fastest
 *   value      bigint      NOT NULL,
 *   expires_at timestamptz NOT NULL
 * );
 * CREATE INDEX mailbox_challenge_counters_expires_at_idx ON mailbox_challenge_counters (expires_at);
 * -- the app's role needs SELECT, INSERT, UPDATE, DELETE on it
 * ```
 *
 * Expired rows read as missing and are restarted in place when their key returns, but most keys never
 * return (they hash a challengeId or a time window), so they must be deleted. Two ways, both on by choice:
 * - every `sweepEvery` operations (default 100) the store deletes up to `sweepLimit` (default 200) expired
 *   rows in the background, without making that operation wait, and ignores a failure (the next sweep
 *   retries). An operation creates at most one row, so deleting up to two per operation outpaces growth
 *   and the table stays near its live size with no set-up at all;
 * - {@link PostgresStore.sweep} deletes them all, for a cron that keeps the table tight and moves the work
 *   off the request path (then `sweepEvery: 0`). With pg_cron, the same in SQL:
 *   `SELECT cron.schedule('0 * * * *', $$DELETE FROM mailbox_challenge_counters WHERE expires_at <= now()$$)`.
 *
 * Errors of the client (a lost connection, a missing table) reject unchanged, and the flow answers
 * STORE_UNAVAILABLE. No error or message of the store contains a key.
 *
 * @param client - A `pg` Pool or Client, or a PGlite instance: anything with `query(text, values)` → `{ rows }`.
 * @param options - `table`, `createTable`, `sweepEvery`, `sweepLimit`.
 * @returns The store, to pass as the flow's `store`, with `sweep()`.
 * @throws MailboxChallengeError `INVALID_INPUT` when `client` has no `query` method or an option is invalid.
 * @example pg
 * ```ts
 * import pg from 'pg';
 * import { postgresStore } from 'mailbox-challenge/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = postgresStore(pool);
 * const flow = createMailboxFlow({ keys, sender, appName: 'Acme', store });
 * setInterval(() => store.sweep().catch(reportError), 10 * 60_000).unref(); // optional: a cron sweep
 * ```
 * @example PGlite
 * ```ts
 * import { PGlite } from '@electric-sql/pglite';
 * import { postgresStore } from 'mailbox-challenge/postgres';
 *
 * const db = new PGlite('./data/mailbox');
 * const flow = createMailboxFlow({ keys, sender, appName: 'Acme', store: postgresStore(db, { table: 'mc_counters' }) });
 * ```
 */
export function postgresStore(
  client: PostgresStoreClient,
  options: PostgresStoreOptions = {},
): PostgresStore {
  if (typeof client?.query !== 'function') {
    throw invalidInput(['client'], 'client must be a pg Pool or Client, or a PGlite instance (with query())');
  }
  const sql = statements(checkTable(options.table ?? DEFAULT_TABLE));
  const createTable = options.createTable ?? true;
  if (typeof createTable !== 'boolean') throw invalidInput(['createTable'], 'createTable must be a boolean');
  const sweepEvery = checkCount(options.sweepEvery ?? 100, 'sweepEvery', 0);
  const sweepLimit = checkCount(options.sweepLimit ?? 200, 'sweepLimit', 1);

  // Memoised so parallel first calls share one CREATE; forgotten on failure so a later call retries.
  let created: Promise<void> | undefined = createTable ? undefined : Promise.resolve();
  const ready = (): Promise<void> => {
    created ??= client.query(sql.create).then(
      () => undefined,
      (error: unknown) => {
        created = undefined;
        throw error;
      },
    );
    return created;
  };

  async function query(op: string, text: string, values: unknown[]): Promise<unknown[]> {
    await ready();
    const result = await client.query(text, values);
    if (!Array.isArray(result?.rows)) throw replyError(op, result);
    return result.rows;
  }

  async function deleteExpired(limit: number): Promise<number> {
    return integer(column(await query('sweep', sql.sweep, [limit]), 'deleted'), 'sweep');
  }

  let operations = 0;
  let sweeping = false;
  /** Counts an operation; every `sweepEvery`th starts a bounded background sweep, at most one at a time. */
  function countOperation(): void {
    if (sweepEvery === 0 || ++operations < sweepEvery || sweeping) return;
    operations = 0;
    sweeping = true;
    deleteExpired(sweepLimit)
      .catch(() => undefined) // best effort: expired rows are harmless, and the next sweep retries
      .finally(() => {
        sweeping = false;
      });
  }

  return {
    async increment(key, ttlSeconds) {
      const rows = await query('increment', sql.increment, [key, ttlMs(ttlSeconds)]);
      countOperation();
      const n = integer(column(rows, 'value'), 'increment');
      if (rows.length !== 1 || n < 1) throw replyError('increment', n);
      return n;
    },
    async get(key) {
      const rows = await query('get', sql.get, [key]);
      countOperation();
      if (rows.length > 1) throw replyError('get', rows);
      return rows.length === 0 ? null : integer(column(rows, 'value'), 'get');
    },
    async setIfAbsent(key, ttlSeconds) {
      const rows = await query('setIfAbsent', sql.setIfAbsent, [key, ttlMs(ttlSeconds)]);
      countOperation();
      if (rows.length > 1) throw replyError('setIfAbsent', rows);
      return rows.length === 1;
    },
    async sweep() {
      let total = 0;
      for (;;) {
        const deleted = await deleteExpired(SWEEP_BATCH);
        total += deleted;
        if (deleted < SWEEP_BATCH) return total;
      }
    },
  };
}
