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
	calls_closed = "number", events_dropped = "number" }

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
end)
