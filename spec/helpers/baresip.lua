-- Debian's baresip as a phone for the end-to-end specs: it answers (or
-- dials) on loopback, sends a sine tone of its own (module ausine) and
-- records what it hears (module sndfile), so a spec can check a tone in
-- each direction with two different frequencies: no echo involved.
local socket = require "socket"
local prosody = require "spec.helpers.prosody"

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

local function write_file(path, text)
	local f = assert(io.open(path, "w"))
	f:write(text)
	f:close()
end

local Phone = {}
Phone.__index = Phone

function Phone:running()
	local ok = os.execute("kill -0 " .. self.pid .. " 2>/dev/null")
	return ok == true or ok == 0
end

--- Waits (bounded) for baresip to exit by itself (its -t lifetime).
function Phone:wait(timeout)
	local deadline = socket.gettime() + (timeout or 30)
	while self:running() and socket.gettime() < deadline do socket.sleep(0.1) end
	if self:running() then self:kill() return false end
	return true
end

function Phone:kill()
	os.execute("kill -TERM " .. self.pid .. " 2>/dev/null")
	for _ = 1, 30 do
		if not self:running() then return end
		socket.sleep(0.1)
	end
	os.execute("kill -KILL " .. self.pid .. " 2>/dev/null")
end

function Phone:log() return "--- baresip log\n" .. (read_file(self.dir .. "/baresip.log") or ""):sub(-4000) end

--- The tone in what the phone heard: { frequency_hz, rms_dbfs, ... } from
-- sndfile's recording of the decoded stream, or nil and why.
function Phone:heard()
	local p = io.popen("ls " .. quote(self.dir) .. "/dump-*-dec.wav 2>/dev/null")
	local file = p:read("l")
	p:close()
	if not file then return nil, "baresip recorded nothing" end
	p = io.popen(("/usr/bin/python3 %s/spec/helpers/wav_tone.py %s 1000 2000"):format(quote(prosody.repo), quote(file)))
	local out = p:read("a")
	p:close()
	local freq = tonumber(out:match('"frequency_hz": ([%d.]+)'))
	local level = tonumber(out:match('"rms_dbfs": (%-?[%d.]+)'))
	return { frequency_hz = freq, rms_dbfs = level, raw = out }
end

--- opts: { tone = Hz sent (default 1000), dial = SIP URI to call (else it
-- auto-answers), user = the number it answers (default +15550100),
-- lifetime = seconds before it quits (default 30) }.
-- Returns a phone with port (its SIP port), wait(), kill(), log(), heard().
function M.start(opts)
	opts = opts or {}
	local self = setmetatable({}, Phone)
	self.port = prosody.free_port()
	local rtp = prosody.free_port()
	self.dir = ("%s/build/spec-baresip/%d-%d"):format(prosody.repo, self.port, math.random(1e9))
	os.execute("mkdir -p " .. quote(self.dir))
	write_file(self.dir .. "/config", table.concat({
		"poll_method epoll",
		-- Loopback only: without it baresip puts its eth0 address in SDP.
		"net_interface 127.0.0.1",
		("sip_listen 127.0.0.1:%d"):format(self.port),
		-- The sine goes out; what comes in is only recorded (no sound card).
		"audio_player aubridge,nowhere",
		("audio_source ausine,%d"):format(opts.tone or 1000),
		"audio_alert aubridge,nowhere",
		-- ausine runs at 48 kHz stereo only; baresip resamples for PCMU.
		"ausrc_srate 48000",
		"ausrc_channels 2",
		("rtp_ports %d-%d"):format(rtp, rtp + 10),
		"module_path /usr/lib/baresip/modules",
		"module g711.so", "module aubridge.so", "module ausine.so", "module sndfile.so",
		"module_app account.so", "module_app menu.so",
		"snd_path " .. self.dir,
		"",
	}, "\n"))
	-- baresip takes only calls to its account's user: the number dialled.
	write_file(self.dir .. "/accounts", ("<sip:%s@127.0.0.1>;regint=0;answermode=auto\n"):format(
		opts.user or "+15550100"))
	write_file(self.dir .. "/contacts", "")
	local args = { "baresip", "-f", self.dir, "-t", tostring(opts.lifetime or 30) }
	if opts.dial then
		args[#args + 1] = "-e"
		args[#args + 1] = "/dial " .. opts.dial
	end
	for i, a in ipairs(args) do args[i] = quote(a) end
	local p = io.popen(("sh -c %s & echo $!"):format(quote(("exec %s </dev/null >%s 2>&1"):format(
		table.concat(args, " "), quote(self.dir .. "/baresip.log")))))
	self.pid = p:read("l")
	p:close()
	-- Let it bind before anyone calls it.
	socket.sleep(0.8)
	return self
end

return M
