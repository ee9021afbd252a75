-- Starts a real Prosody (Debian's package) for a spec, with a generated
-- config and data directory under build/spec-prosody/, and stops it.
-- As root, Prosody is run as the prosody user (it refuses to run as root).
local socket = require "socket"
local process = require "spec.helpers.process"

local M = {}

local repo = (function()
	local p = io.popen("git rev-parse --show-toplevel 2>/dev/null || pwd")
	local dir = p:read("l")
	p:close()
	return dir
end)()
M.repo = repo

local sh, capture, read_file = process.sh, process.capture, process.read_file

local is_root = capture("id -u"):match("^0") ~= nil
M.is_root = is_root

local function as_prosody(cmd)
	if is_root then return "runuser -u prosody -- " .. cmd end
	return cmd
end

-- Ports for the programs a spec starts come from 10000-16299: below the
-- relay's default RTP range (16384-32767, where every running gateway on the
-- machine takes ports) and the kernel's ephemeral range (32768-60999, which it
-- hands to every connect() and unbound sendto() on the machine). A port the
-- kernel picked (bind to port 0) and freed again is fair game for any of
-- those until the program binds it: another test's socket took such a port
-- often enough on a loaded machine ("Address already in use").
-- JINGLE_SIP_TEST_PORTS="LO-HI" narrows it: scripts/run-tests.sh gives each
-- suite it runs side by side a block of its own, so that two never find the
-- same port free at the same moment.
local function test_port_range()
	local lo, hi = (os.getenv("JINGLE_SIP_TEST_PORTS") or ""):match("^(%d+)%-(%d+)$")
	lo, hi = tonumber(lo), tonumber(hi)
	if lo and hi and lo >= 1024 and hi <= 65535 and hi - lo >= 64 then return lo, hi end
	return 10000, 16299
end
local PORT_LO, PORT_HI = test_port_range()
M.port_range = { PORT_LO, PORT_HI }

local function random_int(lo, hi)
	local f = assert(io.open("/dev/urandom", "rb"))
	local a, b, c = f:read(3):byte(1, 3)
	f:close()
	return lo + (a * 65536 + b * 256 + c) % (hi - lo + 1)
end

--- Whether nothing holds `port` on `ip` (default 127.0.0.1), UDP or TCP.
function M.port_free(port, ip)
	ip = ip or "127.0.0.1"
	local u = socket.udp()
	local ok = u:setsockname(ip, port)
	u:close()
	if not ok then return false end
	local t = socket.tcp()
	t:setoption("reuseaddr", true)
	ok = t:bind(ip, port)
	t:close()
	return ok == 1 or ok == true
end

--- A port free on 127.0.0.1 (or `ip`) for both UDP and TCP, with the
-- `span` - 1 ports after it free too (span: default 1; sipp's RTP echo takes
-- its media port and that + 2).
function M.free_port(span, ip)
	span = span or 1
	for _ = 1, 200 do
		local port = random_int(PORT_LO, PORT_HI - span)
		local free = true
		for p = port, port + span - 1 do
			if not M.port_free(p, ip) then
				free = false
				break
			end
		end
		if free then return port end
	end
	error("no free port in " .. PORT_LO .. "-" .. PORT_HI)
end

-- Whether something accepts TCP connections on port of 127.0.0.1.
local function listening(port)
	local c = socket.tcp()
	c:settimeout(0.2)
	local ok = c:connect("127.0.0.1", port)
	c:close()
	return ok ~= nil
end

local Instance = {}
Instance.__index = Instance

function Instance:log() return read_file(self.dir .. "/prosody.log") end

-- Waits until the log contains the Lua pattern; returns the match or nil.
function Instance:wait_log(pattern, timeout)
	return process.wait_for(function() return self:log():match(pattern) end, timeout)
end

function Instance:register(user, password)
	assert(sh(as_prosody(("prosodyctl --config %s register %s %s %s >/dev/null 2>&1")
		:format(self.config, user, self.domain, password))), "prosodyctl register failed")
end

--- Runs one admin shell line (`prosodyctl shell LINE`) against this server.
-- Returns ok (exit status 0: no error result), the output (stdout+stderr).
-- The admin socket may open a moment after the client port: a refused
-- connection is retried for up to 10 s.
function Instance:shell(line)
	local cmd = as_prosody(("prosodyctl --config %s shell %s 2>&1; echo \"exit=$?\"")
		:format(self.config, "'" .. line:gsub("'", "'\\''") .. "'"))
	local out
	for _ = 1, 50 do
		local p = io.popen(cmd)
		out = p:read("a")
		p:close()
		if not out:find("Unable to connect to server", 1, true) then break end
		socket.sleep(0.2)
	end
	local code = tonumber(out:match("exit=(%d+)%s*$"))
	return code == 0, (out:gsub("exit=%d+%s*$", ""))
end

