// The `mailbox-challenge` command: `keygen` for MAILBOX_KEYS, `preview` to look at every built-in email.
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import './locales.js'; // the preview shows every built-in locale
import { PURPOSE_KINDS } from './email/_kinds.js';
import { type Locale, SUPPORTED_LOCALES } from './email/locale.js';
import { renderNotice } from './email/notice.js';
import {
  type MessageOptions,
  messageOptionsSchema,
  type RenderedMessage,
  renderChallengeMessage,
} from './email/render.js';
import { MailboxChallengeError } from './errors.js';
import { generateKey } from './keys.js';
import { parseInput } from './lib/_schema.js';

const HELP = `Usage: mailbox-challenge <command> [options]

Commands:
  keygen [id]          Print a new random key as a MAILBOX_KEYS=id:secret line, so
                       \`npx mailbox-challenge keygen >> .env\` works. --raw prints only id:secret.
                       To rotate: MAILBOX_KEYS=new:secret,old:secret (the new key first), and drop the old
                       one after ttlSeconds + resendWindowSeconds (70 minutes by default).
  preview [options]    Write every built-in email as HTML and plain text, and PNG screenshots at 375 and
                       680 px, light and dark, plus one contact sheet per purpose showing every locale,
                       when Chromium is available, so a person can look at them.

Preview options:
  --locale L           Only this locale (${SUPPORTED_LOCALES.join(', ')}).
                       Default: all.
  --purpose P          Only this purpose: ${PURPOSE_KINDS.filter((k) => k !== 'default').join(', ')}, notice (sent to the old address
                       on an email change), or any other purpose (neutral wording). Default: all.
  --out DIR            Output folder. Default: ./.preview
  --app-name NAME      App name in the emails. Default: Acme
  --color HEX          Brand colour (#rgb or #rrggbb).
  --logo URL           Logo URL (https), shown at --logo-size (default 120x32).
  --logo-size WxH      The logo's display size in CSS pixels.
  --link TEMPLATE      One-click link template, e.g. "https://example.com/verify?c={challengeId}&k={code}".
                       Default: that example; "none" for no link.
  --template FILE      Preview your own MJML layout (compiled with compileTemplate) instead of the built-in one.
  --no-screenshots     Skip the PNG screenshots.

Chromium: set CHROMIUM_PATH, or install it (apt-get install -y chromium) and playwright-core.

  -h, --help           Show this help.
`;

// Every purpose with its own wording, one that reads neutrally ("verify"), and the notice to the old address.
const PREVIEW_PURPOSES = [...PURPOSE_KINDS.filter((k) => k !== 'default'), 'verify', 'notice'];
const WIDTHS = [375, 680] as const;
const SCHEMES = ['light', 'dark'] as const;
const SAMPLE = {
  code: '428193',
  challengeId: 'Qm9vdHN0cmFwUHJldmlldw',
  email: 'ada.lovelace@example.com',
  newEmail: 'ada@analytical.example',
  ttlSeconds: 600,
  link: 'https://example.com/verify?c={challengeId}&k={code}',
  supportText: 'Questions? Reply to this email or write to help@example.com.',
};

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Runs the command line; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '-h' || command === '--help' || command === 'help') {
      io.out(HELP);
      return command ? 0 : 1;
    }
    if (command === 'keygen') return keygen(rest, io);
    if (command === 'preview') return await preview(rest, io);
    io.err(`Unknown command "${command}".\n\n${HELP}`);
    return 1;
  } catch (error) {
    io.err(
      error instanceof MailboxChallengeError || error instanceof TypeError ? error.message : String(error),
    );
    return 1;
  }
}

function keygen(args: readonly string[], io: CliIo): number {
  if (args.includes('-h') || args.includes('--help')) {
    io.out(
      'Usage: mailbox-challenge keygen [id] [--raw]\nPrints a new key as a MAILBOX_KEYS=id:secret line (--raw: only id:secret).',
    );
    return 0;
  }
  const raw = args.includes('--raw');
  const id = args.find((a) => a !== '--raw');
  const key = id === undefined ? generateKey() : generateKey(id);
  io.out(raw ? `${key.id}:${key.secret}` : `MAILBOX_KEYS=${key.id}:${key.secret}`);
  return 0;
}

