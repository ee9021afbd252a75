-- Real phone calls through the whole gateway: a real WebRTC client (aiortc
-- over slixmpp) -> Prosody -> mod_jingle_sip -> libcallrelay -> a real SIP
-- peer (sipp), and back. Audio is checked by frequency at the far end, not
-- by byte counts: sipp echoes the RTP it gets, so the client hearing its own
-- tone proves media crossed the relay both ways.
local prosody = require "spec.helpers.prosody"
local webrtc = require "spec.helpers.webrtc_client"
local sipp = require "spec.helpers.sipp"
local baresip = require "spec.helpers.baresip"
local socket = require "socket"

local TONE = 440
local gateway = require "spec.helpers.gateway"
local DID = gateway.DID -- owned by alice

local start_gateway, call = gateway.start, gateway.call

local function assert_tone_back(report, server)
	local audio = report.audio or {}
	assert.is_number(audio.frequency_hz, "no audio came back:\n" .. report.log .. "\n" .. server:log():sub(-3000))
	assert.is_true(math.abs(audio.frequency_hz - TONE) <= 0.02 * TONE,
		("heard %s Hz, sent %d Hz"):format(tostring(audio.frequency_hz), TONE))
	assert.is_true(audio.rms_dbfs > -30, "tone too quiet: " .. tostring(audio.rms_dbfs) .. " dBFS")
	assert.is_true(report.rtp.packets_sent >= 100, "sent " .. report.rtp.packets_sent)
	assert.is_true(report.rtp.packets_received >= 100, "received " .. report.rtp.packets_received)
end

-- A call between the client (sending TONE) and baresip (sending 1000 Hz):
-- each heard the other's tone (the phone's recording read after it quit).
local function assert_tones_crossed(report, phone)
	assert.is_true(math.abs(report.audio.frequency_hz - 1000) <= 20, "client heard " .. report.audio.frequency_hz)
	phone:kill()
	local heard, why = phone:measure("dec")
	assert.is_not_nil(heard, tostring(why) .. phone:log())
	assert.is_true(math.abs(heard.frequency_hz - TONE) <= 0.02 * TONE,
		("the phone heard %s Hz, the client sent %d Hz"):format(heard.frequency_hz, TONE))
	assert.is_true(heard.rms_dbfs > -30, "the phone heard it at " .. tostring(heard.rms_dbfs) .. " dBFS")
end

