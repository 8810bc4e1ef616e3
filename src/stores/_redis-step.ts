// The flow's rules (src/flow/state.ts) as one Lua script, so a step is one EVALSHA: one round trip, atomic
// on the server, one key (KEYS[1], the mailbox record), safe on Redis Cluster. It is a second copy of the
// rules, held to the first by the conformance suite that runs every store (test/stores/conformance.ts).
// Redis's Lua is 5.1: arrays start at 1, numbers are doubles (epoch ms are exact), cjson writes an empty
// table as {} and a JSON null as cjson.null, never as nil.
export const STEP_SCRIPT = `
local NULL = cjson.null
local MAX_CHALLENGES_PER_PURPOSE = 4
local MAX_STALE_CODE_TAGS = 4
local MAX_PURPOSES = 8

local s = cjson.decode(ARGV[1])
local slack = tonumber(ARGV[2])
local L = s.limits
local raw = redis.call('GET', KEYS[1])
local found = nil
if raw then
  found = cjson.decode(raw)
  if type(found) ~= 'table' or found.v ~= 1 then return redis.error_reply('mailbox record: unknown version') end
end
local r = found or { v = 1, sends = {}, failures = {}, purposes = {} }
if type(r.purposes) ~= 'table' then r.purposes = {} end

local function in_window(times, now, window)
  local out = {}
  for _, t in ipairs(times) do if now - t < window then out[#out + 1] = t end end
  return out
end

local function available_at(times, now, limit)
  local live = in_window(times, now, limit.windowMs)
  if #live < limit.max then return now end
  return live[#live - limit.max + 1] + limit.windowMs
end

local function send_available_at(times)
  local at = s.now
  for _, l in ipairs(L.sendLimits) do at = math.max(at, available_at(times, s.now, l)) end
  return at
end

local function failures_left()
  return math.max(0, L.failureLimit.max - #in_window(r.failures, s.now, L.failureLimit.windowMs))
end

local function entry_end(e) return math.max(e.expiresAt, e.firstSentAt + L.resendWindowMs) end

local function longest_send()
  local w = 0
  for _, l in ipairs(L.sendLimits) do w = math.max(w, l.windowMs) end
  return w
end

-- prune: what no rule can read any more leaves the record
r.sends = in_window(r.sends, s.now, longest_send())
r.failures = in_window(r.failures, s.now, L.failureLimit.windowMs)
if type(r.notices) == 'table' then
  r.notices = in_window(r.notices, s.now, longest_send())
  if #r.notices == 0 then r.notices = nil end
else
  r.notices = nil
end
for purpose, state in pairs(r.purposes) do
  local kept = {}
  for _, e in ipairs(state.challenges) do if entry_end(e) > s.now then kept[#kept + 1] = e end end
  if #kept == 0 then r.purposes[purpose] = nil else state.challenges = kept end
end

-- Event lists stay ascending even when app servers' clocks disagree a little (the windows rely on it).
local function insert_sorted(times, t)
  local i = #times
  while i > 0 and times[i] > t do i = i - 1 end
  table.insert(times, i + 1, t)
end

local function index_of(list, x)
  for i, v in ipairs(list) do if v == x then return i end end
  return nil
end

local function refuse(err, extra)
  local reply = { ok = false, error = err }
  if extra then for k, v in pairs(extra) do reply[k] = v end end
  return reply
end

local function closed(e)
  if e.status == 'locked' then return refuse('ATTEMPTS_EXCEEDED') end
  return refuse('INVALID_CHALLENGE')
end

local function settled(status)
  return { ok = true, status = status, gen = 0, attemptsRemaining = 0, resendAvailableAt = NULL, locale = '', undo = NULL }
end

local function describe(gen, e, undo)
  local list = r.purposes[s.purpose].challenges
  local status = e.status
  if status == 'pending' and not (list[#list] == e and gen == e.gen) then status = 'superseded' end
  local resend = NULL
  if e.status == 'pending' and s.now < e.firstSentAt + L.resendWindowMs then
    resend = math.max(send_available_at(r.sends), e.lastSentAt + L.resendCooldownMs)
  end
  return {
    ok = true, status = status, gen = e.gen,
    attemptsRemaining = math.min(math.max(0, L.maxAttempts - e.attempts), failures_left()),
    resendAvailableAt = resend, locale = e.locale, undo = undo or NULL
  }
end

local function find()
  if not found then return nil, refuse('INVALID_CHALLENGE') end
  local state = r.purposes[s.purpose]
  if not state then return nil, refuse('INVALID_CHALLENGE') end
  for _, c in ipairs(state.challenges) do
    if c.id == s.challengeId then
      if s.gen > c.gen then return nil, refuse('INVALID_CHALLENGE') end
      return c, nil
    end
  end
  return nil, refuse('CHALLENGE_SUPERSEDED')
end

local function reserve_send()
  local budget = available_at(r.failures, s.now, L.failureLimit)
  if budget > s.now then return refuse('ATTEMPTS_EXCEEDED', { retryAfterMs = budget - s.now }) end
  local send = send_available_at(r.sends)
  if send > s.now then return refuse('RATE_LIMITED', { retryAfterMs = send - s.now }) end
  insert_sorted(r.sends, s.now)
  return nil
end

local function push_stale(state, tag, added)
  state.staleCodeTags[#state.staleCodeTags + 1] = tag
  added[#added + 1] = tag
  if #state.staleCodeTags > MAX_STALE_CODE_TAGS then table.remove(state.staleCodeTags, 1) end
end

local function trim_purposes(keep)
  local names = {}
  for p in pairs(r.purposes) do names[#names + 1] = p end
  if #names <= MAX_PURPOSES then return end
  local oldest, oldest_at = nil, nil
  for _, p in ipairs(names) do
    if p ~= keep then
      local newest = 0
      for _, c in ipairs(r.purposes[p].challenges) do newest = math.max(newest, c.firstSentAt) end
      if oldest_at == nil or newest < oldest_at or (newest == oldest_at and p < oldest) then
        oldest, oldest_at = p, newest
      end
    end
  end
  r.purposes[oldest] = nil
end

local function roll_back(u)
  local state = r.purposes[u.purpose]
  if not state then return end
  local list = state.challenges
  local i = nil
  for j, c in ipairs(list) do if c.id == u.challengeId then i = j end end
  if i == nil then return end
  local e = list[i]
  if e.gen ~= u.gen or e.status ~= 'pending' then return end
  local was_current = i == #list
  table.remove(list, i)
  if u.previous ~= NULL then
    e.gen = u.previous.gen
    e.codeTag = u.previous.codeTag
    e.expiresAt = u.previous.expiresAt
    e.lastSentAt = u.previous.lastSentAt
    e.locale = u.previous.locale
    e.sendSeq = u.previous.sendSeq or 0
    local at = #list + 1
    for j, c in ipairs(list) do
      if (c.sendSeq or 0) > e.sendSeq then at = j break end
    end
    table.insert(list, at, e)
  end
  if #list == 0 then
    r.purposes[u.purpose] = nil
    return
  end
  if not was_current or list[#list].id ~= u.previousCurrent then return end
  for _, tag in ipairs(u.staleAdded) do
    for j = #state.staleCodeTags, 1, -1 do
      if state.staleCodeTags[j] == tag then table.remove(state.staleCodeTags, j) break end
    end
  end
end

local function next_send_seq(state)
  local seq = 0
  for _, c in ipairs(state.challenges) do
    if c.sendSeq == nil or c.sendSeq <= seq then
      for j, d in ipairs(state.challenges) do d.sendSeq = j end
      return #state.challenges + 1
    end
    seq = c.sendSeq
  end
  return seq + 1
end

local function copy(e)
  local c = {}
  for k, v in pairs(e) do c[k] = v end
  return c
end

local function run()
  local kind = s.kind
  if kind == 'start' then
    local refused = reserve_send()
    if refused then return refused end
    local state = r.purposes[s.purpose]
    if not state then state = { challenges = {}, staleCodeTags = {} } r.purposes[s.purpose] = state end
    if type(state.staleCodeTags) ~= 'table' then state.staleCodeTags = {} end
    local previous = state.challenges[#state.challenges]
    local added = {}
    if previous and previous.status == 'pending' then push_stale(state, previous.codeTag, added) end
    local send_seq = next_send_seq(state)
    local e = { id = s.challengeId, gen = 1, attempts = 0, status = 'pending', firstSentAt = s.now,
                lastSentAt = s.now, sendSeq = send_seq, expiresAt = s.expiresAt,
                codeTag = s.codeTag, locale = s.locale }
    state.challenges[#state.challenges + 1] = e
    if #state.challenges > MAX_CHALLENGES_PER_PURPOSE then table.remove(state.challenges, 1) end
    trim_purposes(s.purpose)
    local undo = { purpose = s.purpose, challengeId = s.challengeId, gen = 1, previous = NULL,
                   previousCurrent = previous and previous.id or NULL, staleAdded = added }
    return describe(1, e, undo)
  elseif kind == 'resend' then
    local e, no = find()
    if no then return no end
    if e.status ~= 'pending' then return closed(e) end
    if s.now >= e.firstSentAt + L.resendWindowMs then return refuse('CHALLENGE_EXPIRED') end
    local cooled = e.lastSentAt + L.resendCooldownMs
    if cooled > s.now then return refuse('RATE_LIMITED', { retryAfterMs = cooled - s.now }) end
    local refused = reserve_send()
    if refused then return refused end
    local state = r.purposes[s.purpose]
    local send_seq = next_send_seq(state)
    local before = copy(e)
    local current = state.challenges[#state.challenges]
    local added = {}
    if current ~= e and current.status == 'pending' then push_stale(state, current.codeTag, added) end
    push_stale(state, e.codeTag, added)
    table.remove(state.challenges, index_of(state.challenges, e))
    state.challenges[#state.challenges + 1] = e
    e.gen = e.gen + 1
    e.lastSentAt = s.now
    e.sendSeq = send_seq
    e.codeTag = s.codeTag
    e.expiresAt = s.expiresAt
    if s.locale ~= NULL then e.locale = s.locale end
    local undo = { purpose = s.purpose, challengeId = e.id, gen = e.gen, previous = before,
                   previousCurrent = current.id, staleAdded = added }
    return describe(e.gen, e, undo)
  elseif kind == 'verify' then
    local e, no = find()
    if no then return no end
    if e.status ~= 'pending' then return closed(e) end
    local state = r.purposes[s.purpose]
    if state.challenges[#state.challenges] ~= e or s.gen < e.gen then return refuse('CHALLENGE_SUPERSEDED') end
    local budget = available_at(r.failures, s.now, L.failureLimit)
    if budget > s.now then return refuse('ATTEMPTS_EXCEEDED', { retryAfterMs = budget - s.now }) end
    if s.matched then
      e.status = 'used'
      return describe(s.gen, e, nil)
    end
    for _, tag in ipairs(state.staleCodeTags) do
      if tag == s.codeTag then return refuse('CHALLENGE_SUPERSEDED') end
    end
    e.attempts = e.attempts + 1
    insert_sorted(r.failures, s.now)
    if e.attempts >= L.maxAttempts then e.status = 'locked' end
    local remaining = math.min(L.maxAttempts - e.attempts, failures_left())
    return refuse('INVALID_CODE', { attemptsRemaining = math.max(0, remaining) })
  elseif kind == 'inspect' then
    local e, no = find()
    if e then return describe(s.gen, e, nil) end
    if no.error == 'CHALLENGE_SUPERSEDED' then return settled('superseded') end
    return no
  elseif kind == 'cancel' then
    -- By id alone: any secret of the challenge may end it, even one whose generation no longer matches.
    local e = nil
    local state = found and r.purposes[s.purpose]
    if state then
      for _, c in ipairs(state.challenges) do if c.id == s.challengeId then e = c end end
    end
    if not e then return settled('cancelled') end
    if e.status == 'pending' then e.status = 'cancelled' end
    return describe(s.gen, e, nil)
  elseif kind == 'notice' then
    local at = send_available_at(r.notices or {})
    if at > s.now then return refuse('RATE_LIMITED', { retryAfterMs = at - s.now }) end
    insert_sorted(r.sends, s.now)
    if not r.notices then r.notices = {} end
    insert_sorted(r.notices, s.now)
    return settled('pending')
  elseif kind == 'release' then
    for j = #r.sends, 1, -1 do
      if r.sends[j] == s.sentAt then table.remove(r.sends, j) break end
    end
    if s.undo ~= NULL then
      roll_back(s.undo)
    elseif r.notices then
      for j = #r.notices, 1, -1 do
        if r.notices[j] == s.sentAt then table.remove(r.notices, j) break end
      end
      if #r.notices == 0 then r.notices = nil end
    end
    return settled('pending')
  end
  return redis.error_reply('unknown step')
end

local reply = run()
if reply.err then return reply end
if s.kind ~= 'inspect' then
  local last = 0
  if #r.sends > 0 then last = math.max(last, r.sends[#r.sends] + longest_send()) end
  if #r.failures > 0 then last = math.max(last, r.failures[#r.failures] + L.failureLimit.windowMs) end
  for _, state in pairs(r.purposes) do
    for _, e in ipairs(state.challenges) do last = math.max(last, entry_end(e)) end
  end
  if last == 0 then
    if found then redis.call('DEL', KEYS[1]) end
  else
    redis.call('SET', KEYS[1], cjson.encode(r), 'PX', string.format('%d', last - s.now + slack))
  end
end
return cjson.encode(reply)
`;
