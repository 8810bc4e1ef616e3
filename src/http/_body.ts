// Request bodies: JSON or an HTML form (urlencoded or multipart), capped in size before parsing.
import { concatBytes } from '../lib/_bytes.js';

/** A body too large, malformed, or of a type we do not read. */
export class BodyError extends Error {
  constructor(readonly status: 400 | 413 | 415) {
    super(`body refused (${status})`);
  }
}

async function readCapped(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw new BodyError(413);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyError(413);
    }
    chunks.push(value);
  }
  // concatBytes allocates a fresh Uint8Array, so its buffer is an ArrayBuffer (what Response and Blob take).
  return concatBytes(...chunks) as Uint8Array<ArrayBuffer>;
}

/** The body's string fields (other values are dropped: every field we read is a string). */
export async function readFields(request: Request, maxBytes: number): Promise<Record<string, string>> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const fields: Record<string, string> = Object.create(null);
  if (type === 'application/json' || type.endsWith('+json')) {
    const text = new TextDecoder().decode(await readCapped(request, maxBytes));
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new BodyError(400);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BodyError(400);
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') fields[k] = v;
    return fields;
  }
  if (type === 'application/x-www-form-urlencoded') {
    const text = new TextDecoder().decode(await readCapped(request, maxBytes));
    for (const [k, v] of new URLSearchParams(text)) fields[k] = v;
    return fields;
  }
  if (type === 'multipart/form-data') {
    const bytes = await readCapped(request, maxBytes);
    let form: FormData;
    try {
      form = await new Response(bytes, {
        headers: { 'content-type': request.headers.get('content-type')! },
      }).formData();
    } catch {
      throw new BodyError(400);
    }
    form.forEach((v, k) => {
      if (typeof v === 'string') fields[k] = v;
    });
    return fields;
  }
  if (type === '' && !request.body) return fields;
  throw new BodyError(415);
}