interface PreviewFile {
  name: string;
  locale: Locale;
  purpose: string;
  message: RenderedMessage;
}

async function preview(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      locale: { type: 'string' },
      purpose: { type: 'string' },
      out: { type: 'string', default: '.preview' },
      'app-name': { type: 'string', default: 'Acme' },
      color: { type: 'string' },
      logo: { type: 'string' },
      'logo-size': { type: 'string', default: '120x32' },
      link: { type: 'string', default: SAMPLE.link },
      template: { type: 'string' },
      'no-screenshots': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  let locales: readonly Locale[] = SUPPORTED_LOCALES;
  if (values.locale !== undefined) {
    const wanted = SUPPORTED_LOCALES.find((l) => l.toLowerCase() === values.locale?.toLowerCase());
    if (!wanted) {
      io.err(`--locale must be one of ${SUPPORTED_LOCALES.join(', ')}`);
      return 1;
    }
    locales = [wanted];
  }
  const purposes = values.purpose === undefined ? PREVIEW_PURPOSES : [values.purpose];

  const [width = 0, height = 0] = values['logo-size'].split('x').map(Number);
  const brand = {
    ...(values.color !== undefined && { primaryColor: values.color }),
    ...(values.logo !== undefined && { logo: { url: values.logo, width, height } }),
  };
  const base: MessageOptions = {
    appName: values['app-name'],
    supportText: SAMPLE.supportText,
    ...(Object.keys(brand).length && { brand }),
    ...(values.link !== 'none' && { link: { urlTemplate: values.link } }),
  };
  if (values.template !== undefined) {
    const { compileTemplate } = await import('./templates/compile.js');
    const filePath = resolve(values.template);
    base.template = await compileTemplate(readFileSync(filePath, 'utf8'), { filePath });
  }
  const options = parseInput(messageOptionsSchema(), base, 'options');

  const files: PreviewFile[] = [];
  for (const purpose of purposes) {
    for (const locale of locales) {
      const message =
        purpose === 'notice'
          ? renderNotice({
              email: SAMPLE.email,
              newEmail: SAMPLE.newEmail,
              options: {
                ...options,
                locale,
                notice: {
                  notMeUrl: 'https://example.com/account/not-me',
                  supportUrl: 'mailto:help@example.com',
                },
              },
            })
          : renderChallengeMessage({ ...SAMPLE, purpose, options: { ...options, locale } });
      files.push({ name: `${purpose}.${locale}`, locale, purpose, message });
    }
  }

  const outDir = resolve(values.out);
  mkdirSync(outDir, { recursive: true });
  for (const f of files) {
    writeFileSync(join(outDir, `${f.name}.html`), f.message.html);
    writeFileSync(join(outDir, `${f.name}.txt`), `Subject: ${f.message.subject}\n\n${f.message.text}`);
  }
  const shots = values['no-screenshots'] ? null : await screenshots(outDir, files, io);
  writeFileSync(join(outDir, 'index.html'), indexPage(files, shots !== null));
  const largest = Math.max(...files.map((f) => Buffer.byteLength(f.message.html)));
  io.out(
    `Wrote ${files.length} emails (HTML and text${shots ? `, ${shots} screenshots` : ''}) to ${outDir}` +
      `\nLargest HTML: ${largest} bytes (Gmail clips above 102,400). Open ${join(outDir, 'index.html')}`,
  );
  return 0;
}

function findChromium(): string | null {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  ];
  return candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
}

