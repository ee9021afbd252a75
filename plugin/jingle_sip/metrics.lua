-- Call metrics through Prosody 0.12's statistics API (module:metric, OpenMetrics
-- families; exported by mod_http_openmetrics as prosody_mod_jingle_sip__*).
-- Declared at load; the call code feeds them through the methods below.
--
-- Label values come from fixed vocabularies: anything else is counted as
-- "other", so a peer sending odd reasons cannot grow the number of series.
local M = {}

M.directions = { inbound = true, outbound = true }

-- How a call ended. refused: stopped by policy or configuration before it
-- started; cancelled: the caller hung up before an answer; rejected: the
-- callee declined (SIP 603, Jingle decline); failed: an error on either leg.
M.outcomes = { answered = true, busy = true, ["no-answer"] = true, rejected = true,
	cancelled = true, failed = true, refused = true, other = true }

-- Why ICE or DTLS failed (stage = ice | dtls).
M.media_failures = {
	ice = { timeout = true, ["consent-lost"] = true, ["no-candidates"] = true, other = true },
	dtls = { timeout = true, ["fingerprint-mismatch"] = true, alert = true, other = true },
}

-- Why the relay dropped a media packet.
M.drop_reasons = { ["not-negotiated"] = true, ["before-keys"] = true, ["srtp-auth"] = true,
	["srtp-replay"] = true, ["unknown-source"] = true,
	["unknown-ssrc"] = true, malformed = true, ["queue-full"] = true, ["dtls-rejected"] = true,
	other = true }

-- The relay's per-call drop counters (cr_call_stats_t, legs:summary()
-- fields) as drop reasons.
M.relay_drop_reasons = { srtp_auth_failed = "srtp-auth", early_dropped = "before-keys",
	sip_foreign = "unknown-source", unmapped_pt = "not-negotiated", ice_bad = "malformed",
	dtls_bad = "dtls-rejected", sip_ssrc_dropped = "unknown-ssrc" }

--- How each way a call can end is counted: the call code's outcome and
-- Jingle condition (call/service.lua on_ended) as one of M.outcomes.
function M.outcome_of(outcome, condition)
	if outcome == "completed" then return "answered" end
	if outcome == "missed" then return "no-answer" end
	if outcome == "declined" or condition == "decline" then return "rejected" end
	if condition == "busy" then return "busy" end
	if condition == "timeout" then return "no-answer" end
	if outcome == "cancelled" then return "cancelled" end
	return "failed"
end

-- The client leg's fast path (the relay reads and writes the selected pair's
-- socket itself; docs/ARCHITECTURE.md): the relay's per-call counters as
-- what was counted.
M.relay_fast_path = { fast_rx_packets = "packets-in", fast_tx_packets = "packets-out",
	fast_stun_answered = "consent-answered", fast_fallbacks = "fallbacks" }

