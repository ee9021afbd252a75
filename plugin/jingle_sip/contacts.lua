-- Phone JIDs as contacts (docs/INTEROP.md#12): what a phone JID says about
-- itself in disco#info (XEP-0030 v2.5) and in its presence, with entity
-- capabilities (XEP-0115 v1.6) computed over that same disco#info.
-- Conversations shows its call buttons only for a contact whose caps list
-- Jingle, RTP, audio, ICE-UDP and DTLS. Pure stanza building; the module
-- decides when to send what.
local st = require "util.stanza"
local caps = require "util.caps"
local version = require "jingle_sip.version"

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

return M
