// The memory store's form of a mailbox record: one flat string of bytes (each char 0-255, so V8 keeps it
// one byte per char) instead of a dozen objects, so a million records fit in little memory and stay out of
// the garbage collector's way, and so a step reads and writes it with a few dozen charCodeAt calls rather
// than JSON.parse and JSON.stringify.
//
// Layout (varint: 7 bits per byte, low first; zigzag for signed; string: varint length*4+kind, then chars):
//   0x01, base (6 bytes, big-endian epoch ms: the record's expiry, read alone by the sweep),
//   sends: count, then newest first, each as the zigzag distance from the one after it (the newest from base),
//   failures: the same,
//   notices: the same (none: count 0),
//   purposes: count, then per purpose: its name (a word), its challenges: count, then per challenge:
//     id (string), gen, attempts*4+status, sendSeq, firstSentAt (back from base), lastSentAt (from
//     firstSentAt), expiresAt (from lastSentAt), codeTag (string), locale (a word);
//   and its stale code tags: count, then each (string).
// A record this cannot express exactly (a time that is not a safe integer, say: the flow never makes one,
// but a store takes any step) is kept as positional JSON instead, which starts with `[`.
import type { ChallengeEntry, MailboxRecord, PurposeState } from '../flow/state.js';
import { NativeBuffer } from '../lib/_native.js';

const COMPACT = 0x01;
const STATUSES = ['pending', 'used', 'locked', 'cancelled'] as const;
type Status = (typeof STATUSES)[number];
function statusIndex(s: Status): number {
  const i = STATUSES.indexOf(s);
  if (i < 0) throw new TypeError('memory store: a challenge with an unknown status');
  return i;
}
const statusCode = (s: Status): number =>
  s === 'pending' ? 0 : s === 'used' ? 1 : s === 'locked' ? 2 : statusIndex(s);

// String kinds, in the low two bits of a string's header.
const RAW = 0; // chars 0-255, one byte each
const WIDE = 1; // UTF-16 code units, two bytes each (big-endian)
const WORD = 2; // an index into WORDS

// Purposes and locales most records carry, written as one byte. Only this process reads the packed form,
// so the list may change between versions; a word missing from it is written out in full.
const LOCALES =
  'en de fr es it pt-BR pt-PT nl sv da nb fi pl cs tr uk ar he hi id ja ko th vi zh-Hans zh-Hant';
const WORDS = ['login', 'signup', 'email-change', ...LOCALES.split(' ')]; // under 32: one byte each
const WORD_INDEX = new Map(WORDS.map((w, i) => [w, i]));

/** Thrown inside packing when the compact form cannot express a record exactly: the JSON form takes it. */
const UNPACKABLE = Symbol('unpackable');
function unpackable(): never {
  throw UNPACKABLE;
}
const corrupt = () => new TypeError('memory store: a stored record is corrupt');

// ---- writing: into one reused byte buffer, then one string ----

let bytes = new Uint8Array(512);
let bytesView = NativeBuffer?.from(bytes.buffer);
let at = 0;

function room(n: number): void {
  if (at + n <= bytes.length) return;
  const bigger = new Uint8Array(Math.max(bytes.length * 2, at + n));
  bigger.set(bytes.subarray(0, at));
  bytes = bigger;
  bytesView = NativeBuffer?.from(bytes.buffer);
}

