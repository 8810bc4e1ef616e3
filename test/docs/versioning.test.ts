// docs/versioning.md promises that a store record of a format this release cannot read fails closed
// (STORE_UNAVAILABLE), never reads as an empty record (fresh budgets, forgotten challenges), and that what a
// token version means never changes. This holds those promises on the two independent readers of records,
// the JavaScript rules (through compareAndSetStore, the path of every text store) and the Redis script, and
// on the token's version prefix.
import { describe, expect, it } from 'vitest';
import {
  compareAndSetStore,
  createMailboxChallenge,
  createMailboxFlow,
  generateKey,
  type MailboxFlow,
  verifyMailboxChallenge,
} from '../../src/index.js';
import { redisStore } from '../../src/stores/redis.js';
import { createTestOutbox } from '../../src/testing/index.js';
import { redisServerAvailable, useRedisServer } from '../stores/_redis-server.js';

const keys = [generateKey('ver')];
// A record from a future release: same shape, a format number this release does not know.
const FUTURE = JSON.stringify({ v: 2, sends: [], failures: [], purposes: {} });

/** Starts a challenge, rewrites every stored record to the future format, then tries every step on it. */
async function stepsOnAFutureRecord(
  flow: MailboxFlow,
  outbox: ReturnType<typeof createTestOutbox>,
  rewrite: () => Promise<void>,
) {
  const email = 'ada@example.com';
  const started = await flow.start({ email, purpose: 'login' });
  if (!started.ok) throw started.error;
  const code = outbox.lastCode(email);
  await rewrite();
  const ids = { challengeId: started.challengeId, secret: started.secret };
  const codeOf = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error!.code);
  return {
    verify: codeOf(await flow.verify({ ...ids, code, purpose: 'login' })),
    resend: codeOf(await flow.resend(ids)),
    inspect: codeOf(await flow.inspect(ids)),
    start: codeOf(await flow.start({ email, purpose: 'login' })),
  };
}

const failClosed = {
  verify: 'STORE_UNAVAILABLE',
  resend: 'STORE_UNAVAILABLE',
  inspect: 'STORE_UNAVAILABLE',
  start: 'STORE_UNAVAILABLE',
};

describe('a store record of an unknown format fails closed', () => {
  it('through the JavaScript rules (compareAndSetStore, as every text store decodes)', async () => {
    const table = new Map<string, { value: string; version: number }>();
    const store = compareAndSetStore({
      async read(key) {
        return table.get(key) ?? null;
      },
      async write(key, value, { version }) {
        if ((table.get(key)?.version ?? null) !== version) return false;
        if (value === null) table.delete(key);
        else table.set(key, { value, version: ((version as number | null) ?? 0) + 1 });
        return true;
      },
    });
    const outbox = createTestOutbox();
    const flow = createMailboxFlow({ keys, appName: 'Acme', sender: outbox, store });
    const out = await stepsOnAFutureRecord(flow, outbox, async () => {
      expect(table.size).toBe(1);
      for (const [k, row] of table) table.set(k, { value: FUTURE, version: row.version + 1 });
    });
    expect(out).toEqual(failClosed);
  });

  describe.skipIf(!redisServerAvailable())('through the Redis script', () => {
    const redis = useRedisServer();

    it('answers STORE_UNAVAILABLE for every step, and leaves the record as it was', async () => {
      const client = redis.nodeRedis;
      const outbox = createTestOutbox();
      const flow = createMailboxFlow({ keys, appName: 'Acme', sender: outbox, store: redisStore(client) });
      let names: string[] = [];
      const out = await stepsOnAFutureRecord(flow, outbox, async () => {
        names = await client.keys('*');
        expect(names).toHaveLength(1);
        await client.set(names[0]!, FUTURE, { KEEPTTL: true });
      });
      expect(out).toEqual(failClosed);
      expect(await client.get(names[0]!)).toBe(FUTURE);
    });
  });
});

describe('a token version means one thing', () => {
  it('a secret relabelled with another version prefix does not open', () => {
    const c = createMailboxChallengeFor();
    const [version, ...rest] = c.secret.split('.');
    expect(version).toMatch(/^v\d+$/);
    const other = version === 'v1' ? 'v2' : 'v1';
    const relabelled = [other, ...rest].join('.');
    const r = verifyMailboxChallenge(
      { challengeId: c.challengeId, secret: relabelled, code: c.code },
      { keys },
    );
    expect(r.ok ? 'ok' : r.error.code).toBe('INVALID_CHALLENGE');
    expect(
      verifyMailboxChallenge({ challengeId: c.challengeId, secret: c.secret, code: c.code }, { keys }).ok,
    ).toBe(true);
  });
});

function createMailboxChallengeFor() {
  return createMailboxChallenge({ email: 'ada@example.com', purpose: 'login' }, { keys });
}
