// The flow's state and its rules, written once: one record per mailbox, and one pure function per step
// (record and step in, record and reply out). The memory, compare-and-set and Postgres stores run these
// functions inside their atomic section; the Redis store runs src/stores/_redis-step.lua, which the same
// conformance suite holds to these rules.

/** One challenge as the store knows it. Times are epoch milliseconds of the flow's clock. */
export interface ChallengeEntry {
  /** The challengeId (random, public: it is sent to the browser anyway). */
  id: string;
  /** Generation of the newest code: 1 on start, +1 per resend. A secret with a lower one is superseded. */
  gen: number;
  /** Wrong codes counted against this challenge, across its resends. */
  attempts: number;
  status: 'pending' | 'used' | 'locked' | 'cancelled';
  /** The first send: resends are allowed within `resendWindowMs` of it, so a chain cannot live on. */
  firstSentAt: number;
  /** The newest send: the next resend waits `resendCooldownMs` after it. */
  lastSentAt: number;
  /**
   * Order of the newest send among the purpose's challenges (each start or resend takes one more than any
   * held); the list is kept in this order, so the last, the current one, has the highest. A count, not a
   * time, so app servers whose clocks disagree still agree on it. Absent in records of earlier releases.
   */
  sendSeq?: number;
  expiresAt: number;
  /** Keyed tag of the newest code ({@link StepLimits} never sees a code): kept so that, once superseded, */
  /** typing it answers CHALLENGE_SUPERSEDED instead of costing an attempt. */
  codeTag: string;
  /** Locale of the first email, reused by resends that do not name one. */
  locale: string;
}

export interface PurposeState {
  /** Oldest first; the last one is current, every other one is superseded. */
  challenges: ChallengeEntry[];
  /** Keyed tags of superseded codes (newest last), for "use the code from the newest email". */
  staleCodeTags: string[];
}

/** Everything the flow keeps about one mailbox: small, JSON-safe, and evicted or expired as a whole. */
export interface MailboxRecord {
  v: 1;
  /** Send times inside the longest send window, ascending. */
  sends: number[];
  /** Wrong-code times inside the failure window, ascending. */
  failures: number[];
  /**
   * Email-change notice times inside the longest send window, ascending; absent when there are none. Each
   * is in `sends` too (a notice counts against later codes); here they are capped on their own.
   */
  notices?: number[];
  purposes: Record<string, PurposeState>;
}

/** The policy a step needs, in milliseconds. Carried by every step so the store needs no configuration. */
export interface StepLimits {
  sendLimits: ReadonlyArray<{ max: number; windowMs: number }>;
  failureLimit: { max: number; windowMs: number };
  maxAttempts: number;
  resendWindowMs: number;
  resendCooldownMs: number;
}

interface StepBase {
  now: number;
  limits: StepLimits;
}
interface ChallengeStepBase extends StepBase {
  purpose: string;
  challengeId: string;
  /** The generation sealed in the secret presented. */
  gen: number;
}

/** One flow operation on a mailbox record: plain data, so a store can run it anywhere (a Lua script too). */
export type FlowStep =
  | (StepBase & {
      kind: 'start';
      purpose: string;
      challengeId: string;
      codeTag: string;
      expiresAt: number;
      locale: string;
    })
  | (ChallengeStepBase & { kind: 'resend'; codeTag: string; expiresAt: number; locale: string | null })
  | (ChallengeStepBase & { kind: 'verify'; matched: boolean; codeTag: string })
  | (ChallengeStepBase & { kind: 'inspect' })
  | (ChallengeStepBase & { kind: 'cancel' })
  | (StepBase & { kind: 'notice' })
  /** Gives back what a start, resend or notice reserved when its email could not be sent. */
  | (StepBase & { kind: 'release'; sentAt: number; undo: Undo | null });

/** What a start or resend changed, so a failed send can be rolled back exactly. */
export interface Undo {
  purpose: string;
  challengeId: string;
  gen: number;
  /** The entry before the step (null: the step created it). */
  previous: ChallengeEntry | null;
  /** The challenge that was current before (null: none). */
  previousCurrent: string | null;
  staleAdded: string[];
}

