// src/lib/_aead.ts has two XChaCha20-Poly1305 paths: pure @noble/ciphers (edge runtimes, browsers) and
// HChaCha20 + node's native ChaCha20-Poly1305. Secrets must be byte-identical whichever path sealed them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activeImplementation, implementations, open, seal } from '../../src/lib/_aead.js';
import { PROPERTY_RUNS, PURE_MODE } from './_helpers.js';

const { pure } = implementations;
const native = implementations.native!; // absent under MAILBOX_CHALLENGE_PURE=1, when these tests skip

// draft-irtf-cfrg-xchacha-03 §A.3.1
const KEY = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
const NONCE = Uint8Array.from({ length: 24 }, (_, i) => 0x40 + i);
const AAD = Buffer.from('50515253c0c1c2c3c4c5c6c7', 'hex');
const PLAIN = Buffer.from(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);
const SEALED =
  'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
  'c0875924c1c7987947deafd8780acf49';

const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('hex'));

describe.skipIf(PURE_MODE)('XChaCha20-Poly1305 paths', () => {
  it('the native path is the one in use on Node', () => {
    expect(implementations.native).toBeDefined();
    expect(activeImplementation()).toBe(native);
    // The exported pair runs it (and gives the draft's known answer).
    expect(hex(seal(KEY, NONCE, AAD, PLAIN))).toBe(SEALED);
    expect(hex(open(KEY, NONCE, AAD, Buffer.from(SEALED, 'hex')))).toBe(hex(PLAIN));
  });

  it.each([
    ['pure', pure],
    ['native', native],
  ])('%s matches draft-irtf-cfrg-xchacha-03 §A.3.1', (_name, impl) => {
    expect(hex(impl.seal(KEY, NONCE, AAD, PLAIN))).toBe(SEALED);
    expect(hex(impl.open(KEY, NONCE, AAD, Buffer.from(SEALED, 'hex')))).toBe(PLAIN.toString('hex'));
  });

  it('seal the same bytes, and each opens what the other sealed (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 600 }),
        (key, nonce, aad, plain) => {
          const a = pure.seal(key, nonce, aad, plain);
          const b = native.seal(key, nonce, aad, plain);
          expect(hex(b)).toBe(hex(a));
          expect(hex(native.open(key, nonce, aad, a))).toBe(hex(plain));
          expect(hex(pure.open(key, nonce, aad, b))).toBe(hex(plain));
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('each seals in place (into the buffer that holds the plaintext) the same bytes as into a new one (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.uint8Array({ maxLength: 600 }),
        fc.nat(40),
        (key, nonce, plain, offset) => {
          const expected = hex(pure.seal(key, nonce, AAD, plain));
          for (const impl of [pure, native].filter((i) => i !== undefined)) {
            const buffer = new Uint8Array(offset + plain.length + 16 + 8).fill(0xee);
            const out = buffer.subarray(offset, offset + plain.length + 16);
            out.set(plain);
            expect(impl.seal(key, nonce, AAD, out.subarray(0, plain.length), out)).toBe(out);
            expect(hex(out)).toBe(expected);
            // Nothing outside `out` is touched.
            expect(buffer.subarray(0, offset).every((b) => b === 0xee)).toBe(true);
            expect(buffer.subarray(offset + plain.length + 16).every((b) => b === 0xee)).toBe(true);
          }
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
    for (const impl of [pure, native].filter((i) => i !== undefined)) {
      expect(() => impl.seal(KEY, NONCE, AAD, PLAIN, new Uint8Array(PLAIN.length + 15))).toThrow(RangeError);
    }
  });

  it('each opens in place (the pure path over the sealed bytes themselves), and a refused open writes nothing (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.uint8Array({ maxLength: 600 }),
        fc.nat(599),
        (key, nonce, plain, flip) => {
          const sealed = pure.seal(key, nonce, AAD, plain);
          for (const impl of [pure, native].filter((i) => i !== undefined)) {
            const copy = sealed.slice();
            const opened = impl.open(key, nonce, AAD, copy, true);
            expect(hex(opened)).toBe(hex(plain));
            if (impl === pure) expect(opened!.buffer).toBe(copy.buffer); // no new buffer
            const tampered = sealed.slice();
            tampered[flip % tampered.length]! ^= 1;
            const before = hex(tampered);
            expect(impl.open(key, nonce, AAD, tampered, true)).toBeNull();
            expect(hex(tampered)).toBe(before);
          }
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('both refuse a flipped bit anywhere, other associated data, and input shorter than a tag (fast-check)', () => {
    const sealed = Buffer.from(SEALED, 'hex');
    fc.assert(
      fc.property(fc.nat({ max: sealed.length * 8 - 1 }), (bit) => {
        const bad = Buffer.from(sealed);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(pure.open(KEY, NONCE, AAD, bad)).toBeNull();
        expect(native.open(KEY, NONCE, AAD, bad)).toBeNull();
      }),
      { numRuns: PROPERTY_RUNS },
    );
    for (const impl of [pure, native].filter((i) => i !== undefined)) {
      expect(impl.open(KEY, NONCE, Buffer.from('other'), sealed)).toBeNull();
      expect(impl.open(KEY, NONCE, AAD, sealed.subarray(0, 15))).toBeNull();
      expect(impl.open(KEY, NONCE, AAD, new Uint8Array(0))).toBeNull();
    }
  });
});
