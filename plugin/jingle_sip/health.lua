-- The gateway's health as an operator sees it: why calls are refused (each
-- bad option with its reason), warnings, and the trunk's state from the
-- relay's OPTIONS health checks and REGISTER results. Pure: the module feeds
-- it facts and turns what it returns into log lines, the module status, the
-- metrics and the admin shell's jingle_sip:status() (README.md, "Status").
--
-- Levels: "error" (calls are refused, or the trunk is down or refuses our
-- registration: calls fail), "warn" (calls work but something needs the
-- operator, e.g. an empty dial plan), "ok".
local M = {}

local Health = {}
Health.__index = Health

--- opts: { trunk_uri (nil: no trunk), check_interval (seconds, 0 = no
-- OPTIONS), register (boolean), clock = function() -> os.time() }.
function M.new(opts)
	return setmetatable({
		trunk_uri = opts.trunk_uri, check_interval = opts.check_interval or 0, register = opts.register,
		clock = opts.clock or os.time,
		refusal = nil, -- why calls are refused (one sentence), or nil
		problems = {}, -- bad options, each "name: reason"
		warnings = {},
		trunk = { up = nil }, -- up: nil = not known yet, true, false; code; since
		registration = { ok = nil }, -- ok: nil = no answer yet; code; reason; expires; since
	}, Health)
end

--- Calls are refused for `text`; `problems` (optional) lists each bad option.
function Health:refuse(text, problems)
	self.refusal = text
	for _, p in ipairs(problems or {}) do self.problems[#self.problems + 1] = p end
end

function Health:warn(text)
	self.warnings[#self.warnings + 1] = text
end

local function sip_status(code)
	if not code or code == 0 then return "no answer" end
	return ("SIP %d"):format(code)
end

--- The relay's trunk-state event: up (boolean) and the OPTIONS status
-- (0 = no answer). Returns the log level and line when the state changed,
-- nil when it did not.
function Health:trunk_state(up, code)
	local t = self.trunk
	local changed = t.up ~= up
	t.code = code
	if not changed then return nil end
	t.up, t.since = up, self.clock()
	if up then
		return "info", ("Trunk %s is up (OPTIONS answered %s)"):format(self.trunk_uri, sip_status(code))
	end
	return "warn", ("Trunk %s is down (OPTIONS: %s): calls through it fail"):format(self.trunk_uri, sip_status(code))
end

--- The relay's REGISTER result: status code, granted expiry, reason phrase.
-- Returns the log level and line when registered/failed changed (a refresh
-- that keeps it registered says nothing), nil otherwise.
function Health:registration_result(code, expires, reason)
	local r = self.registration
	local ok = code >= 200 and code < 300
	local changed = r.ok ~= ok or (not ok and r.code ~= code)
	r.code, r.reason, r.expires = code, reason, expires
	if not changed then return nil end
	r.ok, r.since = ok, self.clock()
	if ok then
		return "info", ("Registered at %s (SIP %d%s)"):format(self.trunk_uri, code,
			(expires or 0) > 0 and (", expires in %d s"):format(expires) or "")
	end
	return "warn", ("Registration at %s failed: %s%s: inbound calls may not reach us"):format(self.trunk_uri,
		sip_status(code), reason and reason ~= "" and (" " .. reason) or "")
end

local function clock_time(t)
	return t and os.date("!%Y-%m-%d %H:%M:%S UTC", t) or "?"
end

--- The trunk's line for status(); sip_stats (optional) is Relay:sip_stats().
function Health:trunk_line(sip_stats)
	local t = self.trunk
	if self.check_interval == 0 then
		return ("trunk %s: not checked (jingle_sip_trunk_check_interval = 0)"):format(self.trunk_uri)
	end
	if t.up == nil then
		return ("trunk %s: no answer to OPTIONS yet (checked every %d s)"):format(self.trunk_uri, self.check_interval)
	end
	local detail = ""
	if sip_stats and t.up then
		detail = (", last OPTIONS %s in %d ms"):format(sip_status(sip_stats.last_options_status),
			sip_stats.last_options_rtt_ms or 0)
	elseif not t.up then
		detail = (", OPTIONS: %s"):format(sip_status(t.code))
	end
	return ("trunk %s: %s since %s%s"):format(self.trunk_uri, t.up and "up" or "down", clock_time(t.since), detail)
end

function Health:registration_line()
	local r = self.registration
	if not self.register then return "registration: off (jingle_sip_register = false)" end
	if r.ok == nil then return "registration: no answer to REGISTER yet" end
	if r.ok then
		return ("registration: registered since %s%s"):format(clock_time(r.since),
			(r.expires or 0) > 0 and (" (expires in %d s)"):format(r.expires) or "")
	end
	return ("registration: failed since %s (%s%s)"):format(clock_time(r.since), sip_status(r.code),
		r.reason and r.reason ~= "" and (" " .. r.reason) or "")
end

--- level ("ok" | "warn" | "error"), one-line summary, detail lines.
function Health:status(sip_stats)
	local details = {}
	for _, p in ipairs(self.problems) do details[#details + 1] = "bad option " .. p end
	if self.trunk_uri and not self.refusal then
		details[#details + 1] = self:trunk_line(sip_stats)
		details[#details + 1] = self:registration_line()
	end
	for _, w in ipairs(self.warnings) do details[#details + 1] = "warning: " .. w end

	if self.refusal then
		local summary = "Calls refused: " .. self.refusal
		if #self.problems > 0 then summary = summary .. ": " .. table.concat(self.problems, "; ") end
		return "error", summary, details
	end
	if self.trunk.up == false then
		return "error", ("Trunk %s is down (OPTIONS: %s): calls through it fail"):format(self.trunk_uri,
			sip_status(self.trunk.code)), details
	end
	if self.register and self.registration.ok == false then
		return "error", ("Registration at %s failed (%s): inbound calls may not reach us"):format(self.trunk_uri,
			sip_status(self.registration.code)), details
	end
	if #self.warnings > 0 then
		return "warn", "Warning: " .. table.concat(self.warnings, "; "), details
	end
	return "ok", ("Calls enabled through %s%s"):format(self.trunk_uri,
		self.trunk.up and ", trunk up" or ""), details
end

return M
