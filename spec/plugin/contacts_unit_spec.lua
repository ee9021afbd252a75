-- What a phone JID says about itself (plugin/jingle_sip/contacts.lua).
local contacts = require "jingle_sip.contacts"
local caps = require "util.caps"
local version = require "jingle_sip.version"

describe("jingle_sip.contacts #lua54", function()
	it("should list every gateway feature plus DTMF, once each", function()
		local seen = {}
		for _, f in ipairs(contacts.features) do
			assert.is_nil(seen[f], "twice: " .. f)
			seen[f] = true
		end
		for _, f in ipairs(version.disco_features) do assert.is_true(seen[f], f) end
		assert.is_true(seen["urn:xmpp:jingle:dtmf:0"])
		assert.is_true(seen["http://jabber.org/protocol/disco#info"])
	end)

	it("should announce the caps hash of its own disco#info", function()
		local ver = caps.calculate_hash(contacts.disco_info().tags)
		assert.equal(ver, contacts.caps_ver)
		local c = contacts.presence("+15551234567@phone.example.net", "alice@example.net", "available")
			:get_child("c", "http://jabber.org/protocol/caps")
		assert.same({ xmlns = "http://jabber.org/protocol/caps", hash = "sha-1", node = contacts.CAPS_NODE,
			ver = ver }, c.attr)
	end)

	it("should answer only its own caps node", function()
		assert.is_true(contacts.is_own_node(nil))
		assert.is_true(contacts.is_own_node(contacts.CAPS_NODE .. "#" .. contacts.caps_ver))
		assert.is_false(contacts.is_own_node(contacts.CAPS_NODE .. "#other"))
	end)

	it("should approve subscriptions only of users who may call", function()
		assert.same({ "subscribed", "available" }, contacts.answer_presence("subscribe", true))
		assert.same({ "unsubscribed" }, contacts.answer_presence("subscribe", false))
		assert.same({ "available" }, contacts.answer_presence("probe", true))
		assert.same({ "unsubscribed" }, contacts.answer_presence("probe", false))
		assert.same({ "available" }, contacts.answer_presence(nil, true))
		assert.same({ "unsubscribed", "unavailable" }, contacts.answer_presence("unsubscribe", false))
		for _, t in ipairs({ "unavailable", "subscribed", "unsubscribed", "error" }) do
			assert.same({}, contacts.answer_presence(t, true), t)
		end
	end)

	it("should send subscription answers without caps", function()
		local p = contacts.presence("+15551234567@phone.example.net", "alice@example.net", "subscribed")
		assert.equal("subscribed", p.attr.type)
		assert.is_nil(p:get_child("c", "http://jabber.org/protocol/caps"))
	end)
end)
