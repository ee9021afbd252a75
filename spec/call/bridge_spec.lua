-- The call state machine against fake legs: what the client is sent and what
-- the relay is told, for each way a call goes. The same flows run against
-- the real relay and real clients in the end-to-end specs.
local bridge = require "jingle_sip.call.bridge"
local ns = require "jingle_sip.jingle.ns"

local TRUNK = {
	{ id = 0, name = "PCMU", clockrate = 8000 },
	{ id = 8, name = "PCMA", clockrate = 8000 },
	{ id = 101, name = "telephone-event", clockrate = 8000 },
}

-- Records every command; answers local_description like the relay would.
local function fake_legs()
	local legs = { calls = {}, can_transcode = false }
	setmetatable(legs, { __index = function(_, name)
		return function(self, ...)
			self.calls[#self.calls + 1] = { name, ... }
		end
	end })
	function legs.local_description()
		return { ufrag = "RLY1", pwd = "relaypassword0123456789", fingerprint = { hash = "sha-256", value = "AA:BB" } }
	end
	function legs:transcode(...)
		self.calls[#self.calls + 1] = { "transcode", ... }
		local refusal = rawget(self, "transcode_refusal")
		if refusal then return nil, refusal, "limit" end
		return true
	end
	function legs:called(name)
		local list = {}
		for _, c in ipairs(self.calls) do
			if c[1] == name then list[#list + 1] = c end
		end
		return list
	end
	return legs
end

local function fake_out()
	local out = { sent = {}, logs = {}, ended = nil }
	out.jingle = function(to, s) out.sent[#out.sent + 1] = { to = to, s = s } end
	out.log = function(level, fmt, ...) out.logs[#out.logs + 1] = level .. " " .. fmt:format(...) end
	out.ended = function(_, outcome, condition, text) out.ended_with = { outcome, condition, text } end
	function out.last() return out.sent[#out.sent] and out.sent[#out.sent].s end
	return out
end

local function candidate(ip, port, component, extra)
	local c = { component = component or 1, foundation = "1", generation = 0, id = "x" .. port,
		ip = ip, port = port, priority = 2122260223, protocol = "udp", type = "host" }
	for k, v in pairs(extra or {}) do c[k] = v end
	return c
end

-- A session-initiate as Conversations sends it (parse shapes).
local function initiate(opts)
	opts = opts or {}
	local contents = { {
		creator = "initiator", name = opts.name or "0", senders = "both",
		description = { namespace = ns.RTP, media = "audio", rtcp_mux = opts.rtcp_mux ~= false,
			payload_types = opts.pts or {
				{ id = 111, name = "opus", clockrate = 48000, channels = 2 },
				{ id = 0, name = "PCMU", clockrate = 8000 },
				{ id = 126, name = "telephone-event", clockrate = 8000 },
			} },
		transport = { namespace = ns.ICE_UDP, ufrag = "CLI1", pwd = "clientpassword0123456789",
			fingerprints = opts.no_fp and {} or { { hash = "sha-256", setup = "actpass", value = "01:02" } },
			candidates = opts.candidates or { candidate("127.0.0.1", 40000),
				candidate("f00.local", 40001), candidate("127.0.0.1", 40002, 2) } },
	} }
	for _, extra in ipairs(opts.extra_contents or {}) do contents[#contents + 1] = extra end
	return { action = "session-initiate", sid = "sid1", initiator = "alice@example.net/phone", contents = contents }
end

local function start_outbound(opts)
	local legs, out = opts and opts.legs or fake_legs(), fake_out()
	legs.can_transcode = opts and opts.can_transcode or false
	local call, e = bridge.outbound({ sid = "sid1", peer = "alice@example.net/phone",
		phone = "+15550100@phone.example.net", number = "+15550100", caller_id = "+15550001111",
		legs = legs, out = out, trunk_pts = TRUNK, now = 0 }, initiate(opts))
	return call, e, legs, out
end

describe("jingle_sip.call.bridge", function()
	describe("outbound", function()
		it("should start the client leg as controlled and active, then dial", function()
			local call, e, legs = start_outbound()
			assert.is_nil(e)
			assert.equal("dialing", call.state)
			local start = legs:called("client_start")[1][2]
			assert.equal("controlled", start.ice_role)
			assert.equal("active", start.dtls_role)
			assert.same({ hash = "sha-256", value = "01:02", setup = "actpass" }, start.fingerprint)
			assert.equal("passthrough", start.choice.mode)
			assert.equal("PCMU", start.choice.client.name)
			local dial = legs:called("sip_dial")[1][2]
			assert.equal("+15550100", dial.number)
			assert.equal("+15550001111", dial.caller_id)
		end)

		it("should report the post-dial delay and the media setup time once each", function()
			local legs, out = fake_legs(), fake_out()
			local clock, seen = 10, {}
			out.now = function() return clock end
			out.milestone = function(_, what) seen[#seen + 1] = what end
			local call = assert(bridge.outbound({ sid = "sid1", peer = "alice@example.net/phone",
				phone = "+15550100@phone.example.net", number = "+15550100", legs = legs, out = out,
				trunk_pts = TRUNK, now = 10, received_at = 9.5 }, initiate()))
			clock = 12
			call:on_relay({ type = "sip_progress", status = 180 })
			clock = 15
			call:on_relay({ type = "sip_answered" })
			call:on_relay({ type = "first_media", direction = 2 })
			assert.same({ "reached" }, seen)
			clock = 15.25
			call:on_relay({ type = "first_media", direction = 1 })
			call:on_relay({ type = "first_media", direction = 1 })
			assert.same({ "reached", "media" }, seen)
			assert.equal(2.5, call.reached_at - call.requested_at)
			assert.equal(0.25, call.media_at - call.answered_at)
		end)

		it("should drop mDNS candidates and component 2 under rtcp-mux", function()
			local _, _, legs = start_outbound()
			local added = legs:called("client_add_candidate")
			assert.equal(1, #added)
			assert.equal("127.0.0.1", added[1][2].ip)
			assert.equal(40000, added[1][2].port)
		end)

		it("should keep component 2 candidates without rtcp-mux", function()
			local _, _, legs = start_outbound({ rtcp_mux = false })
			assert.equal(2, #legs:called("client_add_candidate"))
		end)

		it("should ring once, then accept with the offer's creator and name and buffered candidates", function()
			local call, _, legs, out = start_outbound({ name = "audio-0" })
			call:on_relay({ type = "local_candidate", candidate = { foundation = "7", component = 1,
				transport = "udp", priority = 100, ip = "127.0.0.1", port = 50000, type = "host" } })
			assert.equal(0, #out.sent, "nothing goes to the client before the answer")
			call:on_relay({ type = "sip_progress", status = 180 })
			call:on_relay({ type = "sip_progress", status = 183, early_media = true })
			assert.equal(1, #out.sent)
			assert.equal("session-info", out.sent[1].s.action)
			assert.equal("ringing", out.sent[1].s.info.kind)
			call:on_relay({ type = "sip_answered" })
			local accept = out.last()
			assert.equal("session-accept", accept.action)
			assert.equal("sid1", accept.sid)
			assert.equal("+15550100@phone.example.net", accept.responder)
			local c = accept.contents[1]
			assert.equal("initiator", c.creator)
			assert.equal("audio-0", c.name)
			assert.equal("PCMU", c.description.payload_types[1].name)
			assert.equal("telephone-event", c.description.payload_types[2].name)
			assert.equal(126, c.description.payload_types[2].id)
			assert.equal("active", c.transport.fingerprints[1].setup)
			assert.equal("AA:BB", c.transport.fingerprints[1].value)
			assert.equal(1, #c.transport.candidates)
			assert.equal(50000, c.transport.candidates[1].port)
			assert.equal("active", call.state)
			-- Later candidates trickle in their own transport-info.
			call:on_relay({ type = "local_candidate", candidate = { foundation = "8", component = 1,
				transport = "udp", priority = 90, ip = "::1", port = 50002, type = "host" } })
			local ti = out.last()
			assert.equal("transport-info", ti.action)
			assert.equal("audio-0", ti.contents[1].name)
			assert.equal("initiator", ti.contents[1].creator)
			assert.equal("::1", ti.contents[1].transport.candidates[1].ip)
			assert.equal(0, #legs:called("sip_hangup"))
		end)

		describe("when the trunk's answer picks the codec", function()
			local WIDE = { { id = 0, name = "PCMU", clockrate = 8000 }, { id = 8, name = "PCMA", clockrate = 8000 },
				{ id = 111, name = "opus", clockrate = 48000, channels = 2 },
				{ id = 101, name = "telephone-event", clockrate = 8000 } }
			local function start_wide()
				local legs, out = fake_legs(), fake_out()
				local call = assert(bridge.outbound({ sid = "sid1", peer = "alice@example.net/phone",
					phone = "+15550100@phone.example.net", number = "+15550100", legs = legs, out = out,
					trunk_pts = WIDE, now = 0 }, initiate()))
				return call, legs, out
			end

			it("should offer the trunk every codec it shares with the client, in the client's order", function()
				local _, legs = start_wide()
				local offer = legs:called("sip_dial")[1][2].offer
				assert.equal(2, #offer)
				assert.equal("opus", offer[1].name)
				assert.equal("PCMU", offer[2].name)
			end)

			it("should accept the client with the codec the trunk answered, not its first choice", function()
				local call, legs, out = start_wide()
				assert.equal("opus", call.choice.client.name, "before the answer: the client's favourite")
				call:on_relay({ type = "sip_answered", trunk = {
					codec = { id = 0, name = "PCMU", clockrate = 8000, channels = 1 },
					dtmf = { id = 96, name = "telephone-event", clockrate = 8000 } } })
				local set = legs:called("set_choice")
				assert.equal(1, #set)
				assert.equal("passthrough", set[1][2].mode)
				assert.equal("PCMU", set[1][2].client.name)
				assert.equal(0, set[1][2].trunk.id)
				assert.equal(96, set[1][2].trunk_dtmf.id, "the trunk's telephone-event number")
				local accept = out.last()
				assert.equal("session-accept", accept.action)
				assert.equal("PCMU", accept.contents[1].description.payload_types[1].name)
				assert.equal(0, accept.contents[1].description.payload_types[1].id)
			end)

			it("should settle on early media and keep that codec at the answer", function()
				local call, legs, out = start_wide()
				call:on_relay({ type = "sip_progress", status = 183, early_media = true,
					trunk = { codec = { id = 111, name = "opus", clockrate = 48000, channels = 2 } } })
				assert.equal("opus", legs:called("set_choice")[1][2].client.name)
				assert.is_nil(legs:called("set_choice")[1][2].trunk_dtmf,
					"no telephone-event in the trunk's answer: no digit may be sent to it")
				call:on_relay({ type = "sip_answered",
					trunk = { codec = { id = 111, name = "opus", clockrate = 48000, channels = 2 } } })
				assert.equal("opus", out.last().contents[1].description.payload_types[1].name)
				assert.equal("active", call.state)
			end)

			it("should hang up with incompatible-parameters when the trunk answers a codec nobody offered", function()
				local call, legs, out = start_wide()
				call:on_relay({ type = "sip_answered",
					trunk = { codec = { id = 3, name = "GSM", clockrate = 8000, channels = 1 } } })
				local term = out.last()
				assert.equal("session-terminate", term.action)
				assert.equal("incompatible-parameters", term.reason.condition)
				assert.matches("GSM", term.reason.text)
				assert.equal(1, #legs:called("sip_hangup"), "the answered SIP dialog gets its BYE")
				assert.equal(0, #legs:called("set_choice"))
				assert.equal("ended", call.state)
				assert.equal("failed", out.ended_with[1])
			end)
		end)

		it("should transcode to the codec the trunk answered, or end the call past the transcoding limit", function()
			local function start_opus_only(legs)
				legs.can_transcode = true
				local out = fake_out()
				return assert(bridge.outbound({ sid = "sid1", peer = "alice@example.net/phone",
					phone = "+15550100@phone.example.net", number = "+15550100", legs = legs, out = out,
					trunk_pts = TRUNK, now = 0 }, initiate({ pts = {
						{ id = 111, name = "opus", clockrate = 48000, channels = 2 } } }))), out
			end
			local PCMU_98 = { codec = { id = 98, name = "PCMU", clockrate = 8000, channels = 1 } }
			local legs = fake_legs()
			local call, out = start_opus_only(legs)
			call:on_relay({ type = "sip_answered", trunk = PCMU_98 })
			local t = legs:called("transcode")
			assert.equal(98, t[#t][2].trunk.id, "the trunk's own number for its codec")
			assert.equal("transcode", legs:called("set_choice")[1][2].mode)
			assert.equal("opus", out.last().contents[1].description.payload_types[1].name)
			assert.equal("active", call.state)

			legs = fake_legs()
			call, out = start_opus_only(legs)
			legs.transcode_refusal = "the relay already transcodes its maximum of 1 calls"
			call:on_relay({ type = "sip_answered", trunk = PCMU_98 })
			local term = out.last()
			assert.equal("session-terminate", term.action)
			assert.equal("the relay already transcodes its maximum of 1 calls", term.reason.text)
			assert.equal(1, #legs:called("sip_hangup"))
			assert.equal("ended", call.state)
		end)

		it("should hold and resume the phone when the client says hold and unhold, only once answered", function()
			local call, _, legs = start_outbound()
			assert.is_true(call:on_jingle({ action = "session-info", sid = "sid1", info = { kind = "hold" } }))
			assert.equal(0, #legs:called("sip_hold"), "no dialog to hold before the answer")
			call:on_relay({ type = "sip_answered" })
			assert.is_true(call:on_jingle({ action = "session-info", sid = "sid1", info = { kind = "hold" } }))
			assert.is_true(call:on_jingle({ action = "session-info", sid = "sid1", info = { kind = "mute" } }))
			assert.is_true(call:on_jingle({ action = "session-info", sid = "sid1", info = { kind = "unhold" } }))
			local holds = legs:called("sip_hold")
			assert.equal(2, #holds)
			assert.is_true(holds[1][2])
			assert.is_false(holds[2][2])
		end)

		it("should end with success on both legs when the phone hangs up", function()
			local call, _, legs, out = start_outbound()
			call:on_relay({ type = "sip_answered" })
			call:on_relay({ type = "sip_hangup", text = "BYE from trunk" })
			assert.equal("session-terminate", out.last().action)
			assert.equal("success", out.last().reason.condition)
			assert.equal(0, #legs:called("sip_hangup"), "the trunk already ended its dialog")
			assert.equal(1, #legs:called("close"))
			assert.same({ "completed", "success", "BYE from trunk" }, out.ended_with)
		end)

		it("should tell the client busy with the SIP status when the number is busy", function()
			local call, _, legs, out = start_outbound()
			call:on_relay({ type = "sip_failed", status = 486, phrase = "Busy Here" })
			assert.equal("busy", out.last().reason.condition)
			assert.equal("SIP 486 Busy Here", out.last().reason.text)
			assert.equal("ended", call.state)
			assert.equal(1, #legs:called("close"))
			-- Events after the end change nothing.
			call:on_relay({ type = "sip_answered" })
			assert.equal("session-terminate", out.last().action)
		end)

		it("should hang up the SIP leg when the caller gives up while it rings", function()
			local call, _, legs, out = start_outbound()
			call:on_relay({ type = "sip_progress", status = 180 })
			assert.is_true(call:on_jingle({ action = "session-terminate", sid = "sid1",
				reason = { condition = "cancel" } }))
			assert.equal(1, #legs:called("sip_hangup"))
			assert.equal("session-info", out.last().action, "no terminate echoed back to the client")
			assert.same({ "cancelled", "cancel" }, { out.ended_with[1], out.ended_with[2] })
		end)

		it("should leave the video out for clients that cannot take senders none (Dino)", function()
			local video = { creator = "initiator", name = "video", senders = "both",
				description = { namespace = ns.RTP, media = "video",
					payload_types = { { id = 96, name = "VP8", clockrate = 90000 } } },
				transport = { namespace = ns.ICE_UDP, ufrag = "CLI1", pwd = "clientpassword0123456789", candidates = {} } }
			local legs, out = fake_legs(), fake_out()
			local call = assert(bridge.outbound({ sid = "sid1", peer = "alice@example.net/dino",
				phone = "+15550100@phone.example.net", number = "+15550100", legs = legs, out = out,
				trunk_pts = TRUNK, now = 0, decline_style = "omit" }, initiate({ extra_contents = { video } })))
			call:on_relay({ type = "sip_answered" })
			assert.equal(1, #out.last().contents)
		end)

		it("should refuse an offer without DTLS", function()
			local call, e, legs = start_outbound({ no_fp = true })
			assert.is_nil(call)
			assert.equal("security-required", e.jingle_condition)
			assert.equal(0, #legs.calls)
		end)

		it("should carry the audio of an audio+video offer and leave the video out", function()
			local video = { creator = "initiator", name = "1", senders = "both",
				description = { namespace = ns.RTP, media = "video",
					payload_types = { { id = 96, name = "VP8", clockrate = 90000 } } },
				transport = { namespace = ns.ICE_UDP, ufrag = "CLI1", pwd = "clientpassword0123456789", candidates = {} } }
			local call, e = start_outbound({ extra_contents = { video } })
			assert.is_nil(e)
			assert.equal("0", call.content.name)
			assert.equal("1", call.refused[1].name)
			call:on_relay({ type = "sip_answered" })
			-- Conversations' style by default: the video stays, with senders none.
			local contents = call.out.last().contents
			assert.equal(2, #contents)
			assert.equal("none", contents[2].senders)
			assert.equal("video", contents[2].description.media)
		end)

		it("should transcode when the client shares no codec with the trunk", function()
			local call = start_outbound({ pts = { { id = 111, name = "opus", clockrate = 48000, channels = 2 } },
				can_transcode = true })
			assert.equal("transcode", call.choice.mode)
			local _, _, legs = start_outbound({ pts = { { id = 111, name = "opus", clockrate = 48000, channels = 2 } },
				can_transcode = true })
			local t = legs:called("transcode")
			assert.equal(1, #t)
			assert.equal("opus", t[1][2].client.name)
			assert.equal("PCMU", t[1][2].trunk.name)
		end)

		it("should refuse a call to transcode past the relay's maximum with the reason", function()
			local legs = fake_legs()
			legs.transcode_refusal = "the relay already transcodes its maximum of 20 calls"
			local call, e = start_outbound({ legs = legs, can_transcode = true,
				pts = { { id = 111, name = "opus", clockrate = 48000, channels = 2 } } })
			assert.is_nil(call)
			assert.equal("resource-constraint", e.condition)
			assert.equal("wait", e.type)
			assert.equal("the relay already transcodes its maximum of 20 calls", e.text)
			assert.equal(0, #legs:called("sip_dial"))
		end)

		it("should refuse a client sharing no codec with the trunk when the relay cannot transcode", function()
			local call, e, legs = start_outbound({ pts = { { id = 111, name = "opus", clockrate = 48000, channels = 2 } } })
			assert.is_nil(call)
			assert.equal("not-acceptable", e.condition)
			assert.equal(0, #legs:called("sip_dial"))
		end)

		it("should follow an ICE restart and ignore late candidates of the old credentials", function()
			local call, _, legs, out = start_outbound()
			call:on_relay({ type = "sip_answered" })
			local sent_before = #out.sent
			call:on_jingle({ action = "transport-info", sid = "sid1", contents = { { creator = "initiator", name = "0",
				transport = { namespace = ns.ICE_UDP, ufrag = "CLI2", pwd = "newclientpassword0123456",
					candidates = {} } } } })
			local creds = legs:called("client_set_remote_credentials")
			assert.same({ "client_set_remote_credentials", "CLI2", "newclientpassword0123456" }, creds[#creds])
			-- We restart too (new credentials of ours), before taking theirs,
			-- and tell the client our new ones.
			local order = {}
			for _, c in ipairs(legs.calls) do
				if c[1] == "client_ice_restart" or c[1] == "client_set_remote_credentials" then order[#order + 1] = c[1] end
			end
			assert.same({ "client_ice_restart", "client_set_remote_credentials" }, order)
			assert.equal(sent_before + 1, #out.sent)
			local ti = out.last()
			assert.equal("transport-info", ti.action)
			assert.equal("RLY1", ti.contents[1].transport.ufrag)
			assert.equal("0", ti.contents[1].name)
			local before = #legs:called("client_add_candidate")
			call:on_jingle({ action = "transport-info", sid = "sid1", contents = { { creator = "initiator", name = "0",
				transport = { namespace = ns.ICE_UDP, ufrag = "CLI1", pwd = "clientpassword0123456789",
					candidates = { candidate("127.0.0.1", 40010) } } } } })
			assert.equal(before, #legs:called("client_add_candidate"))
			call:on_jingle({ action = "transport-info", sid = "sid1", contents = { { creator = "initiator", name = "0",
				transport = { namespace = ns.ICE_UDP, ufrag = "CLI2", pwd = "newclientpassword0123456",
					candidates = { candidate("127.0.0.1", 40011) }, end_of_candidates = true } } } })
			assert.equal(before + 1, #legs:called("client_add_candidate"))
			assert.equal(1, #legs:called("client_end_of_candidates"))
		end)

		it("should end the call when the client's media stops", function()
			local call, _, legs, out = start_outbound()
			call:on_relay({ type = "sip_answered" })
			call:on_relay({ type = "media_timeout" })
			assert.equal("connectivity-error", out.last().reason.condition)
			assert.equal(1, #legs:called("sip_hangup"))
		end)

		it("should watch the trunk's RTP only while answered and nobody holds", function()
			local call, _, legs = start_outbound()
			local function watches()
				local list = {}
				for _, c in ipairs(legs:called("watch_trunk_media")) do list[#list + 1] = c[2] end
				return list
			end
			call:on_relay({ type = "sip_progress", status = 180 })
			assert.same({}, watches(), "not while ringing")
			call:on_relay({ type = "sip_answered", direction = "sendrecv" })
			assert.same({ true }, watches())
			call:on_jingle({ action = "session-info", sid = "sid1", info = { kind = "hold" } })
			assert.same({ true, false }, watches(), "the client holds")
			call:on_jingle({ action = "session-info", sid = "sid1", info = { kind = "unhold" } })
			assert.same({ true, false, true }, watches())
			call:on_relay({ type = "sip_media_changed", direction = "sendonly" })
			assert.same({ true, false, true, false }, watches(), "the phone holds")
			call:on_relay({ type = "sip_media_changed", direction = "sendrecv" })
			assert.same({ true, false, true, false, true }, watches())
			call:on_relay({ type = "sip_media_changed", direction = "sendrecv" })
			assert.equal(5, #watches(), "told only on a change")
		end)

		it("should hang up with a reason when the phone sends no media", function()
			local call, _, legs, out = start_outbound()
			call:on_relay({ type = "sip_answered" })
			call:on_relay({ type = "media_timeout", from = "trunk", seconds = 60,
				text = "no media from the phone for 60 s" })
			local terminate = out.last()
			assert.equal("session-terminate", terminate.action)
			assert.equal("connectivity-error", terminate.reason.condition)
			assert.equal("no media from the phone for 60 s", terminate.reason.text)
			local hangups = legs:called("sip_hangup")
			assert.equal(1, #hangups)
			assert.same({ cause = 41, text = "no media from the phone for 60 s" }, hangups[1][2],
				"the BYE carries a Reason")
			assert.equal("failed", call.outcome)
		end)

		it("should end the call at once, with a reason for the phone, when the client goes away", function()
			local call, _, legs, out = start_outbound()
			call:on_relay({ type = "sip_answered" })
			local sent = #out.sent
			call:peer_gone("the client's session closed")
			assert.equal("ended", call.state)
			assert.equal(sent, #out.sent, "nobody left to send a session-terminate to")
			local hangups = legs:called("sip_hangup")
			assert.equal(1, #hangups)
			assert.same({ cause = 16, text = "the client's session closed" }, hangups[1][2])
			assert.same({ "failed", "gone", "the client's session closed" }, out.ended_with)
			assert.equal(1, #legs:called("close"))
		end)

		it("should end the call with connectivity-error and the relay's text when its ICE fails", function()
			local call, _, legs, out = start_outbound()
			call:on_relay({ type = "sip_answered" })
			call:on_relay({ type = "ice_failed",
				text = "ICE failed: no answered check or media from the client for 30 s" })
			assert.equal("connectivity-error", out.last().reason.condition)
			assert.equal("ICE failed: no answered check or media from the client for 30 s",
				out.last().reason.text)
			assert.equal(1, #legs:called("sip_hangup"))
		end)

		it("should answer stanzas for an ended call with unknown-session", function()
			local call = start_outbound()
			call:on_relay({ type = "sip_failed", status = 404, phrase = "Not Found" })
			local ok, e = call:on_jingle({ action = "transport-info", sid = "sid1", contents = {} })
			assert.is_nil(ok)
			assert.equal("unknown-session", e.jingle_condition)
		end)
	end)

	describe("XEP-0181 DTMF from the client", function()
		local function dtmf(call, info)
			info.kind = "dtmf"
			return call:on_jingle({ action = "session-info", sid = "sid1", info = info })
		end
		local function answered(send_result)
			local call, _, legs, out = start_outbound()
			call:on_relay({ type = "sip_answered" })
			function legs:send_dtmf(...)
				self.calls[#self.calls + 1] = { "send_dtmf", ... }
				if send_result then return table.unpack(send_result) end
				return true
			end
			return call, legs, out
		end
		local function notes(call, area)
			local list = {}
			for _, h in ipairs(call.history) do
				if h.area == area then list[#list + 1] = h.text end
			end
			return list
		end

		it("should send each digit to the trunk and acknowledge", function()
			local call, legs = answered()
			assert.is_true(dtmf(call, { digits = "5", duration = 100, volume = 42 }))
			assert.same({ { "send_dtmf", "5", 100, 42 } }, legs:called("send_dtmf"))
			assert.same({ "digits 5, 100 ms each, to the trunk" }, notes(call, "dtmf"))
		end)

		it("should keep durations within what the trunk takes and split several digits", function()
			local call, legs = answered()
			assert.is_true(dtmf(call, { digits = "12", duration = 5000 }))
			assert.is_true(dtmf(call, { digits = "#", duration = 10 }))
			assert.same({ { "send_dtmf", "1", 1000, nil }, { "send_dtmf", "2", 1000, nil },
				{ "send_dtmf", "#", 40, nil } }, legs:called("send_dtmf"))
		end)

		it("should ignore a digit of duration 0, as XEP-0181 says", function()
			local call, legs = answered()
			assert.is_true(dtmf(call, { digits = "5", duration = 0 }))
			assert.same({}, legs:called("send_dtmf"))
		end)

		it("should refuse a code it cannot use with feature-not-implemented", function()
			local call, legs = answered()
			local ok, e = dtmf(call, { error = "DTMF code must be 0-9, *, # or A-D, got E" })
			assert.is_nil(ok)
			assert.equal("feature-not-implemented", e.condition)
			assert.equal("cancel", e.type)
			assert.same({}, legs:called("send_dtmf"))
		end)

		it("should answer out-of-order before the phone answered", function()
			local call, _, legs = start_outbound()
			local ok, e = dtmf(call, { digits = "5", duration = 100 })
			assert.is_nil(ok)
			assert.equal("out-of-order", e.jingle_condition)
			assert.same({}, legs:called("send_dtmf"))
		end)

		it("should refuse clearly and keep the call when the trunk has no telephone-event", function()
			local call, legs, out = answered({ nil, "no telephone-event (RFC 4733) negotiated on the SIP leg",
				"unsupported" })
			local ok, e = dtmf(call, { digits = "5", duration = 100 })
			assert.is_nil(ok)
			assert.equal("feature-not-implemented", e.condition)
			assert.equal("cannot send DTMF 5 to the phone network: no telephone-event (RFC 4733) negotiated "
				.. "on the SIP leg", e.text)
			assert.equal("active", call.state)
			assert.same({}, legs:called("close"))
			assert.is_nil(out.ended_with)
			assert.same({ "refused: " .. e.text }, notes(call, "dtmf"))
		end)
	end)

	describe("inbound", function()
		local function start_inbound()
			local legs, out = fake_legs(), fake_out()
			local call = bridge.inbound({ sid = "in1", peer = "bob@example.net/laptop",
				phone = "+15557654321@phone.example.net", number = "+15557654321",
				legs = legs, out = out, trunk_pts = TRUNK, now = 0 })
			return call, legs, out
		end

		local function accept(call, pts)
			return call:on_jingle({ action = "session-accept", sid = "in1", contents = { {
				creator = "initiator", name = "audio",
				description = { namespace = ns.RTP, media = "audio", rtcp_mux = true,
					payload_types = pts or { { id = 0, name = "PCMU", clockrate = 8000 } } },
				transport = { namespace = ns.ICE_UDP, ufrag = "BOB1", pwd = "bobpassword0123456789012",
					fingerprints = { { hash = "sha-256", setup = "active", value = "09:08" } },
					candidates = { candidate("127.0.0.1", 41000) } } } } })
		end

		it("should offer as controlling with actpass and the trunk's codec first", function()
			local call, legs, out = start_inbound()
			assert.equal("controlling", legs:called("client_start")[1][2].ice_role)
			local offer = out.last()
			assert.equal("session-initiate", offer.action)
			assert.equal("+15557654321@phone.example.net", offer.initiator)
			assert.equal("initiator", offer.contents[1].creator)
			assert.equal("actpass", offer.contents[1].transport.fingerprints[1].setup)
			assert.equal("PCMU", offer.contents[1].description.payload_types[1].name)
			assert.equal("offering", call.state)
		end)

		it("should answer the SIP leg once the device accepts", function()
			local call, legs = start_inbound()
			assert.is_true(accept(call))
			assert.same({ hash = "sha-256", value = "09:08", setup = "active" },
				legs:called("client_set_remote_fingerprint")[1][2])
			assert.same({ "client_set_remote_credentials", "BOB1", "bobpassword0123456789012" },
				legs:called("client_set_remote_credentials")[1])
			assert.equal(1, #legs:called("client_add_candidate"))
			assert.equal(1, #legs:called("sip_answer"))
			assert.equal("active", call.state)
		end)

		local OPUS_FIRST = { { id = 111, name = "opus", clockrate = 48000, channels = 2 },
			{ id = 0, name = "PCMU", clockrate = 8000 } }

		it("should transcode the codec the device answers first and pass its PCMU through", function()
			local call, legs = start_inbound()
			legs.can_transcode = true
			assert.is_true(accept(call, OPUS_FIRST))
			local t = legs:called("transcode")[1]
			assert.is_not_nil(t, "no transcoding for an answer that puts opus first")
			assert.equal(111, t[2].client.id)
			assert.equal(0, t[2].also.id)
			assert.equal("transcode", legs:called("sip_answer")[1][2].choice.mode)
			assert.equal("active", call.state)
		end)

		it("should carry the shared codec alone when no transcoding slot is free", function()
			local call, legs = start_inbound()
			legs.can_transcode = true
			legs.transcode_refusal = "the relay already transcodes its maximum of 1 calls"
			assert.is_true(accept(call, OPUS_FIRST))
			local choice = legs:called("sip_answer")[1][2].choice
			assert.equal("passthrough", choice.mode)
			assert.equal(0, choice.client.id)
			assert.equal("active", call.state)
		end)

		it("should reject the INVITE with 603 when the device declines", function()
			local call, legs = start_inbound()
			call:on_jingle({ action = "session-terminate", sid = "in1", reason = { condition = "decline" } })
			assert.same({ "sip_reject", 603, "Decline" }, legs:called("sip_reject")[1])
			assert.equal(0, #legs:called("sip_hangup"))
		end)

		it("should tell the device when the caller hangs up before the answer", function()
			local call, _, out = start_inbound()
			call:on_relay({ type = "sip_hangup", text = "CANCEL" })
			assert.equal("cancel", out.last().reason.condition)
			assert.same({ "cancelled", "cancel", "CANCEL" }, out.ended_with)
		end)

		it("should send 480 when nobody answers in time", function()
			local call, legs = start_inbound()
			call:hangup("timeout", "nobody answered")
			assert.same({ "sip_reject", 480, "Temporarily Unavailable" }, legs:called("sip_reject")[1])
		end)

		it("should answer the phone with 480 when the ringing device goes away", function()
			local call, legs, out = start_inbound()
			local sent = #out.sent
			call:peer_gone("the client went offline")
			assert.same({ "sip_reject", 480, "Temporarily Unavailable" }, legs:called("sip_reject")[1])
			assert.equal(0, #legs:called("sip_hangup"))
			assert.equal(sent, #out.sent, "nothing sent to the device that left")
		end)

		it("should watch the trunk once answered, and hang up with a reason when the device goes away", function()
			local call, legs = start_inbound()
			assert.equal(0, #legs:called("watch_trunk_media"), "not while ringing")
			assert.is_true(accept(call))
			assert.same({ "watch_trunk_media", true }, legs:called("watch_trunk_media")[1])
			call:peer_gone("the client's session closed")
			assert.same({ cause = 16, text = "the client's session closed" }, legs:called("sip_hangup")[1][2])
			assert.equal(0, #legs:called("sip_reject"))
		end)

		it("should trickle our candidates to the device in transport-info", function()
			local call, _, out = start_inbound()
			call:on_relay({ type = "local_candidate", candidate = { foundation = "1", component = 1,
				transport = "udp", priority = 100, ip = "127.0.0.1", port = 50010, type = "host" } })
			assert.equal("transport-info", out.last().action)
			assert.equal("audio", out.last().contents[1].name)
		end)
	end)
end)
