-- The operator's view of the gateway (plugin/jingle_sip/health.lua): each
-- bad option named in the summary, warnings as their own level, and the
-- trunk's OPTIONS/REGISTER state logged once per change.
local health = require "jingle_sip.health"

local TRUNK = "sip:127.0.0.1:5999"

local function new(opts)
	opts = opts or {}
	return health.new({ trunk_uri = opts.trunk_uri == nil and TRUNK or opts.trunk_uri or nil,
		check_interval = opts.check_interval or 5, register = opts.register, clock = function() return 0 end })
end

local function has(lines, text)
	for _, line in ipairs(lines) do
		if line:find(text, 1, true) then return true end
	end
	return false
end

describe("jingle_sip.health #lua54", function()
	it("should name every bad option with its reason when calls are refused", function()
		local h = new()
		h:refuse("2 bad jingle_sip_* options", { 'jingle_sip_ring_timeout: "soon" is not a whole number',
			'jingle_sip_allow: "*.x": wildcards are not supported' })
		local level, summary, details = h:status()
		assert.equal("error", level)
		assert.equal('Calls refused: 2 bad jingle_sip_* options: jingle_sip_ring_timeout: "soon" is not a whole '
			.. 'number; jingle_sip_allow: "*.x": wildcards are not supported', summary)
		assert.is_true(has(details, 'bad option jingle_sip_ring_timeout: "soon"'), table.concat(details, "\n"))
		assert.is_true(has(details, "bad option jingle_sip_allow:"))
	end)

	it("should make a warning its own level, not calls enabled", function()
		local h = new({ check_interval = 0 })
		h:warn("jingle_sip_dialplan allows no number: outbound calls are refused")
		local level, summary, details = h:status()
		assert.equal("warn", level)
		assert.equal("Warning: jingle_sip_dialplan allows no number: outbound calls are refused", summary)
		assert.falsy(summary:find("enabled", 1, true))
		assert.is_true(has(details, "not checked (jingle_sip_trunk_check_interval = 0)"), table.concat(details, "\n"))
	end)

	it("should log each trunk change once and fail the status while the trunk is down", function()
		local h = new()
		local level, summary = h:status()
		assert.equal("ok", level)
		assert.equal("Calls enabled through " .. TRUNK, summary)
		local log_level, line = h:trunk_state(false, 503)
		assert.equal("warn", log_level)
		assert.equal("Trunk " .. TRUNK .. " is down (OPTIONS: SIP 503): calls through it fail", line)
		assert.is_nil((h:trunk_state(false, 503)), "no second line for the same state")
		level, summary = h:status()
		assert.equal("error", level)
		assert.truthy(summary:find("is down (OPTIONS: SIP 503)", 1, true), summary)
		log_level, line = h:trunk_state(true, 200)
		assert.equal("info", log_level)
		assert.equal("Trunk " .. TRUNK .. " is up (OPTIONS answered SIP 200)", line)
		local details
		level, summary, details = h:status({ last_options_status = 200, last_options_rtt_ms = 3 })
		assert.equal("ok", level)
		assert.equal("Calls enabled through " .. TRUNK .. ", trunk up", summary)
		assert.is_true(has(details, "up since 1970-01-01 00:00:00 UTC, last OPTIONS SIP 200 in 3 ms"),
			table.concat(details, "\n"))
		assert.equal("no answer", (select(2, h:trunk_state(false, 0)):match("OPTIONS: ([^)]+)")))
	end)

	it("should follow registration results, quiet on refreshes", function()
		local h = new({ register = true })
		assert.is_true(has(select(3, h:status()), "registration: no answer to REGISTER yet"))
		local log_level, line = h:registration_result(403, 0, "Forbidden")
		assert.equal("warn", log_level)
		assert.equal("Registration at " .. TRUNK .. " failed: SIP 403 Forbidden: inbound calls may not reach us", line)
		local level, summary = h:status()
		assert.equal("error", level)
		assert.truthy(summary:find("Registration at " .. TRUNK .. " failed (SIP 403)", 1, true), summary)
		log_level, line = h:registration_result(200, 3600, "OK")
		assert.equal("info", log_level)
		assert.equal("Registered at " .. TRUNK .. " (SIP 200, expires in 3600 s)", line)
		assert.is_nil((h:registration_result(200, 3600, "OK")), "a refresh is not a change")
		assert.equal("ok", (h:status()))
	end)

	it("should say why calls are refused without a trunk, and skip the trunk lines", function()
		local h = new({ trunk_uri = false })
		h:refuse("jingle_sip_trunk is not set (the SIP trunk to call through)")
		local level, summary, details = h:status()
		assert.equal("error", level)
		assert.equal("Calls refused: jingle_sip_trunk is not set (the SIP trunk to call through)", summary)
		assert.same({}, details)
	end)
end)
