-- How a call's end is told on each leg: SIP status codes <-> Jingle reasons.
--
-- Pure functions. The SIP status and reason phrase always travel in the
-- Jingle reason text ("SIP 486 Busy Here"), so the user and the operator
-- see what the carrier said.

local M = {}

-- XEP-0166 v1.1.2 §7.4 reason for a final SIP failure (RFC 3261 §21).
local BY_STATUS = {
	[404] = "gone",           -- Not Found: no such number
	[410] = "gone",           -- Gone
	[484] = "gone",           -- Address Incomplete
	[604] = "gone",           -- Does Not Exist Anywhere
	[486] = "busy",           -- Busy Here
	[600] = "busy",           -- Busy Everywhere
	[603] = "decline",        -- Decline
	[403] = "decline",        -- Forbidden (the trunk refused us)
	[408] = "timeout",        -- Request Timeout: nobody answered in time
	[480] = "timeout",        -- Temporarily Unavailable: no answer
	[487] = "cancel",         -- Request Terminated (our own CANCEL)
	[488] = "incompatible-parameters", -- Not Acceptable Here
	[606] = "incompatible-parameters", -- Not Acceptable
	[415] = "incompatible-parameters", -- Unsupported Media Type
}

--- Jingle reason for a SIP final response status.
-- Returns condition, text.
function M.from_sip(status, phrase)
	status = tonumber(status) or 0
	-- Anything else (5xx, unknown 4xx/6xx) is the trunk or network failing.
	local condition = BY_STATUS[status] or "general-error"
	local text = ("SIP %d"):format(status)
	if phrase and phrase ~= "" then text = text .. " " .. phrase end
	return condition, text
end

-- SIP status to reject an inbound INVITE with, for the Jingle/JMI reason
-- the callee's client gave (or that the gateway decided).
local TO_STATUS = {
	busy = { 486, "Busy Here" },
	decline = { 603, "Decline" },
	timeout = { 480, "Temporarily Unavailable" },
	gone = { 480, "Temporarily Unavailable" },
	["incompatible-parameters"] = { 488, "Not Acceptable Here" },
	["unsupported-applications"] = { 488, "Not Acceptable Here" },
	["unsupported-transports"] = { 488, "Not Acceptable Here" },
	["security-error"] = { 488, "Not Acceptable Here" },
	["failed-application"] = { 500, "Server Internal Error" },
	["failed-transport"] = { 500, "Server Internal Error" },
	["connectivity-error"] = { 480, "Temporarily Unavailable" },
	["media-error"] = { 488, "Not Acceptable Here" },
	["general-error"] = { 500, "Server Internal Error" },
	cancel = { 487, "Request Terminated" },
	success = { 603, "Decline" },
}

--- SIP status and phrase to reject an unanswered inbound call with.
function M.to_sip(condition)
	local s = TO_STATUS[condition] or TO_STATUS["general-error"]
	return s[1], s[2]
end

return M
