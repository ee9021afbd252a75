-- Issue 15, item 2: a failure at any step of call setup, once the relay
-- call exists, must close it. The call service runs here over the real
-- relay (libcallrelay through ffi/callrelay.lua: libnice sockets, the SIP
-- leg's RTP sockets, Sofia on loopback) with sipp as the trunk; one step at
-- a time raises a Lua error right after it did its work, and afterwards
-- the relay's active calls and this process's open descriptors are back at
-- their baseline, the client got an error reply for the stanza that
-- failed, and the trunk was told (a final response or a BYE).
local callrelay = require "callrelay"
local service_mod = require "jingle_sip.call.service"
local relay_legs = require "jingle_sip.call.relay_legs"
local st = require "util.stanza"
local lfs = require "lfs"
local socket = require "socket"
local prosody = require "spec.helpers.prosody"
local sipp = require "spec.helpers.sipp"

local HOST = "phone.example.net"
local DID = "+15557654321"
local OWNER = "bob@example.org"
local DEVICE = OWNER .. "/phone"
local CALLER = "alice@example.org/laptop"
local UFRAG, PWD = "CLI1", "clientpassword0123456789"
local FINGERPRINT = ("AB:"):rep(31) .. "AB"

-- What the open descriptors are, for a failure message.
local function fd_list()
	local f = assert(io.open("/proc/self/stat"))
	local pid = f:read("a"):match("^%d+")
	f:close()
	local p = io.popen("ls -l /proc/" .. pid .. "/fd 2>&1")
	local out = p:read("a")
	p:close()
	return out
end

local function open_fds()
	local n = 0
	for name in lfs.dir("/proc/self/fd") do
		if name ~= "." and name ~= ".." then n = n + 1 end
	end
	return n
end

-- A client transport: valid credentials, a fingerprint and one candidate.
local function client_transport(s, setup)
	s:tag("transport", { xmlns = "urn:xmpp:jingle:transports:ice-udp:1", ufrag = UFRAG, pwd = PWD })
		:tag("fingerprint", { xmlns = "urn:xmpp:jingle:apps:dtls:0", hash = "sha-256", setup = setup })
		:text(FINGERPRINT):up()
		:tag("candidate", { component = "1", foundation = "1", generation = "0", id = "c1", ip = "127.0.0.1",
			network = "0", port = "9", priority = "2130706431", protocol = "udp", type = "host" }):up()
		:up()
	return s
end

local function audio_content(s, creator)
	s:tag("content", { creator = creator or "initiator", name = "0" })
		:tag("description", { xmlns = "urn:xmpp:jingle:apps:rtp:1", media = "audio" })
		:tag("payload-type", { id = "0", name = "PCMU", clockrate = "8000" }):up()
		:tag("payload-type", { id = "101", name = "telephone-event", clockrate = "8000" }):up()
		:tag("rtcp-mux"):up()
		:up()
	return s
end

local function session_initiate(sid)
	local s = st.iq({ type = "set", id = "si-" .. sid, from = CALLER, to = "+15551234567@" .. HOST })
		:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-initiate", sid = sid, initiator = CALLER })
	audio_content(s)
	client_transport(s, "actpass")
	return s:up():up()
end

local function session_accept(sid, from, to)
	local s = st.iq({ type = "set", id = "sa-" .. sid, from = from, to = to })
		:tag("jingle", { xmlns = "urn:xmpp:jingle:1", action = "session-accept", sid = sid, responder = from })
	audio_content(s)
	client_transport(s, "active")
	return s:up():up()
end

-- Whether a sipp run has exited (without waiting, unlike run:wait()).
local function exited(run)
	local f = io.open(run.dir .. "/rc", "rb")
	if not f then return false end
	local rc = f:read("a")
	f:close()
	return rc:match("%d") ~= nil
end

local function jingle_action(stanza)
	local j = stanza:get_child("jingle", "urn:xmpp:jingle:1")
	return j and j.attr.action
end

local function jmi_child(stanza)
	for _, tag in ipairs(stanza.tags) do
		if tag.attr.xmlns == "urn:xmpp:jingle-message:0" then return tag end
	end
end

describe("call setup failures over the real relay #lua54", function()
	local relay, trunk, listen_port
	local sent, timers, legs_by_id, svc
	local inject -- { step = legs method or "send:<action>" or "on_started" }
	local baseline_fds, clock

	local function relay_legs_method(name)
		return not name:find(":", 1, true) and name ~= "on_started"
	end

	-- Legs over a real relay call, with the injected step raising after it ran.
	local function new_legs(call)
		local legs = relay_legs.new(call, { log = function() end })
		legs_by_id[call.id] = legs
		local step = inject and inject.step
		if step and relay_legs_method(step) then
			local real = legs[step]
			legs[step] = function(self, ...)
				real(self, ...)
				error("injected failure after " .. step)
			end
		end
		return legs
	end

	local function deps()
		return {
			host = HOST,
			send = function(s)
				local what = jingle_action(s) or (jmi_child(s) and jmi_child(s).name)
				if inject and inject.step == "send:" .. tostring(what) then
					error("injected failure sending " .. what)
				end
				sent[#sent + 1] = s
			end,
			log = function(level, fmt, ...)
				if os.getenv("SPEC_LOG") then io.stderr:write(level, " ", fmt:format(...), "\n") end
			end,
			new_legs = function()
				local call, err = relay:new_call()
				if not call then return nil, err end
				return new_legs(call)
			end,
			caller_id = function() return "+15550001111" end,
			owner_of = function(number) return number == DID and OWNER or nil end,
			trunk_pts = { { id = 0, name = "PCMU", clockrate = 8000 },
				{ id = 101, name = "telephone-event", clockrate = 8000 } },
			now = function() return clock end,
			ring_timeout = 30,
			add_timer = function(seconds, fn)
				local t = { at = clock + seconds, fn = fn }
				t.stop = function() t.stopped = true end
				timers[#timers + 1] = t
				return t
			end,
			new_id = function() return "in-" .. tostring(math.random(1e9)) end,
			on_started = function()
				if inject and inject.step == "on_started" then error("injected failure in on_started") end
			end,
		}
	end

	-- What mod_jingle_sip does with relay events, in short.
	local function dispatch(e)
		if e.type == "sip_incoming" then
			local call = assert(relay:adopt_call(e.call_id))
			local legs = new_legs(call)
			local fields = e.fields or {}
			svc:guard({ legs = legs }, "taking an inbound call", function()
				local offer = legs:sip_media()
				legs:apply_sip_media(offer)
				svc:on_incoming(legs, { caller = fields.caller, called = DID,
					trunk_pts = relay_legs.offered_codecs(offer) })
			end)
			return
		end
		local legs = legs_by_id[e.call_id]
		if not legs then return end
		if e.type == "call_closed" then legs_by_id[e.call_id] = nil end
		svc:guard({ legs = legs }, "relay event", function()
			local t = legs:translate(e)
			if t then svc:on_relay_event(e.call_id, t) end
		end)
	end

	-- Runs the relay's events and the timers until done() or `seconds` pass.
	local function pump(seconds, done)
		local deadline = socket.gettime() + seconds
		repeat
			for _, e in ipairs(relay:poll_events(64)) do dispatch(e) end
			clock = clock + 0.02
			for _, t in ipairs(timers) do
				if not t.stopped and not t.fired and t.at <= clock then
					t.fired = true
					t.fn()
				end
			end
			if done and done() then return true end
			socket.sleep(0.02)
		until socket.gettime() > deadline
		return done == nil
	end

	local function find_sent(pred)
		for _, s in ipairs(sent) do
			if pred(s) then return s end
		end
	end

	local function reply_to(id)
		return find_sent(function(s) return s.name == "iq" and s.attr.id == id end)
	end

	-- Everything the failed call had is gone, and nothing of it stays open.
	local function assert_baseline(label)
		local idle = pump(10, function()
			return relay:stats().active_calls == 0 and next(legs_by_id) == nil and open_fds() <= baseline_fds
		end)
		assert.is_true(idle, ("%s: relay calls %d, legs %s, descriptors %d (baseline %d)"):format(label,
			relay:stats().active_calls, tostring(next(legs_by_id)), open_fds(), baseline_fds) .. "\n" .. fd_list())
		assert.is_nil(next(svc.calls), label .. ": a call is still registered")
		assert.is_nil(next(svc.ringing), label .. ": a call still rings")
		assert.is_nil(next(svc.per_user), label .. ": a user still counts a call")
		assert.is_nil(next(svc.by_relay_id), label .. ": a relay call is still mapped")
	end

	setup(function()
		-- A trunk that answers a CANCEL as well as it answers a call: sipp's
		-- built-in UAS never ends a cancelled INVITE, which leaves Sofia's
		-- transaction (and the relay's shutdown) waiting.
		trunk = sipp.start({ scenario = "uas_answer_or_cancel.xml", calls = 1000, timeout = 600 })
		listen_port = prosody.free_port()
		-- A range of its own, away from other specs running at the same time
		-- and from the kernel's ephemeral ports (spec/helpers/prosody.lua).
		local rtp_base = prosody.free_port(200)
		relay = assert(callrelay.new_relay({ workers = 1,
			media = { ice_addresses = "127.0.0.1", sip_rtp_address = "127.0.0.1",
				sip_port_min = rtp_base, sip_port_max = rtp_base + 199 },
			sip = { listen_uri = ("sip:127.0.0.1:%d"):format(listen_port),
				trunk_uri = ("sip:127.0.0.1:%d"):format(trunk.port) } }))
	end)

	teardown(function()
		if relay then relay:close() end
		if trunk then trunk:kill() end
	end)

	before_each(function()
		sent, timers, legs_by_id, clock, inject = {}, {}, {}, 0, nil
		svc = service_mod.new(deps())
	end)

	-- One call that goes well first, so that what libnice, GLib and Sofia
	-- open once per process is in the baseline.
	local function warm_up()
		if baseline_fds then return end
		local sid = "warm-up"
		svc:on_jingle_iq(session_initiate(sid))
		assert.equal("result", reply_to("si-" .. sid).attr.type)
		pump(10, function() return find_sent(function(s) return jingle_action(s) == "session-accept" end) end)
		for _, call in pairs(svc.calls) do call:hangup("success", "warm-up done") end
		pump(10, function() return relay:stats().active_calls == 0 and next(legs_by_id) == nil end)
		pump(1)
		baseline_fds = open_fds()
		sent, timers = {}, {}
	end

	describe("outbound", function()
		local steps = { "client_start", "client_add_candidate", "sip_dial", "on_started",
			"set_choice", "local_description", "send:session-accept" }
		for i, step in ipairs(steps) do
			it("should close everything when " .. step .. " fails", function()
				warm_up()
				inject = { step = step }
				local sid = "out-" .. i
				svc:on_jingle_iq(session_initiate(sid))
				local reply = reply_to("si-" .. sid)
				assert.is_table(reply, "the session-initiate got no reply")
				if reply.attr.type == "result" then
					-- The step comes with the trunk's answer: the call ends
					-- then, and the client hears why.
					pump(10, function() return next(svc.calls) == nil end)
					local term = find_sent(function(s) return jingle_action(s) == "session-terminate" end)
					assert.is_table(term, step .. ": the client was not told the call ended")
				else
					assert.equal("error", reply.attr.type)
					assert.is_table(reply:get_child("error"):get_child("internal-server-error",
						"urn:ietf:params:xml:ns:xmpp-stanzas"), step)
				end
				assert_baseline(step)
			end)
		end
	end)

	describe("inbound", function()
		-- Steps up to the ring (JMI propose), after the proceed
		-- (session-initiate) and in the device's session-accept.
		local steps = { "apply_sip_media", "sip_progress", "send:propose", "client_start", "local_description",
			"send:session-initiate", "on_started", "client_set_remote_fingerprint",
			"client_set_remote_credentials", "client_add_candidate", "sip_answer" }
		for _, step in ipairs(steps) do
			it("should close everything and tell the trunk when " .. step .. " fails", function()
				warm_up()
				inject = { step = step }
				local caller = sipp.start({ scenario = "uac_call_ended_by_gateway.xml",
					remote = "127.0.0.1:" .. listen_port, service = DID:sub(2), echo = false, timeout = 20 })
				local propose
				pump(10, function()
					propose = find_sent(function(s) return s.name == "message" and jmi_child(s)
						and jmi_child(s).name == "propose" end)
					return propose or (next(svc.ringing) == nil and next(legs_by_id) == nil
						and relay:stats().active_calls == 0 and exited(caller))
				end)
				if propose then
					local sid = jmi_child(propose).attr.id
					svc:on_message(st.message({ from = DEVICE, to = propose.attr.from, type = "chat" })
						:tag("proceed", { xmlns = "urn:xmpp:jingle-message:0", id = sid }))
					local initiate = find_sent(function(s) return jingle_action(s) == "session-initiate" end)
					if initiate then
						local accept = session_accept(sid, DEVICE, initiate.attr.from)
						svc:on_jingle_iq(accept)
						local reply = reply_to(accept.attr.id)
						assert.is_table(reply, step .. ": the session-accept got no reply")
						if step:match("^client_set") or step == "client_add_candidate" or step == "sip_answer" then
							assert.equal("error", reply.attr.type, step)
						end
					end
				end
				if propose then
					-- The device that proceeded hears the call is over.
					local told = find_sent(function(s)
						local jmi = jmi_child(s)
						return (jmi and (jmi.name == "finish" or jmi.name == "retract"))
							or jingle_action(s) == "session-terminate"
					end)
					assert.is_table(told, step .. ": the device was not told the call ended")
				end
				assert_baseline(step)
				assert.equal(0, caller:wait(20), step .. ": the trunk was not told\n" .. caller:log())
			end)
		end
	end)
end)
