-- Calls in progress and heartbeats in shared storage, and the takeover of a
-- node that died (plugin/jingle_sip/node_registry.lua), over in-memory
-- stores with the storage API's shape (keyval and its map view) shared by
-- several registries as PostgreSQL is shared by the nodes. The real thing:
-- spec/e2e/ha_failover_spec.lua (two Prosodys on PostgreSQL, one killed).
local node_registry = require "jingle_sip.node_registry"

local HOST = "phone.example.net"

-- One storage "table" (keyval user -> { key -> value }) with both views.
local function shared_store()
	local data = {}
	local kv, map = { data = data }, {}
	function kv:get(user) -- luacheck: ignore 212/self
		if kv.fail then return nil, "database down" end
		local t = data[user]
		if t == nil then return nil end
		local copy = {}
		for k, v in pairs(t) do copy[k] = v end
		return copy
	end
	function kv:set(user, value) -- luacheck: ignore 212/self
		if kv.fail then return nil, "database down" end
		data[user] = value
		return true
	end
	function kv:users() -- luacheck: ignore 212/self
		if kv.fail then error("database down") end
		local keys = {}
		for k in pairs(data) do keys[#keys + 1] = k end
		-- A generic-for triple, as mod_storage_sql's (function, state).
		local i = 0
		return function(next_row) return next_row() end, function() i = i + 1; return keys[i] end, nil
	end
	function map:set(user, key, value) -- luacheck: ignore 212/self
		if kv.fail then return nil, "database down" end
		data[user] = data[user] or {}
		data[user][key] = value
		if next(data[user]) == nil then data[user] = nil end
		return true
	end
	return kv, map
end

-- Nodes sharing the stores, with a clock each and their own sent stanzas.
local function cluster(timeout)
	local calls_kv, calls_map = shared_store()
	local nodes_kv = shared_store()
	local c = { calls = calls_kv, nodes_kv = nodes_kv, t = 100 }
	function c.node(id, instance)
		local n = { sent = {}, logs = {}, counted = 0 }
		n.reg = node_registry.new({
			node = id, instance = instance or (id .. "-1"), host = HOST, timeout = timeout or 10,
			calls_kv = calls_kv, calls_map = calls_map, nodes_kv = nodes_kv,
			clock = function() return c.t end, wall = function() return 1700000000 + c.t end,
			send = function(stanza) n.sent[#n.sent + 1] = stanza end,
			log = function(level, fmt, ...) n.logs[#n.logs + 1] = { level = level, text = fmt:format(...) } end,
			count = function(k) n.counted = n.counted + k end,
		})
		return n
	end
	return c
end

local function call(sid, peer, phone)
	return { sid = sid, peer = peer, phone = phone or ("+15550100@" .. HOST) }
end

-- The session-terminates a node sent: { sid = { to, from, condition, text } }.
local function terminates(node)
	local out = {}
	for _, s in ipairs(node.sent) do
		local j = s:get_child("jingle", "urn:xmpp:jingle:1")
		assert.equal("session-terminate", j.attr.action)
		local reason = j:get_child("reason")
		local condition
		for _, tag in ipairs(reason.tags) do
			if tag.name ~= "text" then condition = tag.name end
		end
		out[j.attr.sid] = { to = s.attr.to, from = s.attr.from, type = s.attr.type, condition = condition,
			text = reason:get_child_text("text") }
	end
	return out
end

local function has_log(node, level, pattern)
	for _, l in ipairs(node.logs) do
		if l.level == level and l.text:find(pattern, 1, true) then return true end
	end
	return false
end

describe("jingle_sip.node_registry #lua54", function()
	it("should record a call while it lasts and write a heartbeat that moves", function()
		local c = cluster()
		local a = c.node("gw1:5060")
		a.reg:call_started(call("s1", "bob@users.example/phone"))
		local rec = c.calls:get("gw1:5060")["s1 bob@users.example/phone"]
		assert.same({ sid = "s1", peer = "bob@users.example/phone", phone = "+15550100@" .. HOST,
			node = "gw1:5060", instance = "gw1:5060-1", started = 1700000100 }, rec)
		a.reg:tick()
		local hb = c.nodes_kv:get("gw1:5060")
		assert.equal(1, hb.seq)
		assert.equal(1700000100, hb.last_seen)
		a.reg:tick()
		assert.equal(2, c.nodes_kv:get("gw1:5060").seq)
		a.reg:call_ended(call("s1", "bob@users.example/phone"))
		assert.is_nil(c.calls:get("gw1:5060"))
	end)

	it("should never take anything over on a single node", function()
		local c = cluster(2)
		local a = c.node("gw1:5060")
		a.reg:call_started(call("s1", "bob@users.example/phone"))
		for _ = 1, 10 do
			c.t = c.t + 5
			assert.same({}, a.reg:tick())
		end
		assert.same({}, a.sent)
		assert.is_not_nil(c.calls:get("gw1:5060")["s1 bob@users.example/phone"])
	end)

	it("should end a dead node's calls with connectivity-error from the phone JID, once, after the bound", function()
		local c = cluster(10)
		local a, b = c.node("gw1:5060"), c.node("gw2:5060")
		a.reg:call_started(call("s1", "bob@users.example/phone", "+15550100@" .. HOST))
		a.reg:call_started(call("s2", "alice@users.example/web", "+15557654321@" .. HOST))
		b.reg:call_started(call("s3", "carol@users.example/x"))
		a.reg:tick()
		b.reg:tick()
		-- a dies: b sees its heartbeat stand still, but not past the bound yet.
		for _ = 1, 4 do
			c.t = c.t + 2.5
			assert.same({}, b.reg:tick())
		end
		assert.same({}, b.sent)
		c.t = c.t + 2.5 -- 12.5 s since b last saw a's heartbeat change
		assert.same({ "gw1:5060" }, b.reg:tick())
		assert.same({
			s1 = { to = "bob@users.example/phone", from = "+15550100@" .. HOST, type = "set",
				condition = "connectivity-error", text = "gateway node failed" },
			s2 = { to = "alice@users.example/web", from = "+15557654321@" .. HOST, type = "set",
				condition = "connectivity-error", text = "gateway node failed" },
		}, terminates(b))
		-- Its records and heartbeat are gone; b's own call stays.
		assert.is_nil(c.calls:get("gw1:5060"))
		assert.is_nil(c.nodes_kv:get("gw1:5060"))
		assert.is_not_nil(c.calls:get("gw2:5060")["s3 carol@users.example/x"])
		assert.equal(2, b.reg.taken_over)
		assert.equal(2, b.counted)
		assert.is_true(has_log(b, "warn", "Gateway node gw1:5060 failed"))
		assert.truthy(b.reg:summary():find("2 call(s) of failed nodes ended", 1, true))
		-- Nothing twice.
		c.t = c.t + 30
		assert.same({}, b.reg:tick())
		assert.equal(2, #b.sent)
	end)

	it("should retract a dead node's inbound call still ringing the owner's devices", function()
		local c = cluster(2)
		local a, b = c.node("gw1"), c.node("gw2")
		local ring = { sid = "r1", peer_jid = "alice@users.example", local_jid = "+15551112222@" .. HOST }
		a.reg:ring(ring, true)
		local gone = { sid = "r2", peer_jid = "carol@users.example", local_jid = "+15553334444@" .. HOST }
		a.reg:ring(gone, true)
		a.reg:ring(gone, false) -- answered or ended: no record left
		assert.same({ "ring r1" }, (function()
			local keys = {}
			for k in pairs(c.calls:get("gw1")) do keys[#keys + 1] = k end
			return keys
		end)())
		a.reg:tick(); b.reg:tick()
		c.t = c.t + 5
		assert.same({ "gw1" }, b.reg:tick())
		assert.equal(1, #b.sent)
		local m = b.sent[1]
		assert.equal("message", m.name)
		assert.equal("alice@users.example", m.attr.to)
		assert.equal("+15551112222@" .. HOST, m.attr.from)
		local retract = m:get_child("retract", "urn:xmpp:jingle-message:0")
		assert.equal("r1", retract.attr.id)
		local reason = retract:get_child("reason", "urn:xmpp:jingle:1")
		assert.is_not_nil(reason:get_child("connectivity-error"))
		assert.equal("gateway node failed", reason:get_child_text("text"))
		assert.is_nil(c.calls:get("gw1"))
	end)

	it("should leave the takeover to the live node with the lowest id", function()
		local c = cluster(4)
		local a, b, d = c.node("gw1"), c.node("gw2"), c.node("gw3")
		a.reg:call_started(call("s1", "bob@users.example/phone"))
		for _ = 1, 4 do
			a.reg:tick(); b.reg:tick(); d.reg:tick()
			c.t = c.t + 1
		end
		-- gw1 dies; gw2 and gw3 tick on.
		for _ = 1, 8 do
			c.t = c.t + 1
			d.reg:tick()
			b.reg:tick()
		end
		assert.equal(1, #b.sent)
		assert.equal(0, #d.sent)
	end)

	it("should count a live node that restarted as alive and end its previous run's calls itself", function()
		local c = cluster(10)
		local a, b = c.node("gw1", "run-1"), c.node("gw2")
		a.reg:call_started(call("old", "bob@users.example/phone"))
		a.reg:tick(); b.reg:tick()
		-- gw1 crashes and is back within the bound: a new instance.
		c.t = c.t + 3
		local a2 = c.node("gw1", "run-2")
		a2.reg:call_started(call("new", "alice@users.example/web"))
		assert.equal(1, a2.reg:end_own_orphans())
		assert.same({ "old" }, (function()
			local sids = {}
			for sid in pairs(terminates(a2)) do sids[#sids + 1] = sid end
			return sids
		end)())
		local left = c.calls:get("gw1")
		assert.is_nil(left["old bob@users.example/phone"])
		assert.is_not_nil(left["new alice@users.example/web"])
		for _ = 1, 10 do
			c.t = c.t + 2.5
			a2.reg:tick()
			assert.same({}, b.reg:tick())
		end
	end)

	it("should drop records it cannot use, counted, and survive a failing store", function()
		local c = cluster(2)
		local a, b = c.node("gw1"), c.node("gw2")
		a.reg:tick(); b.reg:tick()
		c.calls:set("gw1", { junk = "x", other = { sid = "s9", peer = "p@x/y", phone = "+1555@elsewhere.example" },
			ok = { sid = "s1", peer = "bob@users.example/phone", phone = "+15550100@" .. HOST } })
		c.nodes_kv.fail = true
		c.t = c.t + 5
		assert.same({}, b.reg:tick())
		assert.is_true(b.reg.storage_errors > 0)
		c.nodes_kv.fail = false
		c.t = c.t + 5
		assert.same({ "gw1" }, b.reg:tick())
		assert.equal(1, #b.sent)
		assert.equal(2, b.reg.dropped)
	end)

	it("should leave no heartbeat after a clean stop, so nobody takes it over", function()
		local c = cluster(2)
		local a, b = c.node("gw1"), c.node("gw2")
		a.reg:tick(); b.reg:tick()
		a.reg:stop()
		c.t = c.t + 10
		assert.same({}, b.reg:tick())
		assert.is_nil(c.nodes_kv:get("gw1"))
	end)

	it("should say when another process writes under its own id", function()
		local c = cluster(2)
		local a, a_twin = c.node("gw1", "i1"), c.node("gw1", "i2")
		a.reg:tick(); a_twin.reg:tick(); a.reg:heartbeat()
		a_twin.reg:tick()
		assert.is_true(has_log(a_twin, "error", "another process writes node id gw1"))
	end)

	it("should derive a default id from the host name and SIP port", function()
		assert.equal("gw-a:5070", node_registry.default_id(5070, function() return "gw-a" end))
		assert.equal("gateway:5060", node_registry.default_id(nil, function() return nil end))
	end)
end)
