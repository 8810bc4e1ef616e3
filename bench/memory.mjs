// Memory of the memory store: the state of 1,000,000 live challenges (one per mailbox, as many sign-ins
// at once), measured as heap growth after a full GC. Goal (issue 11): under 250 MB. Then the same store at
// its cap (bounded, earlier challenges still verify), and the store's cost per step beside the rules run
// on live objects. Run with node --expose-gc bench/memory.mjs (npm run bench does).
const { applyStep, memoryStore } = await import(new URL('../dist/index.js', import.meta.url).href);

const COUNT = Number(process.env.MEMORY_BENCH_RECORDS ?? 1_000_000);
const limits = {
  sendLimits: [
    { max: 3, windowMs: 60_000 },
    { max: 10, windowMs: 3_600_000 },
  ],
  failureLimit: { max: 20, windowMs: 86_400_000 },
  maxAttempts: 5,
  resendWindowMs: 3_600_000,
  resendCooldownMs: 30_000,
};
const gc = globalThis.gc ?? (() => {});
gc();
const before = process.memoryUsage().heapUsed;
const store = memoryStore({ maxRecords: COUNT });
const now = Date.now();
// Canonical base64url of 16 bytes, as the flow writes keys and challengeIds.
const id = (i) => Buffer.from(i.toString(16).padStart(32, '0'), 'hex').toString('base64url');
for (let i = 0; i < COUNT; i++) {
  // Keys and ids of the real lengths: mc:m: + 22 base64url characters; 22-character challengeIds.
  await store.step(`mc:m:${id(i)}`, {
    kind: 'start',
    now,
    limits,
    purpose: 'login',
    challengeId: id(i),
    codeTag: 'AAAAAAAAAAAA',
    expiresAt: now + 600_000,
    locale: 'en',
  });
}
gc();
const mb = (process.memoryUsage().heapUsed - before) / 1e6;
if (store.size !== COUNT) throw new Error(`bench: ${store.size} records`); // also keeps the store alive
console.log(
  `\nmemory store: ${COUNT.toLocaleString('en-US')} live challenges in ${mb.toFixed(0)} MB of heap (goal < 250 MB)`,
);

// At its cap: new mailboxes are refused (each refusal looks at a bounded number of records), the size
// stays put, and a challenge issued before the flood still verifies.
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const FLOOD = 2_000;
let refused = 0;
const floodStart = cpuMs();
for (let i = 0; i < FLOOD; i++) {
  const key = `mc:m:${id(COUNT + i)}`;
  const step = { now, limits, purpose: 'login', challengeId: id(COUNT + i), locale: 'en' };
  try {
    // The memory store answers synchronously, and refuses by throwing MemoryStoreFullError.
    await store.step(key, { ...step, kind: 'start', codeTag: 'AAAAAAAAAAAA', expiresAt: now + 600_000 });
  } catch {
    refused++;
  }
}
const floodUs = ((cpuMs() - floodStart) * 1000) / FLOOD;
const early = await store.step(`mc:m:${id(0)}`, {
  kind: 'verify',
  now,
  limits,
  purpose: 'login',
  challengeId: id(0),
  gen: 1,
  matched: true,
  codeTag: '',
});
if (refused !== FLOOD || store.size !== COUNT || !early.ok) throw new Error('bench: the cap did not hold');
console.log(
  `  at the cap: ${FLOOD.toLocaleString('en-US')} new mailboxes refused (${floodUs.toFixed(0)} us CPU each), ` +
    `size unchanged, an earlier challenge verifies`,
);

// The store's own cost per step: start + verify on 50,000 mailboxes, against the same steps run by the
// rules on live objects in a Map (no packing; applyStep copies the record, the store works in place).
// CPU time, interleaved rounds, median.
const MAILBOXES = 50_000;
const keys = Array.from({ length: MAILBOXES }, (_, i) => `mc:m:${id(i + 7)}`);
const challengeIds = Array.from({ length: 200_000 }, (_, i) => id(i * 5 + 3));
const objects = new Map();
const objectStore = {
  async step(key, step) {
    const { record, reply } = applyStep(objects.get(key) ?? null, step);
    if (step.kind !== 'inspect') {
      if (record) objects.set(key, record);
      else objects.delete(key);
    }
    return reply;
  },
};
const runs = [
  { store: memoryStore(), n: 0, t: now },
  { store: objectStore, n: 0, t: now },
];
async function pair(run) {
  const key = keys[run.n % MAILBOXES];
  const challengeId = challengeIds[run.n++ % challengeIds.length];
  run.t += 7;
  const step = { now: run.t, limits, purpose: 'login', challengeId };
  const s = await run.store.step(key, {
    ...step,
    kind: 'start',
    codeTag: 'AAAAAAAAAAAA',
    expiresAt: run.t + 600_000,
    locale: 'en',
  });
  const v = await run.store.step(key, { ...step, kind: 'verify', gen: 1, matched: true, codeTag: '' });
  if (!s.ok || !v.ok) throw new Error('bench: step failed');
}
async function usPerPair(run, ms) {
  let count = 0;
  const start = cpuMs();
  while (cpuMs() - start < ms) {
    for (let i = 0; i < 100; i++) await pair(run);
    count += 100;
  }
  return ((cpuMs() - start) * 1000) / count;
}
for (const run of runs) await usPerPair(run, 1_000); // warm-up, and every mailbox has a record
const times = runs.map(() => []);
for (let round = 0; round < 11; round++)
  for (const [i, run] of runs.entries()) times[i].push(await usPerPair(run, 150));
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [packed, live] = times.map(median);
console.log(
  `  a start + verify: ${packed.toFixed(1)} us in the store, ${live.toFixed(1)} us for the rules on live objects ` +
    `(${(packed / live).toFixed(2)}x)`,
);
