-- Calls in progress and node heartbeats in the shared storage, so a node
-- can end the calls of a node that died (docs/DEPLOY.md, "What fails over,
-- and how"). Pure: the module passes the stores, the clocks and sending.
--
--   calls store (keyval view and map view of one store "jingle_sip_calls"):
--     user = node id, key = "<sid> <client full JID>",
--     value = { sid, peer (the client's full JID), phone (the phone JID),
--               node, instance, started (os.time()) }
--     and for an inbound call still ringing the owner's devices (JMI):
--     key = "ring <sid>", value = { kind = "ring", sid, peer (the owner's
--               bare JID), phone (the caller's phone JID), namespace, ... }
--   nodes store (keyval "jingle_sip_nodes"):
--     user = node id, value = { node, instance, seq, last_seen (os.time()) }
--
-- A node writes its heartbeat every tick (seq + 1). Staleness is judged on
-- the observer's own clock: a node whose record has not changed for longer
-- than `timeout` seconds since this node first saw it (or saw it change) is
-- dead, so the nodes' wall clocks need not agree. Of the nodes alive, the
-- one with the lowest id takes a dead node over (so two survivors do not
-- both): every recorded call of it gets a session-terminate from its phone
-- JID (<connectivity-error/>, "gateway node failed"), then its call records
-- and its heartbeat are removed, the calls counted and logged at warning
-- level; a ring gets a JMI <retract/> to the owner's bare JID with the same
-- reason, so the devices stop ringing. With no other node's record (a single node), nothing is taken over.
local build = require "jingle_sip.jingle.build"
local jmi = require "jingle_sip.jingle.jmi"

local M = {}

M.condition = "connectivity-error"
M.text = "gateway node failed"

--- The default node id: "<host name>:<SIP port>" (two nodes on one machine
-- differ by their jingle_sip_listen port).
function M.default_id(port, read_hostname)
	local name = (read_hostname or function()
		local f = io.open("/proc/sys/kernel/hostname")
		if not f then return nil end
		local n = f:read("l")
		f:close()
		return n
	end)()
	if type(name) ~= "string" or name == "" then name = "gateway" end
	return ("%s:%s"):format(name, tostring(port or 5060))
end

--- fn_a then fn_b (either may be nil).
function M.chain(fn_a, fn_b)
	if not fn_a then return fn_b end
	return function(...)
		fn_a(...)
		return fn_b(...)
	end
end

local Registry = {}
Registry.__index = Registry

--- opts = { node (id), instance (unique per process), host (component),
--   calls_kv (keyval: get/set/users), calls_map (map: set(user, key, v)),
--   nodes_kv (keyval), timeout (s), clock() (monotonic s), wall() (os.time),
--   send(stanza), log(level, fmt, ...), count(n) (optional: the metric) }
function M.new(opts)
	return setmetatable({
		node = opts.node, instance = opts.instance, host = opts.host,
		calls_kv = opts.calls_kv, calls_map = opts.calls_map, nodes_kv = opts.nodes_kv,
		timeout = opts.timeout, clock = opts.clock, wall = opts.wall or os.time,
		send = opts.send, log = opts.log or function() end, count = opts.count or function() end,
		seq = 0,
		seen = {},          -- node id -> { seq, instance, changed_at (clock) }
		taken_over = 0,     -- calls of dead nodes ended by this node
		nodes_taken_over = 0,
		dropped = 0,        -- unusable call records removed (not our component, malformed)
		storage_errors = 0,
	}, Registry)
end

local function call_key(sid, peer) return sid .. " " .. peer end

function Registry:storage_error(what, err)
	self.storage_errors = self.storage_errors + 1
	self.log("warn", "Node registry: cannot %s: %s", what, tostring(err))
end

--- A call's session started on this node: record it.
function Registry:call_started(call)
	if not (call.sid and call.peer and call.phone) then return end
	local ok, err = self.calls_map:set(self.node, call_key(call.sid, call.peer), {
		sid = call.sid, peer = call.peer, phone = call.phone, node = self.node, instance = self.instance,
		started = math.floor(self.wall()),
	})
	if not ok then self:storage_error("record call " .. call.sid, err) end
end

--- The call's session ended: remove its record.
function Registry:call_ended(call)
	if not (call.sid and call.peer) then return end
	local ok, err = self.calls_map:set(self.node, call_key(call.sid, call.peer), nil)
	if not ok then self:storage_error("remove call " .. call.sid, err) end
end

--- An inbound call started (ringing = true) or stopped ringing the
-- owner's devices through JMI.
function Registry:ring(ring, ringing)
	if not (ring.sid and ring.peer_jid and ring.local_jid) then return end
	local value = ringing and { kind = "ring", sid = ring.sid, peer = ring.peer_jid, phone = ring.local_jid,
		namespace = ring.namespace, node = self.node, instance = self.instance, started = math.floor(self.wall()) }
		or nil
	local ok, err = self.calls_map:set(self.node, "ring " .. ring.sid, value)
	if not ok then self:storage_error((ringing and "record" or "remove") .. " ring " .. ring.sid, err) end
end

--- Writes this node's heartbeat.
function Registry:heartbeat()
	self.seq = self.seq + 1
	local ok, err = self.nodes_kv:set(self.node, { node = self.node, instance = self.instance, seq = self.seq,
		last_seen = math.floor(self.wall()) })
	if not ok then self:storage_error("write the heartbeat", err) end
	return ok
end

-- Every node's heartbeat record: { [id] = record }, or nil, err.
function Registry:read_nodes()
	-- users() returns a generic-for triple (mod_storage_sql: function, state).
	local ok, ids = pcall(function()
		local list = {}
		for id in self.nodes_kv:users() do list[#list + 1] = id end
		return list
	end)
	if not ok then return nil, ids end
	local out = {}
	for _, id in ipairs(ids) do
		local rec, err = self.nodes_kv:get(id)
		if rec == nil and err then return nil, err end
		if type(rec) == "table" then out[id] = rec end
	end
	return out
end

-- Ends the recorded calls `records` ({ key -> record }) of node `id`:
-- session-terminate to each client, from its phone JID. Returns how many.
function Registry:end_calls(id, records, why)
	local ended = 0
	for _, r in pairs(type(records) == "table" and records or {}) do
		local phone_host = type(r) == "table" and type(r.phone) == "string" and r.phone:match("@([^@/]+)$")
		if phone_host == self.host and type(r.sid) == "string" and type(r.peer) == "string" then
			if r.kind == "ring" then
				self.send(jmi.build("retract", { from = r.phone, to = r.peer, id = r.sid,
					namespace = type(r.namespace) == "string" and r.namespace or nil,
					reason = { condition = M.condition, text = M.text } }))
			else
				self.send(build.iq(build.session_terminate(r.sid, M.condition, M.text),
					{ from = r.phone, to = r.peer, id = "node-failed-" .. r.sid }))
			end
			ended = ended + 1
			self.log("info", "Node registry: ended call %s of %s (%s, on node %s)", r.sid, r.peer, r.phone, id)
		else
			self.dropped = self.dropped + 1
		end
	end
	if ended > 0 or why then
		self.log("warn", "Gateway node %s failed (%s): ended its %d call(s) in progress with %s \"%s\"",
			id, why or "", ended, M.condition, M.text)
	end
	return ended
end

-- Takes dead node `id` over: its calls end, its records go.
function Registry:take_over(id, why)
	local records, err = self.calls_kv:get(id)
	if records == nil and err then return self:storage_error("read the calls of node " .. id, err) end
	local ended = self:end_calls(id, records, why)
	local ok, serr = self.calls_kv:set(id, nil)
	if not ok then self:storage_error("remove the calls of node " .. id, serr) end
	ok, serr = self.nodes_kv:set(id, nil)
	if not ok then self:storage_error("remove the heartbeat of node " .. id, serr) end
	self.seen[id] = nil
	self.taken_over = self.taken_over + ended
	if ended > 0 then self.count(ended) end
	self.nodes_taken_over = self.nodes_taken_over + 1
	return ended
end

--- Ends this node's own records left by an earlier process under the same
-- id (it crashed and was started again within the bound, so no other node
-- saw it stale). Call once, on a fresh load (not a reload).
function Registry:end_own_orphans()
	local records, err = self.calls_kv:get(self.node)
	if records == nil and err then return self:storage_error("read this node's calls", err) end
	local orphans, n = {}, 0
	for key, r in pairs(type(records) == "table" and records or {}) do
		if type(r) ~= "table" or r.instance ~= self.instance then
			orphans[key] = r
			n = n + 1
		end
	end
	if n == 0 then return 0 end
	local ended = self:end_calls(self.node, orphans, "restarted: calls of its previous run")
	for key in pairs(orphans) do
		local ok, serr = self.calls_map:set(self.node, key, nil)
		if not ok then self:storage_error("remove an orphaned call", serr) end
	end
	self.taken_over = self.taken_over + ended
	if ended > 0 then self.count(ended) end
	return ended
end

--- One tick: read the heartbeats, write ours, take dead nodes over. Returns the ids taken over.
function Registry:tick()
	local nodes, err = self:read_nodes()
	self:heartbeat()
	if not nodes then
		self:storage_error("read the nodes' heartbeats", err)
		return {}
	end
	local now = self.clock()
	local alive, dead = { self.node }, {}
	for id, rec in pairs(nodes) do
		if id ~= self.node then
			local s = self.seen[id]
			if not s or s.seq ~= rec.seq or s.instance ~= rec.instance then
				self.seen[id] = { seq = rec.seq, instance = rec.instance, changed_at = now }
				alive[#alive + 1] = id
			elseif now - s.changed_at > self.timeout then
				dead[#dead + 1] = id
			else
				alive[#alive + 1] = id
			end
		elseif self.seq > 1 and rec.instance ~= self.instance and not self.conflict then
			-- (seq > 1: this node wrote before; a record of an earlier run is no conflict)
			self.conflict = true
			self.log("error", "Node registry: another process writes node id %s too (instance %s): "
				.. "give each node its own jingle_sip_node_id", self.node, tostring(rec.instance))
		end
	end
	for id in pairs(self.seen) do
		if not nodes[id] then self.seen[id] = nil end
	end
	table.sort(alive)
	local taken = {}
	if alive[1] ~= self.node then return taken end -- the lowest live id takes over
	table.sort(dead)
	for _, id in ipairs(dead) do
		self:take_over(id, ("no heartbeat for more than %d s"):format(self.timeout))
		taken[#taken + 1] = id
	end
	return taken
end

--- A clean stop (unload without reload): this node's heartbeat goes, so no
-- other node takes it over (its calls were hung up one by one).
function Registry:stop()
	local ok, err = self.nodes_kv:set(self.node, nil)
	if not ok then self:storage_error("remove the heartbeat", err) end
end

--- One line for jingle_sip:status().
function Registry:summary()
	local others = 0
	for _ in pairs(self.seen) do others = others + 1 end
	return ("nodes: this is %s, %d other node(s) heartbeating (dead after %d s); %d call(s) of failed nodes "
		.. "ended (%d node(s) taken over), %d unusable record(s) dropped, %d storage error(s)"):format(self.node,
		others, self.timeout, self.taken_over, self.nodes_taken_over, self.dropped, self.storage_errors)
end

return M
