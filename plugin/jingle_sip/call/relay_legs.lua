-- The legs of one call, over the relay (ffi/callrelay.lua): what the call
-- state machine (jingle_sip.call.bridge) asks for, in the relay's terms, and
-- the relay's events, in the state machine's terms.
--
-- The one place that knows both vocabularies: payload types and SIP fields
-- become the relay's codec map, Jingle candidates become SDP candidate text,
-- relay events become { type = ..., ... } tables the bridge understands.

local candidates = require "jingle_sip.jingle.candidates"
local codecs = require "jingle_sip.jingle.codecs"
local time_now = require "util.time".now

local M = {}
local Legs = {}
Legs.__index = Legs

-- SIP's spelling of each codec the relay passes through.
local SIP_NAMES = { pcmu = "PCMU", pcma = "PCMA", g722 = "G722", opus = "opus" }

-- Seconds a closing call waits for its SIP hang-up to finish (the BYE or
-- CANCEL answered, CR_EVENT_SIP_ENDED) so the kept trace holds it.
M.CLOSE_GRACE = 2

--- call: a callrelay call. opts = { log(level, fmt, ...), created_at,
-- add_timer(seconds, fn) (optional: without it a close is immediate) }.
--- opts: { log, add_timer, created_at, latch = follow the trunk's real RTP
-- source (jingle_sip_symmetric_rtp), latch_addr = another IP it may send
-- from (its signaling address) }.
function M.new(call, opts)
	return setmetatable({ call = call, relay_id = call.id, log = opts and opts.log or function() end,
		add_timer = opts and opts.add_timer,
		latch = opts and opts.latch or false, latch_addr = opts and opts.latch_addr,
		-- The relay's trace counts milliseconds from the call's
		-- creation, which is now.
		created_at = opts and opts.created_at or time_now() }, Legs)
end

-- The relay bridges legs that share no codec by transcoding (GStreamer),
-- up to jingle_sip_max_transcoded_calls at once (see Legs:transcode).
Legs.can_transcode = true

function Legs:check(ok, err, what)
	if not ok then self.log("warn", "relay call %d: %s failed: %s", self.relay_id, what, tostring(err)) end
	return ok
end

--- Like check, for a step the call cannot go on without (media start, the
-- client's credentials and fingerprint, SIP dial and answer): a failure is
-- raised as { text } so that the call service's one cleanup path
-- (Service:guard -> Service:abandon) ends the call with that reason.
function Legs:must(ok, err, what)
	if not self:check(ok, err, what) then
		error({ text = ("%s failed: %s"):format(what, tostring(err)) }, 0)
	end
	return ok
end

function Legs:local_description()
	if not self.local_desc then
		local m = assert(self.call:media_local())
		local hash, value = m.fingerprint:match("^(%S+) (.+)$")
		self.local_desc = {
			ufrag = m.ice_ufrag, pwd = m.ice_pwd, fingerprint = { hash = hash, value = value },
			sip_rtp_addr = m.sip_rtp_addr, sip_rtp_port = m.sip_rtp_port,
		}
	end
	return self.local_desc
end

-- The relay's codec map for a codec choice, with the SIP leg's payload types
-- (sip_pt, sip_dtmf_pt) once the trunk's SDP gave them.
local function codec_map(choice, sip_pt, sip_dtmf_pt)
	local map = {}
	if not choice then return map end
	local name, clock, channels = codecs.resolve(choice.client)
	-- Transcoded audio is the transcoder's, not the map's (Legs:transcode).
	if choice.mode ~= "transcode" then
		map[1] = { client_pt = choice.client.id, sip_pt = sip_pt or choice.trunk.id, name = name,
			clock_rate = clock, channels = channels }
	elseif choice.also then
		-- The client may also send the trunk's own codec (its answer listed
		-- it): that stream passes through beside the transcoded one.
		local aname, aclock, achannels = codecs.resolve(choice.also)
		map[1] = { client_pt = choice.also.id, sip_pt = sip_pt or choice.trunk.id, name = aname,
			clock_rate = aclock, channels = achannels }
	end
	local sip_dtmf = sip_dtmf_pt or (choice.trunk_dtmf and choice.trunk_dtmf.id)
	if sip_dtmf and (choice.client_dtmf or choice.trunk_dtmf) then
		-- A client without telephone-event (Dino) still gets the trunk's, as
		-- client_pt -1: the relay sends XEP-0181 digits with it and
		-- forwards none of the trunk's to the client.
		local _, dclock = codecs.resolve(choice.client_dtmf or choice.trunk_dtmf)
		map[#map + 1] = { client_pt = choice.client_dtmf and choice.client_dtmf.id or -1,
			sip_pt = sip_dtmf, name = "telephone-event", clock_rate = dclock, channels = 1 }
	end
	return map
