-- LuaJIT FFI backend of callrelay: the same flat functions as the Lua 5.4 C
-- binding (ffi/lua54/callrelay_core.c). Thin: conversions only.
--
-- Handles are plain Lua tables around the cdata pointer so that closing can
-- clear the pointer (closing twice is harmless); the cdata carries the
-- finalizer, so a dropped handle still frees its relay or call.
local ffi = require "ffi"

local M = { name = "ffi" }

local ERROR_NAMES = {
	[-1] = "invalid", [-2] = "nomem", [-3] = "ports", [-4] = "closed",
	[-5] = "limit", [-6] = "internal", [-7] = "notfound",
}

local declared = false
local lib

function M.load(library_path)
	if not declared then
		ffi.cdef(require "callrelay.cdef")
		declared = true
	end
	lib = ffi.load(library_path)
	return M
end

local function failure(err, buf)
	local msg = buf and ffi.string(buf) or ""
	if msg == "" then msg = ffi.string(lib.cr_error_to_string(err)) end
	return nil, msg, ERROR_NAMES[err] or "unknown"
end

local function int_field(config, key, default)
	local v = config[key]
	if v == nil then return default end
	if type(v) ~= "number" or v % 1 ~= 0 then
		error("config." .. key .. " must be an integer", 3)
	end
	return v
end

local function check_open(handle, what, level)
	if type(handle) ~= "table" or handle.kind ~= what then
		error("bad argument #1 (" .. what .. " expected)", level + 1)
	end
	if handle.ptr == nil then error("bad argument #1 (" .. what .. " is closed)", level + 1) end
	return handle.ptr
end

function M.version()
	return ffi.string(lib.cr_version())
end

function M.relay_create(config)
	local cfg = ffi.new("cr_relay_config_t")
	lib.cr_relay_config_init(cfg)
	if config ~= nil then
		if type(config) ~= "table" then error("bad argument #1 (table expected)", 2) end
		cfg.workers = int_field(config, "workers", cfg.workers)
		cfg.max_calls = int_field(config, "max_calls", cfg.max_calls)
		cfg.event_queue = int_field(config, "event_queue", cfg.event_queue)
	end
	local out = ffi.new("cr_relay_t *[1]")
	local buf = ffi.new("char[?]", lib.CR_MAX_ERROR_LEN)
	local err = lib.cr_relay_create(cfg, out, buf)
	if err ~= 0 then return failure(err, buf) end
	return { kind = "relay", ptr = ffi.gc(out[0], lib.cr_relay_destroy) }
end

function M.relay_destroy(handle)
	if type(handle) ~= "table" or handle.kind ~= "relay" then
		error("bad argument #1 (relay expected)", 2)
	end
	local ptr = handle.ptr
	if ptr ~= nil then
		handle.ptr = nil
		ffi.gc(ptr, nil)
		lib.cr_relay_destroy(ptr)
	end
end

function M.relay_event_fd(handle)
	return tonumber(lib.cr_relay_event_fd(check_open(handle, "relay", 2)))
end

local batch_size = 16
local batch

function M.relay_poll(handle, max)
	local ptr = check_open(handle, "relay", 2)
	max = max or 64
	if type(max) ~= "number" or max <= 0 then error("bad argument #2 (must be positive)", 2) end
	batch = batch or ffi.new("cr_event_t[?]", batch_size)
	local events, total = {}, 0
	while total < max do
		local want = math.min(batch_size, max - total)
		local n = lib.cr_relay_poll_events(ptr, batch, want)
		for i = 0, n - 1 do
			local e = batch[i]
			total = total + 1
			events[total] = {
				type = tonumber(e.type), call_id = tonumber(e.call_id),
				time_us = tonumber(e.time_us), code = tonumber(e.code),
				value = tonumber(e.value), text = ffi.string(e.text),
			}
		end
		if n < want then break end
	end
	return events
end

function M.relay_stats(handle)
	local st = ffi.new("cr_relay_stats_t")
	lib.cr_relay_get_stats(check_open(handle, "relay", 2), st)
	return {
		workers = tonumber(st.workers), active_calls = tonumber(st.active_calls),
		calls_created = tonumber(st.calls_created), calls_closed = tonumber(st.calls_closed),
		events_dropped = tonumber(st.events_dropped),
	}
end

local function close_call_ptr(ptr)
	lib.cr_call_close(ptr, "handle garbage-collected")
end

function M.call_create(relay)
	local rptr = check_open(relay, "relay", 2)
	local out = ffi.new("cr_call_t *[1]")
	local buf = ffi.new("char[?]", lib.CR_MAX_ERROR_LEN)
	local err = lib.cr_call_create(rptr, out, buf)
	if err ~= 0 then return failure(err, buf) end
	-- relay: keeps the relay's handle (and its finalizer) alive with the call.
	return { kind = "call", ptr = ffi.gc(out[0], close_call_ptr), relay = relay }
end

function M.call_id(handle)
	return tonumber(lib.cr_call_id(check_open(handle, "call", 2)))
end

function M.call_close(handle, reason)
	if type(handle) ~= "table" or handle.kind ~= "call" then
		error("bad argument #1 (call expected)", 2)
	end
	if reason ~= nil and type(reason) ~= "string" then
		error("bad argument #2 (string expected)", 2)
	end
	local ptr = handle.ptr
	if ptr ~= nil then
		handle.ptr = nil
		ffi.gc(ptr, nil)
		lib.cr_call_close(ptr, reason)
	end
end

return M
