// An opener for `v1` and `v2` secrets that shares no code with the library: node:crypto for HKDF, HMAC and
// ChaCha20-Poly1305, and HChaCha20 written out below. If the library and this agree, the format is exactly
// the documented one (src/lib/_token.ts), not merely self-consistent.
import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto';

const SALT = 'mailbox-challenge/v1';

/** HKDF-SHA256(ikm = the key's bytes, salt = "mailbox-challenge/v1", info = label), 32 bytes (RFC 5869). */
export const subkey = (secret: string, info: 'seal' | 'code' | 'store'): Buffer =>
  Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'base64url'), SALT, info, 32));

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));

/**
 * HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2): the ChaCha20 state from the constants, the key and the
 * 16-byte input, 20 rounds without the final addition, and words 0..3 and 12..15 as the output.
 */
export function hchacha20(key: Uint8Array, input: Uint8Array): Buffer {
  const k = Buffer.from(key);
  const n = Buffer.from(input);
  const s = new Uint32Array(16);
  s.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]); // "expand 32-byte k"
  for (let i = 0; i < 8; i++) s[4 + i] = k.readUInt32LE(i * 4);
  for (let i = 0; i < 4; i++) s[12 + i] = n.readUInt32LE(i * 4);
  const qr = (a: number, b: number, c: number, d: number) => {
    s[a] = s[a]! + s[b]!;
    s[d] = rotl(s[d]! ^ s[a]!, 16);
    s[c] = s[c]! + s[d]!;
    s[b] = rotl(s[b]! ^ s[c]!, 12);
    s[a] = s[a]! + s[b]!;
    s[d] = rotl(s[d]! ^ s[a]!, 8);
    s[c] = s[c]! + s[d]!;
    s[b] = rotl(s[b]! ^ s[c]!, 7);
  };
  for (let round = 0; round < 10; round++) {
    qr(0, 4, 8, 12);
    qr(1, 5, 9, 13);
    qr(2, 6, 10, 14);
    qr(3, 7, 11, 15);
    qr(0, 5, 10, 15);
    qr(1, 6, 11, 12);
    qr(2, 7, 8, 13);
    qr(3, 4, 9, 14);
  }
  const out = Buffer.alloc(32);
  for (const [i, w] of [0, 1, 2, 3, 12, 13, 14, 15].entries()) out.writeUInt32LE(s[w]!, i * 4);
  return out;
}

/**
 * XChaCha20-Poly1305 decryption (draft-irtf-cfrg-xchacha-03 §2.3): subkey = HChaCha20(key, nonce[0..16]),
 * then RFC 8439 ChaCha20-Poly1305 with the 12-byte nonce 0x00000000 ‖ nonce[16..24]. Throws on a bad tag.
 */
export function xchachaOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: string | Uint8Array,
  sealed: Uint8Array,
): Buffer {
  const iv = Buffer.concat([Buffer.alloc(4), nonce.subarray(16, 24)]);
  const decipher = createDecipheriv('chacha20-poly1305', hchacha20(key, nonce.subarray(0, 16)), iv, {
    authTagLength: 16,
  });
  const body = sealed.subarray(0, sealed.length - 16);
  decipher.setAAD(typeof aad === 'string' ? Buffer.from(aad, 'utf8') : aad, { plaintextLength: body.length });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(body), decipher.final()]);
}

/**
 * Opens `v1.` or `v2.<keyId>.<base64url(nonce ‖ ciphertext ‖ tag)>` with AAD `<version>.<keyId>.<challengeId>`.
 * `plaintext` is the UTF-8 reading of the bytes (v1 is all JSON); `bytes` are the bytes themselves.
 */
export function independentOpen(secret: string, key: { id: string; secret: string }, challengeId: string) {
  const [version, keyId, body] = secret.split('.');
  if ((version !== 'v1' && version !== 'v2') || keyId !== key.id || body === undefined)
    throw new Error('not a v1 or v2 secret of this key');
  const bytes = Buffer.from(body, 'base64url');
  const nonce = bytes.subarray(0, 24);
  const plainBytes = xchachaOpen(
    subkey(key.secret, 'seal'),
    nonce,
    `${version}.${keyId}.${challengeId}`,
    bytes.subarray(24),
  );
  return { nonce, plaintext: plainBytes.toString('utf8'), bytes: plainBytes };
}

/** v2 plaintext: len(userId) ‖ userId ‖ JSON of the other nine fields ‖ spaces. */
export function unpackV2(plain: Buffer): { userId: string | null; fields: unknown[]; padding: number } {
  const n = plain[0]!;
  const rest = plain.subarray(1 + n).toString('utf8');
  const json = rest.trimEnd();
  return {
    userId: n === 0 ? null : plain.subarray(1, 1 + n).toString('utf8'),
    fields: JSON.parse(json),
    padding: rest.length - json.length,
  };
}

/** HMAC-SHA256(code subkey, challengeId ‖ 0x00 ‖ code), first 16 bytes, base64url. */
export const independentCodeTag = (key: { secret: string }, challengeId: string, code: string): string =>
  createHmac('sha256', subkey(key.secret, 'code'))
    .update(`${challengeId}\0${code}`, 'utf8')
    .digest()
    .subarray(0, 16)
    .toString('base64url');
