-- The gate every outbound call passes before the call code sees it: a JMI
-- propose (XEP-0353 v0.4) or a Jingle session-initiate (XEP-0166 v1.1) to a
-- phone JID. Refusals are answered here with the error and text of
-- policy.reasons; an admitted call falls through to the call handlers
-- (the module hooks the gate at a higher priority). The rules are
-- policy.check_outbound's; this file adds the phone JID and the answers.
local st = require "util.stanza"
local jid_bare = require "util.jid".bare
local policy = require "jingle_sip.policy"
local numbers = require "jingle_sip.numbers"
local jmi = require "jingle_sip.jingle.jmi"

local M = {}

--- May this stanza's sender call its phone JID now? Pure.
-- host: the component; cfg: parsed configuration; active: calls the
-- sender's bare JID has in progress; disabled: nil or why no calls are taken.
-- Returns true, or nil, reason code (a key of policy.reasons), human text.
function M.admit(stanza, host, cfg, active, disabled)
	local number, _, text = numbers.from_jid(stanza.attr.to, host)
	if not number then
		if disabled then return nil, "calls-disabled", disabled end
		return nil, "number-malformed", text
	end
	return policy.check_outbound(cfg, stanza.attr.from, number, active, disabled)
end

--- The answers to a refused call: the error reply and, for a JMI propose,
-- the <reject/> (or nil). A refused propose is also answered the JMI way
-- (XEP-0353 v0.6 §3.2: <reject/> with a Jingle reason): clients that watch
-- JMI elements, not message errors, would otherwise ring until their own
-- timeout. The error stays for the clients that read it.
function M.refusal(stanza, reason, text)
	local e = policy.reasons[reason]
	local reply = st.error_reply(stanza, e.type, e.condition, text)
	local m = stanza.name == "message" and jmi.parse(stanza)
	if m and m.action == "propose" and m.id then
		return reply, jmi.build("reject", { from = stanza.attr.to, to = stanza.attr.from, id = m.id,
			namespace = m.namespace, reason = { condition = e.jingle, text = text } })
	end
	return reply, nil
end

--- The gate's hook handlers. deps: host, cfg, disabled() (why calls are
-- refused, or nil), active(bare) (calls in progress), send(stanza) (from
-- the component), log(level, fmt, ...), refused() (counts one refusal).
-- Returns { on_session_initiate = fn(event), on_propose = fn(event) }.
function M.new(deps)
	local function admit(stanza)
		local from = stanza.attr.from
		return M.admit(stanza, deps.host, deps.cfg, from and deps.active(jid_bare(from)) or 0, deps.disabled())
	end

	local function refuse(origin, stanza, reason, text)
		deps.log("info", "Refused call from %s to %s: %s", stanza.attr.from, stanza.attr.to, text)
		deps.refused()
		local reply, reject = M.refusal(stanza, reason, text)
		origin.send(reply)
		if reject then deps.send(reject) end
		return true
	end

	local handlers = {}
	function handlers.on_session_initiate(event)
		local jingle = event.stanza.tags[1]
		if jingle.attr.action ~= "session-initiate" then return end
		local ok, reason, text = admit(event.stanza)
		if not ok then return refuse(event.origin, event.stanza, reason, text) end
	end

	function handlers.on_propose(event)
		local stanza = event.stanza
		if stanza.attr.type == "error" or not stanza:get_child("propose", "urn:xmpp:jingle-message:0") then return end
		local ok, reason, text = admit(stanza)
		if not ok then return refuse(event.origin, stanza, reason, text) end
	end
	return handlers
end

return M
