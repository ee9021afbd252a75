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

-- Dialled numbers (XEP-0100 v1.0 §6.3, jabber:iq:gateway): what a user
-- types, "(555) 010-0100" or "+44 20 7946 0958", turned into the canonical
-- number. This is the one place that reads national forms, and only with
-- the country the operator named (jingle_sip_default_country): the digits
-- alone never say which country they belong to (see the decision above).
--
-- Per country (ITU-T E.164 and each country's numbering plan): its calling
-- code, its national trunk prefix (dialled before a national number, dropped
-- in the international form; "" where the leading 0 is part of the number,
-- as in Italy and Spain), the international prefix its users dial besides
-- the 00 most of the world uses, and the length range of its national
-- significant numbers and the digits they start with (after the trunk
-- prefix: NANP area codes start with 2-9). Nothing beyond these is checked: whether a number is
-- in service is the trunk's answer, not ours.
M.countries = {
	US = { name = "the United States", code = "1", trunk = "1", intl = "011", min = 10, max = 10, lead = "[2-9]" },
	CA = { name = "Canada", code = "1", trunk = "1", intl = "011", min = 10, max = 10, lead = "[2-9]" },
	GB = { name = "the United Kingdom", code = "44", trunk = "0", intl = "00", min = 9, max = 10, lead = "[1-9]" },
	DE = { name = "Germany", code = "49", trunk = "0", intl = "00", min = 6, max = 13, lead = "[1-9]" },
	FR = { name = "France", code = "33", trunk = "0", intl = "00", min = 9, max = 9, lead = "[1-9]" },
	NL = { name = "the Netherlands", code = "31", trunk = "0", intl = "00", min = 9, max = 9, lead = "[1-9]" },
	CH = { name = "Switzerland", code = "41", trunk = "0", intl = "00", min = 9, max = 9, lead = "[1-9]" },
	AT = { name = "Austria", code = "43", trunk = "0", intl = "00", min = 4, max = 13, lead = "[1-9]" },
	IT = { name = "Italy", code = "39", trunk = "", intl = "00", min = 6, max = 11, lead = "%d" },
	ES = { name = "Spain", code = "34", trunk = "", intl = "00", min = 9, max = 9, lead = "%d" },
	AU = { name = "Australia", code = "61", trunk = "0", intl = "0011", min = 9, max = 9, lead = "[1-9]" },
}

M.ERR_NO_COUNTRY = "no-country"
M.ERR_NATIONAL_LENGTH = "national-length"

--- The supported country codes (ISO 3166-1 alpha-2), sorted, for messages.
function M.country_list()
	local list = {}
	for iso in pairs(M.countries) do list[#list + 1] = iso end
	table.sort(list)
	return list
end

--- Turns what a user dialled into the canonical number. `country` is an
-- ISO 3166-1 code of M.countries, or nil when the operator named none (then
-- only international forms are understood). "+" or "00" (or the country's
-- own international prefix, e.g. 011 in the US) start an international
-- number; other digits are a national number of `country`, with or without
-- its trunk prefix. Returns the number, or nil, error code, human text.
function M.from_dialled(s, country)
	if type(s) ~= "string" or not s:match("%S") then
		return nil, M.ERR_EMPTY, "no phone number given"
	end
	-- "+44 (0)20 ...": the (0) is a trunk prefix that must not be dialled
	-- after the country code; dropping it silently would be a guess.
	if s:find("(0)", 1, true) then
		return nil, M.ERR_NOT_E164, ("%q: leave out the (0); after + and the country code no trunk "
			.. "prefix is dialled"):format(s)
	end
	local digits = s:gsub("[%s%-%.%(%)/]", "")
	if not digits:match("^%+?%d+$") then
		return nil, M.ERR_NOT_E164, ("%q is not a phone number: only digits, a leading + and the "
			.. "separators space - . ( ) / are understood"):format(s)
	end
	local plan = country and M.countries[country]
	-- The country's own prefix first: Australia's 0011 also starts with 00.
	local international = digits:match("^%+(.*)$")
		or (plan and digits:sub(1, #plan.intl) == plan.intl and digits:sub(#plan.intl + 1))
		or digits:match("^00(.*)$")
	if international then
		local number, code, text = M.parse("+" .. international)
		if not number then return nil, code, ("%q: %s"):format(s, text) end
		return number
	end
	if not plan then
		return nil, M.ERR_NO_COUNTRY, ("%q is a national number, but this gateway has no default country; "
			.. "write + and the country code, e.g. %s"):format(s, example)
	end
	local national = digits
	if plan.trunk ~= "" and #national > plan.min and national:sub(1, #plan.trunk) == plan.trunk then
		national = national:sub(#plan.trunk + 1)
	end
	if #national < plan.min or #national > plan.max then
		local range = plan.min == plan.max and tostring(plan.min) or ("%d to %d"):format(plan.min, plan.max)
		return nil, M.ERR_NATIONAL_LENGTH, ("%q has %d digits; a national number in %s has %s%s; "
			.. "or write + and the country code"):format(s, #national, plan.name, range,
			plan.trunk ~= "" and (" (not counting the trunk prefix " .. plan.trunk .. ")") or "")
	end
	if not national:match("^" .. plan.lead) then
		return nil, M.ERR_NOT_E164, ("%q: a national number in %s does not start with %s%s"):format(s,
			plan.name, national:sub(1, 1), plan.trunk ~= "" and (" after the trunk prefix " .. plan.trunk) or "")
	end
	local number, code, text = M.parse("+" .. plan.code .. national)
	if not number then return nil, code, ("%q: %s"):format(s, text) end
	return number
end

--- The phone JID of a canonical number on component `host`.
function M.to_jid(number, host)
	return number .. "@" .. host
end

return M
