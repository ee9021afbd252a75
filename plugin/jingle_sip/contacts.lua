-- Phone JIDs as contacts (docs/INTEROP.md#12): what a phone JID says about
-- itself in disco#info (XEP-0030 v2.5) and in its presence, with entity
-- capabilities (XEP-0115 v1.6) computed over that same disco#info.
-- Conversations shows its call buttons only for a contact whose caps list
-- Jingle, RTP, audio, ICE-UDP and DTLS. Pure stanza building, and the
-- hook handlers (M.handlers) that answer phone JIDs' disco and presence
-- and the component's own presence with it; the module hooks them.
local st = require "util.stanza"
local caps = require "util.caps"
local jid_bare = require "util.jid".bare
local version = require "jingle_sip.version"
local numbers = require "jingle_sip.numbers"
local policy = require "jingle_sip.policy"
local presence_book = require "jingle_sip.presence_book"

local M = {}

local DISCO_INFO = "http://jabber.org/protocol/disco#info"
local CAPS = "http://jabber.org/protocol/caps"

-- RFC 4733 telephone-event has no Jingle feature of its own (XEP-0167 v1.2
-- negotiates it as a payload-type). The DTMF feature clients look for is
-- XEP-0181's "urn:xmpp:jingle:dtmf:0" (XEP-0181 v0.12, the latest, "Determining
-- Support"; Jitsi's clients enable their keypad on it). Announcing it
-- commits the call code to accept XEP-0181 <dtmf/> session-info and send
-- it on as RFC 4733 events, which jingle_sip.call.bridge does (on_dtmf).
M.TELEPHONE_EVENT_FEATURE = "urn:xmpp:jingle:dtmf:0"

-- XEP-0115: a URI naming the software (no registered URL exists yet).
M.CAPS_NODE = "urn:x-jingle-sip:phone"

-- One identity and feature list for every number, so clients cache one caps
-- hash for all phone contacts.
M.identity = { category = "client", type = "phone", name = "Phone (jingle-sip)" }

M.features = { DISCO_INFO }
for _, feature in ipairs(version.disco_features) do
	M.features[#M.features + 1] = feature
end
M.features[#M.features + 1] = M.TELEPHONE_EVENT_FEATURE

--- The disco#info <query/> of a phone JID; node is echoed when given.
function M.disco_info(node)
	local query = st.stanza("query", { xmlns = DISCO_INFO, node = node })
	query:tag("identity", M.identity):up()
	for _, feature in ipairs(M.features) do
		query:tag("feature", { var = feature }):up()
	end
	return query
end

-- XEP-0115 5.1: the verification string over the disco#info above.
M.caps_ver = caps.calculate_hash(M.disco_info().tags)

--- Is `node` (disco#info's node attribute) one we answer: none, or ours?
function M.is_own_node(node)
	return node == nil or node == M.CAPS_NODE .. "#" .. M.caps_ver
end

--- A presence from a phone JID; kind is "available" (with caps) or a
-- presence type ("subscribed", "unsubscribed", "unavailable").
function M.presence(from, to, kind)
	local p = st.presence({ from = from, to = to, type = kind ~= "available" and kind or nil })
	if kind == "available" then
		p:tag("c", { xmlns = CAPS, hash = "sha-1", node = M.CAPS_NODE, ver = M.caps_ver }):up()
	end
	return p
end

--- What a phone JID sends back for a presence of type `type` (nil =
-- available) from a contact: the list of kinds for M.presence(), in order.
-- allowed: whether the contact may call through this gateway. Contacts that
-- may not call are refused the subscription and see no presence, so their
-- clients show no call button that could only fail.
function M.answer_presence(type, allowed)
	if type == "subscribe" then
		return allowed and { "subscribed", "available" } or { "unsubscribed" }
	elseif type == "probe" or type == nil then
		return allowed and { "available" } or { "unsubscribed" }
	elseif type == "unsubscribe" then
		return { "unsubscribed", "unavailable" }
	end
	return {} -- unavailable, subscribed, unsubscribed, error: nothing to say
end

-- Phone JIDs look like contacts (docs/INTEROP.md#12): they answer disco
-- and presence for every well-formed number; a malformed one gets an error
-- that shows the right form.

--- The answer to a disco#info iq to a phone JID of `host`.
function M.disco_info_reply(stanza, host)
	local number, _, text = numbers.from_jid(stanza.attr.to, host)
	if not number then
		return st.error_reply(stanza, "modify", "jid-malformed", text)
	end
	local node = stanza.tags[1].attr.node
	if not M.is_own_node(node) then
		return st.error_reply(stanza, "cancel", "item-not-found", "No such disco node on a phone JID")
	end
	return st.reply(stanza):add_child(M.disco_info(node))
end

--- The answer to a disco#items iq to a phone JID of `host`: no items.
function M.disco_items_reply(stanza, host)
	local number, _, text = numbers.from_jid(stanza.attr.to, host)
	if not number then
		return st.error_reply(stanza, "modify", "jid-malformed", text)
	end
	return st.reply(stanza):query("http://jabber.org/protocol/disco#items")
end

--- The presences a phone JID of `host` sends back for `stanza` (a presence
-- to it); allow: the configuration's allow set (jingle_sip.config).
-- RFC 6121: subscription answers go to the bare JID, presence to the sender.
-- A malformed phone JID refuses subscriptions and probes.
function M.presence_replies(stanza, host, allow)
	local from, type = stanza.attr.from, stanza.attr.type
	if not from then return {} end
	local number = numbers.from_jid(stanza.attr.to, host)
	if not number then
		if type == "subscribe" or type == "probe" then
			return { st.presence({ from = jid_bare(stanza.attr.to), to = jid_bare(from), type = "unsubscribed" }) }
		end
		return {}
	end
	local phone = numbers.to_jid(number, host)
	local replies = {}
	for _, kind in ipairs(M.answer_presence(type, policy.caller_allowed(allow, from))) do
		local to = (kind == "available" or kind == "unavailable") and from or jid_bare(from)
		replies[#replies + 1] = M.presence(phone, to, kind)
	end
	return replies
end

--- The hook handlers. deps: host, cfg (its allow set is read at each
-- stanza), send(stanza) (from the component), book (jingle_sip.presence_book,
-- with is_owner), caps_nodes (jingle_sip.caps_nodes), ask_presence(bare).
-- Returns { disco_info, disco_items, phone_presence, host_presence }, each
-- fn(event) returning true (the stanza is answered).
function M.handlers(deps)
	local h = {}
	function h.disco_info(event)
		event.origin.send(M.disco_info_reply(event.stanza, deps.host))
		return true
	end

	function h.disco_items(event)
		event.origin.send(M.disco_items_reply(event.stanza, deps.host))
		return true
	end

	-- Presence to a phone JID: observed (caller's client, owner's devices),
	-- then answered.
	function h.phone_presence(event)
		local stanza = event.stanza
		deps.caps_nodes:observe(stanza)
		deps.book:observe(stanza)
		-- An owner adds a phone JID: the component asks for their presence once.
		if stanza.attr.type == "subscribe" and stanza.attr.from and deps.book.is_owner(jid_bare(stanza.attr.from)) then
			deps.ask_presence(jid_bare(stanza.attr.from))
		end
		for _, reply in ipairs(M.presence_replies(stanza, deps.host, deps.cfg.allow)) do
			deps.send(reply)
		end
		return true
	end

	-- Presence to the component itself (owners share theirs with it, XEP-0100
	-- style: jingle_sip.presence_book).
	function h.host_presence(event)
		local stanza = event.stanza
		deps.book:observe(stanza)
		for _, reply in ipairs(presence_book.answer_host(stanza, deps.host,
			deps.book.is_owner(jid_bare(stanza.attr.from or "")) or policy.caller_allowed(deps.cfg.allow, stanza.attr.from))) do
			deps.send(reply)
		end
		return true
	end
	return h
end

return M
