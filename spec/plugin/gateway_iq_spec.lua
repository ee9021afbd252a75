-- Numbers as addresses (XEP-0100 v1.0 §6.3, jabber:iq:gateway) against a
-- real Prosody: a client asks the component what to type, then turns what
-- the user typed into the phone JID to add, or learns why it cannot.
local prosody = require "spec.helpers.prosody"
local xmpp = require "spec.helpers.xmpp_client"
local st = require "util.stanza"
local id = require "util.id"

local GATEWAY = "jabber:iq:gateway"
local DISCO_INFO = "http://jabber.org/protocol/disco#info"
local COMPONENT = "phone.localhost"

local function gateway_set(client, typed)
	local iq = st.iq({ type = "set", to = COMPONENT, id = id.short() }):query(GATEWAY)
	if typed then iq:text_tag("prompt", typed) end
	return assert(client:iq(iq, 10), "no jabber:iq:gateway answer")
end

local function error_of(stanza)
	local e = stanza:get_child("error")
	local condition = e and e.tags[1] and e.tags[1].name
	return e and e.attr.type, condition, e and e:get_child_text("text", "urn:ietf:params:xml:ns:xmpp-stanzas")
end

describe("jabber:iq:gateway on the component #lua54", function()
	local server, alice

	setup(function()
		server = prosody.start({ users = { alice = "alice-pw" }, extra = table.concat({
			'jingle_sip_trunk = "sip:127.0.0.1:5999"',
			'jingle_sip_default_country = "US"',
		}, "\n") })
		alice = xmpp.connect({ host = "localhost", port = server.c2s_port, user = "alice", password = "alice-pw" })
	end)

	teardown(function()
		if alice then alice:close() end
		if server then server:stop() end
	end)

	it("should advertise jabber:iq:gateway in the component's disco#info", function()
		local reply = assert(alice:iq(st.iq({ type = "get", to = COMPONENT, id = id.short() }):query(DISCO_INFO), 10))
		assert.equal("result", reply.attr.type, tostring(reply))
		local features = {}
		for f in reply:get_child("query", DISCO_INFO):childtags("feature") do features[f.attr.var] = true end
		assert.is_true(features[GATEWAY], tostring(reply))
	end)

	it("should answer the get with what to type, naming the default country", function()
		local reply = assert(alice:iq(st.iq({ type = "get", to = COMPONENT, id = id.short() }):query(GATEWAY), 10))
		assert.equal("result", reply.attr.type, tostring(reply))
		local query = reply:get_child("query", GATEWAY)
		assert.equal("Phone number", query:get_child_text("prompt"))
		assert.matches("the United States", query:get_child_text("desc"))
		assert.matches("%+ and the country code", query:get_child_text("desc"))
	end)

	it("should turn a national number into the canonical phone JID", function()
		local reply = gateway_set(alice, "(555) 010-0100")
		assert.equal("result", reply.attr.type, tostring(reply))
		assert.equal("+15550100100@" .. COMPONENT, reply:get_child("query", GATEWAY):get_child_text("jid"))
	end)

	it("should turn an international number into the canonical phone JID", function()
		local reply = gateway_set(alice, "011 44 20 7946 0958")
		assert.equal("result", reply.attr.type, tostring(reply))
		assert.equal("+442079460958@" .. COMPONENT, reply:get_child("query", GATEWAY):get_child_text("jid"))
	end)

	it("should answer jid-malformed with the reason for a number it cannot read", function()
		local reply = gateway_set(alice, "555 0100")
		assert.equal("error", reply.attr.type, tostring(reply))
		local type, condition, text = error_of(reply)
		assert.equal("modify", type)
		assert.equal("jid-malformed", condition)
		assert.matches("has 7 digits", text)
		assert.matches("the United States has 10", text)
		reply = gateway_set(alice, "1-800-FLOWERS")
		assert.equal("jid-malformed", select(2, error_of(reply)), tostring(reply))
	end)

	it("should answer bad-request when the set has no prompt", function()
		local reply = gateway_set(alice, nil)
		assert.equal("error", reply.attr.type, tostring(reply))
		assert.equal("bad-request", select(2, error_of(reply)))
	end)
end)

describe("jingle_sip.gateway_iq without a default country #lua54", function()
	local gateway_iq = require "jingle_sip.gateway_iq"

	local function set(typed)
		return st.iq({ type = "set", from = "carol@users.test/x", to = COMPONENT, id = "q1" }):query(GATEWAY)
			:text_tag("prompt", typed)
	end

	it("should ask for + and the country code and name no country", function()
		local desc = gateway_iq.description(nil)
		assert.matches("%+ and the country code", desc)
		assert.is_nil(desc:find(" in ", 1, true), desc)
	end)

	it("should translate international numbers and refuse national ones with the reason", function()
		local reply = gateway_iq.on_set(set("+44 20 7946 0958"), COMPONENT, nil)
		assert.equal("result", reply.attr.type)
		assert.equal("+442079460958@" .. COMPONENT, reply:get_child("query", GATEWAY):get_child_text("jid"))
		reply = gateway_iq.on_set(set("(555) 010-0100"), COMPONENT, nil)
		local type, condition, text = error_of(reply)
		assert.equal("modify", type)
		assert.equal("jid-malformed", condition)
		assert.matches("no default country", text)
	end)
end)
