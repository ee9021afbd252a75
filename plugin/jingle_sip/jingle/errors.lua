-- Jingle error replies to <iq type='set'/> requests (XEP-0166 v1.1.2 §10).
--
-- Each Jingle-specific condition travels inside a stanza error whose XMPP
-- condition and type are fixed by the XEP; clients match on both
-- (Conversations JingleConnectionManager.respondWithJingleError, Gajim
-- jingle_session.__send_error, Dino jingle_module.vala).

local st = require "util.stanza"
local ns = require "jingle_sip.jingle.ns"

local M = {}

-- Jingle condition -> { XMPP stanza condition, error type }.
M.CONDITIONS = {
	["out-of-order"] = { "unexpected-request", "wait" },
	["tie-break"] = { "conflict", "cancel" },
	["unknown-session"] = { "item-not-found", "cancel" },
	["unsupported-info"] = { "feature-not-implemented", "modify" },
	["security-required"] = { "not-acceptable", "cancel" },
}

-- The error reply to `request` (the iq we could not process).
-- `err` is what parse returned: { condition, jingle_condition, text }, or a
-- Jingle condition name, or nil for a plain bad-request.
-- Returns nil if `request` cannot be answered (not an iq set/get).
function M.reply(request, err)
	if type(err) == "string" then err = { jingle_condition = err } end
	err = err or {}
	if type(request) ~= "table" or request.name ~= "iq"
		or (request.attr.type ~= "set" and request.attr.type ~= "get") then
		return nil
	end
	local mapping = M.CONDITIONS[err.jingle_condition]
	local condition = err.condition or "bad-request"
	local error_type = err.type or "modify"
	if mapping then
		condition, error_type = mapping[1], mapping[2]
	end
	local reply = st.error_reply(request, error_type, condition, err.text)
	if mapping then
		reply:tag(err.jingle_condition, { xmlns = ns.ERRORS }):up()
	end
	return reply
end

-- Shortcuts, so the state machine reads like the XEP.
function M.bad_request(request, text)
	return M.reply(request, { condition = "bad-request", text = text })
end

function M.unknown_session(request)
	return M.reply(request, "unknown-session")
end

function M.out_of_order(request)
	return M.reply(request, "out-of-order")
end

function M.tie_break(request)
	return M.reply(request, "tie-break")
end

function M.unsupported_info(request)
	return M.reply(request, "unsupported-info")
end

-- Read the Jingle condition back out of an error reply we received
-- (e.g. a client refusing our session-accept), for logs and decisions.
function M.condition_of(error_stanza)
	if type(error_stanza) ~= "table" or error_stanza.attr.type ~= "error" then return nil end
	local e = error_stanza:get_child("error")
	if not e then return nil end
	local xmpp_condition, jingle_condition, text
	for _, child in ipairs(e.tags) do
		local cns = child.attr.xmlns
		if cns == ns.ERRORS then
			jingle_condition = child.name
		elseif cns == ns.STANZA_ERRORS then
			if child.name == "text" then
				text = child:get_text()
			else
				xmpp_condition = child.name
			end
		end
	end
	return { condition = xmpp_condition, jingle_condition = jingle_condition, text = text, type = e.attr.type }
end

return M
