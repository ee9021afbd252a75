-- Drains a relay's events inside Prosody's event loop.
--
-- Prosody 0.12's net.server (epoll, select and libevent backends alike)
-- offers watchfd(fd, onreadable): the relay's event descriptor is readable
-- exactly while events are queued, so events are handled as soon as they
-- arrive, with no polling timer. Each wake-up drains in batches so one busy
-- relay cannot starve the rest of the loop for long.
local M = {}

local BATCH = 64
local MAX_BATCHES_PER_WAKEUP = 16

--- Watches relay's events with server (require "net.server").
-- handler(event) is called once per event, in order; an error in it is
-- logged through on_error(err, event) (default: error() is re-raised) and
-- does not stop the remaining events.
-- Returns a watcher with :close().
function M.watch(server, relay, handler, on_error)
	local function drain()
		for _ = 1, MAX_BATCHES_PER_WAKEUP do
			local events = relay:poll_events(BATCH)
			for i = 1, #events do
				local ok, err = pcall(handler, events[i])
				if not ok then
					if on_error then on_error(err, events[i]) else error(err, 0) end
				end
			end
			if #events < BATCH then return end
		end
		-- Still more: the descriptor stays readable and the loop calls again.
	end
	local conn = server.watchfd(relay:event_fd(), drain)
	return {
		drain = drain,
		close = function() conn:close() end,
	}
end

return M
