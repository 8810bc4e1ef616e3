// Key validation and per-key subkeys, derived once (HKDF-SHA256) and cached.
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { invalidInput } from '../errors.js';
import type { MailboxKey } from '../types.js';
import { fromBase64url, Utf8Buffer, utf8 } from './_bytes.js';

export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
export const MIN_KEY_BYTES = 32;
const HKDF_SALT = utf8('mailbox-challenge/v1');

type Mac = ReturnType<typeof hmac.create>;

/** A key with its subkeys. The HMAC objects are keyed once and cloned per use (saves two compressions). */
export interface ResolvedKey {
  readonly id: string;
  readonly sealKey: Uint8Array;
  readonly codeMac: Mac;
  readonly storeMac: Mac;
}

export interface ResolvedKeys {
  readonly primary: ResolvedKey;
  readonly byId: ReadonlyMap<string, ResolvedKey>;
}

const bySecret = new Map<string, ResolvedKey>();
const MAX_CACHED_SECRETS = 256;
// Resolved lists by array identity, with a snapshot of the entries: an array changed in place (a key
// pushed, popped or replaced for rotation) no longer matches its snapshot and is resolved again.
const byArray = new WeakMap<object, { snapshot: unknown[]; resolved: ResolvedKeys }>();

function derive(id: string, ikm: Uint8Array): ResolvedKey {
  // Distinct info labels keep the three uses of one key independent (RFC 5869 §3.2).
  const sub = (label: string) => hkdf(sha256, ikm, HKDF_SALT, utf8(label), 32);
  return {
    id,
    sealKey: sub('seal'),
    codeMac: hmac.create(sha256, sub('code')),
    storeMac: hmac.create(sha256, sub('store')),
  };
}

const entryOf = (k: unknown): string => {
  const { id, secret } = (k ?? {}) as Partial<MailboxKey>;
  return `${String(id)}\0${String(secret)}`;
};

/** The snapshot of a key list: id and secret of each entry, flat. Compared per call without building strings. */
function snapshotOf(keys: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const k of keys) {
    const { id, secret } = (k ?? {}) as Partial<MailboxKey>;
    out.push(id, secret);
  }
  return out;
}

function unchanged(keys: readonly unknown[], snapshot: readonly unknown[]): boolean {
  if (keys.length * 2 !== snapshot.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as Partial<MailboxKey> | null | undefined;
    if (k?.id !== snapshot[2 * i] || k?.secret !== snapshot[2 * i + 1]) return false;
  }
  return true;
}

/** Validates a key list and returns its cached subkeys. Throws INVALID_INPUT (a configuration error). */
export function resolveKeys(keys: unknown): ResolvedKeys {
  if (Array.isArray(keys)) {
    const cached = byArray.get(keys);
    if (cached && unchanged(keys, cached.snapshot)) return cached.resolved;
  }
  if (!Array.isArray(keys) || keys.length === 0) {
    throw invalidInput(['keys'], 'keys must be a non-empty array of { id, secret }');
  }
  const list: unknown[] = Array.from(keys); // holes become undefined and fail validation below
  const byId = new Map<string, ResolvedKey>();
  list.forEach((key, i) => {
    const k = key as Partial<MailboxKey> | null;
    if (typeof k?.id !== 'string' || !KEY_ID.test(k.id)) {
      throw invalidInput([`keys.${i}.id`], 'a key id is 1-32 characters of A-Z, a-z, 0-9, "_" or "-"');
    }
    if (byId.has(k.id)) throw invalidInput([`keys.${i}.id`], `duplicate key id "${k.id}"`);
    const raw = typeof k.secret === 'string' ? fromBase64url(k.secret) : null;
    if (!raw || raw.length < MIN_KEY_BYTES) {
      throw invalidInput(
        [`keys.${i}.secret`],
        `a key secret is base64url of at least ${MIN_KEY_BYTES} random bytes (create one with generateKey())`,
      );
    }
    const cacheKey = entryOf(k);
    let resolved = bySecret.get(cacheKey);
    if (!resolved) {
      if (bySecret.size >= MAX_CACHED_SECRETS) bySecret.clear();
      resolved = derive(k.id, raw);
      bySecret.set(cacheKey, resolved);
    }
    byId.set(k.id, resolved);
  });
  const resolved: ResolvedKeys = { primary: byId.get((list[0] as MailboxKey).id)!, byId };
  byArray.set(keys, { snapshot: snapshotOf(list), resolved });
  return resolved;
}

// One working copy per keyed MAC, refilled from it on each call (noble's _cloneInto into an existing
// object): the keyed state is copied, not rebuilt, and no HMAC or SHA-256 objects are allocated per call.
const scratch = new WeakMap<Mac, Mac>();

// The message and the digest live in module buffers: noble takes subarrays and DataViews of both, and doing
// that to a small Uint8Array made per call moves it out of V8's heap (see toBase64url), twice per MAC.
const macInput = new Utf8Buffer();
const macOutput = new Uint8Array(32);
/** The text buffer, for the test that checks no code stays in it. */
export const macInputForTests = (): Uint8Array => macInput.bytes;

/**
 * HMAC-SHA256 of `text` (UTF-8) with a pre-keyed MAC. Returns a shared buffer: read it before the next call.
 */
export function mac(keyed: Mac, text: string): Uint8Array {
  const message = macInput.write(text);
  const work: Mac = keyed._cloneInto(scratch.get(keyed) as Parameters<Mac['_cloneInto']>[0]);
  scratch.set(keyed, work);
  work.update(message).digestInto(macOutput);
  message.fill(0); // the text may hold a code (the flow's stale-code tag): not kept past the call
  return macOutput;
}
