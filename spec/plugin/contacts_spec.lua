-- Phone JIDs look like contacts (docs/INTEROP.md#12) and the call gate
-- refuses what policy forbids, against a real Prosody: disco#info with the
-- Jingle features, subscriptions and probes answered with caps (XEP-0115)
-- that match that disco#info, clear errors for malformed phone JIDs.
local prosody = require "spec.helpers.prosody"
local xmpp = require "spec.helpers.xmpp_client"
local st = require "util.stanza"
local caps = require "util.caps"
local id = require "util.id"
local version = require "jingle_sip.version"

local DISCO_INFO = "http://jabber.org/protocol/disco#info"
local CAPS = "http://jabber.org/protocol/caps"
local PHONE = "+15551234567@phone.localhost"

local function disco_info(client, to, node)
	return assert(client:iq(st.iq({ type = "get", to = to, id = id.short() })
		:tag("query", { xmlns = DISCO_INFO, node = node }), 10), "no disco#info answer from " .. to)
end

local function presence_from(client, from, type, timeout)
	return client:receive(function(s)
		return s.name == "presence" and s.attr.from == from and s.attr.type == type
	end, timeout or 10)
end

-- Prosody applies subscription answers to the roster and tells the client
-- with a roster push (RFC 6121 3.1.6), which is what a user sees.
local function roster_push(client, jid, subscription, timeout)
	return client:receive(function(s)
		if s.name ~= "iq" or s.attr.type ~= "set" then return false end
		local query = s:get_child("query", "jabber:iq:roster")
		local item = query and query:get_child("item")
		return item and item.attr.jid == jid and item.attr.subscription == subscription and not item.attr.ask
	end, timeout or 10)
end

local function error_of(stanza)
	local e = stanza:get_child("error")
	local condition = e and e.tags[1] and e.tags[1].name
	return e and e.attr.type, condition, e and e:get_child_text("text", "urn:ietf:params:xml:ns:xmpp-stanzas")
end

describe("phone JIDs as contacts #lua54", function()
	local server, alice, bob

	setup(function()
		server = prosody.start({ users = { alice = "alice-pw", bob = "bob-pw" }, extra = table.concat({
			'jingle_sip_trunk = "sip:127.0.0.1:5999"',
			'jingle_sip_allow = { "alice@localhost" }',
			'jingle_sip_dialplan = { "^%+1[2-9]%d+$" }',
		}, "\n") })
		alice = xmpp.connect({ host = "localhost", port = server.c2s_port, user = "alice", password = "alice-pw" })
		bob = xmpp.connect({ host = "localhost", port = server.c2s_port, user = "bob", password = "bob-pw" })
		for _, c in ipairs({ alice, bob }) do
			-- Roster first (so the session gets roster pushes), then presence.
			assert(c:iq(st.iq({ type = "get", id = id.short() }):query("jabber:iq:roster")))
			c:send(st.presence())
		end
	end)

	teardown(function()
		if alice then alice:close() end
		if bob then bob:close() end
		if server then server:stop() end
	end)

	it("should list Jingle, RTP, audio, ICE-UDP, DTLS, JMI and DTMF in disco#info", function()
		local reply = disco_info(alice, PHONE)
		assert.equal("result", reply.attr.type, tostring(reply))
		local query = reply:get_child("query", DISCO_INFO)
		local identity = query:get_child("identity")
		assert.equal("client", identity.attr.category)
		assert.equal("phone", identity.attr.type)
		local features = {}
		for f in query:childtags("feature") do features[f.attr.var] = true end
		for _, wanted in ipairs(version.disco_features) do
			assert.is_true(features[wanted], "missing " .. wanted)
		end
		assert.is_true(features["urn:xmpp:jingle:dtmf:0"], "missing telephone-event (DTMF)")
	end)

	it("should answer a subscription with subscribed and presence whose caps match its disco#info", function()
		alice:send(st.presence({ to = PHONE, type = "subscribe" }))
		assert.is_not_nil(roster_push(alice, PHONE, "to"), "the subscription was not approved")
		local available = assert(presence_from(alice, PHONE, nil), "no available presence")
		local c = assert(available:get_child("c", CAPS), "presence without caps: " .. tostring(available))
		assert.equal("sha-1", c.attr.hash)
		-- A client checks the hash over disco#info of node#ver (XEP-0115 5.4).
		local reply = disco_info(alice, PHONE, c.attr.node .. "#" .. c.attr.ver)
		assert.equal("result", reply.attr.type, tostring(reply))
		local query = reply:get_child("query", DISCO_INFO)
		assert.equal(c.attr.node .. "#" .. c.attr.ver, query.attr.node)
		assert.equal(c.attr.ver, (caps.calculate_hash(query.tags)))
	end)

	it("should put the phone JID in the roster with a subscription", function()
		local reply = assert(alice:iq(st.iq({ type = "get", id = id.short() }):query("jabber:iq:roster")))
		local item
		for i in reply:get_child("query", "jabber:iq:roster"):childtags("item") do
			if i.attr.jid == PHONE then item = i end
		end
		assert.is_not_nil(item, tostring(reply))
		assert.equal("to", item.attr.subscription)
	end)

	it("should answer the server's probe when the user comes online again", function()
		local again = xmpp.connect({ host = "localhost", port = server.c2s_port, user = "alice",
			password = "alice-pw", resource = "second" })
		finally(function() again:close() end)
		again:send(st.presence()) -- Prosody probes the contacts of a new available resource
		local p = presence_from(again, PHONE, nil)
		assert.is_not_nil(p, "no presence from the phone JID after the probe")
		assert.is_not_nil(p:get_child("c", CAPS))
	end)

	it("should refuse the subscription of a user who may not call", function()
		bob:send(st.presence({ to = PHONE, type = "subscribe" }))
		assert.is_not_nil(roster_push(bob, PHONE, "none"), "bob was not refused")
		assert.is_nil(presence_from(bob, PHONE, nil, 1), "bob got presence")
	end)

	it("should answer disco#info on a digits-only phone JID with jid-malformed and the + form", function()
		local reply = disco_info(alice, "15551234567@phone.localhost")
		assert.equal("error", reply.attr.type)
		local type, condition, text = error_of(reply)
		assert.equal("modify", type)
		assert.equal("jid-malformed", condition)
		assert.truthy(text and text:find("+15551234567@phone.localhost", 1, true), text)
	end)

	it("should answer disco#info on a name instead of a number with jid-malformed", function()
		local reply = disco_info(alice, "support@phone.localhost")
		local _, condition, text = error_of(reply)
		assert.equal("jid-malformed", condition)
		assert.truthy(text and text:find("not an E.164 phone number", 1, true), text)
	end)

	it("should refuse an unknown disco node with item-not-found", function()
		local reply = disco_info(alice, PHONE, "urn:x-jingle-sip:phone#bogus")
		local _, condition = error_of(reply)
		assert.equal("item-not-found", condition)
	end)

	it("should answer unsubscribe with unsubscribed and go offline", function()
		alice:send(st.presence({ to = PHONE, type = "unsubscribe" }))
		assert.is_not_nil(roster_push(alice, PHONE, "none"), "no roster push")
		assert.is_not_nil(presence_from(alice, PHONE, "unavailable"), "no unavailable presence")
	end)

	describe("call gate", function()
		local function initiate(client, to)
			return assert(client:iq(st.iq({ type = "set", to = to, id = id.short() })
				:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-initiate", sid = id.short() }), 10))
		end

		it("should refuse a number outside the dial plan with not-allowed", function()
			local reply = initiate(alice, "+442071234567@phone.localhost")
			local type, condition, text = error_of(reply)
			assert.equal("cancel", type)
			assert.equal("not-allowed", condition)
			assert.truthy(text:find("+442071234567 is not in this server's dial plan", 1, true), text)
		end)

		it("should refuse a user who may not call with forbidden", function()
			local reply = initiate(bob, PHONE)
			local type, condition, text = error_of(reply)
			assert.equal("auth", type)
			assert.equal("forbidden", condition)
			assert.truthy(text:find("bob@localhost may not place calls", 1, true), text)
		end)

		it("should refuse a malformed phone JID with jid-malformed", function()
			local reply = initiate(alice, "0015551234567@phone.localhost")
			local _, condition, text = error_of(reply)
			assert.equal("jid-malformed", condition)
			assert.truthy(text:find("international dialling prefix", 1, true), text)
		end)

		it("should refuse a JMI propose from a user who may not call", function()
			local sid = id.short()
			bob:send(st.message({ to = PHONE, id = sid }):tag("propose", { xmlns = "urn:xmpp:jingle-message:0", id = sid })
				:tag("description", { xmlns = "urn:xmpp:jingle:apps:rtp:1", media = "audio" }))
			local reply = bob:receive(function(s) return s.name == "message" and s.attr.id == sid end, 10)
			assert.is_not_nil(reply, "no answer to the propose")
			assert.equal("error", reply.attr.type)
			local _, condition = error_of(reply)
			assert.equal("forbidden", condition)
		end)
	end)
end)
