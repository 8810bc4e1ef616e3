// npm run demo: the demo app on http://localhost:3000 with nothing to configure.
//   PORT          port (default 3000; 0 picks a free one)
//   HOST          interface to listen on (default 127.0.0.1: the dev outbox shows codes, keep it off the network)
//   MAILBOX_KEYS  keys (default: a development key generated into .dev-keys.env, git-ignored)
//   REDIS_URL     use Redis for the counters instead of memory
//   SMTP_URL      really send the emails with nodemailer (MAIL_FROM sets the sender); the dev outbox still shows them
//   PUBLIC_URL    the address people reach the app at, for the one-click link (default http://localhost:PORT)
//   RESEND_COOLDOWN_SECONDS  wait between two emails of one challenge (default: the library's, 30)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { toNodeHandler } from '../../src/http/index.js';
import '../../src/locales.js'; // every built-in language for the emails and the error messages
import {
  type ChallengeStore,
  createMailboxFlow,
  generateKey,
  type MailSender,
  parseKeys,
} from '../../src/index.js';
import { createDemoApp } from './app.js';
import { createDevOutbox } from './outbox.js';

const APP_NAME = 'Mailbox Demo';
const production = process.env.NODE_ENV === 'production';
const root = join(import.meta.dirname, '..', '..');

/** Keys from the environment, else from (or newly into) the git-ignored development file. */
function loadSecrets(): { keys: string; session: string } {
  if (process.env.MAILBOX_KEYS && process.env.DEMO_SESSION_SECRET) {
    return { keys: process.env.MAILBOX_KEYS, session: process.env.DEMO_SESSION_SECRET };
  }
  if (production) {
    throw new Error(
      'NODE_ENV=production: set MAILBOX_KEYS and DEMO_SESSION_SECRET (npx mailbox-challenge keygen)',
    );
  }
  const file = process.env.DEMO_KEYS_FILE ?? join(root, '.dev-keys.env');
  if (!existsSync(file)) {
    const key = generateKey('dev');
    const session = generateKey('session').secret;
    writeFileSync(file, `MAILBOX_KEYS=${key.id}:${key.secret}\nDEMO_SESSION_SECRET=${session}\n`, {
      mode: 0o600,
    });
    console.warn(
      `\n  WARNING: generated a development key into ${file} (git-ignored).\n` +
        '  It is for this demo on this machine only: never use it in production.\n',
    );
  }
  const env = parseEnv(readFileSync(file, 'utf8'));
  return {
    keys: process.env.MAILBOX_KEYS ?? env.MAILBOX_KEYS ?? '',
    session: process.env.DEMO_SESSION_SECRET ?? env.DEMO_SESSION_SECRET ?? '',
  };
}

async function storeFromEnv(): Promise<ChallengeStore | undefined> {
  if (!process.env.REDIS_URL) return undefined;
  const { createClient } = await import('redis');
  const { redisStore } = await import('../../src/stores/redis.js');
  const client = createClient({ url: process.env.REDIS_URL });
  client.on('error', (e) => console.error('redis:', e.message));
  await client.connect();
  console.log(`Counters in Redis at ${process.env.REDIS_URL.replace(/\/\/[^@]*@/, '//***@')}`);
  return redisStore(client);
}

async function senderFromEnv(outbox: MailSender | undefined): Promise<MailSender> {
  const senders: MailSender[] = outbox ? [outbox] : [];
  if (process.env.SMTP_URL) {
    const nodemailer = await import('nodemailer');
    const { nodemailerSender } = await import('../../src/senders/nodemailer.js');
    const from = process.env.MAIL_FROM ?? `${APP_NAME} <demo@localhost>`;
    senders.push(nodemailerSender(nodemailer.createTransport(process.env.SMTP_URL), { from }));
    console.log(`Sending email through ${process.env.SMTP_URL.replace(/\/\/[^@]*@/, '//***@')}`);
  }
  if (senders.length === 0) throw new Error('NODE_ENV=production: set SMTP_URL');
  return { send: async (mail) => void (await Promise.all(senders.map((s) => s.send(mail)))) };
}

async function main() {
  const secrets = loadSecrets();
  const outbox = production ? undefined : createDevOutbox();
  const store = await storeFromEnv();
  const sender = await senderFromEnv(outbox);

  let app: ((request: Request) => Promise<Response>) | undefined;
  const server = createServer(
    toNodeHandler((request) =>
      app ? app(request) : Promise.resolve(new Response('Starting', { status: 503 })),
    ),
  );
  const port = Number(process.env.PORT ?? 3000);
  await new Promise<void>((resolve) => server.listen(port, process.env.HOST ?? '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  const publicUrl = (process.env.PUBLIC_URL ?? `http://localhost:${actual}`).replace(/\/$/, '');

  const flowWithLink = (urlTemplate: string) =>
    createMailboxFlow({
      keys: parseKeys(secrets.keys),
      appName: APP_NAME,
      sender,
      ...(store && { store }),
      message: { link: { urlTemplate } },
      ...(process.env.RESEND_COOLDOWN_SECONDS && {
        policy: { resendCooldownSeconds: Number(process.env.RESEND_COOLDOWN_SECONDS) },
      }),
      // Operators' view: one structured log line per event (no code, secret or address in any of them).
      onEvent: (event) =>
        console.log(JSON.stringify({ level: 'info', source: 'mailbox-challenge', ...event })),
    });
  let flow: ReturnType<typeof createMailboxFlow>;
  try {
    // The link carries its purpose where the flow fills {purpose} in link templates.
    flow = flowWithLink(`${publicUrl}/auth/link?p={purpose}&c={challengeId}&k={code}`);
  } catch {
    // Older flows: the confirm page finds the purpose from the cookie that holds the challenge.
    flow = flowWithLink(`${publicUrl}/auth/link?c={challengeId}&k={code}`);
  }
  app = await createDemoApp({
    flow,
    sessionSecret: secrets.session,
    ...(outbox && { outbox }),
  });
  console.log(`mailbox-challenge demo on ${publicUrl}`);
  if (outbox) console.log(`Emails: ${publicUrl}/dev/outbox (JSON: ${publicUrl}/dev/outbox.json)`);

  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
