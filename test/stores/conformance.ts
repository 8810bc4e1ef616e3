// One conformance suite for every ChallengeStore: each store file calls testStore() with a factory.
import { afterEach, describe, expect, it } from 'vitest';
import type { ChallengeStore } from '../../src/index.js';

export interface StoreHarness {
  store: ChallengeStore;
  /** Moves the store's time forward (a fake clock, or real sleeping for a server). */
  advance(ms: number): Promise<void>;
  cleanup?(): Promise<void>;
}

let counter = 0;
/** A key no other test (or earlier run against a shared server) uses. */
const fresh = (label: string) => `mc:test:${label}:${process.pid}:${Date.now()}:${counter++}`;

export function testStore(name: string, create: () => Promise<StoreHarness>): void {
  describe(`${name} store conformance`, () => {
    let h: StoreHarness | undefined;
    const harness = async () => {
      h = await create();
      return h;
    };
    afterEach(async () => {
      await h?.cleanup?.();
      h = undefined;
    });

    it('increment starts at 1 and counts up; get reads the value; missing keys are null', async () => {
      const { store } = await harness();
      const key = fresh('count');
      expect(await store.get(key)).toBeNull();
      expect(await store.increment(key, 60)).toBe(1);
      expect(await store.increment(key, 60)).toBe(2);
      expect(await store.increment(key, 60)).toBe(3);
      expect(await store.get(key)).toBe(3);
    });

    it('1,000 parallel increments each get a distinct value 1..1000', async () => {
      const { store } = await harness();
      const key = fresh('parallel');
      const values = await Promise.all(Array.from({ length: 1000 }, () => store.increment(key, 60)));
      expect(new Set(values).size).toBe(1000);
      expect(Math.min(...values)).toBe(1);
      expect(Math.max(...values)).toBe(1000);
      expect(await store.get(key)).toBe(1000);
    });

    it('setIfAbsent succeeds for exactly one of 200 parallel calls', async () => {
      const { store } = await harness();
      const key = fresh('once');
      const results = await Promise.all(Array.from({ length: 200 }, () => store.setIfAbsent(key, 60)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.setIfAbsent(key, 60)).toBe(false);
      expect(await store.get(key)).not.toBeNull();
    });

    it('keys are isolated from each other', async () => {
      const { store } = await harness();
      const [a, b, c] = [fresh('a'), fresh('b'), fresh('c')];
      await store.increment(a, 60);
      await store.increment(a, 60);
      expect(await store.setIfAbsent(c, 60)).toBe(true);
      expect(await store.get(a)).toBe(2);
      expect(await store.get(b)).toBeNull();
      expect(await store.increment(b, 60)).toBe(1);
      expect(await store.setIfAbsent(b, 60)).toBe(false);
      expect(await store.get(a)).toBe(2);
    });

    it('keys expire after their ttl, and an increment does not extend it (fixed window)', async () => {
      const { store, advance } = await harness();
      const [counted, flagged] = [fresh('ttl'), fresh('flag')];
      expect(await store.increment(counted, 1)).toBe(1);
      expect(await store.setIfAbsent(flagged, 1)).toBe(true);
      await advance(600);
      expect(await store.increment(counted, 1)).toBe(2);
      expect(await store.get(flagged)).not.toBeNull();
      await advance(700);
      expect(await store.get(counted)).toBeNull();
      expect(await store.get(flagged)).toBeNull();
      expect(await store.increment(counted, 1)).toBe(1);
      expect(await store.setIfAbsent(flagged, 1)).toBe(true);
    });
  });
}
