-- The call service with real stanzas and fake relay legs: what a caller's
-- client is sent for each kind of request.
local service_mod = require "jingle_sip.call.service"
local shell = require "jingle_sip.shell"
local xml = require "util.xml"
local st = require "util.stanza"

local function fixture(name)
	local f = assert(io.open("spec/fixtures/jingle/" .. name, "rb"))
	local text = f:read("a"):gsub("<!%-%-.-%-%->", "")
	f:close()
	return assert(xml.parse(text))
end

local function fake_legs(relay_id)
	local legs = { relay_id = relay_id, calls = {} }
	setmetatable(legs, { __index = function(_, name)
		return function(self, ...) self.calls[#self.calls + 1] = { name, ... } end
	end })
	function legs.local_description()
		return { ufrag = "RLY1", pwd = "relaypassword0123456789", fingerprint = { hash = "sha-256", value = "AA:BB" } }
	end
	return legs
end

local function new_service(opts)
	opts = opts or {}
	local sent, made = {}, {}
	local timers = {}
	local svc = service_mod.new({
		owner_of = function(number) return number == "+15557654321" and "bob@example.org" or nil end,
		ring_timeout = 60,
		add_timer = function(seconds, fn)
			local t = { seconds = seconds, fn = fn, stopped = false }
			t.stop = function() t.stopped = true end
			timers[#timers + 1] = t
			return t
		end,
		new_id = function() return "in-sid-1" end,
		host = "phone.example.net",
		send = function(s) sent[#sent + 1] = s end,
		log = function() end,
		new_legs = function(params)
			if opts.no_legs then return nil, "no free port in the configured range" end
			local legs = fake_legs(#made + 1)
			legs.params = params
			if opts.legs_hook then opts.legs_hook(legs) end
			made[#made + 1] = legs
			return legs
		end,
		caller_id = function() return "+15550001111" end,
		trunk_pts = { { id = 0, name = "PCMU", clockrate = 8000 }, { id = 101, name = "telephone-event", clockrate = 8000 } },
		now = opts.now or function() return 0 end,
		max_call_duration = opts.max_call_duration,
		reachability = opts.reachability,
		missed_call_message = opts.missed_call_message,
		discover_devices = opts.discover_devices,
		direct_target = opts.discover_devices and require "jingle_sip.devices".direct_target,
		wants_jmi = opts.discover_devices and require "jingle_sip.devices".wants_jmi,
	})
	return svc, sent, made, timers
end

local function jmi_message(action, from, sid)
	return st.message({ from = from, to = "+15550009999@phone.example.net", type = "chat", id = "m-" .. action })
		:tag(action, { xmlns = "urn:xmpp:jingle-message:0", id = sid or "in-sid-1" })
end

local function child(s, name)
	for tag in s:childtags() do
		if tag.name == name then return tag end
	end
end

describe("jingle_sip.call.service #lua54", function()
	-- One rule for what an E.164 number is, owned by numbers.lua (+ and 7
	-- to 15 digits, the first 1-9): the number called and the caller's
	-- phone JID follow it, never a rule of their own.
	describe("E.164 numbers", function()
		local numbers = require "jingle_sip.numbers"
		local cases = {
			{ "+123456", false }, { "+1234567", true }, { "+15551234567", true },
			{ "+123456789012345", true }, { "+1234567890123456", false }, { "+0123456789", false },
			{ "15551234567", false }, { "+1555 1234567", false }, { "+12", false },
		}

		it("should take numbers.lua's rule for the number called and the caller's JID", function()
			local svc = new_service()
			for _, case in ipairs(cases) do
				local number, valid = case[1], case[2]
				assert.equal(valid, numbers.parse(number) ~= nil, number)
				assert.equal(valid and number or nil, (svc:number_of(number .. "@phone.example.net")), number)
				assert.equal(valid and (number .. "@phone.example.net") or "anonymous@phone.example.net",
					svc:caller_jid(number), number)
			end
			assert.same({ nil, "not this component" }, { svc:number_of("+15551234567@phone.example.org") })
			assert.equal("+15551234567", svc:number_of("+15551234567@phone.example.net/resource"))
		end)
	end)

	describe("JMI propose", function()
		it("should answer an allowed proposal with ringing and proceed to the caller's full JID", function()
			local svc, sent = new_service()
			assert.is_true(svc:on_message(fixture("conversations_propose.xml")))
			local actions = {}
			for _, s in ipairs(sent) do
				local tag = s.tags[1]
				if tag and tag.attr.xmlns == "urn:xmpp:jingle-message:0" then
					actions[#actions + 1] = tag.name
					assert.equal(fixture("conversations_propose.xml").attr.from, s.attr.to)
				end
			end
			assert.same({ "ringing", "proceed" }, actions)
		end)

	end)

	describe("session-initiate", function()
		it("should acknowledge, start the legs, and accept once the phone answers", function()
			local svc, sent, made = new_service()
			local initiate = fixture("conversations_session_initiate.xml")
			svc:on_jingle_iq(initiate)
			assert.equal("result", sent[#sent].attr.type, tostring(sent[#sent]))
			assert.equal(1, #made)
			assert.same({ direction = "outbound", number = "+15551234567", sid = "Wm9cUDcYRyPQ-S8yWMxMHg" }, made[1].params)
			assert.equal(1, svc:live_calls("alice@example.org"))
			svc:on_relay_event(1, { type = "sip_answered" })
			local accept = sent[#sent]
			assert.equal("set", accept.attr.type)
			assert.equal("+15551234567@phone.example.net", accept.attr.from)
			assert.equal(initiate.attr.from, accept.attr.to)
			local jingle = accept:get_child("jingle", "urn:xmpp:jingle:1")
			assert.equal("session-accept", jingle.attr.action)
			assert.equal("initiator", child(jingle, "content").attr.creator)
			assert.equal("0", child(jingle, "content").attr.name)
			svc:on_relay_event(1, { type = "sip_hangup" })
			assert.equal(0, svc:live_calls("alice@example.org"))
			assert.equal(0, #svc:list())
		end)

		it("should end the calls of a full JID that went unavailable, and only those", function()
			local svc, sent, made = new_service()
			local initiate = fixture("conversations_session_initiate.xml")
			svc:on_jingle_iq(initiate)
			svc:on_relay_event(1, { type = "sip_answered" })
			local other = fixture("conversations_session_initiate.xml")
			other.attr.from = "alice@example.org/laptop"
			other:get_child("jingle", "urn:xmpp:jingle:1").attr.sid = "other-sid"
			svc:on_jingle_iq(other)
			assert.equal(2, #svc:list())
			local before = #sent
			assert.equal(0, svc:on_peer_gone("alice@example.org/elsewhere", "gone"), "another resource: no call")
			assert.equal(1, svc:on_peer_gone(initiate.attr.from, "the client's session closed"))
			assert.equal(before, #sent, "no session-terminate to a client that is gone")
			assert.equal(1, #svc:list(), "the other resource's call goes on")
			local hangup
			for _, c in ipairs(made[1].calls) do if c[1] == "sip_hangup" then hangup = c end end
			assert.is_not_nil(hangup, "the phone got a BYE")
			assert.same({ cause = 16, text = "the client's session closed" }, hangup[2])
			assert.equal(0, svc:on_peer_gone(initiate.attr.from, "again"), "nothing left to end")
		end)

		it("should answer internal-server-error and close the legs when a setup step raises", function()
			local svc, sent, made = new_service({ legs_hook = function(legs)
				function legs.sip_dial() error("boom in sip_dial") end
			end })
			svc:on_jingle_iq(fixture("conversations_session_initiate.xml"))
			local reply = sent[#sent]
			assert.equal("error", reply.attr.type, tostring(reply))
			local e = reply:get_child("error")
			assert.is_table(e:get_child("internal-server-error", "urn:ietf:params:xml:ns:xmpp-stanzas"))
			assert.is_nil(tostring(reply):find("boom", 1, true), "the Lua error stays in the log")
			local closed
			for _, c in ipairs(made[1].calls) do
				if c[1] == "close" then closed = c[2] end
			end
			assert.equal("the phone gateway failed to handle this call (internal error)", closed)
			assert.equal(0, svc:live_calls("alice@example.org"))
			assert.equal(0, #svc:list())
		end)

		it("should end a live call and still answer the iq when handling it raises", function()
			local svc, sent, made = new_service()
			svc:on_jingle_iq(fixture("conversations_session_initiate.xml"))
			svc:on_relay_event(1, { type = "sip_answered" })
			made[1].client_add_candidate = function() error("boom in a candidate") end
			local info = fixture("conversations_transport_info.xml")
			svc:on_jingle_iq(info)
			local reply
			for _, s in ipairs(sent) do
				if s.attr.id == info.attr.id then reply = s end
			end
			assert.equal("error", reply.attr.type, tostring(reply))
			assert.equal(0, svc:live_calls("alice@example.org"))
			assert.equal("failed", svc.recent[1].outcome)
		end)

		it("should keep a call through a rewire (module reload), re-arming its limit for the time left", function()
			local clock = 100
			local svc, sent, made, timers = new_service({ max_call_duration = 60, now = function() return clock end })
			svc:on_jingle_iq(fixture("conversations_session_initiate.xml"))
			svc:on_relay_event(1, { type = "sip_answered" })
			assert.equal(60, timers[1].seconds)
			clock = 145
			local new_timers, logs = {}, {}
			svc:rewire(setmetatable({
				add_timer = function(seconds, fn)
					local t = { seconds = seconds, fn = fn, stop = function() end }
					new_timers[#new_timers + 1] = t
					return t
				end,
				log = function(_, fmt, ...) logs[#logs + 1] = fmt:format(...) end,
			}, { __index = svc.deps }))
			assert.is_true(timers[1].stopped)
			assert.equal(15, new_timers[1].seconds)
			assert.equal(1, #svc:list())
			-- Relay events still reach the call, and the new log is used.
			new_timers[1].fn()
			assert.equal(0, #svc:list())
			assert.same({ "sip_hangup" }, { made[1].calls[#made[1].calls - 1][1] })
			assert.equal("session-terminate", sent[#sent]:get_child("jingle", "urn:xmpp:jingle:1").attr.action)
			assert.truthy(table.concat(logs, "\n"):find("maximum call duration of 60 s reached", 1, true))
		end)

		it("should give up an outbound call nobody answers at the ring timeout: CANCEL and <timeout/>", function()
			local svc, sent, made, timers = new_service()
			svc:on_jingle_iq(fixture("conversations_session_initiate.xml"))
			svc:on_relay_event(1, { type = "sip_progress" })
			local dial
			for _, t in ipairs(timers) do if t.seconds == 60 then dial = t end end
			assert.is_not_nil(dial, "no timer armed for the ring timeout (60 s)")
			dial.fn()
			assert.equal(0, #svc:list())
			local names = {}
			for _, c in ipairs(made[1].calls) do names[#names + 1] = c[1] end
			assert.truthy(table.concat(names, " "):find("sip_hangup", 1, true), table.concat(names, " "))
			local jingle = sent[#sent]:get_child("jingle", "urn:xmpp:jingle:1")
			assert.equal("session-terminate", jingle.attr.action)
			local reason = jingle:get_child("reason")
			assert.is_not_nil(reason:get_child("timeout"), tostring(reason))
			assert.equal("nobody answered within 60 s", reason:get_child_text("text"))
		end)

		it("should leave an answered outbound call alone when the ring timeout fires", function()
			local svc, _, _, timers = new_service()
			svc:on_jingle_iq(fixture("conversations_session_initiate.xml"))
			svc:on_relay_event(1, { type = "sip_answered" })
			for _, t in ipairs(timers) do t.fn() end
			assert.equal(1, #svc:list())
		end)

		it("should re-arm an outbound call's ring timeout for the time left after a rewire", function()
			local clock = 100
			local svc, _, _, timers = new_service({ now = function() return clock end })
			svc:on_jingle_iq(fixture("conversations_session_initiate.xml"))
			clock = 140
			local new_timers = {}
			svc:rewire(setmetatable({
				add_timer = function(seconds, fn)
					local t = { seconds = seconds, fn = fn, stop = function() end }
					new_timers[#new_timers + 1] = t
					return t
				end,
			}, { __index = svc.deps }))
			for _, t in ipairs(timers) do assert.is_true(t.stopped) end
			assert.equal(20, new_timers[#new_timers].seconds)
		end)

		it("should answer resource-constraint when the relay has no ports", function()
			local svc, sent = new_service({ no_legs = true })
			svc:on_jingle_iq(fixture("conversations_session_initiate.xml"))
			local _, condition, text = sent[1]:get_error()
			assert.equal("resource-constraint", condition)
			assert.equal("no free port in the configured range", text)
		end)

		it("should answer item-not-found for a JID that is not a phone number", function()
			local svc, sent = new_service()
			local initiate = fixture("conversations_session_initiate.xml")
			initiate.attr.to = "alice@phone.example.net"
			svc:on_jingle_iq(initiate)
			assert.equal("item-not-found", select(2, sent[1]:get_error()))
		end)
	end)

	describe("other actions", function()
		it("should answer unknown-session for a session it does not have", function()
			local svc, sent = new_service()
			local ti = fixture("conversations_transport_info.xml")
			svc:on_jingle_iq(ti)
			assert.equal("item-not-found", select(2, sent[1]:get_error()))
			assert.is_not_nil(sent[1]:get_child("error"):get_child("unknown-session", "urn:xmpp:jingle:errors:1"))
		end)

		it("should answer unknown-session to a session-terminate for a session it does not have", function()
			local svc, sent = new_service()
			local terminate = st.iq({ type = "set", id = "t1", from = "alice@example.org/x",
				to = "+15551234567@phone.example.net" })
				:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-terminate", sid = "no-such-sid" })
				:tag("reason"):tag("success"):up():up()
			svc:on_jingle_iq(terminate)
			assert.equal(1, #sent, "exactly one answer")
			assert.equal("error", sent[1].attr.type, "an error, not a result")
			assert.equal("item-not-found", select(2, sent[1]:get_error()))
			assert.is_not_nil(sent[1]:get_child("error"):get_child("unknown-session", "urn:xmpp:jingle:errors:1"),
				"carries <unknown-session/>")
		end)

		it("should answer bad-request for a jingle element without a sid", function()
			local svc, sent = new_service()
			local bad = st.iq({ type = "set", id = "b1", from = "alice@example.org/x", to = "+15551234567@phone.example.net" })
				:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-initiate" })
			svc:on_jingle_iq(bad)
			assert.equal("bad-request", select(2, sent[1]:get_error()))
		end)
	end)

	describe("inbound", function()
		local function ring(opts)
			local svc, sent, _, timers = new_service(opts)
			local legs = fake_legs(7)
			svc:on_incoming(legs, { caller = "+15550009999", called = "+15557654321",
				trunk_pts = { { id = 0, name = "PCMU", clockrate = 8000 } } })
			return svc, sent, legs, timers
		end

		local function names(legs)
			local list = {}
			for _, c in ipairs(legs.calls) do list[#list + 1] = c[1] end
			return list
		end

		it("should answer 404 for a number nobody owns", function()
			local svc = new_service()
			local legs = fake_legs(3)
			svc:on_incoming(legs, { caller = "+15550009999", called = "+15550000000" })
			assert.same({ "sip_reject", 404, "Not Found" }, legs.calls[1])
			assert.equal("close", legs.calls[2][1])
		end)

		local function bodies(sent)
			local list = {}
			for _, s in ipairs(sent) do
				local b = s.name == "message" and s:get_child_text("body")
				if b then list[#list + 1] = b end
			end
			return list
		end

		it("should answer 480 at once, ring nobody and leave a missed-call message for an unreachable owner", function()
			local svc, sent, legs = ring({ reachability = function() return "offline" end, missed_call_message = true })
			assert.same({ "sip_reject", "close" }, names(legs))
			assert.same({ "sip_reject", 480, "Temporarily Unavailable" }, legs.calls[1])
			assert.equal(0, #svc:list())
			for _, s in ipairs(sent) do
				assert.is_nil(s:get_child("propose", "urn:xmpp:jingle-message:0"), "rang: " .. tostring(s))
			end
			local b = bodies(sent)
			assert.equal(1, #b)
			assert.matches("^Missed call from %+15550009999 to your number %+15557654321 %(nobody was online%)", b[1])
			assert.equal("+15550009999@phone.example.net", sent[#sent].attr.from)
			assert.equal("bob@example.org", sent[#sent].attr.to)
		end)

		it("should ring an owner with a push registration or of another server", function()
			for _, reach in ipairs({ "push", "online", "unknown" }) do
				local _, sent, legs = ring({ reachability = function() return reach end })
				assert.same({ "sip_progress" }, names(legs), reach)
				assert.is_not_nil(sent[1]:get_child("propose", "urn:xmpp:jingle-message:0"), reach)
			end
		end)

		it("should leave a missed-call message when nobody answers or the caller hangs up first", function()
			local _, sent, _, timers = ring({ missed_call_message = true })
			timers[1].fn()
			assert.matches("%(nobody answered%)", bodies(sent)[1])
			local svc, sent2 = ring({ missed_call_message = true })
			svc:on_relay_event(7, { type = "sip_hangup" })
			assert.matches("%(the caller hung up%)", bodies(sent2)[1])
			local _, sent3, _, timers3 = ring({ missed_call_message = false })
			timers3[1].fn()
			assert.equal(0, #bodies(sent3))
		end)

		it("should show a ringing call in calls() and trace() from its INVITE, then as missed", function()
			local svc, _, _, timers = ring()
			local lines = shell.describe_calls(svc)
			assert.equal(1, #lines)
			assert.matches("inbound%s+bob@example.org%s+%+15557654321%s+ringing", lines[1])
			assert.matches("from %+15550009999", lines[1])
			timers[1].fn()
			lines = shell.describe_calls(svc)
			assert.matches("ended.*from %+15550009999 | missed: timeout nobody answered", lines[1])
			local sid = lines[1]:match("^(%S+)")
			local trace = table.concat(assert(shell.trace_lines(svc, sid)), "\n")
			assert.matches("sip<%s+INVITE from %+15550009999 to %+15557654321", trace)
			assert.matches("jmi>%s+propose to bob@example.org", trace)
			assert.matches("call%s+ended: missed timeout nobody answered", trace)
		end)

		it("should ring every device of the owner with one propose to the bare JID", function()
			local _, sent, legs, timers = ring()
			assert.same({ "sip_progress" }, names(legs))
			local propose = sent[1]
			assert.equal("bob@example.org", propose.attr.to)
			assert.equal("+15550009999@phone.example.net", propose.attr.from)
			assert.is_not_nil(propose:get_child("propose", "urn:xmpp:jingle-message:0"))
			assert.equal(60, timers[1].seconds)
		end)

		it("should initiate to the first device that proceeds and retract a late second one", function()
			local svc, sent, legs, timers = ring()
			svc:on_message(jmi_message("proceed", "bob@example.org/phone"))
			local initiate = sent[#sent]
			assert.equal("bob@example.org/phone", initiate.attr.to)
			assert.equal("session-initiate", initiate:get_child("jingle", "urn:xmpp:jingle:1").attr.action)
			assert.is_true(timers[1].stopped)
			assert.equal("client_start", legs.calls[2][1])
			-- The other device answers too late: it is told the call went elsewhere.
			local before = #sent
			svc:on_message(jmi_message("proceed", "bob@example.org/laptop"))
			assert.equal(1, #svc:list())
			assert.equal(before + 1, #sent, "the late device was told nothing")
			local retract = sent[#sent]:get_child("retract", "urn:xmpp:jingle-message:0")
			assert.is_not_nil(retract, tostring(sent[#sent]))
			assert.equal("bob@example.org/laptop", sent[#sent].attr.to)
			assert.equal("Answered on another device",
				retract:get_child("reason", "urn:xmpp:jingle:1"):get_child_text("text"))
			-- The device that took it proceeding again starts nothing new.
			svc:on_message(jmi_message("proceed", "bob@example.org/phone"))
			assert.equal(1, #svc:list())
		end)

		it("should decline the phone call with 603 when the user rejects", function()
			local svc, _, legs = ring()
			svc:on_message(jmi_message("reject", "bob@example.org/phone"))
			assert.same({ "sip_reject", 603, "Decline" }, legs.calls[2])
		end)

		it("should retract from every device when the caller hangs up while ringing", function()
			local svc, sent, legs = ring()
			svc:on_relay_event(7, { type = "sip_hangup", text = "CANCEL from trunk" })
			local retract = sent[#sent]
			assert.equal("bob@example.org", retract.attr.to)
			assert.is_not_nil(retract:get_child("retract", "urn:xmpp:jingle-message:0"))
			assert.equal("close", legs.calls[#legs.calls][1])
			-- Nothing rings any more: a late proceed is ignored.
			svc:on_message(jmi_message("proceed", "bob@example.org/phone"))
			assert.equal(0, #svc:list())
		end)

		it("should give up with 480 and retract when nobody answers in time", function()
			local _, sent, legs, timers = ring()
			timers[1].fn()
			assert.same({ "sip_reject", 480, "Temporarily Unavailable" }, legs.calls[2])
			assert.is_not_nil(sent[#sent]:get_child("retract", "urn:xmpp:jingle-message:0"))
		end)

		it("should keep a ringing call through a rewire and give up at the same moment", function()
			local clock = 0
			local svc, sent, made = new_service({ now = function() return clock end })
			local legs = fake_legs(7)
			svc:on_incoming(legs, { caller = "+15550001111", called = "+15557654321", trunk_pts = {} })
			clock = 20
			local timers = {}
			local deps = setmetatable({ add_timer = function(seconds, fn)
				local t = { seconds = seconds, fn = fn, stop = function() end }
				timers[#timers + 1] = t
				return t
			end }, { __index = svc.deps })
			svc:rewire(deps)
			assert.equal(1, #timers)
			assert.equal(40, timers[1].seconds)
			timers[1].fn()
			assert.same({ "sip_reject", 480, "Temporarily Unavailable" }, legs.calls[2])
			assert.is_not_nil(sent[#sent]:get_child("retract", "urn:xmpp:jingle-message:0"))
			assert.equal(0, #made)
		end)

		describe("a device without JMI", function()
			local GAJIM = { jid = "bob@example.org/gajim", priority = 10, jmi = false, jingle_audio = true,
				answered = true }
			local function ring_direct(found)
				local pending
				local svc, sent, _, timers = new_service({ discover_devices = function(owner, done)
					assert.equal("bob@example.org", owner)
					pending = done
				end })
				local legs = fake_legs(7)
				svc:on_incoming(legs, { caller = "+15550009999", called = "+15557654321",
					trunk_pts = { { id = 0, name = "PCMU", clockrate = 8000 } } })
				return svc, sent, legs, timers, function() pending(found) end
			end

			it("should get a session-initiate at its full JID, and nobody a propose", function()
				local svc, sent, legs, timers, answer = ring_direct({ GAJIM })
				assert.equal(0, #sent, "nothing rings before the devices answered")
				answer()
				assert.equal(1, #sent)
				assert.equal("bob@example.org/gajim", sent[1].attr.to)
				assert.equal("session-initiate", sent[1]:get_child("jingle", "urn:xmpp:jingle:1").attr.action)
				assert.is_true(timers[1].stopped, "the JMI ring timer gave way to the call's own")
				assert.equal(60, timers[2].seconds)
				assert.equal(1, #svc:list())
				assert.equal("client_start", legs.calls[2][1])
			end)

			it("should be given up on with 480 and timeout when it does not accept in time", function()
				local svc, sent, legs, timers, answer = ring_direct({ GAJIM })
				answer()
				timers[2].fn()
				assert.same({ "sip_reject", 480, "Temporarily Unavailable" }, legs.calls[#legs.calls - 1])
				local jingle = sent[#sent]:get_child("jingle", "urn:xmpp:jingle:1")
				assert.equal("session-terminate", jingle.attr.action)
				assert.equal(0, #svc:list())
			end)

			describe("beside a device that speaks JMI", function()
				local PHONE = { jid = "bob@example.org/phone", priority = 0, jmi = true, jingle_audio = true,
					answered = true }
				local CALLER = "+15550009999@phone.example.net"

				local function jingle_of(s) return s and s.name == "iq" and s:get_child("jingle", "urn:xmpp:jingle:1") end
				local function sent_to(sent, to, what)
					local found = {}
					for _, s in ipairs(sent) do
						local j = jingle_of(s)
						local m = s.name == "message" and s.tags[1]
						if s.attr.to == to and ((j and j.attr.action == what) or (m and m.name == what)) then
							found[#found + 1] = s
						end
					end
					return found
				end
				local function accept_from(device)
					return st.iq({ type = "set", from = device, to = CALLER, id = "acc1" })
						:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-accept", sid = "in-sid-1" })
						:tag("content", { creator = "initiator", name = "audio" })
						:tag("description", { xmlns = "urn:xmpp:jingle:apps:rtp:1", media = "audio" })
						:tag("payload-type", { id = "0", name = "PCMU", clockrate = "8000" }):up():up()
						:tag("transport", { xmlns = "urn:xmpp:jingle:transports:ice-udp:1", ufrag = "gajm",
							pwd = "gajimpassword0123456789" })
						:tag("fingerprint", { xmlns = "urn:xmpp:jingle:apps:dtls:0", hash = "sha-256", setup = "active" })
						:text(("AB:"):rep(31) .. "AB"):up():up():up():up()
				end
				local function terminate_from(device)
					return st.iq({ type = "set", from = device, to = CALLER, id = "term1" })
						:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-terminate", sid = "in-sid-1" })
						:tag("reason"):tag("decline"):up():up():up()
				end

				it("should ring both: a propose to the bare JID and a session-initiate to the one without", function()
					local svc, sent, _, _, answer = ring_direct({ GAJIM, PHONE })
					answer()
					assert.equal(1, #sent_to(sent, "bob@example.org", "propose"))
					assert.equal(1, #sent_to(sent, GAJIM.jid, "session-initiate"))
					assert.equal(1, svc:live_calls("bob@example.org"))
				end)

				it("should stop the JMI devices when the device without JMI accepts", function()
					local svc, sent, legs, _, answer = ring_direct({ GAJIM, PHONE })
					answer()
					svc:on_jingle_iq(accept_from(GAJIM.jid))
					assert.equal("result", sent[#sent].attr.type, tostring(sent[#sent]))
					local retract = sent_to(sent, "bob@example.org", "retract")
					assert.equal(1, #retract)
					assert.equal("Answered on another device",
						retract[1].tags[1]:get_child("reason", "urn:xmpp:jingle:1"):get_child_text("text"))
					local answered = false
					for _, c in ipairs(legs.calls) do answered = answered or c[1] == "sip_answer" end
					assert.is_true(answered)
					assert.equal(1, #svc:list())
					-- A JMI device that proceeds now is told the call went elsewhere.
					svc:on_message(jmi_message("proceed", PHONE.jid))
					assert.equal(1, #sent_to(sent, PHONE.jid, "retract"))
				end)

				it("should take the offer back and restart ICE when a JMI device proceeds first", function()
					local svc, sent, legs, _, answer = ring_direct({ GAJIM, PHONE })
					answer()
					svc:on_message(jmi_message("proceed", PHONE.jid))
					local terminate = sent_to(sent, GAJIM.jid, "session-terminate")
					assert.equal(1, #terminate)
					assert.equal("Answered on another device",
						jingle_of(terminate[1]):get_child("reason"):get_child_text("text"))
					assert.equal(1, #sent_to(sent, PHONE.jid, "session-initiate"))
					local restarted, closed = false, false
					for _, c in ipairs(legs.calls) do
						restarted = restarted or c[1] == "client_ice_restart"
						closed = closed or c[1] == "close" or c[1] == "sip_reject"
					end
					assert.is_true(restarted, "the relay leg got no new ICE credentials")
					assert.is_false(closed, "the relay leg was closed")
					assert.equal(1, #svc:list())
					assert.equal(PHONE.jid, svc:list()[1].peer)
					-- The device without JMI answers late: that session is gone.
					svc:on_jingle_iq(accept_from(GAJIM.jid))
					assert.equal("error", sent[#sent].attr.type)
				end)

				it("should ring the JMI devices on when the device without JMI declines", function()
					local svc, sent, legs, timers, answer = ring_direct({ GAJIM, PHONE })
					answer()
					svc:on_jingle_iq(terminate_from(GAJIM.jid))
					assert.equal("result", sent[#sent].attr.type)
					for _, c in ipairs(legs.calls) do
						assert.is_false(c[1] == "close" or c[1] == "sip_reject", "the caller was let go")
					end
					assert.equal(0, #svc:list())
					assert.equal(0, #sent_to(sent, "bob@example.org", "retract"))
					-- Nobody answers: 480, and the JMI devices stop.
					timers[1].fn()
					assert.equal(1, #sent_to(sent, "bob@example.org", "retract"))
					assert.same({ "sip_reject", 480, "Temporarily Unavailable" }, legs.calls[#legs.calls - 1])
				end)

				it("should stop both when nobody answers in time", function()
					local svc, sent, legs, timers, answer = ring_direct({ GAJIM, PHONE })
					answer()
					timers[1].fn()
					assert.equal(1, #sent_to(sent, "bob@example.org", "retract"))
					assert.equal(1, #sent_to(sent, GAJIM.jid, "session-terminate"))
					assert.same({ "sip_reject", 480, "Temporarily Unavailable" }, legs.calls[#legs.calls - 1])
					assert.equal(0, #svc:list())
					assert.equal(0, svc:live_calls("bob@example.org"))
				end)

				it("should stop both when the caller hangs up", function()
					local svc, sent, _, _, answer = ring_direct({ GAJIM, PHONE })
					answer()
					svc:on_relay_event(7, { type = "sip_hangup", text = "CANCEL from trunk" })
					assert.equal(1, #sent_to(sent, "bob@example.org", "retract"))
					assert.equal(1, #sent_to(sent, GAJIM.jid, "session-terminate"))
					assert.equal(0, #svc:list())
				end)
			end)

			it("should send nothing when the caller hangs up while devices are asked", function()
				local svc, sent, legs, _, answer = ring_direct({ GAJIM })
				svc:on_relay_event(7, { type = "sip_hangup", text = "CANCEL from trunk" })
				answer()
				assert.equal(0, #sent, "no retract for a propose never sent, no late initiate")
				assert.equal("close", legs.calls[#legs.calls][1])
				assert.equal(0, #svc:list())
			end)
		end)

		it("should ignore a proceed from someone else", function()
			local svc, _, legs = ring()
			svc:on_message(jmi_message("proceed", "mallory@example.org/x"))
			assert.same({ "sip_progress" }, names(legs))
			assert.equal(0, #svc:list())
		end)
	end)
end)
