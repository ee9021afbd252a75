-- STUN and TURN for the relay's own ICE candidates, taken from the server's
-- XEP-0215 configuration: what mod_external_services (option
-- external_services) and mod_turn_external (turn_external_*) already tell
-- clients. Pure: the caller passes a getter (module:get_option) and the
-- clock; nothing here logs or touches Prosody state.
--
-- The relay does UDP only and takes IP addresses (libnice resolves nothing),
-- so the first UDP STUN entry and the first UDP TURN entry with credentials
-- whose host is an IP address are used; every entry passed over is named in
-- the notes with the reason. Resolving a host name here would block
-- Prosody's event loop at load, so a host name is a note, not a lookup.
local ip = require "util.ip"
local hashes = require "util.hashes"
local base64 = require "util.encodings".base64

local M = {}

M.DEFAULT_PORT = 3478

-- TURN REST credentials (draft-uberti-behave-turn-rest-00, as
-- mod_external_services mints them for clients): username
-- "<expiry>[:<user>]", password base64(HMAC-SHA1(secret, username)). The
-- relay keeps its configuration for its whole life (a module reload keeps
-- it too), so its own credentials are minted for a long time rather than
-- the clients' ttl: the secret's holder may mint any expiry, and a TURN
-- server only checks that the expiry has not passed.
M.RELAY_CREDENTIAL_LIFETIME = 10 * 365 * 86400

function M.rest_credentials(secret, user, expires)
	local username = type(user) == "string" and ("%d:%s"):format(expires, user) or ("%d"):format(expires)
	return username, base64.encode(hashes.hmac_sha1(secret, username))
end

local function show(item)
	return ("%s %s:%s"):format(tostring(item.type), tostring(item.host), tostring(item.port))
end

-- The service entries, in the order mod_external_services lists them:
-- external_services first, then mod_turn_external's.
local function entries(get)
	local list = {}
	local configured = get("external_services")
	if type(configured) == "table" then
		for _, item in ipairs(configured) do list[#list + 1] = item end
	end
	local secret = get("turn_external_secret")
	if type(secret) == "string" then
		local host = get("turn_external_host")
		local port = get("turn_external_port")
		for _, kind in ipairs({ "stun", "turn" }) do
			list[#list + 1] = { type = kind, transport = "udp", host = host, port = port,
				username = kind == "turn" and get("turn_external_user") or nil,
				secret = kind == "turn" and secret or nil, from_turn_external = true }
		end
	end
	return list
end

--- The relay's media settings from the XEP-0215 options.
-- get(name) -> value (module:get_option); now: seconds since the epoch.
-- Returns a table with stun_server/stun_port and turn_server/turn_port/
-- turn_username/turn_password (only those found), and a list of notes.
function M.relay_media(get, now)
	local media, notes = {}, {}
	local default_host = get("external_service_host")
	local default_port = get("external_service_port")
	local default_secret = get("external_service_secret")
	for _, item in ipairs(entries(get)) do
		if type(item) ~= "table" then
			notes[#notes + 1] = "an external_services entry is not a table: ignored"
			goto continue
		end
		local kind = item.type
		if kind ~= "stun" and kind ~= "turn" then goto continue end -- turns: TLS, not for the relay
		if (kind == "stun" and media.stun_server) or (kind == "turn" and media.turn_server) then goto continue end
		local host = type(item.host) == "string" and item.host or default_host
		local port = type(item.port) == "number" and item.port or default_port or M.DEFAULT_PORT
		local shown = show({ type = kind, host = host, port = port })
		if item.transport ~= nil and item.transport ~= "udp" then
			notes[#notes + 1] = ("%s over %s: the relay uses UDP only, skipped"):format(shown, tostring(item.transport))
			goto continue
		end
		if type(host) ~= "string" then
			notes[#notes + 1] = item.from_turn_external
				and "turn_external_secret is set without turn_external_host: the relay cannot tell which host it means"
				or ("%s has no host (nor external_service_host): skipped"):format(shown)
			goto continue
		end
		if not ip.new_ip(host) then
			notes[#notes + 1] = ("%s: the relay needs an IP address, not a host name (name it by IP in the "
				.. "configuration); skipped"):format(shown)
			goto continue
		end
		if math.type(port) ~= "integer" or port < 1 or port > 65535 then
			notes[#notes + 1] = ("%s: the port must be 1-65535; skipped"):format(shown)
			goto continue
		end
		if kind == "stun" then
			media.stun_server, media.stun_port = host, port
		else
			local username, password
			local secret = item.secret == true and default_secret or item.secret
			if type(item.password) == "string" then
				username, password = item.username, item.password
			elseif type(secret) == "string" then
				username, password = M.rest_credentials(secret, item.username, now + M.RELAY_CREDENTIAL_LIFETIME)
			end
			if type(username) ~= "string" or type(password) ~= "string" then
				notes[#notes + 1] = ("%s has no credentials (username and password, or a secret): skipped"):format(shown)
				goto continue
			end
			media.turn_server, media.turn_port = host, port
			media.turn_username, media.turn_password = username, password
		end
		::continue::
	end
	return media, notes
end

return M