function Instance:stop()
	if not self.pid then return end
	-- Signal Prosody itself (its pidfile): runuser, its parent as root,
	-- exits as soon as it does. A SIGTERM to runuser would cost 2 s: it
	-- passes the signal on, sleeps 2 s whatever happens, then sends
	-- SIGKILL ("Session terminated, killing shell... ...killed."). Without
	-- a pidfile yet, runuser is all there is to signal.
	local pids = { self.pid }
	local pidfile = read_file(self.dir .. "/prosody.pid"):match("%d+")
	if pidfile and pidfile ~= self.pid then pids[#pids + 1] = pidfile end
	process.terminate(pidfile or self.pid, table.concat(pids, " "))
	self.pid = nil
end

local function write_file(path, text)
	process.write_file(path, text .. "\n")
end

--- Starts Prosody. opts.extra: config text appended after the component line;
-- opts.global: config text for the global section; opts.plugin_paths: list
-- of module directories (default: this checkout's plugin/, with the relay
-- libraries taken from build/lib).
-- opts.modules: more global modules to enable (e.g. { "http_openmetrics" }).
-- opts.nofile: Prosody's descriptor limit (soft and hard, via prlimit).
-- opts.users: { name = password }; opts.dir: a stopped instance's dir to
-- start again on its data. opts.domain (default "localhost") and
-- opts.phone_domain (default "phone.localhost"; false: no component, a
-- plain user server): the user host and the component; opts.s2s_port:
-- open server-to-server links on that port of 127.0.0.1 (default: no s2s).
-- Returns an instance with c2s_port, http_port, domain, phone_domain, dir,
-- log(), wait_log(), stop().
function M.start(opts)
	opts = opts or {}
	local self = setmetatable({}, Instance)
	self.domain = opts.domain or "localhost"
	if opts.phone_domain ~= false then self.phone_domain = opts.phone_domain or "phone.localhost" end
	self.c2s_port = M.free_port()
	self.http_port = M.free_port()
	-- opts.dir: reuse the directory (and data) of an earlier, stopped instance.
	self.dir = opts.dir or ("%s/build/spec-prosody/%d-%d"):format(repo, self.c2s_port, os.time())
	self.config = self.dir .. "/prosody.cfg.lua"
	assert(sh("mkdir -p " .. self.dir))
	local env_cfg = ("XMPP_DOMAIN=%s PHONE_DOMAIN=%s "):format(self.domain, self.phone_domain or "")
	if opts.s2s_port then env_cfg = env_cfg .. ("S2S_PORT=%d "):format(opts.s2s_port) end
	-- Tests bind loopback only: the module's SIP listener and media
	-- addresses default to 127.0.0.1 (and a free SIP port) unless a spec
	-- sets them itself.
	local component = opts.extra or ""
	self.sip_port = M.free_port()
	if self.phone_domain and not component:find("jingle_sip_listen", 1, true) then
		component = component .. ("\njingle_sip_listen = \"127.0.0.1:%d\""):format(self.sip_port)
	end
	if self.phone_domain and not component:find("jingle_sip_media_address", 1, true) then
		component = component .. "\njingle_sip_media_address = \"127.0.0.1\""
	end
	local extra = self.dir .. "/extra.cfg.lua"
	write_file(extra, component)
	if opts.global then
		write_file(self.dir .. "/global.cfg.lua", opts.global)
		env_cfg = env_cfg .. "GLOBAL_EXTRA_FILE=" .. self.dir .. "/global.cfg.lua "
	end
	if opts.modules then
		local quoted = {}
		for i, m in ipairs(opts.modules) do quoted[i] = ("%q"):format(m) end
		env_cfg = env_cfg .. ("EXTRA_MODULES='%s' "):format(table.concat(quoted, ", "))
	end
	if opts.plugin_paths then
		local quoted = {}
		for i, p in ipairs(opts.plugin_paths) do quoted[i] = ("%q"):format(p) end
		env_cfg = env_cfg .. ("PLUGIN_PATHS='{ %s }' "):format(table.concat(quoted, ", "))
	end
	assert(sh(("%s sh %s/scripts/prosody-config.sh %s %d %d %s"):format(env_cfg, repo, self.dir,
		self.c2s_port, self.http_port, extra)))
	for user, password in pairs(opts.users or {}) do self:register(user, password) end
	local env = opts.plugin_paths and "" or ("CALLRELAY_LIBDIR=" .. repo .. "/build/lib ")
	local limit = opts.nofile and ("prlimit --nofile=%d:%d -- "):format(opts.nofile, opts.nofile) or ""
	self.pid = process.spawn(limit .. as_prosody("prosody --config " .. self.config), self.dir .. "/stdout.log",
		{ env = env })
	assert(self.pid, "prosody did not start")
	process.wait_ready({
		what = "prosody (its c2s port)", timeout = 15, interval = 0.05, tail = false,
		ready = function() return listening(self.c2s_port) end,
		log = function() return self:log() .. read_file(self.dir .. "/stdout.log") end,
		stop = function() self:stop() end,
	})
	return self
end

return M
