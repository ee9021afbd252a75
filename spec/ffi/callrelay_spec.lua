-- The callrelay API, run unchanged under Lua 5.4 (C binding) and LuaJIT (FFI).
local callrelay = require "callrelay"

local function sleep(seconds)
	-- No sleep in plain Lua: a short busy wait keeps the spec dependency-free.
	local deadline = os.clock() + seconds
	repeat until os.clock() >= deadline
end

-- Polls until an event of that type (for that call, if given) arrives.
local function wait_event(relay, type_name, call_id, timeout)
	local deadline = os.time() + (timeout or 3)
	repeat
		for _, e in ipairs(relay:poll_events()) do
			if e.type == type_name and (not call_id or e.call_id == call_id) then return e end
		end
		sleep(0.005)
	until os.time() > deadline
	return nil
end

-- The exact shape (key -> Lua type) every backend must return.
local EVENT_SHAPE = { type = "string", call_id = "number", time_us = "number",
	code = "number", value = "number", text = "string" }
local STATS_SHAPE = { workers = "number", active_calls = "number", calls_created = "number",
	calls_closed = "number", events_dropped = "number", transcoded_calls = "number", max_calls = "number",
	fds_per_call = "number", fd_limit_was = "number", fd_limit = "number", fds_at_start = "number",
	fd_exhausted = "number" }

local function shape_of(t)
	local shape = {}
	for k, v in pairs(t) do shape[k] = type(v) end
	return shape
end

