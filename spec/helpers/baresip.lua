-- Debian's baresip as a phone for the end-to-end specs, on loopback, speaking
-- only the codec asked for. Either an echo (the aubridge device "loop" is
-- its player and its source, so what it decodes from us is what it encodes
-- back: an echo behind a real codec), or, with a tone, a phone that sends a
-- sine of its own (module ausine) and records both directions to WAV files
-- (module sndfile), so a spec checks each direction's tone at the far end.
-- It auto-answers, or dials one call at start. The same setup as
-- relay/tests/peer_baresip.c, with a chosen codec module.
local socket = require "socket"
local prosody = require "spec.helpers.prosody"
local process = require "spec.helpers.process"

local M = {}

-- baresip's module and audio rate for each codec we ask for.
local CODECS = { g722 = { "g722.so", 16000 }, opus = { "opus.so", 48000 }, pcmu = { "g711.so", 8000 } }

local function quote(s)
	return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function write_file(path, text)
	local f = assert(io.open(path, "wb"))
	f:write(text)
	f:close()
end

local Run = {}
Run.__index = Run

function Run:running()
	local ok = os.execute("kill -0 " .. self.pid .. " 2>/dev/null")
	return ok == true or ok == 0
end

--- Stops baresip and waits (bounded) for it to exit: sndfile completes its
-- WAV headers only then.
function Run:kill()
	os.execute("kill -TERM " .. self.pid .. " 2>/dev/null")
	for _ = 1, 30 do
		if not self:running() then return end
		socket.sleep(0.1)
	end
	os.execute("kill -KILL " .. self.pid .. " 2>/dev/null")
end

function Run:log()
	local f = io.open(self.dir .. "/baresip.log", "rb")
	if not f then return "" end
	local s = f:read("a")
	f:close()
	return "--- baresip log\n" .. s:sub(-3000)
end

--- The tone in one of the WAV files baresip dumped (tone runs, after
-- kill()): "dec" is what it heard, "enc" what it sent. Returns
-- { frequency_hz, rms_dbfs } or nil, why.
function Run:measure(which)
	local p = io.popen(("ls %s/dump-*-%s.wav 2>/dev/null"):format(quote(self.dir), which))
	local file = p:read("l")
	p:close()
	if not file then return nil, "baresip dumped no " .. which .. " audio" end
	p = io.popen(("/usr/bin/python3 %s/spec/helpers/wav_tone.py %s 1000 2000"):format(
		quote(prosody.repo), quote(file)))
	local out = p:read("a")
	p:close()
	local hz, db = out:match('"frequency_hz": ([%d.]+).-"rms_dbfs": (%-?[%d.]+)')
	if not hz then return nil, "no tone in " .. file .. ": " .. out end
	return { frequency_hz = tonumber(hz), rms_dbfs = tonumber(db) }
end

--- opts: { codec = "pcmu" (default) | "g722" | "opus", user = "+15550100"
-- (the number it answers: baresip refuses a request URI of another user),
-- lifetime = 60 (seconds before it quits), tone = Hz (send this sine instead
-- of echoing, and dump both ways for Run:measure), dial = SIP URI to call at
-- start instead of waiting }.
-- Returns a run with port, kill(), log(), measure().
function M.start(opts)
	opts = opts or {}
	local codec = assert(CODECS[opts.codec or "pcmu"], "unknown codec " .. tostring(opts.codec))
	local self = setmetatable({}, Run)
	self.port = prosody.free_port()
	local rtp = prosody.free_port()
	self.dir = ("%s/build/spec-baresip/%d-%d"):format(prosody.repo, self.port, math.random(1e9))
	os.execute("mkdir -p " .. quote(self.dir))
	write_file(self.dir .. "/config", table.concat({
		"poll_method epoll",
		"net_interface 127.0.0.1", -- else baresip puts its eth0 address in SDP
		("sip_listen 127.0.0.1:%d"):format(self.port),
		opts.tone and ("audio_source ausine,%d"):format(opts.tone) or "audio_source aubridge,loop",
		opts.tone and "audio_player aubridge,sink" or "audio_player aubridge,loop",
		"audio_alert aubridge,alert",
		("audio_srate %d"):format(codec[2]), "audio_channels 1",
		-- ausine runs at 48 kHz stereo only; baresip 1.0 resamples between
		-- its devices and the codec.
		opts.tone and "ausrc_srate 48000" or "", opts.tone and "ausrc_channels 2" or "",
		("rtp_ports %d-%d"):format(rtp, rtp + 20),
		"module_path /usr/lib/baresip/modules",
		"module " .. codec[1], "module aubridge.so", "module_app account.so",
		opts.dial and "module_app menu.so" or "",
		opts.tone and "module ausine.so" or "", opts.tone and "module sndfile.so" or "",
		opts.tone and ("snd_path %s"):format(self.dir) or "", "",
	}, "\n"))
	write_file(self.dir .. "/accounts",
		("<sip:%s@127.0.0.1>;regint=0;answermode=auto\n"):format(opts.user or "+15550100"))
	write_file(self.dir .. "/contacts", "")
	local args = { "baresip", "-f", self.dir, "-t", tostring(opts.lifetime or 60) }
	if opts.dial then
		args[#args + 1] = "-e"
		args[#args + 1] = "/dial " .. opts.dial
	end
	for i, a in ipairs(args) do args[i] = quote(a) end
	local script = ("exec %s </dev/null >%s 2>&1"):format(table.concat(args, " "),
		quote(self.dir .. "/baresip.log"))
	local p = io.popen(("sh -c %s & echo $!"):format(quote(script)))
	self.pid = p:read("l")
	p:close()
	-- Until it holds its SIP port (bounded; a UDP request to a bound port
	-- waits in its queue), instead of a fixed 0.8 s. Read from /proc/net,
	-- not probed with a bind, which would take the port from baresip.
	local deadline = socket.gettime() + 10
	while not process.udp_bound(self.port) and socket.gettime() < deadline do
		local alive = os.execute("kill -0 " .. self.pid .. " 2>/dev/null")
		if not (alive == true or alive == 0) then break end
		socket.sleep(0.02)
	end
	return self
end

return M
