-- The relay legs adapter over a fake callrelay call: when a call is really
-- closed, and what an operator's trace keeps.
local relay_legs = require "jingle_sip.call.relay_legs"

local function fake_call()
	local call = { id = 9, closed = false, done = {}, trace_text = "1.000 ice checking\n" }
	function call.sip_hangup() call.done[#call.done + 1] = "sip_hangup" return true end
	function call.sip_reject() call.done[#call.done + 1] = "sip_reject" return true end
	function call.stats() return { client_rx_packets = 7 } end
	function call.trace() return call.trace_text end
	function call.sip_trace() return call.sip_text or "" end
	function call.close(_, reason)
		call.closed = true
		call.done[#call.done + 1] = "close " .. tostring(reason)
	end
	return call
end

local function legs_with_timer()
	local timers = {}
	local call = fake_call()
	local legs = relay_legs.new(call, { created_at = 100, add_timer = function(seconds, fn)
		timers[#timers + 1] = { seconds = seconds, fn = fn }
	end })
	return legs, call, timers
end

describe("jingle_sip.call.relay_legs #lua54", function()
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
		call.sip_text = "1500.000 > BYE\n1501.000 < SIP/2.0 200 OK\n"
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
