-- One bridged call: the Jingle session with the XMPP client on one side, the
-- relay's client leg (ICE/DTLS-SRTP) and SIP dialog on the other.
--
-- Sans-IO: the module feeds it parsed Jingle sessions (jingle_sip.jingle.parse
-- shapes) and relay events, and it acts only through two injected objects:
--
--   legs (the relay, through jingle_sip's adapter over callrelay):
--     legs:client_start{ ice_role, rtcp_mux, choice, remote = {ufrag, pwd},
--                        fingerprint = {hash, value, setup} | nil }
--     legs:local_description() -> { ufrag, pwd, fingerprint = { hash, value } }
--     legs:client_add_candidate(relay_candidate)   legs:client_end_of_candidates()
--     legs:client_ice_restart()  legs:client_set_remote_credentials(ufrag, pwd)   (ICE restart)
--     legs:client_set_remote_fingerprint{ hash, value, setup }
--     legs:sip_dial{ number, caller_id, choice, offer = trunk pts }  legs:set_choice(choice)
--     legs:sip_progress()  legs:sip_answer()  legs:sip_hold(bool)
--     legs:watch_trunk_media(bool)   (the trunk must send RTP now)
--     legs:transcode(choice) -> true | nil, text   (choice.mode == "transcode")
--     legs:sip_reject(status, phrase)  legs:sip_hangup(reason?)  legs:close(reason)
--                      (reason = { cause = Q.850 cause, text }: the BYE's Reason header)
--     legs:send_dtmf(digit, duration_ms, volume) -> true | nil, message, name
--                                        (RFC 4733 toward the trunk)
--   out (the module):
--     out.jingle(to, session_table)   -- sends an iq set from the phone JID
--     out.log(level, fmt, ...)        out.ended(call, outcome, condition, text)
--
-- Relay events arrive normalised as { type = ..., ... }:
--   local_candidate { candidate }      gathering_done
--   dtls_connected  dtls_failed { text }  ice_failed { text }
--   media_timeout { from = "client" | "trunk", seconds, text }
--   sip_progress { status, early_media, trunk }  sip_answered { trunk, direction }
--   sip_media_changed { direction }   (the trunk's SDP direction: its hold)
--     (trunk = { codec = pt, dtmf = pt | nil }: what the trunk's SDP chose)
--   sip_failed { status, phrase }  sip_hangup { text }  closed { text }
--   first_media { direction = 1 client->phone | 2 phone->client }
--
-- out.milestone(call, "reached" | "media"), when given, reports setup times
-- for the metrics: call.requested_at -> call.reached_at (post-dial delay),
-- call.answered_at -> call.media_at (media flowing both ways).
--
-- States: outbound new -> dialing -> ringing -> active -> ended;
--         inbound  new -> offering -> active -> ended.

local codecs = require "jingle_sip.jingle.codecs"
local candidates = require "jingle_sip.jingle.candidates"
local answer = require "jingle_sip.jingle.answer"
local ns = require "jingle_sip.jingle.ns"
local reasons = require "jingle_sip.call.reasons"

local ipairs = ipairs

-- ITU-T Q.850 causes for the Reason header (RFC 3326) of our BYEs.
local Q850_NORMAL_CLEARING, Q850_TEMPORARY_FAILURE = 16, 41

local Call = {}
Call.__index = Call

local M = {}

local function err(condition, jingle_condition, text)
	return nil, { condition = condition, jingle_condition = jingle_condition, text = text }
end

local function new_call(o)
	return setmetatable({
		direction = o.direction, sid = o.sid, peer = o.peer, phone = o.phone,
		number = o.number, caller_id = o.caller_id, legs = o.legs, out = o.out,
		trunk_pts = o.trunk_pts, state = "new",
		local_candidates = {}, -- relay form, gathered before we could send them
		candidate_seq = 0,
		retired_ufrags = {},
		history = {},
		started_at = o.now,
		-- When the call was asked for (session-initiate, INVITE): the
		-- start of its post-dial delay.
		requested_at = o.requested_at or o.now,
		media_seen = {}, -- relay direction code -> first media forwarded
	}, Call)
end

function Call:now() return self.out.now and self.out.now() or 0 end

-- Setup milestones for the metrics: "reached" (the far end rang or
-- answered), "media" (media flowing both ways after the answer). Each once.
function Call:milestone(name)
	local at = self:now()
	if name == "reached" then
		if self.reached_at then return end
		self.reached_at = at
	elseif name == "answered" then
		self.answered_at = at
	end
	if self.answered_at and not self.media_at and self.media_seen[1] and self.media_seen[2] then
		self.media_at = math.max(at, self.answered_at)
		if self.out.milestone then self.out.milestone(self, "media") end
	end
	if name == "reached" and self.out.milestone then self.out.milestone(self, "reached") end
end

function Call:log(level, fmt, ...)
	self.out.log(level, "call %s (%s %s): " .. fmt, self.sid, self.direction, self.number, ...)
end

function Call:send(session_table)
	session_table.sid = self.sid
	self:note("jingle>", M.describe(session_table))
	self.out.jingle(self.peer, session_table)
end

--- Records a fact for the call's trace (the admin shell's view).
function Call:note(area, text, t)
	local h = self.history
	h[#h + 1] = { t = t or (self.out.now and self.out.now()) or 0, area = area, text = text }
	if #h > 200 then table.remove(h, 1) end
end

--- One line about a Jingle session table, for traces.
function M.describe(s)
	local parts = { s.action }
	if s.info then parts[#parts + 1] = s.info.kind end
	if s.reason then parts[#parts + 1] = s.reason.condition .. (s.reason.text and (" (" .. s.reason.text .. ")") or "") end
	for _, c in ipairs(s.contents or {}) do
		local t = c.transport
		local d = c.description
		local bits = { ("content %s/%s"):format(tostring(c.creator), tostring(c.name)) }
		if d and d.payload_types then
			local pts = {}
			for _, pt in ipairs(d.payload_types) do pts[#pts + 1] = tostring(pt.name) .. "/" .. tostring(pt.id) end
			bits[#bits + 1] = "pts " .. table.concat(pts, ",")
		end
		if t then
			if t.ufrag then bits[#bits + 1] = "ufrag " .. t.ufrag end
			for _, fp in ipairs(t.fingerprints or {}) do bits[#bits + 1] = "setup " .. tostring(fp.setup) end
			for _, cand in ipairs(t.candidates or {}) do
				bits[#bits + 1] = ("cand %s %s:%s c%s"):format(tostring(cand.type), tostring(cand.ip),
					tostring(cand.port), tostring(cand.component))
			end
			if t.end_of_candidates then bits[#bits + 1] = "end-of-candidates" end
		end
		parts[#parts + 1] = table.concat(bits, " ")
	end
	return table.concat(parts, " | ")
end

-- Our transport element: credentials, fingerprint, and candidates.
function Call:local_transport(with_candidates, setup)
	local desc = self.legs:local_description()
	local t = {
		namespace = ns.ICE_UDP, ufrag = desc.ufrag, pwd = desc.pwd, candidates = {},
		fingerprints = { { hash = desc.fingerprint.hash, value = desc.fingerprint.value, setup = setup } },
	}
	for _, rc in ipairs(with_candidates or {}) do
		t.candidates[#t.candidates + 1] = self:jingle_candidate(rc)
	end
	return t
end

function Call:jingle_candidate(rc)
	self.candidate_seq = self.candidate_seq + 1
	return candidates.to_jingle(rc, ("%s-c%d"):format(self.sid, self.candidate_seq))
end

function Call:add_remote_candidates(transport)
	local kept, dropped = candidates.filter(transport.candidates or {})
	for _, rc in ipairs(kept) do
		-- Component 2 with rtcp-mux agreed is Firefox being thorough
		-- (docs/INTEROP.md#4): the relay ignores it, so do we.
		if not (self.rtcp_mux and rc.component == 2) then
			self.legs:client_add_candidate(rc)
		end
	end
	for _, d in ipairs(dropped) do
		self:log("debug", "dropped client candidate %s:%s (%s)", tostring(d.candidate.ip),
			tostring(d.candidate.port), d.reason)
	end
	if transport.end_of_candidates then self.legs:client_end_of_candidates() end
end

-- Ends the call on both legs once. `condition`/`text`: the Jingle reason.
-- tell_client=false when the client ended it (no terminate back).
-- sip_cause: a Q.850 cause for the BYE's Reason header (with `text`), when
-- the gateway, not a person, ends the call.
function Call:finish(outcome, condition, text, tell_client, sip_action, sip_cause)
	if self.state == "ended" then return end
	local was = self.state
	self.state = "ended"
	self:log("info", "ended (%s): %s %s", outcome, condition, text or "")
	self.ended_at = self.out.now and self.out.now() or nil
	self.outcome = outcome
	self.end_reason = condition .. (text and (" " .. text) or "")
	self:note("call", "ended: " .. outcome .. " " .. self.end_reason)
	if tell_client ~= false and (self.direction == "outbound" or was ~= "new") then
		self:send({ action = "session-terminate", reason = { condition = condition, text = text } })
	end
	if sip_action == "reject" then
		self.legs:sip_reject(reasons.to_sip(condition))
	elseif sip_action ~= "none" then
		self.legs:sip_hangup(sip_cause and text and { cause = sip_cause, text = text } or nil)
	end
	self.legs:close(text or condition)
	self.out.ended(self, outcome, condition, text)
end

---------------------------------------------------------------------------
-- Outbound: an XMPP user calls a phone number.
---------------------------------------------------------------------------

--- A session-initiate from the caller. o = { sid, peer (caller's full JID),
-- phone (callee's phone JID), number, caller_id, legs, out, trunk_pts, now }.
-- Returns the call, or nil and an error for the iq reply.
function M.outbound(o, session)
	local audio, declined, why = answer.split(session)
	if not audio then
		-- declined is the XEP-0166 condition here.
		return err("bad-request", declined, why)
	end
	local fp = (audio.transport.fingerprints or {})[1]
	if not fp then
		-- Every client we meet offers DTLS-SRTP; plain RTP toward a client
		-- is never sent (docs/INTEROP.md#13).
		return err("not-acceptable", "security-required", "DTLS-SRTP is required")
	end
	local choice, condition, text = codecs.choose(audio.description.payload_types, o.trunk_pts)
	if not choice then
		return err("not-acceptable", nil, text or condition)
	end
	if choice.mode == "transcode" and not o.legs.can_transcode then
		return err("not-acceptable", nil, "no codec in common with the phone network (transcoding is not available)")
	end
	if choice.mode == "transcode" then
		-- Past jingle_sip_max_transcoded_calls: refused, not degraded.
		local ok, refusal = o.legs:transcode(choice)
		if not ok then return nil, { condition = "resource-constraint", type = "wait", text = refusal } end
	end
	local call = new_call({ direction = "outbound", sid = o.sid, peer = o.peer, phone = o.phone,
		number = o.number, caller_id = o.caller_id, legs = o.legs, out = o.out,
		trunk_pts = o.trunk_pts, now = o.now })
	call:note("jingle<", M.describe(session), o.received_at)
	call.content = audio
	call.offer = session
	call.refused = declined
	-- How to decline video in the accept depends on the client (see
	-- jingle_sip.jingle.answer); the module knows it from the caller's caps.
	call.decline_style = o.decline_style
	call.choice = choice
	call.rtcp_mux = audio.description.rtcp_mux and true or false
	call.remote = { ufrag = audio.transport.ufrag, pwd = audio.transport.pwd }
	call.remote_fingerprint = fp
	-- RFC 5763 §5: the answerer to actpass should be active; a client that
	-- offers passive/active gets the other role.
	call.dtls_setup = fp.setup == "active" and "passive" or "active"
	call.legs:client_start({
		ice_role = "controlled", rtcp_mux = call.rtcp_mux, choice = choice,
		remote = call.remote,
		fingerprint = { hash = fp.hash, value = fp.value, setup = fp.setup },
		dtls_role = call.dtls_setup,
	})
	call:add_remote_candidates(audio.transport)
	call.requested_at = o.received_at or o.now
	call.legs:sip_dial({ number = o.number, caller_id = o.caller_id, choice = choice,
		offer = codecs.trunk_offer(audio.description.payload_types, o.trunk_pts, o.legs.can_transcode) })
	call.state = "dialing"
	call:log("info", "dialing (%s, client %s, trunk %s)", choice.mode,
		codecs.key(choice.client) or "?", codecs.key(choice.trunk) or "?")
	return call
end

---------------------------------------------------------------------------
-- Inbound: a phone calls a number an XMPP user owns.
---------------------------------------------------------------------------

--- An INVITE for a DID whose owner's device `peer` proceeded (JMI) or is
-- called directly. o = { sid, peer, phone, number, legs, out, trunk_pts, now }.
-- Sends our session-initiate and starts the client leg as controlling.
function M.inbound(o)
	local call = new_call({ direction = "inbound", sid = o.sid, peer = o.peer, phone = o.phone,
		number = o.number, legs = o.legs, out = o.out, trunk_pts = o.trunk_pts, now = o.now,
		requested_at = o.requested_at })
	local first = o.trunk_pts and o.trunk_pts[1]
	call.offer_pts = codecs.offer_payload_types(first)
	call.rtcp_mux = true
	call.content = { creator = "initiator", name = "audio" }
	if o.restart then
		-- The relay leg was offered to another device first (one without
		-- JMI, rung beside the JMI ones): new ICE credentials for this one,
		-- so nothing of that offer carries over.
		call.legs:client_ice_restart()
	else
		call.legs:client_start({ ice_role = "controlling", rtcp_mux = true })
	end
	call:send({
		action = "session-initiate", initiator = o.phone,
		contents = { {
			creator = "initiator", name = "audio", senders = "both",
			description = { namespace = ns.RTP, media = "audio", payload_types = call.offer_pts,
				rtcp_mux = true },
			transport = call:local_transport(nil, "actpass"),
		} },
	})
	call.state = "offering"
	-- Inbound post-dial delay: the INVITE until a device of the owner took the call.
	call:milestone("reached")
	return call
end

---------------------------------------------------------------------------
-- Jingle from the client.
---------------------------------------------------------------------------

--- Handles a parsed Jingle session for this call. Returns true, or nil and
-- an error for the iq reply.
function Call:on_jingle(session)
	local action = session.action
	self:note("jingle<", M.describe(session))
	if self.state == "ended" then
		return err("item-not-found", "unknown-session", "this call has ended")
	end
	if action == "transport-info" then
		for _, c in ipairs(session.contents or {}) do
			if c.name == self.content.name and c.transport then
				self:on_transport(c.transport)
			end
		end
		return true
	elseif action == "session-terminate" then
		local condition = session.reason and session.reason.condition or "success"
		local answered = self.state == "active"
		local sip_action = (self.direction == "inbound" and not answered) and "reject" or "hangup"
		self:finish(answered and "completed" or "cancelled", condition,
			session.reason and session.reason.text, false, sip_action)
		return true
	elseif action == "session-accept" and self.direction == "inbound" and self.state == "offering" then
		return self:on_accept(session)
	elseif action == "session-info" and session.info and session.info.kind == "dtmf" then
		return self:on_dtmf(session.info)
	elseif action == "session-info" then
		local kind = session.info and session.info.kind
		if (kind == "hold" or kind == "unhold") and self.state == "active" then
			-- XEP-0167 §7.2: the phone is told with a re-INVITE (a=sendonly
			-- to hold, a=sendrecv to resume; the relay skips repeats).
			self:log("info", "client %s: %s the phone", kind, kind == "hold" and "holding" or "resuming")
			self.legs:sip_hold(kind == "hold")
			self.client_held = kind == "hold"
			self:watch_trunk()
			return true
		end
		-- ringing/active/mute, or hold before the answer: informational for
		-- a phone leg; acknowledged (XEP-0167 §7) and traced.
		self:log("debug", "client session-info %s", kind or "ping")
		return true
	elseif action == "content-add" then
		-- A phone gateway carries no video: refuse the content, keep the call.
		self:send(require("jingle_sip.jingle.build").content_refusal("content-reject", self.sid,
			session.contents or {}, "unsupported-applications", "audio only"))
		return true
	elseif action == "content-remove" or action == "description-info" then
		return true
	end
	return err("bad-request", "out-of-order", action .. " is not expected now")
end

-- The trunk takes RFC 4733 digits of 40 ms..1 s (the relay's limits).
local DTMF_MIN_MS, DTMF_MAX_MS = 40, 1000

--- XEP-0181 v0.12 <dtmf/> from the client: each digit goes to the trunk as
-- RFC 4733 events. Returns true (the iq is acknowledged), or nil and an
-- error; a digit the trunk cannot take never ends the call.
function Call:on_dtmf(info)
	local function refuse(text)
		self:note("dtmf", "refused: " .. text)
		self:log("info", "DTMF refused: %s", text)
		-- XEP-0181 §2: a code the receiver cannot process.
		return nil, { condition = "feature-not-implemented", type = "cancel", text = text }
	end
	if info.error then return refuse(info.error) end
	if self.state ~= "active" then
		return err("unexpected-request", "out-of-order", "DTMF before the call is answered")
	end
	if info.duration == 0 then
		-- XEP-0181: "The receiver SHOULD ignore the event if the value is zero."
		self:note("dtmf", "ignored digits " .. info.digits .. " of duration 0")
		return true
	end
	local duration = math.max(DTMF_MIN_MS, math.min(DTMF_MAX_MS, info.duration))
	for digit in info.digits:gmatch(".") do
		local ok, message = self.legs:send_dtmf(digit, duration, info.volume)
		if not ok then
			return refuse(("cannot send DTMF %s to the phone network: %s"):format(digit, tostring(message)))
		end
	end
	self:note("dtmf", ("digits %s, %d ms each, to the trunk"):format(info.digits, duration))
	return true
end

function Call:on_transport(transport)
	if candidates.is_stale(self.retired_ufrags, transport) then
		self:log("debug", "ignored candidates of retired ICE credentials %s", transport.ufrag)
		return
	end
	if transport.ufrag and transport.pwd then
		if not (self.remote and self.remote.ufrag) then
			self.remote = { ufrag = transport.ufrag, pwd = transport.pwd }
			self.legs:client_set_remote_credentials(transport.ufrag, transport.pwd)
		elseif candidates.is_ice_restart(self.remote, transport, self.retired_ufrags) then
			self:restart_ice(transport)
		end
	end
	-- COMPAT: Dino may send its fingerprint in a transport-info (docs/INTEROP.md#13).
	local fp = (transport.fingerprints or {})[1]
	if fp and not self.remote_fingerprint then
		self.remote_fingerprint = fp
		self.legs:client_set_remote_fingerprint({ hash = fp.hash, value = fp.value, setup = fp.setup })
	end
	self:add_remote_candidates(transport)
end

-- The client restarted ICE (new ufrag/pwd in a transport-info). RFC 8445
-- §9 / RFC 8839 §4.4.1.1.1: we restart too, with new credentials of our own,
-- and tell the client (StanzaJS, for one, waits for them before it applies
-- the restart); our new candidates trickle after. The DTLS association and
-- the SIP leg are untouched.
function Call:restart_ice(transport)
	self:log("info", "ICE restart from the client (ufrag %s -> %s)", self.remote.ufrag, transport.ufrag)
	self.retired_ufrags[self.remote.ufrag] = true
	self.remote = { ufrag = transport.ufrag, pwd = transport.pwd }
	-- Order matters: restarting drops the remote credentials.
	self.legs:client_ice_restart()
	self.legs:client_set_remote_credentials(transport.ufrag, transport.pwd)
	-- Candidates gathered under the old credentials are void.
	self.local_candidates = {}
	local sent_ours = self.direction == "inbound" or self.state == "active"
	if sent_ours then
		local desc, c = self.legs:local_description(), self.content
		self:send({ action = "transport-info", contents = { {
			creator = c.creator, name = c.name,
			transport = { namespace = ns.ICE_UDP, ufrag = desc.ufrag, pwd = desc.pwd, candidates = {} },
		} } })
	end
end

-- Inbound: the callee's device accepted our offer.
function Call:on_accept(session)
	local audio = answer.split(session)
	if not audio then
		self:finish("failed", "unsupported-applications", "no audio content in session-accept", true, "reject")
		return true
	end
	local choice = codecs.choose_answer(audio.description.payload_types, self.trunk_pts, self.legs.can_transcode)
	if not choice or (choice.mode == "transcode" and not self.legs.can_transcode) then
		self:finish("failed", "incompatible-parameters", "no codec shared with the trunk", true, "reject")
		return true
	end
	if choice.mode == "transcode" then
		local ok, refusal = self.legs:transcode(choice)
		if not ok and choice.fallback then
			-- The client prefers a codec the trunk lacks but also takes the
			-- trunk's: without a transcoding slot only that one is carried,
			-- and whatever it sends in its first codec is dropped (counted).
			self:log("warn", "client sends %s first, but transcoding is refused (%s): carrying only %s",
				codecs.key(choice.client) or "?", tostring(refusal), codecs.key(choice.fallback.client) or "?")
			choice = choice.fallback
		elseif not ok then
			self:finish("failed", "general-error", refusal, true, "reject")
			return true
		end
	end
	self.choice = choice
	local fp = (audio.transport.fingerprints or {})[1]
	if fp then
		self.remote_fingerprint = fp
		self.legs:client_set_remote_fingerprint({ hash = fp.hash, value = fp.value, setup = fp.setup })
	end
	self:on_transport(audio.transport)
	self.legs:sip_answer({ choice = choice })
	self.state = "active"
	self:watch_trunk()
	self:milestone("answered")
	self:log("info", "answered by %s (%s)", self.peer, choice.mode)
	return true
end

---------------------------------------------------------------------------
-- Events from the relay.
---------------------------------------------------------------------------

function Call:accept_outbound()
	local transport = self:local_transport(self.local_candidates, self.dtls_setup)
	local accept, followups = answer.session_accept(self.offer, {
		payload_types = codecs.answer_payload_types(self.choice), transport = transport,
		responder = self.phone, style = self.decline_style,
	})
	self:send(accept)
	for _, f in ipairs(followups or {}) do self:send(f) end
	self.local_candidates = {}
	self.state = "active"
	self:watch_trunk()
end

--- The relay watches the trunk's RTP exactly while the trunk must send:
-- the call is answered and neither side holds (a held trunk, or a trunk
-- we hold, may rightly send nothing). Told only on a change.
function Call:watch_trunk()
	local trunk_holds = self.trunk_direction ~= nil and self.trunk_direction ~= "sendrecv"
	local want = self.state == "active" and not self.client_held and not trunk_holds
	if want == (self.watching_trunk or false) then return end
	self.watching_trunk = want
	self.legs:watch_trunk_media(want)
end

-- Outbound: the trunk's SDP (183 or 200) says which of the offered codecs it
-- took. The client's codec follows it (passthrough) when the client offered
-- it, else the relay transcodes when it can; otherwise the call cannot carry
-- audio and ends. trunk = { codec = pt, dtmf = pt | nil } in the trunk's
-- numbers. Returns true when the call goes on.
function Call:settle_codec(trunk)
	if self.direction ~= "outbound" or self.state == "active" then return true end
	local trunk_pts = { trunk.codec, trunk.dtmf }
	local choice = codecs.choose(self.content.description.payload_types, trunk_pts)
	if not choice or (choice.mode == "transcode" and not self.legs.can_transcode) then
		self:finish("failed", "incompatible-parameters",
			("the phone network answered with %s/%s, which the caller did not offer"):format(
				tostring(trunk.codec and trunk.codec.name), tostring(trunk.codec and trunk.codec.clockrate)),
			true, "hangup")
		return false
	end
	if choice.mode == "transcode" then
		-- Past jingle_sip_max_transcoded_calls: ended with the reason.
		local ok, refusal = self.legs:transcode(choice)
		if not ok then
			self:finish("failed", "general-error", refusal, true, "hangup")
			return false
		end
	end
	local before = self.choice
	self.choice = choice
	self.legs:set_choice(choice)
	if not (before and codecs.same(before.client, choice.client) and before.mode == choice.mode) then
		self:log("info", "trunk answered %s: %s, client %s", codecs.key(choice.trunk) or "?",
			choice.mode, codecs.key(choice.client) or "?")
	end
	return true
end

function Call:on_relay(event)
	local t = event.type
	if self.state == "ended" and t ~= "closed" then return end
	if t == "local_candidate" then
		-- Outbound: candidates wait for the session-accept that carries them.
		if self.direction == "outbound" and self.state ~= "active" then
			self.local_candidates[#self.local_candidates + 1] = event.candidate
		else
			local c = self.content
			self:send({ action = "transport-info", contents = { {
				creator = c.creator, name = c.name,
				transport = { namespace = ns.ICE_UDP, ufrag = self.legs:local_description().ufrag,
					pwd = self.legs:local_description().pwd,
					candidates = { self:jingle_candidate(event.candidate) } },
			} } })
		end
	elseif t == "first_media" then
		if event.direction then self.media_seen[event.direction] = true end
		self:milestone("media")
	elseif t == "sip_progress" then
		if event.trunk and not self:settle_codec(event.trunk) then return end
		self:milestone("reached")
		if self.state == "dialing" then
			self.state = "ringing"
			self:send({ action = "session-info", info = { kind = "ringing" } })
		end
	elseif t == "sip_media_changed" then
		self.trunk_direction = event.direction
		self:watch_trunk()
	elseif t == "sip_answered" then
		self.trunk_direction = event.direction
		if self.direction == "outbound" and (self.state == "dialing" or self.state == "ringing") then
			if event.trunk and not self:settle_codec(event.trunk) then return end
			self:milestone("reached")
			self:accept_outbound()
			self:milestone("answered")
			self:log("info", "answered")
		end
	elseif t == "sip_failed" then
		local condition, text = reasons.from_sip(event.status, event.phrase)
		self:finish("failed", condition, text, true, "none")
	elseif t == "sip_hangup" then
		if self.direction == "inbound" and self.state ~= "active" then
			-- The caller gave up while we rang: the module retracts the JMI.
			self:finish("cancelled", "cancel", event.text or "caller hung up", true, "none")
		else
			self:finish("completed", "success", event.text or "remote party hung up", true, "none")
		end
	elseif t == "dtls_failed" then
		self:finish("failed", "security-error", event.text or "DTLS failed", true)
	elseif t == "ice_failed" then
		self:finish("failed", "connectivity-error", event.text or "ICE failed", true)
	elseif t == "media_timeout" and event.from == "trunk" then
		-- The trunk froze after answering: hang up both sides, saying why.
		self:finish("failed", "connectivity-error",
			event.text or ("no media from the phone for %d s"):format(event.seconds or 0), true, "hangup",
			Q850_TEMPORARY_FAILURE)
	elseif t == "media_timeout" then
		self:finish("failed", "connectivity-error", "no media from the client (media timeout)", true, nil,
			Q850_TEMPORARY_FAILURE)
	elseif t == "closed" then
		if self.state ~= "ended" then
			self:finish("failed", "general-error", event.text or "relay closed the call", true, "none")
		end
	end
end

--- The client's full JID went away (its session closed, or it said
-- unavailable): end at once, nobody is left to tell on the XMPP side; the
-- trunk's BYE (or rejection) says why.
function Call:peer_gone(text)
	local answered = self.state == "active"
	local sip_action = (self.direction == "inbound" and not answered) and "reject" or "hangup"
	self:finish("failed", "gone", text, false, sip_action, Q850_NORMAL_CLEARING)
end

--- Caller-side hang-up decided by the gateway (ring timeout, max duration,
-- module unload). condition is a Jingle reason.
function Call:hangup(condition, text)
	local sip_action = (self.direction == "inbound" and self.state ~= "active") and "reject" or "hangup"
	self:finish(condition == "success" and "completed" or "failed", condition, text, true, sip_action)
end

M.Call = Call
return M
