import { describe, expect, it } from 'vitest';
import { memoryStore } from '../../src/index.js';
import { createTestClock } from '../../src/testing/index.js';
import { testStore } from './conformance.js';

testStore('memory', async () => {
  const clock = createTestClock();
  return {
    store: memoryStore({ now: clock.now }),
    advance: async (ms) => clock.advance(ms),
  };
});

describe('memoryStore bounds', () => {
  it('sweeps expired keys and refuses new keys at the cap without evicting live counters', async () => {
    const clock = createTestClock();
    const store = memoryStore({ now: clock.now, maxEntries: 3 });
    await store.increment('victim', 3600);
    await store.increment('victim', 3600);
    await store.increment('short-1', 1);
    await store.increment('short-2', 1);
    expect(store.size).toBe(3);
    await expect(store.increment('flood-1', 60)).rejects.toThrow(/full/);
    await expect(store.setIfAbsent('flood-1', 60)).rejects.toThrow(/full/);
    expect(await store.get('victim')).toBe(2); // never evicted
    expect(await store.increment('victim', 3600)).toBe(3); // existing keys keep working at the cap
    clock.advance(1500);
    expect(await store.increment('flood-1', 60)).toBe(1); // the expired keys were swept to make room
    expect(store.size).toBe(2);
  });

  it('does not grow beyond maxEntries under a flood of new keys', async () => {
    const clock = createTestClock();
    const store = memoryStore({ now: clock.now, maxEntries: 1000 });
    const results = await Promise.allSettled(
      Array.from({ length: 5000 }, (_, i) => store.increment(`k${i}`, 60)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1000);
    expect(store.size).toBe(1000);
  });

  it('rejects a bad maxEntries', () => {
    expect(() => memoryStore({ maxEntries: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
