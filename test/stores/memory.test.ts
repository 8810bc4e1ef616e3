// The in-process stores: memoryStore, and compareAndSetStore over a versioned map (the shape of DynamoDB
// conditional writes or a KV with ETags), both held to the shared conformance suite.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Undo } from '../../src/flow/state.js';
import {
  applyStep,
  type ChallengeEntry,
  type ChallengeStore,
  type CompareAndSetAdapter,
  compareAndSetStore,
  createMailboxFlow,
  type FlowStep,
  generateKey,
  type MailboxRecord,
  memoryStore,
  type PurposeState,
  type StepReply,
} from '../../src/index.js';
import { packedBase, packRecord, unpackRecord } from '../../src/stores/_packed-record.js';
import { createTestClock, createTestOutbox } from '../../src/testing/index.js';
import { must } from '../flow/_setup.js';
import { MINUTE_LIMITS, RULE_LIMITS } from './_limits.js';
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

describe('compareAndSetStore', () => {
  it("asks the adapter to keep a record the rules' retention plus a minute, for app servers' clock skew", async () => {
    const map = versionedMap();
    const ttls: number[] = [];
    const adapter: CompareAndSetAdapter = {
      read: map.read,
      write: (key, value, options) => {
        ttls.push(options.ttlMs);
        return map.write(key, value, options);
      },
    };
    const flow = createMailboxFlow({
      keys: [generateKey('k')],
      sender: createTestOutbox(),
      appName: 'Acme',
      store: compareAndSetStore(adapter),
      policy: { ttlSeconds: 600, resendWindowSeconds: 3_600 },
    });
    must(await flow.start({ email: 'ada@example.com', purpose: 'login' }));
    // Retained for the resend window (an hour after the first send, longer than the 10-minute code).
    expect(ttls).toEqual([3_600_000 + 60_000]);
  });
});