export type ChallengeStatus = 'pending' | 'used' | 'locked' | 'superseded' | 'cancelled';

type StepError =
  | 'INVALID_CHALLENGE'
  | 'CHALLENGE_SUPERSEDED'
  | 'CHALLENGE_EXPIRED'
  | 'ATTEMPTS_EXCEEDED'
  | 'RATE_LIMITED'
  | 'INVALID_CODE';

/** A step's answer. `retryAfterMs` and the availability times are exact (the windows slide). */
export type StepReply =
  | {
      ok: true;
      status: ChallengeStatus;
      gen: number;
      attemptsRemaining: number;
      /** Epoch ms when a resend would be accepted, or null when it never will be. */
      resendAvailableAt: number | null;
      locale: string;
      undo: Undo | null;
    }
  | { ok: false; error: StepError; retryAfterMs?: number; attemptsRemaining?: number };

/**
 * What a shared store adds to a record's lifetime (`expiresAt - now`) before it may drop it: app servers'
 * clocks disagree a little, and one whose clock is behind must not find a record gone that the rules keep.
 */
export const RETENTION_SLACK_MS = 60_000;

/** Most challenges remembered per purpose (older ones answer CHALLENGE_SUPERSEDED), and stale code tags. */
const MAX_CHALLENGES_PER_PURPOSE = 4;
const MAX_STALE_CODE_TAGS = 4;
/** Most purposes per record, so a host that passes free-form purposes cannot grow one record without end. */
const MAX_PURPOSES = 8;

const emptyRecord = (): MailboxRecord => ({ v: 1, sends: [], failures: [], purposes: {} });

/**
 * Sets a purpose as an own data property: plain assignment of `__proto__` would replace the object's
 * prototype instead of adding a purpose.
 */
function setPurpose(purposes: Record<string, PurposeState>, purpose: string, state: PurposeState): void {
  // Only `__proto__` is an accessor on Object.prototype; any other name assigned becomes an own property.
  if (purpose !== '__proto__') purposes[purpose] = state;
  else
    Object.defineProperty(purposes, purpose, {
      value: state,
      enumerable: true,
      writable: true,
      configurable: true,
    });
}

/** A purpose's state, read as an own property only: a purpose named `constructor` is just a name. */
const stateOf = (r: MailboxRecord, purpose: string): PurposeState | undefined =>
  Object.hasOwn(r.purposes, purpose) ? r.purposes[purpose] : undefined;

/** The entries of `list` that pass `live`: the list itself when all do (no copy on the common path). */
const kept = <T>(list: T[], live: (x: T) => boolean): T[] => (list.every(live) ? list : list.filter(live));

/** Events still inside a window ending at `now`: the window slides, an event leaves exactly `windowMs` later. */
const inWindow = (times: number[], now: number, windowMs: number) => kept(times, (t) => now - t < windowMs);

/** When `times` allows one more event under "at most max in any windowMs": `now` if it already does. */
function availableAt(times: number[], now: number, limit: { max: number; windowMs: number }) {
  const live = inWindow(times, now, limit.windowMs);
  // With n >= max events in the window, the (n - max + 1)th oldest must leave before one more fits.
  return live.length < limit.max ? now : live[live.length - limit.max]! + limit.windowMs;
}

/** When every send limit allows one more of `times` (each limit's wait, the longest of them). */
const sendAvailableAt = (r: MailboxRecord, s: StepBase, times = r.sends) =>
  s.limits.sendLimits.reduce((at, l) => Math.max(at, availableAt(times, s.now, l)), s.now);

const failuresLeft = (r: MailboxRecord, s: StepBase) =>
  Math.max(0, s.limits.failureLimit.max - inWindow(r.failures, s.now, s.limits.failureLimit.windowMs).length);

