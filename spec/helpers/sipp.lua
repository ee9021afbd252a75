-- Starts Debian's sipp (package sip-tester) for a spec, on loopback, in the
-- background; waits for it to finish and reports its exit status (0: every
-- call of the scenario went as scripted) and its logs.
local socket = require "socket"
local prosody = require "spec.helpers.prosody"
local process = require "spec.helpers.process"

local M = {}

local function quote(s)
	return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function read_file(path)
	local f = io.open(path, "rb")
	if not f then return nil end
	local s = f:read("a")
	f:close()
	return s
end

local Run = {}
Run.__index = Run

function Run:running()
	local ok = os.execute("kill -0 " .. self.pid .. " 2>/dev/null")
	return ok == true or ok == 0
end

--- Waits (bounded) for sipp to exit; returns its exit status, or nil on timeout.
function Run:wait(timeout)
	local deadline = socket.gettime() + (timeout or 30)
	repeat
		local rc = read_file(self.dir .. "/rc")
		if rc and rc:match("%d+") then return tonumber(rc:match("%d+")) end
		socket.sleep(0.05)
	until socket.gettime() > deadline
	self:kill()
	return nil
end

function Run:kill()
	os.execute("pkill -TERM -P " .. self.pid .. " 2>/dev/null; kill -TERM " .. self.pid .. " 2>/dev/null")
end

function Run:log()
	local parts = {}
	for _, f in ipairs({ "stdout.log", "errors.log", "messages.log" }) do
		local text = read_file(self.dir .. "/" .. f)
		if text and text ~= "" then parts[#parts + 1] = "--- sipp " .. f .. "\n" .. text:sub(-3000) end
	end
	return table.concat(parts, "\n")
end

--- opts: { scenario = file in spec/sipp/ or relay/tests/sipp/ (nil: built-in
-- UAS), remote = "127.0.0.1:PORT" (UAC), service = user part to call,
-- keys = { name = value } for the scenario's [name] keywords,
-- calls = 1, echo = true (-rtp_echo), timeout = 40, port = its SIP port
-- (default: a free one), ip = "127.0.0.1" (the address sipp sends from: any
-- of 127.0.0.0/8), rate = calls a second (-r) }.
-- Returns a run with port, media_port, wait(), kill(), log().
local launch

-- sipp's messages when a port it was told to use is taken.
local function bind_failed(self)
	local out = (read_file(self.dir .. "/stdout.log") or "") .. (read_file(self.dir .. "/errors.log") or "")
	return out:find("Unable to bind", 1, true) ~= nil
end

function M.start(opts)
	opts = opts or {}
	local ip = opts.ip or "127.0.0.1"
	-- Ports are checked free just before sipp binds them, but another
	-- program on the machine may take one in between: then sipp exits at
	-- once, and it starts again on fresh ports (its SIP port too, unless the
	-- spec chose that one).
	for _ = 1, 5 do
		local self = setmetatable({}, Run)
		self.port = opts.port or prosody.free_port(1, ip)
		self.media_port = prosody.free_port(3, ip) -- its RTP echo: this port and + 2
		launch(self, opts, ip)
		-- Bounded wait until sipp holds its ports (/proc/net lists them) or
		-- has exited.
		local deadline = socket.gettime() + 10
		local exited
		repeat
			exited = read_file(self.dir .. "/rc")
			if exited and exited:match("%d") then break end
			exited = nil
			if process.udp_bound(self.port, ip) and process.udp_bound(self.media_port, ip)
				and process.udp_bound(self.media_port + 2, ip) then
				return self
			end
			socket.sleep(0.02)
		until socket.gettime() > deadline
		if not exited then return self end -- still starting: the spec's wait() reports it
		if not bind_failed(self) or opts.port then
			return self -- exited for another reason: the spec's wait() and log() report it
		end
	end
	error("sipp: its ports were taken five times in a row")
end

function launch(self, opts, ip)
	self.dir = ("%s/build/spec-sipp/%d-%d"):format(prosody.repo, self.port, math.random(1e9))
	os.execute("mkdir -p " .. quote(self.dir))
	local args = { "sipp" }
	if opts.scenario then
		local path = prosody.repo .. "/spec/sipp/" .. opts.scenario
		local found = io.open(path)
		if found then
			found:close() -- a spec counting its descriptors must not see it
		else
			path = prosody.repo .. "/relay/tests/sipp/" .. opts.scenario
		end
		args[#args + 1] = "-sf"
		args[#args + 1] = path
	else
		args[#args + 1] = "-sn"
		args[#args + 1] = "uas"
	end
	if opts.remote then args[#args + 1] = opts.remote end
	for _, a in ipairs({ "-i", ip, "-p", tostring(self.port), "-mi", ip,
		"-mp", tostring(self.media_port), "-m", tostring(opts.calls or 1),
		"-timeout", tostring(opts.timeout or 40) .. "s", "-timeout_error",
		"-trace_err", "-error_file", self.dir .. "/errors.log",
		"-trace_msg", "-message_file", self.dir .. "/messages.log" }) do
		args[#args + 1] = a
	end
	if opts.echo ~= false then args[#args + 1] = "-rtp_echo" end
	for name, value in pairs(opts.keys or {}) do -- scenario [name] keywords
		args[#args + 1] = "-key"
		args[#args + 1] = name
		args[#args + 1] = tostring(value)
	end
	if opts.rate then
		args[#args + 1] = "-r"
		args[#args + 1] = tostring(opts.rate)
	end
	if opts.service then
		args[#args + 1] = "-s"
		args[#args + 1] = opts.service
	end
	for i, a in ipairs(args) do args[i] = quote(a) end
	local script = ("%s </dev/null >%s 2>&1; echo $? > %s"):format(table.concat(args, " "),
		quote(self.dir .. "/stdout.log"), quote(self.dir .. "/rc"))
	local p = io.popen(("sh -c %s & echo $!"):format(quote(script)))
	self.pid = p:read("l")
	p:close()
end

--- The SIP messages sipp saw, for asserting on what reached the trunk.
function Run:messages() return read_file(self.dir .. "/messages.log") or "" end

return M