/** PNG screenshots of every email, light and dark. Returns how many, or null when Chromium is unavailable. */
async function screenshots(outDir: string, files: readonly PreviewFile[], io: CliIo): Promise<number | null> {
  const executablePath = findChromium();
  // A variable specifier keeps bundlers from inlining playwright-core, an optional tool, into the CLI.
  const playwrightModule = 'playwright-core';
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = (await import(playwrightModule)) as typeof import('playwright-core'));
  } catch {
    io.err('Screenshots skipped: install playwright-core (npm i -D playwright-core) to take them.');
    return null;
  }
  if (!executablePath) {
    io.err(
      'Screenshots skipped: Chromium not found. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.',
    );
    return null;
  }
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  let count = 0;
  try {
    for (const colorScheme of SCHEMES) {
      for (const width of WIDTHS) {
        const page = await browser.newPage({ colorScheme, viewport: { width, height: 900 } });
        for (const f of files) {
          await page.setContent(f.message.html, { waitUntil: 'load' });
          await page.screenshot({ path: join(outDir, shotName(f, width, colorScheme)), fullPage: true });
          count++;
        }
        await page.close();
      }
    }
    // One contact sheet per purpose: every locale at phone width, light beside dark, in one PNG.
    const page = await browser.newPage({ viewport: { width: 1800, height: 900 } });
    for (const purpose of new Set(files.map((f) => f.purpose))) {
      const sheet = join(outDir, `sheet.${purpose}.html`);
      writeFileSync(
        sheet,
        contactSheet(
          purpose,
          files.filter((f) => f.purpose === purpose),
        ),
      );
      await page.goto(pathToFileURL(sheet).href, { waitUntil: 'load' });
      await page.screenshot({ path: join(outDir, `sheet.${purpose}.png`), fullPage: true });
      count++;
    }
    await page.close();
  } finally {
    await browser.close();
  }
  return count;
}

const shotName = (f: PreviewFile, width: number, scheme: string) => `${f.name}.${width}.${scheme}.png`;

function contactSheet(purpose: string, files: readonly PreviewFile[]): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const tiles = files
    .map(
      (f) =>
        `<figure><figcaption>${esc(f.locale)} · ${esc(f.message.subject)}</figcaption><div><img src="${shotName(f, 375, 'light')}"><img src="${shotName(f, 375, 'dark')}"></div></figure>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><meta charset="utf-8"><style>body{margin:16px;font:13px system-ui,sans-serif;background:#e4e4e7}h1{font-size:18px}main{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}figure{margin:0;background:#fff;padding:6px;border-radius:6px}figcaption{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;margin-bottom:4px}figure div{display:flex;gap:4px;align-items:flex-start}img{width:50%;border:1px solid #ccc}</style><h1>${esc(purpose)}: ${files.length} locales, 375 px, light and dark</h1><main>${tiles}</main></html>\n`;
}

/** Flags for a headless Chromium that makes no network calls of its own. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function indexPage(files: readonly PreviewFile[], withShots: boolean): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const rows = files
    .map((f) => {
      const shots = withShots
        ? WIDTHS.flatMap((w) =>
            SCHEMES.map((c) => `<td><img src="${shotName(f, w, c)}" width="${w === 375 ? 188 : 300}"></td>`),
          ).join('')
        : '';
      return `<tr><td><b>${esc(f.purpose)}</b> · ${f.locale}<br>${esc(f.message.subject)}<br><a href="${f.name}.html">HTML</a> (${Buffer.byteLength(f.message.html)} B) · <a href="${f.name}.txt">text</a></td>${shots}</tr>`;
    })
    .join('\n');
  const sheets = withShots
    ? `<p>Contact sheets: ${[...new Set(files.map((f) => f.purpose))].map((p) => `<a href="sheet.${esc(p)}.png">${esc(p)}</a>`).join(' · ')}</p>`
    : '';
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>mailbox-challenge preview</title><style>body{font:14px system-ui,sans-serif;margin:24px}td{vertical-align:top;padding:8px;border-bottom:1px solid #ddd}img{border:1px solid #ccc}</style><h1>mailbox-challenge preview</h1>${sheets}<table>${rows}</table></html>\n`;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const invokedDirectly = (() => {
  try {
    return !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
})();
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}
