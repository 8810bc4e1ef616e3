// The flow's race rules with its counters in Postgres (PGlite, in-process): two app servers, i.e. two
// flows with their own store objects and outboxes, sharing one database table. PGlite has one connection,
// so parallel requests queue in it; the answers must still be exact.
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxPolicy } from '../../src/index.js';
import { postgresStore } from '../../src/stores/postgres.js';
import { must, setup, wrong } from './_setup.js';

let counter = 0;
/** One table per test: each test starts from empty counters, as with a fresh memory store. */
const freshTable = () => `mc_flow_${process.pid}_${counter++}`;
const EMAIL = 'Ada@Example.com';

describe('the flow on Postgres (PGlite), across two app servers', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = new PGlite();
    await db.waitReady;
  });
  afterAll(async () => {
    await db?.close();
  });

  /** Two flows built like _setup's, each with its own postgresStore on the same table. */
  function twoServers(policy: Partial<MailboxPolicy> = {}) {
    const table = freshTable();
    const server = () => setup({ store: postgresStore(db, { table }), policy });
    return { table, a: server(), b: server() };
  }

  it('200 parallel wrong guesses spread over both servers: exactly 5 are evaluated', async () => {
    const { a, b } = twoServers();
    const s = must(await a.flow.start({ email: EMAIL, purpose: 'login' }));
    const code = a.outbox.lastCode(EMAIL);
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
      const { a, b } = twoServers({ maxAttempts });
      const s = must(await b.flow.start({ email: EMAIL, purpose: 'login' }));
      const code = b.outbox.lastCode(EMAIL);
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

  it('a resend on one server supersedes the older code on the other', async () => {
    const { a, b } = twoServers();
    const first = must(await b.flow.start({ email: EMAIL, purpose: 'signup' }));
    const firstCode = b.outbox.lastCode(EMAIL);
    const second = must(await a.flow.resend({ challengeId: first.challengeId, secret: first.secret }));
    const secondCode = a.outbox.lastCode(EMAIL);

    expect(await b.flow.verify({ ...first, code: firstCode })).toMatchObject({
      ok: false,
      error: { code: 'CHALLENGE_SUPERSEDED' },
    });
    expect(await b.flow.resend({ challengeId: first.challengeId, secret: first.secret })).toMatchObject({
      ok: false,
      error: { code: 'CHALLENGE_SUPERSEDED' },
    });
    expect(
      must(await b.flow.verify({ ...second, code: secondCode, purpose: 'signup' })).challenge,
    ).toMatchObject({
      email: EMAIL,
      purpose: 'signup',
    });
    expect(await a.flow.verify({ ...second, code: secondCode })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_CHALLENGE' },
    });
  });

  it('stores only hashed, namespaced keys: no address or challengeId reaches the table', async () => {
    const { table, a } = twoServers();
    const s = must(await a.flow.start({ email: EMAIL, purpose: 'login' }));
    must(await a.flow.verify({ ...s, code: a.outbox.lastCode(EMAIL) }));
    const { rows } = await db.query<{ key: string }>(`SELECT key FROM ${table}`);
    expect(rows.length).toBeGreaterThan(3);
    for (const { key } of rows) {
      expect(key).toMatch(/^mc:[a-z]:[A-Za-z0-9_-]{22}$/);
      expect(key.toLowerCase()).not.toContain('ada');
      expect(key).not.toContain(s.challengeId);
    }
  });

  it('a missing table (createTable: false) fails closed with STORE_UNAVAILABLE and sends nothing', async () => {
    const table = freshTable();
    const { flow, outbox } = setup({ store: postgresStore(db, { table, createTable: false }) });
    expect(await flow.start({ email: EMAIL, purpose: 'login' })).toMatchObject({
      ok: false,
      error: { code: 'STORE_UNAVAILABLE' },
    });
    expect(outbox.messages).toHaveLength(0);

    const working = setup({ store: postgresStore(db, { table }) });
    const s = must(await working.flow.start({ email: EMAIL, purpose: 'login' }));
    await db.query(`DROP TABLE ${table}`); // the store goes away between start and verify
    expect(await working.flow.verify({ ...s, code: working.outbox.lastCode(EMAIL) })).toMatchObject({
      ok: false,
      error: { code: 'STORE_UNAVAILABLE' },
    });
  });
});
