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

	describe("answers to stanzas", function()
		local st = require "util.stanza"
		local config = require "jingle_sip.config"
		local HOST = "phone.example.net"
		local PHONE = "+15551234567@" .. HOST
		local cfg = assert(config.parse(function() return nil end, HOST))
		local DISCO_INFO = "http://jabber.org/protocol/disco#info"
		local DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
		local CAPS = "http://jabber.org/protocol/caps"

		local function iq(to, xmlns, node)
			return st.iq({ type = "get", from = "alice@example.net/a", to = to, id = "q1" })
				:tag("query", { xmlns = xmlns, node = node }):up()
		end
		local function condition(reply)
			local e = reply:get_child("error")
			return e and e.tags[1].name
		end

		it("should answer disco#info on a phone JID with its identity and features, node echoed", function()
			local node = contacts.CAPS_NODE .. "#" .. contacts.caps_ver
			local reply = contacts.disco_info_reply(iq(PHONE, DISCO_INFO, node), HOST)
			assert.equal("result", reply.attr.type)
			assert.equal(PHONE, reply.attr.from)
			local q = reply:get_child("query", DISCO_INFO)
			assert.equal(node, q.attr.node)
			assert.equal("phone", q:get_child("identity").attr.type)
			assert.equal(caps.calculate_hash(q.tags), contacts.caps_ver)
		end)

		it("should answer disco on a malformed phone JID with jid-malformed showing the + form", function()
			for _, build in ipairs({ contacts.disco_info_reply, contacts.disco_items_reply }) do
				local reply = build(iq("15551234567@" .. HOST, DISCO_INFO), HOST)
				assert.equal("error", reply.attr.type)
				assert.equal("jid-malformed", condition(reply))
				assert.matches("+", reply:get_child("error"):get_child_text("text",
					"urn:ietf:params:xml:ns:xmpp-stanzas"), 1, true)
			end
		end)

		it("should answer another disco node with item-not-found", function()
			assert.equal("item-not-found", condition(contacts.disco_info_reply(iq(PHONE, DISCO_INFO, "x#y"), HOST)))
		end)

		it("should answer disco#items with an empty list", function()
			local reply = contacts.disco_items_reply(iq(PHONE, DISCO_ITEMS), HOST)
			assert.equal("result", reply.attr.type)
			assert.same({}, reply:get_child("query", DISCO_ITEMS).tags)
		end)

		it("should approve a subscription from the domain: subscribed to the bare JID, caps to the sender", function()
			local replies = contacts.presence_replies(st.presence({ from = "alice@example.net/a", to = PHONE,
				type = "subscribe" }), HOST, cfg.allow)
			assert.equal(2, #replies)
			assert.same({ PHONE, "alice@example.net", "subscribed" },
				{ replies[1].attr.from, replies[1].attr.to, replies[1].attr.type })
			assert.same({ PHONE, "alice@example.net/a" }, { replies[2].attr.from, replies[2].attr.to })
			assert.is_nil(replies[2].attr.type)
			assert.is_not_nil(replies[2]:get_child("c", CAPS))
		end)

		it("should refuse the subscription of a user who may not call, showing no presence", function()
			local replies = contacts.presence_replies(st.presence({ from = "mallory@evil.example/x", to = PHONE,
				type = "subscribe" }), HOST, cfg.allow)
			assert.equal(1, #replies)
			assert.same({ "mallory@evil.example", "unsubscribed" }, { replies[1].attr.to, replies[1].attr.type })
		end)

		it("should refuse subscriptions and probes to a malformed phone JID, and ignore the rest", function()
			for _, t in ipairs({ "subscribe", "probe" }) do
				local replies = contacts.presence_replies(st.presence({ from = "alice@example.net/a",
					to = "bob@" .. HOST .. "/r", type = t }), HOST, cfg.allow)
				assert.equal(1, #replies, t)
				assert.same({ "bob@" .. HOST, "alice@example.net", "unsubscribed" },
					{ replies[1].attr.from, replies[1].attr.to, replies[1].attr.type })
			end
			assert.same({}, contacts.presence_replies(st.presence({ from = "alice@example.net/a",
				to = "bob@" .. HOST }), HOST, cfg.allow))
			assert.same({}, contacts.presence_replies(st.presence({ to = PHONE, type = "subscribe" }), HOST, cfg.allow))
		end)

		describe("handlers", function()
			local sent, observed, caps_seen, asked
			local owners = { ["olivia@other.example"] = true }
			local book = {
				observe = function(_, stanza) observed[#observed + 1] = stanza end,
				is_owner = function(bare) return owners[bare] == true end,
			}
			local h = contacts.handlers({ host = HOST, cfg = cfg, book = book,
				caps_nodes = { observe = function(_, stanza) caps_seen[#caps_seen + 1] = stanza end },
				ask_presence = function(bare) asked[#asked + 1] = bare end,
				send = function(stanza) sent[#sent + 1] = stanza end })
			before_each(function() sent, observed, caps_seen, asked = {}, {}, {}, {} end)

			it("should answer disco through the origin", function()
				local replies = {}
				local origin = { send = function(stanza) replies[#replies + 1] = stanza end }
				assert.is_true(h.disco_info({ origin = origin, stanza = iq(PHONE, DISCO_INFO) }))
				assert.is_true(h.disco_items({ origin = origin, stanza = iq(PHONE, DISCO_ITEMS) }))
				assert.same({ "result", "result" }, { replies[1].attr.type, replies[2].attr.type })
			end)

			it("should observe presence to a phone JID, ask an owner's presence on subscribe and answer", function()
				local p = st.presence({ from = "olivia@other.example/phone", to = PHONE, type = "subscribe" })
				assert.is_true(h.phone_presence({ stanza = p }))
				assert.same({ p }, observed)
				assert.same({ p }, caps_seen)
				assert.same({ "olivia@other.example" }, asked)
				-- Olivia's server may not call through this gateway.
				assert.same({ "unsubscribed" }, { sent[1].attr.type })
				assert.equal(1, #sent)
			end)

			it("should answer presence to the component: owners may subscribe, strangers not", function()
				assert.is_true(h.host_presence({ stanza = st.presence({ from = "olivia@other.example/phone", to = HOST,
					type = "subscribe" }) }))
				assert.same({ "subscribed" }, { sent[1].attr.type })
				assert.equal(1, #observed)
				sent = {}
				h.host_presence({ stanza = st.presence({ from = "mallory@evil.example/x", to = HOST, type = "subscribe" }) })
				assert.same({ "unsubscribed" }, { sent[1].attr.type })
				assert.equal(1, #sent)
			end)
		end)
	end)
end)
