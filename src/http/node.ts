import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequest, sendResponse } from '@remix-run/node-fetch-server';

/** Options of {@link toNodeHandler}. */
export interface NodeHandlerOptions {
  /**
   * Trust `Forwarded` / `X-Forwarded-Host` / `X-Forwarded-Proto` for the request URL (its origin is what POSTs
   * are checked against, and whether cookies are Secure). Only behind a proxy that overwrites them.
   */
  trustProxy?: boolean;
  /** Fixed host (`app.example.com`) of every request URL, instead of the Host header. */
  host?: string;
  /** Fixed protocol (`https:`) of every request URL, e.g. behind a TLS-terminating proxy. */
  protocol?: string;
}

/** A Node `http` request listener that is also Express middleware. */
export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** Express keeps the mount path in `originalUrl` and the body a parser already read in `body`. */
type ExpressLike = IncomingMessage & { originalUrl?: string; body?: unknown };

/**
 * Serves a Fetch handler (`(Request) => Response`, such as `createMailboxHandlers(...).fetch`) from Node's
 * `http.createServer` or as Express middleware. The Node ↔ Fetch bridge is `@remix-run/node-fetch-server`.
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
 * import { toNodeHandler } from 'mailbox-challenge/http/node';
 *
 * createServer(toNodeHandler(async () => new Response('hello'))).listen(3000);
 * ```
 */
export function toNodeHandler(
  handler: (request: Request) => Response | Promise<Response>,
  options: NodeHandlerOptions = {},
): NodeHandler {
  return (req, res, next) => {
    const run = async () => {
      let request = createRequest(req, res, options);
      const express = req as ExpressLike;
      const parsed = express.body !== undefined && req.readableEnded;
      if (typeof express.originalUrl === 'string' || parsed) {
        const url = new URL(express.originalUrl ?? req.url ?? '/', request.url);
        const headers = new Headers(request.headers);
        let body: BodyInit | null = request.body;
        if (parsed) {
          headers.set('content-type', 'application/json');
          headers.delete('content-length');
          body = JSON.stringify(express.body ?? {});
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
      console.error('mailbox-challenge/http/node: handler failed', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Internal Server Error');
    });
  };
}
