-- A minimal XMPP client for specs: plain TCP to a local Prosody, SASL PLAIN,
-- resource binding, stanzas parsed with Prosody's own util.xmppstream.
-- Lua 5.4 only (Prosody's C modules are built for it).
local socket = require "socket"
local st = require "util.stanza"
local xmppstream = require "util.xmppstream"
local base64 = require "util.encodings".base64
local id = require "util.id"

local Client = {}
Client.__index = Client

local M = {}

local function now() return socket.gettime() end

function Client:send(stanza)
	local data = tostring(stanza)
	local ok, err = self.conn:send(data)
	assert(ok, "send failed: " .. tostring(err))
end

-- Reads from the socket until pred(stanza) is true for a received stanza or
-- the timeout (seconds) passes. Stanzas not matching are queued for later.
function Client:receive(pred, timeout)
	pred = pred or function() return true end
	-- Stanzas parsed along with an earlier match wait in `incoming`: look at
	-- them too, or they would only be seen once more data arrives.
	while #self.incoming > 0 do
		self.queue[#self.queue + 1] = table.remove(self.incoming, 1)
	end
	for i, s in ipairs(self.queue) do
		if pred(s) then
			table.remove(self.queue, i)
			return s
		end
	end
	local deadline = now() + (timeout or 5)
	while now() < deadline do
		-- Short reads: receive(n) waits for all n bytes, so take what has
		-- arrived (the partial result) every 20 ms.
		self.conn:settimeout(0.02)
		local data, err, partial = self.conn:receive(4096)
		data = data or partial
		if data and #data > 0 then
			local ok, perr = self.stream:feed(data)
			assert(ok, "XML parse error: " .. tostring(perr))
			while #self.incoming > 0 do
				local s = table.remove(self.incoming, 1)
				if pred(s) then return s end
				self.queue[#self.queue + 1] = s
			end
		elseif err == "closed" then
			error("connection closed by server")
		end
	end
	return nil, "timeout"
end

-- Sends an iq and waits for the result or error with the same id.
-- (util.stanza's st.iq() insists on an id: pass one, e.g. id.short()).
function Client:iq(stanza, timeout)
	self:send(stanza)
	return self:receive(function(s)
		return s.name == "iq" and s.attr.id == stanza.attr.id
	end, timeout)
end

function Client:close()
	if self.conn then
		pcall(self.conn.send, self.conn, "</stream:stream>")
		self.conn:close()
		self.conn = nil
	end
end

local function open_stream(c)
	c.stream:reset()
	c.notopen = true -- util.xmppstream expects a stream header first
	c:send_raw(("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
		.. "xmlns:stream='http://etherx.jabber.org/streams' to='%s' version='1.0'>"):format(c.host))
	local features = assert(c:receive(function(s) return s.name == "features" end, 5),
		"no stream features")
	return features
end

function Client:send_raw(data) assert(self.conn:send(data)) end

--- Connects and logs in. opts: { host, port, user, password, resource }
function M.connect(opts)
	local c = setmetatable({ host = opts.host, queue = {}, incoming = {} }, Client)
	c.conn = assert(socket.tcp())
	c.conn:settimeout(5)
	assert(c.conn:connect(opts.address or "127.0.0.1", opts.port))
	c.stream = xmppstream.new(c, {
		default_ns = "jabber:client",
		streamopened = function(session) session.notopen = nil end,
		handlestanza = function(_, stanza) c.incoming[#c.incoming + 1] = stanza end,
		streamclosed = function() end,
		error = function(_, e, stanza) error("stream error " .. tostring(e) .. " " .. tostring(stanza)) end,
	})
	open_stream(c)
	c:send(st.stanza("auth", { xmlns = "urn:ietf:params:xml:ns:xmpp-sasl", mechanism = "PLAIN" })
		:text(base64.encode("\0" .. opts.user .. "\0" .. opts.password)))
	local result = assert(c:receive(function(s)
		return s.name == "success" or s.name == "failure"
	end, 5), "no SASL answer")
	assert(result.name == "success", "authentication failed: " .. tostring(result))
	open_stream(c)
	local bound = assert(c:iq(st.iq({ type = "set", id = id.short() })
		:tag("bind", { xmlns = "urn:ietf:params:xml:ns:xmpp-bind" })
		:tag("resource"):text(opts.resource or "spec")))
	assert(bound.attr.type == "result", "bind failed: " .. tostring(bound))
	c.jid = bound:get_child("bind", "urn:ietf:params:xml:ns:xmpp-bind"):get_child_text("jid")
	return c
end

return M
