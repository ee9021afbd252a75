-- The XEP-0115 (v1.6) caps node each caller's client announced, by full
-- JID: how the gateway tells Dino from Gajim from Conversations where their
-- parsers differ (jingle_sip.jingle.answer.decline_style). Local users'
-- nodes come from their sessions' presence; other servers' users reach a
-- phone JID's presence handler once subscribed, and are kept here until
-- their presence goes unavailable.

local CAPS = "http://jabber.org/protocol/caps"

-- A remote server could announce any number of resources: past this many
-- the newest are not kept (their calls decline video the default way).
local MAX_KEPT = 10000

local M = {}
local Nodes = {}
Nodes.__index = Nodes

--- local_presence(full_jid): the presence stanza of a local session, or nil.
function M.new(local_presence)
	return setmetatable({ kept = {}, count = 0, local_presence = local_presence }, Nodes)
end

local function node_in(presence)
	local c = presence and presence:get_child("c", CAPS)
	local node = c and c.attr.node
	return type(node) == "string" and node or nil
end

--- A presence stanza to one of our JIDs (any type).
function Nodes:observe(presence)
	local from, kind = presence.attr.from, presence.attr.type
	if not from then return end
	if kind == nil then
		local node = node_in(presence)
		if node and not self.kept[from] and self.count >= MAX_KEPT then return end
		if not self.kept[from] and node then self.count = self.count + 1 end
		if self.kept[from] and not node then self.count = self.count - 1 end
		self.kept[from] = node
	elseif kind == "unavailable" and self.kept[from] then
		self.kept[from] = nil
		self.count = self.count - 1
	end
end

--- The caps node `full_jid` announced, or nil.
function Nodes:node_of(full_jid)
	if not full_jid then return nil end
	return node_in(self.local_presence and self.local_presence(full_jid)) or self.kept[full_jid]
end

return M
