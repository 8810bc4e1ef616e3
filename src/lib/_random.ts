// One CSPRNG for every runtime: Web Crypto's getRandomValues (Node 20+, Bun, Deno, workers, browsers).

const MAX_CHUNK = 65536; // getRandomValues refuses more than 64 KiB per call

export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(length, i + MAX_CHUNK)));
  }
  return out;
}
