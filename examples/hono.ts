import { Hono } from 'hono';
import { createMailboxFlow, type MailSender, parseKeys } from 'mailbox-challenge';
import { createMailboxHandlers } from 'mailbox-challenge/http';

export function createApp(sender: MailSender) {
  const flow = createMailboxFlow({
    keys: parseKeys(process.env.MAILBOX_KEYS ?? ''),
    appName: 'Acme',
    sender,
  });
  const auth = createMailboxHandlers({
    flow,
    purposes: ['signup', 'login'],
    // The address is proven here: look the account up (or create it) and sign the person in.
    onVerified: (challenge) => Response.json({ ok: true, email: challenge.email }),
  });

  const app = new Hono();
  app.all('/auth/*', (c) => auth.fetch(c.req.raw));
  return app; // Node: serve(app) from @hono/node-server; Bun, Deno, workers: export default app
}
