-- Phone numbers and phone JIDs. Pure: no Prosody, no I/O.
--
-- A phone JID is `+<E.164>@<component>`, e.g. `+15551234567@phone.example.net`.
-- ITU-T E.164: at most 15 digits, the first (country code) digit 1-9. The
-- shortest numbers in service are 7 digits with their country code (Niue
-- +683 xxxx, Tokelau +690 xxxx), so fewer digits cannot be a phone number.
--
-- Decision: only the canonical form is a phone JID. Digits without "+"
-- are refused with a hint, never guessed: "5551234567" is a US national
-- number to a US user but would read as +55 (Brazil) as E.164, and
-- "0015551234567" uses the international prefix of one country only, so a
-- guess could ring a wrong, possibly premium, number abroad. One number also
-- has exactly one JID, so rosters, presence subscriptions, caps and number
-- ownership all agree on it.
local M = {}

M.MIN_DIGITS = 7
M.MAX_DIGITS = 15

-- Error codes (second return value) for callers that map them to XMPP errors.
M.ERR_EMPTY = "empty"
M.ERR_NOT_E164 = "not-e164"
M.ERR_TOO_SHORT = "too-short"
M.ERR_TOO_LONG = "too-long"
M.ERR_WRONG_HOST = "wrong-host"

local example = "+15551234567"

local function hint_for(s)
	local digits = s:gsub("[%s%-%.%(%)/]", "")
	if digits:match("^00[1-9]%d*$") or digits:match("^011[1-9]%d*$") then
		return "it starts with an international dialling prefix; write the number as + and the "
			.. "country code instead, e.g. " .. example
	elseif digits:match("^%d+$") then
		return "digits without a leading + are ambiguous (national or international?); write "
			.. "+ and the country code, e.g. " .. example
	elseif digits:match("^%+[1-9]%d*$") then
		return "write the number without separators: " .. digits
	end
	return "a phone number is + and up to 15 digits, country code first, e.g. " .. example
end

--- Checks a canonical E.164 number ("+" and 7-15 digits, first digit 1-9).
-- Returns the number, or nil, error code, human text.
function M.parse(s)
	if type(s) ~= "string" or s == "" then
		return nil, M.ERR_EMPTY, "no phone number given"
	end
	if not s:match("^%+[1-9]%d*$") then
		return nil, M.ERR_NOT_E164, ("%q is not an E.164 phone number: %s"):format(s, hint_for(s))
	end
	local n = #s - 1
	if n < M.MIN_DIGITS then
		return nil, M.ERR_TOO_SHORT, ("%q has %d digits; an E.164 number has at least %d"):format(s, n, M.MIN_DIGITS)
	elseif n > M.MAX_DIGITS then
		return nil, M.ERR_TOO_LONG, ("%q has %d digits; an E.164 number has at most %d"):format(s, n, M.MAX_DIGITS)
	end
	return s
end

--- Lenient form for operator input (config file, admin shell): strips the
-- visual separators space - . ( ) / and then requires the canonical form.
-- The leading "+" is still required (see the decision above).
function M.normalize(s)
	if type(s) == "number" then
		return nil, M.ERR_NOT_E164, ("%s is a Lua number, not a phone number: write it as a string "
			.. "with + and the country code, e.g. %q"):format(tostring(s), example)
	end
	if type(s) ~= "string" then return M.parse(s) end
	local stripped = s:gsub("[%s%-%.%(%)/]", "")
	local number, code, text = M.parse(stripped)
	if not number then
		-- Name the operator's own spelling in the message, not ours.
		return nil, code, ("%q: %s"):format(s, text)
	end
	return number
end

--- The number of a phone JID on component `host`: node must be canonical
-- E.164; any resource is ignored. Returns the number, or nil, code, text.
function M.from_jid(jid, host)
	if type(jid) ~= "string" then return nil, M.ERR_EMPTY, "no address given" end
	local bare = jid:match("^[^/]*")
	local node, domain = bare:match("^(.*)@(.*)$")
	if not node then
		return nil, M.ERR_EMPTY, ("%s has no phone number; address +<number>@%s, e.g. %s@%s")
			:format(bare, host or bare, example, host or bare)
	end
	if host and domain ~= host then
		return nil, M.ERR_WRONG_HOST, ("%s is not on this gateway (%s)"):format(bare, host)
	end
	local number, code, text = M.parse(node)
	if not number then
		return nil, code, text .. (" (phone addresses look like %s@%s)"):format(example, domain)
	end
	return number
end

--- The phone JID of a canonical number on component `host`.
function M.to_jid(number, host)
	return number .. "@" .. host
end

return M
