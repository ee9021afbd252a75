-- Issue 15, item 2, against the real gateway (Prosody + mod_jingle_sip +
-- libcallrelay + sipp as the trunk): session-initiates with long ICE
-- credentials. 100-byte ufrags (RFC 8839 allows 256) are calls like any
-- other; 300-byte ones are refused with a Jingle bad-request before any
-- relay call exists. Afterwards Prosody holds no more descriptors than
-- before, and a normal call still carries audio both ways.
local socket = require "socket"
local st = require "util.stanza"
local xmpp = require "spec.helpers.xmpp_client"
local sipp = require "spec.helpers.sipp"
local gateway = require "spec.helpers.gateway"
local prosody = require "spec.helpers.prosody"
local webrtc = require "spec.helpers.webrtc_client"

local ROUNDS = 200
local NUMBER = "+15550100"
local PHONE = NUMBER .. "@phone.localhost"
local TONE = 440
local STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"

-- n ice-chars (RFC 8839: ALPHA / DIGIT / "+" / "/").
local function ice_chars(n, seed)
	local set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	local out = {}
	for i = 1, n do
		local k = (i + seed) % #set + 1
		out[i] = set:sub(k, k)
	end
	return table.concat(out)
end

local function read_file(path)
	local f = io.open(path, "rb")
	if not f then return nil end
	local s = f:read("a")
	f:close()
	return s
end

-- Prosody's own open descriptors (its pidfile names the process).
local function prosody_fds(server)
	local pid = (read_file(server.dir .. "/prosody.pid") or ""):match("%d+")
	assert(pid, "no Prosody pid")
	local p = io.popen("ls /proc/" .. pid .. "/fd | wc -l")
	local n = tonumber(p:read("a"):match("%d+"))
	p:close()
	return n
end

local function session_initiate(client, sid, ufrag)
	local s = st.iq({ type = "set", id = "si-" .. sid, to = PHONE })
		:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-initiate", sid = sid,
			initiator = client.jid })
		:tag("content", { creator = "initiator", name = "0" })
		:tag("description", { xmlns = "urn:xmpp:jingle:apps:rtp:1", media = "audio" })
		:tag("payload-type", { id = "0", name = "PCMU", clockrate = "8000" }):up()
		:tag("rtcp-mux"):up()
		:up()
		:tag("transport", { xmlns = "urn:xmpp:jingle:transports:ice-udp:1", ufrag = ufrag,
			pwd = ice_chars(24, 5) })
		:tag("fingerprint", { xmlns = "urn:xmpp:jingle:apps:dtls:0", hash = "sha-256", setup = "actpass" })
		:text(("AB:"):rep(31) .. "AB"):up()
		:tag("candidate", { component = "1", foundation = "1", generation = "0", id = "c1", ip = "127.0.0.1",
			network = "0", port = "9", priority = "2130706431", protocol = "udp", type = "host" })
	return s
end

local function assert_tone_back(report)
	local audio = report.audio or {}
	assert.is_number(audio.frequency_hz, "no audio came back:\n" .. report.log)
	assert.is_true(math.abs(audio.frequency_hz - TONE) <= 0.02 * TONE, tostring(audio.frequency_hz))
	assert.is_true(report.rtp.packets_received >= 100, "received " .. report.rtp.packets_received)
end

local function jingle_of(s) return s:get_child("jingle", "urn:xmpp:jingle:1") end

-- Answers the gateway's iq sets (session-info, session-accept, ...) as a
-- client would, and returns the first Jingle action `action` for sid.
local function wait_action(client, sid, action, timeout)
	local found
	local deadline = socket.gettime() + timeout
	repeat
		local s = client:receive(function(x) return x.name == "iq" and x.attr.type == "set" end, 0.5)
		if s then
			client:send(st.reply(s))
			local j = jingle_of(s)
			if j and j.attr.sid == sid and j.attr.action == action then found = s end
		end
	until found or socket.gettime() > deadline
	return found
end

