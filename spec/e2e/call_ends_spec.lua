-- Calls that lost one side end, through the whole gateway: a real client
-- (aiortc over slixmpp) -> Prosody -> mod_jingle_sip -> libcallrelay ->
-- sipp. A trunk that goes silent after answering is hung up after
-- jingle_sip_trunk_media_timeout (not while it holds the call); a client
-- whose session closes has its call hung up at once, both with a BYE that
-- says why (RFC 3326 Reason, checked by the sipp scenarios), and so has
-- one whose client sends it unavailable presence; and a
-- session-terminate for a sid the gateway does not have is an error.
local socket = require "socket"
local st = require "util.stanza"
local webrtc = require "spec.helpers.webrtc_client"
local sipp = require "spec.helpers.sipp"
local xmpp = require "spec.helpers.xmpp_client"
local gateway = require "spec.helpers.gateway"

local TONE = 440

describe("calls that lost one side #lua54 #e2e", function()
	local server, peer, client

	after_each(function()
		if client then client:close() end
		if peer then peer:kill() end
		if server then server:stop() end
		server, peer, client = nil, nil, nil
	end)

	it("should hang up, saying why, when the phone sends no media after answering", function()
		peer = sipp.start({ scenario = "uas_answer_silent.xml", echo = false })
		server = gateway.start(peer.port, "jingle_sip_trunk_media_timeout = 3")
		local started = socket.gettime()
		local report = gateway.call(server, "+15550100", { "--tone", tostring(TONE), "--codecs", "PCMU",
			"--duration", "0", "--expect-reason", "connectivity-error" })
		local lasted = socket.gettime() - started
		assert.equal(0, report.exit_code, report.log)
		assert.equal("remote", report.terminated_by)
		assert.truthy(tostring(report.termination_text):match("^no media from the phone for [34] s$"),
			tostring(report.termination_text))
		assert.is_true(lasted < 20, ("the call lasted %.1f s"):format(lasted))
		-- sipp checked the BYE's Reason header (Q.850 cause 41 and the text).
		assert.equal(0, peer:wait(15), "the phone got no BYE with a Reason:\n" .. peer:log())
		assert.truthy(server:log():find("ended: failed connectivity%-error no media from the phone"),
			server:log():sub(-3000))
	end)

	it("should not hang up a call the phone holds, however long it is silent", function()
		-- Held 0.5 s after the answer, silent for 7 s (over twice the
		-- timeout), then the phone hangs up itself.
		peer = sipp.start({ scenario = "uas_hold_silent.xml", echo = false })
		server = gateway.start(peer.port, "jingle_sip_trunk_media_timeout = 3")
		local report = gateway.call(server, "+15550100", { "--tone", tostring(TONE), "--codecs", "PCMU",
			"--duration", "0", "--expect-reason", "success" })
		assert.equal(0, report.exit_code, report.log .. "\n" .. server:log():sub(-3000))
		assert.equal("remote", report.terminated_by)
		assert.equal("success", report.termination_reason)
		assert.equal(0, peer:wait(15), "the phone's hold or its BYE went wrong:\n" .. peer:log())
		assert.is_nil(server:log():find("no media from the phone", 1, true), server:log():sub(-3000))
	end)

	it("should send the phone a BYE at once when the client's session closes", function()
		peer = sipp.start({ scenario = "uas_bye_client_gone.xml" })
		server = gateway.start(peer.port)
		local caller = webrtc.start({ name = "closing", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--call", "+15550100@phone.localhost", "--jmi", "--tone",
				tostring(TONE), "--codecs", "PCMU", "--duration", "60", "--timeout", "60" } })
		assert.is_not_nil(server:wait_log("dtls_connected", 20), server:log():sub(-3000))
		socket.sleep(1)
		-- The process ends: its TCP stream closes without a session-terminate.
		local closed_at = socket.gettime()
		os.execute("kill -KILL " .. caller.pid)
		local rc = peer:wait(10)
		local took = socket.gettime() - closed_at
		assert.equal(0, rc, "the phone got no BYE with a Reason:\n" .. peer:log())
		assert.is_true(took < 3, ("the BYE came %.1f s after the client left"):format(took))
		assert.truthy(server:log():find("ended: failed gone the client's session closed", 1, true),
			server:log():sub(-3000))
		assert.is_nil(server:log():find("no media from the client", 1, true))
	end)

	it("should send the phone a BYE at once when the client says it is unavailable", function()
		peer = sipp.start({ scenario = "uas_bye_client_gone.xml" })
		server = gateway.start(peer.port)
		-- Directed unavailable presence to the phone JID 2 s into the call;
		-- its stream stays open (and it keeps sending its tone).
		local caller = webrtc.start({ name = "leaving", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--call", "+15550100@phone.localhost", "--tone",
				tostring(TONE), "--codecs", "PCMU", "--unavailable-at", "2", "--duration", "30",
				"--timeout", "30" } })
		local started = socket.gettime()
		local rc = peer:wait(20)
		local took = socket.gettime() - started
		os.execute("kill -KILL " .. caller.pid)
		assert.equal(0, rc, "the phone got no BYE with a Reason:\n" .. peer:log() .. server:log():sub(-3000))
		assert.is_true(took < 10, ("the BYE came %.1f s after the call started"):format(took))
		assert.truthy(server:log():find("ended: failed gone the client went offline", 1, true),
			server:log():sub(-3000))
	end)

	it("should answer unknown-session to a session-terminate for a sid it does not have", function()
		peer = sipp.start({})
		server = gateway.start(peer.port)
		client = xmpp.connect({ host = "localhost", port = server.c2s_port, user = "alice", password = "alice-pw" })
		local reply = client:iq(st.iq({ type = "set", id = "terminate-1", to = "+15550100@phone.localhost" })
			:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-terminate", sid = "never-was" })
			:tag("reason"):tag("success"), 10)
		assert.is_not_nil(reply, "no answer to the session-terminate")
		assert.equal("error", reply.attr.type, tostring(reply))
		assert.equal("item-not-found", select(2, reply:get_error()), tostring(reply))
		assert.is_not_nil(reply:get_child("error"):get_child("unknown-session", "urn:xmpp:jingle:errors:1"),
			tostring(reply))
		-- Nothing reached the phone.
		assert.is_nil(peer:messages():find("INVITE", 1, true))
	end)
end)
