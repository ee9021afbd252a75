-- The configuration as Prosody loads it: without a trunk or with a bad value
-- the module still loads and answers disco, logs the problem as an error
-- naming the option, and shows an error status.
local prosody = require "spec.helpers.prosody"
local xmpp = require "spec.helpers.xmpp_client"
local st = require "util.stanza"

local function disco_ok(server)
	local client = xmpp.connect({ host = "localhost", port = server.c2s_port,
		user = "alice", password = "alice-secret" })
	local reply = client:iq(st.iq({ type = "get", to = "phone.localhost", id = "d1" })
		:tag("query", { xmlns = "http://jabber.org/protocol/disco#info" }))
	client:close()
	return reply and reply.attr.type == "result"
end

describe("mod_jingle_sip configuration at load #lua54", function()
	it("should load without a trunk, say so as an error and still answer disco", function()
		local server, client = prosody.start({ users = { alice = "alice-secret" } }), nil
		-- busted keeps one finally per test: the last one given.
		finally(function()
			if client then client:close() end
			server:stop()
		end)
		local line = server:wait_log("\terror\t[^\n]*jingle_sip_trunk is not set[^\n]*", 10)
		assert.is_not_nil(line, server:log())
		assert.is_not_nil(server:wait_log("mod_jingle_sip [^\n]* loaded", 10), server:log())
		assert.is_true(disco_ok(server))
		-- The admin shell shows the status.
		local ok, out = server:shell("module:list('phone.localhost')")
		assert.is_true(ok, out)
		assert.truthy(out:find("jingle_sip (error: Calls refused: jingle_sip_trunk is not set", 1, true), out)
		-- Refused calls are an error for scripts: prosodyctl shell exits non-zero.
		ok, out = server:shell("jingle_sip:status()")
		assert.is_false(ok, out)
		assert.truthy(out:find("Error: Calls refused: jingle_sip_trunk is not set", 1, true), out)
		-- Its shell commands survive a reload of the module.
		ok, out = server:shell("module:reload('jingle_sip', 'phone.localhost')")
		assert.is_true(ok, out)
		ok, out = server:shell("jingle_sip:status()")
		assert.is_false(ok, out)
		assert.truthy(out:find("Calls refused", 1, true), out)
		-- A call is refused with a text that says why.
		client = xmpp.connect({ host = "localhost", port = server.c2s_port,
			user = "alice", password = "alice-secret" })
		local reply = assert(client:iq(st.iq({ type = "set", to = "+15551234567@phone.localhost", id = "c1" })
			:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-initiate", sid = "s1" }), 10))
		assert.equal("error", reply.attr.type)
		local e = reply:get_child("error")
		assert.is_not_nil(e:get_child("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas"), tostring(reply))
		local text = e:get_child_text("text", "urn:ietf:params:xml:ns:xmpp-stanzas")
		assert.truthy(text and text:find("no SIP trunk configured", 1, true), tostring(reply))
	end)

	it("should log each bad option by name and the safe-default warnings", function()
		local server = prosody.start({ users = { alice = "alice-secret" }, extra = table.concat({
			'jingle_sip_trunk = "sip:127.0.0.1:5999"',
			'jingle_sip_ring_timeout = "soon"',
			'jingle_sip_allow = { "*.localhost" }',
			'jingle_sip_dial_plan = { "^%+" }',
		}, "\n") })
		finally(function() server:stop() end)
		assert.is_not_nil(server:wait_log("mod_jingle_sip [^\n]* loaded", 10), server:log())
		local log = server:log()
		assert.truthy(log:find('jingle_sip_ring_timeout: "soon" is not a whole number', 1, true), log)
		assert.truthy(log:find("jingle_sip_allow: \"*.localhost\": wildcards are not supported", 1, true), log)
		assert.truthy(log:find("jingle_sip_dialplan allows no number", 1, true), log)
		assert.truthy(log:find("jingle_sip_dial_plan: unknown option (misspelt?)", 1, true), log)
		assert.is_true(disco_ok(server))
	end)
end)
