-- One real call set up through the Lua API alone (issue 5): a WebRTC peer
-- (Debian's aiortc, standing in for a browser) calls through the relay to a
-- SIP trunk (sipp answering and echoing RTP). The peer sends a 440 Hz tone and
-- must hear it come back; the relay's counters must show media both ways.
--
-- Runs unchanged under Lua 5.4 (C binding) and LuaJIT (FFI): plain Lua, the
-- callrelay API and io/os only. Lua's io.popen is one-way, so the peer and
-- this spec exchange SDP through files (see spec/helpers/webrtc_peer.py).
local callrelay = require "callrelay"

local PYTHON = "/usr/bin/python3" -- Debian's, with aiortc (docs/PLATFORM.md#python)
local PEER = "spec/helpers/webrtc_peer.py"
local TONE_HZ = 440
local AUDIO_SECONDS = 3
local SPEC_LIMIT = 38 -- seconds for the whole call, every wait included

-- Seconds since boot with 10 ms resolution: a monotonic clock in plain Lua.
local function now()
	local f = assert(io.open("/proc/uptime"))
	local t = f:read("*n")
	f:close()
	return t
end

-- Sleeping without burning the CPU the peer and the relay need.
local function sleep(seconds)
	os.execute("sleep " .. seconds)
end

local function read_file(path)
	local f = io.open(path, "rb")
	if not f then return nil end
	local data = f:read("*a")
	f:close()
	return data
end

local function write_file(path, data)
	local f = assert(io.open(path .. ".tmp", "wb"))
	assert(f:write(data))
	assert(f:close())
	assert(os.rename(path .. ".tmp", path))
end

local function read_kv(text)
	local t = {}
	for k, v in (text or ""):gmatch("([%w_]+)=([^\n]*)") do t[k] = v end
	return t
end

-- Starts `cmd` in the background bounded by `limit` seconds; its output goes
-- to DIR/NAME.log, the pid of its `timeout` wrapper to DIR/NAME.pid and its
-- exit status to DIR/NAME.rc when it ends.
local function spawn(dir, name, limit, cmd)
	local base = dir .. "/" .. name
	local script = ("timeout %d %s >%s.log 2>&1 </dev/null & echo $! >%s.pid; wait $!; echo $? >%s.rc")
		:format(limit, cmd, base, base, base)
	os.execute("(" .. script .. ") >/dev/null 2>&1 </dev/null &")
end

-- Ends a process spawn() started that is still running (by its pid only;
-- `timeout` passes the TERM on to its child).
local function stop(dir, name)
	local pid = tonumber(read_file(dir .. "/" .. name .. ".pid") or "")
	if pid and not read_file(dir .. "/" .. name .. ".rc") then
		os.execute("kill " .. pid .. " 2>/dev/null")
	end
end

-- Waits (bounded) for a file to appear; returns its content or nil.
local function wait_file(path, deadline)
	repeat
		local data = read_file(path)
		if data then return data end
		sleep(0.05)
	until now() > deadline
	return nil
end

-- Whether /proc/net lists a UDP socket bound to `port` (as the C tests'
-- wait_port_bound does, relay/tests/sip_helpers.c). spec/helpers/process.lua's
-- udp_bound does the same but loads LuaSocket; this spec keeps to io/os
-- (see the top of this file).
local function udp_bound(port)
	local want = (":%04X "):format(port)
	for _, file in ipairs({ "/proc/net/udp", "/proc/net/udp6" }) do
		local text = read_file(file) or ""
		for line in text:gmatch("[^\n]+") do
			local loc = line:match("^%s*%d+:%s+(%S+)")
			if loc and (loc .. " "):sub(-#want) == want then return true end
		end
	end
	return false
end

-- The parts of the peer's offer the relay and the answer need.
local function parse_offer(sdp)
	local o = { candidates = {}, codecs = {} }
	for line in sdp:gmatch("[^\r\n]+") do
		local key, value = line:match("^a=([%w%-]+):(.*)$")
		if key == "ice-ufrag" then o.ufrag = value
		elseif key == "ice-pwd" then o.pwd = value
		elseif key == "fingerprint" then o.fingerprint = value
		elseif key == "setup" then o.setup = value
		elseif key == "mid" then o.mid = value
		elseif key == "candidate" then o.candidates[#o.candidates + 1] = "candidate:" .. value
		elseif key == "rtpmap" then
			local pt, name, clock, channels = value:match("^(%d+) ([^/]+)/(%d+)/?(%d*)")
			o.codecs[#o.codecs + 1] = { pt = tonumber(pt), name = name, clock = tonumber(clock),
				channels = tonumber(channels) or 1 }
		elseif line == "a=rtcp-mux" then o.rtcp_mux = true
		elseif line == "a=end-of-candidates" then o.end_of_candidates = true
		end
	end
	return o
end

-- Codecs are matched by name and clock rate, never by number (docs/INTEROP.md#14).
local function find_codec(offer, name, clock)
	for _, c in ipairs(offer.codecs) do
		if c.name:upper() == name:upper() and c.clock == clock then return c end
	end
end

-- The relay's answer as a browser reads it: our credentials and
-- fingerprint, setup=active (the relay is the DTLS client), the candidates
-- the relay gathered, the one codec both legs carry.
local function answer_sdp(offer, loc, candidates, codec)
	local port = candidates[1]:match("^candidate:%S+ %d+ %a+ %d+ %S+ (%d+)")
	local lines = { "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE " .. offer.mid,
		("m=audio %s UDP/TLS/RTP/SAVPF %d"):format(port, codec.pt), "c=IN IP4 127.0.0.1",
		"a=mid:" .. offer.mid, "a=sendrecv", "a=rtcp-mux",
		"a=ice-ufrag:" .. loc.ice_ufrag, "a=ice-pwd:" .. loc.ice_pwd,
		"a=fingerprint:" .. loc.fingerprint, "a=setup:active",
		("a=rtpmap:%d %s/%d"):format(codec.pt, codec.name, codec.clock) }
	for _, c in ipairs(candidates) do lines[#lines + 1] = "a=" .. c end
	lines[#lines + 1] = "a=end-of-candidates"
	return table.concat(lines, "\r\n") .. "\r\n"
end

-- Events that end the attempt at once: waiting longer cannot help.
local FATAL = { sip_failed = true, sip_hangup = true, dtls_failed = true, media_error = true }

-- Everything the call produced, for the assertions below.
local run = { events = {}, fatal = nil }

local function pump(relay)
	for _, e in ipairs(relay:poll_events()) do
		run.events[#run.events + 1] = e
		if FATAL[e.type] and not run.fatal then run.fatal = e end
	end
end

local function find_event(pred)
	for _, e in ipairs(run.events) do
		if pred(e) then return e end
	end
end

-- Waits (bounded) until pred matches a recorded event; raises with what
-- went wrong instead.
local function wait_event(relay, what, pred, deadline)
	repeat
		pump(relay)
		local e = find_event(pred)
		if e then return e end
		if run.fatal then
			error(("%s: got %s (code %d) %s"):format(what, run.fatal.type, run.fatal.code, run.fatal.text), 2)
		end
		sleep(0.05)
	until now() > deadline
	error("no " .. what .. " within the time limit", 2)
end

local function of_type(type_name, call_id)
	return function(e) return e.type == type_name and (not call_id or e.call_id == call_id) end
end

-- The one shape (key -> Lua type) both backends must give each table.
local STATS_SHAPE = { ice_state = "number", dtls_state = "number", selected_pair = "string",
	media_path = "string" }
for _, k in ipairs({ "client_rx_packets", "client_rx_bytes", "client_tx_packets", "client_tx_bytes",
	"sip_rx_packets", "sip_rx_bytes", "sip_tx_packets", "sip_tx_bytes", "srtp_auth_failed", "dtls_bad",
	"ice_bad", "early_dropped", "sip_foreign", "unmapped_pt", "candidates_dropped", "dtmf_events",
	"transcoded_packets", "transcode_dropped", "sip_ssrc_dropped", "fast_rx_packets",
	"fast_tx_packets", "fast_stun_answered", "fast_fallbacks" }) do
	STATS_SHAPE[k] = "number"
end
local MEDIA_LOCAL_SHAPE = { ice_ufrag = "string", ice_pwd = "string", fingerprint = "string",
	sip_rtp_addr = "string", sip_rtp_port = "number", sip_rtcp_port = "number" }
local SIP_STATS_SHAPE = { invites_sent = "number", invites_received = "number",
	invites_rejected_limit = "number", options_sent = "number", options_ok = "number", trunk_up = "number",
	last_options_status = "number", last_options_rtt_ms = "number", registered = "number",
	sdp_rejected = "number",
	requests_untrusted = "number", invites_rejected_rate = "number", filter_drops = "number",
	filtered_sockets = "number", trusted_sources = "string" }
local EVENT_SHAPE = { type = "string", call_id = "number", time_us = "number", code = "number",
	value = "number", text = "string" }
-- Events whose text the API parses into `fields`, as this call produces them.
local FIELD_SHAPES = {
	sip_answered = { address = "string", port = "number", codec = "string", clock = "number",
		channels = "number", pt = "number", dtmf_pt = "number", ptime = "number", direction = "string",
		symmetric_rtp = "number" },
	dtls_connected = { role = "string", profile = "string" },
	dtmf = { digit = "string", event = "number", duration_ms = "number" }, -- + sent for a digit we sent
}
-- Every event type this call must have produced.
local CALL_EVENTS = { "call_ready", "local_candidate", "gathering_done", "ice_state", "selected_pair",
	"dtls_connected", "first_media", "sip_ringing", "sip_answered", "call_closed" }

local function shape_of(t)
	local shape = {}
	for k, v in pairs(t) do shape[k] = type(v) end
	return shape
end

-- Numbers are whole on both backends, and Lua 5.4 integers (not floats that
-- print as "5060.0") where the runtime has the distinction.
local function assert_integers(t, what)
	for k, v in pairs(t) do
		if type(v) == "number" then
			assert.is_true(v % 1 == 0, what .. "." .. k .. " = " .. v)
			if math.type then assert.equal("integer", math.type(v), what .. "." .. k) end
		end
	end
end

-- The whole call, once; both describe blocks below read `run`.
local function place_call()
	local started = now()
	local deadline = started + SPEC_LIMIT
	local unique = os.tmpname() -- a name no other run has: its last part names the directory
	os.remove(unique)
	local suffix = assert(unique:match("([%w_]+)$"))
	local dir = "build/real-call-" .. suffix
	assert(os.execute("mkdir -p " .. dir))
	run.dir = dir

	local ports_out = assert(io.popen(PYTHON .. " " .. PEER .. " --free-ports"))
	local ports = read_kv(ports_out:read("*a"))
	ports_out:close()
	for k, v in pairs(ports) do ports[k] = tonumber(v) end
	assert(ports.trunk_sip and ports.relay_sip and ports.trunk_media, "no free ports")

	-- The trunk: sipp answers one call and echoes RTP on its media port.
	spawn(dir, "sipp", SPEC_LIMIT, ("sipp -sn uas -rtp_echo -nostdin -i 127.0.0.1 -p %d -mp %d -m 1 "
		.. "-timeout %ds -timeout_error -trace_err -error_file %s/sipp-errors.log")
		:format(ports.trunk_sip, ports.trunk_media, SPEC_LIMIT - 3, dir))
	-- The client: offers, sends the tone, reports what came back.
	spawn(dir, "peer", SPEC_LIMIT, ("%s %s %s %d %d"):format(PYTHON, PEER, dir, TONE_HZ, AUDIO_SECONDS))

	local relay = assert(callrelay.new_relay({ workers = 1,
		media = { ice_addresses = "127.0.0.1", ice_port_min = ports.ice_min, ice_port_max = ports.ice_min + 7,
			sip_rtp_address = "127.0.0.1", sip_port_min = ports.relay_rtp_min,
			sip_port_max = ports.relay_rtp_min + 7 },
		sip = { listen_uri = ("sip:127.0.0.1:%d;transport=udp"):format(ports.relay_sip),
			trunk_uri = ("sip:127.0.0.1:%d"):format(ports.trunk_sip),
			user_agent = "jingle-sip real-call spec" } }))
	run.relay = relay

	local offer_text = wait_file(dir .. "/offer.sdp", math.min(deadline, now() + 20))
	assert(offer_text, "the WebRTC peer wrote no offer: " .. (read_file(dir .. "/peer.log") or ""))
	local offer = parse_offer(offer_text)
	run.offer = offer
	local pcmu = assert(find_codec(offer, "PCMU", 8000), "the peer offered no PCMU")

	local call = assert(relay:new_call())
	run.call = call
	run.call_id = call.id
	run.media_local = assert(call:media_local())
	assert(call:media_start({ ice_controlling = 0, rtcp_mux = offer.rtcp_mux and 1 or 0, dtls_role = "active",
		remote_ufrag = offer.ufrag, remote_pwd = offer.pwd, remote_fingerprint = offer.fingerprint,
		codecs = { { client_pt = pcmu.pt, sip_pt = 0, name = "PCMU", clock_rate = 8000, channels = 1 } } }))
	for _, c in ipairs(offer.candidates) do assert(call:add_remote_candidate(c)) end
	if offer.end_of_candidates then assert(call:end_of_candidates()) end

	-- The SIP leg's RTP address and port: the call's own (run.media_local).
	-- sipp must hold its SIP port first: an INVITE sent before it binds is
	-- lost (ICMP port unreachable) and only a retransmission reaches it.
	local bound_by = math.min(deadline, now() + 10)
	while not udp_bound(ports.trunk_sip) do
		assert(now() < bound_by, "sipp never bound its SIP port " .. ports.trunk_sip .. ": "
			.. (read_file(dir .. "/sipp.log") or ""))
		sleep(0.05)
	end
	assert(call:sip_dial({ number = "100", caller_id = "alice", codecs = { "PCMU" }, telephone_event = 0 }))
	local answered = wait_event(relay, "sip_answered", of_type("sip_answered", call.id),
		math.min(deadline, now() + 15))
	run.answered = answered
	-- The trunk's media as the relay read it from the 200's SDP.
	run.sip_media = assert(call:sip_media())
	-- No set_sip_remote: the relay points its RTP leg at the address of the
	-- trunk's answer itself (relay/src/call_sip.c), so the echo below comes
	-- back only if it did.
	-- sipp's built-in UAS answers PCMU only, but its echo returns whatever
	-- comes: a telephone-event entry in the map (101 both ways) lets a digit
	-- the relay sends toward the trunk come back as one from the trunk.
	assert(call:set_codecs({ { client_pt = pcmu.pt, sip_pt = 0, name = "PCMU", clock_rate = 8000, channels = 1 },
		{ client_pt = 101, sip_pt = 101, name = "telephone-event", clock_rate = 8000, channels = 1 } }))

	wait_event(relay, "gathering_done", of_type("gathering_done", call.id), math.min(deadline, now() + 10))
	local candidates = {}
	for _, e in ipairs(run.events) do
		if e.type == "local_candidate" and e.call_id == call.id and e.value == 1 then
			candidates[#candidates + 1] = e.text
		end
	end
	assert(#candidates > 0, "the relay gathered no candidate")
	run.local_candidates = candidates
	run.answer = answer_sdp(offer, run.media_local, candidates, pcmu)
	write_file(dir .. "/answer.sdp", run.answer)

	-- Media flows while the peer listens; keep draining events meanwhile.
	local result_text
	repeat
		pump(relay)
		if not run.dtmf_sent and find_event(function(e) return e.type == "first_media" and e.code == 1 end) then
			run.dtmf_sent = { call:send_dtmf("7", 120) }
		end
		result_text = read_file(dir .. "/result.txt")
		if not result_text then sleep(0.1) end
	until result_text or now() > deadline
	assert(result_text, "the WebRTC peer reported nothing: " .. (read_file(dir .. "/peer.log") or ""))
	run.peer = read_kv(result_text)
	run.peer_rc = tonumber(wait_file(dir .. "/peer.rc", math.min(deadline, now() + 5)) or "")
	pump(relay)
	run.stats = assert(call:stats())
	run.trace = call:trace()
	run.sip_stats = relay:sip_stats()

	call:close("test done")
	run.closed = wait_event(relay, "call_closed", of_type("call_closed", call.id), math.min(deadline, now() + 10))
	run.sipp_rc = tonumber(wait_file(dir .. "/sipp.rc", math.min(deadline, now() + 10)) or "")
	sleep(0.3) -- sipp has its 200 to the BYE sent: anything the relay would still say comes now
	pump(relay)
	run.seconds = now() - started
end

local function cleanup()
	if run.call then run.call:close("spec cleanup") end
	if run.relay then run.relay:close() end
	if run.dir then
		stop(run.dir, "sipp")
		stop(run.dir, "peer")
	end
end

local function explain()
	if not run.dir then return "" end
	return ("\n-- relay trace --\n%s\n-- peer --\n%s\n-- sipp --\n%s\n(files in %s)")
		:format(run.trace or "", read_file(run.dir .. "/peer.log") or "",
			read_file(run.dir .. "/sipp-errors.log") or "", run.dir)
end

describe("a real call through the Lua API (" .. callrelay.backend .. " backend)", function()
	local placed, failure
	lazy_setup(function()
		placed, failure = pcall(place_call)
		cleanup()
	end)

	lazy_teardown(function()
		-- REAL_CALL_VERBOSE=1 prints what the call measured.
		if os.getenv("REAL_CALL_VERBOSE") and run.stats and run.peer then
			local s, p = run.stats, run.peer
			io.stderr:write(("\nreal call (%s): %.1f s; relay client rx/tx %d/%d, sip rx/tx %d/%d packets; "
				.. "peer sent %s, received %s, heard %s Hz; pair %s\n")
				:format(callrelay.backend, run.seconds or -1, s.client_rx_packets, s.client_tx_packets,
					s.sip_rx_packets, s.sip_tx_packets, tostring(p.packets_sent),
					tostring(p.packets_received), tostring(p.frequency), s.selected_pair))
			local names = {}
			for _, e in ipairs(run.events) do names[#names + 1] = e.type .. "(" .. e.code .. ")" end
			io.stderr:write("events: " .. table.concat(names, " ") .. "\n" .. (run.trace or "") .. "\n")
		end
		if placed and run.dir then os.execute("rm -rf " .. run.dir) end
	end)

	it("should set the call up within the time limit", function()
		assert(placed, tostring(failure) .. explain())
		assert.is_true(run.seconds < SPEC_LIMIT, "the call took " .. run.seconds .. " s")
	end)

	it("should connect ICE on the nominated loopback pair and DTLS as the client", function()
		assert(placed, tostring(failure))
		local pair = find_event(of_type("selected_pair", run.call_id))
		assert.is_not_nil(pair, "no selected_pair event" .. explain())
		assert.equal(1, pair.value)
		local peer_port = run.offer.candidates[1]:match("^candidate:%S+ %d+ %a+ %d+ %S+ (%d+)")
		assert.truthy(run.stats.selected_pair:match("^local=host 127%.0%.0%.1:%d+ remote=%a+ 127%.0%.0%.1:"
			.. peer_port .. "$"), run.stats.selected_pair)
		assert.truthy(run.stats.ice_state == 3 or run.stats.ice_state == 4, "ice_state " .. run.stats.ice_state)
		local dtls = find_event(of_type("dtls_connected", run.call_id))
		assert.is_not_nil(dtls, "no dtls_connected event" .. explain())
		assert.equal("client", dtls.fields.role)
		assert.equal("AES_CM_128_HMAC_SHA1_80", dtls.fields.profile) -- the one aiortc 1.4 offers
		assert.equal(2, run.stats.dtls_state)
	end)

	it("should answer the trunk's SDP with the codec dialled and forward both ways", function()
		assert(placed, tostring(failure))
		local f = run.answered.fields
		assert.equal("PCMU", f.codec)
		assert.equal(0, f.pt)
		assert.equal("127.0.0.1", f.address)
		assert.equal("sendrecv", f.direction)
		-- The same facts, typed, from the relay (call:sip_media()).
		local m = run.sip_media
		assert.same({ pt = 0, name = "PCMU", clock_rate = 8000, channels = 1 }, m.chosen)
		assert.equal("127.0.0.1", m.address)
		assert.equal(f.port, m.port)
		assert.equal("sendrecv", m.direction)
		assert.is_true(m.seq >= 1)
		assert.equal("PCMU", m.codecs[1].name)
		-- Our offer carried the call's own SIP-leg address and port.
		assert.truthy(run.trace:find("SDP: 127.0.0.1:" .. run.media_local.sip_rtp_port .. " PCMU", 1, true),
			run.trace)
		local s = run.stats
		-- 20 ms packets for AUDIO_SECONDS: at least one second's worth each way.
		assert.is_true(s.client_rx_packets >= 50, "client_rx_packets " .. s.client_rx_packets .. explain())
		assert.is_true(s.sip_tx_packets >= 50, "sip_tx_packets " .. s.sip_tx_packets .. explain())
		assert.is_true(s.sip_rx_packets >= 50, "sip_rx_packets " .. s.sip_rx_packets .. explain())
		assert.is_true(s.client_tx_packets >= 50, "client_tx_packets " .. s.client_tx_packets .. explain())
		assert.is_true(s.client_rx_bytes > s.client_rx_packets * 12)
		assert.equal(0, s.srtp_auth_failed)
		assert.equal(0, s.unmapped_pt)
		assert.equal(0, s.sip_foreign)
		for _, dir in ipairs({ 1, 2 }) do
			assert.is_not_nil(find_event(function(e)
				return e.type == "first_media" and e.call_id == run.call_id and e.code == dir
			end), "no first_media event for direction " .. dir)
		end
	end)

	it("should bring the peer's 440 Hz tone back to it through sipp's echo", function()
		assert(placed, tostring(failure))
		local p = run.peer
		assert.equal("ok", p.status, (p.error or "") .. explain())
		assert.equal(0, run.peer_rc)
		local sent, received = tonumber(p.packets_sent), tonumber(p.packets_received)
		assert.is_true(sent >= 50, "the peer sent " .. sent .. " packets")
		assert.is_true(received >= 50, "the peer received " .. received .. " packets")
		-- What the peer received, the relay sent it (RTCP counts there too).
		assert.is_true(received <= run.stats.client_tx_packets)
		local hz = tonumber(p.frequency)
		assert.is_true(math.abs(hz - TONE_HZ) <= TONE_HZ * 0.02,
			("heard %s Hz, sent %d Hz"):format(p.frequency, TONE_HZ))
	end)

	it("should send a DTMF digit to the trunk in the stream and get it back from sipp's echo", function()
		assert(placed, tostring(failure))
		assert.same({ true }, run.dtmf_sent, explain())
		local sent = find_event(function(e) return e.type == "dtmf" and e.code == 1 end)
		assert.is_not_nil(sent, "no dtmf event for the digit sent" .. explain())
		assert.same({ digit = "7", event = 7, duration_ms = 120, sent = 1 }, sent.fields)
		local back = find_event(function(e) return e.type == "dtmf" and e.code == 2 end)
		assert.is_not_nil(back, "the digit did not come back from the trunk" .. explain())
		assert.same({ digit = "7", event = 7, duration_ms = 120 }, back.fields)
		assert.truthy(run.trace:find("dtmf sent client->sip digit 7 duration 120 ms", 1, true), run.trace)
		assert.equal(2, run.stats.dtmf_events)
		-- Audio went on around it: the tone test above still hears 440 Hz.
	end)

	it("should return the same shapes on every backend (stats, media_local, sip_stats, events)", function()
		assert(placed, tostring(failure))
		assert.same(STATS_SHAPE, shape_of(run.stats))
		assert.same(MEDIA_LOCAL_SHAPE, shape_of(run.media_local))
		assert.same(SIP_STATS_SHAPE, shape_of(run.sip_stats))
		local seen = {}
		for _, e in ipairs(run.events) do
			local expected = {}
			for k, v in pairs(EVENT_SHAPE) do expected[k] = v end
			if FIELD_SHAPES[e.type] then expected.fields = "table" end
			assert.same(expected, shape_of(e), "event " .. e.type)
			if FIELD_SHAPES[e.type] then
				local fields = {}
				for k, v in pairs(FIELD_SHAPES[e.type]) do fields[k] = v end
				if e.type == "dtmf" and e.code == 1 then fields.sent = "number" end
				assert.same(fields, shape_of(e.fields), "fields of " .. e.type)
				assert_integers(e.fields, e.type .. ".fields")
			end
			assert_integers(e, e.type)
			seen[e.type] = true
		end
		for _, t in ipairs(CALL_EVENTS) do assert.is_true(seen[t] == true, "no " .. t .. " event") end
		assert_integers(run.stats, "stats")
		assert_integers(run.media_local, "media_local")
		assert_integers(run.sip_stats, "sip_stats")
	end)

	it("should close the call with its reason and hang the trunk up with a BYE", function()
		assert(placed, tostring(failure))
		assert.equal("test done", run.closed.text)
		assert.equal(0, run.sipp_rc, "sipp did not end its call cleanly" .. explain())
		local last
		for _, e in ipairs(run.events) do
			if e.call_id == run.call_id then last = e end
		end
		assert.equal("call_closed", last.type, "an event came after call_closed")
		-- One trace of the call: its SIP dialog among its ICE and DTLS
		-- facts, in time order.
		local times, areas = {}, {}
		for line in run.trace:gmatch("[^\n]+") do
			local ms, area, text = line:match("^([%d.]+) (%S+) (.*)$")
			assert.is_not_nil(ms, "not a trace line: " .. line)
			assert.is_true(#times == 0 or tonumber(ms) >= times[#times], "out of order: " .. line)
			times[#times + 1] = tonumber(ms)
			areas[area] = areas[area] or text
		end
		assert.truthy(areas["sip>"] and areas["sip>"]:find("^INVITE sip:100@127.0.0.1"), run.trace)
		assert.truthy(areas["sip<"], run.trace)
		assert.truthy(areas.ice and areas.dtls, run.trace)
		assert.equal(1, run.sip_stats.invites_sent)
	end)
end)
