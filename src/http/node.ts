// The Node ↔ Fetch bridge is @remix-run/node-fetch-server, loaded on the first request: the rest of this
// entry runs where node:http does not exist (workers, Deno, Bun), and only toNodeHandler needs it.
import type * as http from 'node:http';

/** Options of {@link toNodeHandler}. */
export interface NodeHandlerOptions {
  /**
   * Trust `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto` for the request URL (its origin is what
   * POSTs are checked against, and whether cookies are Secure). Only behind a proxy that overwrites them.
   */
  trustProxy?: boolean;
  /** Fixed host (`app.example.com`) of every request URL, instead of the Host header. */
  host?: string;
  /** Fixed protocol (`https:`) of every request URL, e.g. behind a TLS-terminating proxy. */
  protocol?: string;
}

/**
 * The parts of Node's `IncomingMessage` this adapter reads (typed structurally, so these types load without
 * `@types/node`). Express adds `originalUrl` (the URL before its mount path was cut) and `body` (what a body
 * parser already read).
 */
export interface NodeRequestLike {
  url?: string | undefined;
  method?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  readableEnded?: boolean;
  originalUrl?: string;
  body?: unknown;
}

/** The parts of Node's `ServerResponse` this adapter uses. */
export interface NodeResponseLike {
  readonly headersSent: boolean;
  end(chunk?: unknown): unknown;
}

/** A Node `http` request listener that is also Express middleware. */
export type NodeHandler = (
  req: NodeRequestLike,
  res: NodeResponseLike,
  next?: (error?: unknown) => void,
) => void;

type Bridge = typeof import('@remix-run/node-fetch-server');
let bridge: Promise<Bridge> | undefined;

/**
 * Serves a Fetch handler (`(Request) => Response`, such as `createMailboxHandlers(...).fetch`) from Node's
 * `http.createServer`, or as Express middleware.
 *
 * Under Express, mount it with `app.use('/auth', toNodeHandler(auth.fetch))`; it works before or after
 * `express.json()` / `express.urlencoded()` (a body they already parsed is passed on as JSON).
 *
 * @param handler - Any Fetch handler.
 * @param options - How to build the request URL behind a proxy.
 * @returns `(req, res, next?)`; an error thrown by `handler` goes to `next` when given, else answers 500.
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { toNodeHandler } from 'mailbox-challenge/http';
 *
 * createServer(toNodeHandler(async () => new Response('hello'))).listen(3000);
 * ```
 */
export function toNodeHandler(
  handler: (request: Request) => Response | Promise<Response>,
  options: NodeHandlerOptions = {},
): NodeHandler {
  return (nodeReq, nodeRes, next) => {
    const req = nodeReq as http.IncomingMessage & NodeRequestLike;
    const res = nodeRes as unknown as http.ServerResponse;
    const run = async () => {
      bridge ??= import('@remix-run/node-fetch-server');
      const { createRequest, sendResponse } = await bridge;
      let request = createRequest(req, res, options);
      const parsed = req.body !== undefined && req.readableEnded === true;
      if (typeof req.originalUrl === 'string' || parsed) {
        // Joined as text, never resolved against the request's URL: a path such as `//evil.example/x` would
        // otherwise be read as scheme-relative and move the request (and its origin check) to another host.
        const path = req.originalUrl ?? req.url ?? '/';
        const url = new URL(`${new URL(request.url).origin}${path.startsWith('/') ? path : `/${path}`}`);
        const headers = new Headers(request.headers);
        let body: BodyInit | null = request.body;
        if (parsed) {
          headers.set('content-type', 'application/json');
          headers.delete('content-length');
          body = JSON.stringify(req.body ?? {});
        }
        const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
        request = new Request(url, {
          method: request.method,
          headers,
          signal: request.signal,
          ...(hasBody && { body, duplex: 'half' }),
        } as RequestInit);
      }
      await sendResponse(res, await handler(request));
    };
    run().catch((error: unknown) => {
      if (next) return next(error);
      console.error('mailbox-challenge/http: handler failed', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Internal Server Error');
    });
  };
}
