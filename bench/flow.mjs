// The flow's cost over the pure layer, in one run: flow.start + flow.verify with the memory store (one
// atomic step each, the built-in email rendered, a sender that keeps only the code) against
// createMailboxChallenge with the same email + verifyMailboxChallenge. Goal (issue 7): at most 1.5x.
// CPU time, interleaved rounds, median; async cases are awaited one after another, as a request would.
const entry = process.env.MAILBOX_CHALLENGE_BENCH_ENTRY ?? '../dist/index.js';
const { createMailboxChallenge, createMailboxFlow, generateKey, memoryStore, verifyMailboxChallenge } =
  await import(entry.startsWith('.') ? new URL(entry, import.meta.url).href : entry);

const keys = [generateKey('bench')];
let code = '';
const flow = createMailboxFlow({
  keys,
  appName: 'Acme',
  store: memoryStore(),
  sender: {
    send: async (mail) => {
      code = mail.code;
    },
  },
  // One email per mailbox here: no send limit or cooldown is reached, so each cycle is the full path.
  policy: { sendLimits: [], resendCooldownSeconds: 0 },
});

// A diagnostic, not a goal: the same flow over a store that keeps nothing and answers every step "go on"
// (no limits, no state, so no security). What the flow costs over the pure layer before any store works,
// i.e. the floor under the ratio above that no store can go below.
const noState = createMailboxFlow({
  keys,
  appName: 'Acme',
  store: {
    step: (_key, s) => ({
      ok: true,
      status: s.kind === 'verify' ? 'used' : 'pending',
      gen: 1,
      attemptsRemaining: 5,
      resendAvailableAt: null,
      locale: 'en',
      undo: null,
    }),
  },
  sender: {
    send: async (mail) => {
      code = mail.code;
    },
  },
  policy: { sendLimits: [], resendCooldownSeconds: 0 },
});

let n = 0;
const email = () => `ada.${n++ % 50_000}@example.com`;

const cycleOf = (f) => async () => {
  const started = await f.start({ email: email(), purpose: 'login' });
  const checked = await f.verify({ ...started, code, purpose: 'login' });
  if (!checked.ok) throw new Error(`bench: flow verify failed: ${checked.error.code}`);
};
const flowCycle = cycleOf(flow);
const noStateCycle = cycleOf(noState);

function pureCycle() {
  const c = createMailboxChallenge(
    { email: email(), purpose: 'login', message: { appName: 'Acme' } },
    { keys },
  );
  const checked = verifyMailboxChallenge({ ...c, purpose: 'login' }, { keys });
  if (!checked.ok) throw new Error('bench: pure verify failed');
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function rate(fn, batchMs) {
  let count = 0;
  const start = cpuMs();
  while (cpuMs() - start < batchMs) {
    for (let i = 0; i < 50; i++) await fn();
    count += 50;
  }
  return (count * 1000) / (cpuMs() - start);
}

const cases = {
  'flow start + verify (memory store)': flowCycle,
  'create + verify (pure layer)': pureCycle,
  'flow over a store that keeps nothing': noStateCycle,
};
for (const fn of Object.values(cases)) await rate(fn, 700); // warm-up
const rates = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round < 11; round++) {
  for (const [name, fn] of Object.entries(cases)) rates[name].push(await rate(fn, 100));
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const flowRate = median(rates['flow start + verify (memory store)']);
const pureRate = median(rates['create + verify (pure layer)']);
const noStateRate = median(rates['flow over a store that keeps nothing']);

console.log('\nflow vs pure layer (CPU time, median of 11 interleaved rounds)');
console.log(
  `  create + verify, pure layer          ${Math.round(pureRate).toLocaleString('en-US')} cycles/s`,
);
console.log(
  `  flow start + verify, memory store    ${Math.round(flowRate).toLocaleString('en-US')} cycles/s`,
);
console.log(`  flow cost / pure cost                ${(pureRate / flowRate).toFixed(2)}x   (goal <= 1.5x)`);
console.log(
  `  the same over a store that keeps nothing: ${(pureRate / noStateRate).toFixed(2)}x (diagnostic: the flow's own work, before any store)`,
);
export const flowRatio = pureRate / flowRate;