-- What the public-address limits refused (README.md, "Running it on a public
-- address"), from the relay's own counters: SIP answered 403 (untrusted),
-- packets the kernel filter dropped (filtered), INVITEs past the per-source
-- rate (invite-rate) or past max_calls (max-calls), descriptors exhausted.
M.limit_reasons = { untrusted = "requests_untrusted", filtered = "filter_drops",
	["invite-rate"] = "invites_rejected_rate", ["max-calls"] = "invites_rejected_limit",
	["fd-exhausted"] = "fd_exhausted", ["sdp-rejected"] = "sdp_rejected" }

-- Where Prosody itself ran out of descriptors (jingle_sip/fd_watch.lua).
M.fd_places = { accept = true, storage = true, other = true }

-- Histogram buckets in seconds. Post-dial delay is usually 1-10 s; media
-- setup (ICE + DTLS after the answer) should be well under a second.
local SETUP_BUCKETS = { 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60 }
local MEDIA_BUCKETS = { 0.1, 0.25, 0.5, 1, 2, 5, 10, 30 }

local function direction_of(direction)
	if not M.directions[direction] then
		error(("metrics: direction must be inbound or outbound, not %s"):format(tostring(direction)), 3)
	end
	return direction
end

local function known(vocabulary, value)
	return vocabulary[value] and value or "other"
end

local Metrics = {}
Metrics.__index = Metrics

--- Declares the families. metric(type, name, unit, description, labels, extra)
-- is module:metric (or any function with its shape).
function M.new(metric)
	return setmetatable({
		calls = metric("counter", "calls", "", "Calls by direction and outcome", { "direction", "outcome" }),
		active = metric("gauge", "active_calls", "", "Calls in progress", { "direction" }),
		setup = metric("histogram", "call_setup", "seconds",
			"Post-dial delay: from the call request to the far end ringing or answering", { "direction" },
			{ buckets = SETUP_BUCKETS }),
		media_setup = metric("histogram", "media_setup", "seconds",
			"From the answer to media flowing both ways (ICE connected, DTLS-SRTP keyed)", { "direction" },
			{ buckets = MEDIA_BUCKETS }),
		media_failures = metric("counter", "media_failures", "", "ICE and DTLS failures by reason",
			{ "stage", "reason" }),
		dropped = metric("counter", "packets_dropped", "", "Media packets dropped by reason", { "reason" }),
		fast = metric("counter", "client_fast_path", "",
			"The client leg's fast path: packets in and out, consent checks answered, fallbacks to libnice",
			{ "what" }),
		-- Set from the relay's first health-check answer and first REGISTER
		-- result on (no series before: not checked is not down).
		trunk_up = metric("gauge", "trunk_up", "", "1 when the trunk answers SIP OPTIONS, 0 when it does not", {}),
		registered = metric("gauge", "registered", "", "1 when registered at the trunk, 0 when REGISTER failed", {}),
		refused = metric("counter", "refused_by_limits", "",
			"SIP requests, packets and calls the public-address limits refused, by reason", { "reason" }),
		prosody_fd = metric("counter", "prosody_fd_exhausted", "",
			"Times Prosody itself ran out of file descriptors (jingle_sip/fd_watch.lua), by where: "
			.. "accept, storage, other", { "where" }),
	}, Metrics)
end

--- A call passed the gate and is being set up.
function Metrics:call_started(direction)
	self.active:with_labels(direction_of(direction)):add(1)
end

--- A started call ended with `outcome` (a key of M.outcomes).
function Metrics:call_ended(direction, outcome)
	direction = direction_of(direction)
	self.active:with_labels(direction):add(-1)
	self.calls:with_labels(direction, known(M.outcomes, outcome)):add(1)
end

--- A call was refused before it started (policy, configuration).
function Metrics:call_refused(direction)
	self.calls:with_labels(direction_of(direction), "refused"):add(1)
end

--- The far end rang or answered `seconds` after the call request.
function Metrics:call_reached(direction, seconds)
	self.setup:with_labels(direction_of(direction)):sample(seconds)
end

--- Media flowed `seconds` after the answer.
function Metrics:media_up(direction, seconds)
	self.media_setup:with_labels(direction_of(direction)):sample(seconds)
end

--- ICE or DTLS failed (stage "ice" or "dtls").
function Metrics:media_failed(stage, reason)
	local vocabulary = M.media_failures[stage]
	if not vocabulary then error(("metrics: stage must be ice or dtls, not %s"):format(tostring(stage)), 2) end
	self.media_failures:with_labels(stage, known(vocabulary, reason)):add(1)
end

--- The relay dropped `count` packets (default 1) for `reason`.
function Metrics:packets_dropped(reason, count)
	self.dropped:with_labels(known(M.drop_reasons, reason)):add(count or 1)
end

--- The relay's fast path counted `count` of `what` (a value of
-- M.relay_fast_path) on a call.
function Metrics:fast_path(what, count)
	local ok = false
	for _, v in pairs(M.relay_fast_path) do ok = ok or v == what end
	self.fast:with_labels(ok and what or "other"):add(count or 1)
end

--- The trunk answers the relay's OPTIONS health checks (up) or not.
function Metrics:trunk_state(up)
	self.trunk_up:with_labels():set(up and 1 or 0)
end

--- The last REGISTER succeeded (ok) or failed.
function Metrics:registration_state(ok)
	self.registered:with_labels():set(ok and 1 or 0)
end

--- Prosody itself ran out of descriptors in `where` (accept, storage, other).
function Metrics:prosody_fd_exhausted(where)
	self.prosody_fd:with_labels(known(M.fd_places, where)):add(1)
end

--- Copies the relay's refusal counters (relay:stats() and relay:sip_stats()
-- merged in `counters`) into the refused_by_limits family.
function Metrics:limits(counters)
	for reason, key in pairs(M.limit_reasons) do
		self.refused:with_labels(reason):set(counters[key] or 0)
	end
end

return M