/** The moment after which an entry can neither verify nor resend. */
const entryEnd = (e: ChallengeEntry, limits: StepLimits) =>
  Math.max(e.expiresAt, e.firstSentAt + limits.resendWindowMs);

/** The longest send window in ms (0 with no send limits): sends older than it are read by no rule. */
function longestSendWindow(limits: StepLimits): number {
  let longest = 0;
  for (const l of limits.sendLimits) if (l.windowMs > longest) longest = l.windowMs;
  return longest;
}

/** Drops what no rule can read any more: events out of their windows, dead challenges, empty purposes. */
function prune(r: MailboxRecord, s: StepBase): void {
  const longestSend = longestSendWindow(s.limits);
  r.sends = inWindow(r.sends, s.now, longestSend);
  r.failures = inWindow(r.failures, s.now, s.limits.failureLimit.windowMs);
  if (r.notices) {
    r.notices = inWindow(r.notices, s.now, longestSend);
    if (r.notices.length === 0) delete r.notices;
  }
  for (const purpose in r.purposes) {
    if (!Object.hasOwn(r.purposes, purpose)) continue;
    const state = r.purposes[purpose]!;
    state.challenges = kept(state.challenges, (e) => entryEnd(e, s.limits) > s.now);
    if (state.challenges.length === 0) delete r.purposes[purpose];
  }
}

/** Epoch ms until which the record must be kept (the store may drop it after), or null when it is empty. */
function recordExpiresAt(r: MailboxRecord, limits: StepLimits): number | null {
  let end = 0;
  const longestSend = longestSendWindow(limits);
  if (r.sends.length) end = Math.max(end, r.sends[r.sends.length - 1]! + longestSend);
  if (r.failures.length)
    end = Math.max(end, r.failures[r.failures.length - 1]! + limits.failureLimit.windowMs);
  for (const state of Object.values(r.purposes))
    for (const e of state.challenges) end = Math.max(end, entryEnd(e, limits));
  return end === 0 ? null : end;
}

function refuse(
  error: StepError,
  extra?: { retryAfterMs?: number; attemptsRemaining?: number },
): Extract<StepReply, { ok: false }> {
  const reply: Extract<StepReply, { ok: false }> = { ok: false, error };
  if (extra?.retryAfterMs !== undefined) reply.retryAfterMs = extra.retryAfterMs;
  if (extra?.attemptsRemaining !== undefined) reply.attemptsRemaining = extra.attemptsRemaining;
  return reply;
}

/** The answer when a challenge is used, locked or cancelled: the right and a wrong code get the same one. */
const closed = (e: ChallengeEntry) =>
  refuse(e.status === 'locked' ? 'ATTEMPTS_EXCEEDED' : 'INVALID_CHALLENGE');

function describe(
  r: MailboxRecord,
  s: StepBase & { purpose: string },
  e: ChallengeEntry,
  undo: Undo | null = null,
  gen = (s as ChallengeStepBase).gen,
): StepReply {
  const list = stateOf(r, s.purpose)!.challenges;
  const current = list[list.length - 1] === e && gen === e.gen;
  const status: ChallengeStatus = e.status !== 'pending' ? e.status : current ? 'pending' : 'superseded';
  const resendable = e.status === 'pending' && s.now < e.firstSentAt + s.limits.resendWindowMs;
  return {
    ok: true,
    status,
    gen: e.gen,
    attemptsRemaining: Math.min(Math.max(0, s.limits.maxAttempts - e.attempts), failuresLeft(r, s)),
    resendAvailableAt: resendable
      ? Math.max(sendAvailableAt(r, s), e.lastSentAt + s.limits.resendCooldownMs)
      : null,
    locale: e.locale,
    undo,
  };
}

/**
 * Finds the challenge a secret names. A record or purpose with no trace of it while the secret (already
 * checked as unexpired and flow-issued) says it exists means the state was lost (evicted, flushed,
 * restarted): fail closed. A purpose that has other challenges pushed it out: superseded.
 */