/** A non-negative safe integer, 7 bits per byte. */
function putUint(x: number): void {
  if (at + 8 > bytes.length) room(8);
  let a = at;
  const b = bytes;
  if (x >>> 0 !== x) {
    // Beyond 32 bits (rare: times are written as distances), or not an integer at all.
    if (!(x >= 0 && x <= Number.MAX_SAFE_INTEGER && Number.isInteger(x))) unpackable();
    while (x > 0x7fffffff) {
      b[a++] = (x % 0x80) + 0x80;
      x = Math.floor(x / 0x80);
    }
  }
  while (x > 0x7f) {
    b[a++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  b[a++] = x;
  at = a;
}

/** A signed integer, zigzagged: small magnitudes of either sign take one byte. */
const putInt = (x: number): void => putUint(x >= 0 ? x * 2 : -x * 2 - 1);

function putString(s: string): void {
  const n = s.length;
  const start = at;
  putUint(n * 4 + RAW);
  if (at + n > bytes.length) room(n);
  let a = at;
  const b = bytes;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) {
      at = start;
      putWide(s);
      return;
    }
    b[a++] = c;
  }
  at = a;
}

function putWide(s: string): void {
  putUint(s.length * 4 + WIDE);
  room(2 * s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    bytes[at++] = c >>> 8;
    bytes[at++] = c & 0xff;
  }
}

function putWord(s: string): void {
  const i = WORD_INDEX.get(s);
  if (i === undefined) putString(s);
  else putUint(i * 4 + WORD);
}

/** Ascending times, newest first, each as its distance from the one after it (the newest from `base`). */
function putTimes(times: readonly number[], base: number): void {
  putUint(times.length);
  let next = base;
  for (let i = times.length - 1; i >= 0; i--) {
    next = putTime(times[i]!, next);
  }
}

/** `t` as its distance back from `from`; only integer times, where the distance is exact. */
function putTime(t: number, from: number): number {
  if (!Number.isSafeInteger(t)) unpackable();
  putInt(from - t);
  return t;
}

function putEntry(e: ChallengeEntry, base: number): void {
  putString(e.id);
  putUint(e.gen);
  // One number for both: a count that is not a whole number >= 0 would decode as another status.
  if (!(e.attempts >= 0 && Number.isSafeInteger(e.attempts))) unpackable();
  putUint(e.attempts * 4 + statusCode(e.status));
  // The rules give every entry one; one without (a record of an earlier release) keeps the JSON form.
  if (e.sendSeq === undefined) unpackable();
  putUint(e.sendSeq);
  putTime(e.firstSentAt, base);
  putTime(e.lastSentAt, e.firstSentAt);
  putTime(e.expiresAt, e.lastSentAt);
  putString(e.codeTag);
  putWord(e.locale);
}

const MAX_BASE = 2 ** 48;

function putRecord(r: MailboxRecord, base: number): void {
  if (!(base >= 0 && base < MAX_BASE && Number.isInteger(base))) unpackable();
  at = 0;
  room(7);
  bytes[at++] = COMPACT;
  const high = Math.floor(base / 2 ** 32);
  const low = base >>> 0;
  bytes[at++] = high >>> 8;
  bytes[at++] = high & 0xff;
  bytes[at++] = low >>> 24;
  bytes[at++] = (low >>> 16) & 0xff;
  bytes[at++] = (low >>> 8) & 0xff;
  bytes[at++] = low & 0xff;
  putTimes(r.sends, base);
  putTimes(r.failures, base);
  // Absent reads back as absent: an empty list present would not, so it takes the JSON form.
  if (r.notices?.length === 0) unpackable();
  putTimes(r.notices ?? [], base);
  const names = Object.keys(r.purposes);
  putUint(names.length);
  for (const name of names) {
    const state = r.purposes[name]!;
    putWord(name);
    putUint(state.challenges.length);
    for (const e of state.challenges) putEntry(e, base);
    putUint(state.staleCodeTags.length);
    for (const tag of state.staleCodeTags) putString(tag);
  }
}

function bytesToString(): string {
  if (bytesView) return bytesView.toString('latin1', 0, at);
  let s = '';
  for (let i = 0; i < at; i += 4096)
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(at, i + 4096)) as unknown as number[]);
  return s;
}

/**
 * A record as one compact string, for the memory store. `base` (epoch ms; the store passes the record's
 * expiry) is written first, and read back alone by {@link packedBase}.
 */
