// Memory of the memory store: the state of 1,000,000 live challenges (one per mailbox, as many sign-ins
// at once), measured as heap growth after a full GC. Goal (issue 11): under 250 MB. Run with
// node --expose-gc bench/memory.mjs (npm run bench does).
const { memoryStore } = await import(new URL('../dist/index.js', import.meta.url).href);

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
