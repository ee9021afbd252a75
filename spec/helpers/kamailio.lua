-- Runs the shipped SIP edge, deploy/kamailio.cfg, unchanged for a spec
-- (Debian's kamailio 5.6): its site values given as pre-processor defines
-- (-A), its dispatcher list and permissions address file written into a
-- directory of the run's own (also its runtime directory), in the
-- foreground on loopback, stopped with the spec.
local process = require "spec.helpers.process"
local prosody = require "spec.helpers.prosody"

local M = {}

M.config = prosody.repo .. "/deploy/kamailio.cfg"

local quote, sh, capture = process.quote, process.sh, process.capture
local read_file, write_file = process.read_file, process.write_file

local Edge = {}
Edge.__index = Edge

function Edge:log() return read_file(self.dir .. "/kamailio.log") end

--- Waits until the log matches the Lua pattern; returns the match or nil.
function Edge:wait_log(pattern, timeout)
	return process.wait_for(function() return self:log():match(pattern) end, timeout)
end

--- Runs one RPC command through kamcmd on the edge's control socket;
-- returns its output.
function Edge:rpc(command)
	return capture(("kamcmd -s %s %s 2>&1"):format(quote("unix:" .. self.dir .. "/kamailio_ctl"), command))
end

--- Replaces the dispatcher list (lines) and has the edge reload it.
-- Returns true, or nil and the RPC's answer.
function Edge:set_dispatcher(lines)
	write_file(self.dir .. "/dispatcher.list", table.concat(lines, "\n") .. "\n")
	local out = self:rpc("dispatcher.reload")
	if out:find("error", 1, true) then return nil, out end
	return true
end

--- The value of one of the edge's statistics (e.g. "edge_flood_dropped").
function Edge:stat(name)
	return tonumber(self:rpc("stats.get_statistics " .. name):match("= (%d+)"))
end

--- The flags of a dispatcher destination ("AP": active and probed, "IP":
-- inactive), or nil when the edge does not list it.
function Edge:destination_flags(uri)
	local out = self:rpc("dispatcher.list")
	local at = out:find("URI: " .. uri .. "\n", 1, true)
	return at and out:match("FLAGS: (%u+)", at) or nil
end

function Edge:stop()
	if not self.pid then return end
	process.terminate(self.pid)
	self.pid = nil
end

local start

--- Starts the edge. opts.ip (default 127.0.0.1), opts.port (default a free
-- UDP port, another one when it was taken before Kamailio bound it);
-- opts.dispatcher: lines of the dispatcher list; opts.addresses: lines of
-- the address file; opts.defines: { NAME = value } more -A defines
-- (numbers, or strings already quoted). Returns an instance with ip, port,
-- dir, log(), wait_log(), rpc(), stat(), destination_flags(), stop().
function M.start(opts)
	for attempt = 1, 3 do
		local ok, edge = pcall(start, opts)
		if ok then return edge end
		if opts.port or attempt == 3 or not tostring(edge):find("Address already in use", 1, true) then
			error(edge, 2)
		end
	end
end

function start(opts)
	local ip = opts.ip or "127.0.0.1"
	-- Not a port the kernel picked (bind to 0) and freed again: that one is
	-- in its ephemeral range, anybody's until Kamailio binds it
	-- (spec/helpers/prosody.lua).
	local self = setmetatable({ ip = ip, port = opts.port or prosody.free_port(1, ip) }, Edge)
	self.dir = ("%s/build/spec-kamailio/%d-%d"):format(prosody.repo, self.port, os.time())
	assert(sh("mkdir -p " .. quote(self.dir)))
	write_file(self.dir .. "/dispatcher.list", table.concat(opts.dispatcher or {}, "\n") .. "\n")
	write_file(self.dir .. "/address.list", table.concat(opts.addresses or {}, "\n") .. "\n")
	local defines = {
		LISTEN = ("udp:%s:%d"):format(self.ip, self.port),
		DS_LIST_FILE = ("%q"):format(self.dir .. "/dispatcher.list"),
		ADDRESS_FILE = ("%q"):format(self.dir .. "/address.list"),
		CHILDREN = 2,
	}
	for name, value in pairs(opts.defines or {}) do defines[name] = value end
	local args = { "kamailio", "-f", M.config, "-DD", "-E", "-Y", self.dir, "-w", self.dir, "-m", "32", "-M", "4" }
	for name, value in pairs(defines) do
		args[#args + 1] = "-A"
		args[#args + 1] = name .. "=" .. tostring(value)
	end
	for i, a in ipairs(args) do args[i] = quote(a) end
	self.pid = process.spawn(table.concat(args, " "), self.dir .. "/kamailio.log")
	assert(self.pid, "kamailio did not start")
	-- It binds its socket before it forks its workers, the RPC one among
	-- them: an RPC answer means it listens (a bind error ends it first).
	process.wait_ready({
		what = "kamailio", timeout = 10,
		ready = function() return self:rpc("core.uptime"):find("uptime", 1, true) end,
		alive = function() return process.alive(self.pid) end,
		log = function() return self:log() end,
		stop = function() self:stop() end,
	})
	return self
end

return M
