-- Users of another server (docs: README.md "Users of other servers"): a
-- real ejabberd (Debian's 23.01) serving users.test, with carbons and MAM
-- on, and our Prosody serving plain.test and the component phone.test, s2s
-- between them on loopback (spec/helpers/ejabberd.lua). An ejabberd user
-- adds a phone JID and sees it online with caps, asks the component for a
-- phone JID over s2s, calls out (tones both ways), and is called: an
-- inbound call from sipp rings both of her devices through JMI over s2s,
-- one answers, the other stops.
local prosody = require "spec.helpers.prosody"
local ejabberd = require "spec.helpers.ejabberd"
local xmpp = require "spec.helpers.xmpp_client"
local webrtc = require "spec.helpers.webrtc_client"
local baresip = require "spec.helpers.baresip"
local sipp = require "spec.helpers.sipp"
local st = require "util.stanza"
local new_id = require "util.id".short

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

	setup(function()
		-- The trunk: baresip answers outbound calls with a 1000 Hz tone and
		-- records what it hears.
		trunk = baresip.start({ tone = 1000, lifetime = 100 })
		sip_port = prosody.free_port()
		local s2s_port = prosody.free_port()
		remote = ejabberd.start({ domain = USERS, users = { carol = "carol-pw" },
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
end)
