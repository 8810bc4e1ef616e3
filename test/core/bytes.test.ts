// The native base64url (Buffer) and the pure one (any runtime) must agree byte for byte, including on
// what they refuse: a secret that opens on Node must open on an edge worker and back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromBase64url,
  fromBase64urlPure,
  fromBase64urlScratch,
  fromUtf8,
  toBase64url,
  toBase64urlPure,
} from '../../src/lib/_bytes.js';
import { NativeBuffer } from '../../src/lib/_native.js';
import { HOSTILE_RUNS, PURE_MODE } from './_helpers.js';

describe.skipIf(PURE_MODE)('base64url: native and pure agree', () => {
  it('Node runs the native path here (so both are really compared)', () => {
    expect(NativeBuffer).toBeDefined();
    expect(toBase64url).not.toBe(toBase64urlPure);
  });

  it.each([
    [[], ''],
    [[0], 'AA'],
    [[0xff], '_w'],
    [[0xfb, 0xff], '-_8'],
    [[0, 1, 2], 'AAEC'],
    [[0xfa, 0xfb, 0xfc, 0xfd], '-vv8_Q'],
  ])('%j ↔ %j', (bytes, text) => {
    const u = Uint8Array.from(bytes);
    expect(toBase64url(u)).toBe(text);
    expect(toBase64urlPure(u)).toBe(text);
    expect(fromBase64url(text)).toEqual(u);
    expect(fromBase64urlPure(text)).toEqual(u);
  });

  it('encode: any bytes, also a view into a larger buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 7 }), (bytes, offset) => {
        const big = new Uint8Array(bytes.length + offset + 3);
        big.set(bytes, offset);
        const view = big.subarray(offset, offset + bytes.length);
        expect(toBase64url(view)).toBe(toBase64urlPure(bytes));
      }),
      { numRuns: HOSTILE_RUNS },
    );
  });

  it('encode a range [start, end): the same as encoding that subarray, either side of 64 bytes (fast-check)', () => {
    fc.assert(
      fc.property(
        fc
          .uint8Array({ maxLength: 200 })
          .chain((bytes) => fc.tuple(fc.constant(bytes), fc.nat(bytes.length), fc.nat(bytes.length))),
        ([bytes, a, b]) => {
          const [start, end] = a <= b ? [a, b] : [b, a];
          const expected = Buffer.from(bytes.subarray(start, end)).toString('base64url');
          expect(toBase64url(bytes, start, end)).toBe(expected);
          expect(toBase64urlPure(bytes, start, end)).toBe(expected);
          expect(toBase64url(bytes.slice(start, end))).toBe(expected); // and the shared buffer left no trace
        },
      ),
      { numRuns: HOSTILE_RUNS },
    );
  });

  it.each([
    ['padding', 'AA=='],
    ['one padding character', 'AAE='],
    ['standard alphabet +', 'ab+c'],
    ['standard alphabet /', 'ab/c'],
    ['a space', 'AA AA'],
    ['a newline', 'AAAA\n'],
    ['a dot', 'AA.A'],
    ['non-ASCII', 'AAé'],
    ['length 4n+1', 'AAAAA'],
    ['non-zero unused bits (2 characters)', 'AB'],
    ['non-zero unused bits (3 characters)', 'AAB'],
  ])('decode refuses %s on both paths', (_name, text) => {
    expect(fromBase64url(text)).toBeNull();
    expect(fromBase64urlPure(text)).toBeNull();
    expect(fromBase64urlScratch(text)).toBeNull();
  });

  it('decode: any string gives the same answer on both paths', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/. é\n';
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 40 }), (text) => {
        const pure = fromBase64urlPure(text);
        expect(fromBase64url(text)).toEqual(pure);
        expect(fromBase64urlScratch(text)).toEqual(pure);
      }),
      { numRuns: HOSTILE_RUNS },
    );
  });

  it('the scratch decoder handles the longest secret body and longer input', () => {
    const bytes = Uint8Array.from({ length: 3072 }, (_, i) => i * 7);
    const text = toBase64urlPure(bytes);
    expect(text).toHaveLength(4096);
    expect(fromBase64urlScratch(text)).toEqual(bytes);
    const longer = toBase64urlPure(new Uint8Array(3075).fill(9));
    expect(fromBase64urlScratch(longer)).toEqual(new Uint8Array(3075).fill(9));
  });
});

describe('fromUtf8', () => {
  it('decodes like a fatal TextDecoder, short or long, ASCII or not, from a view at any offset (fast-check)', () => {
    const strict = new TextDecoder('utf-8', { fatal: true });
    const decoded = (b: Uint8Array) => {
      try {
        return strict.decode(b);
      } catch {
        return 'THROWS';
      }
    };
    const ours = (b: Uint8Array) => {
      try {
        return fromUtf8(b);
      } catch {
        return 'THROWS';
      }
    };
    const bytes = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 300 }).map((t) => new TextEncoder().encode(t)),
      fc.string({ unit: 'grapheme-ascii', maxLength: 300 }).map((t) => new TextEncoder().encode(t)),
      fc.uint8Array({ maxLength: 300 }), // mostly invalid UTF-8
    );
    fc.assert(
      fc.property(bytes, fc.nat(9), (b, offset) => {
        const big = new Uint8Array(offset + b.length + 5).fill(0x41);
        big.set(b, offset);
        const view = big.subarray(offset, offset + b.length);
        expect(ours(view)).toBe(decoded(b));
      }),
      { numRuns: HOSTILE_RUNS },
    );
  });
});
