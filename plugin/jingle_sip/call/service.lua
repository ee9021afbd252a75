-- The calls of one component: routes JMI messages, Jingle iqs and relay
-- events to the call they belong to, and starts and ends calls.
--
-- It holds no policy of its own: who may call is decided before a stanza
-- gets here (mod_jingle_sip's gate, policy.check_outbound: the one place
-- that authorizes a call); number ownership, the relay legs and the clock are
-- injected, so mod_jingle_sip wires it to Prosody and the specs wire it to
-- fakes or to the real relay.
--
--   deps = {
--     host,                         -- the component, e.g. "phone.example.net"
--     send(stanza),                 -- module:send
--     log(level, fmt, ...),
--     new_legs(params) -> legs | nil, err   -- params: { direction, number, sid }
--     caller_id(from_jid) -> number | nil
--     trunk_pts,                    -- codecs the trunk takes, preference order
--     now() -> seconds,
--     on_ended(call, outcome, condition, text)   -- metrics
--     owner_of(number) -> bare JID | nil          -- DID ownership
--     ring_timeout,                 -- seconds a call rings, either way
--     add_timer(seconds, fn) -> { stop = fn }
--     new_id() -> string            -- Jingle/JMI session ids
--     on_started(call)              -- optional: a call was registered (metrics)
--     on_milestone(call, what)      -- optional: "reached" | "media" (bridge.lua)
--     discover_devices(owner, done) -- optional: done(devices) once (jingle_sip.devices)
--     direct_target(devices) -> device | nil   -- optional: call that device directly
--     wants_jmi(devices) -> bool    -- optional: propose too, beside the direct device
--     reachability(owner) -> "online" | "push" | "offline" | "unknown"
--                                   -- optional: can anything of the owner ring now
--     missed_call_message,          -- optional: tell the owner of calls nobody took
--     on_unregistered(call)         -- optional: a registered call left the live tables
--                                   (ended, or a direct offer dropped; jingle_sip.node_registry)
--     on_ring(ring, ringing)        -- optional: an inbound call started (true) or stopped
--                                   (false) ringing the owner's devices (jingle_sip.node_registry)
--   }

local jid = require "util.jid"
local st = require "util.stanza"
local parse = require "jingle_sip.jingle.parse"
local build = require "jingle_sip.jingle.build"
local errors = require "jingle_sip.jingle.errors"
local jmi = require "jingle_sip.jingle.jmi"
local bridge = require "jingle_sip.call.bridge"
local numbers = require "jingle_sip.numbers"

local M = {}
local Service = {}
-- What the client is told when a step failed with a Lua error; the error
-- itself goes to the log, not to the client.
local INTERNAL_TEXT = "the phone gateway failed to handle this call (internal error)"
-- How many ended calls the admin shell can still show.
local RECENT_CALLS = 20
Service.__index = Service

function M.new(deps)
	return setmetatable({
		deps = deps,
		calls = {},       -- key(sid, peer) -> call
		by_relay_id = {}, -- relay call id -> call
		proposals = {},   -- key(sid, peer) -> JMI call table of a propose we answered
		per_user = {},    -- bare JID -> number of live calls
		ringing = {},     -- sid -> inbound call ringing the owner's devices
		ringing_by_relay = {}, -- relay call id -> the same
		answered = {},    -- sid -> an inbound ring a device took, while late answers may come
		recent = {},      -- ended calls, newest first, for the admin shell
	}, Service)
end

local function key(sid, peer) return sid .. "\0" .. peer end

