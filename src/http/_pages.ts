// The one-click link's pages: plain server-rendered HTML, no script, so they work in any mail client's browser.
import { escapeHtml } from '../email/_escape.js';

/** What the link page must show; give `linkPage` to render it your way (and in your language). */
export type LinkPageView =
  | {
      /** Same browser as the start: a button that POSTs the code back (a GET never spends it). */
      kind: 'confirm';
      purpose: string;
      /** Form fields to post back unchanged to `action`. */
      fields: { p: string; c: string; k: string };
      action: string;
    }
  | {
      /** No challenge of this purpose in this browser: the person must type the code where they started. */
      kind: 'other-device';
      purpose: string | null;
      /** The code from the link (null when the link holds none), to copy into the other device. */
      code: string | null;
      startUrl: string;
    }
  | {
      /** The link cannot be used (spent, expired, superseded, locked, malformed). */
      kind: 'error';
      purpose: string | null;
      code: string;
      /** For people, from `describeError`, in `locale` (written `dir`). */
      message: string;
      locale: string;
      dir: 'ltr' | 'rtl';
      startUrl: string;
    };

const ACTION_LABEL: Record<string, string> = {
  login: 'Sign in',
  signup: 'Confirm my email address',
  'email-change': 'Confirm my new email address',
};

/** Headers every link page carries: never cached, never framed (clickjacking of the button), never indexed. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  // The GET URL holds the code: never send it to another origin.
  'referrer-policy': 'same-origin',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'x-robots-tag': 'noindex',
} as const;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}
button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:0;background:#1f4fd1;color:#fff;cursor:pointer}
.code{font:600 1.6rem/1.2 ui-monospace,monospace;letter-spacing:.2em}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}}</style>
</head><body>${body}</body></html>`;
}

/** The built-in English rendering of a {@link LinkPageView}. */
export function renderLinkPage(view: LinkPageView): string {
  switch (view.kind) {
    case 'confirm': {
      const label = ACTION_LABEL[view.purpose] ?? 'Confirm';
      const hidden = Object.entries(view.fields)
        .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
        .join('');
      return layout(
        label,
        `<h1>${escapeHtml(label)}</h1><p>Press the button to finish. This link works once.</p>
<form method="post" action="${escapeHtml(view.action)}">${hidden}<button type="submit" id="confirm">${escapeHtml(label)}</button></form>`,
      );
    }
    case 'other-device':
      return layout(
        'Continue where you started',
        `<h1>Continue where you started</h1>
<p>This link only works in the browser where you asked for it. Go back to that device and enter this code there:</p>
${view.code ? `<p class="code" id="code">${escapeHtml(view.code)}</p>` : ''}
<p>Or <a href="${escapeHtml(view.startUrl)}">start again here</a>.</p>`,
      );
    case 'error':
      return layout(
        'This link cannot be used',
        `<h1>This link cannot be used</h1><p id="message" data-code="${escapeHtml(view.code)}" lang="${escapeHtml(view.locale)}" dir="${view.dir === 'rtl' ? 'rtl' : 'ltr'}">${escapeHtml(view.message)}</p>
<p><a href="${escapeHtml(view.startUrl)}">Start again</a></p>`,
      );
  }
}
