-- The gateway on a public address (README.md, "Running it on a public
-- address"), against a real Prosody + mod_jingle_sip + sipp: SIP from
-- outside the trunk's addresses rings nobody, a burst of INVITEs is
-- refused past the per-source rate, the call limit derived from the
-- descriptor limit is logged and enforced with 503, and the trunk's own
-- calls still carry audio both ways. A stranger is sipp bound to 127.0.0.2
-- (all of 127.0.0.0/8 is loopback); the trunk is sipp on 127.0.0.1.
local prosody = require "spec.helpers.prosody"
local webrtc = require "spec.helpers.webrtc_client"
local sipp = require "spec.helpers.sipp"
local xmpp = require "spec.helpers.xmpp_client"
local gateway = require "spec.helpers.gateway"
local st = require "util.stanza"
local socket = require "socket"

local TONE = 440
local DID = gateway.DID -- owned by alice

local function count(text, plain)
	local n, from = 0, 1
	while true do
		local s, e = text:find(plain, from, true)
		if not s then return n end
		n, from = n + 1, e + 1
	end
end

local function states_named(report, name)
	local n = 0
	for _, s in ipairs(report.states or {}) do n = n + (s.state == name and 1 or 0) end
	return n
end

local function status_number(out, pattern)
	return tonumber(out:match(pattern))
end

describe("the gateway on a public address #lua54 #e2e", function()
	local server, peer, stranger, callee

	after_each(function()
		for _, p in ipairs({ peer, stranger }) do p:kill() end
		if callee then callee:kill() end
		if server then server:stop() end
		server, peer, stranger, callee = nil, nil, nil, nil
	end)
	before_each(function()
		-- after_each's loop needs killable placeholders
		local none = { kill = function() end }
		peer, stranger = none, none
	end)

	-- A gateway listening on its own port; alice's device answers with TONE.
	local function start(extra)
		local port = prosody.free_port()
		server = gateway.start(prosody.free_port(),
			('jingle_sip_listen = "127.0.0.1:%d"\n%s'):format(port, extra or ""))
		callee = webrtc.start({ name = "callee", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--answer", "--tone", tostring(TONE),
				"--expect-tone", tostring(TONE), "--timeout", "60" } })
		assert.is_true(callee:wait_ready(15), callee:log())
		return "127.0.0.1:" .. port
	end

	-- The trunk (sipp on 127.0.0.1) calls alice's DID; her device answers and
	-- hears its tone back through sipp's echo. Returns her report.
	local function trunk_call(target)
		peer = sipp.start({ scenario = "uac_call.xml", remote = target, service = DID })
		local rc = peer:wait(40)
		local report, err = callee:result(20)
		assert.is_not_nil(report, err)
		report.log = callee:log()
		assert.equal(0, rc, "the trunk's call did not complete:\n" .. peer:log() .. "\n" .. server:log():sub(-3000))
		local audio = report.audio or {}
		assert.is_number(audio.frequency_hz, "no audio came back:\n" .. report.log)
		assert.is_true(math.abs(audio.frequency_hz - TONE) <= 0.02 * TONE, "heard " .. audio.frequency_hz)
		assert.is_true(report.rtp.packets_sent >= 100 and report.rtp.packets_received >= 100,
			("rtp sent %d, received %d"):format(report.rtp.packets_sent, report.rtp.packets_received))
		assert.equal("success", report.termination_reason)
		return report
	end

	it("should drop a stranger's INVITE before the SIP stack reads it, ring nobody, and carry the trunk's call",
		function()
		local target = start()
		assert.truthy(server:wait_log("SIP is accepted only from 127%.0%.0%.1/32 %(kernel filter on %d+ sockets", 10),
			server:log():sub(-2000))
		stranger = sipp.start({ scenario = "uac_call.xml", remote = target, service = DID, ip = "127.0.0.2",
			timeout = 4 })
		assert.are_not.equal(0, stranger:wait(15), "the stranger's call went through:\n" .. stranger:log())
		assert.is_nil(stranger:messages():find("SIP/2.0 ", 1, true), "the stranger got an answer:\n"
			.. stranger:messages())
		local report = trunk_call(target)
		assert.equal(1, states_named(report, "jmi-propose-received"), "alice was rung more than once")
		local ok, out = server:shell("jingle_sip:status()")
		assert.is_true(ok, out)
		assert.is_true(status_number(out, "(%d+) dropped by the kernel filter") >= 1, out)
		assert.equal(0, status_number(out, "(%d+) answered 403"), out)
	end)

	it("should answer a stranger 403 without the kernel filter, count it, ring nobody, and carry the trunk's call",
		function()
		local target = start("jingle_sip_trunk_source_filter = false")
		assert.truthy(server:wait_log("no kernel filter, others answered 403", 10), server:log():sub(-2000))
		stranger = sipp.start({ scenario = "uac_403.xml", remote = target, service = DID, ip = "127.0.0.2",
			timeout = 10 })
		assert.equal(0, stranger:wait(20), "the stranger did not get its 403:\n" .. stranger:log())
		local report = trunk_call(target)
		assert.equal(1, states_named(report, "jmi-propose-received"), "alice was rung for the stranger")
		local ok, out = server:shell("jingle_sip:status()")
		assert.is_true(ok, out)
		assert.equal(1, status_number(out, "(%d+) answered 403"), out)
	end)

	it("should refuse a burst of INVITEs past the per-source rate with 503, then carry a normal call", function()
		local target = start("jingle_sip_invite_rate = 1") -- bursts of 2
		-- Six INVITEs at once to a number nobody owns: the two admitted get
		-- the gateway's 404, the four past the rate 503 before any call exists.
		peer = sipp.start({ scenario = "uac_refused.xml", remote = target, service = "+15550009999",
			calls = 6, rate = 100 })
		assert.equal(0, peer:wait(30), peer:log())
		local messages = peer:messages()
		assert.equal(2, count(messages, "SIP/2.0 404"), messages)
		assert.equal(4, count(messages, "SIP/2.0 503"), messages)
		local ok, out = server:shell("jingle_sip:status()")
		assert.is_true(ok, out)
		assert.equal(4, status_number(out, "(%d+) INVITEs over the rate"), out)
		socket.sleep(2) -- the bucket refills at one a second
		trunk_call(target)
	end)

	it("should derive max_calls from the descriptor limit, log it, and answer 503 past it", function()
		local NOFILE = 160
		local port = prosody.free_port()
		server = prosody.start({ nofile = NOFILE, users = { alice = "alice-pw" }, extra = table.concat({
			('jingle_sip_trunk = "sip:127.0.0.1:%d"'):format(prosody.free_port()),
			('jingle_sip_listen = "127.0.0.1:%d"'):format(port),
			'jingle_sip_rtp_address = "127.0.0.1"',
			"jingle_sip_trunk_check_interval = 0",
			('jingle_sip_numbers = { ["%s"] = "alice@localhost" }'):format(DID),
		}, "\n") })
		local line = server:wait_log("jingle_sip_max_calls = [^\n]*", 10)
		assert.is_not_nil(line, server:log():sub(-2000))
		local max, limit, was, open, per_call = line:match(
			"= (%d+) %(auto: descriptor limit (%d+), raised from (%d+); (%d+) open, (%d+) per call")
		assert.is_not_nil(max, line)
		max, limit, open, per_call = tonumber(max), tonumber(limit), tonumber(open), tonumber(per_call)
		assert.equal(NOFILE, limit, line)
		assert.equal(NOFILE, tonumber(was), line)
		assert.equal(math.max(1, (limit - open) // 2 // per_call), max, line)
		assert.is_true(max < 20, "the test needs a small limit: " .. line)
		-- alice online (rings, never answers): max calls ring, one more gets 503.
		local alice = xmpp.connect({ host = "localhost", port = server.c2s_port, user = "alice",
			password = "alice-pw" })
		alice:send(st.presence())
		peer = sipp.start({ scenario = "uac_cancel.xml", remote = "127.0.0.1:" .. port,
			service = DID, calls = max + 1, rate = 50, timeout = 30 })
		peer:wait(40)
		alice:close()
		-- (sipp does not ACK the 503 it did not expect: Sofia retransmits it.)
		local messages = peer:messages()
		assert.is_true(count(messages, "SIP/2.0 503") >= 1, messages:sub(-4000))
		assert.is_true(count(messages, "SIP/2.0 487") >= max, "each call within the limit rang until cancelled:\n"
			.. messages:sub(-4000))
		local ok, out = server:shell("jingle_sip:status()")
		assert.is_true(ok, out)
		assert.equal(1, status_number(out, "(%d+) over max_calls"), out)
	end)

	it("should refuse an outbound call past jingle_sip_max_calls with a Jingle error, the first going on", function()
		peer = sipp.start({})
		server = gateway.start(peer.port, "jingle_sip_max_calls = 1")
		assert.truthy(server:wait_log("jingle_sip_max_calls = 1 %(0 = no limit", 10), server:log():sub(-2000))
		callee = webrtc.start({ name = "first", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--call", "+15550100@phone.localhost", "--tone", tostring(TONE),
				"--duration", "6", "--timeout", "40" } })
		assert.truthy(server:wait_log("Relay call %d+: sip_answered", 20), server:log():sub(-3000))
		local second = gateway.call(server, "+15550101", { "--tone", "0" }, "bob")
		assert.are_not.equal(0, second.exit_code)
		assert.truthy(table.concat(second.errors or {}, "\n"):find("resource-constraint", 1, true), second.log)
		local first, err = callee:result(30)
		assert.is_not_nil(first, err)
		assert.equal(0, first.exit_code, callee:log())
		assert.equal(0, peer:wait(15), peer:log())
	end)
end)
