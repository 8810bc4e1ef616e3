// The demo's pages: server-rendered HTML; the sign-in widget is driven by public/app.js.
import { escapeHtml as esc } from '../../src/email/_escape.js';
import type { OutboxEntry } from './outbox.js';

function layout(title: string, body: string, dev: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · mailbox-challenge demo</title><link rel="stylesheet" href="/style.css">
<script src="/app.js" defer></script></head>
<body><header><a href="/" class="brand">mailbox-challenge demo</a>${dev ? ' <a href="/dev/outbox" target="_blank">Dev outbox</a>' : ''}</header>
<main>${body}</main></body></html>`;
}

const TITLES: Record<string, [string, string]> = {
  login: ['Sign in', 'We will email you a code. No password.'],
  signup: ['Create an account', 'Enter your email address; we will send a code to prove it is yours.'],
  'email-change': [
    'Change your email address',
    'We will send a code to the new address, and tell the old one.',
  ],
};

/** Email → code, for one purpose. */
export function authPage(purpose: string, dev: boolean): string {
  const [title, lead] = TITLES[purpose]!;
  const other =
    purpose === 'login'
      ? '<p>New here? <a href="/signup">Create an account</a></p>'
      : purpose === 'signup'
        ? '<p>Have an account? <a href="/login">Sign in</a></p>'
        : '<p><a href="/">Back</a></p>';
  return layout(
    title,
    `<section id="auth" data-purpose="${esc(purpose)}">
<h1>${esc(title)}</h1>
<p class="lead">${esc(lead)}</p>
<p id="message" role="alert" data-code="" hidden></p>
<form id="email-step" hidden>
  <label for="email">${purpose === 'email-change' ? 'New email address' : 'Email address'}</label>
  <input id="email" name="email" type="email" autocomplete="email" required autofocus>
  <button type="submit">Send me a code</button>
</form>
<form id="code-step" hidden>
  <p id="sent-to"></p>
  <label for="code">Code from the email</label>
  <input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required spellcheck="false">
  <button type="submit">Continue</button>
  <p class="hint"><span id="attempts"></span> <span id="expires"></span></p>
  <p><button type="button" id="resend" class="link">Send a new code</button> <span id="cooldown" aria-live="polite"></span></p>
  <p><button type="button" id="cancel" class="link">Use another address</button></p>
</form>
${other}
</section>`,
    dev,
  );
}

export function homePage(email: string, notice: string | null, dev: boolean): string {
  return layout(
    'Signed in',
    `<h1>You are signed in</h1>
${notice ? `<p id="notice" class="notice">${esc(notice)}</p>` : ''}
<p>Signed in as <strong id="signed-in-email">${esc(email)}</strong>.</p>
<p><a href="/change-email" id="change-email">Change email address</a></p>
<form method="post" action="/logout"><button type="submit" id="sign-out">Sign out</button></form>`,
    dev,
  );
}

export function outboxPage(entries: readonly OutboxEntry[]): string {
  const items = [...entries]
    .reverse()
    .map(
      (m, i) => `<article class="mail">
<h2>${esc(m.subject)}</h2><p class="meta">To <strong>${esc(m.to)}</strong> · ${esc(m.sentAt)}</p>
<iframe title="Email ${entries.length - i}" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${esc(m.html)}"></iframe>
<details><summary>Plain text</summary><pre>${esc(m.text)}</pre></details></article>`,
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dev outbox</title>
<link rel="stylesheet" href="/style.css"></head><body class="outbox"><h1>Dev outbox</h1>
<p>Every email the demo sent, newest first (development only). JSON, newest last: <a href="/dev/outbox.json">/dev/outbox.json</a></p>
${items || '<p>No email yet.</p>'}</body></html>`;
}
