-- Configuration: every jingle_sip_* option, read typed and validated once at
-- module load, and what the relay is given from it (relay_config). Pure: the
-- caller passes a getter (module:get_option) and the component's host;
-- nothing here logs or touches Prosody state.
--
-- parse() never raises on operator mistakes: it returns the configuration
-- with a safe value in place of each bad one, plus a list of errors (each
-- names the option, the value and what is expected). The module refuses
-- calls while that list is not empty, so a typo can never widen who may call
-- what. README.md's configuration table lists the same options and defaults.
local jid = require "util.jid"
local ip = require "util.ip"
local numbers = require "jingle_sip.numbers"
local external_services = require "jingle_sip.external_services"

local M = {}

-- Defaults. Safe ones: nothing may be dialled until a dial plan says so, and
-- only users of the component's parent domain may dial (see README.md).
M.defaults = {
	relay_workers = 0,
	max_calls = "auto",
	trunk_source_filter = true,
	invite_rate = 10,
	max_transcoded_calls = 20,
	media_tick_us = 0,
	listen = "0.0.0.0:5060",
	register = false,
	rtp_port_range = { 16384, 32767 },
	dialplan = {},
	numbers = {},
	max_calls_per_user = 2,
	ring_timeout = 60,
	max_call_duration = 14400,
	trunk_check_interval = 30,
	media_timeout = 30,
	symmetric_rtp = true,
	missed_call_message = true,
	trunk_media_timeout = 60,
	node_timeout = 10,
}

-- Every option this module reads, in README order.
M.options = {
	"jingle_sip_trunk", "jingle_sip_trunk_sources", "jingle_sip_trunk_source_filter", "jingle_sip_invite_rate",
	"jingle_sip_listen", "jingle_sip_username", "jingle_sip_password",
	"jingle_sip_register", "jingle_sip_media_address", "jingle_sip_media_port_range", "jingle_sip_rtp_address",
	"jingle_sip_rtp_port_range",
	"jingle_sip_allow", "jingle_sip_dialplan", "jingle_sip_numbers", "jingle_sip_max_calls_per_user",
	"jingle_sip_ring_timeout", "jingle_sip_max_call_duration", "jingle_sip_relay_workers",
	"jingle_sip_max_calls", "jingle_sip_max_transcoded_calls", "jingle_sip_media_tick_us",
	"jingle_sip_trunk_check_interval",
	"jingle_sip_media_timeout", "jingle_sip_trunk_media_timeout", "jingle_sip_symmetric_rtp",
	"jingle_sip_missed_call_message", "jingle_sip_default_country", "jingle_sip_node_id",
	"jingle_sip_node_timeout",
}

-- Old names still read, each with its replacement. Prosody 0.12 warns that
-- any option ending in _ports "has no effect for virtual hosts" (it takes
-- them for listener ports), so the RTP range got a name it leaves alone.
M.deprecated = {
	jingle_sip_rtp_ports = "jingle_sip_rtp_port_range",
}

--- The domain whose users may dial by default: the component's parent
-- (phone.example.net -> example.net); nil for a single-label host.
function M.parent_domain(host)
	return host:match("^[^.]+%.(.+)$")
end

local function show(v)
	if type(v) == "string" then return ("%q"):format(v) end
	return tostring(v)
end