describe("callrelay (" .. callrelay.backend .. " backend)", function()
	it("should pick the backend matching the runtime", function()
		local expected = rawget(_G, "jit") and "ffi" or "lua54"
		assert.equal(expected, callrelay.backend)
	end)

	it("should report the relay's version", function()
		assert.equal("0.1.0", callrelay.version())
	end)

	describe("relay", function()
		local relay
		before_each(function()
			relay = assert(callrelay.new_relay({ workers = 2, max_calls = 2 }))
		end)
		after_each(function() relay:close() end)

		it("should expose a pollable event descriptor", function()
			local fd = relay:event_fd()
			assert.is_number(fd)
			assert.is_true(fd > 2)
		end)

		it("should return stats with the same shape on every backend", function()
			local stats = relay:stats()
			assert.same(STATS_SHAPE, shape_of(stats))
			assert.equal(2, stats.workers)
			assert.equal(0, stats.active_calls)
		end)

		it("should create a call, report it ready, and close it with its reason", function()
			local call = assert(relay:new_call())
			assert.is_number(call.id)
			local ready = assert(wait_event(relay, "call_ready", call.id), "no call_ready")
			assert.same(EVENT_SHAPE, shape_of(ready))
			assert.is_true(ready.time_us > 0)
			call:close("caller hung up")
			local closed = assert(wait_event(relay, "call_closed", call.id), "no call_closed")
			assert.equal("caller hung up", closed.text)
			assert.equal(0, relay:stats().active_calls)
		end)

		it("should return nil, message, name when the call limit is reached", function()
			local a = assert(relay:new_call())
			local b = assert(relay:new_call())
			local c, msg, name = relay:new_call()
			assert.is_nil(c)
			assert.equal("the relay already carries its maximum of 2 calls", msg)
			assert.equal("limit", name)
			a:close()
			b:close()
		end)

		it("should treat closing twice as harmless", function()
			local call = assert(relay:new_call())
			call:close("first")
			call:close("second")
			local closed = assert(wait_event(relay, "call_closed", call.id))
			assert.equal("first", closed.text)
			relay:close()
			relay:close()
		end)

		it("should close a call whose handle is garbage-collected", function()
			local id
			do
				local call = assert(relay:new_call())
				id = call.id
			end
			collectgarbage()
			collectgarbage()
			local closed = assert(wait_event(relay, "call_closed", id), "no call_closed after GC")
			assert.equal("handle garbage-collected", closed.text)
		end)

		it("should make calls unusable but harmless after the relay is closed", function()
			local call = assert(relay:new_call())
			relay:close()
			assert.has_error(function() relay:poll_events() end)
			call:close("after relay") -- must not crash
		end)
	end)

	describe("misuse", function()
		it("should return nil, message, name for bad configuration", function()
			local r, msg, name = callrelay.new_relay({ workers = -1 })
			assert.is_nil(r)
			assert.equal("workers must be between 0 and 256, got -1", msg)
			assert.equal("invalid", name)
			-- media_tick_us reaches the relay on every backend
			r, msg, name = callrelay.new_relay({ workers = 1, media_tick_us = 1001 })
			assert.is_nil(r)
			assert.equal("media_tick_us must be between 0 and 1000, got 1001", msg)
			assert.equal("invalid", name)
		end)

		it("should raise for wrong argument types", function()
			assert.has_error_match(function() callrelay.new_relay("four") end, "table expected")
			assert.has_error_match(function() callrelay.new_relay({ workers = "two" }) end,
				"config.workers must be an integer")
			local relay = assert(callrelay.new_relay({ workers = 1 }))
			assert.has_error_match(function() relay.poll_events() end, "use a colon")
			assert.has_error_match(function() relay:poll_events(0) end, "must be positive")
			relay:close()
		end)
	end)

	if not rawget(_G, "jit") then
		it("should close a relay at the end of a <close> scope (Lua 5.4)", function()
			local chunk = assert(load([[
				local callrelay = ...
				local fd
				do
					local relay <close> = assert(callrelay.new_relay({ workers = 1 }))
					fd = relay
				end
				return fd
			]]))
			local relay = chunk(callrelay)
			assert.is_true(relay.closed)
		end)
	end

	describe("media and SIP API", function()
		local relay
		local MEDIA_LOCAL_SHAPE = { ice_ufrag = "string", ice_pwd = "string", fingerprint = "string",
			sip_rtp_addr = "string", sip_rtp_port = "number", sip_rtcp_port = "number" }

		before_each(function()
			relay = assert(callrelay.new_relay({ workers = 1,
				media = { ice_addresses = "127.0.0.1", sip_rtp_address = "127.0.0.1",
					sip_port_min = 31000, sip_port_max = 31003 },
				sip = { listen_uri = "sip:127.0.0.1:0", trunk_uri = "sip:127.0.0.1:5999" } }))
		end)
		after_each(function() relay:close() end)

		it("should give each call its local ICE credentials, fingerprint and SIP-leg ports at once", function()
			local call = assert(relay:new_call())
			local loc = assert(call:media_local())
			assert.same(MEDIA_LOCAL_SHAPE, shape_of(loc))
			assert.truthy(loc.fingerprint:match("^sha%-256 %x%x:"), loc.fingerprint)
			assert.equal("127.0.0.1", loc.sip_rtp_addr)
			assert.equal(0, loc.sip_rtp_port % 2)
			assert.equal(loc.sip_rtp_port + 1, loc.sip_rtcp_port)
			assert.is_true(#loc.ice_ufrag >= 4)
			call:close()
		end)

		it("should return nil, message, ports when the SIP-leg port range is exhausted", function()
			local a = assert(relay:new_call())
			local b = assert(relay:new_call())
			local c, msg, name = relay:new_call()
			assert.is_nil(c)
			assert.equal("ports", name)
			assert.is_string(msg)
			a:close()
			b:close()
		end)

		it("should start media, take candidates and report stats and a trace", function()
			local call = assert(relay:new_call())
			assert.is_true(call:media_start({ dtls_role = "active", rtcp_mux = 1, remote_ufrag = "abcd",
				remote_pwd = "0123456789abcdef012345", remote_fingerprint = "sha-256 " .. ("AB:"):rep(31) .. "AB",
				codecs = { { client_pt = 0, sip_pt = 0, name = "PCMU", clock_rate = 8000, channels = 1 } } }))
			assert.is_true(call:add_remote_candidate("candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host"))
			assert.is_true(call:end_of_candidates())
			local cand = wait_event(relay, "local_candidate", call.id)
			assert.is_not_nil(cand, "no local candidate gathered")
			assert.truthy(cand.text:match("^candidate:"), cand.text)
			local stats = assert(call:stats())
			assert.is_number(stats.client_rx_packets)
			assert.is_string(stats.selected_pair)
			assert.is_string(call:trace())
			assert.truthy(call:trace():find("^[%d.]+ call created sip%-leg "), call:trace())
			-- Posted to the SIP thread, which ignores it: no dialog to re-INVITE in.
			assert.is_true(call:sip_hold(true))
			call:close()
			assert.has_error_match(function() call:sip_hold(false) end, "call is closed")
		end)

		it("should watch the trunk's media and hang up with a reason on every backend", function()
			local call = assert(relay:new_call())
			assert.is_true(call:watch_sip_media(true))
			assert.is_true(call:watch_sip_media(false))
			-- The SIP thread ignores it (no dialog), but the arguments are checked here.
			assert.is_true(call:sip_hangup(16, "the client went offline"))
			local ok, msg, name = call:sip_hangup(0, "no such cause")
			assert.is_nil(ok, msg)
			assert.equal("invalid", name)
			ok, msg, name = call:sip_hangup(41, ("x"):rep(161))
			assert.is_nil(ok, msg)
			assert.equal("invalid", name)
			assert.has_error_match(function() call:sip_hangup("16", "text") end, "integer expected")
			assert.has_error_match(function() call:sip_hangup(16) end, "string expected")
			call:close()
			assert.has_error_match(function() call:watch_sip_media(true) end, "call is closed")
		end)

		it("should refuse a negative trunk media timeout", function()
			local r, msg = callrelay.new_relay({ workers = 1,
				media = { sip_rtp_address = "127.0.0.1", sip_port_min = 31004, sip_port_max = 31007,
					sip_media_timeout_ms = -1 } })
			assert.is_nil(r)
			assert.truthy(tostring(msg):find("sip_media_timeout_ms", 1, true), msg)
		end)

		it("should take the longest ICE credentials and fingerprint the RFCs allow", function()
			local call = assert(relay:new_call())
			local sha512 = "sha-512 " .. ("AB:"):rep(63) .. "AB"
			assert.is_true(call:set_remote_credentials(("u"):rep(256), ("p"):rep(256)))
			assert.is_true(call:set_remote_fingerprint(sha512))
			local ok, msg, name = call:set_remote_credentials(("u"):rep(257), ("p"):rep(22))
			assert.is_nil(ok, "257 characters")
			assert.equal("invalid", name, msg)
			call:close()
		end)

		it("should raise on malformed parameters", function()
			local call = assert(relay:new_call())
			assert.has_error_match(function() call:media_start({ dtls_role = "sideways" }) end, "dtls_role")
			-- RFC 8839 allows 256 characters; the buffers hold no more.
			assert.has_error_match(function() call:media_start({ remote_ufrag = ("x"):rep(257) }) end,
				"remote_ufrag is longer than 256 bytes")
			assert.has_error_match(function() call:media_start({ remote_pwd = ("x"):rep(257) }) end,
				"remote_pwd is longer than 256 bytes")
			assert.has_error_match(function() call:sip_dial({ number = 42 }) end, "params.number must be a string")
			call:close()
			assert.has_error_match(function() call:stats() end, "call is closed")
		end)

		it("should send DTMF toward the trunk only once telephone-event is negotiated", function()
			local call = assert(relay:new_call())
			local pcmu = { client_pt = 0, sip_pt = 0, name = "PCMU", clock_rate = 8000, channels = 1 }
			-- Before any codec map, and with one lacking telephone-event.
			local ok, msg, name = call:send_dtmf("5", 100)
			assert.is_nil(ok)
			assert.equal("unsupported", name)
			assert.truthy(msg:find("telephone-event", 1, true), msg)
			assert.is_true(call:media_start({ dtls_role = "active", sip_remote_addr = "127.0.0.1",
				sip_remote_port = 9, codecs = { pcmu } }))
			ok, msg, name = call:send_dtmf("5", 100)
			assert.is_nil(ok)
			assert.equal("unsupported", name, msg)
			-- The trunk answered with telephone-event.
			assert.is_true(call:set_codecs({ pcmu, { client_pt = 101, sip_pt = 96, name = "telephone-event",
				clock_rate = 8000, channels = 1 } }))
			for _, bad in ipairs({ { "x", 100 }, { "E", 100 }, { "5", 39 }, { "5", 1001 }, { "5", 100, 64 } }) do
				ok, msg, name = call:send_dtmf((table.unpack or rawget(_G, "unpack"))(bad))
				assert.is_nil(ok, bad[1])
				assert.equal("invalid", name, msg)
			end
			assert.has_error_match(function() call:send_dtmf("55", 100) end, "one%-character string")
			assert.has_error_match(function() call:send_dtmf(5, 100) end, "bad argument #2")
			assert.has_error_match(function() call:send_dtmf("5", "long") end, "bad argument #3")
			assert.is_true(call:send_dtmf("#", 100))
			assert.is_true(call:send_dtmf("a", 40, 20))
			-- Reported like a digit the client sent, when its end went out.
			local e = wait_event(relay, "dtmf", call.id, 3)
			assert.is_not_nil(e, "no dtmf event for the sent digit")
			assert.same({ digit = "#", event = 11, duration_ms = 100, sent = 1 }, e.fields)
			assert.equal(1, e.code) -- client->sip
			assert.equal(100, e.value)
			e = wait_event(relay, "dtmf", call.id, 3)
			assert.is_not_nil(e)
			assert.equal("A", e.fields.digit)
			assert.truthy(call:trace():find("dtmf sent client->sip digit # duration 100 ms", 1, true))
			assert.equal(2, call:stats().dtmf_events)
			call:close()
			assert.has_error_match(function() call:send_dtmf("1", 100) end, "call is closed")
		end)

		it("should return notfound when adopting a call that does not wait", function()
			local call, msg, name = relay:adopt_call(4242)
			assert.is_nil(call)
			assert.equal("notfound", name)
			assert.is_string(msg)
		end)

		it("should report SIP counters with the same shape on every backend", function()
			local st = relay:sip_stats()
			assert.same({ invites_sent = "number", invites_received = "number", invites_rejected_limit = "number",
				options_sent = "number", options_ok = "number", trunk_up = "number", last_options_status = "number",
				last_options_rtt_ms = "number", registered = "number", sdp_rejected = "number",
				requests_untrusted = "number",
				invites_rejected_rate = "number", filter_drops = "number", filtered_sockets = "number",
				trusted_sources = "string" }, shape_of(st))
		end)
	end)

	describe("transcoding", function()
		local relay
		local OPUS = { pt = 111, name = "opus", clock_rate = 48000, channels = 2 }
		local PCMU = { pt = 0, name = "PCMU", clock_rate = 8000, channels = 1 }
		local MEDIA = { ice_addresses = "127.0.0.1", sip_rtp_address = "127.0.0.1",
			sip_port_min = 31010, sip_port_max = 31015 }
		local START = { dtls_role = "active", rtcp_mux = 1, remote_ufrag = "abcd",
			remote_pwd = "0123456789abcdef012345", remote_fingerprint = "sha-256 " .. ("AB:"):rep(31) .. "AB" }

		before_each(function()
			relay = assert(callrelay.new_relay({ workers = 1, max_transcoded_calls = 1, media = MEDIA }))
		end)
		after_each(function() relay:close() end)

		it("should transcode a call, report its path, and refuse one past the maximum", function()
			local a = assert(relay:new_call())
			local b = assert(relay:new_call())
			assert.is_true(a:set_transcode(OPUS, PCMU))
			assert.is_true(a:media_start(START))
			local path
			local deadline = os.time() + 5
			repeat
				path = a:stats().media_path
				sleep(0.01)
			until path ~= "passthrough" or os.time() > deadline
			assert.equal("transcoded opus/48000 <-> PCMU/8000", path)
			assert.is_number(a:stats().transcoded_packets)
			assert.truthy(a:trace():find("path transcoded opus/48000 <-> PCMU/8000", 1, true))
			assert.equal(1, relay:stats().transcoded_calls)
			local ok, msg, name = b:set_transcode(OPUS, PCMU)
			assert.is_nil(ok)
			assert.equal("limit", name)
			assert.truthy(msg:find("maximum of 1 calls", 1, true), msg)
			assert.equal("passthrough", b:stats().media_path)
			assert.is_true(a:set_transcode(nil, nil))
			assert.equal(0, relay:stats().transcoded_calls)
			assert.is_true(b:set_transcode(OPUS, PCMU))
			a:close()
			b:close()
		end)

		it("should refuse codecs it cannot transcode and raise on malformed ones", function()
			local call = assert(relay:new_call())
			local ok, msg, name = call:set_transcode(OPUS, { pt = 3, name = "GSM", clock_rate = 8000 })
			assert.is_nil(ok)
			assert.equal("invalid", name)
			assert.truthy(msg:find("GSM", 1, true), msg)
			ok, msg, name = call:set_transcode({ pt = 111, name = "opus", clock_rate = 48000, dtmf_pt = 50 }, PCMU)
			assert.is_nil(ok)
			assert.equal("invalid", name)
			assert.truthy(msg:find("telephone-event", 1, true), msg)
			assert.is_true(call:set_transcode({ pt = 111, name = "opus", clock_rate = 48000, channels = 2,
				dtmf_pt = 126, dtmf_clock_rate = 8000 }, PCMU))
			assert.has_error_match(function() call:set_transcode(OPUS, "PCMU") end, "codec table expected")
			assert.has_error_match(function() call:set_transcode(OPUS, { name = 0 }) end, "must be a string")
			call:close()
		end)

		it("should say so when the relay was made with transcoding off", function()
			local off = assert(callrelay.new_relay({ workers = 1, media = MEDIA }))
			local call = assert(off:new_call())
			local ok, msg, name = call:set_transcode(OPUS, PCMU)
			assert.is_nil(ok)
			assert.equal("limit", name)
			assert.truthy(msg:find("transcoding is off", 1, true), msg)
			call:close()
			off:close()
		end)
	end)

	it("should refuse a bad SIP configuration at relay creation", function()
		local r, msg, name = callrelay.new_relay({ workers = 1,
			sip = { listen_uri = "sip:127.0.0.1:0", trunk_uri = "http://trunk.example.net/" } })
		assert.is_nil(r)
		assert.equal("invalid", name)
		assert.truthy(msg:find("trunk_uri", 1, true), msg)
	end)

	it("should parse key=value event text into fields", function()
		assert.same({ address = "127.0.0.1", port = 4000, codec = "PCMU" },
			callrelay.parse_fields("address=127.0.0.1\nport=4000\ncodec=PCMU\n", "\n"))
		assert.same({ digit = "5", duration_ms = 160 }, callrelay.parse_fields("digit=5 duration_ms=160", " "))
	end)
end)