function find(r: MailboxRecord | null, s: ChallengeStepBase): ChallengeEntry | StepReply {
  const state = r ? stateOf(r, s.purpose) : undefined;
  if (!state) return refuse('INVALID_CHALLENGE');
  const e = state.challenges.find((c) => c.id === s.challengeId);
  if (!e) return refuse('CHALLENGE_SUPERSEDED');
  // A secret newer than the record is impossible unless the record was lost and rebuilt: fail closed.
  if (s.gen > e.gen) return refuse('INVALID_CHALLENGE');
  return e;
}

/** A reply about no particular challenge state (nothing to resend, nothing to attempt). */
const settled = (status: ChallengeStatus): StepReply => ({
  ok: true,
  status,
  gen: 0,
  attemptsRemaining: 0,
  resendAvailableAt: null,
  locale: '',
  undo: null,
});

const isReply = (x: ChallengeEntry | StepReply): x is StepReply => 'ok' in x;

/**
 * The send order the next start or resend of a purpose takes: one more than any challenge holds. The list
 * is kept in send order (the last is current). A list whose numbers do not rise along it (a record from an
 * earlier release, which has none, or one an earlier release changed) is numbered again by its order,
 * which is the order every release keeps.
 */
function nextSendSeq(state: PurposeState): number {
  let seq = 0;
  for (const e of state.challenges) {
    if (e.sendSeq === undefined || e.sendSeq <= seq) {
      state.challenges.forEach((c, j) => {
        c.sendSeq = j + 1;
      });
      return state.challenges.length + 1;
    }
    seq = e.sendSeq;
  }
  return seq + 1;
}

/** Reserves one email under the failure budget and the send limits, or says why not. */
function reserveSend(r: MailboxRecord, s: StepBase): StepReply | null {
  const budget = availableAt(r.failures, s.now, s.limits.failureLimit);
  if (budget > s.now) return refuse('ATTEMPTS_EXCEEDED', { retryAfterMs: budget - s.now });
  const send = sendAvailableAt(r, s);
  if (send > s.now) return refuse('RATE_LIMITED', { retryAfterMs: send - s.now });
  insertSorted(r.sends, s.now);
  return null;
}

/** Keeps event lists ascending even when app servers' clocks disagree a little (the windows rely on it). */
function insertSorted(times: number[], t: number): void {
  let i = times.length;
  while (i > 0 && times[i - 1]! > t) i--;
  times.splice(i, 0, t);
}

function pushStale(state: PurposeState, tag: string, added: string[]): void {
  state.staleCodeTags.push(tag);
  added.push(tag);
  if (state.staleCodeTags.length > MAX_STALE_CODE_TAGS) state.staleCodeTags.shift();
}

/**
 * Applies one step. `stored` is the stored record (null when missing) and is not modified; the result
 * holds the record to store (null: delete it), until when to keep it (epoch ms of the flow's clock), and
 * the reply. Pure and synchronous: the caller supplies atomicity (one synchronous section, one
 * transaction, a compare-and-set loop). An `inspect` step never needs its record written back.
 *
 * @param stored - The record under the step's key, or null when there is none.
 * @param s - The step, as the flow hands it to `ChallengeStore.step`.
 * @returns `{ record, reply, expiresAt }`: what to store (null: delete), the answer, and until when to keep it.
 * @example
 * ```ts
 * import { applyStep, type ChallengeStore, decodeRecord, encodeRecord } from 'mailbox-challenge';
 *
 * // A store over any map that can run a function atomically (here: one process, one map).
 * const table = new Map<string, string>();
 * const store: ChallengeStore = {
 *   async step(key, step) {
 *     const text = table.get(key);
 *     const { record, reply } = applyStep(text === undefined ? null : decodeRecord(text), step);
 *     if (step.kind === 'inspect') return reply;
 *     if (record) table.set(key, encodeRecord(record));
 *     else table.delete(key);
 *     return reply;
 *   },
 * };
 * ```
 */