-- One outbound call with a 100-byte ufrag: accepted, answered, hung up.
local function long_ufrag_call(client, sid)
	local reply = client:iq(session_initiate(client, sid, ice_chars(100, #sid)), 10)
	assert.is_table(reply, sid .. ": no reply to the session-initiate")
	assert.equal("result", reply.attr.type, tostring(reply))
	assert.is_table(wait_action(client, sid, "session-accept", 10), sid .. ": never answered")
	local bye = st.iq({ type = "set", id = "st-" .. sid, to = PHONE })
		:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-terminate", sid = sid })
		:tag("reason"):tag("success"):up():up()
	local done = client:iq(bye, 10)
	assert.is_table(done, sid .. ": no reply to the session-terminate")
	assert.equal("result", done.attr.type, tostring(done))
end

describe("long ICE credentials through the gateway #lua54 #e2e", function()
	local server, trunk, client

	after_each(function()
		if client then client:close() end
		if trunk then trunk:kill() end
		if server then server:stop() end
		server, trunk, client = nil, nil, nil
	end)

	it("should take 100-byte ufrags, refuse 300-byte ones and keep its descriptors", function()
		trunk = sipp.start({ calls = 10 * ROUNDS, timeout = 600 })
		server = gateway.start(trunk.port)
		client = xmpp.connect({ host = "localhost", port = server.c2s_port, user = "alice",
			password = "alice-pw", resource = "ice" })
		-- One call first, so that what the relay opens once is in the baseline.
		long_ufrag_call(client, "warm-up")
		socket.sleep(3) -- the relay closes a call once its BYE is answered (bounded by 2 s)
		local baseline = prosody_fds(server)

		for i = 1, ROUNDS do
			long_ufrag_call(client, "long-" .. i)
			local sid = "too-long-" .. i
			local reply = client:iq(session_initiate(client, sid, ice_chars(300, i)), 10)
			assert.is_table(reply, sid .. ": no reply")
			assert.equal("error", reply.attr.type, tostring(reply))
			local e = reply:get_child("error")
			assert.is_table(e:get_child("bad-request", STANZAS), tostring(reply))
			assert.equal("ICE ufrag must be 4-256 characters (RFC 8839), not 300", e:get_child_text("text", STANZAS))
		end

		local fds
		local deadline = socket.gettime() + 20
		repeat
			socket.sleep(0.5)
			fds = prosody_fds(server)
		until fds <= baseline or socket.gettime() > deadline
		assert.is_true(fds <= baseline, ("Prosody holds %d descriptors, %d before %d calls"):format(fds,
			baseline, 2 * ROUNDS))
		local ok, out = server:shell("jingle_sip:calls()")
		assert.is_true(ok, out)
		for _, state in ipairs({ "dialing", "ringing", "active" }) do
			assert.is_nil(out:find(" " .. state .. " ", 1, true), "a call is still live:\n" .. out)
		end
		client:close()
		client = nil

		-- A normal call right after, with audio both ways (sipp echoes).
		local report = gateway.call(server, NUMBER, { "--tone", tostring(TONE), "--expect-tone", tostring(TONE),
			"--duration", "3", "--codecs", "PCMU" })
		assert.equal(0, report.exit_code, report.log)
		assert_tone_back(report)
	end)

	it("should carry an outbound call whose client uses a 256-char ufrag and pwd", function()
		trunk = sipp.start({})
		server = gateway.start(trunk.port)
		local report = gateway.call(server, NUMBER, { "--ice-credentials-length", "256", "--tone", tostring(TONE),
			"--expect-tone", tostring(TONE), "--duration", "3", "--codecs", "PCMU" })
		assert.equal(0, report.exit_code, report.log)
		assert_tone_back(report)
		assert.truthy(server:log():find("ended: completed success", 1, true))
		-- The call's trace shows the client's offer with its 256-char ufrag.
		local ok, out = server:shell(("jingle_sip:trace(%q)"):format(report.sid))
		assert.is_true(ok, out)
		local ufrag = out:match("jingle<%s+session%-initiate[^\n]-ufrag ([A-Za-z0-9+/]+)")
		assert.equal(256, ufrag and #ufrag, out)
	end)

	it("should carry an inbound call answered with a 256-char ufrag and pwd", function()
		local gateway_port = prosody.free_port()
		server = gateway.start(prosody.free_port(), ('jingle_sip_listen = "127.0.0.1:%d"'):format(gateway_port))
		local callee = webrtc.start({ name = "callee", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--answer", "--ice-credentials-length", "256", "--tone", tostring(TONE),
				"--expect-tone", tostring(TONE), "--timeout", "40" } })
		assert.is_true(callee:wait_ready(15), callee:log())
		trunk = sipp.start({ scenario = "uac_call.xml", remote = "127.0.0.1:" .. gateway_port,
			service = gateway.DID })
		local rc = trunk:wait(40)
		local report, err = callee:result(20)
		assert.is_not_nil(report, err)
		report.log = callee:log()
		assert.equal(0, rc, "sipp (the phone) did not complete its call:\n" .. trunk:log())
		assert_tone_back(report)
		assert.equal("success", report.termination_reason)
	end)
end)
