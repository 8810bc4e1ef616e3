// The runtime's native helpers, where they exist: node:crypto and Buffer (Node, Bun, Deno). Every use has
// a pure fallback with byte-identical output (@noble, or a JavaScript loop), which edge workers and
// browsers take. MAILBOX_CHALLENGE_PURE=1 forces the pure path everywhere (benchmarks, and testing it on Node).
type NodeCrypto = typeof import('node:crypto');
type NodeBuffer = typeof import('node:buffer').Buffer;

interface Host {
  process?: { getBuiltinModule?: (id: string) => unknown; env?: Record<string, string | undefined> };
}

function builtin<T>(id: string): T | undefined {
  try {
    const p = (globalThis as Host).process;
    if (p?.env?.MAILBOX_CHALLENGE_PURE === '1') return undefined;
    // process.getBuiltinModule (Node 20.16+, Bun, Deno) finds a built-in without a static import, so
    // bundlers for edge runtimes never see one.
    return p?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}

let crypto: { module: NodeCrypto | undefined } | undefined;
/**
 * node:crypto when it has ChaCha20-Poly1305 (RFC 8439), else undefined. Looked up on first use: loading
 * node:crypto costs a cold process 10-20 ms, which importing the library should not (the first seal pays it,
 * as does Web Crypto's getRandomValues, which loads the same module).
 */
export function nativeCrypto(): NodeCrypto | undefined {
  if (!crypto) {
    let module = builtin<NodeCrypto>('node:crypto');
    try {
      if (!module?.getCiphers().includes('chacha20-poly1305')) module = undefined;
    } catch {
      module = undefined;
    }
    crypto = { module };
  }
  return crypto.module;
}

/** node:buffer's Buffer, else undefined. */
export const NativeBuffer: NodeBuffer | undefined =
  builtin<typeof import('node:buffer')>('node:buffer')?.Buffer;
