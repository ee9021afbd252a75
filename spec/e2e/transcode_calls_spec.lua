-- Calls whose legs share no codec, through the whole gateway: a real WebRTC
-- client (aiortc) offering only Opus -> Prosody -> mod_jingle_sip ->
-- libcallrelay -> a SIP peer that speaks only PCMU (sipp's built-in UAS
-- answers PCMU to any offer and echoes the RTP it gets). The relay must
-- transcode both ways: the client hearing its own tone back, at its
-- frequency (within 2 %) and level (within 6 dB), proves Opus became PCMU
-- toward the phone and PCMU became Opus toward the client.
local prosody = require "spec.helpers.prosody"
local webrtc = require "spec.helpers.webrtc_client"
local sipp = require "spec.helpers.sipp"
local baresip = require "spec.helpers.baresip"
local socket = require "socket"

local TONE = 440
local gateway = require "spec.helpers.gateway"
local DID = gateway.DID -- owned by alice
local SENT_DBFS = 20 * math.log(0.3 / math.sqrt(2), 10) -- webrtc_audio.ToneTrack's level 0.3

local start_gateway, call = gateway.start, gateway.call

describe("transcoded calls through the gateway #lua54 #e2e", function()
	local server, peer

	after_each(function()
		if peer then peer:kill() end
		if server then server:stop() end
		server, peer = nil, nil
	end)

	it("should carry an Opus-only client's tone through a PCMU-only phone and back", function()
		peer = sipp.start({})
		server = start_gateway(peer.port, "jingle_sip_max_transcoded_calls = 2")
		local report = call(server, "+15550100", { "--jmi", "--codecs", "opus", "--tone", tostring(TONE),
			"--expect-tone", tostring(TONE), "--duration", "5" })
		assert.equal(0, report.exit_code, report.log .. "\n" .. server:log():sub(-3000))
		local audio = report.audio or {}
		assert.is_number(audio.frequency_hz, "no audio came back:\n" .. report.log)
		assert.is_true(math.abs(audio.frequency_hz - TONE) <= 0.02 * TONE,
			("heard %s Hz, sent %d Hz"):format(tostring(audio.frequency_hz), TONE))
		assert.is_true(math.abs(audio.rms_dbfs - SENT_DBFS) <= 6,
			("heard %.1f dBFS, sent %.1f dBFS"):format(audio.rms_dbfs, SENT_DBFS))
		assert.is_true(report.rtp.packets_received >= 150, "received " .. report.rtp.packets_received)
		assert.equal("success", report.termination_reason)
		-- The phone really got PCMU: its answer and the relay's path say so.
		assert.truthy(peer:messages():find("RTP/AVP 0", 1, true), peer:messages():sub(1, 3000))
		local ok, out = server:shell("jingle_sip:calls()")
		assert.is_true(ok, out)
		local line = out:match("[^\n]*" .. report.sid:sub(1, 10) .. "[^\n]*")
		assert.is_not_nil(line, out)
		assert.truthy(line:find("transcoded client opus/48000/2 sip pcmu/8000/1", 1, true), line)
		ok, out = server:shell(("jingle_sip:trace(%q)"):format(report.sid:sub(1, 8)))
		assert.is_true(ok, out)
		assert.truthy(out:find("path transcoded opus/48000 <-> PCMU/8000", 1, true), out)
		assert.equal(0, peer:wait(15), "sipp did not see the call end with BYE:\n" .. peer:log())
	end)

	it("should turn the client's RFC 4733 digits into tones for a phone without telephone-event, and back", function()
		peer = sipp.start({})
		server = start_gateway(peer.port, "jingle_sip_max_transcoded_calls = 2")
		local report = call(server, "+15550100", { "--jmi", "--codecs", "opus", "--tone", "0",
			"--dtmf", "123#", "--dtmf-delay", "1", "--duration", "6", "--expect-dtmf", "123#" })
		-- sipp echoed tones (its answer has no telephone-event); the relay
		-- heard them in the PCMU coming back and sent RFC 4733 events.
		assert.equal("123#", report.dtmf_received, report.log .. "\n" .. server:log():sub(-3000))
		assert.equal(0, report.exit_code, report.log)
		assert.falsy(peer:messages():find("telephone-event", peer:messages():find("SIP/2.0 200"), true),
			"sipp's answer must not take telephone-event")
		local log = server:log()
		local toward_phone, toward_client = {}, {}
		for dir, digit in log:gmatch("dtmf (%S+) digit=(%S)") do
			local list = dir == "client->phone" and toward_phone or toward_client
			list[#list + 1] = digit
		end
		assert.equal("123#", table.concat(toward_phone), log:sub(-3000))
		assert.equal("123#", table.concat(toward_client))
		local ok, out = server:shell(("jingle_sip:trace(%q)"):format(report.sid:sub(1, 8)))
		assert.is_true(ok, out)
		assert.truthy(out:find("dtmf rfc4733 <-> in-band", 1, true), out)
	end)

	it("should transcode a shared codec only so DTMF crosses to a phone without telephone-event", function()
		peer = sipp.start({})
		server = start_gateway(peer.port, "jingle_sip_max_transcoded_calls = 2")
		local report = call(server, "+15550100", { "--jmi", "--codecs", "PCMU", "--tone", "0",
			"--dtmf", "12", "--dtmf-delay", "1", "--duration", "5", "--expect-dtmf", "12" })
		assert.equal("12", report.dtmf_received, report.log .. "\n" .. server:log():sub(-3000))
		assert.equal(0, report.exit_code, report.log)
		assert.truthy(server:log():find("DTMF crosses in-band", 1, true))
		-- Both legs carry PCMU, yet the relay transcodes (for the tones):
		-- the operator counts it as a transcoded call.
		local ok, out = server:shell("jingle_sip:calls()")
		assert.is_true(ok, out)
		local line = out:match("[^\n]*" .. report.sid:sub(1, 10) .. "[^\n]*")
		assert.truthy(line and line:find("transcoded client pcmu/8000/1 sip pcmu/8000/1", 1, true), out)
		ok, out = server:shell(("jingle_sip:trace(%q)"):format(report.sid:sub(1, 8)))
		assert.is_true(ok, out)
		assert.truthy(out:find("path transcoded PCMU/8000 <-> PCMU/8000, dtmf rfc4733 <-> in-band", 1, true), out)
	end)

	-- A PCMU-only client toward phones that speak only G.722 or only Opus
	-- (baresip echoing through its codec): transcoded the other way round.
	for _, case in ipairs({ { codec = "g722", path = "transcoded client pcmu/8000/1 sip g722/8000/1",
		relay = "path transcoded PCMU/8000 <-> G722/8000" },
		{ codec = "opus", path = "transcoded client pcmu/8000/1 sip opus/48000/2",
			relay = "path transcoded PCMU/8000 <-> opus/48000" } }) do
		it("should carry a PCMU-only client's tone through a " .. case.codec .. "-only phone and back", function()
			peer = baresip.start({ codec = case.codec })
			server = start_gateway(peer.port, "jingle_sip_max_transcoded_calls = 2")
			local report = call(server, "+15550100", { "--jmi", "--codecs", "PCMU", "--tone", tostring(TONE),
				"--expect-tone", tostring(TONE), "--duration", "5", "--dtmf", "12", "--dtmf-delay", "1" })
			assert.equal(0, report.exit_code, report.log .. "\n" .. peer:log() .. "\n" .. server:log():sub(-3000))
			local audio = report.audio or {}
			assert.is_true(math.abs(audio.frequency_hz - TONE) <= 0.02 * TONE,
				("heard %s Hz, sent %d Hz"):format(tostring(audio.frequency_hz), TONE))
			assert.is_true(math.abs(audio.rms_dbfs - SENT_DBFS) <= 6,
				("heard %.1f dBFS, sent %.1f dBFS"):format(audio.rms_dbfs, SENT_DBFS))
			local ok, out = server:shell("jingle_sip:calls()")
			assert.is_true(ok, out)
			local line = out:match("[^\n]*" .. report.sid:sub(1, 10) .. "[^\n]*")
			assert.truthy(line and line:find(case.path, 1, true), out)
			ok, out = server:shell(("jingle_sip:trace(%q)"):format(report.sid:sub(1, 8)))
			assert.is_true(ok, out)
			assert.truthy(out:find(case.relay, 1, true), out)
			-- Both sides have telephone-event: the digits reach the phone as
			-- RFC 4733 events in the transcoded audio's stream.
			local log = peer:log()
			assert.truthy(log:find("received event: '1' (end=1)", 1, true), log)
			assert.truthy(log:find("received event: '2' (end=1)", 1, true), log)
		end)
	end

	-- A tone from each end: the client sends 440 Hz, baresip its own 1 kHz
	-- sine; each must hear the other's at its frequency and level.
	for _, codec in ipairs({ "g722", "opus" }) do
		it("should carry a tone from each end to the other between a PCMU client and a " .. codec .. " phone", function()
			local PHONE_TONE = 1000
			peer = baresip.start({ codec = codec, tone = PHONE_TONE })
			server = start_gateway(peer.port, "jingle_sip_max_transcoded_calls = 2")
			local report = call(server, "+15550100", { "--jmi", "--codecs", "PCMU", "--tone", tostring(TONE),
				"--expect-tone", tostring(PHONE_TONE), "--duration", "5" })
			assert.equal(0, report.exit_code, report.log .. "\n" .. peer:log())
			peer:kill()
			socket.sleep(0.5) -- baresip closes its WAV files
			local sent = assert(peer:measure("enc"))
			local heard = assert(peer:measure("dec"))
			local audio = report.audio or {}
			assert.is_true(math.abs(audio.frequency_hz - PHONE_TONE) <= 0.02 * PHONE_TONE,
				("the client heard %s Hz, the phone sent %d Hz"):format(tostring(audio.frequency_hz), PHONE_TONE))
			assert.is_true(math.abs(audio.rms_dbfs - sent.rms_dbfs) <= 6,
				("the client heard %.1f dBFS, the phone sent %.1f dBFS"):format(audio.rms_dbfs, sent.rms_dbfs))
			assert.is_true(math.abs(heard.frequency_hz - TONE) <= 0.02 * TONE,
				("the phone heard %s Hz, the client sent %d Hz"):format(tostring(heard.frequency_hz), TONE))
			assert.is_true(math.abs(heard.rms_dbfs - SENT_DBFS) <= 6,
				("the phone heard %.1f dBFS, the client sent %.1f dBFS"):format(heard.rms_dbfs, SENT_DBFS))
		end)
	end

	it("should keep a transcoded call through hold and resume from the phone", function()
		-- uas_hold.xml answers PCMU, holds (sendonly), resumes, checking our
		-- answers; the Opus-only client's tone must still come back.
		peer = sipp.start({ scenario = "uas_hold.xml" })
		server = start_gateway(peer.port, "jingle_sip_max_transcoded_calls = 2")
		local report = call(server, "+15550100", { "--jmi", "--codecs", "opus", "--tone", tostring(TONE),
			"--expect-tone", tostring(TONE), "--duration", "6" })
		assert.equal(0, report.exit_code, report.log .. "\n" .. server:log():sub(-3000))
		assert.equal(0, peer:wait(15), peer:log())
		local log = server:log()
		assert.truthy(log:find("sip_media_changed [^\n]*direction=sendonly"), log:sub(-3000))
		assert.truthy(log:find("sip_media_changed [^\n]*direction=sendrecv"), log:sub(-3000))
		local ok, out = server:shell(("jingle_sip:trace(%q)"):format(report.sid:sub(1, 8)))
		assert.is_true(ok, out)
		assert.truthy(out:find("path transcoded opus/48000 <-> PCMU/8000", 1, true), out)
		assert.falsy(out:find("pipeline error", 1, true), out)
	end)

	it("should transcode an inbound call from a G.711 phone to an Opus-only client", function()
		local gateway_port = prosody.free_port()
		server = start_gateway(prosody.free_port(), ('jingle_sip_listen = "127.0.0.1:%d"'):format(gateway_port)
			.. "\njingle_sip_max_transcoded_calls = 2")
		local callee = webrtc.start({ name = "callee", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--answer", "--codecs", "opus", "--tone", tostring(TONE),
				"--expect-tone", tostring(TONE), "--timeout", "40" } })
		assert.is_true(callee:wait_ready(15), callee:log())
		-- sipp offers PCMA, PCMU and telephone-event and echoes the RTP.
		peer = sipp.start({ scenario = "uac_call.xml", remote = "127.0.0.1:" .. gateway_port, service = DID })
		local rc = peer:wait(40)
		local report, err = callee:result(20)
		assert.is_not_nil(report, err)
		assert.equal(0, rc, "sipp (the phone) did not complete its call:\n" .. peer:log()
			.. "\n" .. server:log():sub(-3000))
		local audio = report.audio or {}
		assert.is_true(math.abs((audio.frequency_hz or 0) - TONE) <= 0.02 * TONE,
			("heard %s Hz, sent %d Hz\n%s"):format(tostring(audio.frequency_hz), TONE, callee:log()))
		assert.is_true(math.abs(audio.rms_dbfs - SENT_DBFS) <= 6,
			("heard %.1f dBFS, sent %.1f dBFS"):format(audio.rms_dbfs, SENT_DBFS))
		assert.equal("success", report.termination_reason)
		-- The phone was answered on a G.711 codec; the client spoke Opus.
		local answer = peer:messages():match("SIP/2.0 200 OK.-m=audio[^\n]*")
		assert.truthy(answer and answer:find("RTP/AVP 0", 1, true), peer:messages():sub(-3000))
		assert.truthy(server:log():find("answered by alice@localhost/[^ ]+ %(transcode%)"), server:log():sub(-3000))
	end)

	-- The client's own codec order (RFC 3264 lets an answerer put its
	-- favourite first, and it sends that one): whatever it answers or
	-- offers, its tone must reach the phone (heard in baresip's recording)
	-- and the phone's tone the client.
	local function assert_crossed(report, phone, phone_tone)
		phone:kill()
		socket.sleep(0.5) -- baresip closes its WAV files
		local heard = assert(phone:measure("dec"))
		local audio = report.audio or {}
		assert.is_true(math.abs((audio.frequency_hz or 0) - phone_tone) <= 0.02 * phone_tone,
			("the client heard %s Hz, the phone sent %d Hz"):format(tostring(audio.frequency_hz), phone_tone))
		assert.is_true(math.abs(heard.frequency_hz - TONE) <= 0.02 * TONE,
			("the phone heard %s Hz, the client sent %d Hz"):format(tostring(heard.frequency_hz), TONE))
		assert.is_true(heard.rms_dbfs > -30, ("the phone heard %.1f dBFS"):format(heard.rms_dbfs))
	end

	for _, order in ipairs({ "opus,PCMU", "PCMU,opus" }) do
		it(("should carry both ways an inbound call the client answers %s first"):format(order:match("^[^,]+")), function()
			local gateway_port = prosody.free_port()
			server = start_gateway(prosody.free_port(), ('jingle_sip_listen = "127.0.0.1:%d"'):format(gateway_port)
				.. "\njingle_sip_max_transcoded_calls = 2")
			local callee = webrtc.start({ name = "callee", jid = "alice@localhost", password = "alice-pw",
				port = server.c2s_port, args = { "--answer", "--codecs", order, "--tone", tostring(TONE),
					"--expect-tone", "1000", "--duration", "4", "--timeout", "40" } })
			assert.is_true(callee:wait_ready(15), callee:log())
			local phone = baresip.start({ tone = 1000, lifetime = 25,
				dial = ("sip:%s@127.0.0.1:%d"):format(DID, gateway_port) })
			local report, err = callee:result(30)
			assert.is_not_nil(report, err)
			assert.equal(0, report.exit_code, callee:log() .. "\n" .. phone:log() .. "\n" .. server:log():sub(-3000))
			-- The client's answer really was in its order.
			local accept
			for _, j in ipairs(report.jingle or {}) do
				if j.dir == "out" and j.action == "session-accept" then accept = j.xml end
			end
			local first = accept and accept:match("<[%w:]*payload%-type [^>]*name=\"([^\"]+)\"")
			assert.equal(order:match("^[^,]+"), first, accept)
			assert_crossed(report, phone, 1000)
		end)

		it(("should carry both ways an outbound call the client offers %s first"):format(order:match("^[^,]+")), function()
			local phone = baresip.start({ tone = 1000, lifetime = 25 })
			server = start_gateway(phone.port, "jingle_sip_max_transcoded_calls = 2")
			local report = call(server, "+15550100", { "--codecs", order, "--tone", tostring(TONE),
				"--expect-tone", "1000", "--duration", "4" })
			assert.equal(0, report.exit_code, report.log .. "\n" .. phone:log())
			assert_crossed(report, phone, 1000)
		end)
	end

	it("should refuse a call that needs transcoding when transcoding is off, with the reason", function()
		peer = sipp.start({})
		server = start_gateway(peer.port, "jingle_sip_max_transcoded_calls = 0")
		local report = call(server, "+15550100", { "--jmi", "--codecs", "opus", "--tone", tostring(TONE),
			"--duration", "3" })
		assert.equal("general-error", report.termination_reason, report.log)
		assert.truthy(tostring(report.termination_text):find("transcoding is off", 1, true),
			tostring(report.termination_text))
		assert.truthy(server:log():find("transcoding is off", 1, true))
	end)
end)
