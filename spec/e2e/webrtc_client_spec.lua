-- The real-WebRTC test client (spec/helpers/webrtc_client.py: aiortc +
-- slixmpp) proves itself here by calling itself through a real Prosody, with
-- no gateway involved: Jingle signalling relayed by Prosody between two
-- users' full JIDs, ICE/DTLS-SRTP between two aiortc stacks on 127.0.0.1.
-- The gateway's end-to-end specs use the same client against the gateway.
local prosody = require "spec.helpers.prosody"
local webrtc = require "spec.helpers.webrtc_client"
local xml = require "util.xml"

local NS_JINGLE = "urn:xmpp:jingle:1"
local NS_RTP = "urn:xmpp:jingle:apps:rtp:1"
local NS_ICE = "urn:xmpp:jingle:transports:ice-udp:1"
local NS_DTLS = "urn:xmpp:jingle:apps:dtls:0"

local ALICE_TONE, BOB_TONE = 440, 660

local function count(list, pred)
	local n = 0
	for _, x in ipairs(list or {}) do
		if pred(x) then n = n + 1 end
	end
	return n
end

-- The first Jingle payload the client sent ("out") or got ("in") with this
-- action, parsed.
local function jingle(report, dir, action)
	for _, j in ipairs(report.jingle) do
		if j.dir == dir and j.action == action then return assert(xml.parse(j.xml)) end
	end
	error(("no %s %s in the report"):format(dir, action))
end

-- { content = <content/>, payloads = { "name/clockrate" = id }, fingerprint =, candidates = n }
local function describe_content(j)
	local content = assert(j:get_child("content", NS_JINGLE), "no content")
	local description = content:get_child("description", NS_RTP)
	local transport = content:get_child("transport", NS_ICE)
	local payloads = {}
	for pt in description:childtags("payload-type", NS_RTP) do
		payloads[pt.attr.name .. "/" .. pt.attr.clockrate] = tonumber(pt.attr.id)
	end
	local candidates = 0
	for _ in transport:childtags("candidate", NS_ICE) do candidates = candidates + 1 end
	return { content = content, payloads = payloads, candidates = candidates,
		rtcp_mux = description:get_child("rtcp-mux", NS_RTP) ~= nil,
		fingerprint = transport:get_child("fingerprint", NS_DTLS) }
end

local function state_time(report, name)
	for _, s in ipairs(report.states or {}) do
		if s.state == name then return s.t end
	end
	return nil
end

local function has_state(report, name)
	return state_time(report, name) ~= nil
end

-- The tone `hz` arrived: dominant frequency within 2 %, and loud enough to be
-- the tone rather than noise (the source sends at -13.5 dBFS).
local function assert_tone(report, hz, who)
	local audio = report.audio or {}
	assert.is_number(audio.frequency_hz, who .. " detected no frequency:\n" .. report.log)
	assert.is_true(math.abs(audio.frequency_hz - hz) <= 0.02 * hz,
		("%s heard %s Hz, expected %d Hz"):format(who, tostring(audio.frequency_hz), hz))
	assert.is_true(audio.rms_dbfs > -25, who .. " heard the tone too quietly: " .. audio.rms_dbfs .. " dBFS")
	assert.is_true(audio.analyzed_ms >= 1500, who .. " analysed only " .. audio.analyzed_ms .. " ms")
end

local function assert_media_both_ways(caller, callee)
	for who, r in pairs({ caller = caller, callee = callee }) do
		assert.is_true(r.connected, who .. " never connected:\n" .. r.log)
		-- 4 s of 20 ms packets is 200; well over half must have made it.
		assert.is_true(r.rtp.packets_sent >= 100, who .. " sent " .. r.rtp.packets_sent .. " packets")
		assert.is_true(r.rtp.packets_received >= 100, who .. " received " .. r.rtp.packets_received .. " packets")
		assert.equal("127.0.0.1", r.selected_pair.local_address)
		assert.equal("127.0.0.1", r.selected_pair.remote_address)
		assert.same({}, r.errors, who .. " reported errors")
	end
	assert_tone(callee, ALICE_TONE, "bob")
	assert_tone(caller, BOB_TONE, "alice")
