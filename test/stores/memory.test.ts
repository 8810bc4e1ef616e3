// The in-process stores: memoryStore, and compareAndSetStore over a versioned map (the shape of DynamoDB
// conditional writes or a KV with ETags), both held to the shared conformance suite.
import { describe, expect, it } from 'vitest';
import {
  type ChallengeStore,
  type CompareAndSetAdapter,
  compareAndSetStore,
  createMailboxFlow,
  generateKey,
  memoryStore,
} from '../../src/index.js';
import { createTestClock, createTestOutbox } from '../../src/testing/index.js';
import { must } from '../flow/_setup.js';
import { testStore } from './conformance.js';

/** A store object that forwards to the current backing store; `lose()` swaps in an empty one. */
function swappable(make: () => ChallengeStore) {
  let current = make();
  return {
    store: (): ChallengeStore => ({ step: (key, step) => current.step(key, step) }),
    lose: async () => {
      current = make();
    },
  };
}

testStore('memory', () => swappable(() => memoryStore()));

/** A key-value map with versions and conditional writes, the contract compareAndSetStore is built on. */
function versionedMap(): CompareAndSetAdapter & { clear(): void } {
  const table = new Map<string, { value: string; version: number }>();
  let version = 0;
  return {
    async read(key) {
      return table.get(key) ?? null;
    },
    async write(key, value, options) {
      // An await between the check and the write would break the contract; there is none here.
      if ((table.get(key)?.version ?? null) !== options.version) return false;
      if (value === null) table.delete(key);
      else table.set(key, { value, version: ++version });
      return true;
    },
    clear: () => table.clear(),
  };
}

{
  const map = versionedMap();
  testStore('compare-and-set (a versioned map)', () => ({
    // 200 parallel guesses on one record race: every loser reads again, so allow them enough tries.
    store: () => compareAndSetStore(map, { maxTries: 1_000 }),
    lose: async () => map.clear(),
  }));
}

describe('memoryStore bounds', () => {
  const keys = [generateKey('k')];
  const flowOn = (store: ChallengeStore) => {
    const clock = createTestClock();
    const outbox = createTestOutbox();
    const flow = createMailboxFlow({ keys, sender: outbox, appName: 'Acme', store, now: clock.now });
    return { flow, outbox, clock };
  };

  it('when full, refuses new mailboxes but every existing challenge still verifies', async () => {
    const store = memoryStore({ maxRecords: 3 });
    const { flow, outbox } = flowOn(store);
    const started = [];
    for (let i = 0; i < 3; i++)
      started.push(must(await flow.start({ email: `a${i}@example.com`, purpose: 'login' })));
    for (let i = 0; i < 50; i++) {
      expect(await flow.start({ email: `flood${i}@example.com`, purpose: 'login' })).toMatchObject({
        ok: false,
        error: { code: 'STORE_UNAVAILABLE' },
      });
    }
    expect(store.size).toBe(3);
    for (const [i, s] of started.entries()) {
      must(await flow.verify({ ...s, purpose: 'login', code: outbox.lastCode(`a${i}@example.com`) }));
    }
  });

  it('expired records leave a few per step, without a sweep of the whole store on any one request', async () => {
    const store = memoryStore({ maxRecords: 10_000 });
    const { flow, clock } = flowOn(store);
    for (let i = 0; i < 2_000; i++) must(await flow.start({ email: `a${i}@example.com`, purpose: 'login' }));
    expect(store.size).toBe(2_000);
    clock.advance(2 * 3_600_000); // past every record's retention (the resend window is the longest)
    const sizes = [store.size];
    for (let i = 0; i < 10; i++) {
      await flow.inspect({ challengeId: 'x'.repeat(22), secret: 'v1.k.x' }); // refused before the store
      must(await flow.start({ email: `b${i}@example.com`, purpose: 'login' }));
      sizes.push(store.size);
    }
    // Each step examined a handful of records (and added one): the store shrinks gradually.
    for (let i = 1; i < sizes.length; i++) expect(sizes[i - 1]! - sizes[i]!).toBeLessThanOrEqual(4);
    expect(sizes.at(-1)!).toBeLessThan(2_000);
  });

  it('rejects a bad maxRecords', () => {
    for (const maxRecords of [0, -1, 1.5, Number.NaN]) {
      expect(() => memoryStore({ maxRecords })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });
});
