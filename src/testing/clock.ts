/** A clock tests can move; pass `clock.now` to the flow (its store reads time from the flow). */
export interface TestClock {
  now: () => number;
  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void;
  /** Jumps to an absolute epoch-millisecond time. */
  set(ms: number): void;
}

/**
 * A fixed clock starting at `start` (default 2026-01-01T00:00:00Z), moved only by `advance` and `set`.
 *
 * @example
 * ```ts
 * const clock = createTestClock();
 * const flow = createMailboxFlow({ keys, sender, appName: 'Test', now: clock.now });
 * clock.advance(10 * 60_000); // the code has now expired
 * ```
 */
export function createTestClock(start = Date.UTC(2026, 0, 1)): TestClock {
  let t = start;
  return {
    now: () => t,
    advance(ms) {
      t += ms;
    },
    set(ms) {
      t = ms;
    },
  };
}
