-- `make run` as an operator meets it: scripts/run-demo.sh started for real
-- with every DEMO_* port moved, its printed commands checked against those
-- ports (and the admin shell command run), every socket it opens on
-- loopback, and SIGTERM ending it with exit status 0 and nothing left over.
local socket = require "socket"
local prosody = require "spec.helpers.prosody"

local repo = prosody.repo

local function read_file(path)
	local f = io.open(path, "rb")
	if not f then return nil end
	local s = f:read("a")
	f:close()
	return s
end

local function run(cmd)
	local p = io.popen(cmd .. " 2>&1; echo \"exit=$?\"")
	local out = p:read("a")
	p:close()
	return tonumber(out:match("exit=(%d+)%s*$")), (out:gsub("exit=%d+%s*$", ""))
end

-- Pids of the processes whose command line mentions the demo's directory
-- (Prosody, runuser, sipp) or that are the script itself.
local function demo_pids(dir, script_pid)
	local pids = {}
	local p = io.popen("ls /proc")
	for pid in p:read("a"):gmatch("%d+") do
		local cmd = read_file("/proc/" .. pid .. "/cmdline")
		if pid == script_pid or (cmd and cmd:gsub("%z", " "):find(dir, 1, true)) then
			pids[pid] = cmd and cmd:gsub("%z", " ") or ""
		end
	end
	p:close()
	return pids
end

local function is_loopback(addr)
	return addr:match("^127%.") or addr:match("^%[::1%]") or addr:match("^%[::ffff:127%.")
end

local function wait_for(pred, timeout)
	local deadline = socket.gettime() + timeout
	repeat
		local v = pred()
		if v then return v end
		socket.sleep(0.1)
	until socket.gettime() > deadline
	return nil
end

local function ss_listening()
	local p = io.popen("ss -lntupH")
	local listing = p:read("a")
	p:close()
	return listing
end