end

-- A payload type as the relay's transcoder names it, with the leg's
-- telephone-event (none: DTMF crosses that leg as in-band tones).
local function transcode_codec(pt, id, dtmf)
	local name, clock, channels = codecs.resolve(pt)
	local _, dtmf_clock = codecs.resolve(dtmf)
	return { pt = id or pt.id, name = SIP_NAMES[name] or name, clock_rate = clock, channels = channels,
		dtmf_pt = dtmf and dtmf.id or 0, dtmf_clock_rate = dtmf_clock or 0 }
end

--- Transcodes between the choice's client and trunk codecs (a choice in
-- "transcode" mode); sip_pt: the trunk's number for its codec once its SDP
-- gave it. Returns true, or nil, message, name ("limit" past
-- jingle_sip_max_transcoded_calls).
function Legs:transcode(choice, sip_pt)
	local was = self.transcoding
	sip_pt = sip_pt or choice.trunk.id
	if was and was.client.id == choice.client.id and codecs.same(was.trunk, choice.trunk) and was.sip_pt == sip_pt
		and was.trunk_dtmf == (choice.trunk_dtmf and choice.trunk_dtmf.id) then
		return true -- the same pair: keep the running pipelines
	end
	self.transcoding = { client = choice.client, trunk = choice.trunk, sip_pt = sip_pt,
		trunk_dtmf = choice.trunk_dtmf and choice.trunk_dtmf.id }
	local ok, msg, name = self.call:set_transcode(transcode_codec(choice.client, nil, choice.client_dtmf),
		transcode_codec(choice.trunk, sip_pt, choice.trunk_dtmf))
	if not ok then
		self.transcoding = nil
		self.log("warn", "relay call %d: transcoding refused: %s", self.relay_id, tostring(msg))
	end
	return ok, msg, name
end

function Legs:client_start(p)
	self.choice = p.choice
	local params = {
		ice_controlling = p.ice_role == "controlling" and 1 or 0,
		rtcp_mux = p.rtcp_mux and 1 or 0,
		-- Inbound calls learn the client's DTLS setup only from its accept;
		-- clients answer our actpass with active, which makes us passive.
		dtls_role = p.dtls_role or "passive",
		remote_ufrag = p.remote and p.remote.ufrag or nil,
		remote_pwd = p.remote and p.remote.pwd or nil,
		remote_fingerprint = p.fingerprint and (p.fingerprint.hash .. " " .. p.fingerprint.value) or nil,
		codecs = codec_map(p.choice),
	}
	if self.latch then
		params.sip_latch = 1
		params.sip_latch_addr = self.latch_addr
	end
	local ok, err = self.call:media_start(params)
	return self:must(ok, err, "media start")
end

function Legs:client_add_candidate(rc)
	local ok, err = self.call:add_remote_candidate(candidates.to_sdp(rc, { bare = true }))
	return self:check(ok, err, "remote candidate")
end

function Legs:client_end_of_candidates() return self:check(self.call:end_of_candidates()) end

--- Our side of an ICE restart: new local credentials (local_description()
-- returns them from now on), gathering and checks start again.
function Legs:client_ice_restart()
	self.local_desc = nil
	local ok, err = self.call:ice_restart()
	self.local_desc = nil
	return self:check(ok, err, "ICE restart")
end

function Legs:client_set_remote_credentials(ufrag, pwd)
	local ok, err = self.call:set_remote_credentials(ufrag, pwd)
	return self:must(ok, err, "remote ICE credentials")
end

function Legs:client_set_remote_fingerprint(fp)
	if fp.setup == "passive" and self.choice == nil then
		self.log("warn", "relay call %d: the client wants to be DTLS passive too; the call will not connect",
			self.relay_id)
	end
	local ok, err = self.call:set_remote_fingerprint(fp.hash .. " " .. fp.value)
	return self:must(ok, err, "remote fingerprint")
end

local function sip_codec_name(pt)
	local name = codecs.resolve(pt)
	return name and SIP_NAMES[name] or nil
end