describe('compareAndSetStore over a broken adapter', () => {
  it('a write() that resolves to anything but a boolean fails closed: STORE_UNAVAILABLE, nothing sent', async () => {
    for (const answer of [{ ok: false }, 'OK', 1, undefined]) {
      const map = versionedMap();
      const adapter: CompareAndSetAdapter = {
        read: map.read,
        write: async (key, value, options) => {
          await map.write(key, value, options);
          return answer as never; // an SDK response object taken for a write would lose races silently
        },
      };
      const outbox = createTestOutbox();
      const flow = createMailboxFlow({
        keys: [generateKey('k')],
        sender: outbox,
        appName: 'Acme',
        store: compareAndSetStore(adapter),
      });
      const r = await flow.start({ email: 'ada@example.com', purpose: 'login' });
      expect(r, JSON.stringify(answer)).toMatchObject({ ok: false, error: { code: 'STORE_UNAVAILABLE' } });
      expect(outbox.messages).toHaveLength(0);
    }
  });
});

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

  it('under steady churn holds the live records plus at most about a third as many expired ones', async () => {
    const limits = MINUTE_LIMITS;
    const store = memoryStore();
    let now = Date.UTC(2026, 0, 1);
    const live = 600; // a new mailbox every 100 ms, each record kept 60 s
    let largest = 0;
    for (let i = 0; i < 20_000; i++) {
      now += 100;
      const key = `mc:m:${Buffer.from(String(i).padStart(16, '0')).toString('base64url')}`;
      const step = { now, limits, purpose: 'login', challengeId: `c${i}` } as const;
      must(
        await store.step(key, {
          ...step,
          kind: 'start',
          codeTag: 't',
          expiresAt: now + 60_000,
          locale: 'en',
        }),
      );
      await store.step(key, { ...step, kind: 'verify', gen: 1, matched: true, codeTag: '' });
      if (i > 2 * live) largest = Math.max(largest, store.size);
    }
    expect(largest).toBeGreaterThanOrEqual(live);
    expect(largest).toBeLessThanOrEqual(Math.ceil((live * 4) / 3) + 4);
  });

  it('keeps every key its own record: flow keys are held as their 16 bytes, any other key apart from them', async () => {
    const limits = MINUTE_LIMITS;
    const now = Date.UTC(2026, 0, 1);
    const flowKey = `mc:m:${Buffer.alloc(16).toString('base64url')}`;
    const fixed = [
      flowKey,
      `mc:m:${Buffer.alloc(16, 0xff).toString('base64url')}`,
      `${flowKey.slice(0, -1)}B`, // the same 16 bytes with a bit canonical base64url leaves zero
      `${flowKey.slice(0, -1)}!`,
      flowKey.slice(0, -1),
      `${flowKey}A`,
      `MC:m:${flowKey.slice(5)}`,
      '\u0000'.repeat(16), // what the first key is held as
      `\u0100${flowKey}`,
      '',
    ];
    const key = fc.oneof(
      fc
        .uint8Array({ minLength: 16, maxLength: 16 })
        .map((b) => `mc:m:${Buffer.from(b).toString('base64url')}`),
      fc.string({ unit: fc.nat({ max: 0x1ff }).map((c) => String.fromCharCode(c)), maxLength: 28 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(key, { maxLength: 20 }), async (random) => {
        const keys = [...new Set([...fixed, ...random])];
        const store = memoryStore();
        for (const [i, k] of keys.entries()) {
          const reply = await store.step(k, {
            kind: 'start',
            now,
            limits,
            purpose: 'login',
            challengeId: `c${i}`,
            codeTag: 't',
            expiresAt: now + 60_000,
            locale: 'en',
          });
          expect(reply.ok).toBe(true);
        }
        expect(store.size).toBe(keys.length);
        for (const [i, k] of keys.entries()) {
          const step = { now, limits, purpose: 'login', gen: 1 } as const;
          expect(await store.step(k, { ...step, kind: 'inspect', challengeId: `c${i}` })).toMatchObject({
            ok: true,
            status: 'pending',
          });
          // Another key's challenge is not in this record: never pending here.
          const other = `c${(i + 1) % keys.length}`;
          expect(await store.step(k, { ...step, kind: 'inspect', challengeId: other })).not.toMatchObject({
            status: 'pending',
          });
        }
      }),
      { numRuns: 50 },
    );
  });

  it('rejects a bad maxRecords', () => {
    for (const maxRecords of [0, -1, 1.5, Number.NaN]) {
      expect(() => memoryStore({ maxRecords })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
  });
});

// The memory store keeps each record in its own compact form (src/stores/_packed-record.ts). Whatever the
// rules can produce must read back exactly; whatever it did not write must fail closed.
describe('the memory store packed form', () => {
  const LIMITS = RULE_LIMITS;
  // Any UTF-16 code unit (lone surrogates too), so every kind of string the form has is reached.
  const anyText = fc.string({
    unit: fc.nat({ max: 0xffff }).map((c) => String.fromCharCode(c)),
    maxLength: 30,
  });
  const base64url = (n: number) =>
    fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('base64url'));
  const word = fc.oneof(
    fc.constantFrom('login', 'signup', 'email-change', 'en', 'de', 'constructor', '0', '42', ''),
    anyText,
  );
  const idText = fc.oneof(base64url(16), base64url(9), anyText);

  const roundTrips = (record: MailboxRecord, base: number) => {
    const packed = packRecord(record, base);
    expect(packedBase(packed)).toBe(base);
    const back = unpackRecord(packed);
    expect(Object.getPrototypeOf(back.purposes)).toBe(Object.prototype);
    // Purposes as entries: a purpose named `constructor` would otherwise be read as the object's type.
    const view = (r: MailboxRecord) => ({ ...r, purposes: Object.entries(r.purposes) });
    expect(view(back)).toStrictEqual(view(record));
    return packed;
  };

  const action = fc.record({
    kind: fc.constantFrom('start', 'resend', 'verify', 'verify', 'inspect', 'cancel', 'notice', 'release'),
    advanceMs: fc.constantFrom(0, 1, 999, 30_000, 60_000, 600_000, 3_600_000, 86_400_000),
    // Not `__proto__`: the flow refuses it as a purpose, and the rules do not take it.
    purpose: word.filter((p) => p !== '__proto__'),
    pick: fc.nat({ max: 5 }),
    gen: fc.nat({ max: 3 }),
    matched: fc.boolean(),
    challengeId: idText,
    codeTag: idText,
    locale: fc.option(word, { nil: null }),
    mailbox: fc.nat({ max: 2 }),
  });
  type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;

  /**
   * Turns random actions into the steps a flow would send, one mailbox's history each (the challenges it
   * started, its last reservation), and hands each step with its mailbox to `run`.
   */
  function drive(list: Action[], start: number, run: (mailbox: number, s: FlowStep) => StepReply) {
    let now = start;
    const histories = [0, 1, 2].map(() => ({
      started: [] as Array<{ purpose: string; challengeId: string; gen: number }>,
      lastSend: null as { sentAt: number; undo: Undo | null } | null,
    }));
    for (const a of list) {
      now += a.advanceMs;
      const h = histories[a.mailbox]!;
      const base = { now, limits: LIMITS };
      const c = h.started[h.started.length - 1 - a.pick] ?? {
        purpose: a.purpose,
        challengeId: a.challengeId,
        gen: 1,
      };
      const ref = { ...base, purpose: c.purpose, challengeId: c.challengeId, gen: c.gen + a.gen - 1 };
      let s: FlowStep;
      if (a.kind === 'start') {
        const { purpose, challengeId, codeTag } = a;
        s = {
          ...base,
          kind: 'start',
          purpose,
          challengeId,
          codeTag,
          expiresAt: now + 600_000,
          locale: a.locale ?? 'en',
        };
      } else if (a.kind === 'resend') {
        s = { ...ref, kind: 'resend', codeTag: a.codeTag, expiresAt: now + 600_000, locale: a.locale };
      } else if (a.kind === 'verify') {
        s = { ...ref, kind: 'verify', matched: a.matched, codeTag: a.matched ? '' : a.codeTag };
      } else if (a.kind === 'inspect' || a.kind === 'cancel') {
        s = { ...ref, kind: a.kind };
      } else if (a.kind === 'notice' || !h.lastSend) {
        s = { ...base, kind: 'notice' };
      } else {
        s = { ...base, kind: 'release', ...h.lastSend };
      }
      const reply = run(a.mailbox, s);
      if ((s.kind === 'start' || s.kind === 'resend') && reply.ok) {
        h.lastSend = { sentAt: now, undo: reply.undo };
        if (s.kind === 'start') h.started.push({ purpose: s.purpose, challengeId: s.challengeId, gen: 1 });
        else h.started.push({ ...c, gen: reply.gen });
      }
    }
    return { now, histories };
  }

  it('reads back every record the rules produce, at every step (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(action, { maxLength: 40 }),
        fc.integer({ min: 0, max: 2 ** 46 }),
        (list, start) => {
          const records: Array<MailboxRecord | null> = [null, null, null];
          drive(list, start, (mailbox, s) => {
            const { record: after, reply, expiresAt } = applyStep(records[mailbox]!, s);
            if (s.kind === 'inspect') return reply;
            records[mailbox] = after;
            if (after) roundTrips(after, expiresAt!);
            return reply;
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers every step as the rules do over decoded records, steps on three mailboxes interleaved (fast-check)', () => {
    // The store keeps the last record it wrote decoded, and the last key translated: whatever the order of
    // steps and keys (an inspect changes its decoded record without writing), each answer is the rules' own.
    const keys = ['mc:m:AAAAAAAAAAAAAAAAAAAAAA', 'mc:m:AAAAAAAAAAAAAAAAAAAAAQ', 'not-a-flow-key'];
    fc.assert(
      fc.property(
        fc.array(action, { maxLength: 60 }),
        fc.integer({ min: 0, max: 2 ** 46 }),
        (list, start) => {
          const store = memoryStore();
          const records = new Map<number, MailboxRecord | null>();
          const both = (mailbox: number, s: FlowStep) => {
            const expected = applyStep(records.get(mailbox) ?? null, s);
            if (s.kind !== 'inspect') records.set(mailbox, expected.record);
            const reply = store.step(keys[mailbox]!, s) as StepReply;
            expect(reply).toStrictEqual(expected.reply);
            return reply;
          };
          const { now, histories } = drive(list, start, both);
          // Then every challenge each mailbox started, inspected: what the store holds is the rules' record.
          histories.forEach((h, mailbox) => {
            for (const c of h.started) both(mailbox, { kind: 'inspect', now, limits: LIMITS, ...c });
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads back any record shape, exactly, in the compact form or else as JSON (fast-check)', () => {
    // Times as the flow makes them (safe integers), and as no flow does (fractions, beyond 2^53, negative).
    const time = fc.oneof(
      { weight: 30, arbitrary: fc.integer({ min: 0, max: 2 ** 47 }) },
      {
        weight: 1,
        arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).filter((t) => !Object.is(t, -0)),
      },
      { weight: 1, arbitrary: fc.constantFrom(2 ** 53, -(2 ** 53), -1, 2 ** 48 + 0.5) },
    );
    const entry: fc.Arbitrary<ChallengeEntry> = fc
      .record(
        {
          id: idText,
          gen: fc.oneof(fc.nat({ max: 5 }), fc.nat()),
          // Counts the flow never makes too (fractions, negatives, huge): kept exactly, never read as another
          // status (attempts share a number with the status in the compact form).
          attempts: fc.oneof(
            { weight: 20, arbitrary: fc.nat({ max: 5 }) },
            { weight: 5, arbitrary: fc.nat() },
            { weight: 1, arbitrary: fc.constantFrom(-1, -0.25, 0.5, 1.75, 2 ** 51, 2 ** 53) },
          ),
          status: fc.constantFrom('pending', 'used', 'locked', 'cancelled'),
          firstSentAt: time,
          lastSentAt: time,
          // Absent now and then, as in records of earlier releases (those take the JSON form).
          sendSeq: fc.option(
            fc.oneof(
              { weight: 20, arbitrary: fc.nat({ max: 9 }) },
              { weight: 2, arbitrary: fc.nat() },
              { weight: 1, arbitrary: fc.constantFrom(-1, 0.5, 2 ** 53) },
            ),
            { freq: 20, nil: undefined },
          ),
          expiresAt: time,
          codeTag: idText,
          locale: word,
        },
        { noNullPrototype: true },
      )
      .map((e) => {
        if (e.sendSeq === undefined) delete e.sendSeq;
        return e;
      });
    const state: fc.Arbitrary<PurposeState> = fc.record(
      { challenges: fc.array(entry, { maxLength: 4 }), staleCodeTags: fc.array(idText, { maxLength: 4 }) },
      { noNullPrototype: true },
    );
    const record: fc.Arbitrary<MailboxRecord> = fc.record(
      {
        v: fc.constant(1 as const),
        sends: fc.array(time, { maxLength: 12 }),
        failures: fc.array(time, { maxLength: 12 }),
        // Absent, or a list (empty too, which the rules never leave: it takes the JSON form).
        notices: fc.array(time, { maxLength: 12 }),
        // `__proto__` too: the packed form keeps whatever own properties the record has.
        purposes: fc.dictionary(fc.oneof(word, fc.constant('__proto__')), state, {
          maxKeys: 8,
          noNullPrototype: true,
        }),
      },
      { noNullPrototype: true, requiredKeys: ['v', 'sends', 'failures', 'purposes'] },
    );
    let compact = 0;
    fc.assert(
      fc.property(record, fc.oneof(fc.integer({ min: 0, max: 2 ** 47 }), time), (r, base) => {
        if (roundTrips(r, base).charCodeAt(0) !== '['.charCodeAt(0)) compact++;
      }),
      { numRuns: 1_000 },
    );
    expect(compact).toBeGreaterThan(100); // both forms were exercised
    expect(compact).toBeLessThan(1_000);
  });

  it('refuses a record it could not read back (NaN, Infinity, an unknown status) instead of storing another', () => {
    const r = (sends: number[], status = 'pending') =>
      ({
        v: 1,
        sends,
        failures: [],
        purposes: {
          login: {
            challenges: [
              {
                id: 'c',
                gen: 1,
                attempts: 0,
                status,
                firstSentAt: 1,
                lastSentAt: 1,
                expiresAt: 2,
                codeTag: 't',
                locale: 'en',
              },
            ],
            staleCodeTags: [],
          },
        },
      }) as MailboxRecord;
    expect(() => packRecord(r([Number.NaN]), 10)).toThrow(TypeError);
    expect(() => packRecord(r([1, Number.POSITIVE_INFINITY]), 10)).toThrow(TypeError);
    expect(() => packRecord(r([1.5, Number.NaN]), 10)).toThrow(TypeError);
    expect(() => packRecord(r([1], 'expired'), 10)).toThrow(TypeError);
    expect(() => packRecord(r([1]), Number.NaN)).toThrow(TypeError);
    expect(unpackRecord(packRecord(r([1]), 10))).toStrictEqual(r([1]));
  });

  it('fails closed on anything it did not write: cut short, run long, or not a record at all', () => {
    const r: MailboxRecord = {
      v: 1,
      sends: [1_000, 2_000],
      failures: [1_500],
      purposes: {
        login: {
          challenges: [
            {
              id: 'AAAAAAAAAAAAAAAAAAAAAA',
              gen: 2,
              attempts: 1,
              status: 'pending',
              firstSentAt: 1_000,
              lastSentAt: 2_000,
              expiresAt: 602_000,
              codeTag: 'ÿé\u0100',
              locale: 'fr',
            },
          ],
          staleCodeTags: ['x'],
        },
      },
    };
    for (const packed of [packRecord(r, 3_602_000), packRecord(r, 3_602_000.5)]) {
      expect(unpackRecord(packed)).toStrictEqual(r);
      for (let n = 0; n < packed.length; n++) expect(() => unpackRecord(packed.slice(0, n))).toThrow();
      expect(() => unpackRecord(`${packed}\u0000`)).toThrow();
      expect(() => unpackRecord(`${packed}]`)).toThrow();
    }
    for (const garbage of [
      '',
      'null',
      '{}',
      '[]',
      '[1,[],[],{}]',
      '\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0009',
      '\u0002abc',
    ])
      expect(() => unpackRecord(garbage)).toThrow();
    // A record with no readable expiry is never taken for expired (the sweep keeps it; reading it fails).
    for (const garbage of ['', '\u0001', '\u0001abc', 'null', '[x,1]']) expect(packedBase(garbage)).toBeNaN();
  });
});
