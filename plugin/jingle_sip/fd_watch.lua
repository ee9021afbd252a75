-- Descriptor exhaustion inside Prosody itself: counted and logged at error
-- level (issue #15: "descriptor exhaustion anywhere"). The relay reports its
-- own sockets and Sofia's (relay/src/fd_budget.c, relay/src/sip/sip_log.c);
-- this file covers what Prosody 0.12 does with its descriptors, where the
-- only trace of running out is a log line:
--
--   accept   net/server_epoll.lua (the default network backend),
--            interface:onacceptable(): a failed accept() is logged at debug
--            level as ACCEPT_FAILED with LuaSocket's error text, and that
--            listener pauses for network_settings.accept_retry_interval
--            (10 s); clients connecting meanwhile wait in the backlog.
--   storage  util/datamanager.lua (mod_storage_internal): a file it cannot
--            open is logged at error level ("Failed to load ...", "Unable to
--            write to ... storage") with the strerror text; the load or store
--            fails.
--   other    any other warn/error line carrying that text (SQL storage,
--            HTTP, ...).
--
-- So this watches util.logger's level sinks: the debug sink only compares
-- the format string (no formatting per debug line), warn and error lines are
-- formatted and searched. The sinks are process-wide and installed once
-- (this file's state survives module reloads in package.loaded); Prosody's
-- loggingmanager clears every sink on a log reload through logger.reset(),
-- which is wrapped to put ours back. Each loaded mod_jingle_sip subscribes;
-- lines from a subscriber's own logger (its reports of the relay's
-- exhaustion) are not counted again.
local M = {}

-- The format string of net/server_epoll.lua's failed accept() (Prosody 0.12).
M.ACCEPT_FAILED = "Error accepting new client: %s, server will be paused for %ds"

M.places = { accept = true, storage = true, other = true }

--- "ENFILE", "EMFILE" or nil for a line's text (strerror as LuaSocket and
-- io.open give it: "Too many open files [in system]").
function M.classify(text)
	local s = tostring(text):lower()
	if s:find("too many open files in system", 1, true) or s:find("file table overflow", 1, true) then
		return "ENFILE"
	end
	if s:find("too many open files", 1, true) then return "EMFILE" end
	return nil
end

local state = { subscribers = {}, own_sources = {}, installed = false }

local function notify(event)
	for fn in pairs(state.subscribers) do
		local ok, err = pcall(fn, event)
		if not ok then io.stderr:write("jingle_sip fd_watch: ", tostring(err), "\n") end
	end
end

local format = string.format

local function debug_sink(source, _, message, err, pause)
	if message ~= M.ACCEPT_FAILED then return end
	local kind = M.classify(err)
	if not kind then return end
	notify({ kind = kind, where = "accept", source = source, pause = tonumber(pause),
		text = ("accept(): %s"):format(tostring(err)) })
end

local function problem_sink(source, _, message, ...)
	if state.own_sources[source] or type(message) ~= "string" then return end
	local ok, text = pcall(format, message, ...)
	if not ok then text = message end
	local kind = M.classify(text)
	if not kind then return end
	local where = (source == "datamanager" or text:find("storage", 1, true)) and "storage" or "other"
	notify({ kind = kind, where = where, source = source, text = text })
end

--- Installs the sinks on util.logger (once per process). fmt: a
-- string.format-like function for the logged lines (Prosody's util.format,
-- which tolerates nil and missing arguments).
function M.install(logger, fmt)
	if fmt then format = fmt end
	if state.installed then return end
	local function add()
		logger.add_level_sink("debug", debug_sink)
		logger.add_level_sink("warn", problem_sink)
		logger.add_level_sink("error", problem_sink)
	end
	add()
	local reset = logger.reset
	logger.reset = function(...)
		local r = reset(...)
		add()
		return r
	end
	state.installed = true
end

--- fn(event) for each exhaustion seen; event = { kind = "EMFILE"|"ENFILE",
-- where = "accept"|"storage"|"other", source = logger name, text, pause }.
-- own_source: the subscriber's logger name, whose lines are not counted.
-- Returns a function that unsubscribes.
function M.subscribe(own_source, fn)
	state.subscribers[fn] = true
	if own_source then state.own_sources[own_source] = (state.own_sources[own_source] or 0) + 1 end
	return function()
		state.subscribers[fn] = nil
		if own_source and state.own_sources[own_source] then
			state.own_sources[own_source] = state.own_sources[own_source] - 1
			if state.own_sources[own_source] <= 0 then state.own_sources[own_source] = nil end
		end
	end
end

--- Counts events by place and logs them through log(level, fmt, ...) at
-- error level, at most once per `interval` seconds (default 1) with how many
-- happened since the last line. now(): seconds (a monotonic clock).
function M.counter(log, now, interval)
	interval = interval or 1
	local self = { counts = { accept = 0, storage = 0, other = 0 }, total = 0 }
	local last, unreported = nil, 0
	function self.on_event(event)
		local where = M.places[event.where] and event.where or "other"
		self.counts[where] = self.counts[where] + 1
		self.total = self.total + 1
		unreported = unreported + 1
		local t = now()
		if last and t - last < interval then return false end
		log("error", "Prosody is out of file descriptors (%s) in %s: %s%s; %d time%s since the last report",
			event.kind, where, event.text,
			where == "accept" and (", the listener pauses for %d s"):format(event.pause or 10) or "",
			unreported, unreported == 1 and "" or "s")
		last, unreported = t, 0
		return true
	end
	return self
end

return M
