-- Users of another server (docs: README.md "Users of other servers"): a
-- real ejabberd (Debian's 23.01) serving users.test, with carbons and MAM
-- on, and our Prosody serving plain.test and the component phone.test, s2s
-- between them on loopback (spec/helpers/ejabberd.lua). An ejabberd user
-- adds a phone JID and sees it online with caps, asks the component for a
-- phone JID over s2s, calls out (tones both ways), and is called: an
-- inbound call from sipp rings both of her devices through JMI over s2s,
-- one answers, the other stops. Once she shares her presence with the
-- component (README.md "Users of other servers"), a device of hers
-- without JMI rings too (a session-initiate to it beside the propose),
-- and with nothing of hers online a call gets 480 at once.
local prosody = require "spec.helpers.prosody"
local ejabberd = require "spec.helpers.ejabberd"
local xmpp = require "spec.helpers.xmpp_client"
local webrtc = require "spec.helpers.webrtc_client"
local baresip = require "spec.helpers.baresip"
local sipp = require "spec.helpers.sipp"
local process = require "spec.helpers.process"
local st = require "util.stanza"
local new_id = require "util.id".short
local socket = require "socket"

local USERS, PLAIN, PHONE_HOST = "users.test", "plain.test", "phone.test"
local DID = "+15557654321" -- owned by carol@users.test
local PHONE = "+15550100@" .. PHONE_HOST
local CAPS = "http://jabber.org/protocol/caps"
local TONE = 440

local function roster_push(client, jid, subscription, timeout)
	return client:receive(function(s)
		if s.name ~= "iq" or s.attr.type ~= "set" then return false end
		local query = s:get_child("query", "jabber:iq:roster")
		local item = query and query:get_child("item")
		return item and item.attr.jid == jid and item.attr.subscription == subscription and not item.attr.ask
	end, timeout or 10)
end

describe("users of an ejabberd server #lua54 #e2e", function()
	local server, remote, trunk, sip_port

	-- A device's presence crosses s2s to the component after the client
	-- is logged in: a call placed before the gateway sees it would find
	-- her offline (480) or ring too few devices. Waits until the gateway
	-- sees `n` devices of hers (she is the one owner online).
	local function wait_devices(n)
		local want, out = ("1 online with %d devices"):format(n), nil
		local seen = process.wait_for(function()
			out = select(2, server:shell("jingle_sip:status()"))
			return out:find(want, 1, true)
		end, 15, 0.2)
		assert.is_not_nil(seen, "the gateway never saw her " .. n .. " devices:\n" .. tostring(out))
	end

	setup(function()
		-- The trunk: baresip answers outbound calls with a 1000 Hz tone and
		-- records what it hears.
		trunk = baresip.start({ tone = 1000, lifetime = 100 })
		sip_port = prosody.free_port()
		local s2s_port = prosody.free_port()
		remote = ejabberd.start({ domain = USERS, users = { carol = "carol-pw", erin = "erin-pw" },
			peers = { [PHONE_HOST] = s2s_port, [PLAIN] = s2s_port }, lifetime = 110 })
		server = prosody.start({
			domain = PLAIN, phone_domain = PHONE_HOST, s2s_port = s2s_port,
			users = { dave = "dave-pw" },
			global = ejabberd.prosody_resolver(remote.hosts_file),
			extra = table.concat({
				('jingle_sip_trunk = "sip:127.0.0.1:%d"'):format(trunk.port),
				('jingle_sip_listen = "127.0.0.1:%d"'):format(sip_port),
				'jingle_sip_rtp_address = "127.0.0.1"',
				'jingle_sip_dialplan = { "^%+1555" }',
				"jingle_sip_trunk_check_interval = 0",
				'jingle_sip_default_country = "US"',
				('jingle_sip_allow = { "%s" }'):format(USERS),
				('jingle_sip_numbers = { ["%s"] = "carol@%s" }'):format(DID, USERS),
			}, "\n"),
		})
	end)

	teardown(function()
		if trunk then trunk:kill() end
		if server then server:stop() end
		if remote then remote:stop() end
	end)

	it("should show a phone JID added by an ejabberd user online, with caps", function()
		local carol = xmpp.connect({ host = USERS, port = remote.c2s_port, user = "carol", password = "carol-pw",
			resource = "roster" })
		finally(function() carol:close() end)
		assert(carol:iq(st.iq({ type = "get", id = new_id() }):query("jabber:iq:roster")))
		carol:send(st.presence())
		carol:send(st.iq({ type = "set", id = new_id() }):query("jabber:iq:roster"):tag("item", { jid = PHONE }))
		carol:send(st.presence({ to = PHONE, type = "subscribe" }))
		assert.is_not_nil(roster_push(carol, PHONE, "to", 20),
			"the subscription was never approved over s2s:\n" .. remote:log():sub(-2000) .. server:log():sub(-3000))
		local presence = carol:receive(function(s)
			return s.name == "presence" and s.attr.from == PHONE and s.attr.type == nil
		end, 10)
		assert.is_not_nil(presence, "the phone JID never showed online")
		local c = presence:get_child("c", CAPS)
		assert.is_not_nil(c, "no caps in " .. tostring(presence))
		assert.equal("sha-1", c.attr.hash)
	end)

	it("should give an ejabberd user the phone JID of a dialled number over s2s (jabber:iq:gateway)", function()
		local carol = xmpp.connect({ host = USERS, port = remote.c2s_port, user = "carol", password = "carol-pw",
			resource = "gateway" })
		finally(function() carol:close() end)
		local reply = carol:iq(st.iq({ type = "set", to = PHONE_HOST, id = new_id() }):query("jabber:iq:gateway")
			:text_tag("prompt", "(555) 010-0100"), 15)
		assert.is_not_nil(reply, "no answer over s2s")
		assert.equal("result", reply.attr.type, tostring(reply))
		assert.equal("+15550100100@" .. PHONE_HOST, reply:get_child("query", "jabber:iq:gateway"):get_child_text("jid"))
	end)

	it("should carry an ejabberd user's call out to the phone, a tone heard each way", function()
		local client = webrtc.start({ name = "ejabberd-caller", jid = "carol@" .. USERS, password = "carol-pw",
			port = remote.c2s_port, args = { "--call", PHONE, "--timeout", "30", "--tone", tostring(TONE),
				"--expect-tone", "1000", "--duration", "4" } })
		local report = assert(client:result(40))
		assert.equal(0, report.exit_code, client:log() .. "\n" .. trunk:log())
		assert.is_true(math.abs(report.audio.frequency_hz - 1000) <= 20, "client heard " .. report.audio.frequency_hz)
		trunk:kill()
		local heard, why = trunk:measure("dec")
		assert.is_not_nil(heard, tostring(why) .. trunk:log())
		assert.is_true(math.abs(heard.frequency_hz - TONE) <= 0.02 * TONE,
			("the phone heard %s Hz, the client sent %d Hz"):format(heard.frequency_hz, TONE))
		trunk = nil
		client:cleanup()
	end)

	it("should ring both of an ejabberd user's devices through JMI over s2s; one answers, the other stops", function()
		local first = webrtc.start({ name = "ejabberd-first", jid = "carol@" .. USERS, password = "carol-pw",
			port = remote.c2s_port, args = { "--answer", "--resource", "first", "--tone", tostring(TONE),
				"--duration", "3", "--timeout", "30" } })
		local late = webrtc.start({ name = "ejabberd-late", jid = "carol@" .. USERS, password = "carol-pw",
			port = remote.c2s_port, args = { "--answer", "--resource", "late", "--answer-delay", "2",
				"--tone", tostring(TONE), "--timeout", "30" } })
		assert.is_true(first:wait_ready(15), first:log())
		assert.is_true(late:wait_ready(15), late:log())
		wait_devices(2)
		local phone = sipp.start({ scenario = "uac_call.xml", remote = "127.0.0.1:" .. sip_port, service = DID })
		finally(function() phone:kill() end)
		local report = assert(first:result(30))
		assert.equal(0, report.exit_code, first:log() .. "\n" .. server:log():sub(-3000))
		local late_report = assert(late:result(30))
		assert.equal("retract", late_report.jmi, late:log())
		assert.equal("Answered on another device", late_report.termination_text, late:log())
		-- The phone saw the call answered once, and the answering device's
		-- hang-up as a BYE.
		phone:wait(10)
		local messages = phone:messages()
		local answers = 0
		for block in (messages .. "\n-----"):gmatch("received.-\n%-%-%-%-%-") do
			if block:find("\nSIP/2.0 200 OK", 1, true) and block:find("\nCSeq: %d+ INVITE") then
				answers = answers + 1
			end
		end
		assert.equal(1, answers, messages)
		assert.truthy(messages:find("\nBYE sip:", 1, true), "no BYE reached the phone:\n" .. messages)
		first:cleanup()
		late:cleanup()
	end)

	it("should ask an ejabberd owner to share her presence, which she approves once", function()
		local carol = xmpp.connect({ host = USERS, port = remote.c2s_port, user = "carol", password = "carol-pw",
			resource = "approve" })
		finally(function() carol:close() end)
		carol:send(st.presence())
		-- The component asked when it loaded; ejabberd hands her the request
		-- (unless an earlier client of hers, whose library approves requests
		-- by itself, already did).
		carol:send(st.presence({ to = PHONE_HOST, type = "subscribed" }))
		carol:send(st.presence({ to = PHONE_HOST, type = "subscribe" }))
		local subscription
		for _ = 1, 30 do
			local roster = carol:iq(st.iq({ type = "get", id = new_id() }):query("jabber:iq:roster"), 5)
			for item in roster:get_child("query", "jabber:iq:roster"):childtags("item") do
				if item.attr.jid == PHONE_HOST then subscription = item.attr.subscription end
			end
			if subscription == "both" then break end
			socket.sleep(0.5)
		end
		assert.equal("both", subscription, "no mutual subscription with the component:\n"
			.. remote:log():sub(-2000) .. server:log():sub(-3000))
		-- The gateway now sees her device.
		local out
		for _ = 1, 20 do
			local ok
			ok, out = server:shell("jingle_sip:status()")
			assert.is_true(ok, out)
			if out:find("presence: 1 owners share it with the component, 1 online with 1 devices", 1, true) then break end
			socket.sleep(0.5)
		end
		assert.truthy(out:find("presence: 1 owners share it with the component, 1 online with 1 devices", 1, true), out)
	end)

	it("should answer 480 at once when nothing of the ejabberd owner is online, and tell her later", function()
		local started = socket.gettime()
		local phone = sipp.start({ scenario = "uac_expect_480.xml", remote = "127.0.0.1:" .. sip_port, service = DID })
		finally(function() phone:kill() end)
		assert.equal(0, phone:wait(20), "the phone got no 480:\n" .. phone:log() .. server:log():sub(-3000))
		local took = socket.gettime() - started
		assert.is_true(took < 5, ("the caller waited %.1f s for a user nobody could ring"):format(took))
		assert.is_nil(phone:messages():find("SIP/2.0 180", 1, true), "it rang:\n" .. phone:messages())
		local carol = xmpp.connect({ host = USERS, port = remote.c2s_port, user = "carol", password = "carol-pw",
			resource = "later" })
		finally(function() carol:close() end)
		carol:send(st.presence())
		local missed = carol:receive(function(m)
			return m.name == "message" and m.attr.from == "+15551112222@" .. PHONE_HOST and m:get_child_text("body") ~= nil
		end, 15)
		assert.is_not_nil(missed, "no missed-call message reached her")
		assert.matches("^Missed call from %+15551112222 to your number %+15557654321 %(nobody was online%), ",
			missed:get_child_text("body"))
	end)

	-- Two devices of hers: one with JMI, one with Jingle only (no JMI in its
	-- disco#info, caps announced). Both ring; `jmi_delay` and `plain_delay`
	-- decide which takes the call.
	local function ring_mixed(jmi_delay, plain_delay)
		local jmi_device = webrtc.start({ name = "ejabberd-jmi", jid = "carol@" .. USERS, password = "carol-pw",
			port = remote.c2s_port, args = { "--answer", "--resource", "jmi", "--answer-delay", tostring(jmi_delay),
				"--caps-node", "https://jmi.test", "--tone", tostring(TONE), "--duration", "3", "--timeout", "30" } })
		local plain = webrtc.start({ name = "ejabberd-plain", jid = "carol@" .. USERS, password = "carol-pw",
			port = remote.c2s_port, args = { "--answer", "--no-jmi", "--resource", "plain", "--answer-delay",
				tostring(plain_delay), "--caps-node", "https://plain.test", "--tone", tostring(TONE),
				"--duration", "3", "--timeout", "30" } })
		assert.is_true(jmi_device:wait_ready(15), jmi_device:log())
		assert.is_true(plain:wait_ready(15), plain:log())
		-- (the one without JMI is rung only once the gateway sees it)
		wait_devices(2)
		local phone = sipp.start({ scenario = "uac_call.xml", remote = "127.0.0.1:" .. sip_port, service = DID })
		local jmi_report = assert(jmi_device:result(30))
		local plain_report = assert(plain:result(30))
		phone:wait(10)
		local messages = phone:messages()
		phone:kill()
		local answers = 0
		for block in (messages .. "\n-----"):gmatch("received.-\n%-%-%-%-%-") do
			if block:find("\nSIP/2.0 200 OK", 1, true) and block:find("\nCSeq: %d+ INVITE") then
				answers = answers + 1
			end
		end
		assert.equal(1, answers, messages)
		local logs = jmi_device:log() .. "\n" .. plain:log() .. "\n" .. server:log():sub(-4000)
		jmi_device:cleanup()
		plain:cleanup()
		return jmi_report, plain_report, logs
	end

	it("should ring her device without JMI directly beside the JMI one; it answers, the other stops", function()
		local jmi_report, plain_report, logs = ring_mixed(4, 0)
		assert.equal(0, plain_report.exit_code, logs)
		assert.is_true(plain_report.rtp.packets_received > 0, logs)
		assert.equal("retract", jmi_report.jmi, logs)
		assert.equal("Answered on another device", jmi_report.termination_text, logs)
	end)

	it("should take the direct offer back when her JMI device answers first, and carry the call there", function()
		local jmi_report, plain_report, logs = ring_mixed(0, 5)
		assert.equal(0, jmi_report.exit_code, logs)
		assert.equal("proceed", jmi_report.jmi, logs)
		assert.is_true(jmi_report.rtp.packets_received > 0, logs)
		assert.equal("Answered on another device", plain_report.termination_text, logs)
		-- Her caps were verified once and kept: a later call asks nobody.
		assert.is_true((plain_report.disco_info_asked or 0) <= 1, logs)
	end)

	it("should ask a user of another server for her presence when an admin assigns her a number", function()
		local ok, out = server:shell(('jingle_sip:assign("+15557650000", "erin@%s")'):format(USERS))
		assert.is_true(ok, out)
		local erin = xmpp.connect({ host = USERS, port = remote.c2s_port, user = "erin", password = "erin-pw",
			resource = "desk" })
		finally(function() erin:close() end)
		erin:send(st.presence())
		local ask = erin:receive(function(p)
			return p.name == "presence" and p.attr.type == "subscribe" and p.attr.from == PHONE_HOST
		end, 15)
		assert.is_not_nil(ask, "no subscription request from the component:\n" .. server:log():sub(-3000))
		erin:send(st.presence({ to = PHONE_HOST, type = "subscribed" }))
		for _ = 1, 20 do
			out = select(2, server:shell("jingle_sip:status()"))
			if out:find("presence: 2 owners share it with the component", 1, true) then break end
			socket.sleep(0.5)
		end
		assert.truthy(out:find("presence: 2 owners share it with the component", 1, true), out)
	end)
end)
