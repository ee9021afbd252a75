-- The adapter between the call state machine and the relay, against a fake
-- relay call: what it asks the relay for a codec choice, and when a call is
-- really closed (what an operator's trace keeps).
local relay_legs = require "jingle_sip.call.relay_legs"

local function fake_call()
	local call = { id = 7, calls = {} }
	setmetatable(call, { __index = function(_, name)
		return function(self, ...)
			self.calls[#self.calls + 1] = { name, ... }
			return true
		end
	end })
	function call:last(name)
		for i = #self.calls, 1, -1 do
			if self.calls[i][1] == name then return self.calls[i] end
		end
	end
	return call
end

local OPUS = { id = 111, name = "opus", clockrate = 48000, channels = 2 }
local PCMU = { id = 0, name = "PCMU", clockrate = 8000 }
local TE_CLIENT = { id = 126, name = "telephone-event", clockrate = 8000 }
local TE_TRUNK = { id = 101, name = "telephone-event", clockrate = 8000 }

local function fake_closing_call()
	local call = { id = 9, closed = false, done = {}, trace_text = "1.000 ice checking\n" }
	function call.sip_hangup() call.done[#call.done + 1] = "sip_hangup" return true end
	function call.sip_reject() call.done[#call.done + 1] = "sip_reject" return true end
	function call.stats() return { client_rx_packets = 7 } end
	function call.trace() return call.trace_text end
	function call.close(_, reason)
		call.closed = true
		call.done[#call.done + 1] = "close " .. tostring(reason)
	end
	return call
end

local function legs_with_timer()
	local timers = {}
	local call = fake_closing_call()
	local legs = relay_legs.new(call, { created_at = 100, add_timer = function(seconds, fn)
		timers[#timers + 1] = { seconds = seconds, fn = fn }
	end })
	return legs, call, timers
end

describe("jingle_sip.call.relay_legs #lua54", function()
	describe("a transcoded call", function()
		it("should map only telephone-event and give the relay both codecs with their telephone-event", function()
			local call = fake_call()
			local legs = relay_legs.new(call)
			local choice = { mode = "transcode", client = OPUS, trunk = PCMU, client_dtmf = TE_CLIENT,
				trunk_dtmf = TE_TRUNK }
			assert.is_true(legs:transcode(choice))
			legs:set_choice(choice)
			local map = call:last("set_codecs")[2]
			assert.equal(1, #map, "the audio is the transcoder's, not the map's")
			assert.same({ client_pt = 126, sip_pt = 101, name = "telephone-event", clock_rate = 8000, channels = 1 },
				map[1])
			local t = call:last("set_transcode")
			assert.same({ pt = 111, name = "opus", clock_rate = 48000, channels = 2, dtmf_pt = 126,
				dtmf_clock_rate = 8000 }, t[2])
			assert.same({ pt = 0, name = "PCMU", clock_rate = 8000, channels = 1, dtmf_pt = 101,
				dtmf_clock_rate = 8000 }, t[3])
		end)

		it("should ask for in-band DTMF toward a trunk without telephone-event", function()
			local call = fake_call()
			local legs = relay_legs.new(call)
			assert.is_true(legs:transcode({ mode = "transcode", client = OPUS, trunk = PCMU, client_dtmf = TE_CLIENT }))
			assert.equal(0, call:last("set_transcode")[3].dtmf_pt)
			assert.equal(126, call:last("set_transcode")[2].dtmf_pt)
		end)

		it("should keep the pipelines for the same pair and go back to passthrough when the answer allows", function()
			local call = fake_call()
			local legs = relay_legs.new(call)
			local choice = { mode = "transcode", client = OPUS, trunk = PCMU }
			legs:transcode(choice)
			legs:transcode(choice)
			local n = 0
			for _, c in ipairs(call.calls) do
				if c[1] == "set_transcode" then n = n + 1 end
			end
			assert.equal(1, n, "the same pair again rebuilt the pipelines")
			legs:set_choice({ mode = "passthrough", client = PCMU, trunk = PCMU })
			local last = call:last("set_transcode")
			assert.is_nil(last[2])
			assert.is_nil(last[3])
			assert.equal(1, #call:last("set_codecs")[2])
		end)
	end)

	describe("a passthrough call", function()
		it("should transcode the same codec so DTMF crosses to a trunk without telephone-event", function()
			local call = fake_call()
			local legs = relay_legs.new(call)
			legs:set_choice({ mode = "passthrough", client = PCMU, trunk = PCMU, client_dtmf = TE_CLIENT })
			local t = call:last("set_transcode")
			assert.is_not_nil(t, "no transcoding asked for")
			assert.equal("PCMU", t[2].name)
			assert.equal("PCMU", t[3].name)
			assert.equal(126, t[2].dtmf_pt)
			assert.equal(0, t[3].dtmf_pt, "in-band toward the trunk")
			assert.equal(1, #call:last("set_codecs")[2], "the audio map stays: the fallback")
		end)

		it("should not transcode when the trunk has telephone-event too", function()
			local call = fake_call()
			local legs = relay_legs.new(call)
			legs:set_choice({ mode = "passthrough", client = PCMU, trunk = PCMU, client_dtmf = TE_CLIENT,
				trunk_dtmf = TE_TRUNK })
			assert.is_nil(call:last("set_transcode"))
			assert.equal(2, #call:last("set_codecs")[2])
		end)
	end)

	describe("calls that lost one side", function()
		it("should tell the trunk's silence from the client's", function()
			local legs = relay_legs.new(fake_call())
			assert.same({ type = "media_timeout", from = "trunk", seconds = 60,
				text = "no media from the phone for 60 s" },
				legs:translate({ type = "media_timeout", code = 2, value = 60,
					text = "no media from the phone for 60 s" }))
			assert.equal("client", legs:translate({ type = "media_timeout", code = 0, value = 30,
				text = "no media from the client for 30 s" }).from)
		end)

		it("should report the trunk's SDP direction with its media changes", function()
			local legs = relay_legs.new(fake_call())
			assert.same({ type = "sip_media_changed", direction = "sendonly" },
				legs:translate({ type = "sip_media_changed", code = 0, text = "",
					fields = { direction = "sendonly" } }))
		end)

		it("should leave the trunk's RTP address to the relay and still map its numbers", function()
			-- The relay points its RTP leg at the trunk itself (relay/src/call_sip.c):
			-- nothing about the address goes back down, at the answer or a re-INVITE.
			local call = fake_call()
			local legs = relay_legs.new(call)
			legs:set_choice({ mode = "passthrough", client = PCMU, trunk = PCMU })
			local answer = { address = "192.0.2.7", port = 40000, codec = "PCMU", pt = 0, clock = 8000,
				channels = 1, dtmf_pt = -1, direction = "sendrecv" }
			legs:translate({ type = "sip_answered", code = 200, text = "", fields = answer })
			legs:translate({ type = "sip_media_changed", code = 0, text = "",
				fields = { address = "192.0.2.8", port = 40002, codec = "PCMU", pt = 0, dtmf_pt = -1,
					direction = "sendrecv" } })
			legs:apply_sip_media({ address = "192.0.2.9", port = 40004 })
			for _, c in ipairs(call.calls) do
				assert.is_not.equal("set_sip_remote", c[1])
				assert.is_nil(c[1] == "media_start" and c[2].sip_remote_addr or nil)
			end
			assert.equal(0, call:last("set_codecs")[2][1].sip_pt)
		end)

		it("should pass the watch and a hang-up's reason to the relay", function()
			local call = fake_call()
			local legs = relay_legs.new(call)
			legs:watch_trunk_media(true)
			assert.same({ "watch_sip_media", true }, call:last("watch_sip_media"))
			legs:sip_hangup({ cause = 16, text = ("x"):rep(200) })
			local hangup = call:last("sip_hangup")
			assert.equal(16, hangup[2])
			assert.equal(160, #hangup[3], "cut to the relay's limit")
			legs:sip_hangup()
			assert.equal(1, #call:last("sip_hangup"), "no reason: a plain hang-up")
		end)
	end)

	describe("relay events", function()
		it("should hand the relay's ICE failure to the call with its text", function()
			local legs = legs_with_timer()
			local text = "ICE failed: no answered check or media from the client for 30 s"
			assert.same({ type = "ice_failed", text = text },
				legs:translate({ type = "ice_failed", code = 0, value = 30, text = text }))
		end)
	end)

	describe("closing", function()
		it("should close at once when no SIP hang-up is under way", function()
			local legs, call, timers = legs_with_timer()
			legs:close("done")
			assert.same({ "close done" }, call.done)
			assert.equal(0, #timers)
		end)

		it("should wait for the hang-up to finish so the kept trace holds the BYE and its answer", function()
			local legs, call = legs_with_timer()
			legs:sip_hangup()
			legs:close("client hung up")
			assert.is_false(call.closed, "closed before the BYE was answered")
			call.trace_text = call.trace_text .. "1500.000 sip> BYE\n1501.000 sip< SIP/2.0 200 OK\n"
			legs:translate({ type = "sip_ended", code = 200, text = "" })
			assert.is_true(call.closed)
			assert.same({ "sip_hangup", "close client hung up" }, call.done)
			local areas = {}
			for _, e in ipairs(legs:trace_entries()) do areas[#areas + 1] = e.area .. " " .. e.text end
			assert.same({ "ice checking", "sip> BYE", "sip< SIP/2.0 200 OK" }, areas)
			legs:close("again")
			assert.equal(2, #call.done, "closing twice is harmless")
		end)

		it("should close anyway when the hang-up never finishes", function()
			local legs, call, timers = legs_with_timer()
			legs:sip_reject(480)
			legs:close("timeout")
			assert.equal(relay_legs.CLOSE_GRACE, timers[1].seconds)
			timers[1].fn()
			assert.is_true(call.closed)
			assert.equal(7, legs:summary().client_rx_packets, "the counters are kept")
		end)
	end)
end)
