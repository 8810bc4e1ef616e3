import express from 'express';
import { createMailboxFlow, type MailSender, parseKeys } from 'mailbox-challenge';
import { createMailboxHandlers, toNodeHandler } from 'mailbox-challenge/http';

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

  const app = express();
  // POST /auth/start { email, purpose }, POST /auth/verify { purpose, code }, POST /auth/resend { purpose },
  // GET /auth/state?purpose=, POST /auth/cancel { purpose }, GET|POST /auth/link (the one-click link)
  app.use('/auth', toNodeHandler(auth.fetch));
  return app;
}