export function applyStep(
  stored: MailboxRecord | null,
  s: FlowStep,
): { record: MailboxRecord | null; reply: StepReply; expiresAt: number | null } {
  return applyStepInPlace(stored ? cloneRecord(stored) : null, s);
}

/** {@link applyStep} for a record the caller owns (freshly decoded): changes it instead of a copy. */
export function applyStepInPlace(
  found: MailboxRecord | null,
  s: FlowStep,
): { record: MailboxRecord | null; reply: StepReply; expiresAt: number | null } {
  const r = found ?? emptyRecord();
  prune(r, s);
  const reply = run(found, r, s);
  const expiresAt = recordExpiresAt(r, s.limits);
  return { record: expiresAt === null ? null : r, reply, expiresAt };
}

function run(found: MailboxRecord | null, r: MailboxRecord, s: FlowStep): StepReply {
  switch (s.kind) {
    case 'start': {
      const refused = reserveSend(r, s);
      if (refused) return refused;
      let state = stateOf(r, s.purpose);
      if (!state) {
        state = { challenges: [], staleCodeTags: [] };
        setPurpose(r.purposes, s.purpose, state);
      }
      const previous = state.challenges[state.challenges.length - 1];
      const staleAdded: string[] = [];
      if (previous?.status === 'pending') pushStale(state, previous.codeTag, staleAdded);
      const sendSeq = nextSendSeq(state);
      const entry: ChallengeEntry = {
        id: s.challengeId,
        gen: 1,
        attempts: 0,
        status: 'pending',
        firstSentAt: s.now,
        lastSentAt: s.now,
        sendSeq,
        expiresAt: s.expiresAt,
        codeTag: s.codeTag,
        locale: s.locale,
      };
      state.challenges.push(entry);
      if (state.challenges.length > MAX_CHALLENGES_PER_PURPOSE) state.challenges.shift();
      trimPurposes(r, s.purpose);
      const undo: Undo = {
        purpose: s.purpose,
        challengeId: s.challengeId,
        gen: 1,
        previous: null,
        previousCurrent: previous?.id ?? null,
        staleAdded,
      };
      return describe(r, s, entry, undo, 1);
    }
    case 'resend': {
      const e = find(found, s);
      if (isReply(e)) return e;
      if (e.status !== 'pending') return closed(e);
      if (s.now >= e.firstSentAt + s.limits.resendWindowMs) return refuse('CHALLENGE_EXPIRED');
      const cooled = e.lastSentAt + s.limits.resendCooldownMs;
      if (cooled > s.now) return refuse('RATE_LIMITED', { retryAfterMs: cooled - s.now });
      const refused = reserveSend(r, s);
      if (refused) return refused;
      const state = stateOf(r, s.purpose)!;
      const sendSeq = nextSendSeq(state); // first: it may number the list, which `before` then keeps
      const before = { ...e };
      const current = state.challenges[state.challenges.length - 1]!;
      const staleAdded: string[] = [];
      if (current !== e && current.status === 'pending') pushStale(state, current.codeTag, staleAdded);
      pushStale(state, e.codeTag, staleAdded);
      // Resent: this challenge becomes the current one again (another tab may have started a newer one).
      state.challenges.splice(state.challenges.indexOf(e), 1);
      state.challenges.push(e);
      e.gen += 1;
      e.lastSentAt = s.now;
      e.sendSeq = sendSeq;
      e.codeTag = s.codeTag;
      e.expiresAt = s.expiresAt;
      if (s.locale !== null) e.locale = s.locale;
      const undo: Undo = {
        purpose: s.purpose,
        challengeId: e.id,
        gen: e.gen,
        previous: before,
        previousCurrent: current.id,
        staleAdded,
      };
      return describe(r, s, e, undo, e.gen);
    }
    case 'verify': {
      const e = find(found, s);
      if (isReply(e)) return e;
      if (e.status !== 'pending') return closed(e);
      const list = stateOf(r, s.purpose)!.challenges;
      if (list[list.length - 1] !== e || s.gen < e.gen) return refuse('CHALLENGE_SUPERSEDED');
      const budget = availableAt(r.failures, s.now, s.limits.failureLimit);
      if (budget > s.now) return refuse('ATTEMPTS_EXCEEDED', { retryAfterMs: budget - s.now });
      if (s.matched) {
        e.status = 'used';
        return describe(r, s, e);
      }
      // The code of an earlier email: the person has the newest secret but typed from the first email
      // to arrive. No attempt is counted; the newest code keeps working.
      if (stateOf(r, s.purpose)!.staleCodeTags.includes(s.codeTag)) return refuse('CHALLENGE_SUPERSEDED');
      e.attempts += 1;
      insertSorted(r.failures, s.now);
      if (e.attempts >= s.limits.maxAttempts) e.status = 'locked';
      const remaining = Math.min(s.limits.maxAttempts - e.attempts, failuresLeft(r, s));
      return refuse('INVALID_CODE', { attemptsRemaining: Math.max(0, remaining) });
    }
    case 'inspect': {
      const e = find(found, s);
      if (!isReply(e)) return describe(r, s, e);
      // Pushed out by newer challenges: it can never verify again, which is what "superseded" says.
      return !e.ok && e.error === 'CHALLENGE_SUPERSEDED' ? settled('superseded') : e;
    }
    case 'cancel': {
      // By id alone: any secret of the challenge may end it (ending is the safe direction), even one whose
      // generation the record no longer matches.
      const e = found ? stateOf(r, s.purpose)?.challenges.find((c) => c.id === s.challengeId) : undefined;
      if (!e) return settled('cancelled'); // unknown or lost: it never verifies either way
      if (e.status === 'pending') e.status = 'cancelled';
      return describe(r, s, e);
    }
    case 'notice': {
      // Capped by the send limits over notices alone: codes never keep one from going, so whoever changed
      // the address cannot spend the old mailbox's limits first to keep its owner from hearing of it,
      // while a session cannot mail-bomb the old address or grow its record without end. A notice counts
      // against later codes.
      const at = sendAvailableAt(r, s, r.notices ?? []);
      if (at > s.now) return refuse('RATE_LIMITED', { retryAfterMs: at - s.now });
      insertSorted(r.sends, s.now);
      r.notices ??= [];
      insertSorted(r.notices, s.now);
      return settled('pending');
    }
    case 'release': {
      const at = r.sends.lastIndexOf(s.sentAt);
      if (at >= 0) r.sends.splice(at, 1);
      if (s.undo) rollBack(r, s.undo);
      else if (r.notices) {
        // A notice (the only send without an undo).
        const n = r.notices.lastIndexOf(s.sentAt);
        if (n >= 0) r.notices.splice(n, 1);
        if (r.notices.length === 0) delete r.notices;
      }
      return settled('pending');
    }
  }
}

