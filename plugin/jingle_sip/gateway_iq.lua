-- Numbers as addresses: XEP-0100 v1.0 §6.3 (jabber:iq:gateway), the
-- question a client asks before adding a contact on a gateway. The get
-- returns what to type (<desc/>, <prompt/>); the set turns what the user
-- typed (in <prompt/>) into the phone JID (<jid/>), or jid-malformed with
-- the reason. The number rules are jingle_sip.numbers'; this file only
-- speaks the protocol.
local st = require "util.stanza"
local numbers = require "jingle_sip.numbers"

local M = {}

M.xmlns = "jabber:iq:gateway"

local example = "+15551234567"

--- The text of <desc/>: what to type, naming the default country if any.
function M.description(country)
	local plan = country and numbers.countries[country]
	if plan then
		return ("Enter the phone number to call: a number in %s as you would dial it there, or any "
			.. "number as + and the country code, e.g. %s"):format(plan.name, example)
	end
	return ("Enter the phone number to call as + and the country code, e.g. %s"):format(example)
end

--- Reply to the iq-get.
function M.on_get(stanza, country)
	return st.reply(stanza):query(M.xmlns)
		:text_tag("desc", M.description(country))
		:text_tag("prompt", "Phone number")
end

--- Reply to the iq-set: the phone JID on `host` or a jid-malformed error
-- whose text says why (bad-request when the <prompt/> is missing).
function M.on_set(stanza, host, country)
	local query = stanza.tags[1]
	local prompt = query and query:get_child_text("prompt")
	if not prompt then
		return st.error_reply(stanza, "modify", "bad-request", "the query has no <prompt/> with the number")
	end
	local number, _, text = numbers.from_dialled(prompt, country)
	if not number then
		return st.error_reply(stanza, "modify", "jid-malformed", text)
	end
	return st.reply(stanza):query(M.xmlns):text_tag("jid", numbers.to_jid(number, host))
end

return M
