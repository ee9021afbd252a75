-- Admin shell commands (prosodyctl shell). Prosody 0.12 has no registry of
-- shell commands (0.13's "shell-command" items); modules add an object to
-- mod_admin_shell's shared environment, as 0.12's mod_invites does. Every
-- jingle_sip component registers itself in `components` (host -> instance);
-- the commands look it up when they run, so a reload never leaves a stale
-- reference behind.
--
-- An instance: { host, directory (jingle_sip.ownership), status() -> level
-- ("ok" | "warn" | "error"), summary, detail lines (jingle_sip.health) }.
--
-- describe_calls() and trace_lines() are the views of a call service
-- (call/service.lua) that `calls` and `trace` print.
--
-- A command that fails returns nil/false and a message: Prosody 0.12's
-- admin shell then answers "! Error: message" and `prosodyctl shell` exits
-- non-zero, which is what a script checks.
local numbers = require "jingle_sip.numbers"
local jid = require "util.jid"

local M = {}

local function pick(components, host)
	if host ~= nil then
		local c = components[host]
		if not c then return nil, ("no jingle_sip component on %s"):format(tostring(host)) end
		return c
	end
	local only, hosts = nil, {}
	for h, c in pairs(components) do
		only = c
		hosts[#hosts + 1] = h
	end
	if #hosts == 1 then return only end
	if #hosts == 0 then return nil, "no jingle_sip component is loaded" end
	table.sort(hosts)
	return nil, "several jingle_sip components are loaded, name one: " .. table.concat(hosts, ", ")
end

local function bare_user(s)
	local prepped = type(s) == "string" and jid.prep(s)
	local node, _, resource = jid.split(prepped or "")
	if not prepped or not node or resource then
		return nil, ("%s is not a bare user JID (user@domain)"):format(tostring(s))
	end
	return prepped
end

--- Adds the `jingle_sip` object to the shell environment `env`.
function M.install(env, components)
	-- luacheck: ignore 212/self
	local cmds = {}
	env.jingle_sip = cmds

	-- Calls in progress, then recently ended ones: who, number, direction,
	-- state, duration, the relay's media path with each leg's codec,
	-- selected ICE pair, packets each way.
	function cmds:calls(host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		if not c.calls then return nil, "calls are not running on " .. c.host end
		local print = self.session.print
		local lines = c.calls()
		print(("%-10s %-8s %-30s %-16s %-9s %7s %-48s %s"):format("id", "dir", "peer", "number", "state",
			"time", "media path and codecs", "pair and packets"))
		for _, line in ipairs(lines) do print(line) end
		return true, ("%d call%s on %s (jingle_sip:trace(id) shows one)"):format(#lines,
			#lines == 1 and "" or "s", c.host)
	end

	-- One call's whole story in time order: Jingle, ICE, DTLS, SIP.
	function cmds:trace(id, host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		if not c.trace then return nil, "calls are not running on " .. c.host end
		local lines, terr = c.trace(id)
		if not lines then return nil, terr end
		local print = self.session.print
		for _, line in ipairs(lines) do print(line) end
		return true, ("%d lines"):format(#lines)
	end

	function cmds:numbers(host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		local print = self.session.print
		local list = c.directory:list()
		for _, r in ipairs(list) do
			local note = r.set_by
			if r.seed and r.seed ~= r.owner then note = note .. ", config says " .. r.seed end
			print(("%-16s %-32s (%s)"):format(r.number, r.owner or "-", note))
		end
		for _, r in ipairs(c.directory:caller_id_list()) do
			local effective = c.directory:caller_id(r.jid)
			print(("caller ID of %s: %s%s"):format(r.jid, effective or "none",
				effective ~= r.number and (" (chose %s, no longer theirs)"):format(r.number) or ""))
		end
		return true, ("%d number%s on %s"):format(#list, #list == 1 and "" or "s", c.host)
	end

	function cmds:assign(number, owner, host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		local n, _, text = numbers.normalize(number)
		if not n then return nil, text end
		local bare, jerr = bare_user(owner)
		if not bare then return nil, jerr end
		local ok, serr = c.directory:assign(n, bare)
		if not ok then return nil, serr end
		return true, ("%s assigned to %s"):format(n, bare)
	end

	function cmds:unassign(number, host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		local n, _, text = numbers.normalize(number)
		if not n then return nil, text end
		local ok, serr = c.directory:unassign(n)
		if not ok then return nil, serr end
		return true, ("%s unassigned"):format(n)
	end

	function cmds:caller_id(owner, number, host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		local bare, jerr = bare_user(owner)
		if not bare then return nil, jerr end
		local n, _, text
		if number ~= nil then
			n, _, text = numbers.normalize(number)
			if not n then return nil, text end
		end
		local ok, serr = c.directory:set_caller_id(bare, n)
		if not ok then return nil, serr end
		return true, ("caller ID of %s: %s"):format(bare, c.directory:caller_id(bare) or "none (the trunk's default)")
	end

	-- One line an operator can script: "OK: ..." and exit status 0 when
	-- calls work (a warning too), "! Error: ..." and a non-zero exit when
	-- calls are refused or the trunk is down; the details above it.
	function cmds:status(host)
		local c, err = pick(components, host)
		if not c then return nil, err end
		local level, summary, details = c.status()
		local print = self.session.print
		for _, line in ipairs(details or {}) do print(line) end
		return level ~= "error", summary
	end
	return cmds
end

--- Removes the object when no component is left.
function M.uninstall(env, components)
	if next(components) == nil then env.jingle_sip = nil end
end

-- The admin views of a call service (jingle_sip/call/service.lua): what
-- `jingle_sip:calls()` and `jingle_sip:trace()` print. They read the
-- service's tables (ringing, calls, recent) and change nothing.

-- What the admin views show of an inbound call still ringing the owner.
local function ringing_view(ring)
	return { sid = ring.sid, direction = "inbound", peer = ring.peer_jid, number = ring.info.called,
		caller = ring.info.caller, state = "ringing", started_at = ring.rang_at, history = ring.history or {},
		legs = ring.legs }
end

--- Finds a live or recently ended call of `service` by its session id or a
-- prefix of it.
function M.find_call(service, id)
	id = tostring(id or "")
	local found = {}
	for _, ring in pairs(service.ringing) do
		if ring.sid:sub(1, #id) == id then found[#found + 1] = ringing_view(ring) end
	end
	for _, call in pairs(service.calls) do
		if call.sid:sub(1, #id) == id then found[#found + 1] = call end
	end
	for _, call in ipairs(service.recent) do
		if call.sid:sub(1, #id) == id then found[#found + 1] = call end
	end
	if #found == 0 then return nil, "no call with id " .. id end
	if #found > 1 and id ~= found[1].sid then return nil, "several calls start with " .. id .. ": be more precise" end
	return found[1]
end

-- The relay's media path, its first word ("passthrough" or "transcoded"
-- in its call stats): what really happens to the packets, which the codec
-- choice alone does not tell (a PCMU call toward a trunk without
-- telephone-event is transcoded so DTMF crosses in-band). Then the codec on
-- each leg, from the choice (the relay's own names when there is none).
local function media_columns(call, s)
	local codecs = require "jingle_sip.jingle.codecs"
	local media_path = s.media_path or ""
	local path = media_path:match("^%a+") or "-"
	local choice = call.choice
	if choice then
		return path, ("client %s sip %s"):format(codecs.key(choice.client) or "?",
			codecs.key(choice.trunk or choice.client) or "?")
	end
	local client_codec, sip_codec = media_path:match("^transcoded ([^%s,]+) <%-> ([^%s,]+)")
	if client_codec then return path, ("client %s sip %s"):format(client_codec, sip_codec) end
	return path, "-"
end

--- One line per call of `service`, live first then recent, for the admin shell.
function M.describe_calls(service)
	local lines = {}
	local now = service.deps.now()
	local function line(call)
		local s = call.legs and call.legs:summary() or {}
		local dur = (call.ended_at or now) - (call.started_at or now)
		local path, codecs = media_columns(call, s)
		lines[#lines + 1] = ("%-10s %-8s %-30s %-16s %-9s %6.1fs %-48s %s rx/tx client %d/%d sip %d/%d"):format(
			call.sid:sub(1, 10), call.direction, tostring(call.peer), tostring(call.number),
			call.state, dur, path .. " " .. codecs,
			s.selected_pair and s.selected_pair ~= "" and s.selected_pair or "no pair",
			s.client_rx_packets or 0, s.client_tx_packets or 0, s.sip_rx_packets or 0, s.sip_tx_packets or 0)
		if call.caller then lines[#lines] = lines[#lines] .. " from " .. tostring(call.caller) end
		if call.end_reason then
			lines[#lines] = lines[#lines] .. " | " .. tostring(call.outcome) .. ": " .. call.end_reason
		end
	end
	-- Inbound calls still ringing, from their INVITE on.
	local rings = {}
	for _, ring in pairs(service.ringing) do rings[#rings + 1] = ring end
	table.sort(rings, function(a, b) return (a.rang_at or 0) < (b.rang_at or 0) end)
	for _, ring in ipairs(rings) do line(ringing_view(ring)) end
	for _, call in ipairs(service:list()) do line(call) end
	for _, call in ipairs(service.recent) do line(call) end
	return lines
end

--- The whole story of one call of `service` in time order: Jingle stanzas,
-- the call's own decisions, the relay's ICE/DTLS facts and the SIP dialog.
function M.trace_lines(service, id)
	local call, err = M.find_call(service, id)
	if not call then return nil, err end
	local entries = {}
	for _, e in ipairs(call.history) do entries[#entries + 1] = e end
	for _, e in ipairs(call.legs and call.legs:trace_entries() or {}) do entries[#entries + 1] = e end
	table.sort(entries, function(a, b) return a.t < b.t end)
	local t0 = call.started_at or (entries[1] and entries[1].t) or 0
	local lines = { ("call %s: %s %s %s, %s%s"):format(call.sid, call.direction, tostring(call.peer),
		tostring(call.number), call.state, call.end_reason and (" (" .. call.end_reason .. ")") or "") }
	for _, e in ipairs(entries) do
		lines[#lines + 1] = ("%+9.3f %-8s %s"):format(e.t - t0, e.area, e.text)
	end
	local s = call.legs and call.legs:summary() or {}
	lines[#lines + 1] = ("counters: client rx %d tx %d, sip rx %d tx %d; dropped: srtp auth %d, early %d, "
		.. "foreign %d, unknown ssrc %d, unmapped pt %d; dtmf %d; fast path rx %d tx %d, consent %d, "
		.. "fallbacks %d"):format(s.client_rx_packets or 0,
		s.client_tx_packets or 0, s.sip_rx_packets or 0, s.sip_tx_packets or 0, s.srtp_auth_failed or 0,
		s.early_dropped or 0, s.sip_foreign or 0, s.sip_ssrc_dropped or 0, s.unmapped_pt or 0, s.dtmf_events or 0,
		s.fast_rx_packets or 0, s.fast_tx_packets or 0, s.fast_stun_answered or 0, s.fast_fallbacks or 0)
	return lines
end

return M
