-- The module's metrics as an operator scrapes them: Prosody with internal
-- statistics and mod_http_openmetrics serving /metrics.
local prosody = require "spec.helpers.prosody"
local xmpp = require "spec.helpers.xmpp_client"
local st = require "util.stanza"
local http = require "socket.http"
local socket = require "socket"

describe("mod_jingle_sip metrics in a real Prosody #lua54", function()
	local server

	setup(function()
		server = prosody.start({ users = { alice = "alice-pw" }, modules = { "http_openmetrics" },
			global = 'statistics = "internal"\nstatistics_interval = "manual"',
			extra = 'jingle_sip_trunk = "sip:127.0.0.1:5999"\njingle_sip_dialplan = { "^%+1" }' })
	end)

	teardown(function()
		if server then server:stop() end
	end)

	-- Prosody opens its HTTP port a moment after the client port the helper
	-- waits for: retry a refused connection for up to 10 s.
	local function scrape()
		local body, code
		for _ = 1, 100 do
			body, code = http.request(("http://127.0.0.1:%d/metrics"):format(server.http_port))
			if code ~= "connection refused" then break end
			socket.sleep(0.1)
		end
		assert.equal(200, code, tostring(body))
		return body
	end

	it("should declare its families on /metrics", function()
		local body = scrape()
		for _, name in ipairs({ "calls", "active_calls", "call_setup_seconds", "media_setup_seconds",
			"media_failures", "packets_dropped", "trunk_up", "registered", "refused_by_limits",
			"node_calls_taken_over", "client_fast_path" }) do
			assert.truthy(body:find("# TYPE prosody_mod_jingle_sip__" .. name .. " ", 1, true), name .. "\n" .. body)
		end
	end)

	it("should export what the public-address limits refused, from the relay's counters", function()
		local body = scrape()
		for _, reason in ipairs({ "untrusted", "filtered", "invite-rate", "max-calls", "fd-exhausted" }) do
			local line = ('prosody_mod_jingle_sip__refused_by_limits_total{host="phone.localhost",reason="%s"} ')
				:format(reason)
			assert.truthy(body:find(line, 1, true), line .. "\n" .. body)
		end
	end)

	it("should count a refused call with the component's host label", function()
		local client = xmpp.connect({ host = "localhost", port = server.c2s_port, user = "alice", password = "alice-pw" })
		finally(function() client:close() end)
		local reply = assert(client:iq(st.iq({ type = "set", to = "+442071234567@phone.localhost", id = "c1" })
			:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-initiate", sid = "s1" }), 10))
		assert.equal("error", reply.attr.type)
		local line = 'prosody_mod_jingle_sip__calls_total{host="phone.localhost",direction="outbound",outcome="refused"} 1'
		local body = scrape()
		assert.truthy(body:find(line, 1, true), body)
	end)
end)
