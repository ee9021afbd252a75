-- The relay's events as the module maps them (plugin/jingle_sip/relay_events.lua):
-- what reaches the call service, what is logged, what the metrics count.
-- Real metrics (Prosody's registry), health and legs; a fake relay and a
-- recording call service. The same mapping in a real Prosody with the real
-- relay: spec/e2e/call_ends_spec.lua.
local statistics = require "util.statistics"
local metrics = require "jingle_sip.metrics"
local health_mod = require "jingle_sip.health"
local relay_events = require "jingle_sip.relay_events"

-- A relay call that answers every method with true and records it.
local function fake_call(id)
	local call = { id = id, calls = {} }
	setmetatable(call, { __index = function(_, name)
		return function(self, ...)
			self.calls[#self.calls + 1] = { name, ... }
			return true
		end
	end })
	function call:names()
		local list = {}
		for _, c in ipairs(self.calls) do list[#list + 1] = c[1] end
		return list
	end
	return call
end

local function setup(opts)
	opts = opts or {}
	local registry = statistics.new().metric_registry
	local stats = metrics.new(function(type_, name, unit, description, labels, extra)
		return registry[type_](registry, "prosody_mod_jingle_sip/" .. name, unit, description, labels, extra)
	end)
	local env = { logs = {}, relay_events = {}, incoming = {}, guarded = {}, published = 0, legs_by_relay_id = {},
		adopted = {} }
	env.service = {
		on_relay_event = function(_, id, event) env.relay_events[#env.relay_events + 1] = { id, event } end,
		on_incoming = function(_, legs, info) env.incoming[#env.incoming + 1] = { legs = legs, info = info } end,
		-- As call/service.lua's guard: a failure is reported, not raised.
		guard = function(_, subject, what, fn, ...)
			env.guarded[#env.guarded + 1] = what
			local ok, e = pcall(fn, ...)
			if not ok then env.failed = { subject = subject, what = what, error = e } end
		end,
	}
	env.relay = { adopt_call = function(_, id)
		if opts.adopt_error then return nil, opts.adopt_error end
		local call = fake_call(id)
		env.adopted[#env.adopted + 1] = call
		return call
	end }
	env.health = health_mod.new({ trunk_uri = "sip:trunk.example.net", check_interval = 30, register = true })
	env.handlers = relay_events.new({
		relay = function() return env.relay end,
		service = env.service,
		legs_by_relay_id = env.legs_by_relay_id,
		legs_options = function(o) o.log = function() end return o end,
		disabled = function() return opts.disabled end,
		stats = stats,
		health = env.health,
		publish_status = function() env.published = env.published + 1 end,
		log = function(level, fmt, ...) env.logs[#env.logs + 1] = { level, fmt:format(...) } end,
	})
	function env.sample(line)
		local text = registry:render()
		return tonumber(text:match("\n" .. line:gsub("%p", "%%%0") .. " ([%d.e+-]+)\n")), text
	end
	function env.logged(pattern)
		for _, l in ipairs(env.logs) do
			if l[2]:find(pattern, 1, true) then return l[1], l[2] end
		end
	end
	return env
end

local function event(t)
	t.code, t.value, t.text = t.code or 0, t.value or 0, t.text or ""
	return t
end

local INVITE_FIELDS = { caller = "+15557654321", called = "15550001111", address = "127.0.0.1", port = 40000,
	codecs = "PCMU/8000/0,opus/48000/111", dtmf_pt = 101, pt = 0 }

describe("jingle_sip.relay_events #lua54", function()
	describe("an inbound INVITE", function()
		it("should adopt the relay call and ring with the trunk's codecs, leaving its RTP address to the relay", function()
			local env = setup()
			env.handlers.on_event(event({ type = "sip_incoming", call_id = 5, fields = INVITE_FIELDS }))
			assert.equal(1, #env.incoming)
			local info = env.incoming[1].info
			assert.equal("+15557654321", info.caller)
			assert.equal("+15550001111", info.called, "the called number in E.164")
			assert.same({ { id = 0, name = "PCMU", clockrate = 8000 }, { id = 111, name = "opus", clockrate = 48000 },
				{ id = 101, name = "telephone-event", clockrate = 8000 } }, info.trunk_pts)
			assert.equal(env.incoming[1].legs, env.legs_by_relay_id[5])
			-- The relay points the call's RTP leg at the trunk itself (relay/src/call_sip.c).
			for _, c in ipairs(env.adopted[1].calls) do assert.is_not.equal("set_sip_remote", c[1]) end
			assert.equal(1, (env.sample('prosody_mod_jingle_sip__active_calls{direction="inbound"}')))
		end)

		it("should answer 503 and close when calls are refused, counting no call", function()
			local env = setup({ disabled = "the gateway is misconfigured" })
			env.handlers.on_event(event({ type = "sip_incoming", call_id = 5, fields = INVITE_FIELDS }))
			assert.equal(0, #env.incoming)
			local call = env.adopted[1]
			local reject
			for _, c in ipairs(call.calls) do
				if c[1] == "sip_reject" then reject = c end
			end
			assert.equal(503, reject and reject[2])
			assert.is_nil((env.sample('prosody_mod_jingle_sip__active_calls{direction="inbound"}')))
		end)

		it("should log a call it cannot adopt and go on", function()
			local env = setup({ adopt_error = "no such call" })
			env.handlers.on_event(event({ type = "sip_incoming", call_id = 5, fields = INVITE_FIELDS }))
			assert.equal(0, #env.incoming)
			assert.equal("warn", (env.logged("Cannot take inbound call 5: no such call")))
			assert.is_nil(next(env.legs_by_relay_id))
		end)
	end)

	describe("a call's events", function()
		local env, call
		before_each(function()
			env = setup()
			env.handlers.on_event(event({ type = "sip_incoming", call_id = 5, fields = INVITE_FIELDS }))
			call = env.adopted[1]
		end)

		it("should hand the call service the state machine's input, in its terms", function()
			env.handlers.on_event(event({ type = "sip_hangup", call_id = 5, text = "Q.850;cause=16" }))
			env.handlers.on_event(event({ type = "media_timeout", call_id = 5, code = 2, value = 30 }))
			env.handlers.on_event(event({ type = "first_media", call_id = 5, code = 1 }))
			env.handlers.on_event(event({ type = "ice_restarted", call_id = 5 }))
			assert.same({
				{ 5, { type = "sip_hangup", text = "Q.850;cause=16" } },
				{ 5, { type = "media_timeout", from = "trunk", seconds = 30 } },
				{ 5, { type = "first_media", direction = 1 } },
			}, env.relay_events, "ice_restarted is the legs' own")
			assert.truthy(env.logged("Relay call 5: first_media"))
		end)

		it("should count ICE and DTLS failures by reason", function()
			env.handlers.on_event(event({ type = "dtls_failed", call_id = 5, code = 2, text = "fingerprint" }))
			env.handlers.on_event(event({ type = "dtls_failed", call_id = 5, code = 1, text = "alert" }))
			env.handlers.on_event(event({ type = "ice_failed", call_id = 5, text = "no pair" }))
			env.handlers.on_event(event({ type = "media_timeout", call_id = 5, code = 1, value = 30 }))
			env.handlers.on_event(event({ type = "media_timeout", call_id = 5, code = 2, value = 30 }))
			local function failures(stage, reason)
				return (env.sample(('prosody_mod_jingle_sip__media_failures_total{stage="%s",reason="%s"}')
					:format(stage, reason)))
			end
			assert.equal(1, failures("dtls", "fingerprint-mismatch"))
			assert.equal(1, failures("dtls", "other"))
			assert.equal(1, failures("ice", "timeout"))
			assert.equal(1, failures("ice", "consent-lost"), "the trunk's silence is not ICE's")
			assert.equal("info", (env.logged("Relay call 5: no pair")))
			assert.equal(5, #env.relay_events)
		end)

		it("should log DTMF with its direction on one line", function()
			env.handlers.on_event(event({ type = "dtmf", call_id = 5, code = 1, text = "digit 5\nduration 100" }))
			env.handlers.on_event(event({ type = "dtmf", call_id = 5, code = 2, text = "digit #" }))
			assert.truthy(env.logged("Relay call 5: dtmf client->phone digit 5 duration 100"))
			assert.truthy(env.logged("Relay call 5: dtmf phone->client digit #"))
		end)

		it("should forget the legs once the relay closed the call", function()
			env.handlers.on_event(event({ type = "call_closed", call_id = 5, text = "closed" }))
			assert.is_nil(env.legs_by_relay_id[5])
			assert.same({ 5, { type = "closed", text = "closed" } }, env.relay_events[1])
			env.handlers.on_event(event({ type = "sip_hangup", call_id = 5 }))
			assert.equal(1, #env.relay_events, "no event for a call no longer known")
		end)

		it("should pass the failure of a handler to the call service's guard", function()
			call.set_codecs = function() error("relay went away") end
			env.legs_by_relay_id[5].choice = { mode = "passthrough", client = { id = 0, name = "PCMU", clockrate = 8000 },
				trunk = { id = 0, name = "PCMU", clockrate = 8000 } }
			env.handlers.on_event(event({ type = "sip_media_changed", call_id = 5,
				fields = { address = "10.0.0.9", port = 4000, pt = 0, dtmf_pt = -1 } }))
			assert.equal("relay event sip_media_changed", env.failed.what)
			assert.equal(env.legs_by_relay_id[5], env.failed.subject.legs)
		end)

		it("should drop events of calls it does not know", function()
			env.handlers.on_event(event({ type = "sip_hangup", call_id = 99 }))
			assert.equal(0, #env.relay_events)
		end)
	end)

	describe("the trunk's health", function()
		it("should log and count the trunk going down and up, once per change", function()
			local env = setup()
			env.handlers.on_event(event({ type = "sip_trunk_state", value = 0, code = 0 }))
			env.handlers.on_event(event({ type = "sip_trunk_state", value = 0, code = 0 }))
			assert.equal(0, (env.sample("prosody_mod_jingle_sip__trunk_up")))
			assert.equal("warn", (env.logged("Trunk sip:trunk.example.net is down")))
			assert.equal(1, #env.logs)
			env.handlers.on_event(event({ type = "sip_trunk_state", value = 1, code = 200 }))
			assert.equal(1, (env.sample("prosody_mod_jingle_sip__trunk_up")))
			assert.equal("info", (env.logged("Trunk sip:trunk.example.net is up")))
			assert.equal(3, env.published)
		end)

		it("should log and count REGISTER results", function()
			local env = setup()
			env.handlers.trunk_event(event({ type = "sip_registered", code = 403, text = "Forbidden" }))
			assert.equal(0, (env.sample("prosody_mod_jingle_sip__registered")))
			assert.equal("warn", (env.logged("Registration at sip:trunk.example.net failed")))
			env.handlers.on_event(event({ type = "sip_registered", code = 200, value = 600 }))
			assert.equal(1, (env.sample("prosody_mod_jingle_sip__registered")))
			assert.equal("info", (env.logged("Registered at sip:trunk.example.net (SIP 200, expires in 600 s)")))
			assert.equal(0, #env.relay_events)
		end)
	end)

	it("should log the relay's own errors, an unfiltered transport as a warning", function()
		local env = setup()
		env.handlers.on_event(event({ type = "error", code = -8, text = "no filter on TCP" }))
		env.handlers.on_event(event({ type = "error", code = -5, text = "out of descriptors" }))
		assert.equal("warn", (env.logged("Media relay: no filter on TCP")))
		assert.equal("error", (env.logged("Media relay: out of descriptors")))
	end)

	it("should read the called number as E.164 with or without its +", function()
		assert.equal("+15550001111", relay_events.called_number("15550001111"))
		assert.equal("+15550001111", relay_events.called_number("+15550001111"))
		assert.is_nil(relay_events.called_number(nil))
		assert.is_nil(relay_events.called_number("reception"))
	end)
end)