export function packRecord(r: MailboxRecord, base: number): string {
  try {
    putRecord(r, base);
  } catch (error) {
    if (error !== UNPACKABLE) throw error;
    return packJson(r, base);
  }
  return bytesToString();
}

// ---- reading ----

let text = '';
let pos = 0;

function getByte(): number {
  const c = text.charCodeAt(pos++);
  if (c <= 0xff) return c; // NaN (past the end) is not
  throw corrupt();
}

function getUint(): number {
  let c = getByte();
  if (c < 0x80) return c;
  let x = c & 0x7f;
  let scale = 0x80;
  for (let i = 1; i < 8; i++) {
    c = getByte();
    x += (c & 0x7f) * scale;
    if (c < 0x80) {
      if (x > Number.MAX_SAFE_INTEGER) break;
      return x;
    }
    scale *= 0x80;
  }
  throw corrupt();
}

function getInt(): number {
  const z = getUint();
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

function getString(): string {
  const header = getUint();
  const kind = header % 4;
  const n = (header - kind) / 4;
  if (kind === WORD) {
    const word = WORDS[n];
    if (word === undefined) throw corrupt();
    return word;
  }
  const end = pos + (kind === WIDE ? 2 * n : n);
  if (end > text.length || kind > WORD) throw corrupt();
  let s: string;
  if (kind === RAW) s = text.slice(pos, end);
  else {
    s = '';
    for (let i = pos; i < end; i += 2) s += String.fromCharCode((getByte() << 8) | getByte());
  }
  pos = end;
  return s;
}

function getTimes(base: number): number[] {
  const n = getUint();
  if (n > text.length) throw corrupt();
  const times = new Array<number>(n);
  let next = base;
  for (let i = n - 1; i >= 0; i--) {
    next -= getInt();
    times[i] = next;
  }
  return times;
}

function getEntry(base: number): ChallengeEntry {
  const id = getString();
  const gen = getUint();
  const attemptsAndStatus = getUint();
  const status = STATUSES[attemptsAndStatus % 4]!;
  const sendSeq = getUint();
  const firstSentAt = base - getInt();
  const lastSentAt = firstSentAt - getInt();
  const expiresAt = lastSentAt - getInt();
  return {
    id,
    gen,
    attempts: (attemptsAndStatus - (attemptsAndStatus % 4)) / 4,
    status,
    firstSentAt,
    lastSentAt,
    sendSeq,
    expiresAt,
    codeTag: getString(),
    locale: getString(),
  };
}

function getRecord(): MailboxRecord {
  const base = packedBase(text);
  pos = 7;
  const sends = getTimes(base);
  const failures = getTimes(base);
  const notices = getTimes(base);
  const purposes: Record<string, PurposeState> = {};
  for (let p = getUint(); p > 0; p--) {
    const name = getString();
    const challenges: ChallengeEntry[] = [];
    for (let n = getUint(); n > 0; n--) challenges.push(getEntry(base));
    const staleCodeTags: string[] = [];
    for (let n = getUint(); n > 0; n--) staleCodeTags.push(getString());
    if (Object.hasOwn(purposes, name)) throw corrupt();
    // An own property whatever the name (`__proto__` included), as the record had it.
    if (name === '__proto__') defineOwn(purposes, name, { challenges, staleCodeTags });
    else purposes[name] = { challenges, staleCodeTags };
  }
  if (pos !== text.length) throw corrupt();
  const record: MailboxRecord = { v: 1, sends, failures, purposes };
  if (notices.length > 0) record.notices = notices;
  return record;
}

/**
 * The inverse of {@link packRecord}. Throws a TypeError for anything it did not write, so a store that
 * holds garbage fails closed instead of reading it as a fresh mailbox.
 */
export function unpackRecord(packed: string): MailboxRecord {
  if (packed.charCodeAt(0) !== COMPACT) return unpackJson(packed);
  text = packed;
  try {
    return getRecord();
  } finally {
    text = ''; // hold no stored string past the step
  }
}

/**
 * The `base` a packed record starts with (its expiry, epoch ms), read without parsing the rest. NaN when it
 * has none: such a record is never taken for expired, and reading it fails closed.
 */
export function packedBase(packed: string): number {
  if (packed.charCodeAt(0) !== COMPACT) {
    const comma = packed.indexOf(',');
    return packed.charCodeAt(0) === 0x5b && comma > 1 ? Number(packed.slice(1, comma)) : Number.NaN;
  }
  if (packed.length < 7) return Number.NaN;
  const high = (packed.charCodeAt(1) << 8) | packed.charCodeAt(2);
  const low =
    (packed.charCodeAt(3) << 24) |
    (packed.charCodeAt(4) << 16) |
    (packed.charCodeAt(5) << 8) |
    packed.charCodeAt(6);
  return high * 2 ** 32 + (low >>> 0);
}

const defineOwn = (o: object, name: string, value: unknown) =>
  Object.defineProperty(o, name, { value, enumerable: true, writable: true, configurable: true });

// ---- the JSON form, for what the compact one cannot hold ----

type JsonEntry = [string, number, number, number, number, number, number, string, string, number?];
type JsonRecord = [number, number[], number[], Array<[string, JsonEntry[], string[]]>, number[]?];

function packJson(r: MailboxRecord, base: number): string {
  const packed: JsonRecord = [
    base,
    r.sends,
    r.failures,
    Object.entries(r.purposes).map(([p, state]) => [
      p,
      state.challenges.map((e): JsonEntry => {
        const entry: JsonEntry = [
          e.id,
          e.gen,
          e.attempts,
          statusIndex(e.status),
          e.firstSentAt,
          e.lastSentAt,
          e.expiresAt,
          e.codeTag,
          e.locale,
        ];
        if (e.sendSeq !== undefined) entry.push(e.sendSeq);
        return entry;
      }),
      state.staleCodeTags,
    ]),
  ];
  if (r.notices) packed.push(r.notices);
  // JSON holds every finite number exactly, but not NaN or Infinity: refuse rather than store a changed record.
  return JSON.stringify(packed, (_, v) => {
    if (typeof v === 'number' && !Number.isFinite(v))
      throw new TypeError('memory store: a record with a number it cannot hold');
    return v;
  });
}

function unpackJson(json: string): MailboxRecord {
  const raw = JSON.parse(json) as unknown;
  if (!Array.isArray(raw) || (raw.length !== 4 && raw.length !== 5)) throw corrupt();
  const [, sends, failures, list, notices] = raw as JsonRecord;
  if (!Array.isArray(sends) || !Array.isArray(failures) || !Array.isArray(list)) throw corrupt();
  if (notices !== undefined && !Array.isArray(notices)) throw corrupt();
  const purposes: Record<string, PurposeState> = {};
  for (const [p, entries, staleCodeTags] of list) {
    if (!Array.isArray(entries) || !Array.isArray(staleCodeTags)) throw corrupt();
    if (Object.hasOwn(purposes, p)) throw corrupt();
    defineOwn(purposes, p, {
      challenges: entries.map(
        ([id, gen, attempts, status, firstSentAt, lastSentAt, expiresAt, codeTag, locale, sendSeq]) => {
          const named = STATUSES[status];
          if (named === undefined) throw corrupt();
          const e: ChallengeEntry = {
            id,
            gen,
            attempts,
            status: named,
            firstSentAt,
            lastSentAt,
            expiresAt,
            codeTag,
            locale,
          };
          if (sendSeq !== undefined) e.sendSeq = sendSeq;
          return e;
        },
      ),
      staleCodeTags,
    });
  }
  const record: MailboxRecord = { v: 1, sends, failures, purposes };
  if (notices !== undefined) record.notices = notices;
  return record;
}
