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
-- limit, internal, notfound.
local M = {}

local EVENT_NAMES = {
	[0] = "none", [1] = "call_ready", [2] = "call_closed", [3] = "error",
}
M.EVENT_NAMES = EVENT_NAMES

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
-- config: { workers = 0 (one per core), max_calls = 0 (no limit), event_queue = 65536 }
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
-- { type = "call_ready"|..., call_id, time_us, code, value, text }.
function Relay:poll_events(max)
	check_self(self, Relay, "poll_events")
	local events = backend.relay_poll(self._h, max)
	for i = 1, #events do
		local e = events[i]
		e.type = EVENT_NAMES[e.type] or ("unknown_" .. tostring(e.type))
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
