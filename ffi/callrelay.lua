-- callrelay: the one Lua API over libcallrelay.
--
-- Picks its backend by runtime: LuaJIT's FFI when `jit` and `ffi` exist, and
-- otherwise the Lua 5.4 C binding (callrelay_core.so). Both backends expose the
-- same flat functions; the objects, names and shapes users see are built here
-- once, so the plugin never knows which Lua runs it.
--
-- Errors: misuse (wrong types, a closed handle) raises a Lua error; failures a
-- caller must handle (a limit reached, no free port, bad configuration) return
-- nil, message, name, where name is one of invalid, nomem, ports, closed,
-- limit, internal, notfound, unsupported.
local M = {}

-- Events whose text is `key=value` lines (SIP) or words (media): parsed into
-- event.fields so no caller re-implements it.
local FIELD_EVENTS = {
	sip_incoming = "\n", sip_early_media = "\n", sip_answered = "\n", sip_media_changed = "\n",
	dtls_connected = " ", dtmf = " ", ice_restarted = " ",
}

-- Fields that are numbers; everything else (digits, numbers dialled, ufrags)
-- stays text even when it looks numeric.
local NUMERIC_FIELDS = { port = true, clock = true, channels = true, pt = true, dtmf_pt = true,
	ptime = true, symmetric_rtp = true, duration_ms = true, event = true, sent = true }

local function parse_fields(text, sep)
	local fields = {}
	for item in text:gmatch(sep == "\n" and "[^\n]+" or "%S+") do
		local k, v = item:match("^([%w_%-]+)=(.*)$")
		if k then fields[k] = NUMERIC_FIELDS[k] and tonumber(v) or v end
	end
	return fields
end
M.parse_fields = parse_fields

local DTLS_ROLES = { active = 1, passive = 2 }

