// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03) from @noble/ciphers, with a native fast path.
// Where node:crypto has ChaCha20-Poly1305 (Node; Deno with --allow-env), HChaCha20 derives the subkey in JS
// and the native ChaCha20-Poly1305 (RFC 8439) does the bulk; the bytes are identical to the pure path, which
// every other runtime uses (Bun, whose node:crypto lacks it; edge workers; browsers). test/core/aead.test.ts
// checks both paths agree; test/core/mixed-runtime.test.ts runs the pure cipher beside Node's Buffer, as Bun does.
import { hchacha, xchacha20poly1305 } from '@noble/ciphers/chacha.js';

import { nativeCrypto as native } from './_native.js';

type NodeCrypto = NonNullable<ReturnType<typeof native>>;

const TAG = 16;
// "expand 32-byte k" as four little-endian words (RFC 8439 §2.3).
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Little-endian 32-bit words of `bytes` (ChaCha's byte order, RFC 8439 §2.3). */
function words(bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(bytes.length >>> 2);
  for (let i = 0, j = 0; i < out.length; i++, j += 4) {
    out[i] = bytes[j]! | (bytes[j + 1]! << 8) | (bytes[j + 2]! << 16) | (bytes[j + 3]! << 24);
  }
  return out;
}

// A seal key's words, computed once: keys are few and long-lived (derived and cached per MailboxKey).
const keyWords = new WeakMap<Uint8Array, Uint32Array>();
function wordsOfKey(key: Uint8Array): Uint32Array {
  let w = keyWords.get(key);
  if (!w) {
    w = words(key);
    keyWords.set(key, w);
  }
  return w;
}

// Scratch for the native path: node:crypto copies key and IV into the cipher it creates, and every call
// runs to completion synchronously, so one set serves every call (four typed arrays fewer per seal or open).
const nonceWords = new Uint32Array(4);
const subkeyWords = new Uint32Array(8);
const subkeyBytes = new Uint8Array(subkeyWords.buffer);
const ivBytes = new Uint8Array(12);
/** The subkey scratch, for the test that checks no call leaves a subkey in it. */
export const subkeyScratchForTests: Uint8Array = subkeyBytes;

/**
 * XChaCha20: HChaCha20(key, nonce[0..16]) is the ChaCha20 key; the nonce is 0^4 ‖ nonce[16..24].
 * Returns the scratch subkey and IV: use them before the next call.
 */
function subkeyAndIv(key: Uint8Array, nonce: Uint8Array): [Uint8Array, Uint8Array] {
  for (let i = 0, j = 0; i < 4; i++, j += 4) {
    nonceWords[i] = nonce[j]! | (nonce[j + 1]! << 8) | (nonce[j + 2]! << 16) | (nonce[j + 3]! << 24);
  }
  hchacha(SIGMA, wordsOfKey(key), nonceWords, subkeyWords);
  let subkey = subkeyBytes;
  if (!LITTLE_ENDIAN) {
    subkey = new Uint8Array(32);
    for (let i = 0; i < 32; i++) subkey[i] = subkeyWords[i >>> 2]! >>> ((i & 3) * 8);
  }
  for (let i = 16; i < 24; i++) ivBytes[i - 12] = nonce[i]!; // bytes 0..3 stay zero; no subarray (see toBase64url)
  return [subkey, ivBytes];
}

/** Zeroes the derived subkey once node:crypto has copied it: with the secret, it would decrypt the challenge. */
function wipe(subkey: Uint8Array): void {
  subkeyWords.fill(0);
  if (subkey !== subkeyBytes) subkey.fill(0); // the big-endian copy
}

/**
 * `out` for a seal: the caller's (plain.length + 16 bytes, which may start with `plain` itself: sealing in
 * place), else a new array.
 */
function sealOutput(plain: Uint8Array, out: Uint8Array | undefined): Uint8Array {
  if (out === undefined) return new Uint8Array(plain.length + TAG);
  if (out.length !== plain.length + TAG) throw new RangeError('seal: out must be plain.length + 16 bytes');
  return out;
}

function sealNative(
  c: NodeCrypto,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plain: Uint8Array,
  out?: Uint8Array,
) {
  const [subkey, iv] = subkeyAndIv(key, nonce);
  const cipher = c.createCipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG });
  wipe(subkey);
  cipher.setAAD(aad, { plaintextLength: plain.length });
  const body = cipher.update(plain); // read all of `plain` before `out` (maybe the same bytes) is written
  cipher.final(); // a stream cipher: nothing is held back
  const sealed = sealOutput(plain, out);
  sealed.set(body);
  sealed.set(cipher.getAuthTag(), plain.length);
  return sealed;
}

