-- The vertical thread: a real Prosody loads mod_jingle_sip, which loads the
-- relay through the callrelay API; the component answers disco#info.
local prosody = require "spec.helpers.prosody"
local xmpp = require "spec.helpers.xmpp_client"
local st = require "util.stanza"
local version = require "jingle_sip.version"
local callrelay = require "callrelay"

describe("mod_jingle_sip in a real Prosody #lua54", function()
	local server, client

	setup(function()
		-- A complete configuration: with no trunk the module (rightly) logs an error.
		server = prosody.start({ users = { alice = "alice-secret" },
			extra = 'jingle_sip_trunk = "sip:127.0.0.1:5999"\njingle_sip_dialplan = { "^%+1" }' })
		client = xmpp.connect({ host = "localhost", port = server.c2s_port,
			user = "alice", password = "alice-secret" })
	end)

	teardown(function()
		if client then client:close() end
		if server then server:stop() end
	end)

	it("should log its version, the relay's version and the backend", function()
		local line = server:wait_log("mod_jingle_sip [^\n]* loaded[^\n]*", 10)
		assert.is_not_nil(line, "no load line in the log:\n" .. server:log())
		assert.truthy(line:find("mod_jingle_sip " .. version.module .. " loaded", 1, true), line)
		assert.truthy(line:find("relay " .. callrelay.version(), 1, true), line)
		assert.truthy(line:find("lua54 backend", 1, true), line)
	end)

	it("should answer disco#info on its component with its identity and features", function()
		local reply = assert(client:iq(st.iq({ type = "get", to = "phone.localhost", id = "disco1" })
			:tag("query", { xmlns = "http://jabber.org/protocol/disco#info" })))
		assert.equal("result", reply.attr.type, tostring(reply))
		local query = reply:get_child("query", "http://jabber.org/protocol/disco#info")
		local identity = query:get_child("identity")
		assert.equal("gateway", identity.attr.category)
		assert.equal("pstn", identity.attr.type)
		local features = {}
		for f in query:childtags("feature") do features[f.attr.var] = true end
		for _, wanted in ipairs(version.disco_features) do
			assert.is_true(features[wanted] == true, "missing feature " .. wanted)
		end
	end)

	it("should not log errors while loading", function()
		local log = server:log()
		assert.is_nil(log:match("\terror\t[^\n]*"), log:match("\terror\t[^\n]*"))
	end)
end)
