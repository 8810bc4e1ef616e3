// What a TSDoc or README example may use without defining it: the host app around the library (its
// request, response, users, mailer) and the values a real app has at hand (its keys, its flow). Each name has
// the type a real app would give it, so an example stays honest: it cannot call a method the host does
// not have, nor pass the library a value of the wrong shape. Library functions are NOT here: an example
// gets them from the package's own entries (imported by examples.test.ts when the example does not import
// them), so a renamed or removed export fails its examples.
//
// Add a name only when it is the host's (or a value the reader has plainly created earlier), never to make
// a wrong example compile.
import type { Transporter } from 'nodemailer';
import type { MailboxFlow, MailboxKeys, MailSender } from '../../src/index.js';
import type { TestClock } from '../../src/testing/index.js';

/** The fields the examples' forms post, as the app has them after validating its body. */
export interface HostBody {
  email: string;
  challengeId: string;
  code: string;
  newEmail: string;
}

/** The examples keep the secret in one HTTP-only cookie, `mc`. */
export interface HostCookies {
  mc: string;
}

/**
 * An Express-like request, only as much as the examples read. Body and cookies are typed as an app has them
 * after its own parsing and validation (Express itself types them `any`); headers as Node types them.
 */
export interface HostRequest {
  body: HostBody;
  headers: Record<string, string | undefined>;
  cookies: HostCookies;
  get(header: string): string | undefined;
}

/** An Express-like response. */
export interface HostResponse {
  status(code: number): HostResponse;
  json(body: unknown): HostResponse;
  cookie(
    name: string,
    value: string,
    options: { httpOnly?: boolean; secure?: boolean; sameSite?: 'lax' | 'strict'; maxAge?: number },
  ): HostResponse;
  clearCookie(name: string): HostResponse;
}

export interface HostUser {
  id: string;
  email: string;
}

export interface HostContext {
  /** `parseKeys(process.env.MAILBOX_KEYS)`, loaded once at start-up. */
  keys: MailboxKeys;
  /** The app's mail sender (nodemailerSender, consoleSender, a test outbox...). */
  sender: MailSender;
  /** A flow the app created with createMailboxFlow. */
  flow: MailboxFlow;
  /** A nodemailer transport (`nodemailer.createTransport(...)`). */
  transport: Transporter;
  /** SMTP credentials. */
  auth: { user: string; pass: string };
  /** A test clock from createTestClock. */
  clock: TestClock;
  /** Values a request carries: the challenge id from the form, the secret from the cookie, the typed code. */
  challengeId: string;
  secret: string;
  code: string;
  /** Parsed cookies and body, where an example reads them without a framework. */
  cookies: HostCookies;
  body: HostBody;
  /** A server-side session (express-session and the like). */
  session: { challenge?: { challengeId: string; secret: string } } & Record<string, unknown>;
  req: HostRequest;
  res: HostResponse;
  app: { post(path: string, handler: (req: HostRequest, res: HostResponse) => unknown): void };
  /** The app's user table. */
  users: { findByEmail(email: string): Promise<HostUser | null>; create(email: string): Promise<string> };
  user: HostUser;
  /** The app's session: signs the person in. */
  signIn(...args: unknown[]): Promise<void>;
  /** Answers the person (a form error, a JSON body). */
  reply(message: string): void;
  /** The app's own mailer, for messages the flow does not send. */
  mailer: { send(mail: { to: string; subject: string; html: string; text: string }): Promise<void> };
}
