-- Jingle Message Initiation (XEP-0353) messages and the multi-device rules,
-- as pure functions: they read and build <message/> stanzas and say which
-- ones to send to whom; sending is the caller's job.
--
-- Namespaces: :0 is what current clients send (Conversations 2.12,
-- Dino, Gajim, Movim, Monal). We also read the v0.4/0.5 :1 namespace and the
-- StanzaJS spelling, and always answer in the namespace the peer used.
--
-- A call table used below: { sid, local_jid, peer_jid, namespace,
--   answered_by } where local_jid is the phone JID on our component,
--   peer_jid the XMPP user's JID (full for calls they proposed, bare for
--   calls we ring), answered_by the full JID whose <proceed/> won.

local st = require "util.stanza"
local jid = require "util.jid"
local ns = require "jingle_sip.jingle.ns"
local parse = require "jingle_sip.jingle.parse"
local build = require "jingle_sip.jingle.build"

local ipairs, type = ipairs, type

local M = {}

M.NAMESPACES = { [ns.JMI] = true, [ns.JMI_1] = true, [ns.JMI_STANZAJS] = true }
M.ACTIONS = {
	propose = true, ringing = true, proceed = true, accept = true,
	reject = true, retract = true, finish = true,
}

local function find_jmi(message)
	for _, child in ipairs(message.tags or {}) do
		if M.NAMESPACES[child.attr.xmlns] and M.ACTIONS[child.name] then
			return child
		end
	end
	return nil
end

-- XEP-0280 carbons wrap the message: <sent|received><forwarded><message/>.
local function unwrap_carbon(message)
	for _, dir in ipairs({ "sent", "received" }) do
		local wrapper = message:get_child(dir, ns.CARBONS)
		if wrapper then
			local fwd = wrapper:get_child("forwarded", ns.FORWARD)
			local inner = fwd and fwd:get_child("message", "jabber:client")
				or fwd and fwd:get_child("message")
			if inner then return inner, dir end
		end
	end
	return message, nil
end

local function bad(text)
	return { condition = "bad-request", text = text }
end

