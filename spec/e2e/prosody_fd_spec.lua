-- Prosody itself out of file descriptors (issue #15: "descriptor exhaustion
-- anywhere is logged at error level and counted"), against a real Prosody
-- 0.12 + mod_jingle_sip started under a low descriptor limit (prlimit):
-- plain TCP connections to the c2s port take the last descriptors, so
-- server_epoll's accept() fails (Prosody logs that at debug level only) and
-- a logged-in client's presence subscription cannot open the roster files
-- (util.datamanager). The module counts both (jingle_sip:status(), the
-- prosody_fd_exhausted metric) and logs them at error level
-- (plugin/jingle_sip/fd_watch.lua).
local prosody = require "spec.helpers.prosody"
local xmpp = require "spec.helpers.xmpp_client"
local st = require "util.stanza"
local socket = require "socket"

local NOFILE = 160

describe("Prosody out of descriptors #lua54 #e2e", function()
	local server, alice
	local flood = {}

	after_each(function()
		for _, c in ipairs(flood) do c:close() end
		flood = {}
		if alice then alice:close() end
		if server then server:stop() end
		server, alice = nil, nil
	end)

	it("should count and log at error level a failed accept and a failed storage access", function()
		server = prosody.start({ nofile = NOFILE, users = { alice = "alice-pw", bob = "bob-pw" },
			modules = { "http_openmetrics" }, global = 'statistics = "internal"\nstatistics_interval = "manual"',
			extra = table.concat({
				('jingle_sip_trunk = "sip:127.0.0.1:%d"'):format(prosody.free_port()),
				'jingle_sip_rtp_address = "127.0.0.1"',
				"jingle_sip_trunk_check_interval = 0",
			}, "\n") })
		assert.truthy(server:wait_log("mod_jingle_sip [^\n]* loaded", 10), server:log():sub(-2000))
		alice = xmpp.connect({ host = "localhost", port = server.c2s_port, user = "alice", password = "alice-pw" })
		alice:send(st.presence())

		-- More connections than descriptors left (Prosody's backlog holds the rest).
		for _ = 1, NOFILE + 20 do
			local c = socket.tcp()
			c:settimeout(2)
			if not c:connect("127.0.0.1", server.c2s_port) then c:close() break end
			flood[#flood + 1] = c
		end
		local accept_line = server:wait_log("Prosody is out of file descriptors %(EMFILE%) in accept: [^\n]*", 10)
		assert.is_not_nil(accept_line, server:log():sub(-3000))
		assert.truthy(server:log():find("%serror%s+Prosody is out of file descriptors %(EMFILE%) in accept"),
			"logged at error level:\n" .. server:log():sub(-3000))
		-- Storage: subscribing to bob saves alice's roster and loads bob's.
		alice:send(st.presence({ to = "bob@localhost", type = "subscribe" }))
		assert.is_not_nil(server:wait_log("storage %('[^\n]*Too many open files", 10), server:log():sub(-3000))

		-- Descriptors back: the admin shell and the metrics show the counts.
		for _, c in ipairs(flood) do c:close() end
		flood = {}
		local ok, out, total, accepts, storage
		for _ = 1, 50 do
			ok, out = server:shell("jingle_sip:status()")
			total, accepts, storage = out:match(
				"Prosody itself: (%d+) times out of descriptors %(accept (%d+), storage (%d+)")
			if ok and total then break end
			socket.sleep(0.2)
		end
		assert.is_true(ok, out)
		assert.is_not_nil(total, out)
		assert.is_true(tonumber(accepts) >= 1, out)
		assert.is_true(tonumber(storage) >= 1, out)
		local body, code = require "socket.http".request(("http://127.0.0.1:%d/metrics"):format(server.http_port))
		assert.equal(200, code, tostring(body))
		local p = 'prosody_mod_jingle_sip__prosody_fd_exhausted_total{host="phone.localhost",where="%s"} (%%d+)'
		assert.is_true(tonumber(body:match(p:format("accept")) or 0) >= 1, body)
		assert.is_true(tonumber(body:match(p:format("storage")) or 0) >= 1, body)
	end)
end)