function openNative(c: NodeCrypto, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array) {
  if (sealed.length < TAG) return null;
  const [subkey, iv] = subkeyAndIv(key, nonce);
  const body = sealed.subarray(0, sealed.length - TAG);
  let plain: Uint8Array | undefined;
  try {
    const decipher = c.createDecipheriv('chacha20-poly1305', subkey, iv, { authTagLength: TAG });
    wipe(subkey);
    decipher.setAAD(aad, { plaintextLength: body.length });
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    plain = decipher.update(body);
    decipher.final(); // throws on a bad tag; a stream cipher holds nothing back
    return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
  } catch {
    wipe(subkey);
    // update() decrypted before final() refused the tag: a secret presented with another challengeId, or a
    // forged tag over a real ciphertext, leaves the real plaintext (the code too) here. Not kept.
    plain?.fill(0);
    return null;
  }
}

function openPure(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
  inPlace?: boolean,
) {
  try {
    // In place: the plaintext over the ciphertext's first bytes (noble checks the tag before it writes).
    return xchacha20poly1305(key, nonce, aad).decrypt(
      sealed,
      inPlace && sealed.length >= TAG ? sealed.subarray(0, sealed.length - TAG) : undefined,
    );
  } catch {
    return null;
  }
}

const sealPure = (key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, out?: Uint8Array) =>
  xchacha20poly1305(key, nonce, aad).encrypt(plain, sealOutput(plain, out));

interface Implementation {
  /** ciphertext ‖ tag, into `out` when given (see sealOutput). */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array, out?: Uint8Array): Uint8Array;
  /** The plaintext; with `inPlace`, the pure path writes it over `sealed` itself (the native one cannot). */
  open(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    sealed: Uint8Array,
    inPlace?: boolean,
  ): Uint8Array | null;
}
const nativeImplementation = (c: NodeCrypto): Implementation => ({
  seal: (k, n, a, p, o) => sealNative(c, k, n, a, p, o),
  open: (k, n, a, s) => openNative(c, k, n, a, s),
});
let nativePair: { value: Implementation | undefined } | undefined;
/** Both implementations, for the equivalence tests; `native` is undefined where node:crypto lacks ChaCha. */
export const implementations = {
  pure: { seal: sealPure, open: openPure } as Implementation,
  // Resolved on first use, not at import (see nativeCrypto).
  get native(): Implementation | undefined {
    if (!nativePair) {
      const c = native();
      nativePair = { value: c && nativeImplementation(c) };
    }
    return nativePair.value;
  },
};
let active: Implementation | undefined;
/** The implementation seal and open use: the native one where there is one. */
export const activeImplementation = (): Implementation => {
  active ??= implementations.native ?? implementations.pure;
  return active;
};

/**
 * Encrypts and authenticates `plain` with `aad`; returns ciphertext ‖ 16-byte tag, written into `out` when
 * given (exactly plain.length + 16 bytes; `plain` may be its start, to seal in place).
 */
export const seal: Implementation['seal'] = (key, nonce, aad, plain, out) =>
  activeImplementation().seal(key, nonce, aad, plain, out);
/**
 * Returns the plaintext, or null for any failure (wrong key, nonce, aad, or tampered bytes). With `inPlace`,
 * `sealed` may be overwritten by the plaintext (saves a buffer where the cipher runs in JavaScript).
 */
export const open: Implementation['open'] = (key, nonce, aad, sealed, inPlace) =>
  activeImplementation().open(key, nonce, aad, sealed, inPlace);