end

local function assert_clean_hangup(caller, callee)
	assert.equal("success", caller.termination_reason)
	assert.equal("local", caller.terminated_by)
	assert.equal("success", callee.termination_reason)
	assert.equal("remote", callee.terminated_by)
	assert.equal(0, caller.exit_code, caller.log)
	assert.equal(0, callee.exit_code, callee.log)
end

describe("the WebRTC test client calling itself through Prosody #lua54", function()
	local server

	setup(function()
		server = prosody.start({ users = { alice = "alice-pw", bob = "bob-pw" } })
	end)

	teardown(function()
		if server then server:stop() end
	end)

	local function call(caller_args, callee_args)
		local caller, callee = webrtc.call_pair({
			port = server.c2s_port,
			callee = { jid = "bob@localhost", password = "bob-pw",
				args = { "--resource", "phone", "--answer", "--tone", BOB_TONE, "--timeout", "25",
					table.unpack(callee_args or {}) } },
			caller = { jid = "alice@localhost", password = "alice-pw",
				args = { "--tone", ALICE_TONE, "--timeout", "25", table.unpack(caller_args) } },
		})
		return caller, callee
	end

	it("should connect a JMI-first call (Conversations, Dino) with each tone heard at the other end", function()
		local caller, callee = call({ "--call", "bob@localhost", "--jmi", "--duration", "4" },
			{ "--answer-delay", "1" })
		assert.equal("jmi", caller.mode)
		-- <ringing/> at once, <proceed/> when "picked up" a second later.
		local proposed = state_time(caller, "jmi-propose-sent")
		local ringing = state_time(caller, "jmi-ringing-received")
		local proceed = state_time(caller, "jmi-proceed-received")
		assert.is_number(ringing, "no <ringing/> came back")
		assert.is_number(proceed, "no <proceed/> came back")
		assert.is_true(ringing - proposed < 0.9, "ringing took " .. (ringing - proposed) .. " s")
		assert.is_true(proceed - ringing >= 0.9, "proceed came before the answer delay")
		assert.equal("bob@localhost/phone", caller.peer, "session-initiate must go to the proceeding resource")
		assert.equal("opus/48000", caller.codec)
		assert_media_both_ways(caller, callee)
		assert_clean_hangup(caller, callee)
	end)

	it("should connect a direct session-initiate (Gajim: content 'voice', trickled candidates)", function()
		local caller, callee = call({ "--call", "bob@localhost/phone", "--duration", "4",
			"--content-name", "voice", "--candidates", "trickle" })
		assert.equal("direct", caller.mode)
		assert.is_nil(caller.jmi)
		-- What went over the wire: the offer as Gajim shapes it, the answer
		-- echoing name and creator (docs/INTEROP.md#10) and picking a DTLS role (#13).
		local offer = describe_content(jingle(caller, "out", "session-initiate"))
		assert.equal("voice", offer.content.attr.name)
		assert.equal("initiator", offer.content.attr.creator)
		assert.equal("actpass", offer.fingerprint.attr.setup)
		assert.equal(0, offer.candidates, "trickle mode sends no candidate in session-initiate")
		assert.is_true(offer.rtcp_mux)
		assert.equal(101, offer.payloads["telephone-event/48000"])
		assert.equal(126, offer.payloads["telephone-event/8000"])
		local answer = describe_content(jingle(callee, "out", "session-accept"))
		assert.equal("voice", answer.content.attr.name)
		assert.equal("initiator", answer.content.attr.creator)
		assert.equal("active", answer.fingerprint.attr.setup)
		assert.is_true(answer.candidates >= 1, "session-accept carries the callee's candidates")
		assert.equal(96, answer.payloads["opus/48000"])
		assert.equal(101, answer.payloads["telephone-event/48000"])
		assert.is_nil(answer.payloads["telephone-event/8000"], "only the event matching the codec's rate")
		-- The candidates went only by transport-info, one stanza each.
		assert.is_true(caller.candidates_sent >= 1, "caller trickled no candidate")
		assert.equal(caller.candidates_sent, callee.candidates_received)
		assert.equal(caller.candidates_sent, callee.transport_info_received)
		assert_media_both_ways(caller, callee)
		assert_clean_hangup(caller, callee)
	end)

	it("should carry RFC 4733 digits both ways on a PCMU call at 8 kHz", function()
		local caller, callee = call(
			{ "--call", "bob@localhost", "--jmi", "--duration", "4", "--sample-rate", "8000",
				"--dtmf", "123#", "--dtmf-delay", "0.5" },
			{ "--codecs", "PCMU", "--sample-rate", "8000", "--dtmf", "*90", "--dtmf-delay", "0.5",
				"--candidates", "early" })
		assert.equal("PCMU/8000", caller.codec)
		-- The callee's candidates came by transport-info before its
		-- session-accept, which had none: the caller had to hold them.
		assert.equal(0, describe_content(jingle(callee, "out", "session-accept")).candidates)
		assert.is_true(callee.candidates_sent >= 1)
		assert.equal(callee.candidates_sent, caller.candidates_received)
		assert.is_true(state_time(caller, "transport-info-received") < state_time(caller, "session-accept-received"))
		assert.same({ payload_type = 126, clockrate = 8000 }, caller.telephone_event)
		assert.equal("123#", caller.dtmf_sent)
		assert.equal("123#", callee.dtmf_received)
		assert.equal("*90", callee.dtmf_sent)
		assert.equal("*90", caller.dtmf_received)
		for _, ev in ipairs(callee.dtmf_events) do
			assert.is_true(ev["end"], "digit " .. ev.digit .. " never ended")
			assert.equal(200, ev.duration_ms)
		end
		-- Digits replace audio packets for a while; the tone still dominates.
		assert_media_both_ways(caller, callee)
		assert_clean_hangup(caller, callee)
	end)

	it("should work without telephone-event (Dino), send no digits then, and let the callee hang up", function()
		local caller, callee = call({ "--call", "bob@localhost", "--jmi", "--no-telephone-event", "--dtmf", "1" },
			{ "--dtmf", "2", "--duration", "3" })
		assert.is_nil(describe_content(jingle(caller, "out", "session-initiate")).payloads["telephone-event/48000"])
		assert.same({ ["opus/48000"] = 96, ["PCMU/8000"] = 0, ["PCMA/8000"] = 8 },
			describe_content(jingle(callee, "out", "session-accept")).payloads)
		assert.equal("success", caller.termination_reason)
		assert.equal("remote", caller.terminated_by)
		assert.equal("local", callee.terminated_by)
		assert.is_nil(caller.telephone_event)
		assert.is_nil(callee.telephone_event)
		assert.equal("", caller.dtmf_received)
		assert.equal("", callee.dtmf_received)
		assert.equal(1, count(caller.errors, function(e) return e:find("no telephone-event", 1, true) end))
		assert.is_true(caller.connected and callee.connected)
		assert_tone(callee, ALICE_TONE, "bob")
		assert_tone(caller, BOB_TONE, "alice")
	end)

	it("should report busy at the caller when the callee rejects the JMI proposal", function()
		local caller, callee = call({ "--call", "bob@localhost", "--jmi", "--expect-reason", "busy" },
			{ "--reject", "busy" })
		assert.equal("reject", caller.jmi)
		assert.equal("busy", caller.termination_reason)
		assert.equal("remote", caller.terminated_by)
		assert.is_false(caller.connected)
		assert.is_false(has_state(caller, "session-initiate-sent"), "no session after a reject")
		assert.equal(0, caller.exit_code, caller.log)
		assert.equal("busy", callee.termination_reason)
	end)

	it("should report decline at the caller when the callee declines a session-initiate", function()
		local caller = call({ "--call", "bob@localhost/phone", "--expect-reason", "decline" },
			{ "--reject", "decline" })
		assert.is_true(has_state(caller, "session-terminate-received"))
		assert.equal("decline", caller.termination_reason)
		assert.equal("remote", caller.terminated_by)
		assert.is_false(caller.connected)
		assert.equal(0, caller.exit_code, caller.log)
	end)
end)
