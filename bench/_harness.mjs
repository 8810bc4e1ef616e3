// A small, dependency-free benchmark harness: warm-up, then interleaved rounds so that every case sees
// the same machine state, reporting the median rate. Figures are only compared as ratios within one run.

// Cases are sync functions; async work is measured separately by callers that need it.
export function measure(cases, { rounds = 7, roundMs = 300, warmupMs = 1000 } = {}) {
  const rates = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (const fn of Object.values(cases)) {
    const until = performance.now() + warmupMs / Object.keys(cases).length;
    while (performance.now() < until) fn();
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      let n = 0;
      const start = performance.now();
      let now = start;
      while (now - start < roundMs) {
        for (let i = 0; i < 50; i++) fn();
        n += 50;
        now = performance.now();
      }
      rates[name].push((n * 1000) / (now - start));
    }
  }
  return Object.fromEntries(
    Object.entries(rates).map(([name, xs]) => [name, xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]]),
  );
}

export const fmt = (opsPerSecond) =>
  opsPerSecond >= 1000
    ? `${Math.round(opsPerSecond).toLocaleString('en-US')} ops/s`
    : `${opsPerSecond.toFixed(1)} ops/s`;

export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const row of rows) console.log(row.map((c, i) => String(c).padEnd(widths[i])).join('  '));
}