--- Parses a SIP URI of the trunk: sip:host[:port][;params] or sips:...
-- Returns { uri, scheme, host, port, transport } or nil, text.
function M.parse_trunk(v)
	if type(v) ~= "string" then return nil, "expected a SIP URI string such as \"sip:sip.example.com\"" end
	local scheme, rest = v:match("^(sips?):(.+)$")
	if not scheme then
		return nil, ("%s is not a SIP URI: it must start with sip: or sips:"):format(show(v))
	end
	local hostport, params = rest:match("^([^;]*)(.*)$")
	hostport = hostport:gsub("^[^@]*@", "") -- user part, if any, is not ours to check
	local host, port
	if hostport:sub(1, 1) == "[" then
		host, port = hostport:match("^%[([%x:.]+)%]:?(%d*)$")
	else
		host, port = hostport:match("^([%w%-%.]+):?(%d*)$")
	end
	if not host or host == "" then
		return nil, ("%s has no valid host"):format(show(v))
	end
	port = tonumber(port)
	if port and (port < 1 or port > 65535) then
		return nil, ("%s: port %d is out of range 1-65535"):format(show(v), port)
	end
	local transport = params:match(";transport=(%a+)")
	transport = transport and transport:lower()
	if transport and transport ~= "udp" and transport ~= "tcp" and transport ~= "tls" then
		return nil, ("%s: transport must be udp, tcp or tls"):format(show(v))
	end
	return { uri = v, scheme = scheme, host = host, port = port, transport = transport }
end

--- Parses "address:port" ("[v6]:port" for IPv6). Returns { address, port } or nil, text.
function M.parse_listen(v)
	if type(v) ~= "string" then return nil, "expected \"address:port\", e.g. \"0.0.0.0:5060\"" end
	local addr, port = v:match("^%[([%x:.]+)%]:(%d+)$")
	if not addr then addr, port = v:match("^([%d.]+):(%d+)$") end
	if not addr or not ip.new_ip(addr) then
		return nil, ("%s is not \"address:port\" with an IP address (IPv6 as \"[::1]:5060\")"):format(show(v))
	end
	port = tonumber(port)
	if port < 1 or port > 65535 then
		return nil, ("%s: port %d is out of range 1-65535"):format(show(v), port)
	end
	return { address = addr, port = port }
end

local function parse_ip(v)
	if type(v) ~= "string" or not ip.new_ip(v) then
		return nil, ("%s is not an IP address"):format(show(v))
	end
	return v
end

local function parse_integer(v, min, max)
	local n = tonumber(v)
	if type(v) == "boolean" or not n or n ~= math.floor(n) or n < min or (max and n > max) then
		return nil, ("%s is not a whole number %s"):format(show(v),
			max and ("from %d to %d"):format(min, max) or ("of at least %d"):format(min))
	end
	return math.tointeger(n) or n
end

local function parse_boolean(v)
	if v == true or v == "true" then return true end
	if v == false or v == "false" then return false end
	return nil, ("%s is not true or false"):format(show(v))
end

local function as_list(v)
	if type(v) == "table" then return v end
	return { v } -- one item given without braces, as Prosody's get_option_array allows
end

