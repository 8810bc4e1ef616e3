// The flow's race rules with its counters in Postgres (PGlite, in-process): two app servers, i.e. two
// flows with their own store objects and outboxes, sharing one database table. PGlite has one connection,
// so parallel requests queue in it; the answers must still be exact.
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxPolicy } from '../../src/index.js';
import { postgresStore } from '../../src/stores/postgres.js';
import { must, setup } from './_setup.js';
import { testFlowAcrossServers } from './races.js';

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

  testFlowAcrossServers((policy) => {
    const { a, b } = twoServers(policy);
    return [a, b];
  });

  it('one row per mailbox, under a keyed hash: no address, code or secret reaches the table', async () => {
    const { table, a } = twoServers();
    const s = must(await a.flow.start({ email: EMAIL, purpose: 'login' }));
    const code = a.outbox.lastCode(EMAIL);
    must(await a.flow.start({ email: 'ada+news@example.com', purpose: 'signup' }));
    must(await a.flow.verify({ ...s, purpose: 'login', code }));
    const { rows } = await db.query<{ key: string; value: string }>(`SELECT key, value FROM ${table}`);
    expect(rows).toHaveLength(1); // the +tag folds into the same mailbox
    for (const { key, value } of rows) {
      expect(key).toMatch(/^mc:m:[A-Za-z0-9_-]{22}$/);
      for (const text of [key, value]) {
        expect(text.toLowerCase()).not.toContain('ada');
        expect(text).not.toContain(code);
        expect(text).not.toContain(s.secret.slice(5, 40));
      }
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
    expect(
      await working.flow.verify({ ...s, purpose: 'login', code: working.outbox.lastCode(EMAIL) }),
    ).toMatchObject({
      ok: false,
      error: { code: 'STORE_UNAVAILABLE' },
    });
  });
});