/**
 * Undoes what a start or resend whose email failed did to its challenge, and no more: a challenge closed
 * since (cancelled, used, locked) stays closed, and a challenge another step made current since (a newer
 * start, another resend) stays current.
 */
function rollBack(r: MailboxRecord, u: Undo): void {
  const state = stateOf(r, u.purpose);
  if (!state) return;
  const list = state.challenges;
  const i = list.findIndex((c) => c.id === u.challengeId);
  const e = list[i];
  // Gone, resent again since (a later resend owns it), or closed since: nothing of this step to undo.
  if (!e || e.gen !== u.gen || e.status !== 'pending') return;
  const wasCurrent = i === list.length - 1;
  list.splice(i, 1); // a start's challenge goes: its code never reached anyone
  if (u.previous !== null) {
    // A resend: the code sent before is the newest of this challenge again. Status and attempts stay as
    // they are now. It goes back to its place in send order, so the last is still the challenge whose
    // newest email stands, also once later ones expire (a count, not a time: clocks may disagree).
    e.gen = u.previous.gen;
    e.codeTag = u.previous.codeTag;
    e.expiresAt = u.previous.expiresAt;
    e.lastSentAt = u.previous.lastSentAt;
    e.locale = u.previous.locale;
    e.sendSeq = u.previous.sendSeq ?? 0;
    const after = list.findIndex((c) => (c.sendSeq ?? 0) > e.sendSeq!);
    list.splice(after < 0 ? list.length : after, 0, e);
  }
  if (list.length === 0) {
    delete r.purposes[u.purpose];
    return;
  }
  // The stale tags this step added only when the state is back to what it was; else a newer challenge is
  // current and they keep answering CHALLENGE_SUPERSEDED for the older codes.
  if (!wasCurrent || list[list.length - 1]!.id !== u.previousCurrent) return;
  for (const tag of u.staleAdded) {
    const t = state.staleCodeTags.lastIndexOf(tag);
    if (t >= 0) state.staleCodeTags.splice(t, 1);
  }
}

