-- The presence of number owners, as an XEP-0100 (v1.0 §4.1.1) gateway
-- keeps it: the component asks each owner once to share their presence
-- (a subscribe from the component's JID, approved by the user), then each
-- resource's presence, with its XEP-0115 (v1.6) caps, reaches the component
-- over s2s like any contact's. It lets the gateway see the devices of users
-- of other servers (prosody.bare_sessions holds only this server's), ring
-- those without JMI (XEP-0353) directly, and tell "nobody online" from
-- "online elsewhere" (README.md, "Users of other servers").
--
-- Also the caps cache: caps verification strings (XEP-0115 §5.1, sha-1)
-- whose disco#info answer hashed to them, with the Jingle features read
-- from it, so each client version is asked once (XEP-0115 §6.2), for local
-- and remote devices alike.

local jid = require "util.jid"
local caps = require "util.caps"
local st = require "util.stanza"

local CAPS = "http://jabber.org/protocol/caps"

-- Bounds against a server announcing endless resources or caps strings:
-- past them a new entry is not kept (counted in `dropped`).
local MAX_RESOURCES = 32   -- per owner
local MAX_CAPS = 1000      -- verified caps strings

local M = {}
local Book = {}
Book.__index = Book

--- is_owner(bare_jid) -> bool: whose presence is worth keeping (a number
-- owner); the module sets book.is_owner (and book.asked, see M.asker) again
-- after a reload.
function M.new(is_owner)
	return setmetatable({ owners = {}, caps = {}, caps_count = 0, dropped = 0,
		is_owner = is_owner or function() return false end }, Book)
end

--- ask(owner): the component asks `owner` (a bare JID) to share their
-- presence, a subscribe the user approves once (remembered in `store`, a
-- keyval store, so a restart does not ask again; their server answers for
-- them once approved, RFC 6121 §3.1.3), and probes it for the presence of
-- now.
-- Also returns asked(owner): whether the component ever asked them (a
-- `subscribed` from anyone else is not an answer to anything, RFC 6121
-- §3.1.6, and proves nothing).
function M.asker(store, host, send)
	local function asked(owner) return store:get(owner) ~= nil end
	return function(owner)
		if not asked(owner) then
			send(st.presence({ from = host, to = owner, type = "subscribe" }))
			store:set(owner, { asked_at = os.time() })
		end
		send(st.presence({ from = host, to = owner, type = "probe" }))
	end, asked
end

--- What the component answers a presence to its own JID: a number owner
-- or someone who may call (`allowed`) may subscribe and sees it available
-- (no caps: it is not a phone), anybody else is refused. RFC 6121:
-- subscription answers go to the bare JID, presence to the sender.
function M.answer_host(presence, host, allowed)
	local from, kind = presence.attr.from, presence.attr.type
	if type(from) ~= "string" then return {} end
	local bare = jid.bare(from)
	if kind == "subscribe" then
		if not allowed then return { st.presence({ from = host, to = bare, type = "unsubscribed" }) } end
		return { st.presence({ from = host, to = bare, type = "subscribed" }), st.presence({ from = host, to = bare }) }
	elseif kind == "probe" then
		return { allowed and st.presence({ from = host, to = from }) or
			st.presence({ from = host, to = bare, type = "unsubscribed" }) }
	elseif kind == "unsubscribe" then
		return { st.presence({ from = host, to = bare, type = "unsubscribed" }) }
	end
	return {}
end

--- The <c/> of a presence: { node, ver, hash } or nil.
function M.caps_of(presence)
	local c = presence and presence:get_child("c", CAPS)
	if not (c and type(c.attr.node) == "string" and type(c.attr.ver) == "string") then return nil end
	return { node = c.attr.node, ver = c.attr.ver, hash = c.attr.hash }
end

local function entry(self, bare)
	local e = self.owners[bare]
	if not e then
		e = { resources = {}, count = 0, known = false }
		self.owners[bare] = e
	end
	return e
end

--- A presence stanza from anyone to the component or a phone JID. Returns
-- true when it changed what the book knows.
function Book:observe(presence)
	local from = presence.attr.from
	if type(from) ~= "string" then return false end
	local bare, resource = jid.bare(from), select(3, jid.split(from))
	if not bare or not self.is_owner(bare) then return false end
	local kind = presence.attr.type
	local e = entry(self, bare)
	if kind == nil then
		if not resource then return false end
		if not e.resources[resource] then
			if e.count >= MAX_RESOURCES then
				self.dropped = self.dropped + 1
				return false
			end
			e.count = e.count + 1
		end
		e.resources[resource] = { jid = from, priority = tonumber(presence:get_child_text("priority")) or 0,
			caps = M.caps_of(presence) }
		e.known = true
	elseif kind == "unavailable" then
		if resource then
			if e.resources[resource] then
				e.resources[resource] = nil
				e.count = e.count - 1
			end
		else
			e.resources, e.count = {}, 0
		end
		e.known = true
	elseif kind == "subscribed" then
		-- Approved: the user's server now sends each resource's presence.
		if self.asked and not self.asked(bare) then return false end
		e.known = true
	elseif kind == "unsubscribed" or kind == "unsubscribe" then
		-- No longer shared: what we had may go stale.
		self.owners[bare] = nil
	else
		return false
	end
	return true
end

--- Whether the owner shares their presence with us (so no resource means
-- nobody online).
function Book:knows(bare)
	local e = self.owners[bare]
	return e ~= nil and e.known
end

--- The owner's available resources: { { jid, priority, caps } }.
function Book:devices(bare)
	local list = {}
	local e = self.owners[bare]
	for _, r in pairs(e and e.resources or {}) do
		list[#list + 1] = { jid = r.jid, priority = r.priority, caps = r.caps }
	end
	table.sort(list, function(a, b) return a.jid < b.jid end)
	return list
end

--- "online", "offline" (shares presence, no resource available) or
-- "unknown" (never shared it, or not since the module loaded).
function Book:reachability(bare)
	if not self:knows(bare) then return "unknown" end
	return next(self.owners[bare].resources) and "online" or "offline"
end

--- One line for the operator (jingle_sip:status()).
function Book:summary()
	local sharing, online, devices = 0, 0, 0
	for _, e in pairs(self.owners) do
		if e.known then sharing = sharing + 1 end
		if e.count > 0 then online = online + 1 end
		devices = devices + e.count
	end
	return ("presence: %d owners share it with the component, %d online with %d devices; %d verified caps; "
		.. "%d entries over the bounds not kept"):format(sharing, online, devices, self.caps_count, self.dropped)
end

--- What a verified caps string says: the features table given to
-- remember_caps, or nil.
function Book:caps_features(c)
	if not (c and c.hash == "sha-1") then return nil end
	return self.caps[c.ver]
end

--- A disco#info <query/> answered for a device that announced caps `c`:
-- kept (with `features`) only when its hash is the announced one.
-- Returns true when it verified.
function Book:remember_caps(c, query, features)
	if not (c and c.hash == "sha-1" and query) then return false end
	if caps.calculate_hash(query.tags) ~= c.ver then return false end
	if not self.caps[c.ver] then
		if self.caps_count >= MAX_CAPS then
			self.dropped = self.dropped + 1
			return true
		end
		self.caps_count = self.caps_count + 1
	end
	self.caps[c.ver] = features
	return true
end

return M
