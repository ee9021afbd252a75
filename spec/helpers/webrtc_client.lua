-- Drives spec/helpers/webrtc_client.py (a real-WebRTC XMPP client on
-- aiortc + slixmpp) from specs: start it in the background, wait for it to be
-- logged in, wait for its JSON report. Lua 5.4 only (uses Prosody's util.json).
local socket = require "socket"
local json = require "util.json"

local M = {}

-- Debian's interpreter: another python3 earlier on PATH may lack aiortc.
M.python = "/usr/bin/python3"

local repo = (function()
	local p = io.popen("git rev-parse --show-toplevel 2>/dev/null || pwd")
	local dir = p:read("l")
	p:close()
	return dir
end)()
M.script = repo .. "/spec/helpers/webrtc_client.py"

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

-- json.null -> nil, recursively, so specs can compare with plain values.
local function denull(v)
	if v == json.null then return nil end
	if type(v) == "table" then
		for k, x in pairs(v) do v[k] = denull(x) end
	end
	return v
end

local Client = {}
Client.__index = Client

--- Waits until the client is logged in (its --ready-file exists).
function Client:wait_ready(timeout)
	local deadline = socket.gettime() + (timeout or 15)
	repeat
		if read_file(self.ready_file) then return true end
		if not self:running() then return false end
		socket.sleep(0.05)
	until socket.gettime() > deadline
	return false
end

function Client:running()
	local ok = os.execute("kill -0 " .. self.pid .. " 2>/dev/null")
	return ok == true or ok == 0
end

--- Waits for the process to exit and returns its decoded JSON report, or
-- nil and a message with the tail of its log.
function Client:result(timeout)
	local deadline = socket.gettime() + (timeout or 40)
	while self:running() and socket.gettime() < deadline do socket.sleep(0.05) end
	if self:running() then
		self:kill()
		return nil, "webrtc client still running after the wait; log:\n" .. self:log()
	end
	local text = read_file(self.json_out)
	if not text then return nil, "no JSON report; log:\n" .. self:log() end
	local ok, decoded = pcall(json.decode, text)
	if not ok or type(decoded) ~= "table" then return nil, "bad JSON report: " .. text end
	return denull(decoded)
end

function Client:log()
	return (read_file(self.log_file) or ""):sub(-4000)
end

--- Removes the client's files (report, log, ready marker).
function Client:cleanup()
	os.remove(self.json_out)
	os.remove(self.ready_file)
	os.remove(self.log_file)
end

function Client:kill()
	os.execute("kill -TERM " .. self.pid .. " 2>/dev/null")
end

--- Starts the client in the background.
-- opts: jid, password, port (c2s), name (for file names), args = { "--answer", ... }.
-- Returns a handle with wait_ready(), result(), log(), kill().
function M.start(opts)
	local self = setmetatable({}, Client)
	local dir = ("%s/build/spec-webrtc"):format(repo)
	os.execute("mkdir -p " .. quote(dir))
	local base = ("%s/%s-%d-%d"):format(dir, opts.name or "client", opts.port, math.random(1e9))
	self.json_out, self.ready_file, self.log_file = base .. ".json", base .. ".ready", base .. ".log"
	os.remove(self.json_out)
	os.remove(self.ready_file)
	local cmd = { M.python, M.script, "--jid", opts.jid, "--password", opts.password,
		"--port", opts.port, "--json-out", self.json_out, "--ready-file", self.ready_file, "-v" }
	for _, a in ipairs(opts.args or {}) do cmd[#cmd + 1] = a end
	for i, a in ipairs(cmd) do cmd[i] = quote(a) end
	local p = io.popen(("sh -c %s"):format(quote(("exec %s >%s 2>&1 & echo $!")
		:format(table.concat(cmd, " "), quote(self.log_file)))))
	self.pid = p:read("l")
	p:close()
	assert(self.pid and self.pid:match("^%d+$"), "webrtc client did not start")
	return self
end

--- Runs a callee and then a caller against the same Prosody, returns both
-- reports (caller, callee) or raises with the clients' logs.
-- opts: port, callee = { jid, password, args }, caller = { jid, password, args }.
function M.call_pair(opts)
	local callee = M.start { name = "callee", jid = opts.callee.jid, password = opts.callee.password,
		port = opts.port, args = opts.callee.args }
	if not callee:wait_ready(15) then
		callee:kill()
		error("callee did not log in; log:\n" .. callee:log())
	end
	local caller = M.start { name = "caller", jid = opts.caller.jid, password = opts.caller.password,
		port = opts.port, args = opts.caller.args }
	local a, aerr = caller:result(opts.wait or 40)
	local b, berr = callee:result(10)
	if not a or not b then
		callee:kill()
		caller:kill()
		error(("webrtc clients failed:\ncaller: %s\ncallee: %s"):format(tostring(aerr or "ok"),
			tostring(berr or "ok")))
	end
	-- The logs travel in the reports (for assertion messages); on failure
	-- above, the files stay under build/spec-webrtc/ for a look.
	a.log, b.log = caller:log(), callee:log()
	caller:cleanup()
	callee:cleanup()
	return a, b
end

return M
