-- Relay events drained by Prosody's own event loop (net.server_epoll), the
-- way mod_jingle_sip does it. Lua 5.4 only: Prosody's C modules need it.
local callrelay = require "callrelay"
local watch = require "callrelay.watch"

describe("callrelay.watch with Prosody's net.server #lua54", function()
	it("should deliver relay events in the loop without polling timers", function()
		local server = require "net.server_epoll"
		local relay = assert(callrelay.new_relay({ workers = 1 }))
		local seen = {}
		local call
		local watcher = watch.watch(server, relay, function(event)
			seen[#seen + 1] = event.type
			if event.type == "call_ready" then call:close("done") end
			if event.type == "call_closed" then server.setquitting(true) end
		end)
		call = assert(relay:new_call())
		-- A safety timer bounds the spec in time if events never come.
		local timed_out = false
		server.add_task(5, function()
			timed_out = true
			server.setquitting(true)
		end)
		server.loop()
		watcher.close()
		relay:close()
		assert.is_false(timed_out, "events never arrived")
		assert.same({ "call_ready", "call_closed" }, seen)
	end)
end)