-- "PCMU,opus,...": the SIP leg's spelling of a list of payload types.
local function sip_codec_list(pts)
	local names = {}
	for _, pt in ipairs(pts or {}) do
		names[#names + 1] = sip_codec_name(pt)
	end
	return #names > 0 and table.concat(names, ",") or nil
end

function Legs:sip_dial(p)
	local loc = self:local_description()
	local ok, err = self.call:sip_dial({
		number = p.number, caller_id = p.caller_id,
		codecs = sip_codec_list(p.offer) or sip_codec_name(p.choice.trunk) or "PCMU",
		local_rtp_address = loc.sip_rtp_addr, local_rtp_port = loc.sip_rtp_port,
		telephone_event = (p.choice.client_dtmf or p.choice.trunk_dtmf) and 1 or 0,
	})
	return self:must(ok, err, "SIP dial")
end

--- The codecs settled (the trunk's answer chose one): the relay maps them.
-- A passthrough choice toward a trunk without telephone-event while the
-- client has it: the same codec is transcoded anyway, only so that the
-- client's digits reach the trunk as tones and the trunk's tones come back
-- as RFC 4733 events. Best effort: past jingle_sip_max_transcoded_calls the
-- call goes on in passthrough, without DTMF toward the trunk.
function Legs:dtmf_bridge(choice)
	if choice.client_dtmf and not choice.trunk_dtmf and self.can_transcode then
		if self:transcode(choice) then
			self.log("info", "relay call %d: %s without telephone-event at the trunk: DTMF crosses in-band",
				self.relay_id, codecs.key(choice.trunk) or "?")
		end
	elseif self.transcoding then
		-- The trunk answered a codec the client shares: passthrough again.
		self.transcoding = nil
		self:check(self.call:set_transcode(nil, nil), nil, "passthrough")
	end
end

function Legs:set_choice(choice)
	self.choice = choice
	local ok = self:check(self.call:set_codecs(codec_map(choice)), nil, "codec map")
	if choice.mode ~= "transcode" then self:dtmf_bridge(choice) end
	return ok
end

function Legs:sip_progress() return self:check(self.call:sip_ringing()) end

function Legs:sip_answer(p)
	self.choice = p.choice
	local loc = self:local_description()
	local ok, err = self.call:sip_answer({
		codecs = sip_codec_name(p.choice.trunk) or "PCMU",
		local_rtp_address = loc.sip_rtp_addr, local_rtp_port = loc.sip_rtp_port,
		telephone_event = (p.choice.client_dtmf or p.choice.trunk_dtmf) and 1 or 0,
	})
	self:check(self.call:set_codecs(codec_map(p.choice)), nil, "codec map")
	if p.choice.mode ~= "transcode" then self:dtmf_bridge(p.choice) end
	return self:must(ok, err, "SIP answer")
end

function Legs:sip_reject(status)
	self.sip_ending = true
	return self:check(self.call:sip_reject(status))
end

--- One DTMF digit to the trunk as RFC 4733 events; true, or nil, message,
-- name ("unsupported": the trunk did not negotiate telephone-event).
function Legs:send_dtmf(digit, duration_ms, volume)
	local ok, err, name = self.call:send_dtmf(digit, duration_ms, volume)
	self:check(ok, err, "DTMF " .. tostring(digit))
	return ok, err, name
end
--- reason (optional): { cause = Q.850 cause, text } for the BYE's RFC 3326
-- Reason header, so the trunk's records say why the gateway hung up.
function Legs:sip_hangup(reason)
	self.sip_ending = true
	if reason and reason.cause and reason.text then
		return self:check(self.call:sip_hangup(reason.cause, reason.text:sub(1, 160)))
	end
	return self:check(self.call:sip_hangup())
end
function Legs:sip_hold(on) return self:check(self.call:sip_hold(on), nil, on and "hold" or "resume") end
--- Whether the trunk must be sending RTP now (answered, nobody holds): the
-- relay reports its silence past jingle_sip_trunk_media_timeout.
function Legs:watch_trunk_media(on)
	return self:check(self.call:watch_sip_media(on), nil, "trunk media watch")
end
--- Closes the relay call. When a SIP hang-up of ours is still under way the
-- close waits for it (bounded by CLOSE_GRACE), so the trace an operator
-- reads afterwards ends with the BYE and its answer, not before them.
function Legs:close(reason)
	if self.call.closed or self.closing then return end
	-- Keep what happened: the admin shell shows ended calls too.
	self.final_summary = self:summary()
	self.final_trace = self:trace_entries()
	if self.sip_ending and not self.sip_ended and self.add_timer then
		self.closing = reason or "closed"
		self.add_timer(M.CLOSE_GRACE, function() self:finish_close() end)
		return
	end
	self.call:close(reason)
end

function Legs:finish_close()
	if self.call.closed then return end
	self.final_summary = self:summary()
	self.final_trace = self:trace_entries()
	self.call:close(self.closing)
end

--- Counters and the selected pair, live or as they were at the end.
function Legs:summary()
	if self.call.closed then return self.final_summary or {} end
	return self.call:stats() or {}
end

--- The relay's one trace of the call (ICE, DTLS, media and the SIP dialog:
-- areas "sip>" sent, "sip<" received, "sip!" refused or ignored), as
-- { t (seconds, same clock as util.time), area, text } entries.
function Legs:trace_entries()
	if self.call.closed then return self.final_trace or {} end
	local list = {}
	for ms, area, text in (self.call:trace() or ""):gmatch("([%d.]+) (%S+) ([^\n]*)") do
		list[#list + 1] = { t = self.created_at + tonumber(ms) / 1000, area = area, text = text }
	end
	return list
end

-- The trunk's media from a SIP event's fields: (unless the bridge settles the
-- codec itself, keep_codecs) which numbers. Where to send is the relay's own
-- fact: it points its RTP leg at the trunk's address before the event comes
-- (relay/src/call_sip.c), so the address is only logged here.
function Legs:apply_sip_media(fields, keep_codecs)
	if fields.address and fields.port and fields.port > 0 then
		self.log("debug", "relay call %d: the trunk takes RTP at %s:%d", self.relay_id, fields.address,
			fields.port)
	end
	if self.choice and fields.pt and not keep_codecs then
		local dtmf = fields.dtmf_pt and fields.dtmf_pt >= 0 and fields.dtmf_pt or nil
		self:check(self.call:set_codecs(codec_map(self.choice, fields.pt, dtmf)), nil, "codec map")
		-- The trunk's own number for its codec (the call keeps its slot).
		if self.transcoding and self.transcoding.sip_pt ~= fields.pt then
			self:transcode(self.choice, fields.pt)
		end
	end
end

-- What the trunk's SDP chose, as payload types in the trunk's numbers, for
-- the bridge to settle the codecs (outbound); nil without SDP.
local function trunk_choice(fields)
	if not (fields.codec and fields.pt) then return nil end
	local trunk = { codec = { id = fields.pt, name = fields.codec, clockrate = fields.clock,
		channels = fields.channels } }
	if fields.dtmf_pt and fields.dtmf_pt >= 0 then
		-- The SIP leg reports telephone-event's number only; RFC 4733 on a
		-- narrowband trunk runs at 8000.
		trunk.dtmf = { id = fields.dtmf_pt, name = "telephone-event", clockrate = 8000 }
	end
	return trunk
end

--- The bridge's view of a relay event, or nil when the bridge need not know.
function Legs:translate(e)
	local t = e.type
	if t == "local_candidate" then
		local rc = candidates.from_sdp(e.text)
		if rc then return { type = "local_candidate", candidate = rc } end
		self.log("warn", "relay call %d: unparsable local candidate %s", self.relay_id, e.text)
	elseif t == "sip_ringing" then
		return { type = "sip_progress", status = e.code }
	elseif t == "sip_early_media" then
		local trunk = trunk_choice(e.fields or {})
		self:apply_sip_media(e.fields or {}, trunk ~= nil)
		return { type = "sip_progress", status = e.code, early_media = true, trunk = trunk }
	elseif t == "sip_answered" then
		local trunk = trunk_choice(e.fields or {})
		self:apply_sip_media(e.fields or {}, trunk ~= nil)
		return { type = "sip_answered", trunk = trunk, direction = (e.fields or {}).direction }
	elseif t == "sip_media_changed" then
		self:apply_sip_media(e.fields or {})
		return { type = "sip_media_changed", direction = (e.fields or {}).direction }
	elseif t == "sip_failed" then
		return { type = "sip_failed", status = e.code, phrase = e.text }
	elseif t == "sip_hangup" then
		return { type = "sip_hangup", text = e.text ~= "" and e.text or nil }
	elseif t == "dtls_failed" then
		return { type = "dtls_failed", text = e.text }
	elseif t == "media_timeout" then
		-- code 2 (CR_DIR_SIP_TO_CLIENT): no RTP from the trunk while watched.
		return { type = "media_timeout", from = e.code == 2 and "trunk" or "client",
			seconds = e.value, text = e.text ~= "" and e.text or nil }
	elseif t == "ice_failed" then
		return { type = "ice_failed", text = e.text }
	elseif t == "first_media" then
		return { type = "first_media", direction = e.code }
	elseif t == "call_closed" then
		return { type = "closed", text = e.text }
	elseif t == "ice_restarted" then
		self.local_desc = nil
	elseif t == "sip_ended" then
		self.sip_ended = true
		if self.closing then self:finish_close() end
	end
	return nil
end

--- The trunk's offered codecs of an incoming call ("NAME/clock/pt,..."), as
-- payload-type tables in the trunk's order; and its telephone-event.
function M.offered_codecs(fields)
	local list = {}
	for name, clock, pt in tostring(fields.codecs or ""):gmatch("([^/,]+)/(%d+)/(%d+)") do
		list[#list + 1] = { id = tonumber(pt), name = name, clockrate = tonumber(clock) }
	end
	if fields.dtmf_pt and fields.dtmf_pt >= 0 then
		list[#list + 1] = { id = fields.dtmf_pt, name = "telephone-event", clockrate = 8000 }
	end
	return list
end

return M
