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

const escapeXml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The summary as a small horizontal bar chart (SVG text). Every figure that has a goal is drawn as its
 * share of that goal, the same way round for all: value / goal where lower is better, goal / value where
 * higher is better. The line at 1 is the goal: a bar that ends left of it meets it.
 */
export function chartSvg(rows, meta) {
  const bars = rows.filter((r) => r.goal !== null && r.value > 0);
  const share = (r) => (r.lowerIsBetter ? r.value / r.goal : r.goal / r.value);
  const max = Math.max(1.5, ...bars.map(share));
  const labelW = 330;
  const plotW = 300;
  const rowH = 22;
  const top = 40;
  const width = labelW + plotW + 150;
  const height = top + bars.length * rowH + 40;
  const x = (v) => labelW + (Math.min(v, max) / max) * plotW;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12" role="img">`,
    '<title>mailbox-challenge benchmark figures, each as a share of its goal</title>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="18" font-size="13" font-weight="600">mailbox-challenge: each figure as a share of its goal (left of the line meets it)</text>`,
    `<text x="10" y="32" fill="#555">npm run bench, commit ${escapeXml(meta.commit ?? '?')}, node ${escapeXml(meta.node)}, ${escapeXml(meta.date.slice(0, 10))}, load average ${escapeXml(meta.loadAverage[0])}</text>`,
  ];
  bars.forEach((r, i) => {
    const y = top + i * rowH;
    const s = share(r);
    const value = `${r.value >= 100 ? Math.round(r.value).toLocaleString('en-US') : r.value.toFixed(r.unit === '×' ? 2 : 1)} ${r.unit} (goal ${r.lowerIsBetter ? '≤' : '≥'} ${r.goal})`;
    out.push(
      `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${escapeXml(r.label)}</text>`,
      `<rect x="${labelW}" y="${y + 4}" width="${(x(s) - labelW).toFixed(1)}" height="${rowH - 8}" fill="${s <= 1 ? '#2f855a' : '#c05621'}"/>`,
      `<text x="${(x(s) + 6).toFixed(1)}" y="${y + 15}" fill="#333">${escapeXml(value)}</text>`,
    );
  });
  const gx = x(1).toFixed(1);
  out.push(
    `<line x1="${gx}" y1="${top}" x2="${gx}" y2="${top + bars.length * rowH}" stroke="#222" stroke-dasharray="4 3"/>`,
    `<text x="${gx}" y="${top + bars.length * rowH + 14}" text-anchor="middle" fill="#222">goal</text>`,
    `<text x="10" y="${height - 8}" fill="#555">Ratios within one run on a shared 2-core machine; see README for the command.</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