--- The number a phone JID stands for, or nil and why (the rule is
-- numbers.lua's: the one owner of what an E.164 number is).
function Service:number_of(to)
	local number, code = numbers.from_jid(to, self.deps.host)
	if number then return number end
	if code == numbers.ERR_WRONG_HOST then return nil, "not this component" end
	return nil, "not an E.164 phone number"
end

function Service:live_calls(bare) return self.per_user[bare] or 0 end

function Service:count(call, delta)
	local bare = jid.bare(call.peer)
	self.per_user[bare] = (self.per_user[bare] or 0) + delta
	if self.per_user[bare] <= 0 then self.per_user[bare] = nil end
end

---------------------------------------------------------------------------
-- XEP-0353 from the caller.
---------------------------------------------------------------------------

--- A message to a phone JID. Returns true when it was a JMI message.
function Service:on_message(stanza)
	local m = jmi.parse(stanza)
	if not m or not m.action then return false end
	local ring = self.ringing[m.id]
	if ring then
		self:guard({ ring = ring }, "answering an inbound call", self.on_ring_answer, self, ring, m)
		return true
	end
	local taken = self.answered[m.id]
	if taken then
		-- Another device of the owner proceeds after one already took the
		-- call (no carbons, or a late delivery): tell it, or it rings on.
		local decision = jmi.on_answer(taken, m)
		if decision.kind == "duplicate" then
			for _, s in ipairs(decision.send) do self.deps.send(s) end
		end
		return true
	end
	local number = self:number_of(m.to or stanza.attr.to)
	if m.action == "propose" then
		local common = { from = m.to, to = m.from, id = m.id, namespace = m.namespace }
		if not number then
			common.reason = { condition = "gone", text = "Not a phone number: use +<E.164>@" .. self.deps.host }
			self.deps.send(jmi.build("reject", common))
			return true
		end
		local answer = jmi.answer_propose(m)
		for _, s in ipairs(answer.send) do self.deps.send(s) end
		if answer.accept then self.proposals[key(m.id, m.from)] = answer.call end
		return true
	elseif m.action == "retract" or m.action == "finish" then
		-- The caller gave up before its session-initiate, or reports the end.
		self.proposals[key(m.id, m.from)] = nil
		return true
	end
	return true
end

---------------------------------------------------------------------------
-- Jingle iqs.
---------------------------------------------------------------------------

--- An iq set carrying <jingle/> to a phone JID. Always answers the iq,
-- with an internal-server-error when handling it raised (each call's own
-- steps are guarded further in, which also ends that call).
function Service:on_jingle_iq(stanza)
	local ok, e = xpcall(self.handle_jingle_iq, debug.traceback, self, stanza)
	if not ok then
		self.deps.log("error", "Jingle iq from %s failed: %s", tostring(stanza.attr.from), tostring(e))
		self.deps.send(errors.reply(stanza, { condition = "internal-server-error", type = "cancel",
			text = INTERNAL_TEXT }))
	end
end

function Service:handle_jingle_iq(stanza)
	local session, perr = parse.jingle(stanza)
	if not session then
		self.deps.send(errors.reply(stanza, perr))
		return
	end
	local from = stanza.attr.from
	local call = self.calls[key(session.sid, from)]
	if session.action == "session-initiate" then
		if call then
			self.deps.send(errors.reply(stanza, { condition = "conflict", text = "session id in use" }))
			return
		end
		return self:start_outbound(stanza, session)
	end
	if not call then
		-- XEP-0166 v1.1.2 section 10: every action for a session we do not
		-- have (never had, or already ended) gets item-not-found with
		-- unknown-session, session-terminate included, so a client can tell
		-- a stale sid from an acknowledged hang-up.
		self.deps.send(errors.unknown_session(stanza))
		return
	end
	if call.ring and session.action == "session-terminate" and self:after_direct_jingle(call, session) then
		self.deps.send(st.reply(stanza))
		return
	end
	local ok, cerr = self:guard({ call = call }, "handling " .. session.action, call.on_jingle, call, session)
	if ok and call.ring then self:after_direct_jingle(call, session) end
	if ok then
		self.deps.send(st.reply(stanza))
	else
		self.deps.send(errors.reply(stanza, cerr))
	end
end

function Service:start_outbound(stanza, session)
	local from, to = stanza.attr.from, stanza.attr.to
	local received_at = self.deps.now()
	local number, why = self:number_of(to)
	if not number then
		self.deps.send(errors.reply(stanza, { condition = "item-not-found", type = "cancel", text = why }))
		return
	end
	local legs, lerr = self.deps.new_legs({ direction = "outbound", number = number, sid = session.sid })
	if not legs then
		self.deps.log("warn", "cannot start call from %s to %s: %s", from, number, lerr)
		self.deps.send(errors.reply(stanza, { condition = "resource-constraint", type = "wait", text = lerr }))
		return
	end
	-- From here on a relay call exists: any failure, a refusal or a Lua
	-- error in any step, ends in Service:abandon (see guard).
	local subject = { legs = legs }
	local started, cerr = self:guard(subject, "setting up the call", function()
		local call, refusal = bridge.outbound({
			decline_style = self.deps.decline_style and self.deps.decline_style(from),
			sid = session.sid, peer = from, phone = to, number = number,
			caller_id = self.deps.caller_id(from), legs = legs, out = self:out_for(to),
			trunk_pts = self.deps.trunk_pts, now = self.deps.now(), received_at = received_at,
		}, session)
		if not call then
			self:abandon(subject, refusal.text or "refused")
			return nil, refusal
		end
		subject.call = call
		self.proposals[key(session.sid, from)] = nil
		call.legs = legs
		self:register(call, legs)
		self:arm_dial(call, 0)
		return true
	end)
	if started then
		self.deps.send(st.reply(stanza))
	else
		self.deps.send(errors.reply(stanza, cerr))
	end
end

-- An outbound call rings no longer than an inbound one
-- (jingle_sip_ring_timeout): past it the trunk gets CANCEL and the client
-- a session-terminate with <timeout/>. `elapsed`: seconds already rung.
function Service:arm_dial(call, elapsed)
	local limit = self.deps.ring_timeout
	if not (limit and self.deps.add_timer) then return end
	call.dial_timer = self.deps.add_timer(math.max(limit - elapsed, 0), function()
		if call.state == "dialing" or call.state == "ringing" then
			call:hangup("timeout", ("nobody answered within %d s"):format(limit))
		end
	end)
end

function Service:register(call, legs)
	self.calls[key(call.sid, call.peer)] = call
	if legs.relay_id then self.by_relay_id[legs.relay_id] = call end
	call.registered = true
	self:count(call, 1)
	self:arm_duration(call, 0)
	if self.deps.on_started then self.deps.on_started(call) end
end

-- Takes an ended call out of the live tables, once (the bridge's
-- out.ended, or Service:abandon when the bridge could not get that far).
function Service:forget_call(call, outcome, condition, text)
	if call.forgotten then return end
	call.forgotten = true
	if call.duration_timer then call.duration_timer.stop() end
	if call.offer_timer then call.offer_timer.stop() end
	if not call.registered then return end
	if self.calls[key(call.sid, call.peer)] == call then self.calls[key(call.sid, call.peer)] = nil end
	-- Ended calls stay visible to the admin shell for a while.
	table.insert(self.recent, 1, call)
	if #self.recent > RECENT_CALLS then table.remove(self.recent) end
	for id, c in pairs(self.by_relay_id) do
		if c == call then self.by_relay_id[id] = nil end
	end
	self:count(call, -1)
	if self.deps.on_unregistered then self.deps.on_unregistered(call) end
	local ring = call.ring
	if ring and self.ringing[ring.sid] == ring then
		-- A direct offer beside a propose ended with the relay leg (the
		-- caller hung up, the relay failed): the JMI devices stop too.
		call.ring, ring.direct = nil, nil
		self:forget_ring(ring)
		self.deps.send(jmi.retract(ring, condition, text))
	end
	-- An inbound call rung straight at a device (no JMI) that nobody took.
	if call.direction == "inbound" and not call.answered_at
		and (condition == "timeout" or outcome == "cancelled") then
		self:missed({ sid = call.sid, local_jid = call.phone, peer_jid = call.peer,
			info = { called = call.number }, rang_at = call.requested_at },
			outcome == "cancelled" and "the caller hung up" or "nobody answered")
	end
	if self.deps.on_ended then self.deps.on_ended(call, outcome, condition, text) end
end

---------------------------------------------------------------------------
-- Failures once relay legs exist: one way out.
---------------------------------------------------------------------------

--- Runs fn(...) for the call `subject` = { legs, call, ring } (the parts
-- that exist so far; the call and ring are also found from the legs) and
-- returns what it returned. A Lua error in fn ends the call through
-- Service:abandon, so nothing of it stays open, and returns nil and an
-- internal-server-error for the stanza's reply.
function Service:guard(subject, what, fn, ...)
	local ok, result, refusal = xpcall(fn, function(e)
		-- A relay step that failed (relay_legs' Legs:must) carries its reason.
		if type(e) == "table" then return e end
		return debug.traceback(e, 2)
	end, ...)
	if ok then return result, refusal end
	local text = type(result) == "table" and result.text or INTERNAL_TEXT
	self.deps.log("error", "%s failed: %s", what, type(result) == "table" and text or tostring(result))
	self:abandon(subject, text)
	return nil, { condition = "internal-server-error", type = "cancel", text = text }
end

--- The one cleanup path (issue 15): ends whatever part of a call exists
-- (a ring, a bridged call, the relay legs) with `text` as the reason,
-- toward the client and the trunk, and closes the relay call. Each step
-- runs protected, so a failing step never keeps the next from running and
-- the relay call with its sockets is closed in every case.
function Service:abandon(subject, text)
	local legs = subject.legs or (subject.call and subject.call.legs) or (subject.ring and subject.ring.legs)
	local relay_id = legs and legs.relay_id
	local call = subject.call or (relay_id and self.by_relay_id[relay_id])
	local ring = subject.ring or (relay_id and self.ringing_by_relay[relay_id])
	local function try(step, fn, ...)
		local ok, e = pcall(fn, ...)
		if not ok then self.deps.log("error", "cleanup of a failed call: %s failed: %s", step, tostring(e)) end
	end
	if ring and self.ringing[ring.sid] == ring then
		try("stopping the ring", self.stop_ringing, self, ring, "general-error", text, 500, "Server Internal Error")
	end
	if call and call.state ~= "ended" then
		try("ending the call", call.hangup, call, "general-error", text)
	elseif ring and ring.answered_by and not call then
		-- A device proceeded, but its session-initiate never went out:
		-- XEP-0353's finish tells every device of the owner.
		try("telling the devices", function() self.deps.send(jmi.finish(ring, "general-error", text)) end)
	end
	if call then try("forgetting the call", self.forget_call, self, call, "failed", "general-error", text) end
	if legs then
		try("closing the relay legs", legs.close, legs, text)
		-- The legs' own close may have failed before reaching the relay.
		local rc = rawget(legs, "call")
		if type(rc) == "table" and not rc.closed and not rawget(legs, "closing") then
			try("closing the relay call", rc.close, rc, text)
		end
	end
end

-- A call never outlives jingle_sip_max_call_duration (0 = no limit): a
-- forgotten or abused line costs money by the minute. `elapsed`: seconds
-- the call already lasted (a module reload re-arms the timer).
function Service:arm_duration(call, elapsed)
	local limit = self.deps.max_call_duration
	if not (limit and limit > 0 and self.deps.add_timer) then return end
	call.duration_timer = self.deps.add_timer(math.max(limit - elapsed, 0), function()
		if call.state ~= "ended" then
			self:guard({ call = call }, "maximum call duration", call.hangup, call, "success",
				("maximum call duration of %d s reached"):format(limit))
		end
	end)
end

-- Arms the timer that gives up on an inbound call nobody answers.
function Service:arm_ring(ring, elapsed)
	ring.timer = self.deps.add_timer(math.max(self.deps.ring_timeout - elapsed, 0), function()
		if self.ringing[ring.sid] == ring then
			self:guard({ ring = ring }, "ring timeout", self.stop_ringing, self, ring, "timeout", "nobody answered",
				480, "Temporarily Unavailable")
		end
	end)
end

--- Takes new dependencies (a module reload: the new module's send, log,
-- timers and options) and keeps every live call and ringing phone. Timers
-- of the old module never fire again, so each is re-armed for the time
-- left.
function Service:rewire(deps)
	self.deps = deps
	local now = deps.now()
	for _, call in pairs(self.calls) do
		if call.duration_timer then call.duration_timer.stop() end
		call.duration_timer = nil
		self:arm_duration(call, now - (call.started_at or now))
		if call.offer_timer then call.offer_timer.stop() end
		call.offer_timer = nil
		if call.state == "offering" then self:arm_offer(call) end
		if call.dial_timer then call.dial_timer.stop() end
		call.dial_timer = nil
		if call.state == "dialing" or call.state == "ringing" then
			self:arm_dial(call, now - (call.requested_at or now))
		end
	end
	for _, ring in pairs(self.ringing) do
		if ring.timer then ring.timer.stop() end
		self:arm_ring(ring, now - (ring.rang_at or now))
	end
end

-- What a call uses to talk to the client and to report its end.
function Service:out_for(phone_jid)
	local service = self
	local seq = 0
	return {
		jingle = function(to, session_table)
			seq = seq + 1
			service.deps.send(build.iq(session_table,
				{ from = phone_jid, to = to, id = ("%s-%s-%d"):format(session_table.sid, session_table.action, seq) }))
		end,
		log = function(level, fmt, ...) service.deps.log(level, fmt, ...) end,
		now = function() return service.deps.now() end,
		milestone = function(call, what)
			if service.deps.on_milestone then service.deps.on_milestone(call, what) end
		end,
		ended = function(call, outcome, condition, text)
			service:forget_call(call, outcome, condition, text)
		end,
	}
end

---------------------------------------------------------------------------
-- Inbound: a phone calls a DID.
---------------------------------------------------------------------------

-- The phone JID a caller appears as. Withheld or non-E.164 caller IDs
-- (anonymous, national formats the trunk did not normalise) still ring,
-- as "anonymous": a JID node must never carry the trunk's raw text.
function Service:caller_jid(caller)
	if numbers.parse(caller) then return numbers.to_jid(caller, self.deps.host) end
	return "anonymous@" .. self.deps.host
end

--- An INVITE from the trunk, already a relay call whose legs are `legs`.
-- info = { caller, called, trunk_pts }. Whatever fails closes the legs.
function Service:on_incoming(legs, info)
	self:guard({ legs = legs }, "ringing an inbound call", self.ring_owner, self, legs, info)
end

function Service:ring_owner(legs, info)
	local owner = info.called and self.deps.owner_of(info.called)
	if not owner then
		self.deps.log("info", "inbound call from %s to unknown number %s: 404",
			tostring(info.caller), tostring(info.called))
		legs:sip_reject(404, "Not Found")
		legs:close("unknown number")
		return
	end
	local ring = {
		sid = self.deps.new_id(), local_jid = self:caller_jid(info.caller), peer_jid = owner,
		legs = legs, info = info, rang_at = self.deps.now(),
	}
	ring.history = {}
	self:ring_note(ring, "sip<", ("INVITE from %s to %s"):format(tostring(info.caller), tostring(info.called)))
	local reach = self.deps.reachability and self.deps.reachability(owner)
	if reach == "offline" then
		-- No device online and no push service to wake one: ringing would
		-- only keep the caller waiting and leave a stale propose offline.
		self.deps.log("info", "inbound call %s from %s to %s: %s has no online device and no push: 480",
			ring.sid, tostring(info.caller), tostring(info.called), owner)
		legs:sip_reject(480, "Temporarily Unavailable")
		legs:close("nobody to ring")
		self:missed(ring, "nobody was online")
		self:ring_ended(ring, "missed", "no device online and no push service (480)")
		if self.deps.on_ended then
			self.deps.on_ended({ direction = "inbound", sid = ring.sid, peer = owner, number = info.called },
				"missed", "timeout", "no device online and no push service")
		end
		return
	end
	self.ringing[ring.sid] = ring
	if legs.relay_id then self.ringing_by_relay[legs.relay_id] = ring end
	if self.deps.on_ring then self.deps.on_ring(ring, true) end
	legs:sip_progress()
	self:arm_ring(ring, 0)
	if self.deps.discover_devices then
		-- Which devices speak JMI decides how they ring (jingle_sip.devices).
		ring.discovering = true
		self.deps.discover_devices(owner, function(devices)
			if self.ringing[ring.sid] ~= ring then return end -- ended meanwhile
			ring.discovering = nil
			self:guard({ ring = ring }, "ringing devices", self.ring_devices, self, ring, devices)
		end)
	else
		self:ring_devices(ring, nil)
	end
end

-- Rings the owner: one JMI propose to the bare JID (every device that
-- speaks JMI rings) and, when a device answered disco without JMI, a
-- session-initiate straight to the best such device (jingle_sip.devices).
-- With both, the direct offer rings beside the propose: whichever device
-- takes the call first wins and the others are told (ring.direct).
function Service:ring_devices(ring, devices)
	local target = self.deps.direct_target and self.deps.direct_target(devices)
	local propose = not target
	if target and self.deps.wants_jmi then propose = self.deps.wants_jmi(devices) end
	if propose then
		self:ring_note(ring, "jmi>", "propose to " .. ring.peer_jid)
		self.deps.send(jmi.ring(ring))
		self.deps.log("info", "inbound call %s from %s to %s rings %s", ring.sid,
			tostring(ring.info.caller), ring.info.called, ring.peer_jid)
		if not target then return end
		self:ring_note(ring, "jingle>", "session-initiate to " .. target.jid .. " (no JMI), beside the propose")
		local call = self:start_inbound(ring, target.jid)
		call.ring, ring.direct = ring, call
		self.deps.log("info", "inbound call %s also rings %s directly (it has no JMI)", ring.sid, target.jid)
		return
	end
	self:forget_ring(ring)
	ring.answered_by = target.jid
	local call = self:start_inbound(ring, target.jid)
	-- The ring timeout still runs: from the INVITE, not from now.
	call.ring_deadline = ring.rang_at + self.deps.ring_timeout
	self:arm_offer(call)
	self.deps.log("info", "inbound call %s from %s to %s rings %s directly (it has no JMI)", ring.sid,
		tostring(ring.info.caller), ring.info.called, target.jid)
end

-- The direct offer that rang beside a propose stops (another device took
-- the call, the ring ended, or the device itself declined or went away)
-- while the relay leg stays with the ring. tell: send the device a
-- session-terminate with condition/text.
function Service:drop_direct(call, condition, text, tell)
	if call.ring then call.ring.direct = nil end
	call.ring = nil
	if call.state == "ended" then return end
	call.state = "ended"
	call.outcome, call.end_reason = "cancelled", condition .. (text and (" " .. text) or "")
	call:note("call", "stopped ringing on this device: " .. call.end_reason)
	if tell then call:send({ action = "session-terminate", reason = { condition = condition, text = text } }) end
	call.forgotten = true
	if call.duration_timer then call.duration_timer.stop() end
	if self.calls[key(call.sid, call.peer)] == call then self.calls[key(call.sid, call.peer)] = nil end
	if call.legs.relay_id and self.by_relay_id[call.legs.relay_id] == call then
		self.by_relay_id[call.legs.relay_id] = nil
	end
	self:count(call, -1)
	if self.deps.on_unregistered then self.deps.on_unregistered(call) end
end

-- A direct offer ringing beside a propose, after its device spoke: it
-- declined (the JMI devices ring on) or accepted (they stop).
function Service:after_direct_jingle(call, session)
	local ring = call.ring
	if not (ring and self.ringing[ring.sid] == ring) then return false end
	if call.state == "active" then
		call.ring, ring.direct = nil, nil
		self:forget_ring(ring)
		ring.answered_by = call.peer
		self:remember_answered(ring)
		self:ring_note(ring, "jmi>", "retract: answered by " .. call.peer)
		self.deps.send(jmi.retract(ring, "cancel", "Answered on another device"))
		return false
	end
	if session.action == "session-terminate" then
		self:drop_direct(call, "success", nil, false)
		self:ring_note(ring, "jingle<", call.peer .. " declined; the JMI devices ring on")
		return true
	end
	return false
end

-- A session-initiate nobody accepts before the ring deadline ends like an
-- unanswered JMI ring: 480 to the trunk, timeout to the device.
function Service:arm_offer(call)
	if not (call.ring_deadline and self.deps.add_timer) then return end
	call.offer_timer = self.deps.add_timer(math.max(call.ring_deadline - self.deps.now(), 0), function()
		if call.state == "offering" then
			self:guard({ call = call }, "ring timeout", call.hangup, call, "timeout", "nobody answered")
		end
	end)
end

function Service:start_inbound(ring, device, restart)
	local call = bridge.inbound({
		sid = ring.sid, peer = device, phone = ring.local_jid, restart = restart,
		number = ring.info.called, legs = ring.legs, out = self:out_for(ring.local_jid),
		trunk_pts = ring.info.trunk_pts, now = self.deps.now(), requested_at = ring.rang_at,
	})
	call.legs = ring.legs
	call.caller = ring.info.caller
	-- The call's trace starts at the INVITE, not at the answer.
	for i, e in ipairs(ring.history or {}) do table.insert(call.history, i, e) end
	call.started_at = ring.rang_at or call.started_at
	self:register(call, ring.legs)
	return call
end

-- A line in a ringing call's own trace (jingle_sip:trace() shows it, and
-- the call's once a device answers).
function Service:ring_note(ring, area, text)
	ring.history = ring.history or {}
	ring.history[#ring.history + 1] = { t = self.deps.now(), area = area, text = text }
end

-- A ring that ended unanswered stays visible in jingle_sip:calls() and
-- jingle_sip:trace() like an ended call (outcome: missed, cancelled,
-- rejected).
function Service:ring_ended(ring, outcome, reason)
	self:ring_note(ring, "call", ("ended: %s %s"):format(outcome, reason))
	table.insert(self.recent, 1, {
		sid = ring.sid, direction = "inbound", peer = ring.peer_jid, number = ring.info.called,
		caller = ring.info.caller, state = "ended", started_at = ring.rang_at, ended_at = self.deps.now(),
		outcome = outcome, end_reason = reason, history = ring.history,
	})
	if #self.recent > RECENT_CALLS then table.remove(self.recent) end
end

-- A ring one device took stays known for as long as it could have rung, so
-- the owner's other devices that proceed late are told (jmi.on_answer).
function Service:remember_answered(ring)
	self.answered[ring.sid] = ring
	if self.deps.add_timer then
		self.deps.add_timer(self.deps.ring_timeout or 60, function()
			if self.answered[ring.sid] == ring then self.answered[ring.sid] = nil end
		end)
	end
end

function Service:forget_ring(ring)
	local was_ringing = self.ringing[ring.sid] == ring
	self.ringing[ring.sid] = nil
	if ring.legs.relay_id then self.ringing_by_relay[ring.legs.relay_id] = nil end
	if ring.timer then ring.timer.stop() end
	if was_ringing and self.deps.on_ring then self.deps.on_ring(ring, false) end
end

-- The owner's missed-call message: a chat message from the caller's phone
-- JID, since a stored JMI propose is not something clients show after the
-- fact. `why`: "nobody answered", "the caller hung up", ...
function Service:missed(ring, why)
	if not self.deps.missed_call_message then return end
	local caller = ring.local_jid:match("^(%+%d+)@") or "an unknown number"
	local text = ("Missed call from %s to your number %s (%s), %s"):format(caller, tostring(ring.info.called),
		why, os.date("!%Y-%m-%d %H:%M UTC", math.floor(ring.rang_at or self.deps.now())))
	self.deps.send(st.message({ from = ring.local_jid, to = jid.bare(ring.peer_jid), type = "chat",
		id = "missed-" .. ring.sid }):text_tag("body", text):tag("store", { xmlns = "urn:xmpp:hints" }):up())
end

-- Ends a call that is still ringing: devices stop, the trunk is told
-- (status nil when the trunk ended it).
function Service:stop_ringing(ring, condition, text, status, phrase)
	self:forget_ring(ring)
	if ring.direct then self:drop_direct(ring.direct, condition, text, true) end
	-- Nothing was proposed while the devices were still being asked.
	if not ring.discovering then self.deps.send(jmi.retract(ring, condition, text)) end
	if status then ring.legs:sip_reject(status, phrase) end
	ring.legs:close(text)
	if condition == "timeout" or condition == "cancel" then
		self:missed(ring, condition == "cancel" and "the caller hung up" or "nobody answered")
	end
	self:ring_ended(ring, condition == "cancel" and "cancelled" or (condition == "timeout" and "missed" or "failed"),
		condition .. (text and (" " .. text) or ""))
	if self.deps.on_ended then
		self.deps.on_ended({ direction = "inbound", sid = ring.sid, peer = ring.peer_jid },
			condition == "cancel" and "cancelled" or "failed", condition, text)
	end
end

function Service:on_ring_answer(ring, m)
	local decision = jmi.on_answer(ring, m)
	for _, s in ipairs(decision.send) do self.deps.send(s) end
	local direct = ring.direct
	if decision.kind == "proceed" then
		self:forget_ring(ring)
		ring.answered_by = decision.initiate_to
		self:remember_answered(ring)
		if direct then self:drop_direct(direct, "cancel", "Answered on another device", true) end
		self:start_inbound(ring, decision.initiate_to, direct ~= nil)
	elseif decision.kind == "reject" or decision.kind == "finish" then
		self:forget_ring(ring)
		if direct then self:drop_direct(direct, "decline", "Declined on another device", true) end
		-- The user declined: the phone hears "declined" (603); carbons
		-- already told the user's other devices.
		ring.legs:sip_reject(603, "Decline")
		ring.legs:close("declined by " .. tostring(m.from))
		self:ring_note(ring, "jmi<", m.action .. " from " .. tostring(m.from))
		self:ring_ended(ring, "rejected", "decline by " .. tostring(m.from) .. " (603)")
		if self.deps.on_ended then
			self.deps.on_ended({ direction = "inbound", sid = ring.sid, peer = ring.peer_jid },
				"declined", "decline", nil)
		end
	end
end

---------------------------------------------------------------------------
-- Relay events.
---------------------------------------------------------------------------

--- A normalised relay event for call `relay_id`.
function Service:on_relay_event(relay_id, event)
	local call = self.by_relay_id[relay_id]
	if call then
		self:guard({ call = call }, "relay event " .. tostring(event.type), call.on_relay, call, event)
		return
	end
	local ring = self.ringing_by_relay[relay_id]
	if ring and (event.type == "sip_hangup" or event.type == "closed") then
		-- The caller hung up while the user's devices rang.
		self:guard({ ring = ring }, "caller hang-up", self.stop_ringing, self, ring, "cancel",
			event.text or "caller hung up", nil)
	end
end

--- Ends every call (module unload without reload, shutdown).
--- A client's full JID went unavailable (its c2s session closed, or it sent
-- unavailable presence to a phone JID or the component): its calls end at
-- once, instead of by the media timeout while the trunk leg still costs
-- money. Returns how many calls ended.
function Service:on_peer_gone(full_jid, text)
	local list = {}
	for _, call in pairs(self.calls) do
		if call.peer == full_jid and call.state ~= "ended" then list[#list + 1] = call end
	end
	for _, call in ipairs(list) do
		local ring = call.ring
		if ring and self.ringing[ring.sid] == ring then
			-- It rang beside a propose: the JMI devices ring on.
			self:drop_direct(call, "gone", text, false)
			self:ring_note(ring, "call", full_jid .. " went away: " .. tostring(text))
		else
			self.deps.log("info", "%s went unavailable: ending call %s", full_jid, call.sid)
			call:peer_gone(text)
		end
	end
	return #list
end

function Service:hangup_all(condition, text)
	local list = {}
	for _, call in pairs(self.calls) do list[#list + 1] = call end
	for _, call in ipairs(list) do call:hangup(condition, text) end
end

function Service:list()
	local list = {}
	for _, call in pairs(self.calls) do list[#list + 1] = call end
	table.sort(list, function(a, b) return (a.started_at or 0) < (b.started_at or 0) end)
	return list
end

return M