-- The client's state changes, in order, that match a Lua pattern.
local function states(report, pattern)
	local list = {}
	for _, s in ipairs(report.states or {}) do
		if s.state:match(pattern) then list[#list + 1] = s.state end
	end
	return list
end

describe("calls through the gateway #lua54 #e2e", function()
	local server, peer

	after_each(function()
		if peer then peer:kill() end
		if server then server:stop() end
		server, peer = nil, nil
	end)

	it("should carry an outbound call proposed with JMI both ways and hang up cleanly", function()
		peer = sipp.start({})
		-- The relay's ports on both legs stay inside the ranges a firewall
		-- opens (ten ports from a free one: the relay skips any taken).
		local media_lo, rtp_lo = prosody.free_port(), prosody.free_port()
		server = start_gateway(peer.port, ("jingle_sip_media_port_range = { %d, %d }\n"
			.. "jingle_sip_rtp_port_range = { %d, %d }"):format(media_lo, media_lo + 9, rtp_lo, rtp_lo + 9))
		local report = call(server, "+15550100", { "--jmi", "--tone", tostring(TONE),
			"--expect-tone", tostring(TONE), "--duration", "4", "--codecs", "PCMU" })
		assert.equal(0, report.exit_code, report.log)
		assert_tone_back(report, server)
		-- Conversations needs ringing/proceed at once, then a ringing
		-- session-info before the answer.
		assert.same({ "jmi-ringing-received", "jmi-proceed-received" }, states(report, "^jmi%-.*%-received$"))
		assert.same({ "session-info-received", "session-accept-received" }, states(report, "^session%-.*%-received$"))
		assert.equal("success", report.termination_reason)
		assert.equal(0, peer:wait(15), "sipp did not see the call end with BYE:\n" .. peer:log())
		assert.truthy(server:log():find("ended: completed success", 1, true))
		-- The operator's view in the admin shell: the call, and its whole story.
		local ok, out = server:shell("jingle_sip:calls()")
		assert.is_true(ok, out)
		local line = out:match("[^\n]*" .. report.sid:sub(1, 10) .. "[^\n]*")
		assert.is_not_nil(line, out)
		assert.truthy(line:find("outbound", 1, true), line)
		assert.truthy(line:find("+15550100", 1, true), line)
		-- sipp's answer has no telephone-event: the relay transcodes PCMU to
		-- PCMU so DTMF crosses in-band, and the operator sees it counted so.
		assert.truthy(line:find("transcoded client pcmu/8000/1 sip pcmu/8000/1", 1, true), line)
		assert.truthy(line:find("completed: success", 1, true), line)
		local rx = tonumber(line:match("client (%d+)/"))
		assert.is_true(rx and rx >= 100, line)
		local ice_port = tonumber(line:match("local=%a+ [^ ]-:(%d+) "))
		assert.is_true(ice_port and ice_port >= media_lo and ice_port <= media_lo + 9,
			("the relay's ICE port %s is outside { %d, %d }: %s"):format(tostring(ice_port), media_lo, media_lo + 9, line))
		local rtp_port = tonumber(peer:messages():match("m=audio (%d+)"))
		assert.is_true(rtp_port and rtp_port >= rtp_lo and rtp_port <= rtp_lo + 9,
			("the relay's RTP port %s is outside { %d, %d }"):format(tostring(rtp_port), rtp_lo, rtp_lo + 9))
		-- Neither option ends in _ports, which Prosody takes for listener ports.
		assert.falsy(server:log():find("has no effect for virtual hosts", 1, true), server:log():sub(1, 3000))
		ok, out = server:shell(("jingle_sip:trace(%q)"):format(report.sid:sub(1, 8)))
		assert.is_true(ok, out)
		local order = {}
		for _, needle in ipairs({ "jingle<  session%-initiate", "sip>     INVITE", "sip<     SIP/2.0 200",
			"jingle>  session%-accept", "dtls", "jingle<  session%-terminate" }) do
			local at = out:find(needle)
			assert.is_not_nil(at, "no " .. needle .. " in the trace:\n" .. out)
			order[#order + 1] = at
		end
		assert.is_true(order[1] < order[2] and order[2] < order[3] and order[3] < order[4],
			"trace out of order:\n" .. out)
		-- The kept trace ends with the hang-up toward the phone and its answer.
		local bye = out:find("sip>%s+BYE", order[6])
		assert.is_not_nil(bye, "no BYE after the client's session-terminate in the trace:\n" .. out)
		assert.is_not_nil(out:find("sip<%s+SIP/2.0 200", bye), "no answer to our BYE in the trace:\n" .. out)
	end)

	it("should carry an outbound call started directly with session-initiate (Opus offered)", function()
		peer = sipp.start({})
		server = start_gateway(peer.port)
		local report = call(server, "+15550100", { "--tone", tostring(TONE), "--expect-tone", tostring(TONE),
			"--duration", "4", "--candidates", "trickle" })
		assert.equal(0, report.exit_code, report.log)
		assert_tone_back(report, server)
		assert.equal(0, peer:wait(15), peer:log())
		-- The trunk was offered every codec the client shares with it, in the
		-- client's order; sipp answered PCMU, so the client was accepted on
		-- PCMU, not on its favourite Opus (which would have reached the trunk
		-- labelled as PCMU).
		-- Then G.722 (9), which the client did not offer: the relay can
		-- transcode to it (codecs.trunk_offer with can_transcode).
		-- (The first SDP in sipp's log is the INVITE's: sipp answers after.)
		local offered = peer:messages():match("m=audio %d+ RTP/AVP ([%d ]+)")
		assert.equal("111 0 8 9 101", offered and offered:gsub("%s+$", ""), peer:messages():sub(1, 3000))
		assert.equal("PCMU/8000", report.codec, report.log)
	end)

	-- How the session-accept declines the video content of an audio+video
	-- offer, for the client the caller's caps node names.
	local function accept_contents(report)
		for _, j in ipairs(report.jingle or {}) do
			if j.dir == "in" and j.action == "session-accept" then
				local names = {}
				-- (XEP-0338's <group/> lists <content name=.../> too: no creator there.)
				for attrs in j.xml:gmatch("<[%w:]*content ([^>]*creator=[^>]*)>") do
					names[#names + 1] = attrs:match("name=\"([^\"]+)\"") .. "/"
						.. (attrs:match("senders=\"([^\"]+)\"") or "both")
				end
				return names
			end
		end
	end

	for _, case in ipairs({
		{ client = "Dino", node = "https://dino.im", accept = { "0/both" }, removed = false },
		{ client = "Gajim", node = "https://gajim.org", accept = { "0/both" }, removed = true },
		{ client = "Conversations", node = "http://conversations.im", accept = { "0/both", "video/none" },
			removed = false },
	}) do
		it(("should decline the video of an audio+video call the way %s parses it"):format(case.client), function()
			peer = sipp.start({})
			server = start_gateway(peer.port)
			local report = call(server, "+15550100", { "--caps-node", case.node, "--offer-video",
				"--content-name", "0", "--tone", tostring(TONE), "--expect-tone", tostring(TONE), "--duration", "3" })
			assert.equal(0, report.exit_code, report.log)
			assert_tone_back(report, server)
			assert.same(case.accept, accept_contents(report), report.log)
			local removed = false
			for _, j in ipairs(report.jingle or {}) do
				if j.dir == "in" and j.action == "content-remove" and j.xml:find("name=\"video\"", 1, true) then
					removed = true
				end
			end
			assert.equal(case.removed, removed, "content-remove of the video content")
		end)
	end

	it("should carry a tone each way, each heard at the other end, on an outbound call to a phone", function()
		-- baresip answers with a 1000 Hz sine and records what it hears; the
		-- client sends 440 Hz and must hear 1000 Hz: no echo anywhere.
		local phone = baresip.start({ tone = 1000, lifetime = 25 })
		server = start_gateway(phone.port)
		local report = call(server, "+15550100", { "--tone", tostring(TONE), "--expect-tone", "1000",
			"--duration", "4" })
		assert.equal(0, report.exit_code, report.log .. "\n" .. phone:log())
		assert_tones_crossed(report, phone)
	end)

	it("should hang up, incompatible-parameters, when the trunk answers a codec the caller never offered", function()
		peer = sipp.start({ scenario = "uas_answer_gsm.xml" })
		server = start_gateway(peer.port)
		local report = call(server, "+15550100", { "--tone", "0", "--expect-reason", "incompatible-parameters" })
		assert.equal("incompatible-parameters", report.termination_reason, report.log)
		assert.truthy((report.termination_text or ""):find("GSM/8000", 1, true), report.termination_text)
		assert.equal(0, report.exit_code, report.log)
		assert.equal(0, peer:wait(15), "sipp got no BYE for its answered dialog:\n" .. peer:log())
	end)

	-- A phone behind NAT: its SDP names one port, its RTP comes from another
	-- (spec/helpers/nat_echo.py echoes from its real port whatever reaches
	-- either). The client hears its tone back only if the gateway latched.
	local function nat_phone()
		local ready = ("%s/build/spec-sipp/nat-%d.ready"):format(prosody.repo, math.random(1e9))
		os.execute(("mkdir -p %s/build/spec-sipp"):format(prosody.repo))
		local p = io.popen(("/usr/bin/python3 %s/spec/helpers/nat_echo.py %s 60 >/dev/null 2>&1 & echo $!")
			:format(prosody.repo, ready))
		local echo_pid = p:read("l")
		p:close()
		local ports
		for _ = 1, 100 do -- up to 10 s for the echo to bind its ports
			local f = io.open(ready)
			if f then
				ports = f:read("l")
				f:close()
				break
			end
			socket.sleep(0.1)
		end
		assert.is_not_nil(ports, "spec/helpers/nat_echo.py did not start")
		os.remove(ready)
		local sdp_port, real_port = ports:match("^(%d+) (%d+)$")
		local phone = sipp.start({ scenario = "uas_answer_nat.xml", echo = false,
			keys = { nat_sdp_port = sdp_port } })
		local kill = phone.kill
		function phone.kill(self)
			os.execute("kill " .. echo_pid .. " 2>/dev/null")
			return kill(self)
		end
		phone.real_port = tonumber(real_port)
		return phone
	end
	local NAT_CALL = { "--codecs", "PCMU", "--tone", tostring(TONE), "--duration", "4" }

	it("should latch onto the real RTP port of a phone behind NAT (symmetric RTP, on by default)", function()
		peer = nat_phone()
		server = start_gateway(peer.port)
		local report = call(server, "+15550100", { "--expect-tone", tostring(TONE), table.unpack(NAT_CALL) })
		assert.equal(0, report.exit_code, report.log .. "\n" .. peer:log())
		assert_tone_back(report, server)
		local ok, out = server:shell(("jingle_sip:trace(%q)"):format(report.sid:sub(1, 8)))
		assert.is_true(ok, out)
		assert.truthy(out:find("latched rtp to 127.0.0.1:" .. peer.real_port, 1, true), out)
	end)

	it("should not follow a phone's RTP to another port with jingle_sip_symmetric_rtp = false", function()
		peer = nat_phone()
		server = start_gateway(peer.port, "jingle_sip_symmetric_rtp = false")
		local report = call(server, "+15550100", NAT_CALL)
		local heard = report.audio and report.audio.frequency_hz
		assert.is_true(heard == nil or math.abs(heard - TONE) > 0.02 * TONE,
			"the client heard its tone back without latching: " .. tostring(heard))
		local ok, out = server:shell(("jingle_sip:trace(%q)"):format(report.sid:sub(1, 8)))
		assert.is_true(ok, out)
		assert.is_nil(out:find("latched rtp", 1, true), out)
		local foreign = tonumber(out:match("foreign (%d+)"))
		assert.is_true(foreign and foreign >= 50, "the echo from the other port was not dropped: " .. out)
	end)

	it("should carry DTMF from the keypad to the phone and back as RFC 4733 events", function()
		-- A phone that accepts telephone-event in its answer (sipp's built-in
		-- UAS does not, and then no digit may be sent to it).
		peer = sipp.start({ scenario = "uas_answer.xml" })
		server = start_gateway(peer.port)
		local report = call(server, "+15550100", { "--jmi", "--tone", tostring(TONE), "--codecs", "PCMU",
			"--dtmf", "123#", "--dtmf-delay", "1", "--duration", "5", "--expect-dtmf", "123#" })
		assert.equal(0, report.exit_code, report.log)
		-- The echo sent them back: they crossed the relay to the SIP leg and
		-- back, each payload type mapped, and the relay reported each digit.
		assert.equal("123#", report.dtmf_received)
		local log = server:log()
		local toward_phone, toward_client = {}, {}
		for dir, digit in log:gmatch("dtmf (%S+) digit=(%S)") do
			local list = dir == "client->phone" and toward_phone or toward_client
			list[#list + 1] = digit
		end
		assert.equal("123#", table.concat(toward_phone), log:sub(-3000))
		assert.equal("123#", table.concat(toward_client))
		assert.equal(0, peer:wait(15), peer:log())
	end)

	it("should send XEP-0181 digits from the client to the phone as RFC 4733 events", function()
		-- A phone that accepts telephone-event in its answer.
		peer = sipp.start({ scenario = "uas_answer.xml" })
		server = start_gateway(peer.port)
		local report = call(server, "+15550100", { "--jmi", "--tone", tostring(TONE), "--codecs", "PCMU",
			"--xep0181", "159#", "--dtmf-delay", "1", "--duration", "5", "--expect-dtmf", "159#" })
		assert.equal(0, report.exit_code, report.log)
		-- Each <dtmf/> session-info acknowledged...
		assert.equal("159#", report.xep0181_acked, report.log)
		assert.same({}, report.xep0181_errors)
		-- ...sent to sipp as RFC 4733 events, which its echo returned: the
		-- client's RFC 4733 receiver decoded them (start, updates, E bit).
		assert.equal("159#", report.dtmf_received)
		local log = server:log()
		local toward_phone, toward_client = {}, {}
		for dir, digit, rest in log:gmatch("dtmf (%S+) digit=(%S)([^\n]*)") do
			if dir == "client->phone" then
				assert.truthy(rest:find("sent=1", 1, true), rest) -- the relay made these
				toward_phone[#toward_phone + 1] = digit
			else
				toward_client[#toward_client + 1] = digit
			end
		end
		assert.equal("159#", table.concat(toward_phone), log:sub(-3000))
		assert.equal("159#", table.concat(toward_client))
		assert.equal(0, peer:wait(15), peer:log())
		-- The call's story in the admin shell: the digits, both in the
		-- bridge's notes and the relay's trace.
		local ok, out = server:shell(("jingle_sip:trace(%q)"):format(report.sid:sub(1, 8)))
		assert.is_true(ok, out)
		assert.truthy(out:find("digits 5, 200 ms each, to the trunk", 1, true), out)
		assert.truthy(out:find("dtmf sent client->sip digit # duration 200 ms", 1, true), out)
	end)

	it("should send XEP-0181 digits for a client without telephone-event (Dino) and forward none back", function()
		-- A phone that accepts telephone-event in its answer.
		peer = sipp.start({ scenario = "uas_answer.xml" })
		server = start_gateway(peer.port)
		local report = call(server, "+15550100", { "--jmi", "--tone", tostring(TONE), "--codecs", "PCMU",
			"--no-telephone-event", "--xep0181", "7*", "--dtmf-delay", "1", "--duration", "4" })
		assert.equal(0, report.exit_code, report.log)
		assert.equal("7*", report.xep0181_acked, report.log)
		-- The INVITE still offered telephone-event, so the trunk took the
		-- digits; its echo of them is reported but not sent to a client
		-- that never negotiated them.
		assert.truthy(peer:messages():find("telephone%-event"), peer:messages())
		local log = server:log()
		local toward_phone, toward_client = {}, {}
		for dir, digit in log:gmatch("dtmf (%S+) digit=(%S)") do
			local list = dir == "client->phone" and toward_phone or toward_client
			list[#list + 1] = digit
		end
		assert.equal("7*", table.concat(toward_phone), log:sub(-3000))
		assert.equal("7*", table.concat(toward_client))
		assert.is_nil(report.telephone_event)
		assert.equal("", report.dtmf_received)
		assert.equal(0, peer:wait(15), peer:log())
	end)

	it("should keep an established call through a module reload", function()
		peer = sipp.start({})
		server = start_gateway(peer.port)
		local client = webrtc.start({ name = "reload", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--call", "+15550100@phone.localhost", "--jmi", "--tone",
				tostring(TONE), "--expect-tone", tostring(TONE), "--codecs", "PCMU", "--duration", "8",
				"--timeout", "40" } })
		assert.is_not_nil(server:wait_log("first_media", 20), server:log():sub(-3000))
		local ok, out = server:shell("module:reload('jingle_sip', 'phone.localhost')")
		assert.is_true(ok, out)
		assert.is_not_nil(server:wait_log("Reloaded with 1 call%(s%) in progress kept", 5), server:log():sub(-3000))
		-- The reloaded module still knows the call, live.
		ok, out = server:shell("jingle_sip:calls()")
		assert.is_true(ok, out)
		local line = out:match("[^\n]*outbound[^\n]*")
		assert.is_not_nil(line, out)
		assert.truthy(line:find("+15550100", 1, true), line)
		assert.truthy(line:find(" active ", 1, true), line)
		local report, err = client:result(45)
		assert.is_not_nil(report, err)
		report.log = client:log()
		assert.equal(0, report.exit_code, report.log)
		assert_tone_back(report, server)
		-- 8 s at 50 packets/s: media went on well past the reload (about
		-- 2 s into the call), not only before it.
		assert.is_true(report.rtp.packets_received >= 300, "received " .. report.rtp.packets_received)
		assert.equal("success", report.termination_reason)
		assert.equal(0, peer:wait(15), "sipp did not see the call end with BYE:\n" .. peer:log())
		assert.truthy(server:log():find("ended: completed success", 1, true), server:log():sub(-3000))
	end)

	it("should count a real call in the metrics: outcome, setup time, media setup", function()
		peer = sipp.start({})
		server = start_gateway(peer.port, nil, { modules = { "http_openmetrics" },
			global = 'statistics = "internal"\nstatistics_interval = "manual"' })
		local report = call(server, "+15550100", { "--jmi", "--tone", tostring(TONE), "--codecs", "PCMU",
			"--duration", "2" })
		assert.equal(0, report.exit_code, report.log)
		assert.equal(0, peer:wait(15), peer:log())
		assert.is_not_nil(server:wait_log("ended: completed success", 10), server:log():sub(-3000))
		local body, code
		for _ = 1, 100 do
			body, code = require "socket.http".request(("http://127.0.0.1:%d/metrics"):format(server.http_port))
			if code ~= "connection refused" then break end
			require "socket".sleep(0.1)
		end
		assert.equal(200, code, tostring(body))
		local p = "prosody_mod_jingle_sip__"
		local labels = '{host="phone.localhost",direction="outbound"'
		assert.truthy(body:find(p .. "calls_total" .. labels .. ',outcome="answered"} 1', 1, true), body)
		assert.truthy(body:find(p .. "active_calls" .. labels .. "} 0", 1, true), body)
		-- One post-dial delay (INVITE to 180/200 from sipp: well under 5 s)
		-- and one media setup observation.
		assert.truthy(body:find(p .. "call_setup_seconds_count" .. labels .. "} 1", 1, true), body)
		local in_5s = body:match(p .. "call_setup_seconds_bucket" .. labels:gsub("%p", "%%%0")
			.. ',le="5"} (%d+)')
		assert.equal("1", in_5s, body)
		assert.truthy(body:find(p .. "media_setup_seconds_count" .. labels .. "} 1", 1, true), body)
	end)

	it("should ask the STUN server named in external_services for the relay's reflexive address", function()
		-- A UDP socket on loopback stands in for the STUN server: the relay's
		-- ICE agent (libnice) must send it a Binding request during the call.
		local stun = assert(require "socket".udp())
		assert(stun:setsockname("127.0.0.1", 0))
		local _, stun_port = stun:getsockname()
		stun:settimeout(0.2)
		peer = sipp.start({})
		server = start_gateway(peer.port, nil, { global = table.concat({
			"external_services = {",
			'  { type = "stun", transport = "udp", host = "stun.invalid", port = 3478 },',
			('  { type = "stun", transport = "udp", host = "127.0.0.1", port = %d },'):format(stun_port),
			"}" }, "\n") })
		assert.is_not_nil(server:wait_log("Media relay uses STUN 127%.0%.0%.1 port " .. stun_port, 10),
			server:log():sub(-3000))
		assert.truthy(server:log():find("stun stun.invalid:3478: the relay needs an IP address", 1, true))
		local client = webrtc.start({ name = "stun", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--call", "+15550100@phone.localhost", "--tone", tostring(TONE),
				"--codecs", "PCMU", "--duration", "2", "--timeout", "40" } })
		local request
		local deadline = require "socket".gettime() + 30
		repeat request = stun:receive() until request or require "socket".gettime() > deadline
		stun:close()
		assert.is_not_nil(request, "no STUN request reached 127.0.0.1:" .. stun_port .. "\n" .. server:log():sub(-3000))
		-- A STUN Binding request (type 0x0001), its 20-byte header's length
		-- field matching the attributes that follow.
		assert.is_true(#request >= 20, #request)
		assert.equal("\0\1", request:sub(1, 2), (request:gsub(".", function(c) return ("%02x"):format(c:byte()) end)))
		assert.equal(#request - 20, request:byte(3) * 256 + request:byte(4))
		local report, err = client:result(45)
		assert.is_not_nil(report, err)
		assert.equal(0, peer:wait(15), peer:log())
	end)

	it("should end the phone call when the client vanishes without hanging up", function()
		peer = sipp.start({})
		server = start_gateway(peer.port, "jingle_sip_media_timeout = 3")
		local client = webrtc.start({ name = "vanishing", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--call", "+15550100@phone.localhost", "--jmi", "--tone",
				tostring(TONE), "--duration", "60", "--timeout", "60" } })
		assert.is_not_nil(server:wait_log("dtls_connected", 20), server:log():sub(-3000))
		require "socket".sleep(1)
		-- Frozen, not gone: no session-terminate, no media, and its TCP
		-- stream stays open, so only the media timeout can tell (a closed
		-- stream ends the call at once: spec/e2e/call_ends_spec.lua).
		os.execute("kill -STOP " .. client.pid)
		-- sipp's built-in UAS exits 0 once it got (and answered) the BYE.
		local rc = peer:wait(20)
		os.execute("kill -KILL " .. client.pid)
		assert.equal(0, rc, "the phone never got a BYE:\n" .. peer:log())
		assert.truthy(server:log():find("ended: failed connectivity%-error no media from the client"),
			server:log():sub(-3000))
		local ok, out = server:shell("jingle_sip:calls()")
		assert.is_true(ok, out)
		assert.truthy(out:find("failed: connectivity-error no media from the client", 1, true), out)
	end)

	it("should hang up a call that reaches the maximum call duration", function()
		peer = sipp.start({})
		server = start_gateway(peer.port, "jingle_sip_max_call_duration = 3")
		local report = call(server, "+15550100", { "--tone", tostring(TONE), "--duration", "0",
			"--expect-reason", "success" })
		assert.equal("success", report.termination_reason, report.log)
		assert.equal("remote", report.terminated_by)
		assert.equal("maximum call duration of 3 s reached", report.termination_text)
		assert.equal(0, peer:wait(15), peer:log())
	end)

	it("should keep the call through hold and resume from the phone", function()
		peer = sipp.start({ scenario = "uas_hold.xml" })
		server = start_gateway(peer.port)
		local report = call(server, "+15550100", { "--tone", tostring(TONE), "--expect-tone", tostring(TONE),
			"--duration", "6", "--codecs", "PCMU" })
		assert.equal(0, report.exit_code, report.log)
		-- sipp checked our answers: recvonly to its hold, sendrecv to its resume.
		assert.equal(0, peer:wait(15), peer:log())
		local log = server:log()
		assert.truthy(log:find("sip_media_changed [^\n]*direction=sendonly"), log:sub(-3000))
		assert.truthy(log:find("sip_media_changed [^\n]*direction=sendrecv"), log:sub(-3000))
	end)

	it("should hold and resume the phone when the client says hold and unhold", function()
		-- uas_held.xml checks our re-INVITEs: a=sendonly, then a=sendrecv.
		peer = sipp.start({ scenario = "uas_held.xml" })
		server = start_gateway(peer.port)
		local report = call(server, "+15550100", { "--tone", tostring(TONE), "--expect-tone", tostring(TONE),
			"--codecs", "PCMU", "--hold", "1,1", "--duration", "5" })
		assert.equal(0, report.exit_code, report.log)
		assert.same({ "hold-sent", "unhold-sent" }, states(report, "hold%-sent$"))
		assert_tone_back(report, server)
		assert.equal(0, peer:wait(15), "sipp did not see hold, resume and BYE:\n" .. peer:log())
	end)

	it("should tell the caller busy, with the SIP status, when the phone is busy", function()
		peer = sipp.start({ scenario = "uas_busy.xml" })
		server = start_gateway(peer.port)
		local report = call(server, "+15550100", { "--jmi", "--tone", "0", "--expect-reason", "busy" })
		assert.equal("busy", report.termination_reason, report.log)
		assert.equal("SIP 486 Busy Here", report.termination_text)
		assert.equal(0, report.exit_code, report.log)
	end)

	it("should end the call for the caller when the phone hangs up", function()
		peer = sipp.start({ scenario = "uas_bye.xml" })
		server = start_gateway(peer.port)
		local report = call(server, "+15550100", { "--tone", tostring(TONE), "--duration", "0",
			"--expect-reason", "success" })
		assert.equal("success", report.termination_reason, report.log)
		assert.equal("remote", report.terminated_by)
		assert.equal(0, peer:wait(15), peer:log())
	end)

	it("should refuse a number outside the dial plan without reaching the trunk", function()
		peer = sipp.start({})
		server = start_gateway(peer.port)
		local report = call(server, "+4420799900000", { "--tone", "0" })
		assert.are_not.equal(0, report.exit_code)
		assert.is_nil(report.audio and report.audio.frequency_hz)
		assert.is_nil(peer:messages():find("INVITE", 1, true), "the trunk saw an INVITE")
		assert.truthy(server:log():find("Refused call from alice@localhost/[^\n]* to %+4420799900000@phone%.localhost"),
			server:log():sub(-2000))
	end)

	it("should answer a refused JMI propose with <reject/>, its Jingle reason and text", function()
		peer = sipp.start({})
		server = start_gateway(peer.port)
		local report = call(server, "+4420799900000", { "--jmi", "--tone", "0", "--expect-reason", "decline" })
		assert.equal("reject", report.jmi, report.log)
		assert.equal("decline", report.termination_reason, report.log)
		assert.equal("+4420799900000 is not in this server's dial plan", report.termination_text, report.log)
		assert.equal(0, report.exit_code, report.log)
		assert.is_nil(peer:messages():find("INVITE", 1, true), "the trunk saw an INVITE")
	end)

	it("should give up an outbound call at the ring timeout: CANCEL to the phone, <timeout/> to the caller", function()
		-- The phone rings and never answers; it expects our CANCEL (and
		-- answers it 200 + 487), so sipp exits 0 only if CANCEL came.
		peer = sipp.start({ scenario = "uas_cancel.xml" })
		server = start_gateway(peer.port, "jingle_sip_ring_timeout = 3")
		local started = os.time()
		local report = call(server, "+15550100", { "--tone", "0", "--expect-reason", "timeout" })
		local took = os.time() - started
		assert.equal("timeout", report.termination_reason, report.log)
		assert.equal("nobody answered within 3 s", report.termination_text, report.log)
		assert.equal(0, report.exit_code, report.log)
		assert.is_true(took < 20, ("the call rang for %d s with a 3 s ring timeout"):format(took))
		assert.equal(0, peer:wait(15), "the phone got no CANCEL:\n" .. peer:log())
		assert.truthy(peer:messages():find("CANCEL sip:", 1, true), peer:messages():sub(-2000))
	end)

	it("should refuse a user the allow list does not name", function()
		peer = sipp.start({})
		server = start_gateway(peer.port, 'jingle_sip_allow = { "alice@localhost" }')
		local report = call(server, "+15550100", { "--tone", "0" }, "bob")
		assert.are_not.equal(0, report.exit_code)
		assert.is_nil(peer:messages():find("INVITE", 1, true), "the trunk saw an INVITE")
		assert.truthy(server:log():find("Refused call from bob@localhost", 1, true))
	end)

	-- A phone calls alice's DID; her one device answers. Returns its report.
	local function inbound_call(callee_args)
		local gateway_port = prosody.free_port()
		server = start_gateway(prosody.free_port(), ('jingle_sip_listen = "127.0.0.1:%d"'):format(gateway_port))
		local callee = webrtc.start({ name = "callee", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--answer", "--tone", tostring(TONE),
				"--expect-tone", tostring(TONE), "--timeout", "40", table.unpack(callee_args or {}) } })
		assert.is_true(callee:wait_ready(15), callee:log())
		peer = sipp.start({ scenario = "uac_call.xml", remote = "127.0.0.1:" .. gateway_port,
			service = DID })
		local rc = peer:wait(40)
		local report, err = callee:result(20)
		assert.is_not_nil(report, err)
		report.log = callee:log()
		assert.equal(0, rc, "sipp (the phone) did not complete its call:\n" .. peer:log()
			.. "\n" .. server:log():sub(-3000))
		assert_tone_back(report, server)
		assert.equal("success", report.termination_reason)
		return report
	end

	it("should ring the owner of a DID, carry the call both ways when answered", function()
		local report = inbound_call()
		assert.equal("proceed", report.jmi, "a JMI client rings by propose and proceeds")
	end)

	it("should call a device without JMI directly with session-initiate", function()
		local report = inbound_call({ "--no-jmi" })
		assert.is_nil(report.jmi, report.log)
		assert.same({ "disco-info-received" }, states(report, "^disco"))
		assert.same({}, states(report, "^jmi%-"), "a client without JMI was sent JMI")
		assert.truthy(server:log():find("directly (it has no JMI)", 1, true), server:log():sub(-3000))
	end)

	it("should carry a tone each way, each heard at the other end, on an inbound call from a phone", function()
		local gateway_port = prosody.free_port()
		server = start_gateway(prosody.free_port(), ('jingle_sip_listen = "127.0.0.1:%d"'):format(gateway_port))
		local callee = webrtc.start({ name = "callee", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--answer", "--tone", tostring(TONE), "--expect-tone", "1000",
				"--duration", "4", "--timeout", "40" } })
		assert.is_true(callee:wait_ready(15), callee:log())
		local phone = baresip.start({ tone = 1000, lifetime = 25,
			dial = ("sip:%s@127.0.0.1:%d"):format(DID, gateway_port) })
		local report, err = callee:result(30)
		assert.is_not_nil(report, err)
		report.log = callee:log()
		assert.equal(0, report.exit_code, report.log .. "\n" .. phone:log() .. "\n" .. server:log():sub(-3000))
		assert_tones_crossed(report, phone)
	end)

	it("should answer 404 when the called number has no owner", function()
		local gateway_port = prosody.free_port()
		server = start_gateway(prosody.free_port(), ('jingle_sip_listen = "127.0.0.1:%d"'):format(gateway_port))
		peer = sipp.start({ scenario = "uac_unknown_number.xml", remote = "127.0.0.1:" .. gateway_port,
			service = "+15550009999" })
		assert.equal(0, peer:wait(20), "sipp did not get its 404:\n" .. peer:log())
	end)
end)
