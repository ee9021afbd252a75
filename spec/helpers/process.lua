-- Child processes for the specs' helpers (prosody.lua, kamailio.lua,
-- ejabberd.lua, postgres.lua): start one in the background with its output
-- in a log, wait until it is ready (or raise with the log's tail when it
-- died or took too long), stop it with SIGTERM and then SIGKILL. Also the
-- shell and file odds and ends they all need.
local socket = require "socket"

local M = {}

--- s quoted for sh.
function M.quote(s)
	return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- Runs a shell command; true when it exited 0, and its exit code.
function M.sh(cmd)
	local ok, _, code = os.execute(cmd)
	return ok == true or ok == 0, code
end

--- A shell command's standard output.
function M.capture(cmd)
	local p = io.popen(cmd)
	local out = p:read("a")
	p:close()
	return out
end

--- A file's contents, "" when it cannot be read.
function M.read_file(path)
	local f = io.open(path, "rb")
	if not f then return "" end
	local s = f:read("a")
	f:close()
	return s
end

function M.write_file(path, text)
	local f = assert(io.open(path, "w"))
	f:write(text)
	f:close()
end

--- Runs cmd (a shell command line) in the background, its stdout and stderr
-- into the file log. opts.env: "NAME=value ..." for sh itself; opts.setsid:
-- in a session (and process group) of its own, whose id is the pid
-- returned. Returns the pid (a string), or nil.
function M.spawn(cmd, log, opts)
	opts = opts or {}
	local inner = ("exec %s >%s 2>&1"):format(cmd, M.quote(log))
	local line
	if opts.setsid then
		line = ("%ssetsid sh -c %s & sleep 0.1; echo $!"):format(opts.env or "", M.quote(inner))
	else
		line = ("%ssh -c %s"):format(opts.env or "", M.quote(inner .. " & echo $!"))
	end
	return M.capture(line):match("%d+")
end

--- Whether /proc/net lists a UDP socket bound to `port` on `ip` (IPv4,
-- default 127.0.0.1) or on every address. Reads only: probing with a bind
-- of our own would, for that instant, take the port from the program we
-- wait for (its bind fails "Address already in use").
function M.udp_bound(port, ip)
	local a, b, c, d = (ip or "127.0.0.1"):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
	local want = { [("%02X%02X%02X%02X:%04X"):format(d, c, b, a, port)] = true,
		[("00000000:%04X"):format(port)] = true }
	for line in M.read_file("/proc/net/udp"):gmatch("[^\n]+") do
		if want[line:match("^%s*%d+:%s+(%S+)")] then return true end
	end
	-- An IPv6 socket on every address (::) takes IPv4 too.
	return M.read_file("/proc/net/udp6"):find((" 00000000000000000000000000000000:%04X "):format(port), 1, true) ~= nil
end

--- Whether the process (or, given "-pgid", any of the group) still runs.
function M.alive(pid)
	return pid ~= nil and M.sh("kill -0 " .. pid .. " 2>/dev/null")
end

--- Calls check() every `interval` seconds (default 0.05), at least once,
-- until it returns a true value, which is returned, or `timeout` seconds
-- (default 5) have passed: nil.
function M.wait_for(check, timeout, interval)
	local deadline = socket.gettime() + (timeout or 5)
	repeat
		local v = check()
		if v then return v end
		socket.sleep(interval or 0.05)
	until socket.gettime() > deadline
	return nil
end

--- Waits for a started child. o.ready(): true once it serves; o.timeout
-- (seconds); o.interval (default 0.1); o.alive(): false once it died
-- (optional: only the timeout ends the wait). When it is not ready: o.log()
-- is read, o.stop() called, and the error is "<o.what> did not start; log:"
-- and the last o.tail (default 3000; false: all) bytes of the log.
function M.wait_ready(o)
	local deadline = socket.gettime() + o.timeout
	while not o.ready() do
		if socket.gettime() > deadline or (o.alive and not o.alive()) then
			local log = o.log()
			o.stop()
			if o.tail ~= false then log = log:sub(-(o.tail or 3000)) end
			error(("%s did not start; log:\n%s"):format(o.what, log), 0)
		end
		socket.sleep(o.interval or 0.1)
	end
end

--- Stops a child: SIGTERM to `pids` (pids separated by spaces, or "-pgid"
-- for a process group), up to `grace` seconds (default 5) for every one of
-- `watch` (default: pids) to be gone, then SIGKILL to whatever is left.
function M.terminate(pids, watch, grace)
	watch = watch or pids
	M.sh("kill -TERM " .. pids .. " 2>/dev/null")
	for _ = 1, math.ceil((grace or 5) / 0.05) do
		if not M.sh("kill -0 " .. watch .. " 2>/dev/null") then break end
		socket.sleep(0.05)
	end
	M.sh("kill -KILL " .. watch .. " 2>/dev/null")
end

return M
