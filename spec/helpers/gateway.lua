-- The end-to-end specs' gateway: a real Prosody with mod_jingle_sip whose
-- trunk is a SIP peer on loopback, and calls placed through it by the
-- aiortc test client (spec/helpers/webrtc_client.py).
local prosody = require "spec.helpers.prosody"
local webrtc = require "spec.helpers.webrtc_client"

local M = {}

M.DID = "+15557654321" -- owned by alice

--- A Prosody whose trunk is `trunk_port` on loopback, users alice and bob
-- (passwords alice-pw, bob-pw), alice owning DID. extra: more config
-- lines; opts: more prosody.start options (modules, global).
function M.start(trunk_port, extra, opts)
	return prosody.start({
		modules = opts and opts.modules, global = opts and opts.global,
		users = { alice = "alice-pw", bob = "bob-pw" },
		extra = table.concat({
			('jingle_sip_trunk = "sip:127.0.0.1:%d"'):format(trunk_port),
			'jingle_sip_rtp_address = "127.0.0.1"',
			'jingle_sip_dialplan = { "^%+1555" }',
			-- sipp runs scripted calls only: no OPTIONS health checks at it.
			"jingle_sip_trunk_check_interval = 0",
			('jingle_sip_numbers = { ["%s"] = "alice@localhost" }'):format(M.DID),
			extra or "",
		}, "\n"),
	})
end

--- `user` (default alice) calls `number` through `server` with the test
-- client's extra args; returns its report, with its log as report.log.
function M.call(server, number, args, user)
	local client = webrtc.start({ name = "caller", jid = (user or "alice") .. "@localhost",
		password = (user or "alice") .. "-pw", port = server.c2s_port,
		args = { "--call", number .. "@phone.localhost", "--timeout", "40", table.unpack(args or {}) } })
	local report, err = client:result(45)
	if not report then error(err, 2) end
	report.log = client:log()
	return report
end

return M
