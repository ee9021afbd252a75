-- ICE candidates between Jingle (XEP-0176), the relay and SDP text.
--
-- The relay's candidate is a plain table
--   { foundation, component, transport, priority, ip, port, type,
--     raddr, rport, generation }
-- and the C relay takes candidates as SDP attribute text (RFC 8839 §5.1),
-- so both directions are here. Candidates that break ICE agents are
-- dropped before they reach the relay, each with a reason for the trace
-- (docs/INTEROP.md#8).

local tonumber, tostring, ipairs, type = tonumber, tostring, ipairs, type
local math_type = math.type

local M = {}

local TYPES = { host = true, srflx = true, prflx = true, relay = true }

-- Why a client candidate must not reach the ICE agent, or nil if it may.
function M.rejection(c)
	if type(c) ~= "table" then return "not a candidate" end
	if c.priority == 0 then
		return "priority 0"
	end
	if type(c.ip) == "string" and c.ip:lower():match("%.local%.?$") then
		-- Browsers hide host addresses behind mDNS names (RFC 8839 §5.1 /
		-- draft-ietf-mmusic-mdns-ice-candidates); we cannot resolve them.
		return "mDNS .local address " .. c.ip
	end
	local proto = (c.protocol or c.transport or "udp"):lower()
	if proto ~= "udp" then
		return "unsupported protocol " .. proto
	end
	if c.port == 0 then
		return "port 0"
	end
	return nil
end

-- Jingle candidate (as parsed) -> relay candidate, or nil and the reason it
-- was dropped.
function M.from_jingle(c)
	local why = M.rejection(c)
	if why then return nil, why end
	return {
		foundation = c.foundation, component = c.component, transport = "udp",
		priority = c.priority, ip = c.ip, port = c.port, type = c.type,
		raddr = c.rel_addr, rport = c.rel_port, generation = c.generation or 0,
	}
end

-- Split a list of Jingle candidates: kept (relay form), dropped ({candidate, reason}).
function M.filter(list)
	local kept, dropped = {}, {}
	for _, c in ipairs(list or {}) do
		local rc, why = M.from_jingle(c)
		if rc then
			kept[#kept + 1] = rc
		else
			dropped[#dropped + 1] = { candidate = c, reason = why }
		end
	end
	return kept, dropped
end

-- Relay candidate -> Jingle candidate for our transport elements.
-- `id` is the XEP-0176 candidate id (unique per session; caller supplies).
function M.to_jingle(rc, id)
	local c = {
		foundation = tostring(rc.foundation), component = rc.component,
		protocol = rc.transport or "udp", priority = rc.priority, ip = rc.ip,
		port = rc.port, type = rc.type, generation = rc.generation or 0,
		network = 0, id = id or ("c" .. tostring(rc.foundation) .. "-" .. tostring(rc.component)
			.. "-" .. tostring(rc.port)),
	}
	if rc.type ~= "host" then
		-- Firefox rejects srflx/relay candidates without related address
		-- (docs/INTEROP.md#8); RFC 8839 §5.1 allows 0.0.0.0 9 when hidden.
		c.rel_addr = rc.raddr or "0.0.0.0"
		c.rel_port = rc.rport or 9
	end
	return c
end

-- Relay candidate -> SDP attribute text ("a=candidate:..." unless
-- opts.bare, which leaves the "a=" off).
function M.to_sdp(rc, opts)
	local parts = {
		"candidate:" .. tostring(rc.foundation), tostring(rc.component),
		(rc.transport or "udp"):upper(), tostring(rc.priority), rc.ip, tostring(rc.port),
		"typ", rc.type,
	}
	if rc.raddr and rc.rport then
		parts[#parts + 1] = "raddr " .. rc.raddr .. " rport " .. tostring(rc.rport)
	end
	if rc.generation then
		parts[#parts + 1] = "generation " .. tostring(rc.generation)
	end
	local line = table.concat(parts, " ")
	if opts and opts.bare then return line end
	return "a=" .. line
end

local function int(s, min, max)
	local n = tonumber(s)
	if not n or math_type(n) ~= "integer" or n < min or n > max then return nil end
	return n
end

-- SDP candidate attribute text -> relay candidate, or nil and an error.
-- Accepts "a=candidate:...", "candidate:..." and a trailing CR/LF.
function M.from_sdp(line)
	if type(line) ~= "string" then return nil, "not a string" end
	line = line:gsub("^a=", ""):gsub("[\r\n]+$", "")
	local body = line:match("^candidate:(.*)$")
	if not body then return nil, "not a candidate attribute" end
	local f = {}
	for word in body:gmatch("%S+") do f[#f + 1] = word end
	if #f < 8 or f[7] ~= "typ" then return nil, "too few fields" end
	local rc = {
		foundation = f[1], component = int(f[2], 1, 256), transport = f[3]:lower(),
		priority = int(f[4], 0, 0xffffffff), ip = f[5], port = int(f[6], 0, 65535), type = f[8],
	}
	if not rc.component or not rc.priority or not rc.port then
		return nil, "malformed component, priority or port"
	end
	if not TYPES[rc.type] then return nil, "unknown candidate type " .. tostring(rc.type) end
	local i = 9
	while f[i] and f[i + 1] do
		local k, v = f[i], f[i + 1]
		if k == "raddr" then
			rc.raddr = v
		elseif k == "rport" then
			rc.rport = int(v, 0, 65535)
		elseif k == "generation" then
			rc.generation = int(v, 0, 255)
		elseif k == "ufrag" then
			rc.ufrag = v
		elseif k == "tcptype" then
			rc.tcptype = v
		end
		i = i + 2
	end
	return rc
end

-- Does this transport start an ICE restart? XEP-0176 §5.1 / RFC 8445 §9:
-- new ufrag/pwd from the peer. Conversations signals it with a
-- transport-info carrying only new credentials (JingleRtpConnection
-- checkForIceRestart); candidates may follow in later transport-info.
-- `current` = { ufrag, pwd } we hold for the peer.
function M.is_ice_restart(current, transport, retired)
	if type(current) ~= "table" or type(transport) ~= "table" then return false end
	if M.is_stale(retired, transport) then return false end
	if not transport.ufrag or not transport.pwd then return false end
	return transport.ufrag ~= current.ufrag or transport.pwd ~= current.pwd
end

-- Is this transport from credentials we already replaced? A transport-info
-- trickled before a restart can arrive after it; Jingle has no ufrag per
-- candidate, so the transport's ufrag is compared with the set of ufrags
-- the state machine retired ({ [ufrag] = true }).
function M.is_stale(retired, transport)
	return type(retired) == "table" and type(transport) == "table"
		and transport.ufrag ~= nil and retired[transport.ufrag] == true
end

return M