-- Where the shared libraries are: $CALLRELAY_LIBDIR, next to this file in
-- lib/ (installed layout), or build/lib/ of the source tree.
local function library_dirs()
	local dirs = {}
	local env = os.getenv("CALLRELAY_LIBDIR")
	if env and env ~= "" then dirs[#dirs + 1] = env end
	local source = debug.getinfo(1, "S").source
	local here = source:sub(1, 1) == "@" and source:sub(2):match("^(.*)/[^/]*$") or "."
	dirs[#dirs + 1] = here .. "/lib"
	dirs[#dirs + 1] = here .. "/../build/lib"
	return dirs
end

local function find_file(name)
	local tried = {}
	for _, dir in ipairs(library_dirs()) do
		local path = dir .. "/" .. name
		local f = io.open(path, "rb")
		if f then
			f:close()
			return path
		end
		tried[#tried + 1] = path
	end
	error("callrelay: cannot find " .. name .. " (tried " .. table.concat(tried, ", ")
		.. "; set CALLRELAY_LIBDIR or run `make`)", 3)
end

local function load_backend()
	local has_ffi, ffi = false, nil
	if rawget(_G, "jit") then has_ffi, ffi = pcall(require, "ffi") end
	if has_ffi and ffi then
		return require("callrelay.ffi_backend").load(find_file("libcallrelay.so"))
	end
	local path = find_file("callrelay_core.so")
	local open, err = package.loadlib(path, "luaopen_callrelay_core")
	if not open then error("callrelay: cannot load " .. path .. ": " .. tostring(err), 2) end
	return open()
end

local backend = load_backend()
M.backend = backend.name

function M.version()
	return backend.version()
end

local Relay = {}
Relay.__index = Relay
local Call = {}
Call.__index = Call

local function check_self(self, class, name)
	if getmetatable(self) ~= class then
		error("bad self for " .. name .. " (use a colon: obj:" .. name .. "(...))", 3)
	end
end

--- Creates a relay and starts its workers.
-- config: { workers = 0 (one per core), max_calls = 0 (no limit; -1 = derived from the
--           descriptor limit, see stats().max_calls), event_queue = 65536,
--           max_transcoded_calls = 0 (transcoding off; -1 = no limit),
--           media_tick_us = 0 (a busy worker's batching tick, 0-1000), media = {...}, sip = {...} }
-- (the fields of cr_media_config_t / cr_sip_config_t in relay/include/callrelay.h)
-- Returns the relay, or nil, message, name.
function M.new_relay(config)
	local handle, msg, name = backend.relay_create(config)
	if not handle then return nil, msg, name end
	return setmetatable({ _h = handle, closed = false }, Relay)
end

--- Stops every call and the workers. Closing twice is harmless.
function Relay:close()
	check_self(self, Relay, "close")
	if not self.closed then
		self.closed = true
		backend.relay_destroy(self._h)
	end
end
Relay.__close = Relay.close
Relay.__gc = Relay.close

function Relay:event_fd()
	check_self(self, Relay, "event_fd")
	return backend.relay_event_fd(self._h)
end

--- Takes up to max (default 64) queued events, oldest first, as tables
-- { type = "call_ready"|..., call_id, time_us, code, value, text }; the
-- backends name the type with cr_event_type_to_string().
function Relay:poll_events(max)
	check_self(self, Relay, "poll_events")
	local events = backend.relay_poll(self._h, max)
	for i = 1, #events do
		local e = events[i]
		local sep = FIELD_EVENTS[e.type]
		if sep then e.fields = parse_fields(e.text, sep) end
	end
	return events
end

function Relay:stats()
	check_self(self, Relay, "stats")
	return backend.relay_stats(self._h)
end

--- Creates a call; returns it, or nil, message, name (e.g. "limit").
function Relay:new_call()
	check_self(self, Relay, "new_call")
	local handle, msg, name = backend.call_create(self._h)
	if not handle then return nil, msg, name end
	local call = setmetatable({ _h = handle, relay = self, closed = false }, Call)
	call.id = backend.call_id(handle)
	return call
end

--- Takes the handle of a call the relay made for an inbound INVITE
-- ("sip_incoming" event's call_id). Returns the call, or nil, message, name.
function Relay:adopt_call(id)
	check_self(self, Relay, "adopt_call")
	local handle, msg, name = backend.call_adopt(self._h, id)
	if not handle then return nil, msg, name end
	local call = setmetatable({ _h = handle, relay = self, closed = false }, Call)
	call.id = backend.call_id(handle)
	return call
end

--- SIP counters: invites, OPTIONS health, registration.
function Relay:sip_stats()
	check_self(self, Relay, "sip_stats")
	return backend.relay_sip_stats(self._h)
end

-- Call methods that map one to one onto the backend. Each returns true (or
-- a table), or nil, message, name.
local PASSTHROUGH = {
	media_local = "call_media_local", add_remote_candidate = "call_add_remote_candidate",
	end_of_candidates = "call_end_of_candidates", set_remote_credentials = "call_set_remote_credentials",
	set_remote_fingerprint = "call_set_remote_fingerprint", set_sip_remote = "call_set_sip_remote",
	ice_restart = "call_ice_restart", set_codecs = "call_set_codecs", stats = "call_stats", trace = "call_trace",
	-- set_transcode(client, sip): codec tables { pt, name, clock_rate, channels,
	-- dtmf_pt (telephone-event, 0 = none), dtmf_clock_rate } of each leg;
	-- (nil, nil) = passthrough again. "limit" past max_transcoded_calls.
	set_transcode = "call_set_transcode",
	sip_dial = "call_sip_dial", sip_ringing = "call_sip_ringing",
	sip_answer = "call_sip_answer", sip_reject = "call_sip_reject", sip_hangup = "call_sip_hangup",
	sip_hold = "call_sip_hold",
	-- sip_hangup([cause, text]): a Q.850 cause (1..127) and a text put an
	-- RFC 3326 Reason header on the BYE/CANCEL/480.
	-- watch_sip_media(on): no RTP from the trunk for the relay's
	-- sip_media_timeout_ms while on -> a media_timeout event with code 2.
	watch_sip_media = "call_watch_sip_media",
	-- send_dtmf(digit, duration_ms, volume?): digit "0"-"9", "*", "#", "A"-"D";
	-- duration 40..1000 ms; volume 0..63 (-dBm0, default 10). A digit that is
	-- not a one-character string raises; a bad digit, duration or volume
	-- returns nil, message, "invalid"; no telephone-event negotiated with the
	-- trunk: nil, message, "unsupported"; 16 digits waiting: "limit".
	send_dtmf = "call_send_dtmf",
}
for method, fn in pairs(PASSTHROUGH) do
	Call[method] = function(self, ...)
		check_self(self, Call, method)
		if self.closed then error("bad argument #1 (call is closed)", 2) end
		return backend[fn](self._h, ...)
	end
end

--- Starts the call's media. params: { ice_controlling, rtcp_mux, dtls_role =
-- "active"|"passive", remote_ufrag, remote_pwd, remote_fingerprint =
-- "sha-256 AB:..", sip_remote_addr, sip_remote_port, sip_latch, codecs =
-- {{ client_pt, sip_pt, name, clock_rate, channels }} }.
function Call:media_start(params)
	check_self(self, Call, "media_start")
	if self.closed then error("bad argument #1 (call is closed)", 2) end
	if type(params) ~= "table" then error("bad argument #2 (table expected)", 2) end
	local p = {}
	for k, v in pairs(params) do p[k] = v end
	if type(p.dtls_role) == "string" then
		p.dtls_role = DTLS_ROLES[p.dtls_role] or error("params.dtls_role must be active or passive", 2)
	end
	return backend.call_media_start(self._h, p)
end

--- Closes the call; "call_closed" follows with the reason. Twice is harmless.
function Call:close(reason)
	check_self(self, Call, "close")
	if not self.closed then
		self.closed = true
		backend.call_close(self._h, reason)
	end
end
Call.__close = function(self) self:close("scope closed") end

return M
