-- Call metrics (plugin/jingle_sip/metrics.lua) rendered by Prosody's own
-- OpenMetrics registry (util.statistics), as mod_http_openmetrics serves them.
local statistics = require "util.statistics"
local metrics = require "jingle_sip.metrics"

describe("jingle_sip.metrics #lua54", function()
	local registry, m

	before_each(function()
		registry = statistics.new().metric_registry
		-- module:metric's shape, without the host label it adds.
		m = metrics.new(function(type_, name, unit, description, labels, extra)
			return registry[type_](registry, "prosody_mod_jingle_sip/" .. name, unit, description, labels, extra)
		end)
	end)

	local function sample(line)
		local text = registry:render()
		local value = text:match("\n" .. line:gsub("%p", "%%%0") .. " ([%d.e+-]+)\n")
		return tonumber(value), text
	end

	it("should declare every family with help text before anything happens", function()
		local text = registry:render()
		for _, family in ipairs({ "calls counter", "active_calls gauge", "call_setup_seconds histogram",
			"media_setup_seconds histogram", "media_failures counter", "packets_dropped counter", "trunk_up gauge",
			"registered gauge", "client_fast_path counter" }) do
			local name, type_ = family:match("(%S+) (%S+)")
			assert.truthy(text:find("# TYPE prosody_mod_jingle_sip__" .. name .. " " .. type_, 1, true), text)
			assert.truthy(text:find("# HELP prosody_mod_jingle_sip__" .. name .. " %S"), text)
		end
	end)

	it("should copy the relay's refusal counters into refused_by_limits by reason", function()
		m:limits({ requests_untrusted = 3, filter_drops = 40, invites_rejected_rate = 4,
			invites_rejected_limit = 1, fd_exhausted = 2, sdp_rejected = 6 })
		assert.equal(3, (sample('prosody_mod_jingle_sip__refused_by_limits_total{reason="untrusted"}')))
		assert.equal(40, (sample('prosody_mod_jingle_sip__refused_by_limits_total{reason="filtered"}')))
		assert.equal(4, (sample('prosody_mod_jingle_sip__refused_by_limits_total{reason="invite-rate"}')))
		assert.equal(1, (sample('prosody_mod_jingle_sip__refused_by_limits_total{reason="max-calls"}')))
		assert.equal(2, (sample('prosody_mod_jingle_sip__refused_by_limits_total{reason="fd-exhausted"}')))
		assert.equal(6, (sample('prosody_mod_jingle_sip__refused_by_limits_total{reason="sdp-rejected"}')))
		m:limits({ requests_untrusted = 5 }) -- the relay's counters only grow; missing ones read 0
		assert.equal(5, (sample('prosody_mod_jingle_sip__refused_by_limits_total{reason="untrusted"}')))
	end)

	it("should name each way a call ends as an outcome, and each relay drop counter as a reason", function()
		assert.equal("answered", metrics.outcome_of("completed", "success"))
		assert.equal("no-answer", metrics.outcome_of("missed"))
		assert.equal("rejected", metrics.outcome_of("ended", "decline"))
		assert.equal("busy", metrics.outcome_of("ended", "busy"))
		assert.equal("no-answer", metrics.outcome_of("ended", "timeout"))
		assert.equal("cancelled", metrics.outcome_of("cancelled", "cancel"))
		assert.equal("failed", metrics.outcome_of("ended", "connectivity-error"))
		for _, reason in pairs(metrics.relay_drop_reasons) do
			assert.is_true(metrics.drop_reasons[reason], reason)
		end
	end)

	it("should count Prosody's own descriptor exhaustion by where", function()
		m:prosody_fd_exhausted("accept")
		m:prosody_fd_exhausted("accept")
		m:prosody_fd_exhausted("somewhere")
		assert.equal(2, (sample('prosody_mod_jingle_sip__prosody_fd_exhausted_total{where="accept"}')))
		assert.equal(1, (sample('prosody_mod_jingle_sip__prosody_fd_exhausted_total{where="other"}')))
	end)

	it("should count calls by direction and outcome and keep the active gauge", function()
		m:call_started("outbound")
		m:call_started("outbound")
		m:call_started("inbound")
		assert.equal(2, (sample('prosody_mod_jingle_sip__active_calls{direction="outbound"}')))
		m:call_ended("outbound", "answered")
		m:call_ended("inbound", "busy")
		m:call_refused("outbound")
		assert.equal(1, (sample('prosody_mod_jingle_sip__active_calls{direction="outbound"}')))
		assert.equal(0, (sample('prosody_mod_jingle_sip__active_calls{direction="inbound"}')))
		assert.equal(1, (sample('prosody_mod_jingle_sip__calls_total{direction="outbound",outcome="answered"}')))
		assert.equal(1, (sample('prosody_mod_jingle_sip__calls_total{direction="inbound",outcome="busy"}')))
		assert.equal(1, (sample('prosody_mod_jingle_sip__calls_total{direction="outbound",outcome="refused"}')))
	end)

	it("should record setup and media setup times in their buckets", function()
		m:call_reached("outbound", 2.5)
		m:media_up("outbound", 0.3)
		assert.equal(0, (sample('prosody_mod_jingle_sip__call_setup_seconds_bucket{direction="outbound",le="2"}')))
		assert.equal(1, (sample('prosody_mod_jingle_sip__call_setup_seconds_bucket{direction="outbound",le="3"}')))
		assert.equal(2.5, (sample('prosody_mod_jingle_sip__call_setup_seconds_sum{direction="outbound"}')))
		assert.equal(1, (sample('prosody_mod_jingle_sip__media_setup_seconds_bucket{direction="outbound",le="0.5"}')))
	end)

	it("should count ICE/DTLS failures and dropped packets, unknown reasons as other", function()
		m:media_failed("ice", "consent-lost")
		m:media_failed("dtls", "fingerprint-mismatch")
		m:media_failed("ice", "a peer's made-up reason")
		m:packets_dropped("before-keys", 3)
		m:packets_dropped("srtp-auth")
		m:packets_dropped("x" .. ("y"):rep(100))
		assert.equal(1, (sample('prosody_mod_jingle_sip__media_failures_total{stage="ice",reason="consent-lost"}')))
		assert.equal(1, (sample('prosody_mod_jingle_sip__media_failures_total{stage="dtls",reason="fingerprint-mismatch"}')))
		assert.equal(1, (sample('prosody_mod_jingle_sip__media_failures_total{stage="ice",reason="other"}')))
		assert.equal(3, (sample('prosody_mod_jingle_sip__packets_dropped_total{reason="before-keys"}')))
		assert.equal(1, (sample('prosody_mod_jingle_sip__packets_dropped_total{reason="srtp-auth"}')))
		assert.equal(1, (sample('prosody_mod_jingle_sip__packets_dropped_total{reason="other"}')))
	end)

	it("should count the client leg's fast path by what, from the relay's counters", function()
		m:fast_path("packets-in", 500)
		m:fast_path("consent-answered", 2)
		m:fast_path("made-up")
		assert.equal(500, (sample('prosody_mod_jingle_sip__client_fast_path_total{what="packets-in"}')))
		assert.equal(2, (sample('prosody_mod_jingle_sip__client_fast_path_total{what="consent-answered"}')))
		assert.equal(1, (sample('prosody_mod_jingle_sip__client_fast_path_total{what="other"}')))
		local fields = {}
		for field in pairs(metrics.relay_fast_path) do fields[#fields + 1] = field end
		table.sort(fields)
		assert.same({ "fast_fallbacks", "fast_rx_packets", "fast_stun_answered", "fast_tx_packets" }, fields)
	end)

	it("should show the trunk's state as gauges", function()
		m:trunk_state(false)
		m:registration_state(false)
		assert.equal(0, (sample("prosody_mod_jingle_sip__trunk_up")))
		assert.equal(0, (sample("prosody_mod_jingle_sip__registered")))
		m:trunk_state(true)
		m:registration_state(true)
		assert.equal(1, (sample("prosody_mod_jingle_sip__trunk_up")))
		assert.equal(1, (sample("prosody_mod_jingle_sip__registered")))
	end)

	it("should count an unknown outcome as other", function()
		m:call_started("inbound")
		m:call_ended("inbound", "exploded")
		assert.equal(1, (sample('prosody_mod_jingle_sip__calls_total{direction="inbound",outcome="other"}')))
	end)

	it("should raise on a direction or stage the call code got wrong", function()
		assert.has_error_match(function() m:call_started("sideways") end, "direction must be inbound or outbound")
		assert.has_error_match(function() m:media_failed("srtp", "x") end, "stage must be ice or dtls")
	end)
end)