/** Keeps at most MAX_PURPOSES purposes, dropping the one whose newest challenge is oldest. */
function trimPurposes(r: MailboxRecord, keep: string): void {
  const names = Object.keys(r.purposes);
  if (names.length <= MAX_PURPOSES) return;
  const newest = (p: string) => Math.max(...r.purposes[p]!.challenges.map((c) => c.firstSentAt));
  // Oldest newest challenge first; ties by name, so the Redis script (with no key order) agrees.
  const oldest = names
    .filter((p) => p !== keep)
    .sort((a, b) => newest(a) - newest(b) || (a < b ? -1 : 1))[0]!;
  delete r.purposes[oldest];
}

function cloneRecord(r: MailboxRecord): MailboxRecord {
  const purposes: Record<string, PurposeState> = {};
  for (const [p, state] of Object.entries(r.purposes)) {
    setPurpose(purposes, p, {
      challenges: state.challenges.map((c) => ({ ...c })),
      staleCodeTags: [...state.staleCodeTags],
    });
  }
  const copy: MailboxRecord = { v: 1, sends: [...r.sends], failures: [...r.failures], purposes };
  if (r.notices) copy.notices = [...r.notices];
  return copy;
}

/**
 * JSON of a record, for stores that keep text; {@link decodeRecord} reads it back.
 *
 * @example
 * ```ts
 * import { decodeRecord, encodeRecord, type MailboxRecord } from 'mailbox-challenge';
 *
 * const record: MailboxRecord = { v: 1, sends: [], failures: [], purposes: {} };
 * decodeRecord(encodeRecord(record)); // equal to record
 * ```
 */
export const encodeRecord = (r: MailboxRecord): string => JSON.stringify(r);

/**
 * Parses a stored record, or throws when it is not one (the flow then fails closed with STORE_UNAVAILABLE
 * rather than reading garbage as a fresh mailbox). Empty arrays written by Lua's cjson arrive as `{}`.
 *
 * @throws SyntaxError or TypeError when `text` is not a record of a known version.
 * @example
 * ```ts
 * import { decodeRecord } from 'mailbox-challenge';
 *
 * decodeRecord('{"v":1,"sends":{},"failures":[],"purposes":{}}').sends; // []
 * ```
 */
export function decodeRecord(text: string): MailboxRecord {
  const raw = JSON.parse(text) as Partial<MailboxRecord>;
  const list = <T>(x: unknown): T[] => {
    if (Array.isArray(x)) return x as T[];
    if (x && typeof x === 'object' && Object.keys(x).length === 0) return [];
    throw new TypeError('mailbox record: a list is not a list');
  };
  if (raw?.v !== 1) throw new TypeError('mailbox record: unknown version');
  const purposes: Record<string, PurposeState> = {};
  for (const [p, state] of Object.entries(raw.purposes ?? {})) {
    setPurpose(purposes, p, { challenges: list(state.challenges), staleCodeTags: list(state.staleCodeTags) });
  }
  const record: MailboxRecord = { v: 1, sends: list(raw.sends), failures: list(raw.failures), purposes };
  if (raw.notices !== undefined) record.notices = list(raw.notices);
  return record;
}
