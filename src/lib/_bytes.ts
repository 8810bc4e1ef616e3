// Byte helpers that run on any runtime: base64url, UTF-8, constant-time compare. base64url uses the
// native Buffer where there is one (several times faster), with the same output and the same strictness.
import { NativeBuffer } from './_native.js';

const B = NativeBuffer;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// The strings here are short and almost always ASCII; a JS loop beats a TextEncoder/TextDecoder call for
// them several times over (the call itself dominates), so ASCII takes the loop and the rest the codec.

/** UTF-8 encode. */
export function utf8(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(text);
    out[i] = c;
  }
  return out;
}

/**
 * UTF-8 encodes `text` into `out` from `at` and returns the bytes written. The caller leaves room for
 * `3 * text.length` bytes (the most UTF-8 needs per UTF-16 unit): it writes into a reused buffer, not a new one.
 */
export function utf8Into(text: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return encoder.encodeInto(text, out.subarray(at)).written;
    out[at + i] = c;
  }
  return text.length;
}

/**
 * One reused buffer that text is UTF-8 encoded into, for what the request path hands to noble or node:crypto
 * (see toBase64url for why not a fresh array). A write's view is valid until the next write.
 */
export class Utf8Buffer {
  #bytes = new Uint8Array(256);
  /** `text` as UTF-8, in this buffer (grown when `text` may not fit). */
  write(text: string): Uint8Array {
    if (3 * text.length > this.#bytes.length) this.#bytes = new Uint8Array(3 * text.length);
    return this.#bytes.subarray(0, utf8Into(text, this.#bytes, 0));
  }
  /** The whole buffer, for tests that check what it keeps. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }
}

/** Strict UTF-8 decode; throws on invalid sequences. */
export function fromUtf8(bytes: Uint8Array): string {
  if (bytes.length > 1024) return decoder.decode(bytes);
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return decoder.decode(bytes);
  // ASCII: Buffer's latin1 is native and copies once (fromCharCode.apply builds an argument list first, about
  // 1 us for an opened plaintext); short input, which may still live in V8's heap, keeps apply (see toBase64url).
  if (B && bytes.length > 64) return B.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

// Short input is copied into one module Buffer first. V8 keeps a typed array of up to 64 bytes inside its heap;
// reading its `.buffer` (or taking a subarray or DataView of it) moves it out, which costs about 1.2 us on a
// loaded two-core machine, against 30 ns for the array itself. Ids, MACs and nonces are all that short.
const short = B?.allocUnsafeSlow(64).fill(0);
/** The short-input buffer, for the test that checks nothing stays in it. */
export const shortScratchForTests: Uint8Array | undefined = short;

/** base64url without padding (RFC 4648 §5) of `bytes[start, end)`. */
export const toBase64url: (bytes: Uint8Array, start?: number, end?: number) => string = B
  ? (bytes, start = 0, end = bytes.length) => {
      const n = end - start;
      if (n > 64) return B.from(bytes.buffer, bytes.byteOffset + start, n).toString('base64url');
      for (let i = 0; i < n; i++) short![i] = bytes[start + i]!;
      const text = short!.toString('base64url', 0, n);
      short!.fill(0, 0, n); // generateKey's 32 bytes pass through here: nothing stays behind
      return text;
    }
  : toBase64urlPure;

export function toBase64urlPure(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  let i = start;
  for (; i + 2 < end; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = end - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!;
  }
  return out;
}

/**
 * Canonical base64url decode: no padding, no other characters, and the unused low bits of the last
 * character must be zero (RFC 4648 §3.5), so exactly one string encodes each byte sequence.
 * Returns null on anything else.
 */
/** The checks the pure decoder makes as it goes, done up front for Buffer (which skips what it does not know). */
function canonicalBase64url(text: string): boolean {
  const len = text.length;
  if (len % 4 === 1 || !BASE64URL.test(text)) return false;
  const bits = (len * 6) % 8; // unused low bits of the last character: must be zero
  return bits === 0 || (LOOKUP[text.charCodeAt(len - 1)]! & ((1 << bits) - 1)) === 0;
}

export const fromBase64url: (text: string) => Uint8Array | null = B
  ? (text) => {
      if (!canonicalBase64url(text)) return null;
      const b = B.from(text, 'base64url');
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    }
  : fromBase64urlPure;

// One buffer for decoding secrets on the verify path: the bytes are read before the next call.
const scratch = B?.allocUnsafeSlow(3 * 1024);

/**
 * {@link fromBase64url} into a shared buffer, for input of at most 4096 characters: the result is valid
 * until the next call. Saves an allocation per verify.
 */
export function fromBase64urlScratch(text: string): Uint8Array | null {
  if (!scratch || text.length > 4096) return fromBase64url(text);
  if (!canonicalBase64url(text)) return null;
  const n = scratch.write(text, 0, 'base64url');
  return new Uint8Array(scratch.buffer, scratch.byteOffset, n);
}
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function fromBase64urlPure(text: string): Uint8Array | null {
  const len = text.length;
  if (len % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

/** Constant-time equality for equal-length secrets; length itself is not secret here. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