-- Every socket the demo's processes listen on is a loopback one.
local function assert_loopback_only(dir, script_pid)
	local pids = demo_pids(dir, script_pid)
	local listing = ss_listening()
	local seen, outside = 0, {}
	for line in listing:gmatch("[^\n]+") do
		local addr = line:match("^%S+%s+%S+%s+%d+%s+%d+%s+(%S+)")
		for pid in line:gmatch("pid=(%d+)") do
			if pids[pid] and addr then
				seen = seen + 1
				if not is_loopback(addr) then outside[#outside + 1] = line end
			end
		end
	end
	-- Prosody's c2s, http, SIP; sipp's SIP, RTP echo and control at least.
	assert.is_true(seen >= 6, "too few demo sockets found:\n" .. listing)
	assert.same({}, outside, "listening outside loopback")
end

-- The pid of a child of ppid whose command line contains needle.
local function child_of(ppid, needle)
	local p = io.popen("ls /proc")
	local found
	for pid in p:read("a"):gmatch("%d+") do
		local stat = read_file("/proc/" .. pid .. "/stat") or ""
		local parent = stat:match("^%d+ %b() %S+ (%d+)")
		local cmd = (read_file("/proc/" .. pid .. "/cmdline") or ""):gsub("%z", " ")
		if parent == ppid and cmd:find(needle, 1, true) then found = pid end
	end
	p:close()
	return found
end

describe("make run (scripts/run-demo.sh) #lua54", function()
	it("should end make run with status 0 and no make error on SIGTERM, on loopback with sipp's control port", function()
		local base = ("%s/build/spec-demo/make-%d-%d"):format(repo, prosody.free_port(), os.time())
		local dir = base .. "/run"
		assert(os.execute("mkdir -p " .. base))
		local env = { "DEMO_DIR=" .. dir }
		-- The PSTN's control port left to sipp (from 8888 up), still on loopback.
		for _, name in ipairs({ "C2S", "HTTP", "SIP", "PSTN", "PSTN_MEDIA" }) do
			env[#env + 1] = ("DEMO_%s_PORT=%d"):format(name, prosody.free_port())
		end
		local out_file, pid_file, rc_file = base .. "/out", base .. "/pid", base .. "/rc"
		-- deps and web are taken as done (-o): this is about make and the script.
		assert(os.execute(("( env %s sh -c 'echo $$ >%s; exec make -s -C %s -o deps -o web run' >%s 2>&1 </dev/null;"
			.. " echo $? >%s ) &"):format(table.concat(env, " "), pid_file, repo, out_file, rc_file)))
		local make_pid = wait_for(function() return (read_file(pid_file) or ""):match("%d+") end, 5)
		assert.is_not_nil(make_pid, "make did not start")
		local script_pid
		finally(function()
			for pid in pairs(demo_pids(dir, script_pid)) do os.execute("kill -KILL " .. pid .. " 2>/dev/null") end
		end)
		local out = wait_for(function()
			local o = read_file(out_file) or ""
			if o:find("Press Ctrl-C to stop", 1, true) or read_file(rc_file) then return o end
		end, 60)
		assert.truthy(out and out:find("Press Ctrl-C to stop", 1, true), "the demo did not come up:\n"
			.. (read_file(out_file) or ""))
		script_pid = child_of(make_pid, "scripts/run-demo.sh")
		assert.is_not_nil(script_pid, "no run-demo.sh under make")
		assert_loopback_only(dir, script_pid)
		assert(os.execute("kill -TERM " .. script_pid))
		local rc = wait_for(function() return (read_file(rc_file) or ""):match("%d+") end, 20)
		local final = read_file(out_file) or ""
		assert.equal("0", rc, final)
		assert.truthy(final:find("Stopped.", 1, true), final)
		assert.falsy(final:find("make: ***", 1, true), final)
	end)


	it("should print commands with its ports, listen on loopback only and exit 0 on SIGTERM", function()
		local base = ("%s/build/spec-demo/%d-%d"):format(repo, prosody.free_port(), os.time())
		local dir = base .. "/run"
		assert(os.execute("mkdir -p " .. base))
		local ports = {}
		for _, name in ipairs({ "C2S", "HTTP", "SIP", "PSTN", "PSTN_MEDIA", "PSTN_CONTROL",
			"CALLER", "CALLER_MEDIA", "CALLER_CONTROL" }) do
			ports[name] = prosody.free_port()
		end
		local env = { "DEMO_DIR=" .. dir }
		for name, port in pairs(ports) do env[#env + 1] = ("DEMO_%s_PORT=%d"):format(name, port) end
		local out_file, pid_file, rc_file = base .. "/out", base .. "/pid", base .. "/rc"
		-- The script's own pid (exec), and its exit status once it ends.
		assert(os.execute(("( env %s sh -c 'echo $$ >%s; exec sh %s/scripts/run-demo.sh' >%s 2>&1 </dev/null;"
			.. " echo $? >%s ) &"):format(table.concat(env, " "), pid_file, repo, out_file, rc_file)))
		local script_pid = wait_for(function() return (read_file(pid_file) or ""):match("%d+") end, 5)
		assert.is_not_nil(script_pid, "the demo did not start")
		finally(function()
			-- Whatever happened, leave nothing running.
			for pid in pairs(demo_pids(dir, script_pid)) do os.execute("kill -KILL " .. pid .. " 2>/dev/null") end
		end)

		local out = wait_for(function()
			local o = read_file(out_file) or ""
			if o:find("Press Ctrl-C to stop", 1, true) or read_file(rc_file) then return o end
		end, 60)
		assert.truthy(out and out:find("Press Ctrl-C to stop", 1, true), "the demo did not come up:\n"
			.. (read_file(out_file) or "") .. (read_file(dir .. "/prosody.log") or ""))

		-- The printed commands use the ports it was given.
		local inbound = out:match("Inbound:%s+(sipp [^\n]+)")
		assert.is_not_nil(inbound, out)
		assert.truthy(inbound:find(" 127.0.0.1:" .. ports.SIP .. " ", 1, true), inbound)
		assert.truthy(inbound:find(" -p " .. ports.CALLER .. " ", 1, true), inbound)
		assert.truthy(inbound:find(" -mp " .. ports.CALLER_MEDIA .. " ", 1, true), inbound)
		assert.truthy(inbound:find(" -ci 127.0.0.1 -cp " .. ports.CALLER_CONTROL .. " ", 1, true), inbound)
		assert.truthy(out:find("client port 127.0.0.1:" .. ports.C2S, 1, true), out)
		assert.truthy(out:find("ws://127.0.0.1:" .. ports.HTTP .. "/xmpp-websocket", 1, true), out)
		assert.truthy(out:find("SIP 127.0.0.1:" .. ports.SIP, 1, true), out)
		assert.truthy(out:find("trunk = local PSTN sip:127.0.0.1:" .. ports.PSTN, 1, true), out)

		-- The admin shell command, as printed, works (as root it goes through runuser).
		local admin = out:match("Admin shell:%s+([^\n]+)")
		assert.is_not_nil(admin, out)
		assert.truthy(admin:find("--config " .. dir .. "/prosody.cfg.lua shell", 1, true), admin)
		if prosody.is_root then assert.truthy(admin:find("^runuser %-u prosody %-%- prosodyctl"), admin) end
		local code, shell_out = run(admin .. " \"module:list('phone.localhost')\"")
		assert.equal(0, code, shell_out)
		assert.truthy(shell_out:find("jingle_sip", 1, true), shell_out)

		assert_loopback_only(dir, script_pid)
		assert.truthy(ss_listening():find("127.0.0.1:" .. ports.PSTN_CONTROL, 1, true), "PSTN control port")

		-- SIGTERM: a requested stop, cleaned up, exit status 0.
		assert(os.execute("kill -TERM " .. script_pid))
		local rc = wait_for(function() return (read_file(rc_file) or ""):match("%d+") end, 20)
		local final = read_file(out_file) or ""
		assert.equal("0", rc, final)
		assert.truthy(final:find("Stopped.", 1, true), final)
		local left = wait_for(function() return next(demo_pids(dir, script_pid)) == nil end, 10)
		assert.is_true(left == true, "processes left: " .. table.concat((function()
			local l = {}
			for pid, cmd in pairs(demo_pids(dir, script_pid)) do l[#l + 1] = pid .. " " .. cmd end
			return l
		end)(), "\n"))
	end)
end)
