-- Inbound calls to an owner who may not be there: a real Prosody with the
-- module, sipp as the phone calling a DID, real XMPP clients. An owner with
-- nothing online and no push registration is not rung (480 at once); one
-- with a push registration (mod_cloud_notify, XEP-0357) is, and the push
-- reaches its app server (a client standing in for one); either way the
-- owner learns of the missed call from a chat message. And a second device
-- that takes the call too late is told it went elsewhere.
local prosody = require "spec.helpers.prosody"
local sipp = require "spec.helpers.sipp"
local webrtc = require "spec.helpers.webrtc_client"
local xmpp = require "spec.helpers.xmpp_client"
local gateway = require "spec.helpers.gateway"
local process = require "spec.helpers.process"
local st = require "util.stanza"
local new_id = require "util.id".short
local socket = require "socket"

local DID = gateway.DID -- owned by alice

local function login(server, resource)
	return xmpp.connect({ host = "localhost", port = server.c2s_port, user = "alice", password = "alice-pw",
		resource = resource })
end

-- The chat messages from a phone JID alice is sent once she comes online.
local function missed_messages(server)
	local c = login(server, "later")
	c:send(st.presence())
	local found, proposes = {}, 0
	while true do
		local m = c:receive(function(s) return s.name == "message" end, 3)
		if not m then break end
		if m:get_child("propose", "urn:xmpp:jingle-message:0") then proposes = proposes + 1 end
		local body = m:get_child_text("body")
		if body then found[#found + 1] = { from = m.attr.from, body = body } end
	end
	c:close()
	return found, proposes
end

describe("inbound calls to an owner who may be away #lua54 #e2e", function()
	local server, phone

	after_each(function()
		if phone then phone:kill() end
		if server then server:stop() end
		server, phone = nil, nil
	end)

	local function start(extra, opts)
		local gateway_port = prosody.free_port()
		server = gateway.start(prosody.free_port(), ('jingle_sip_listen = "127.0.0.1:%d"\n%s')
			:format(gateway_port, extra or ""), opts)
		return gateway_port
	end

	-- How many client sessions Prosody saw end so far (mod_c2s logs it as
	-- it ends one).
	local function count_disconnected()
		return select(2, server:log():gsub("Client disconnected", ""))
	end

	-- The phone (sipp) calls alice's DID at the gateway's SIP port.
	local function phone_calls(port, scenario)
		phone = sipp.start({ scenario = scenario or "uac_expect_480.xml", remote = "127.0.0.1:" .. port,
			service = DID })
	end

	-- A gateway that rings for 4 s and pushes (XEP-0357, with the sender in
	-- the summary so the app can show who calls), and the push app server:
	-- pushes are pubsub publishes from the user's server to the app
	-- server's JID, here a client of its own. more_modules: besides
	-- cloud_notify. Returns the gateway's SIP port and the app's client.
	local function start_with_push_app(more_modules)
		local port = start("jingle_sip_ring_timeout = 4", {
			modules = { "cloud_notify", table.unpack(more_modules or {}) },
			global = "push_notification_with_sender = true" })
		server:register("pushapp", "pushapp-pw")
		local app = xmpp.connect({ host = "localhost", port = server.c2s_port, user = "pushapp",
			password = "pushapp-pw", resource = "app" })
		finally(function() app:close() end)
		return port, app
	end

	-- alice's mobile client, push enabled toward the app server's `node`;
	-- still connected.
	local function mobile_with_push(app, node)
		local c = login(server, "mobile")
		local enabled = c:iq(st.iq({ type = "set", id = new_id() })
			:tag("enable", { xmlns = "urn:xmpp:push:0", jid = app.jid, node = node }), 5)
		assert.equal("result", enabled and enabled.attr.type, tostring(enabled))
		return c
	end

	-- The push that reaches the app server within 10 s, acknowledged: its
	-- node, the fields of its summary form, the stanza.
	local function receive_push(app)
		local push = app:receive(function(s)
			return s.name == "iq" and s.attr.type == "set" and s:get_child("pubsub", "http://jabber.org/protocol/pubsub")
		end, 10)
		assert.is_not_nil(push, "no push reached the app server:\n" .. server:log():sub(-3000))
		app:send(st.reply(push))
		local publish = push:get_child("pubsub", "http://jabber.org/protocol/pubsub"):get_child("publish")
		local form = publish:get_child("item"):get_child("notification", "urn:xmpp:push:0")
			:get_child("x", "jabber:x:data")
		local fields = {}
		for field in form:childtags("field") do fields[field.attr.var] = field:get_child_text("value") end
		return publish.attr.node, fields, push
	end

	it("should answer 480 at once when the owner has no device online and no push, and tell them later", function()
		local port = start()
		local started = socket.gettime()
		phone_calls(port)
		assert.equal(0, phone:wait(20), "the phone got no 480:\n" .. phone:log())
		local took = socket.gettime() - started
		assert.is_true(took < 5, ("the caller waited %.1f s for a user nobody could ring"):format(took))
		assert.is_nil(phone:messages():find("SIP/2.0 180", 1, true), "it rang:\n" .. phone:messages())
		-- The operator sees the call that never rang, with its caller and DID.
		local ok, out = server:shell("jingle_sip:calls()")
		assert.is_true(ok, out)
		local line = out:match("[^\n]*from %+15551112222[^\n]*")
		assert.is_not_nil(line, out)
		assert.truthy(line:find(DID, 1, true), line)
		assert.truthy(line:find("missed: no device online", 1, true), line)
		local messages, proposes = missed_messages(server)
		assert.equal(0, proposes, "a stale call proposal waited in offline storage")
		assert.equal(1, #messages, "missed-call messages: " .. #messages)
		assert.equal("+15551112222@phone.localhost", messages[1].from)
		assert.matches("^Missed call from %+15551112222 to your number %+15557654321 %(nobody was online%), ",
			messages[1].body)
	end)

	it("should push to an owner whose phone app registered (XEP-0357), ring on, then report the missed call", function()
		local port, app = start_with_push_app()
		-- A mobile client: enables XEP-0357 push toward that app server, then goes away.
		local disconnected = count_disconnected()
		mobile_with_push(app, "spec-device"):close()
		-- (the call must find its session gone, not still open)
		assert.is_not_nil(process.wait_for(function() return count_disconnected() > disconnected end, 10),
			"Prosody never saw the mobile client go:\n" .. server:log():sub(-3000))
		local started = socket.gettime()
		phone_calls(port)
		-- The push reaches the app server while the call rings.
		local node, fields, push = receive_push(app)
		assert.equal("spec-device", node)
		assert.equal("urn:xmpp:push:summary", fields.FORM_TYPE)
		assert.equal("1", fields["message-count"])
		assert.equal("+15551112222@phone.localhost", fields["last-message-sender"], tostring(push))
		-- While it rings, the operator already sees it.
		local ok, out = server:shell("jingle_sip:calls()")
		assert.is_true(ok, out)
		assert.truthy(out:find("ringing[^\n]*from %+15551112222"), out)
		assert.equal(0, phone:wait(20), phone:log())
		local took = socket.gettime() - started
		assert.truthy(phone:messages():find("SIP/2.0 180", 1, true), "it never rang:\n" .. phone:messages())
		assert.is_true(took >= 3.5, ("rang only %.1f s of a 4 s ring timeout"):format(took))
		local messages = missed_messages(server)
		local last = messages[#messages]
		assert.is_not_nil(last, "no missed-call message")
		assert.matches("^Missed call from %+15551112222 to your number %+15557654321 %(nobody answered%), ", last.body)
	end)

	it("should push to a mobile client whose session hibernates (XEP-0198) and ring it", function()
		local port, app = start_with_push_app({ "smacks" })
		-- A mobile client with stream management and push; its link drops,
		-- so Prosody keeps the session (hibernated) and pushes what it queues.
		local c = mobile_with_push(app, "sleeping-device")
		c:send(st.stanza("enable", { xmlns = "urn:xmpp:sm:3", resume = "true" }))
		assert.is_not_nil(c:receive(function(s) return s.name == "enabled" end, 5), "no stream management")
		c:send(st.presence())
		-- Acknowledge what arrived (the component's one presence subscription
		-- request among it), so only the call is left to push. Waits for that
		-- request itself, not for a second of silence: on a loaded machine it
		-- may come later, stay unacknowledged and be pushed before the call.
		local handled, asked = 0, false
		local deadline = socket.gettime() + 10
		while true do
			local s = c:receive(function(s) return s.name == "presence" or s.name == "message" or s.name == "iq" end,
				asked and 0.3 or math.max(0.1, deadline - socket.gettime()))
			if not s then break end
			handled = handled + 1
			if s.name == "presence" and s.attr.type == "subscribe" and s.attr.from == "phone.localhost" then
				asked = true
			end
		end
		assert.is_true(asked, "the component's presence subscription request never arrived")
		c:send(st.stanza("a", { xmlns = "urn:xmpp:sm:3", h = tostring(handled) }))
		socket.sleep(0.2)
		c.conn:close()
		assert.is_not_nil(server:wait_log("Session going into hibernation", 10),
			"the dropped session never hibernated:\n" .. server:log():sub(-3000))
		phone_calls(port)
		-- The call itself is the first thing pushed: nothing asks the
		-- sleeping session anything before its propose.
		local node, fields, push = receive_push(app)
		assert.equal("sleeping-device", node)
		assert.equal("+15551112222@phone.localhost", fields["last-message-sender"], tostring(push))
		assert.equal(0, phone:wait(20), phone:log())
		assert.truthy(phone:messages():find("SIP/2.0 180", 1, true), "it never rang:\n" .. phone:messages())
	end)

	it("should send no missed-call message with jingle_sip_missed_call_message = false", function()
		local port = start("jingle_sip_missed_call_message = false")
		phone_calls(port)
		assert.equal(0, phone:wait(20), phone:log())
		local messages = missed_messages(server)
		assert.equal(0, #messages, messages[1] and messages[1].body)
	end)

	it("should tell a second device that proceeds after the first took the call", function()
		local port = start()
		local first = webrtc.start({ name = "first", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--answer", "--resource", "first", "--tone", "440",
				"--duration", "3", "--timeout", "30" } })
		local late = webrtc.start({ name = "late", jid = "alice@localhost", password = "alice-pw",
			port = server.c2s_port, args = { "--answer", "--resource", "late", "--answer-delay", "2",
				"--tone", "440", "--timeout", "30" } })
		assert.is_true(first:wait_ready(15), first:log())
		assert.is_true(late:wait_ready(15), late:log())
		phone_calls(port, "uac_call.xml")
		local report = assert(first:result(30))
		assert.equal(0, report.exit_code, first:log())
		local late_report = assert(late:result(30))
		assert.equal("retract", late_report.jmi, late:log())
		assert.equal("Answered on another device", late_report.termination_text, late:log())
	end)
end)
