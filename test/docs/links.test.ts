// The Markdown a reader follows: every relative link in README.md, CHANGELOG.md and docs/*.md points to a
// file that exists, and every #anchor to a heading that exists (GitHub's slug rules), so a renamed page or
// heading cannot leave a dead link behind. The changelog keeps its Keep a Changelog shape.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './_examples.js';

const pages = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
].filter((p) => existsSync(join(root, p)));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    const m = !inFence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

function links(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

describe('documentation links', () => {
  it('finds the pages', () => {
    expect(pages).toContain('README.md');
    expect(pages.length).toBeGreaterThan(3);
  });

  it.each(pages)('%s: every relative link and anchor resolves', (page) => {
    const text = readFileSync(join(root, page), 'utf8');
    const broken: string[] = [];
    for (const link of links(text)) {
      if (/^[a-z]+:/i.test(link)) continue; // https:, mailto:
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path ? join(root, dirname(page), decodeURIComponent(path)) : join(root, page);
      if (!existsSync(target)) {
        broken.push(`${link} (no ${relative(root, target)})`);
        continue;
      }
      if (anchor && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor)) {
        broken.push(`${link} (no heading #${anchor})`);
      }
    }
    expect(broken).toEqual([]);
  });
});

// Paths the pages name in code spans (`src/flow/state.ts`, `test/vectors/v1.json`): each must exist, so a
// moved file cannot leave a page pointing at nothing. Globs and placeholders (`*`, `<`, `{`) are skipped.
describe('files the documentation names', () => {
  const docs = pages.filter((p) => p.startsWith('docs/') || p === 'README.md');
  it.each(docs)('%s: every repository path in a code span exists', (page) => {
    const text = readFileSync(join(root, page), 'utf8');
    const named = [...text.matchAll(/`((?:src|test|templates|scripts|bench|examples|docs)\/[^`\s]+)`/g)]
      .map((m) => m[1]!.replace(/[),.:;]+$/, ''))
      .filter((p) => !/[*<{]/.test(p))
      // What a command makes (the API reference, a bench's own install) is not in a fresh clone.
      .filter((p) => !/^docs\/api(\/|$)|(^|\/)node_modules(\/|$)/.test(p));
    const missing = [...new Set(named)].filter((p) => !existsSync(join(root, p)));
    expect(missing).toEqual([]);
  });
});

describe('CHANGELOG.md', () => {
  const text = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');

  it('keeps an Unreleased section first, and states the token and store-record policy', () => {
    const versions = [...text.matchAll(/^## \[?([^\]\s]+)\]?/gm)].map((m) => m[1]);
    expect(versions[0]).toBe('Unreleased');
    expect(text).toMatch(/Token format/);
    expect(text).toMatch(/Store record/);
  });

  it('uses only the Keep a Changelog change types', () => {
    const types = [...text.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
    for (const t of types)
      expect(['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security']).toContain(t);
  });
});