local function parse_message(message)
	if type(message) ~= "table" or message.name ~= "message" or type(message.attr) ~= "table" then
		return nil, bad("not a message")
	end
	local inner, carbon = unwrap_carbon(message)
	local el = find_jmi(inner)
	if not el then return nil, bad("no jingle message") end
	local m = {
		action = el.name, namespace = el.attr.xmlns, id = el.attr.id,
		from = inner.attr.from, to = inner.attr.to, type = inner.attr.type,
		message_id = inner.attr.id, carbon = carbon, descriptions = {},
	}
	if not m.id or m.id == "" then return nil, bad(m.action .. " without id") end
	for _, child in ipairs(el.tags) do
		local cns = child.attr.xmlns or m.namespace
		if child.name == "description" then
			m.descriptions[#m.descriptions + 1] = { namespace = cns, media = child.attr.media }
		elseif child.name == "reason" and cns == ns.JINGLE then
			m.reason = parse.reason(child)
		elseif child.name == "tie-break" then
			m.tie_break = true
		elseif child.name == "migrated" then
			m.migrated_to = child.attr.to
		else
			m.unknown = m.unknown or {}
			m.unknown[#m.unknown + 1] = child
		end
	end
	-- Conversations asks for a receipt on its propose and fails the call
	-- without receipt or <ringing/> (docs/INTEROP.md#11).
	m.receipt_requested = inner:get_child("request", ns.RECEIPTS) ~= nil
	if m.action == "propose" and #m.descriptions == 0 then
		return nil, bad("propose without description")
	end
	return m
end

-- Parse a message carrying a XEP-0353 element (possibly carbon-wrapped).
-- Returns { action, namespace, id, from, to, type, message_id, carbon,
-- descriptions = {{namespace, media}}, reason, tie_break, migrated_to,
-- receipt_requested } or nil and an error. Never raises.
function M.parse(message)
	local ok, m, err = pcall(parse_message, message)
	if not ok then return nil, bad("unparsable message: " .. tostring(m)) end
	return m, err
end

-- Media a propose asks for, as a set { audio = true, video = true }.
function M.media(m)
	local set = {}
	for _, d in ipairs(m and m.descriptions or {}) do
		if d.namespace == ns.RTP and d.media then set[d.media] = true end
	end
	return set
end

-- Build one JMI message. opts: { from, to, id (session id), namespace,
-- media = {"audio", ...} (propose), reason = condition or {condition,text},
-- tie_break, migrated_to, message_id, request_receipt }.
-- Every JMI message is type chat with a store hint (XEP-0353 §3) so carbons
-- and MAM carry it to every device.
function M.build(action, opts)
	local message_id = opts.message_id or ("jm-" .. action .. "-" .. opts.id)
	local m = st.message({ type = "chat", from = opts.from, to = opts.to, id = message_id })
	m:tag(action, { xmlns = opts.namespace or ns.JMI, id = opts.id })
	for _, media in ipairs(opts.media or {}) do
		m:tag("description", { xmlns = ns.RTP, media = media }):up()
	end
	if opts.reason then
		m:add_child(build.reason(opts.reason))
	end
	if opts.tie_break then
		m:tag("tie-break"):up()
	end
	if opts.migrated_to then
		m:tag("migrated", { to = opts.migrated_to }):up()
	end
	m:up()
	if opts.request_receipt then
		m:tag("request", { xmlns = ns.RECEIPTS }):up()
	end
	m:tag("store", { xmlns = ns.HINTS }):up()
	return m
end

-- XEP-0184 receipt for a message that asked for one, or nil.
function M.receipt(m, from)
	if not m.receipt_requested or not m.message_id then return nil end
	local r = st.message({ from = from or m.to, to = m.from, id = "rcpt-" .. m.message_id })
	r:tag("received", { xmlns = ns.RECEIPTS, id = m.message_id }):up()
	return r
end

-- The :1 namespace (XEP-0353 v0.4/0.5) dropped <proceed/> for <accept/>.
local function proceed_action(namespace)
	return namespace == ns.JMI_1 and "accept" or "proceed"
end

---------------------------------------------------------------------------
-- Outbound calls: an XMPP client proposes a call to a phone JID.
---------------------------------------------------------------------------

-- What to send, at once, for a propose addressed to us. The gateway takes
-- the call on its single "device" right away: it needs the client's
-- session-initiate to build the SIP INVITE; the phone's ringing is
-- reported later with a session-info.
--   * receipt, if asked (Conversations' device-discovery timeout);
--   * <ringing/> (XEP-0353 v0.6), unless opts.ringing == false;
--   * <proceed/> to the proposing full JID: Conversations only accepts a
--     proceed addressed to its full JID (JingleConnectionManager
--     deliverMessage, addressedDirectly), and then sends session-initiate.
-- A propose without audio is rejected (this is a phone gateway).
-- Returns { accept = bool, send = {stanzas}, call = call table } .
function M.answer_propose(m, opts)
	opts = opts or {}
	local call = { sid = m.id, local_jid = m.to, peer_jid = m.from, namespace = m.namespace }
	local send = {}
	local receipt = M.receipt(m)
	if receipt then send[#send + 1] = receipt end
	local common = { from = m.to, to = m.from, id = m.id, namespace = m.namespace }
	if not M.media(m).audio then
		common.reason = { condition = "unsupported-applications", text = "Audio calls only" }
		send[#send + 1] = M.build("reject", common)
		return { accept = false, send = send, call = call }
	end
	if opts.ringing ~= false then
		send[#send + 1] = M.build("ringing", common)
	end
	send[#send + 1] = M.build(proceed_action(m.namespace), common)
	return { accept = true, send = send, call = call }
end

---------------------------------------------------------------------------
-- Inbound calls: a phone calls an XMPP user; we ring all their devices.
---------------------------------------------------------------------------

-- The propose that rings every device: one message to the bare JID, which
-- the user's server forks to all resources and carbons/MAM/push
-- (XEP-0353 §3.1). Sending one per full JID would ring devices twice.
function M.ring(call)
	return M.build("propose", {
		from = call.local_jid, to = jid.bare(call.peer_jid), id = call.sid,
		namespace = call.namespace, media = { "audio" }, request_receipt = true,
	})
end

-- Decide what a message from the called user means for a call we rang.
-- Returns { kind = "proceed"|"duplicate"|"reject"|"ringing"|"finish"|"ignore",
--           initiate_to = full JID (for "proceed"), send = {stanzas} }.
--   proceed   first device to pick up: send session-initiate to initiate_to.
--             The user's server carbons that proceed to the other devices,
--             which stop ringing (Conversations acceptedOnOtherDevice, Dino
--             Call.State.OTHER_DEVICE).
--   duplicate another device picked up too late: it gets a <retract/>, which
--             Conversations handles as RETRACTED_RACED.
--   reject    the user declined on one device (carbons tell the others).
--   ringing   a device reports it rings.
--   finish    a device ended the call or gave up (retract/finish from them).
function M.on_answer(call, m)
	local decision = { kind = "ignore", send = {} }
	if not m or m.id ~= call.sid then return decision end
	if not m.from or jid.bare(m.from) ~= jid.bare(call.peer_jid) then return decision end
	if m.carbon then return decision end
	local action = m.action
	if action == "proceed" or (action == "accept" and m.namespace == ns.JMI_1) then
		if call.answered_by == nil or call.answered_by == m.from then
			decision.kind = "proceed"
			decision.initiate_to = m.from
		else
			decision.kind = "duplicate"
			decision.send[1] = M.build("retract", {
				from = call.local_jid, to = m.from, id = call.sid, namespace = call.namespace,
				reason = { condition = "cancel", text = "Answered on another device" },
			})
		end
	elseif action == "reject" then
		decision.kind = "reject"
	elseif action == "ringing" then
		decision.kind = "ringing"
	elseif action == "retract" or action == "finish" then
		decision.kind = "finish"
	end
	return decision
end

-- Stop every device ringing: the phone caller hung up before an answer.
-- Sent to the bare JID so all devices and MAM see it.
function M.retract(call, condition, text)
	return M.build("retract", {
		from = call.local_jid, to = jid.bare(call.peer_jid), id = call.sid, namespace = call.namespace,
		reason = { condition = condition or "cancel", text = text },
	})
end

-- Tell all the user's devices the call is over (XEP-0353 v0.6 §3.6:
-- both parties send <finish/> to the other's bare JID).
function M.finish(call, condition, text)
	return M.build("finish", {
		from = call.local_jid, to = jid.bare(call.peer_jid), id = call.sid, namespace = call.namespace,
		reason = { condition = condition or "success", text = text },
	})
end

-- Decline a propose (e.g. too many calls): reject to the proposing JID.
function M.reject(call, condition, text)
	return M.build("reject", {
		from = call.local_jid, to = call.peer_jid, id = call.sid, namespace = call.namespace,
		reason = { condition = condition or "busy", text = text },
	})
end

return M
