-- Call authorization: may this caller dial this number now? Pure: the
-- caller passes the parsed configuration (jingle_sip.config) and the count
-- of calls the user has in progress.
--
-- Toll fraud is the threat: a compromised account or a remote server dialling
-- premium or foreign numbers. So every check is an exact match, never a
-- suffix or substring one: the domain "example.net" does not admit
-- "evil-example.net", "example.net.evil.com" or "sub.example.net".
local jid = require "util.jid"
local numbers = require "jingle_sip.numbers"

local M = {}

-- Reason codes, each with the XMPP error (RFC 6120 8.3.3) and Jingle reason
-- (XEP-0166 7.4) that the call code sends for it.
M.reasons = {
	["calls-disabled"] = { type = "cancel", condition = "service-unavailable", jingle = "failed-application" },
	["caller-not-allowed"] = { type = "auth", condition = "forbidden", jingle = "security-error" },
	["number-malformed"] = { type = "modify", condition = "jid-malformed", jingle = "failed-application" },
	["number-not-allowed"] = { type = "cancel", condition = "not-allowed", jingle = "decline" },
	["too-many-calls"] = { type = "wait", condition = "resource-constraint", jingle = "busy" },
}

--- Is this (full or bare) JID in the allow set (domains and bare JIDs)?
function M.caller_allowed(allow, from)
	local bare = from and jid.bare(from)
	if not bare then return false end
	local node, host = jid.split(bare)
	if not node then return false end -- servers and components do not place calls
	return allow[bare] == true or allow[host] == true
end

--- Does the dial plan admit this canonical number? Deny patterns win.
function M.number_allowed(dialplan, number)
	for _, pattern in ipairs(dialplan.deny) do
		if number:find(pattern) then return false end
	end
	for _, pattern in ipairs(dialplan.allow) do
		if number:find(pattern) then return true end
	end
	return false
end

--- May `from` (full JID as Prosody stamped it) dial `number` now?
-- cfg: parsed configuration; active: calls `from`'s bare JID has in progress;
-- disabled: nil, or the text saying why the gateway takes no calls.
-- Returns true, or nil, reason code (a key of M.reasons), human text.
function M.check_outbound(cfg, from, number, active, disabled)
	if disabled then
		return nil, "calls-disabled", disabled
	end
	if not M.caller_allowed(cfg.allow, from) then
		return nil, "caller-not-allowed", ("%s may not place calls through this gateway")
			:format(from and jid.bare(from) or "this sender")
	end
	local canonical, _, text = numbers.parse(number)
	if not canonical then
		return nil, "number-malformed", text
	end
	if not M.number_allowed(cfg.dialplan, canonical) then
		return nil, "number-not-allowed", ("%s is not in this server's dial plan"):format(canonical)
	end
	if (active or 0) >= cfg.max_calls_per_user then
		return nil, "too-many-calls", ("%s already has %d call%s in progress (limit %d)")
			:format(jid.bare(from), active, active == 1 and "" or "s", cfg.max_calls_per_user)
	end
	return true
end

return M
