// One CSPRNG for every runtime: Web Crypto's getRandomValues (Node 20+, Bun, Deno, workers, browsers).
//
// Each call into the CSPRNG costs several microseconds whatever its size (more than sealing a challenge),
// so small draws are served from a pool filled 4 KiB at a time, as Node's own randomUUID does. Every byte
// is handed out once: the caller gets a copy and the pool's bytes are zeroed as they leave.

const MAX_CHUNK = 65536; // getRandomValues refuses more than 64 KiB per call
const POOL_BYTES = 4096;
const MAX_POOLED = 256; // larger draws go straight to the CSPRNG

let pool: Uint8Array | undefined;
let offset = POOL_BYTES;

interface Host {
  process?: { execArgv?: string[]; getBuiltinModule?: (id: string) => unknown };
}

/**
 * A V8 startup snapshot (`node --build-snapshot`) taken after a draw would carry the pool into every process
 * started from it, and each would hand out the same "random" bytes: the same challenge ids, nonces and
 * codes. Node runs serialize callbacks just before it writes the snapshot; the pool is dropped there.
 * Checked on the first refill only, and node:v8 is loaded only when a snapshot is being built.
 */
function dropPoolBeforeSnapshot(): void {
  try {
    const p = (globalThis as Host).process;
    if (!p?.execArgv?.some((a) => a.startsWith('--build-snapshot'))) return;
    const v8 = p.getBuiltinModule?.('node:v8') as typeof import('node:v8') | undefined;
    if (v8?.startupSnapshot?.isBuildingSnapshot()) v8.startupSnapshot.addSerializeCallback(discardRandomPool);
  } catch {
    // Not Node, or no snapshot API: nothing to guard against.
  }
}

function fill(out: Uint8Array): Uint8Array {
  for (let i = 0; i < out.length; i += MAX_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(out.length, i + MAX_CHUNK)));
  }
  return out;
}

/** `length` fresh random bytes from the runtime's CSPRNG; `direct` skips the pool (keys). */
export function randomBytes(length: number, options?: { direct?: boolean }): Uint8Array {
  if (length > MAX_POOLED || options?.direct) return fill(new Uint8Array(length));
  if (pool === undefined || offset + length > POOL_BYTES) {
    if (pool === undefined) dropPoolBeforeSnapshot();
    pool = fill(pool ?? new Uint8Array(POOL_BYTES));
    offset = 0;
  }
  const out = pool.slice(offset, offset + length);
  pool.fill(0, offset, offset + length);
  offset += length;
  return out;
}

/** Drops the pool, so the next draw calls the CSPRNG (tests that choose the bytes of one draw). */
export function discardRandomPool(): void {
  pool?.fill(0);
  offset = POOL_BYTES;
}
