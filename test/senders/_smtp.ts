// A throwaway SMTP server for the tests (loopback only, a free port, plain text, no auth), and a small MIME
// reader for what it receives. The reader is written here rather than taken from nodemailer, so the test
// decodes the message independently of the code that encoded it.
import type { AddressInfo } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import { SMTPServer } from 'smtp-server';

const HOST = '127.0.0.1';

/** One message as the server got it: the SMTP envelope and the raw bytes after DATA. */
export interface ReceivedMessage {
  mailFrom: string | null;
  rcptTo: string[];
  raw: Buffer;
}

export interface TestSmtpServer {
  readonly port: number;
  /** Every message accepted, oldest first. */
  readonly messages: ReceivedMessage[];
  /** A nodemailer SMTP transport pointed at this server, closed by `stop()`. */
  transport(): Transporter;
  stop(): Promise<void>;
}

export interface TestSmtpServerOptions {
  /** Refuses RCPT TO for the addresses it returns true for, with `550 5.1.1`. */
  rejectRecipient?: (address: string) => boolean;
}

/** Starts a server on a free 127.0.0.1 port; call `stop()` after the tests. */
export async function startSmtpServer(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMessage[] = [];
  const transports: Transporter[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    secure: false,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipient?.(address.address)) {
        const error = Object.assign(new Error('5.1.1 Mailbox unavailable'), { responseCode: 550 });
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        messages.push({
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    messages,
    transport() {
      const transport = nodemailer.createTransport({ host: HOST, port, secure: false, ignoreTLS: true });
      transports.push(transport);
      return transport;
    },
    async stop() {
      for (const t of transports) t.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// MIME reading: just enough of RFC 5322 (unfolding), RFC 2045 (quoted-printable, base64), RFC 2046
// (multipart) and RFC 2047 (encoded words) for the messages these tests send. UTF-8 only.

export interface MimePart {
  /** Unfolded header fields in order, names as written. Values are raw (still encoded). */
  headers: Array<[name: string, value: string]>;
  /** The first value of a header (case-insensitive), unfolded and raw; undefined when absent. */
  header(name: string): string | undefined;
  /** Every value of a header. */
  headerAll(name: string): string[];
  /** e.g. `text/plain`, lower-cased. */
  contentType: string;
  params: Record<string, string>;
  /** Leaf parts: the decoded body. */
  body: string;
  /** Multipart: the child parts. */
  parts: MimePart[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeQuotedPrintable(text: string, headerMode = false): Buffer {
  const source = headerMode ? text.replace(/_/g, ' ') : text.replace(/=\r?\n/g, ''); // soft line breaks
  const bytes: number[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(source.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(source.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c.charCodeAt(0) & 0xff); // the message was read as latin1: one char per byte
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047: `=?utf-8?B?...?=` and `=?utf-8?Q?...?=`; whitespace between two encoded words is dropped. */
export function decodeWords(value: string): string {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(word, (_all, charset: string, encoding: string, text: string) => {
    if (!/^utf-8$/i.test(charset)) throw new Error(`unexpected charset ${charset}`);
    const bytes = /b/i.test(encoding) ? Buffer.from(text, 'base64') : decodeQuotedPrintable(text, true);
    return utf8.decode(bytes);
  });
}

function parseContentType(value = 'text/plain'): { type: string; params: Record<string, string> } {
  const [type, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    const v = param.slice(eq + 1).trim();
    params[param.slice(0, eq).trim().toLowerCase()] = v.startsWith('"') ? v.slice(1, -1) : v;
  }
  return { type: type!.trim().toLowerCase(), params };
}

/** Parses a raw message (or part) into headers and decoded bodies. */
export function parseMime(raw: Buffer | string): MimePart {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const rawBody = split < 0 ? '' : text.slice(split + 4);
  const headers: Array<[string, string]> = [];
  for (const line of head.split('\r\n')) {
    if (/^[ \t]/.test(line) && headers.length)
      headers[headers.length - 1]![1] += line; // unfold (RFC 5322 §2.2.3)
    else if (line) {
      const colon = line.indexOf(':');
      headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
  }
  const headerAll = (name: string) =>
    headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
  const header = (name: string) => headerAll(name)[0];
  const { type, params } = parseContentType(header('Content-Type'));
  const part: MimePart = { headers, header, headerAll, contentType: type, params, body: '', parts: [] };
  if (type.startsWith('multipart/')) {
    const delimiter = `--${params.boundary}`;
    const sections = rawBody.split(`\r\n${delimiter}`);
    // The first section is the preamble (it starts with the delimiter itself); the last starts with "--".
    const [first, ...others] = sections;
    const bodies = [first!.startsWith(delimiter) ? first!.slice(delimiter.length) : null, ...others];
    for (const body of bodies) {
      if (body === null || body.startsWith('--')) continue;
      part.parts.push(parseMime(body.replace(/^[ \t]*\r\n/, '')));
    }
    return part;
  }
  const encoding = (header('Content-Transfer-Encoding') ?? '7bit').toLowerCase();
  const bytes =
    encoding === 'base64'
      ? Buffer.from(rawBody.replace(/\s+/g, ''), 'base64')
      : encoding === 'quoted-printable'
        ? decodeQuotedPrintable(rawBody)
        : Buffer.from(rawBody, 'latin1');
  part.body = utf8.decode(bytes);
  return part;
}

/** Every leaf part, depth first. */
export function leafParts(part: MimePart): MimePart[] {
  return part.parts.length ? part.parts.flatMap(leafParts) : [part];
}
