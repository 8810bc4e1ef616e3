import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { PURPOSE_KINDS } from '../../src/email/_kinds.js';
import { parseKeys } from '../../src/index.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

const dir = mkdtempSync(join(tmpdir(), 'mailbox-preview-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mailbox-challenge CLI', () => {
  it('keygen prints one MAILBOX_KEYS=id:secret line (for >> .env) whose value parseKeys accepts', async () => {
    const a = io();
    expect(await main(['keygen'], a.io)).toBe(0);
    expect(a.out).toHaveLength(1);
    expect(a.out[0]).toMatch(/^MAILBOX_KEYS=k\d{8}T\d{6}:[A-Za-z0-9_-]{43}$/);
    expect(parseKeys(a.out[0]!.slice('MAILBOX_KEYS='.length))[0]!.id).toMatch(/^k\d{8}T\d{6}$/);

    const b = io();
    expect(await main(['keygen', 'prod-2026', '--raw'], b.io)).toBe(0);
    expect(b.out[0]).toMatch(/^prod-2026:[A-Za-z0-9_-]{43}$/);
    expect(b.out[0]).not.toBe(a.out[0]);

    const c = io();
    expect(await main(['keygen', 'bad id!'], c.io)).toBe(1);
    expect(c.err.join('')).toMatch(/key id/);
  });

  it('prints help, and fails on an unknown command', async () => {
    const help = io();
    expect(await main(['--help'], help.io)).toBe(0);
    expect(help.out.join('')).toMatch(/keygen[\s\S]*preview[\s\S]*--locale[\s\S]*--purpose[\s\S]*--out/);
    const unknown = io();
    expect(await main(['frobnicate'], unknown.io)).toBe(1);
    expect(unknown.err.join('')).toMatch(/Unknown command "frobnicate"/);
    expect(await main([], io().io)).toBe(1);
  });

  it('preview writes HTML and text for the chosen locale and purposes', async () => {
    const run = io();
    const code = await main(
      ['preview', '--locale', 'fr', '--out', dir, '--no-screenshots', '--app-name', 'Zèbre'],
      run.io,
    );
    expect(code).toBe(0);
    // Every purpose with its own wording (from the template build), the neutral one, and the notice.
    const previews = [...PURPOSE_KINDS.filter((k) => k !== 'default'), 'verify', 'notice'];
    for (const purpose of previews) {
      expect(readFileSync(join(dir, `${purpose}.fr.html`), 'utf8')).toMatch(
        /^<!doctype html><html lang="fr"/,
      );
      expect(readFileSync(join(dir, `${purpose}.fr.txt`), 'utf8')).toMatch(/^Subject: .*Zèbre/);
    }
    expect(readFileSync(join(dir, 'login.fr.txt'), 'utf8')).toContain('\n428193\n');
    expect(existsSync(join(dir, 'login.en.html'))).toBe(false);
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('login.fr.html');
    expect(run.out.join('')).toMatch(new RegExp(`Wrote ${previews.length} emails`));
  });

  it('preview refuses an unknown locale and a bad option', async () => {
    const a = io();
    expect(await main(['preview', '--locale', 'xx', '--out', dir], a.io)).toBe(1);
    expect(a.err.join('')).toMatch(/--locale must be one of ar, cs, da, de, en/);
    const b = io();
    expect(await main(['preview', '--color', 'red', '--out', dir, '--no-screenshots'], b.io)).toBe(1);
    expect(b.err.join('')).toMatch(/primaryColor/);
    const c = io();
    expect(await main(['preview', '--bogus'], c.io)).toBe(1);
  });
});