--- Parses the trusted SIP sources: IPs or CIDRs, IPv4 and IPv6 (at most 64,
-- the relay's limit). Returns a list of "address[/bits]" strings or nil, text.
function M.parse_sources(v)
	local list = {}
	for _, item in ipairs(as_list(v)) do
		local addr, bits
		if type(item) == "string" then addr, bits = item:match("^([^/]+)/?(%d*)$") end
		local parsed = addr and ip.new_ip(addr)
		local max = parsed and (parsed.proto == "IPv6" and 128 or 32)
		if not parsed or (bits ~= "" and tonumber(bits) > max) then
			return nil, ("%s is not an IP address or CIDR (\"192.0.2.10\", \"198.51.100.0/24\", \"2001:db8::/32\")")
				:format(show(item))
		end
		list[#list + 1] = item
	end
	if #list == 0 then return nil, "the list is empty: no SIP could be received" end
	if #list > 64 then return nil, ("%d entries: at most 64"):format(#list) end
	return list
end

--- Parses jingle_sip_max_calls: "auto" or a whole number (0 = no limit).
local function parse_max_calls(v)
	if v == "auto" then return v end
	local n = tonumber(v)
	if type(v) == "boolean" or not n or n ~= math.floor(n) or n < 0 then
		return nil, ("%s is not \"auto\" or a whole number of at least 0"):format(show(v))
	end
	return math.tointeger(n) or n
end

local function parse_range(v, example)
	if type(v) ~= "table" or #v ~= 2 then
		return nil, ("%s is not a range { first, last }, e.g. %s"):format(show(v), example)
	end
	local lo, e1 = parse_integer(v[1], 1024, 65535)
	local hi, e2 = parse_integer(v[2], 1024, 65535)
	if not lo or not hi then return nil, e1 or e2 end
	return lo, hi
end

--- Parses the SIP leg's RTP port range {min, max}. Returns { min, max } or nil, text.
function M.parse_port_range(v)
	local lo, hi = parse_range(v, "{ 16384, 32767 }")
	if not lo then return nil, hi end
	if hi - lo < 1 then
		return nil, ("{ %d, %d } holds no RTP/RTCP port pair: the last port must be above the first"):format(lo, hi)
	end
	return { lo, hi }
end

--- Parses the client-facing (ICE) port range {min, max}: one port per call
-- and component, so a single port is a valid (if tiny) range.
-- Returns { min, max } or nil, text.
function M.parse_media_port_range(v)
	local lo, hi = parse_range(v, "{ 40000, 40999 }")
	if not lo then return nil, hi end
	if hi < lo then
		return nil, ("{ %d, %d }: the last port must not be below the first"):format(lo, hi)
	end
	return { lo, hi }
end

--- Parses the allow list: domains or bare JIDs. Returns a set
-- { [domain or bare JID] = true } or nil, text.
function M.parse_allow(v)
	local set = {}
	for _, item in ipairs(as_list(v)) do
		if type(item) ~= "string" then
			return nil, ("%s is not a domain or bare JID string"):format(show(item))
		end
		if item:find("*", 1, true) then
			return nil, ("%s: wildcards are not supported; list each domain (subdomains are not "
				.. "included automatically)"):format(show(item))
		end
		local prepped = jid.prep(item)
		if not prepped then return nil, ("%s is not a valid domain or JID"):format(show(item)) end
		local _, _, resource = jid.split(prepped)
		if resource then
			return nil, ("%s has a resource; give a domain or a bare JID"):format(show(item))
		end
		set[prepped] = true
	end
	return set
end

--- Parses the dial plan: Lua patterns matched against canonical E.164
-- numbers ("+15551234567"). A pattern must start with "^" so it cannot match
-- in the middle of a longer number; "!^..." denies, and a deny always wins.
-- Returns { allow = {...}, deny = {...} } or nil, text.
function M.parse_dialplan(v)
	local plan = { allow = {}, deny = {} }
	for _, item in ipairs(as_list(v)) do
		if type(item) ~= "string" then
			return nil, ("%s is not a Lua pattern string"):format(show(item))
		end
		local deny, pattern = item:match("^(!?)(.*)$")
		if pattern:sub(1, 1) ~= "^" then
			return nil, ("%s must start with ^ (or !^ to deny), so it matches from the number's "
				.. "start, e.g. \"^%%+1%%d+$\""):format(show(item))
		end
		local ok, err = pcall(string.find, "+15551234567", pattern)
		if not ok then
			return nil, ("%s is not a valid Lua pattern: %s"):format(show(item), tostring(err):gsub("^.-:%d+: ", ""))
		end
		local list = deny == "!" and plan.deny or plan.allow
		list[#list + 1] = pattern
	end
	return plan
end

--- Parses the default country of national numbers (jabber:iq:gateway):
-- an ISO 3166-1 code of jingle_sip.numbers' table, any case. Returns the
-- upper-case code or nil, text.
function M.parse_country(v)
	local iso = type(v) == "string" and v:upper()
	if not iso or not numbers.countries[iso] then
		return nil, ("%s is not a supported country; one of %s"):format(show(v),
			table.concat(numbers.country_list(), ", "))
	end
	return iso
end

--- Parses number seeds { ["+E.164"] = "user@domain" }. Returns
-- { [number] = bare JID } or nil, text.
function M.parse_numbers(v)
	if type(v) ~= "table" then
		return nil, ("%s is not a table { [\"+15551234567\"] = \"user@example.net\" }"):format(show(v))
	end
	local out = {}
	for k, owner in pairs(v) do
		local number, _, text = numbers.normalize(k)
		if not number then return nil, text end
		local prepped = type(owner) == "string" and jid.prep(owner)
		local node, _, resource = jid.split(prepped or "")
		if not prepped or not node or resource then
			return nil, ("owner of %s: %s is not a bare user JID (user@domain)"):format(number, show(owner))
		end
		if out[number] and out[number] ~= prepped then
			return nil, ("%s is listed twice with different owners"):format(number)
		end
		out[number] = prepped
	end
	return out
end

--- Option names starting with jingle_sip_ that this module does not know,
-- sorted. A misspelt option is an error, not a silent default: a typo in
-- jingle_sip_allow would otherwise open calls to the whole parent domain.
function M.unknown_options(names)
	local known, unknown = {}, {}
	for _, name in ipairs(M.options) do known[name] = true end
	for name in pairs(M.deprecated) do known[name] = true end
	for _, name in ipairs(names) do
		if type(name) == "string" and name:match("^jingle_sip_") and not known[name] then
			unknown[#unknown + 1] = name
		end
	end
	table.sort(unknown)
	return unknown
end

--- Reads and checks every option. get(name) returns the raw option value
-- (nil when unset); host is the component's domain; names (optional) lists
-- the option names set for the component, to catch misspelt ones.
-- Returns cfg, errors (list of strings; empty when all is well),
-- warnings (list of strings: valid but probably not what the operator wants).
function M.parse(get, host, names)
	local d = M.defaults
	local cfg, errors, warnings = {}, {}, {}
	for _, name in ipairs(M.unknown_options(names or {})) do
		errors[#errors + 1] = ("%s: unknown option (misspelt?); the options are listed in README.md"):format(name)
	end

	-- Reads option `name` through parser `fn`; on error keeps `fallback`.
	local function opt(name, default, fallback, fn, ...)
		local raw = get("jingle_sip_" .. name)
		if raw == nil then return default end
		local v, err = fn(raw, ...)
		if v == nil then
			errors[#errors + 1] = ("jingle_sip_%s: %s"):format(name, err)
			return fallback
		end
		return v
	end
	local function string_opt(v)
		if type(v) ~= "string" or v == "" then return nil, ("%s is not a non-empty string"):format(show(v)) end
		return v
	end

	cfg.relay_workers = opt("relay_workers", d.relay_workers, d.relay_workers, parse_integer, 0, 1024)
	cfg.max_calls = opt("max_calls", d.max_calls, d.max_calls, parse_max_calls)
	cfg.max_transcoded_calls = opt("max_transcoded_calls", d.max_transcoded_calls, d.max_transcoded_calls,
		parse_integer, 0)
	cfg.media_tick_us = opt("media_tick_us", d.media_tick_us, d.media_tick_us, parse_integer, 0, 1000)

	cfg.trunk = opt("trunk", nil, nil, M.parse_trunk)
	-- Who may send SIP: on error nobody but the trunk (the default).
	cfg.trunk_sources = opt("trunk_sources", nil, nil, M.parse_sources)
	cfg.trunk_source_filter = opt("trunk_source_filter", d.trunk_source_filter, d.trunk_source_filter,
		parse_boolean)
	cfg.invite_rate = opt("invite_rate", d.invite_rate, d.invite_rate, parse_integer, 0, 100000)
	cfg.listen = opt("listen", M.parse_listen(d.listen), nil, M.parse_listen)
	cfg.username = opt("username", nil, nil, string_opt)
	cfg.password = opt("password", nil, nil, string_opt)
	cfg.register = opt("register", d.register, d.register, parse_boolean)
	-- Symmetric RTP (RFC 4961 practice, as SBCs do by default): a trunk
	-- behind NAT sends from another port than its SDP names.
	cfg.symmetric_rtp = opt("symmetric_rtp", d.symmetric_rtp, d.symmetric_rtp, parse_boolean)
	cfg.missed_call_message = opt("missed_call_message", d.missed_call_message, d.missed_call_message,
		parse_boolean)
	if cfg.password and not cfg.username then
		errors[#errors + 1] = "jingle_sip_password is set without jingle_sip_username"
	end
	if cfg.register and not (cfg.username and cfg.password) then
		errors[#errors + 1] = "jingle_sip_register = true needs jingle_sip_username and jingle_sip_password"
	end
	cfg.media_address = opt("media_address", nil, nil, parse_ip)
	cfg.rtp_address = opt("rtp_address", nil, nil, parse_ip)
	cfg.media_port_range = opt("media_port_range", nil, nil, M.parse_media_port_range)
	local rtp_range_name = "rtp_port_range"
	if get("jingle_sip_rtp_ports") ~= nil then
		if get("jingle_sip_rtp_port_range") ~= nil then
			warnings[#warnings + 1] = "jingle_sip_rtp_ports is ignored: jingle_sip_rtp_port_range is set; "
				.. "remove the old name"
		else
			warnings[#warnings + 1] = "jingle_sip_rtp_ports is deprecated (Prosody takes options ending in "
				.. "_ports for listener ports): rename it jingle_sip_rtp_port_range"
			rtp_range_name = "rtp_ports"
		end
	end
	cfg.rtp_port_range = opt(rtp_range_name, { d.rtp_port_range[1], d.rtp_port_range[2] }, nil, M.parse_port_range)

	-- Who may dial: on error nobody (never a wider set than configured).
	local parent = M.parent_domain(host)
	cfg.allow = opt("allow", parent and { [parent] = true } or {}, {}, M.parse_allow)
	if next(cfg.allow) == nil then
		warnings[#warnings + 1] = get("jingle_sip_allow") == nil
			and ("%s has no parent domain, so nobody may dial out; set jingle_sip_allow"):format(host)
			or "jingle_sip_allow is empty: nobody may dial out"
	end
	-- What may be dialled: on error nothing.
	cfg.dialplan = opt("dialplan", { allow = {}, deny = {} }, { allow = {}, deny = {} }, M.parse_dialplan)
	if #cfg.dialplan.allow == 0 then
		warnings[#warnings + 1] = "jingle_sip_dialplan allows no number: outbound calls are refused until "
			.. "it lists the numbers you are willing to pay for, e.g. { \"^%+1[2-9]%d%d[2-9]%d%d%d%d%d%d$\" }"
	end
	cfg.numbers = opt("numbers", {}, {}, M.parse_numbers)
	-- Without it only international forms are translated (nil: no guess).
	cfg.default_country = opt("default_country", nil, nil, M.parse_country)

	cfg.max_calls_per_user = opt("max_calls_per_user", d.max_calls_per_user, d.max_calls_per_user,
		parse_integer, 1)
	cfg.ring_timeout = opt("ring_timeout", d.ring_timeout, d.ring_timeout, parse_integer, 1, 3600)
	cfg.max_call_duration = opt("max_call_duration", d.max_call_duration, d.max_call_duration,
		parse_integer, 0)
	cfg.trunk_check_interval = opt("trunk_check_interval", d.trunk_check_interval, d.trunk_check_interval,
		parse_integer, 0, 3600)
	cfg.media_timeout = opt("media_timeout", d.media_timeout, d.media_timeout, parse_integer, 2, 3600)
	cfg.trunk_media_timeout = opt("trunk_media_timeout", d.trunk_media_timeout, d.trunk_media_timeout,
		parse_integer, 2, 3600)
	-- Two or more nodes sharing storage (docs/DEPLOY.md): this node's id
	-- (nil: the module derives one) and how long another node's heartbeat
	-- may stand still before its calls are ended (jingle_sip.node_registry).
	cfg.node_id = opt("node_id", nil, nil, string_opt)
	cfg.node_timeout = opt("node_timeout", d.node_timeout, d.node_timeout, parse_integer, 2, 3600)
	return cfg, errors, warnings
end

--- jingle_sip_max_calls for the relay: "auto" = -1 (derived from the descriptor limit).
function M.relay_max_calls(cfg)
	return cfg.max_calls == "auto" and -1 or cfg.max_calls
end

--- What the relay needs from the configuration `cfg` (parse()'s result).
-- get(name): the module's option getter (STUN/TURN come from the XEP-0215
-- options the server already offers its clients, mod_external_services and
-- mod_turn_external: jingle_sip/external_services.lua); now: seconds since
-- the epoch (TURN REST credentials); user_agent: our SIP User-Agent.
-- Returns the relay configuration and the lines to log about it (a list of
-- { level, text }), or nil and why.
function M.relay_config(cfg, get, now, user_agent)
	local notes = {}
	local listen = cfg.listen
	local rtp_address = cfg.rtp_address
	if not rtp_address then
		if listen.address == "0.0.0.0" or listen.address == "::" then
			return nil, "set jingle_sip_rtp_address: the SIP leg needs a concrete address for its SDP "
				.. "when jingle_sip_listen is a wildcard"
		end
		rtp_address = listen.address
	end
	local host = listen.address:find(":", 1, true) and ("[" .. listen.address .. "]") or listen.address
	local media = {
		ice_addresses = cfg.media_address, sip_rtp_address = rtp_address,
		sip_port_min = cfg.rtp_port_range[1], sip_port_max = cfg.rtp_port_range[2],
		ice_port_min = cfg.media_port_range and cfg.media_port_range[1] or 0,
		ice_port_max = cfg.media_port_range and cfg.media_port_range[2] or 0,
		media_timeout_ms = cfg.media_timeout * 1000,
		sip_media_timeout_ms = cfg.trunk_media_timeout * 1000,
	}
	-- STUN/TURN for the relay's own candidates.
	local ext, ext_notes = external_services.relay_media(get, now)
	for _, note in ipairs(ext_notes) do notes[#notes + 1] = { "warn", "STUN/TURN for the media relay: " .. note } end
	for k, v in pairs(ext) do media[k] = v end
	if ext.stun_server then
		notes[#notes + 1] = { "info", ("Media relay uses STUN %s port %d"):format(ext.stun_server, ext.stun_port) }
	end
	if ext.turn_server then
		notes[#notes + 1] = { "info", ("Media relay uses TURN %s port %d as %s"):format(ext.turn_server,
			ext.turn_port, ext.turn_username) }
	end
	return {
		workers = cfg.relay_workers, max_calls = M.relay_max_calls(cfg),
		max_transcoded_calls = cfg.max_transcoded_calls, media_tick_us = cfg.media_tick_us,
		media = media,
		sip = {
			listen_uri = ("sip:%s:%d"):format(host, listen.port), trunk_uri = cfg.trunk.uri,
			username = cfg.username, password = cfg.password,
			register_expires = cfg.register and 3600 or 0,
			user_agent = user_agent, options_interval = cfg.trunk_check_interval,
			symmetric_rtp = cfg.symmetric_rtp and 1 or 0,
			-- nil: the addresses the trunk's host resolves to (the relay resolves it).
			trusted_sources = cfg.trunk_sources and table.concat(cfg.trunk_sources, ","),
			source_filter = cfg.trunk_source_filter and 0 or -1,
			invite_rate = cfg.invite_rate == 0 and -1 or cfg.invite_rate,
		},
	}, nil, notes
end

return M
