import type { ChallengeStore } from '../adapters.js';
import { invalidInput } from '../errors.js';
import {
  applyStepInPlace,
  decodeRecord,
  encodeRecord,
  type MailboxRecord,
  RETENTION_SLACK_MS,
} from '../flow/state.js';

/** Runs SQL: `query(text, values)` resolving to `{ rows }`. */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * What the store needs of a client: `query`, and a way to run a transaction on one connection: a `pg`
 * Pool's `connect()` (8.x) or PGlite's `transaction()`. Declared here rather than imported, so this entry
 * imports neither package and its types require neither.
 */
export interface PostgresStoreClient extends PostgresQueryable {
  /** `pg` Pool: checks out one connection (released by the store). */
  connect?(): Promise<PostgresQueryable & { release(error?: Error | boolean): void }>;
  /** PGlite: runs `fn` in a transaction. */
  transaction?<T>(fn: (tx: PostgresQueryable) => Promise<T>): Promise<T>;
}

/** Options of {@link postgresStore}. */
export interface PostgresStoreOptions {
  /**
   * The records table, optionally schema-qualified: `mc_records` or `auth.mc_records`. Lowercase
   * letters, digits and `_`, not starting with a digit; at most 48 characters for the table (its index is
   * named `<table>_expires_at_idx`, and Postgres cuts names at 63). Default `mailbox_challenge_records`.
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

/** The store {@link postgresStore} returns: a {@link ChallengeStore}, plus its schema and a sweep. */
export interface PostgresStore extends ChallengeStore {
  /** Creates the table and its index when missing (what the first step does unless `createTable: false`). */
  migrate(): Promise<void>;
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

const DEFAULT_TABLE = 'mailbox_challenge_records';
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const MAX_TABLE_LENGTH = 63 - '_expires_at_idx'.length;
const SWEEP_BATCH = 10_000;

// The flow owns the clock for every rule; the database's clock only decides when a row may be swept, and
// the row's lifetime is given relative to it (milliseconds from now), so the two clocks need not agree.
const NOW = 'statement_timestamp()';
const EXPIRES = `${NOW} + $3::float8 * interval '1 millisecond'`;

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
      value text NOT NULL,
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS "${name}_expires_at_idx" ON ${t} (expires_at);
  END IF;
END
$mc$`,
    // The step's lock: taken on the key's hash, so it also serialises the first steps on a missing row
    // (FOR UPDATE would lock nothing there). Released at COMMIT or ROLLBACK.
    lock: `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
    // Expired rows are read too: the rules prune by their own clock, and nothing past retention survives.
    read: `SELECT value FROM ${t} WHERE key = $1`,
    write: `INSERT INTO ${t} (key, value, expires_at) VALUES ($1, $2, ${EXPIRES})
ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    remove: `DELETE FROM ${t} WHERE key = $1`,
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
 * entry imports neither. The store never connects, closes or logs.
 *
 * Each flow step is one short transaction on one row, the mailbox's record: an advisory lock on the
 * key's hash (so even the first steps on a missing row queue), a read, the flow's rules applied in this
 * process (the same code every store runs), and a write. `inspect` is one read. Each step runs at READ
 * COMMITTED whatever the session's default isolation level: under REPEATABLE READ or SERIALIZABLE, a step
 * queued on the lock would read the record as it was before the step it waited for.
 *
 * Time: the flow's clock decides every rule; a row's `expires_at` (the database's clock plus the record's
 * remaining lifetime) only says when it may be swept, so app and database clocks need not agree.
 *
 * The table, created on first use unless `createTable: false` (then call {@link PostgresStore.migrate}
 * from your migrations, or run this DDL):
 * ```sql
 * CREATE TABLE mailbox_challenge_records (
 *   key        text COLLATE "C" PRIMARY KEY,  -- mc:m:<keyed hash of the mailbox>: ASCII, byte order is enough
 *   value      text        NOT NULL,          -- the record, JSON (a few hundred bytes)
 *   expires_at timestamptz NOT NULL
 * );
 * CREATE INDEX mailbox_challenge_records_expires_at_idx ON mailbox_challenge_records (expires_at);
 * -- the app's role needs SELECT, INSERT, UPDATE, DELETE on it
 * ```
 *
 * Expired rows are deleted in two ways, both on by choice: every `sweepEvery` steps (default 100) the
 * store deletes up to `sweepLimit` (default 200) expired rows in the background, ignoring a failure; and
 * {@link PostgresStore.sweep} deletes them all, for a cron (then `sweepEvery: 0`).
 *
 * Errors of the client (a lost connection, a missing table) reject unchanged, and the flow answers
 * STORE_UNAVAILABLE. No error or message of the store contains a key or a record.
 *
 * @param client - A `pg` Pool or a PGlite instance.
 * @param options - `table`, `createTable`, `sweepEvery`, `sweepLimit`.
 * @returns The store, to pass as the flow's `store`, with `migrate()` and `sweep()`.
 * @throws MailboxChallengeError `INVALID_INPUT` when `client` is neither a Pool nor PGlite, or an option is invalid.
 * @example pg
 * ```ts
 * import pg from 'pg';
 * import { postgresStore } from 'mailbox-challenge/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = postgresStore(pool);
 * setInterval(() => store.sweep().catch(console.error), 10 * 60_000).unref(); // optional: a cron sweep
 * ```
 * @example PGlite
 * ```ts
 * import { PGlite } from '@electric-sql/pglite';
 * import { postgresStore } from 'mailbox-challenge/postgres';
 *
 * const store = postgresStore(new PGlite('./data/mailbox'), { table: 'mc_records' });
 * ```
 */
export function postgresStore(
  client: PostgresStoreClient,
  options: PostgresStoreOptions = {},
): PostgresStore {
  const pglite = typeof client?.transaction === 'function';
  // A pg Pool hands out connections (connect() resolves to a client with release()); a single pg Client's
  // connect() opens itself instead, and cannot hold parallel transactions, so it is refused.
  const pool = !pglite && typeof client?.connect === 'function' && 'idleCount' in client;
  if (typeof client?.query !== 'function' || !(pglite || pool)) {
    throw invalidInput(['client'], 'client must be a pg Pool or a PGlite instance');
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

  async function query(
    op: string,
    text: string,
    values: unknown[],
    on: PostgresQueryable = client,
  ): Promise<unknown[]> {
    const result = await on.query(text, values);
    if (!Array.isArray(result?.rows)) throw replyError(op, result);
    return result.rows;
  }

  /**
   * Runs `fn` in one READ COMMITTED transaction on one connection, whatever the session's default: under
   * REPEATABLE READ or SERIALIZABLE the snapshot is taken before the step's lock is granted, so a queued
   * step would read the record as it was before the step it waited for (failing on conflicts, or writing
   * back a row that step deleted).
   */
  async function transaction<T>(fn: (tx: PostgresQueryable) => Promise<T>): Promise<T> {
    if (pglite) {
      return client.transaction!(async (tx) => {
        await tx.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
        return fn(tx);
      });
    }
    const connection = await client.connect!();
    try {
      await connection.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await fn(connection);
      await connection.query('COMMIT');
      connection.release();
      return result;
    } catch (error) {
      // A connection whose ROLLBACK fails is broken: release(true) makes the pool discard it.
      const broken = await connection.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      connection.release(broken);
      throw error;
    }
  }

  function recordOf(rows: unknown[]): MailboxRecord | null {
    if (rows.length > 1) throw replyError('read', rows);
    if (rows.length === 0) return null;
    const value = column(rows, 'value');
    if (typeof value !== 'string') throw replyError('read', value);
    return decodeRecord(value);
  }

  async function deleteExpired(limit: number): Promise<number> {
    await ready();
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
    migrate: () => {
      created = undefined;
      return ready();
    },
    async step(key, step) {
      await ready();
      countOperation();
      if (step.kind === 'inspect') {
        return applyStepInPlace(recordOf(await query('read', sql.read, [key])), step).reply;
      }
      return transaction(async (tx) => {
        await query('lock', sql.lock, [key], tx);
        const { record, reply, expiresAt } = applyStepInPlace(
          recordOf(await query('read', sql.read, [key], tx)),
          step,
        );
        if (record === null || expiresAt === null) await query('remove', sql.remove, [key], tx);
        else {
          const ttlMs = expiresAt - step.now + RETENTION_SLACK_MS;
          await query('write', sql.write, [key, encodeRecord(record), ttlMs], tx);
        }
        return reply;
      });
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
